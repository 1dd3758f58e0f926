# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Site behaviour beyond the recordings: batches, re-enrolment, contexts, deletion, validation."""

from __future__ import annotations

from moodle_emulator.testing import create_users as create  # pylint: disable=import-error

ALICE = {'users[0][username]': 'alice', 'users[0][password]': 'Secret#123', 'users[0][firstname]': 'Alice',
         'users[0][lastname]': 'Liddell', 'users[0][email]': 'alice@example.com'}


def enrolment_of(emulator, userid, courseid):
    site = emulator.state
    ues = site.user_course_enrolments(userid, courseid)
    assert len(ues) == 1
    return ues[0]


def roles_in_course(emulator, userid, courseid):
    site = emulator.state
    ctx = site.context_id(50, courseid)
    return sorted(ra['roleid'] for ra in site.user_roles_in_context(userid, ctx))


def test_new_user_ids_follow_moodle(ws):
    assert create(ws, 'alice', 'bob') == {'alice': 3, 'bob': 4}
    assert create(ws, 'carol') == {'carol': 5}


def test_rolled_back_batch_burns_ids_like_postgres(ws, emulator):
    create(ws, 'alice')
    answer = ws('core_user_create_users', {
        'users[0][username]': 'carol', 'users[0][password]': 'Secret#123', 'users[0][firstname]': 'C', 'users[0][lastname]': 'C',
        'users[0][email]': 'carol@example.com', 'users[1][username]': 'alice', 'users[1][password]': 'Secret#123',
        'users[1][firstname]': 'A', 'users[1][lastname]': 'B', 'users[1][email]': 'a3@example.com'}).json()
    assert answer['errorcode'] == 'invalidparameter'
    assert 'carol' not in emulator.state.user_by_username
    assert create(ws, 'dave') == {'dave': 5}


def test_unknown_key_rejected_with_moodle_debuginfo(ws, emulator):
    emulator.set(debug=True)
    params = dict(ALICE)
    params['users[0][suspended]'] = '1'
    answer = ws('core_user_create_users', params).json()
    assert answer['errorcode'] == 'invalidparameter'
    assert answer['debuginfo'] == 'users => Invalid parameter value detected: Unexpected keys (suspended) detected in parameter array.'


def test_booleans_must_be_0_or_1(ws, emulator):
    emulator.set(debug=True)
    uid = create(ws, 'alice')['alice']
    answer = ws('core_user_update_users', {'users[0][id]': str(uid), 'users[0][suspended]': 'true'}).json()
    assert answer['debuginfo'] == ('users => Invalid parameter value detected: suspended => Invalid parameter value detected: '
                                   'Invalid external api parameter: the value is "true", the server was expecting "bool" type')
    assert ws('core_user_update_users', {'users[0][id]': str(uid), 'users[0][suspended]': '1'}).json() == {'warnings': []}
    assert emulator.state.users[uid]['suspended'] == 1


def test_username_characters(ws, emulator):
    emulator.set(debug=True)
    params = dict(ALICE)
    params['users[0][username]'] = 'al ice!'
    answer = ws('core_user_create_users', params).json()
    assert answer['errorcode'] == 'invalidparameter'
    assert 'expecting "username" type' in answer['debuginfo']
    params['users[0][username]'] = 'al-ice_.@x1'
    assert ws('core_user_create_users', params).json()[0]['username'] == 'al-ice_.@x1'


def test_duplicate_email_case_insensitive_unless_allowed(ws, emulator):
    emulator.set(debug=True)
    create(ws, 'alice')
    params = dict(ALICE)
    params.update({'users[0][username]': 'alice2', 'users[0][email]': 'ALICE@Example.com'})
    answer = ws('core_user_create_users', params).json()
    assert answer['debuginfo'] == 'Email address already exists: ALICE@Example.com'
    emulator.set(allowaccountssameemail=True)
    assert ws('core_user_create_users', params).json()[0]['username'] == 'alice2'


