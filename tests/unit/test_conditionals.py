# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every condition in the role, the examples and the integration targets is a string.

An unquoted list item holding ': ' (``- a == b | combine({'id': c})``) is a YAML mapping, not an expression:
ansible-core 2.19 refuses it, but 2.16 takes a mapping as true, so an assert built that way checks nothing there.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
PATTERNS = ['tests/integration/targets/*/tasks/*.yml', 'roles/*/tasks/*.yml', 'docs/examples/**/*.yml']
CONDITION_KEYS = ('when', 'changed_when', 'failed_when', 'until')


def task_files():
    files = []
    for pattern in PATTERNS:
        files.extend(glob.glob(os.path.join(ROOT, pattern), recursive=True))
    return sorted(files)


def conditions(node):
    """Yield (where, condition) for each assert `that` item and each when/changed_when/failed_when/until."""
    if isinstance(node, list):
        for item in node:
            yield from conditions(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ('ansible.builtin.assert', 'assert') and isinstance(value, dict) and 'that' in value:
                that = value['that']
                for item in that if isinstance(that, list) else [that]:
                    yield 'that', item
            elif key in CONDITION_KEYS:
                for item in value if isinstance(value, list) else [value]:
                    yield key, item
            yield from conditions(value)


def test_the_files_are_found():
    if not os.path.isdir(os.path.join(ROOT, 'tests', 'integration', 'targets')):
        pytest.skip('no integration targets in this copy of the collection')
    assert len(task_files()) > 20


@pytest.mark.parametrize('path', task_files(), ids=lambda path: os.path.relpath(path, ROOT))
def test_every_condition_is_an_expression(path):
    with open(path) as handle:
        document = yaml.safe_load(handle)
    wrong = [(key, item) for key, item in conditions(document) if not isinstance(item, (str, bool))]
    assert wrong == [], 'quote these (an unquoted ": " makes a mapping): %r' % wrong


def test_a_mapping_condition_is_caught():
    document = yaml.safe_load("- ansible.builtin.assert:\n    that:\n      - a == b | combine({'id': c})\n")
    assert [key for key, item in conditions(document) if not isinstance(item, (str, bool))] == ['that']
