# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The companion plugin's read functions, off by default."""

from __future__ import annotations

LOCAL = ['local_lmsops_get_roles', 'local_lmsops_get_role_assignments', 'local_lmsops_get_user_enrolments',
         'local_lmsops_get_access_information']


def function_names(ws, token='full'):
    return [f['name'] for f in ws('core_webservice_get_site_info', token=token).json()['functions']]


def test_off_by_default_answers_like_unknown(ws, emulator):
    assert not set(LOCAL) & set(function_names(ws))
    assert ws('local_lmsops_get_roles').json()['errorcode'] == 'invalidrecordunknown'
    emulator.set(debug=True)
    answer = ws('local_lmsops_get_roles').json()
    assert answer['errorcode'] == 'invalidrecord'
    assert "'local_lmsops_get_roles'" in answer['debuginfo']


def test_on_adds_to_full_service_only(ws, emulator):
    emulator.set(companion_plugin=True)
    assert function_names(ws)[-len(LOCAL):] == LOCAL
    assert not set(LOCAL) & set(function_names(ws, token='limited'))
    assert ws('local_lmsops_get_roles', token='limited').json()['errorcode'] == 'accessexception'


def test_get_roles(ws, emulator):
    emulator.set(companion_plugin=True)
    roles = ws('local_lmsops_get_roles').json()['roles']
    assert [(r['id'], r['shortname']) for r in roles] == [
        (1, 'manager'), (2, 'coursecreator'), (3, 'editingteacher'), (4, 'teacher'), (5, 'student'), (6, 'guest'),
        (7, 'user'), (8, 'frontpage')]
    assert roles[0] == {'id': 1, 'shortname': 'manager', 'name': '', 'archetype': 'manager',
                        'contextlevels': ['system', 'coursecat', 'course']}
    assert roles[4]['contextlevels'] == ['course', 'module']
    assert roles[6]['contextlevels'] == []


def test_get_role_assignments(ws, emulator):
    emulator.set(companion_plugin=True)
    ws('core_role_assign_roles', {'assignments[0][roleid]': '2', 'assignments[0][userid]': '2', 'assignments[0][contextid]': '1',
                                  'assignments[1][roleid]': '4', 'assignments[1][userid]': '2',
                                  'assignments[1][contextlevel]': 'module', 'assignments[1][instanceid]': '3'})
    answer = ws('local_lmsops_get_role_assignments', {
        'contexts[0][contextlevel]': 'system', 'contexts[0][instanceid]': '0',
        'contexts[1][contextlevel]': 'module', 'contexts[1][instanceid]': '3'}).json()
    module_ctx = emulator.state.context_id(70, 3)
    assert [(a['roleid'], a['userid'], a['contextid'], a['contextlevel'], a['instanceid'], a['component'], a['itemid'])
            for a in answer['assignments']] == [(2, 2, 1, 'system', 0, '', 0), (4, 2, module_ctx, 'module', 3, '', 0)]
    filtered = ws('local_lmsops_get_role_assignments', {
        'contexts[0][contextlevel]': 'system', 'contexts[0][instanceid]': '0', 'roleids[0]': '5'}).json()
    assert filtered == {'assignments': []}
    emulator.set(debug=True)
    missing = ws('local_lmsops_get_role_assignments', {'contexts[0][contextlevel]': 'course', 'contexts[0][instanceid]': '77'}).json()
    assert missing['errorcode'] == 'invalidparameter'
    assert 'course 77' in missing['debuginfo']


def test_get_user_enrolments(ws, emulator):
    emulator.set(companion_plugin=True)
    ws('core_user_create_users', {'users[0][username]': 'alice', 'users[0][password]': 'Secret#123', 'users[0][firstname]': 'A',
                                  'users[0][lastname]': 'L', 'users[0][email]': 'alice@example.com'})
    ws('enrol_manual_enrol_users', {'enrolments[0][roleid]': '5', 'enrolments[0][userid]': '3', 'enrolments[0][courseid]': '2',
                                    'enrolments[0][timestart]': '1767225600', 'enrolments[0][timeend]': '1798761600',
                                    'enrolments[0][suspend]': '1'})
    ws('core_role_assign_roles', {'assignments[0][roleid]': '4', 'assignments[0][userid]': '3',
                                  'assignments[0][contextlevel]': 'course', 'assignments[0][instanceid]': '2'})
    answer = ws('local_lmsops_get_user_enrolments', {'courseid': '2'}).json()
    enrolid = emulator.state.manual_instance(2)['id']
    assert answer == {'enrolments': [{'userid': 3, 'enrolid': enrolid, 'enrol': 'manual', 'status': 1, 'timestart': 1767225600,
                                      'timeend': 1798761600, 'roles': [{'roleid': 4, 'shortname': 'teacher'},
                                                                       {'roleid': 5, 'shortname': 'student'}]}]}
    assert ws('local_lmsops_get_user_enrolments', {'courseid': '2', 'userids[0]': '2'}).json() == {'enrolments': []}
    assert ws('local_lmsops_get_user_enrolments', {'courseid': '99'}).json()['errorcode'] == 'invalidparameter'
