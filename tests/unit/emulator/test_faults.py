# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault switches: latency, 5xx pages, dropped connections, HTML instead of JSON."""

from __future__ import annotations

import time

import pytest
import requests

CAROL = {'users[0][username]': 'carol', 'users[0][password]': 'Secret#123', 'users[0][firstname]': 'Carol',
         'users[0][lastname]': 'C', 'users[0][email]': 'carol@example.com'}


def test_latency(ws, emulator):
    emulator.faults(latency_ms=300)
    started = time.monotonic()
    answer = ws('core_webservice_get_site_info')
    slow = time.monotonic() - started
    assert answer.json()['userid'] == 2
    assert slow >= 0.25
    started = time.monotonic()
    ws('core_webservice_get_site_info')
    assert time.monotonic() - started < 0.25


@pytest.mark.parametrize('status,marker', [(500, 'Internal Server Error'), (502, 'Bad Gateway'), (503, 'Site under maintenance')])
def test_error_pages(ws, emulator, status, marker):
    emulator.faults(status=status)
    answer = ws('core_webservice_get_site_info')
    assert answer.status_code == status
    assert answer.headers['Content-Type'].startswith('text/html')
    assert marker in answer.text
    assert ws('core_webservice_get_site_info').status_code == 200
    assert [e['status'] for e in emulator.requests] == [status, 200]


def test_503_does_not_run_the_function(ws, emulator):
    emulator.faults(status=503)
    assert ws('core_user_create_users', CAROL).status_code == 503
    assert 'carol' not in emulator.state.user_by_username


def test_drop_before_changes_nothing(ws, emulator):
    emulator.faults(drop='before')
    with pytest.raises(requests.exceptions.ConnectionError):
        ws('core_user_create_users', CAROL)
    assert 'carol' not in emulator.state.user_by_username
    assert emulator.requests[-1]['status'] == 0
    assert ws('core_user_create_users', CAROL).json() == [{'id': 3, 'username': 'carol'}]


def test_drop_after_applies_the_write(ws, emulator):
    emulator.faults(drop='after')
    with pytest.raises(requests.exceptions.ConnectionError):
        ws('core_user_create_users', CAROL)
    assert emulator.state.user_by_username['carol'] == 3
    log = emulator.requests[-1]
    assert log['write'] is True and log['wsfunction'] == 'core_user_create_users'


def test_html_login_page(ws, emulator):
    emulator.faults(html=True)
    answer = ws('core_webservice_get_site_info')
    assert answer.status_code == 200
    assert answer.headers['Content-Type'] == 'text/html; charset=utf-8'
    assert '<form' in answer.text


def test_answer_replaces_the_function_which_does_not_run(ws, emulator):
    warning = {'item': 'user', 'itemid': 2, 'warningcode': 'usernotupdateddeleted', 'message': 'User is a deleted user'}
    emulator.faults(answer={'warnings': [warning]}, functions=['core_user_update_users'])
    answer = ws('core_user_update_users', {'users[0][id]': '2', 'users[0][city]': 'Nowhere'})
    assert answer.status_code == 200 and answer.headers['Content-Type'] == 'application/json'
    assert answer.json() == {'warnings': [warning]}
    admin = ws('core_user_get_users_by_field', {'field': 'id', 'values[0]': '2'}).json()[0]
    assert admin.get('city') != 'Nowhere'


def test_a_concurrent_writer_creates_users_just_before_the_function_runs(ws, emulator):
    emulator.faults(concurrent={'users': [{'username': 'racer', 'firstname': 'Alpha', 'lastname': 'A',
                                           'email': 'racer@example.org'}]}, functions=['core_user_create_users'])
    answer = ws('core_user_create_users', {'users[0][username]': 'racer', 'users[0][firstname]': 'Beta',
                                           'users[0][lastname]': 'B', 'users[0][email]': 'racer@example.org',
                                           'users[0][password]': 'Good#1pass'}).json()
    assert answer['errorcode'] == 'invalidparameter'
    racer = ws('core_user_get_users_by_field', {'field': 'username', 'values[0]': 'racer'}).json()
    assert [u['firstname'] for u in racer] == ['Alpha']


