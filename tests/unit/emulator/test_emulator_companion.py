# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The companion plugin's read functions, off by default."""

from __future__ import annotations

import os
import re

LOCAL = ['local_lmsops_get_roles', 'local_lmsops_get_role_assignments', 'local_lmsops_get_user_enrolments',
         'local_lmsops_get_access_information', 'local_lmsops_get_users', 'local_lmsops_get_enrolments',
         'local_lmsops_list_role_assignments']


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


# -- plugin 1.2.0: the paged bulk reads ----------------------------------------------------------------------------

def _users(ws, names):
    params = {}
    for index, name in enumerate(names):
        params.update({'users[%d][username]' % index: name, 'users[%d][password]' % index: 'Secret#123',
                       'users[%d][firstname]' % index: name.title(), 'users[%d][lastname]' % index: 'L',
                       'users[%d][email]' % index: name + '@example.com', 'users[%d][idnumber]' % index: 'ID-' + name})
    return [u['id'] for u in ws('core_user_create_users', params).json()]


def _enrol(ws, courseid, userids, **extra):
    params = {}
    for index, userid in enumerate(userids):
        params.update({'enrolments[%d][roleid]' % index: '5', 'enrolments[%d][userid]' % index: str(userid),
                       'enrolments[%d][courseid]' % index: str(courseid)})
        params.update({'enrolments[%d][%s]' % (index, key): str(value) for key, value in extra.items()})
    assert ws('enrol_manual_enrol_users', params).json() is None


def test_get_users_by_each_field_with_compared_fields_only(ws, emulator):
    emulator.set(companion_plugin=True)
    alice, bob = _users(ws, ['alice', 'bob'])
    answer = ws('local_lmsops_get_users', {'field': 'username', 'values[0]': 'bob', 'values[1]': 'alice',
                                           'values[2]': 'nobody'}).json()
    assert answer['nextafterid'] == 0
    assert [u['id'] for u in answer['users']] == [alice, bob]
    assert answer['users'][0] == {
        'id': alice, 'username': 'alice', 'firstname': 'Alice', 'lastname': 'L', 'email': 'alice@example.com',
        'auth': 'manual', 'idnumber': 'ID-alice', 'suspended': False, 'city': '', 'country': '', 'lang': 'en',
        'timezone': '99', 'institution': '', 'department': '', 'description': '', 'customfields': []}
    assert 'password' not in answer['users'][0]
    by = {field: ws('local_lmsops_get_users', {'field': field, 'values[0]': value}).json()['users']
          for field, value in (('id', str(bob)), ('email', 'bob@example.com'), ('idnumber', 'ID-bob'))}
    assert {field: [u['username'] for u in users] for field, users in by.items()} == {
        'id': ['bob'], 'email': ['bob'], 'idnumber': ['bob']}
    # An empty email or idnumber matches nobody, as in core.
    assert ws('local_lmsops_get_users', {'field': 'idnumber', 'values[0]': ''}).json() == {'users': [], 'nextafterid': 0}


def test_get_users_refuses_bad_field_value_and_paging(ws, emulator):
    emulator.set(companion_plugin=True, debug=True)
    bad_field = ws('local_lmsops_get_users', {'field': 'city', 'values[0]': 'x'}).json()
    assert bad_field['errorcode'] == 'invalidparameter'
    assert 'Invalid field = city' in bad_field['debuginfo']
    bad_value = ws('local_lmsops_get_users', {'field': 'username', 'values[0]': 'Alice'}).json()
    assert bad_value['errorcode'] == 'invalidparameter'
    assert "The field 'username' value is invalid: Alice(cleaned value: alice)" in bad_value['debuginfo']
    negative = ws('local_lmsops_get_users', {'field': 'id', 'limit': '-1'}).json()
    assert negative['errorcode'] == 'invalidparameter'


def test_get_users_pages_all_users_by_id(ws, emulator):
    emulator.set(companion_plugin=True)
    created = _users(ws, ['u%02d' % i for i in range(5)])
    seen, afterid, calls = [], 0, 0
    while True:
        answer = ws('local_lmsops_get_users', {'field': 'id', 'afterid': str(afterid), 'limit': '2'}).json()
        calls += 1
        seen.extend(u['id'] for u in answer['users'])
        assert len(answer['users']) <= 2
        afterid = answer['nextafterid']
        if not afterid:
            break
    everyone = sorted(uid for uid, u in emulator.state.users.items() if not u['deleted'])
    assert seen == everyone and set(created) <= set(seen)
    assert calls == (len(everyone) + 1) // 2 + (1 if len(everyone) % 2 == 0 else 0)