def test_password_policy_each_rule(ws, emulator):
    params = dict(ALICE)
    params['users[0][password]'] = 'ALLUPPER123#'
    answer = ws('core_user_create_users', params).json()
    assert answer['errorcode'] == '<div>Passwords must have at least 1 lower case letter(s).</div>'
    assert answer['message'] == 'error/<div>Passwords must have at least 1 lower case letter(s).</div>'
    assert emulator.state.users.get(3) is None


def test_createpassword_and_password_hash(ws, emulator):
    answer = ws('core_user_create_users', {
        'users[0][username]': 'bob', 'users[0][createpassword]': '1', 'users[0][firstname]': 'Bob',
        'users[0][lastname]': 'Builder', 'users[0][email]': 'bob@example.com'}).json()
    assert answer == [{'id': 3, 'username': 'bob'}]
    assert emulator.state.users[3]['password']
    create(ws, 'alice')
    assert emulator.state.check_password('alice', 'Secret#123')
    ws('core_user_update_users', {'users[0][id]': '4', 'users[0][password]': 'Other#987'})
    assert emulator.state.check_password('alice', 'Other#987')


def test_update_warnings_per_item_and_duplicate_username(ws, emulator):
    ids = create(ws, 'alice', 'bob')
    answer = ws('core_user_update_users', {
        'users[0][id]': str(ids['alice']), 'users[0][city]': 'Paris',
        'users[1][id]': str(ids['bob']), 'users[1][username]': 'alice',
        'users[2][id]': '999999', 'users[2][city]': 'X'}).json()
    assert answer['warnings'] == [
        {'item': 'user', 'itemid': ids['bob'], 'warningcode': 'dmlwriteexception', 'message': 'Error writing to database'},
        {'item': 'user', 'itemid': 999999, 'warningcode': 'invaliduserid', 'message': 'Invalid user ID'}]
    assert emulator.state.users[ids['alice']]['city'] == 'Paris'
    assert emulator.state.users[ids['bob']]['username'] == 'bob'


def test_reenrol_overwrites_times_and_status_and_adds_roles(ws, emulator):
    uid = create(ws, 'alice')['alice']
    ws('enrol_manual_enrol_users', {'enrolments[0][roleid]': '5', 'enrolments[0][userid]': str(uid), 'enrolments[0][courseid]': '2',
                                    'enrolments[0][timestart]': '100', 'enrolments[0][timeend]': '4102444800',
                                    'enrolments[0][suspend]': '1'})
    ue = enrolment_of(emulator, uid, 2)
    assert (ue['status'], ue['timestart'], ue['timeend']) == (1, 100, 4102444800)
    assert ws('enrol_manual_enrol_users', {'enrolments[0][roleid]': '4', 'enrolments[0][userid]': str(uid),
                                           'enrolments[0][courseid]': '2'}).text == 'null'
    ue = enrolment_of(emulator, uid, 2)
    assert (ue['status'], ue['timestart'], ue['timeend']) == (0, 0, 0)
    assert roles_in_course(emulator, uid, 2) == [4, 5]


def test_enrol_batch_all_or_nothing(ws, emulator):
    uid = create(ws, 'alice')['alice']
    answer = ws('enrol_manual_enrol_users', {
        'enrolments[0][roleid]': '5', 'enrolments[0][userid]': str(uid), 'enrolments[0][courseid]': '2',
        'enrolments[1][roleid]': '5', 'enrolments[1][userid]': str(uid), 'enrolments[1][courseid]': '999'}).json()
    assert answer['errorcode'] == 'invalidparameter'
    assert emulator.state.user_course_enrolments(uid, 2) == []
    assert roles_in_course(emulator, uid, 2) == []


def test_enrol_role_not_assignable_in_course(ws, emulator):
    uid = create(ws, 'alice')['alice']
    answer = ws('enrol_manual_enrol_users', {'enrolments[0][roleid]': '2', 'enrolments[0][userid]': str(uid),
                                             'enrolments[0][courseid]': '2'}).json()
    assert answer['errorcode'] == 'wsusercannotassign'
    assert emulator.state.user_course_enrolments(uid, 2) == []