def test_a_concurrent_writer_enrols_just_before_the_function_runs(ws, emulator):
    racer = ws('core_user_create_users', {'users[0][username]': 'racer', 'users[0][firstname]': 'R',
                                          'users[0][lastname]': 'R', 'users[0][email]': 'racer@example.org',
                                          'users[0][password]': 'Good#1pass'}).json()[0]['id']
    emulator.faults(concurrent={'enrolments': [{'course': 'PHYS101', 'user': 'racer', 'role': 'teacher',
                                                'timeend': 4102444800}]},
                    functions=['enrol_manual_enrol_users'])
    # This run's call names a role the site cannot assign in a course: Moodle refuses it and rolls it back.
    answer = ws('enrol_manual_enrol_users', {'enrolments[0][roleid]': '2', 'enrolments[0][userid]': str(racer),
                                             'enrolments[0][courseid]': '2'}).json()
    assert answer['errorcode'] == 'wsusercannotassign'
    enrolled = ws('core_enrol_get_enrolled_users', {'courseid': '2'}).json()
    [row] = [user for user in enrolled if user['id'] == racer]
    assert [role['shortname'] for role in row['roles']] == ['teacher']
    [ue] = emulator.state.user_course_enrolments(racer, 2)
    assert ue['timeend'] == 4102444800


def test_a_concurrent_writer_assigns_roles_just_before_the_function_runs(ws, emulator):
    racer = ws('core_user_create_users', {'users[0][username]': 'racer', 'users[0][firstname]': 'R',
                                          'users[0][lastname]': 'R', 'users[0][email]': 'racer@example.org',
                                          'users[0][password]': 'Good#1pass'}).json()[0]['id']
    emulator.faults(concurrent={'role_assignments': [{'user': 'racer', 'role': 'manager', 'contextlevel': 'system'}]},
                    functions=['core_role_assign_roles'])
    answer = ws('core_role_assign_roles', {'assignments[0][roleid]': '1', 'assignments[0][userid]': str(racer),
                                           'assignments[0][contextlevel]': 'system', 'assignments[0][instanceid]': '0'})
    assert answer.status_code == 200 and answer.text == 'null'
    held = [ra for ra in emulator.state.role_assignments.values() if ra['userid'] == racer and ra['roleid'] == 1]
    assert len(held) == 1          # the other writer's; assigning it again keeps one


def test_count_and_function_filter(ws, emulator):
    emulator.faults(status=502, count=2, functions=['core_user_get_users_by_field'])
    assert ws('core_webservice_get_site_info').status_code == 200
    by_field = {'field': 'id', 'values[0]': '2'}
    assert ws('core_user_get_users_by_field', by_field).status_code == 502
    assert ws('core_user_get_users_by_field', by_field).status_code == 502
    assert ws('core_user_get_users_by_field', by_field).status_code == 200


def test_clear_and_control_api(ws, emulator):
    session = requests.Session()
    answer = session.post(emulator.control_url + '/faults', json={'status': 500, 'count': 5}, timeout=10)
    assert answer.json()['faults'][0]['count'] == 5
    assert ws('core_webservice_get_site_info').status_code == 500
    session.post(emulator.control_url + '/faults/clear', timeout=10)
    assert ws('core_webservice_get_site_info').status_code == 200
    session.post(emulator.control_url + '/faults', json={'status': 500, 'count': 5}, timeout=10)
    session.post(emulator.control_url + '/faults', json={'count': 0}, timeout=10)
    assert session.get(emulator.control_url + '/faults', timeout=10).json() == []
    assert session.post(emulator.control_url + '/faults', json={'status': 404}, timeout=10).status_code == 400
    session.close()


def test_faults_do_not_touch_the_control_api(emulator):
    emulator.faults(status=500, count=3)
    assert requests.get(emulator.control_url + '/state', timeout=10).status_code == 200