def test_get_users_skips_deleted_and_empty_custom_fields(ws, emulator):
    emulator.set(companion_plugin=True)
    alice, bob = _users(ws, ['alice', 'bob'])
    ws('core_user_delete_users', {'userids[0]': str(bob)})
    answer = ws('local_lmsops_get_users', {'field': 'id', 'values[0]': str(alice), 'values[1]': str(bob)}).json()
    assert [u['id'] for u in answer['users']] == [alice]


def test_get_users_needs_viewdetails_and_viewalldetails(ws, emulator):
    emulator.set(companion_plugin=True, missing_capabilities=['moodle/user:viewalldetails'])
    answer = ws('local_lmsops_get_users', {'field': 'username', 'values[0]': 'admin'}).json()
    assert answer['errorcode'] == 'nopermissions'
    assert answer['message'].endswith('(View user full information).')
    emulator.set(missing_capabilities=['moodle/user:viewdetails'])
    assert ws('local_lmsops_get_users', {'field': 'username', 'values[0]': 'admin'}).json()['message'].endswith(
        '(View user profiles).')


def test_get_enrolments_of_a_course_with_user_fields_and_pages(ws, emulator):
    emulator.set(companion_plugin=True)
    userids = _users(ws, ['alice', 'bob', 'carol'])
    _enrol(ws, 2, userids, timestart=1767225600)
    ws('core_role_assign_roles', {'assignments[0][roleid]': '4', 'assignments[0][userid]': str(userids[0]),
                                  'assignments[0][contextlevel]': 'course', 'assignments[0][instanceid]': '2'})
    first = ws('local_lmsops_get_enrolments', {'courseids[0]': '2', 'userfields': '1', 'limit': '2'}).json()
    assert len(first['enrolments']) == 2 and first['nextafterid'] == first['enrolments'][-1]['id']
    rest = ws('local_lmsops_get_enrolments', {'courseids[0]': '2', 'userfields': '1',
                                              'afterid': str(first['nextafterid'])}).json()
    assert rest['nextafterid'] == 0
    rows = first['enrolments'] + rest['enrolments']
    enrolid = emulator.state.manual_instance(2)['id']
    assert rows[0] == {'id': rows[0]['id'], 'courseid': 2, 'userid': userids[0], 'enrolid': enrolid, 'enrol': 'manual',
                       'status': 0, 'timestart': 1767225600, 'timeend': 0,
                       'roles': [{'roleid': 4, 'shortname': 'teacher'}, {'roleid': 5, 'shortname': 'student'}],
                       'username': 'alice', 'email': 'alice@example.com', 'idnumber': 'ID-alice'}
    assert [(r['username'], [x['shortname'] for x in r['roles']]) for r in rows[1:]] == [
        ('bob', ['student']), ('carol', ['student'])]
    plain = ws('local_lmsops_get_enrolments', {'courseids[0]': '2'}).json()['enrolments']
    assert 'username' not in plain[0] and [r['id'] for r in plain] == [r['id'] for r in rows]


def test_get_enrolments_of_users_in_any_course(ws, emulator):
    emulator.set(companion_plugin=True)
    alice, bob = _users(ws, ['alice', 'bob'])
    _enrol(ws, 2, [alice, bob])
    _enrol(ws, 3, [alice], suspend=1)
    rows = ws('local_lmsops_get_enrolments', {'userids[0]': str(alice)}).json()['enrolments']
    assert [(r['courseid'], r['status']) for r in rows] == [(2, 0), (3, 1)]
    both = ws('local_lmsops_get_enrolments', {'userids[0]': str(bob), 'courseids[0]': '3'}).json()
    assert both == {'enrolments': [], 'nextafterid': 0}


def test_get_enrolments_errors_and_capabilities(ws, emulator):
    emulator.set(companion_plugin=True, debug=True)
    assert 'courseids or userids is required' in ws('local_lmsops_get_enrolments', {}).json()['debuginfo']
    missing = ws('local_lmsops_get_enrolments', {'courseids[0]': '99'}).json()
    assert missing['errorcode'] == 'invalidparameter' and 'Course not found: courseid=99' in missing['debuginfo']
    emulator.set(missing_capabilities=['moodle/course:enrolreview'])
    refused = ws('local_lmsops_get_enrolments', {'courseids[0]': '2'}).json()
    assert refused['errorcode'] == 'nopermissions' and refused['message'].endswith('(Review course enrolments).')
    emulator.set(missing_capabilities=['moodle/user:viewalldetails'])
    assert ws('local_lmsops_get_enrolments', {'courseids[0]': '2'}).json() == {'enrolments': [], 'nextafterid': 0}
    assert ws('local_lmsops_get_enrolments', {'courseids[0]': '2', 'userfields': '1'}).json()['errorcode'] == 'nopermissions'