def test_wsnoinstance(ws, emulator):
    emulator.reseed({'users': [{'id': 2, 'username': 'admin', 'firstname': 'A', 'lastname': 'U', 'email': 'a@x.test', 'siteadmin': True},
                               {'id': 3, 'username': 'alice', 'firstname': 'A', 'lastname': 'L', 'email': 'al@x.test'}],
                     'courses': [{'id': 2, 'shortname': 'NOMAN', 'manual_enrol': False}],
                     'services': [{'shortname': 'all', 'functions': ['enrol_manual_enrol_users']}],
                     'tokens': [{'name': 'full', 'token': 'f' * 32, 'user': 'admin', 'service': 'all'}]})
    answer = ws('enrol_manual_enrol_users', {'enrolments[0][roleid]': '5', 'enrolments[0][userid]': '3',
                                             'enrolments[0][courseid]': '2'}).json()
    assert answer['errorcode'] == 'wsnoinstance'


def test_unenrol_last_enrolment_removes_course_and_module_roles(ws, emulator):
    uid = create(ws, 'alice')['alice']
    ws('enrol_manual_enrol_users', {'enrolments[0][roleid]': '5', 'enrolments[0][userid]': str(uid), 'enrolments[0][courseid]': '2'})
    ws('core_role_assign_roles', {'assignments[0][roleid]': '4', 'assignments[0][userid]': str(uid),
                                  'assignments[0][contextlevel]': 'module', 'assignments[0][instanceid]': '1'})
    ws('core_role_assign_roles', {'assignments[0][roleid]': '1', 'assignments[0][userid]': str(uid),
                                  'assignments[0][contextlevel]': 'coursecat', 'assignments[0][instanceid]': '1'})
    site = emulator.state
    assert len(site.ra_by_user[uid]) == 3
    assert ws('enrol_manual_unenrol_users', {'enrolments[0][userid]': str(uid), 'enrolments[0][courseid]': '2'}).text == 'null'
    remaining = [site.role_assignments[r] for r in site.ra_by_user[uid]]
    assert [(ra['roleid'], ra['contextid']) for ra in remaining] == [(1, 3)]
    assert ws('enrol_manual_unenrol_users', {'enrolments[0][userid]': str(uid), 'enrolments[0][courseid]': '2'}).text == 'null'


def test_role_assign_contexts(ws, emulator):
    uid = create(ws, 'alice')['alice']
    for level, instance, roleid in (('system', '0', '1'), ('coursecat', '1', '2'), ('course', '3', '3'),
                                    ('module', '2', '5'), ('course', 'PHYS101', None)):
        if roleid is None:
            continue
        assert ws('core_role_assign_roles', {'assignments[0][roleid]': roleid, 'assignments[0][userid]': str(uid),
                                             'assignments[0][contextlevel]': level,
                                             'assignments[0][instanceid]': instance}).text == 'null'
    site = emulator.state
    contexts = sorted(site.role_assignments[r]['contextid'] for r in site.ra_by_user[uid])
    assert contexts == sorted([1, 3, 12, site.context_id(70, 2)])
    # again: no change, still null
    assert ws('core_role_assign_roles', {'assignments[0][roleid]': '1', 'assignments[0][userid]': str(uid),
                                         'assignments[0][contextid]': '1'}).text == 'null'
    assert len(site.ra_by_user[uid]) == 4


