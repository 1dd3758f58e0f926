# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The modules' unit tests: a module runs as main() runs it, argument spec, API and client included, against the
emulator (tests/emulator) served in this process, whose state and request log the tests read."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys

import pytest

from ansible_collections.lmsops.moodle.tests.unit.plugins.module_args import run_module

EMULATOR_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', 'emulator'))
if EMULATOR_DIR not in sys.path:
    sys.path.insert(0, EMULATOR_DIR)

from moodle_emulator import Emulator  # noqa: E402  pylint: disable=wrong-import-position,import-error


@pytest.fixture
def emulator():
    """A fresh emulator on the recordings' starting site (a fresh Moodle 5.1 with three courses)."""
    with Emulator(seed='recordings') as emu:
        yield emu


@pytest.fixture
def run_on_emulator(emulator, capsys):  # pylint: disable=redefined-outer-name
    """run_on_emulator(ModuleClass, check_mode=False, diff=False, **options): the module's JSON result, its warnings
    under ``warnings``; the emulator's request log is emptied first, so ``emulator.requests`` holds this run's."""
    def run(module_class, check_mode=False, diff=False, **options):
        emulator.clear_log()
        options = dict(options, url=emulator.url, token=emulator.tokens['full'])
        return run_module(capsys, module_class, check_mode=check_mode, diff=diff, **options)
    return run


def writes(emulator):  # pylint: disable=redefined-outer-name
    """The write requests of the emulator's log: [(function, status or errorcode)]."""
    return [(entry['wsfunction'], entry.get('errorcode')) for entry in emulator.requests if entry.get('write')]