def test_list_role_assignments_by_user_and_context(ws, emulator):
    emulator.set(companion_plugin=True)
    alice, bob = _users(ws, ['alice', 'bob'])
    ws('core_role_assign_roles', {'assignments[0][roleid]': '2', 'assignments[0][userid]': str(alice),
                                  'assignments[0][contextid]': '1',
                                  'assignments[1][roleid]': '4', 'assignments[1][userid]': str(alice),
                                  'assignments[1][contextlevel]': 'course', 'assignments[1][instanceid]': '2',
                                  'assignments[2][roleid]': '4', 'assignments[2][userid]': str(bob),
                                  'assignments[2][contextlevel]': 'course', 'assignments[2][instanceid]': '2'})
    course_ctx = emulator.state.context_id(50, 2)
    mine = ws('local_lmsops_list_role_assignments', {'userids[0]': str(alice)}).json()
    assert [(a['roleid'], a['contextid'], a['contextlevel'], a['instanceid'], a['component'], a['itemid'])
            for a in mine['assignments']] == [(2, 1, 'system', 0, '', 0), (4, course_ctx, 'course', 2, '', 0)]
    assert mine['nextafterid'] == 0
    in_course = ws('local_lmsops_list_role_assignments', {'contexts[0][contextlevel]': 'course',
                                                          'contexts[0][instanceid]': '2', 'limit': '1'}).json()
    assert [a['userid'] for a in in_course['assignments']] == [alice]
    assert in_course['nextafterid'] == in_course['assignments'][0]['id']
    following = ws('local_lmsops_list_role_assignments', {'contexts[0][contextlevel]': 'course', 'contexts[0][instanceid]': '2',
                                                          'afterid': str(in_course['nextafterid'])}).json()
    assert [a['userid'] for a in following['assignments']] == [bob] and following['nextafterid'] == 0
    only_role = ws('local_lmsops_list_role_assignments', {'userids[0]': str(alice), 'roleids[0]': '2'}).json()
    assert [a['roleid'] for a in only_role['assignments']] == [2]


def test_list_role_assignments_errors_and_capability(ws, emulator):
    emulator.set(companion_plugin=True, debug=True)
    assert 'contexts or userids is required' in ws('local_lmsops_list_role_assignments', {}).json()['debuginfo']
    unknown = ws('local_lmsops_list_role_assignments', {'contexts[0][contextlevel]': 'course',
                                                        'contexts[0][instanceid]': '77'}).json()
    assert 'Context not found: contextlevel=course instanceid=77' in unknown['debuginfo']
    ws('core_role_assign_roles', {'assignments[0][roleid]': '2', 'assignments[0][userid]': '2', 'assignments[0][contextid]': '1'})
    emulator.set(missing_capabilities=['moodle/role:review'])
    refused = ws('local_lmsops_list_role_assignments', {'userids[0]': '2'}).json()
    assert refused['errorcode'] == 'nopermissions' and refused['message'].endswith('(Review permissions for others).')
    in_context = ws('local_lmsops_list_role_assignments', {'contexts[0][contextlevel]': 'system', 'contexts[0][instanceid]': '0'})
    assert in_context.json()['errorcode'] == 'nopermissions'
    # By user only, the contexts are those of the assignments found: none found, nothing to refuse.
    assert ws('local_lmsops_list_role_assignments', {'userids[0]': '999'}).json() == {'assignments': [], 'nextafterid': 0}


def test_functions_show_the_shipped_plugin_version(ws, emulator):
    """site_info gives the plugin's functions the version in the plugin's version.php, as a real site does."""
    version_php = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'roles', 'setup', 'files', 'local_lmsops',
                               'version.php')
    with open(version_php) as handle:
        shipped = re.search(r'\$plugin->version\s*=\s*(\d+)', handle.read()).group(1)
    emulator.set(companion_plugin=True)
    functions = ws('core_webservice_get_site_info').json()['functions']
    assert {f['version'] for f in functions if f['name'] in LOCAL} == {shipped}