def test_role_assign_errors(ws, emulator):
    emulator.set(debug=True)
    uid = create(ws, 'alice')['alice']
    base = {'assignments[0][roleid]': '5', 'assignments[0][userid]': str(uid)}
    answer = ws('core_role_assign_roles', dict(base, **{'assignments[0][contextlevel]': '50', 'assignments[0][instanceid]': '2'})).json()
    assert answer['debuginfo'] == ('assignments => Invalid parameter value detected: contextlevel => Invalid parameter value detected: '
                                   'Invalid external api parameter: the value is "50", the server was expecting "alpha" type')
    answer = ws('core_role_assign_roles', dict(base, **{'assignments[0][contextlevel]': 'block', 'assignments[0][instanceid]': '1'})).json()
    assert answer['debuginfo'] == 'Can not assign roleid=5 in contextid='
    answer = ws('core_role_assign_roles', dict(base, **{'assignments[0][contextid]': '1'})).json()
    assert answer['debuginfo'] == 'Can not assign roleid=5 in contextid=1'
    answer = ws('core_role_assign_roles', dict(base, **{'assignments[0][contextlevel]': 'course', 'assignments[0][instanceid]': '99'})).json()
    assert answer['debuginfo'] == 'Context does not exist'
    answer = ws('core_role_assign_roles', {'assignments[0][roleid]': '5', 'assignments[0][userid]': '999',
                                           'assignments[0][contextlevel]': 'course', 'assignments[0][instanceid]': '2'}).json()
    assert answer['errorcode'] == 'codingerror'
    answer = ws('core_role_unassign_roles', {'unassignments[0][roleid]': '5', 'unassignments[0][userid]': str(uid),
                                             'unassignments[0][contextlevel]': 'user', 'unassignments[0][instanceid]': str(uid)}).json()
    assert answer['debuginfo'] == 'Can not unassign roleid=5 in contextid='


def test_delete_user_cascades(ws, emulator):
    uid = create(ws, 'alice')['alice']
    ws('enrol_manual_enrol_users', {'enrolments[0][roleid]': '5', 'enrolments[0][userid]': str(uid), 'enrolments[0][courseid]': '2'})
    ws('core_role_assign_roles', {'assignments[0][roleid]': '1', 'assignments[0][userid]': str(uid), 'assignments[0][contextid]': '1'})
    assert ws('core_user_delete_users', {'userids[0]': str(uid)}).text == 'null'
    site = emulator.state
    user = site.users[uid]
    assert user['deleted'] == 1
    assert user['username'].startswith('alice@example.com.')
    assert user['email'] == '6384e2b2184bcbf58eccf10ca7a6563c'
    assert not site.ra_by_user.get(uid)
    assert not site.ue_by_user.get(uid)
    assert site.context_id(30, uid) is None
    assert 'alice' not in site.user_by_username
    # deleted users are skipped by get_users but found by id
    assert ws('core_user_get_users', {'criteria[0][key]': 'email', 'criteria[0][value]': '%'}).json()['users'][-1]['id'] == 2
    assert ws('core_user_get_users_by_field', {'field': 'id', 'values[0]': str(uid)}).json()[0]['id'] == uid
    # and a second delete of the same id fails
    assert ws('core_user_delete_users', {'userids[0]': str(uid)}).json()['errorcode'] == 'invalidrecordunknown'


def test_delete_batch_all_or_nothing(ws, emulator):
    ids = create(ws, 'alice', 'bob')
    answer = ws('core_user_delete_users', {'userids[0]': str(ids['alice']), 'userids[1]': '2'}).json()
    assert answer['errorcode'] == 'useradminodelete'
    assert emulator.state.users[ids['alice']]['deleted'] == 0


def test_get_users_like_and_warnings(ws):
    create(ws, 'alice', 'alan', 'bob')
    answer = ws('core_user_get_users', {'criteria[0][key]': 'email', 'criteria[0][value]': 'al%@EXAMPLE.com',
                                        'criteria[1][key]': 'city', 'criteria[1][value]': 'x'}).json()
    assert [u['username'] for u in answer['users']] == ['alice', 'alan']
    assert answer['warnings'][0]['warningcode'] == 'invalidfieldparameter'


def test_users_by_field_uppercase_rejected(ws, emulator):
    emulator.set(debug=True)
    answer = ws('core_user_get_users_by_field', {'field': 'username', 'values[0]': 'Admin'}).json()
    assert answer['debuginfo'] == "The field 'username' value is invalid: Admin(cleaned value: admin)"


