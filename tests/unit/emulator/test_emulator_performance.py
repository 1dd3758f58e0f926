# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""5000-item batches stay fast (indexes, no quadratic loops, cheap password hashing)."""

from __future__ import annotations

import time

import requests

from moodle_emulator import Emulator  # pylint: disable=import-error


def test_5000_user_create_and_enrol(emulator):
    fields = [('wstoken', emulator.tokens['full']), ('wsfunction', 'core_user_create_users'), ('moodlewsrestformat', 'json')]
    for index in range(5000):
        name = 'bulk%05d' % index
        fields.extend([('users[%d][username]' % index, name), ('users[%d][password]' % index, 'Secret#123'),
                       ('users[%d][firstname]' % index, 'B'), ('users[%d][lastname]' % index, str(index)),
                       ('users[%d][email]' % index, name + '@example.com')])
    started = time.monotonic()
    created = requests.post(emulator.endpoint, data=fields, timeout=60).json()
    assert len(created) == 5000
    assert time.monotonic() - started < 5
    fields = [('wstoken', emulator.tokens['full']), ('wsfunction', 'enrol_manual_enrol_users'), ('moodlewsrestformat', 'json')]
    for index, user in enumerate(created):
        fields.extend([('enrolments[%d][roleid]' % index, '5'), ('enrolments[%d][userid]' % index, str(user['id'])),
                       ('enrolments[%d][courseid]' % index, '2')])
    started = time.monotonic()
    assert requests.post(emulator.endpoint, data=fields, timeout=60).text == 'null'
    enrolled = requests.post(emulator.endpoint, timeout=60, data={
        'wstoken': emulator.tokens['full'], 'wsfunction': 'core_enrol_get_enrolled_users', 'moodlewsrestformat': 'json',
        'courseid': '2'}).json()
    assert len(enrolled) == 5000
    assert time.monotonic() - started < 5


def test_generated_site_starts_fast():
    started = time.monotonic()
    with Emulator(seed={'generate': {'courses': 1000, 'users': 5000}}) as emu:
        assert len(emu.state.users) == 5001
        assert len(emu.state.courses) == 1000
    assert time.monotonic() - started < 3
