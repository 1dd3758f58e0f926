# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the emulator's tests: the emulator package is imported from tests/emulator."""

from __future__ import annotations

import os
import sys

import pytest

EMULATOR_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'emulator'))
if EMULATOR_DIR not in sys.path:
    sys.path.insert(0, EMULATOR_DIR)

from moodle_emulator import Emulator  # noqa: E402  pylint: disable=wrong-import-position

RECORDINGS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'recordings')


@pytest.fixture
def emulator():
    """A fresh emulator on the recordings' starting site, served on loopback."""
    with Emulator(seed='recordings') as emu:
        yield emu


@pytest.fixture
def ws(emulator):  # pylint: disable=redefined-outer-name
    """Call a web-service function on the emulator: ws(function, params, token='full', fmt='json') -> requests.Response."""
    import requests  # pylint: disable=import-outside-toplevel

    session = requests.Session()

    def call(function, params=None, token='full', fmt='json', method='POST'):
        data = {'wstoken': emulator.tokens.get(token, token), 'wsfunction': function, 'moodlewsrestformat': fmt}
        data.update(params or {})
        if method == 'GET':
            return session.get(emulator.url + '/webservice/rest/server.php', params=data, timeout=30)
        return session.post(emulator.url + '/webservice/rest/server.php', data=data, timeout=30)

    yield call
    session.close()


def pytest_terminal_summary(terminalreporter):
    """Print the conformance figure after the run."""
    matched = {}
    total = {}
    for outcome in ('passed', 'failed', 'error'):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, 'nodeid', '')
            if 'test_conformance.py::test_recording[' not in nodeid or getattr(report, 'when', 'call') != 'call':
                continue
            folder = '/'.join(nodeid.split('[', 1)[1].split('/')[:2])
            total[folder] = total.get(folder, 0) + 1
            if outcome == 'passed':
                matched[folder] = matched.get(folder, 0) + 1
    if not total:
        return
    for folder in sorted(total):
        terminalreporter.write_line('conformance %s: %d/%d recordings matched' % (folder, matched.get(folder, 0), total[folder]))
    terminalreporter.write_line('conformance: %d/%d recordings matched' % (sum(matched.values()), sum(total.values())))