def test_enrolled_users_options(ws):
    ids = create(ws, 'alice', 'bob', 'carol')
    for name, suspend in (('alice', '0'), ('bob', '1'), ('carol', '0')):
        ws('enrol_manual_enrol_users', {'enrolments[0][roleid]': '5', 'enrolments[0][userid]': str(ids[name]),
                                        'enrolments[0][courseid]': '4', 'enrolments[0][suspend]': suspend})
    names = [u['username'] for u in ws('core_enrol_get_enrolled_users', {'courseid': '4'}).json()]
    assert names == ['alice', 'bob', 'carol']
    active = ws('core_enrol_get_enrolled_users', {'courseid': '4', 'options[0][name]': 'onlyactive', 'options[0][value]': '1'}).json()
    assert [u['username'] for u in active] == ['alice', 'carol']
    paged = ws('core_enrol_get_enrolled_users', {'courseid': '4', 'options[0][name]': 'limitfrom', 'options[0][value]': '1',
                                                 'options[1][name]': 'limitnumber', 'options[1][value]': '1'}).json()
    assert [u['username'] for u in paged] == ['bob']
    bob = ws('core_enrol_get_enrolled_users', {'courseid': '4', 'options[0][name]': 'onlysuspended', 'options[0][value]': '1'}).json()
    assert 'enrolledcourses' not in bob[0]
    assert ws('core_enrol_get_users_courses', {'userid': str(ids['bob'])}).json() == []


def test_enrolled_users_carry_only_the_fields_asked_for_and_refuse_unknown_ones(ws):
    ids = create(ws, 'alice')
    fields = {'courseid': '4', 'options[0][name]': 'userfields', 'options[0][value]': 'id,username,roles'}
    empty = ws('core_enrol_get_enrolled_users', dict(fields, **{'options[0][value]': 'id,bogus'})).json()
    assert empty == []      # user_get_user_details() checks the names, once per user: an empty course answers []
    ws('enrol_manual_enrol_users', {'enrolments[0][roleid]': '5', 'enrolments[0][userid]': str(ids['alice']),
                                    'enrolments[0][courseid]': '4'})
    alice = ws('core_enrol_get_enrolled_users', fields).json()
    # fullname always comes too (user_get_user_details adds id and fullname), as seen on 5.1
    assert sorted(alice[0]) == ['fullname', 'id', 'roles', 'username'] and alice[0]['roles'][0]['shortname'] == 'student'
    bogus = ws('core_enrol_get_enrolled_users', dict(fields, **{'options[0][value]': 'id,bogus'})).json()
    assert (bogus['errorcode'], bogus['message']) == ('invaliduserfield', 'Invalid user field: bogus')


def test_the_site_course_lists_every_user_of_the_site(ws, emulator):
    ids = create(ws, 'alice', 'bob')
    ws('core_user_delete_users', {'userids[0]': str(ids['bob'])})
    listed = ws('core_enrol_get_enrolled_users', {'courseid': '1', 'options[0][name]': 'userfields',
                                                  'options[0][value]': 'id,username'}).json()
    names = [user['username'] for user in listed]
    assert 'guest' in names and 'alice' in names and not any(name.startswith('bob') for name in names)
    assert names == [emulator.state.users[user['id']]['username'] for user in sorted(listed, key=lambda u: u['id'])]
    refused = ws('core_enrol_get_enrolled_users', {'courseid': '1', 'options[0][name]': 'onlysuspended',
                                                   'options[0][value]': '1'}).json()
    assert refused['errorcode'] == 'codingerror'


def test_unknown_function_and_access_by_token(ws, emulator):
    assert ws('core_no_such', {}).json()['errorcode'] == 'invalidrecordunknown'
    assert ws('core_user_get_users', {'criteria[0][key]': 'id', 'criteria[0][value]': '2'}, token='limited').json()['errorcode'] == 'accessexception'
    emulator.state.services[1]['enabled'] = False
    assert ws('core_webservice_get_site_info', token='full').json()['errorcode'] == 'accessexception'


