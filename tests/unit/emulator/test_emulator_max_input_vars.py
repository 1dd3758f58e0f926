# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PHP max_input_vars: silent truncation with the real site's cut-offs."""

from __future__ import annotations

import pytest
import requests

from moodle_emulator.phpform import decode, split_pairs  # pylint: disable=import-error


def users_params(count):
    params = []
    for index in range(count):
        name = 'u%04d' % index
        params.extend([
            ('users[%d][username]' % index, name), ('users[%d][password]' % index, 'Secret#123'),
            ('users[%d][firstname]' % index, 'F'), ('users[%d][lastname]' % index, 'L'),
            ('users[%d][email]' % index, name + '@example.com'), ('users[%d][idnumber]' % index, 'ID' + name),
            ('users[%d][country]' % index, 'GB'), ('users[%d][city]' % index, 'Leeds')])
    return params


def flat_read(emulator, total_fields):
    """A get_users_by_field read of total_fields fields whose last value is the only match."""
    fields = [('wstoken', emulator.tokens['full']), ('wsfunction', 'core_user_get_users_by_field'),
              ('moodlewsrestformat', 'json'), ('field', 'username')]
    values = total_fields - len(fields)
    fields.extend(('values[%d]' % i, 'nobody%d' % i) for i in range(values - 1))
    fields.append(('values[%d]' % (values - 1), 'admin'))
    return requests.post(emulator.endpoint, data=fields, timeout=60).json()


def test_flat_values_keeps_limit_plus_one(emulator):
    emulator.set(max_input_vars=5000)
    assert [u['username'] for u in flat_read(emulator, 5001)] == ['admin']
    assert flat_read(emulator, 5002) == []
    log = emulator.requests
    assert (log[0]['fields'], log[0]['kept_fields']) == (5001, 5001)
    assert (log[1]['fields'], log[1]['kept_fields']) == (5002, 5001)


def test_unlimited_by_default(emulator):
    assert [u['username'] for u in flat_read(emulator, 9000)] == ['admin']


def test_700_users_create_625_like_the_real_site(emulator):
    """The recorded case: 700 users x 8 fields, limit 5000: 625 created, success, the 625th without its city."""
    emulator.set(max_input_vars=5000)
    url = emulator.endpoint + '?wstoken=' + emulator.tokens['full']
    body = [('wsfunction', 'core_user_create_users'), ('moodlewsrestformat', 'json')] + users_params(700)
    answer = requests.post(url, data=body, timeout=60)
    assert answer.status_code == 200
    assert len(answer.json()) == 625
    log = emulator.requests[-1]
    assert (log['fields'], log['kept_fields']) == (5603, 5002)
    site = emulator.state
    last = site.users[site.user_by_username['u0624']]
    assert (last['country'], last['city']) == ('GB', '')
    assert site.users[site.user_by_username['u0623']]['city'] == 'Leeds'
    assert 'u0625' not in site.user_by_username


def test_everything_in_the_body_keeps_5001(emulator):
    emulator.set(max_input_vars=5000)
    body = [('wstoken', emulator.tokens['full']), ('wsfunction', 'core_user_create_users'),
            ('moodlewsrestformat', 'json')] + users_params(700)
    assert len(requests.post(emulator.endpoint, data=body, timeout=60).json()) == 625
    assert emulator.requests[-1]['kept_fields'] == 5001
    last = emulator.state.users[emulator.state.user_by_username['u0624']]
    assert (last['idnumber'], last['country'], last['city']) == ('IDu0624', '', '')


def test_query_string_keeps_exactly_the_limit(emulator):
    emulator.set(max_input_vars=4)
    query = {'wstoken': emulator.tokens['full'], 'wsfunction': 'core_user_get_users_by_field', 'moodlewsrestformat': 'json',
             'field': 'username', 'values[0]': 'admin'}
    answer = requests.get(emulator.endpoint, params=query, timeout=10)
    assert answer.json()['errorcode'] == 'invalidparameter'
    assert emulator.requests[-1]['kept_fields'] == 4


@pytest.mark.parametrize('raw,expected', [
    ('users[0][username]=a&users[0][email]=b&users[1][username]=c',
     {'users': {'0': {'username': 'a', 'email': 'b'}, '1': {'username': 'c'}}}),
    ('values[]=x&values[]=y&values[5]=z&values[]=w', {'values': {'0': 'x', '1': 'y', '5': 'z', '6': 'w'}}),
    ('a.b=1&c d=2&e[x=3', {'a_b': '1', 'c_d': '2', 'e_x': '3'}),
    ('k=1&k=2&plus=a+b%21', {'k': '2', 'plus': 'a b!'}),
])
def test_php_bracket_parsing(raw, expected):
    assert decode(split_pairs(raw, post=True)) == expected
