# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control API under /__emulator__/ and the endpoint's HTTP behaviour."""

from __future__ import annotations

import requests


def control(emulator, method, route, body=None):
    answer = requests.request(method, emulator.control_url + route, json=body, timeout=10)
    return answer


def test_info_and_state(emulator):
    info = control(emulator, 'GET', '').json()
    assert info == {'url': emulator.url, 'control': emulator.control_url, 'tokens': emulator.tokens}
    state = control(emulator, 'GET', '/state').json()
    assert [u['username'] for u in state['users']] == ['guest', 'admin']
    assert [c['shortname'] for c in state['courses']] == ['PHYS101', 'CHEM201', 'MATH301']
    assert [c['contextid'] for c in state['courses']] == [11, 12, 13]
    assert state['categories'][0]['contextid'] == 3
    assert [r['shortname'] for r in state['roles']][:5] == ['manager', 'coursecreator', 'editingteacher', 'teacher', 'student']
    assert {t['name'] for t in state['tokens']} == {'full', 'limited'}
    assert state['settings']['max_input_vars'] is None
    assert state['settings']['siteurl'] == emulator.url
    assert [m['id'] for m in state['modules']] == [1, 2, 3]
    assert [b['id'] for b in state['blocks']] == [1, 2]


def test_settings_switch_webservices_and_rest(ws, emulator):
    assert control(emulator, 'POST', '/settings', {'enablewebservices': False}).json()['enablewebservices'] is False
    answer = ws('core_webservice_get_site_info')
    assert (answer.status_code, answer.text, answer.headers['Content-Type']) == (403, '', 'text/html; charset=utf-8')
    control(emulator, 'POST', '/settings', {'enablewebservices': True, 'rest_enabled': False})
    assert ws('core_webservice_get_site_info').status_code == 403
    control(emulator, 'POST', '/settings', {'rest_enabled': True, 'debug': True})
    assert 'debuginfo' in ws('core_no_such_function').json()
    assert control(emulator, 'POST', '/settings', {'nonsense': 1}).status_code == 400


def test_request_log(ws, emulator):
    ws('core_webservice_get_site_info', token='limited')
    ws('core_user_delete_users', {'userids[0]': '2'})
    ws('core_webservice_get_site_info', token='00000000000000000000000000000000')
    log = control(emulator, 'GET', '/requests').json()
    assert [(e['wsfunction'], e['token'], e['write'], e['status'], e['errorcode'], e['fields'], e['kept_fields']) for e in log] == [
        ('core_webservice_get_site_info', 'limited', False, 200, None, 3, 3),
        ('core_user_delete_users', 'full', True, 200, 'useradminodelete', 4, 4),
        ('core_webservice_get_site_info', None, False, 200, 'invalidtoken', 3, 3)]
    control(emulator, 'POST', '/requests/clear')
    assert not control(emulator, 'GET', '/requests').json()
    assert not emulator.requests


def test_reseed_inline_and_builtin(ws, emulator):
    seed = {
        'users': [{'id': 2, 'username': 'admin', 'firstname': 'Ad', 'lastname': 'Min', 'email': 'a@x.test', 'siteadmin': True},
                  {'id': 7, 'username': 'zoe', 'firstname': 'Zoe', 'lastname': 'Z', 'email': 'zoe@x.test'}],
        'courses': [{'id': 5, 'shortname': 'BIO1', 'fullname': 'Biology'}],
        'enrolments': [{'user': 'zoe', 'course': 'BIO1', 'role': 'student', 'status': 'suspended', 'timeend': 2000000000}],
        'services': [{'shortname': 'svc', 'functions': ['core_enrol_get_enrolled_users']}],
        'tokens': [{'name': 'full', 'token': 'b' * 32, 'user': 'admin', 'service': 'svc'}]}
    answer = control(emulator, 'POST', '/reseed', {'seed': seed}).json()
    assert answer['tokens'] == {'full': 'b' * 32}
    users = ws('core_enrol_get_enrolled_users', {'courseid': '5'}).json()
    assert [(u['id'], u['roles'][0]['shortname']) for u in users] == [(7, 'student')]
    ue = emulator.state.user_course_enrolments(7, 5)[0]
    assert (ue['status'], ue['timeend']) == (1, 2000000000)
    control(emulator, 'POST', '/reseed', {'seed': 'recordings'})
    assert ws('core_webservice_get_site_info').json()['userid'] == 2
    assert control(emulator, 'POST', '/reseed', {'seed': 'no-such-seed'}).status_code == 400


def test_wrong_urls(emulator):
    answer = requests.get(emulator.url + '/moodle/webservice/rest/server.php', timeout=10)
    assert answer.status_code == 404
    assert answer.headers['Content-Type'].startswith('text/html')
    assert requests.post(emulator.url + '/login/index.php', data={'a': 'b'}, timeout=10).status_code == 404
    assert control(emulator, 'GET', '/nope').status_code == 404


def test_python_api(emulator):
    emulator.set(max_input_vars=10, companion_plugin=True)
    assert emulator.state.settings['max_input_vars'] == 10
    emulator.reseed('recordings')
    assert emulator.state.settings['companion_plugin'] is False
    assert emulator.dump()['users'][1]['username'] == 'admin'


def test_failed_reseed_keeps_the_site(emulator):
    site = emulator.state
    bad = {'users': [{'id': 2, 'username': 'admin', 'firstname': 'A', 'lastname': 'U', 'email': 'a@x.test'}],
           'enrolments': [{'user': 'nobody', 'course': 'PHYS101'}]}
    assert control(emulator, 'POST', '/reseed', {'seed': bad}).status_code == 400
    assert emulator.state is site
    assert site.course_by_shortname['PHYS101'] == 2 and len(site.tokens) == 2


def test_missing_capabilities_answer_nopermissions_like_moodle(emulator):
    """A switch for tests: the token user lacks a capability, so the functions that check it refuse."""
    emulator.set(missing_capabilities=['moodle/course:viewparticipants'])
    url = emulator.url + '/webservice/rest/server.php'
    token = emulator.tokens['full']
    answer = requests.post(url, data={'wstoken': token, 'wsfunction': 'core_enrol_get_enrolled_users',
                                      'moodlewsrestformat': 'json', 'courseid': '2'}, timeout=10).json()
    assert answer == {'exception': 'core\\exception\\required_capability_exception', 'errorcode': 'nopermissions',
                      'message': 'Sorry, but you do not currently have permissions to do that (View participants).'}
    other = requests.post(url, data={'wstoken': token, 'wsfunction': 'core_user_get_users_by_field',
                                     'moodlewsrestformat': 'json', 'field': 'id', 'values[0]': '2'}, timeout=10).json()
    assert other[0]['username'] == 'admin'
    emulator.set(missing_capabilities=[])
    again = requests.post(url, data={'wstoken': token, 'wsfunction': 'core_enrol_get_enrolled_users',
                                     'moodlewsrestformat': 'json', 'courseid': '2'}, timeout=10).json()
    assert isinstance(again, list)