def test_get_method_and_xml(ws):
    answer = ws('core_user_get_users_by_field', {'field': 'username', 'values[0]': 'admin'}, method='GET')
    assert answer.json()[0]['id'] == 2
    xml = ws('core_user_delete_users', {'userids[0]': '2'}, fmt='xml')
    assert xml.headers['Content-Type'] == 'application/xml; charset=utf-8'
    assert '<ERRORCODE>useradminodelete</ERRORCODE>' in xml.text
    null = ws('core_role_unassign_roles', {'unassignments[0][roleid]': '1', 'unassignments[0][userid]': '2',
                                           'unassignments[0][contextid]': '1'}, fmt='xml')
    assert null.text == '<?xml version="1.0" encoding="UTF-8" ?>\n<RESPONSE>\n</RESPONSE>\n'


def test_course_contacts_and_categories(ws):
    uid = create(ws, 'alice')['alice']
    ws('enrol_manual_enrol_users', {'enrolments[0][roleid]': '3', 'enrolments[0][userid]': str(uid), 'enrolments[0][courseid]': '2'})
    course = ws('core_course_get_courses_by_field', {'field': 'id', 'value': '2'}).json()['courses'][0]
    assert course['contacts'] == [{'id': uid, 'fullname': 'Alice Test'}]
    everything = ws('core_course_get_courses_by_field', {}).json()['courses']
    assert [c['shortname'] for c in everything] == ['PHYS101', 'CHEM201', 'MATH301']
    cats = ws('core_course_get_categories', {'criteria[0][key]': 'id', 'criteria[0][value]': '1', 'addsubcategories': '0'}).json()
    assert [c['id'] for c in cats] == [1]


def test_create_categories_and_courses(ws, emulator):
    cats = ws('core_course_create_categories', {'categories[0][name]': 'Science', 'categories[0][idnumber]': 'sci'}).json()
    assert cats == [{'id': 2, 'name': 'Science'}]
    answer = ws('core_course_create_courses', {
        'courses[0][fullname]': 'Biology', 'courses[0][shortname]': 'BIO1', 'courses[0][categoryid]': '2',
        'courses[1][fullname]': 'Geology', 'courses[1][shortname]': 'GEO1', 'courses[1][categoryid]': '2',
        'courses[1][idnumber]': 'geo1'}).json()
    assert answer == [{'id': 5, 'shortname': 'BIO1'}, {'id': 6, 'shortname': 'GEO1'}]
    site = emulator.state
    # The recordings site's next context id is 17 (the category), as on the real site (recordings: course contexts).
    assert (site.context_id(40, 2), site.context_id(50, 5), site.context_id(50, 6)) == (17, 18, 19)
    assert site.manual_instance(6) is not None
    assert site.courses[6]['sortorder'] < site.courses[5]['sortorder']
    again = ws('core_course_create_courses', {
        'courses[0][fullname]': 'Chem', 'courses[0][shortname]': 'CH9', 'courses[0][categoryid]': '2',
        'courses[1][fullname]': 'Bio', 'courses[1][shortname]': 'BIO1', 'courses[1][categoryid]': '2'}).json()
    assert again['errorcode'] == 'shortnametaken'
    assert 'CH9' not in site.course_by_shortname
    uid = create(ws, 'alice')['alice']
    assert ws('enrol_manual_enrol_users', {'enrolments[0][roleid]': '5', 'enrolments[0][userid]': str(uid),
                                           'enrolments[0][courseid]': '6'}).text == 'null'
    got = ws('core_course_get_courses_by_field', {'field': 'idnumber', 'value': 'geo1'}).json()['courses']
    assert [(c['id'], c['categoryname'], c['enrollmentmethods']) for c in got] == [(6, 'Science', ['manual'])]


