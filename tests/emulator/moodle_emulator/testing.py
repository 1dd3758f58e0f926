# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for tests that drive the emulator through its Moodle endpoint."""

from __future__ import annotations


def create_users(ws, *names):
    """Create users ``names`` with core_user_create_users through ``ws`` (the emulator tests' fixture): {username: id}."""
    params = {}
    for index, name in enumerate(names):
        params.update({'users[%d][username]' % index: name, 'users[%d][password]' % index: 'Secret#123',
                       'users[%d][firstname]' % index: name.title(), 'users[%d][lastname]' % index: 'Test',
                       'users[%d][email]' % index: '%s@example.com' % name})
    answer = ws('core_user_create_users', params).json()
    return {item['username']: item['id'] for item in answer}
