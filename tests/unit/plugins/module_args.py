# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``patch_module_args``: run a module in-process with these arguments, on every supported ansible-core;
``run_module``: run one of the collection's modules that way against a fake site."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

try:
    from ansible.module_utils.testing import patch_module_args  # pylint: disable=unused-import
except ImportError:  # ansible-core before 2.19
    import contextlib
    from unittest import mock

    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    @contextlib.contextmanager
    def patch_module_args(args):
        with mock.patch.object(basic, '_ANSIBLE_ARGS', to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args}))):
            yield


def run_module(capsys, module_class, site, check_mode=False, diff=False, **args):
    """Run a lmsops.moodle module class, argument spec included, with these options against ``site`` (a fake
    MoodleAPI); return its JSON result, with the module's warnings under ``warnings`` (always a list)."""
    args = dict(args, url='http://moodle.invalid', token='0123456789abcdef')
    if check_mode:
        args['_ansible_check_mode'] = True
    if diff:
        args['_ansible_diff'] = True
    warnings = []
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            instance = module_class()
            instance.api = site
            # Collect the module's warnings here: how ansible-core returns them differs between versions
            # (and, once controller code is imported in the same process, they go to the display instead).
            instance.module.warn = warnings.append
            instance.run()
    result = json.loads(capsys.readouterr().out)
    result['warnings'] = warnings
    return result