# Enrolments by other methods and role assignments owned by a component: what the real 4.5 and 5.1 sites
# answered to the same calls after the same seed (hacking/real_site/seed.php; docs/test-site.md).
OTHER_METHODS_SEED = {
    'extends': 'recordings',
    'settings': {'companion_plugin': True},
    'users': [{'id': 10 + index, 'username': name, 'firstname': name.title(), 'lastname': 'T', 'email': '%s@example.com' % name}
              for index, name in enumerate(('alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina'))],
    'role_assignments': [
        {'user': 'carol', 'role': 'student', 'contextlevel': 'course', 'instance': 'CHEM201', 'component': 'enrol_cohort', 'itemid': 1},
        {'user': 'dave', 'role': 'student', 'contextlevel': 'course', 'instance': 'CHEM201', 'component': 'enrol_cohort', 'itemid': 1},
        {'user': 'dave', 'role': 'manager', 'contextlevel': 'coursecat', 'instance': 1, 'component': 'enrol_cohort', 'itemid': 7},
        {'user': 'frank', 'role': 'teacher', 'contextlevel': 'course', 'instance': 'PHYS101', 'component': 'enrol_cohort', 'itemid': 1},
        # itemid 1: PHYS101's manual instance, on the emulator and on both real sites
        {'user': 'gina', 'role': 'teacher', 'contextlevel': 'course', 'instance': 'PHYS101', 'component': 'enrol_manual', 'itemid': 1}],
    'enrolments': [
        {'user': 'alice', 'course': 'PHYS101', 'method': 'self'},
        {'user': 'bob', 'course': 'PHYS101'},
        {'user': 'bob', 'course': 'PHYS101', 'method': 'self'},
        {'user': 'carol', 'course': 'CHEM201'},
        {'user': 'erin', 'course': 'MATH301', 'method': 'cohort'},
        {'user': 'frank', 'course': 'PHYS101'},
        {'user': 'gina', 'course': 'PHYS101'},
        {'user': 'gina', 'course': 'PHYS101', 'method': 'self'}],
}


def assignments(emulator, *usernames):
    """(username, role, contextlevel, course or instance id, component) of these users' role assignments."""
    site = emulator.state
    names = {site.user_by_username[name]: name for name in usernames}
    result = []
    for ra in site.role_assignments.values():
        if ra['userid'] in names:
            ctx = site.contexts[ra['contextid']]
            instance = site.courses[ctx['instanceid']]['shortname'] if ctx['contextlevel'] == 50 else ctx['instanceid']
            result.append((names[ra['userid']], site.roles[ra['roleid']]['shortname'], ctx['contextlevel'], instance, ra['component']))
    return sorted(result)


def enrolled_usernames(ws, emulator, courseid):
    names = {uid: user['username'] for uid, user in emulator.state.users.items()}
    return sorted(names[user['id']] for user in ws('core_enrol_get_enrolled_users', {'courseid': str(courseid)}).json())


def test_manual_unenrol_keeps_other_methods_enrolments(ws, emulator):
    emulator.reseed(OTHER_METHODS_SEED)
    site = emulator.state
    uid = site.user_by_username
    assert enrolled_usernames(ws, emulator, 2) == ['alice', 'bob', 'frank', 'gina']
    for user, course in (('alice', 2), ('bob', 2), ('erin', 4), ('frank', 2), ('gina', 2)):
        answer = ws('enrol_manual_unenrol_users', {'enrolments[0][userid]': str(uid[user]), 'enrolments[0][courseid]': str(course)})
        assert answer.status_code == 200 and answer.text == 'null', user
    # self enrolled (alice), or manually and by self (bob, gina): still enrolled by self, with the student role;
    # frank's manual enrolment was his last one: every role in the course went, the cohort's teacher role too
    assert enrolled_usernames(ws, emulator, 2) == ['alice', 'bob', 'gina']
    assert enrolled_usernames(ws, emulator, 4) == ['erin']
    assert [site.enrol_instances[ue['enrolid']]['enrol'] for ue in site.user_course_enrolments(uid['bob'], 2)] == ['self']
    assert [site.enrol_instances[ue['enrolid']]['enrol'] for ue in site.user_course_enrolments(uid['erin'], 4)] == ['cohort']
    assert site.user_course_enrolments(uid['frank'], 2) == []
    # gina's teacher role owned by the manual instance went with the manual enrolment; her student role stayed
    assert assignments(emulator, 'alice', 'bob', 'erin', 'frank', 'gina') == [
        ('alice', 'student', 50, 'PHYS101', ''), ('bob', 'student', 50, 'PHYS101', ''),
        ('erin', 'student', 50, 'MATH301', 'enrol_cohort'), ('gina', 'student', 50, 'PHYS101', '')]


def test_unassign_roles_keeps_component_owned_assignments(ws, emulator):
    emulator.reseed(OTHER_METHODS_SEED)
    uid = emulator.state.user_by_username
    calls = [(5, 'carol', 'course', 3), (5, 'dave', 'course', 3), (5, 'erin', 'course', 4), (1, 'dave', 'coursecat', 1)]
    for roleid, user, level, instance in calls:
        answer = ws('core_role_unassign_roles', {
            'unassignments[0][roleid]': str(roleid), 'unassignments[0][userid]': str(uid[user]),
            'unassignments[0][contextlevel]': level, 'unassignments[0][instanceid]': str(instance)})
        assert answer.status_code == 200 and answer.text == 'null', user
    # carol's student role from her manual enrolment went; every assignment a component owns stayed
    assert assignments(emulator, 'carol', 'dave', 'erin') == [
        ('carol', 'student', 50, 'CHEM201', 'enrol_cohort'), ('dave', 'manager', 40, 1, 'enrol_cohort'),
        ('dave', 'student', 50, 'CHEM201', 'enrol_cohort'), ('erin', 'student', 50, 'MATH301', 'enrol_cohort')]
    # as local_lmsops_get_role_assignments answered on 5.1 (ids aside)
    answer = ws('local_lmsops_get_role_assignments', {'contexts[0][contextlevel]': 'course', 'contexts[0][instanceid]': '3',
                                                      'userids[0]': str(uid['carol']), 'userids[1]': str(uid['dave'])}).json()
    assert [{key: value for key, value in item.items() if key not in ('id', 'userid')} for item in answer['assignments']] == [
        {'roleid': 5, 'contextid': 12, 'contextlevel': 'course', 'instanceid': 3, 'component': 'enrol_cohort', 'itemid': 1}] * 2
    assert [item['userid'] for item in answer['assignments']] == [uid['carol'], uid['dave']]


def test_reseed_refuses_what_a_real_site_refuses(emulator):
    import requests  # pylint: disable=import-outside-toplevel

    answer = requests.post(emulator.control_url + '/reseed', json={'seed': {
        'extends': 'recordings', 'enrolments': [{'user': 'admin', 'course': 'PHYS101', 'method': 'guest'}]}}, timeout=30)
    assert answer.status_code == 400 and 'guest method holds no enrolments' in answer.json()['error']
    assert emulator.state.course_enrolments(2) == []


def test_a_value_longer_than_its_user_column_is_a_database_error_as_on_postgresql(ws, emulator):
    # Seen on the real sites (PostgreSQL): create rolls the whole batch back, update answers a warning.
    long_name = 'F' * 101
    answer = ws('core_user_create_users', {
        'users[0][username]': 'okay', 'users[0][password]': 'Secret#123', 'users[0][firstname]': 'Okay',
        'users[0][lastname]': 'Test', 'users[0][email]': 'okay@example.com',
        'users[1][username]': 'toolong', 'users[1][password]': 'Secret#123', 'users[1][firstname]': long_name,
        'users[1][lastname]': 'Test', 'users[1][email]': 'toolong@example.com'}).json()
    assert answer['errorcode'] == 'dmlwriteexception'
    assert 'okay' not in emulator.state.user_by_username
    uid = create(ws, 'alice')['alice']
    answer = ws('core_user_update_users', {'users[0][id]': str(uid), 'users[0][firstname]': long_name}).json()
    assert answer['warnings'][0]['warningcode'] == 'dmlwriteexception'
    assert emulator.state.users[uid]['firstname'] == 'Alice'
