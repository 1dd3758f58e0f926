# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_role_assignment run as main() runs it (argument spec, base, plan, apply) against the emulator
(conftest.py), with the companion plugin and without it; the pure helpers on their own."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible_collections.lmsops.moodle.plugins.modules import moodle_role_assignment as module
from ansible_collections.lmsops.moodle.plugins.modules.moodle_enrolment import MoodleEnrolmentModule
from ansible_collections.lmsops.moodle.plugins.modules.moodle_role_assignment import (
    MoodleRoleAssignmentModule, instance_field)
from ansible_collections.lmsops.moodle.plugins.modules.moodle_user import MoodleUserModule
from ansible_collections.lmsops.moodle.tests.unit.plugins.module_args import patch_module_args
from ansible_collections.lmsops.moodle.tests.unit.plugins.modules.conftest import writes

# Moodle's standard roles with their default context levels, and a custom role a site may add (parents, mentors).
STANDARD_ROLES = [(1, 'manager', ['system', 'coursecat', 'course']), (2, 'coursecreator', ['system', 'coursecat']),
                  (3, 'editingteacher', ['course', 'module']), (4, 'teacher', ['course', 'module']),
                  (5, 'student', ['course', 'module']), (6, 'guest', []), (7, 'user', []), (8, 'frontpage', [])]
PARENT = {'id': 9, 'shortname': 'parent', 'archetype': '', 'contextlevels': ['user']}


def roles(**renamed):
    """The seed's roles: the standard ones (``renamed``: id<N>=another shortname, as on a site whose roles were
    recreated) and the parent role."""
    return [{'id': rid, 'shortname': renamed.get('id%d' % rid, name), 'archetype': name, 'contextlevels': levels}
            for rid, name, levels in STANDARD_ROLES] + [PARENT]


# The site of these tests: the recordings' site (PHYS101, CHEM201, MATH301 in category 1; course modules 1-3 in
# PHYS101), a category with an idnumber, and alice (student in PHYS101 and CHEM201), bob (editingteacher in PHYS101)
# and carol (enrolled nowhere), all enrolled manually, so their course roles have no component.
BASE = {
    'extends': 'recordings',
    'roles': roles(),
    'users': [{'id': 3, 'username': 'alice', 'firstname': 'Alice', 'lastname': 'A', 'email': 'alice@example.com',
               'idnumber': 'A-1'},
              {'id': 4, 'username': 'bob', 'firstname': 'Bob', 'lastname': 'B', 'email': 'bob@example.com'},
              {'id': 5, 'username': 'carol', 'firstname': 'Carol', 'lastname': 'C', 'email': 'carol@example.com'}],
    'categories': [{'id': 2, 'name': 'Science', 'idnumber': 'CAT1', 'parent': 0}],
    'enrolments': [{'user': 'alice', 'course': 'PHYS101', 'role': 'student'},
                   {'user': 'bob', 'course': 'PHYS101', 'role': 'editingteacher'},
                   {'user': 'alice', 'course': 'CHEM201', 'role': 'student'}],
}
PHYS101, CHEM201 = 2, 3
ASSIGN, UNASSIGN = 'core_role_assign_roles', 'core_role_unassign_roles'
ENROLLED_USERS = 'core_enrol_get_enrolled_users'


def seed(**changes):
    """BASE with more users, categories, enrolments, role_assignments... (added to BASE's lists), other roles, or
    settings and generate (as given)."""
    data = dict(BASE)
    for key, value in changes.items():
        data[key] = list(BASE.get(key, [])) + value if isinstance(value, list) and key != 'roles' else value
    return data


def held(emulator):
    """The site's role assignments: {(username, role, contextlevel, instanceid, component)}."""
    state = emulator.dump()
    names = dict((user['id'], user['username']) for user in state['users'])
    return set((names[ra['userid']], ra['role'], ra['contextlevel'], ra['instanceid'], ra['component'])
               for ra in state['role_assignments'])


def called(emulator):
    """The functions of the requests made, in order."""
    return [entry['wsfunction'] for entry in emulator.requests]


def items_sent(emulator):
    """How many assignments each write request carried (4 form fields each, besides wstoken, wsfunction and the
    format), with its error code."""
    return [((entry['fields'] - 3) // 4, entry['errorcode']) for entry in emulator.requests if entry['write']]


@pytest.fixture
def site(emulator):
    """The emulator on BASE, without the companion plugin."""
    emulator.reseed(BASE)
    return emulator


@pytest.fixture
def plugin(site):
    """The emulator on BASE, with the companion plugin."""
    site.set(companion_plugin=True)
    return site


@pytest.fixture(params=['core', 'plugin'])
def mode(request, site):
    """'core' or 'plugin': the emulator on BASE, with the companion plugin or without it."""
    site.set(companion_plugin=request.param == 'plugin')
    return request.param


@pytest.fixture
def run(run_on_emulator):
    """run(check_mode=False, diff=False, **options): moodle_role_assignment's result, as main() runs it."""
    def run_assignment(check_mode=False, diff=False, **options):
        return run_on_emulator(MoodleRoleAssignmentModule, check_mode=check_mode, diff=diff, **options)
    return run_assignment


# -- instance_field and validate_item (no site) ------------------------------------------------------

@pytest.mark.parametrize('context, default', [('course', 'shortname'), ('category', 'id'), ('user', 'username'),
                                              ('module', 'id'), ('block', 'id'), ('system', None)])
def test_instance_field_defaults_depend_on_the_context(context, default):
    assert instance_field({'context': context}) == default
    if default:
        assert instance_field({'context': context, 'instance_field': 'idnumber'}) == 'idnumber'


@pytest.mark.parametrize('item, words', [
    ({'context': 'system', 'instance': 'x'}, ['context=system has no instance']),
    ({'context': 'system', 'instance': None, 'instance_field': 'id'}, ['remove instance_field']),
    ({'context': 'course', 'instance': None}, ['context=course needs instance', 'shortname']),
    ({'context': 'category', 'instance': 'Science', 'instance_field': 'shortname'},
     ['instance_field=shortname does not identify a category', 'id or idnumber']),
    ({'context': 'module', 'instance': 'forum', 'instance_field': None}, ["'forum' is not a module id"]),
    ({'context': 'block', 'instance': 3, 'instance_field': 'username'}, ['use id']),
    ({'context': 'user', 'instance': 'Bob'}, ['lowercase username']),
    ({'user': 'Alice'}, ["'Alice' must be lowercase", "'alice'"]),
    ({'user': 'alice', 'user_field': 'id'}, ["'alice' is not a user id"]),
    ({'role': None}, ['give role', 'role_id']),
    ({'role': None, 'role_id': 0}, ['role_id must be a positive role id']),
])
def test_validate_item_names_each_problem(item, words):
    full = dict(user='alice', user_field='username', role='teacher', role_id=None, context='course',
                instance='PHYS101', instance_field=None, state='present')
    full.update(item)
    problems = MoodleRoleAssignmentModule.validate_item(None, full)
    assert len(problems) == 1, problems
    for word in words:
        assert word in problems[0]


def test_valid_items_have_no_problems():
    base = dict(user='alice', user_field='username', role='teacher', role_id=None, state='present', instance_field=None)
    for context, instance, field in [('system', None, None), ('course', 'PHYS101', None), ('course', 2, 'id'),
                                     ('category', '1', None), ('category', 'CAT1', 'idnumber'), ('module', '12', None),
                                     ('user', 'bob', None), ('user', 'bob@example.com', 'email'), ('block', 7, None)]:
        item = dict(base, context=context, instance=instance, instance_field=field)
        assert MoodleRoleAssignmentModule.validate_item(None, item) == []


# -- the entry point ------------------------------------------------------------------------------

def test_main_runs_the_module_against_the_site(site, capsys):
    args = dict(url=site.url, token=site.tokens['full'], user='carol', role='teacher', instance='PHYS101')
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    result = json.loads(capsys.readouterr().out)
    assert result['changed'] and result['assignment']['action'] == 'assigned'
    assert ('carol', 'teacher', 'course', PHYS101, '') in held(site)


# -- bad input fails before anything is written -----------------------------------------------------

def test_bad_items_fail_the_run_naming_each_and_nothing_is_written(mode, site, run):
    before = held(site)
    result = run(assignments=[
        {'user': 'alice', 'role': 'teacher', 'instance': 'PHYS101'},
        {'user': 'alice', 'role': 'teacher', 'context': 'system', 'instance': 'x'},
        {'user': 'alice', 'role': 'teacher', 'context': 'category'},
        {'user': 'alice', 'role': 'teacher', 'instance': 'PHYS101'},
        {'user': 'zoe', 'role': 'teacher', 'instance': 'PHYS101'},
    ])
    assert result['failed'] and not result['changed']
    # Problems found without reading and those found on the site are reported together.
    assert len(result['errors']) == 4
    assert 'assignments[1] (alice: teacher in system)' in result['msg']
    assert 'assignments[3]' in result['msg'] and 'same assignment as assignments[0]' in result['msg']
    assert "assignments[4] (zoe: teacher in course PHYS101): no user with username 'zoe'" in result['msg']
    assert [e.split(' ')[0] for e in result['errors']] == [
        'assignments[1]', 'assignments[2]', 'assignments[3]', 'assignments[4]']     # in the order given
    assert writes(site) == [] and held(site) == before


def test_only_invalid_items_read_nothing_but_the_service_s_functions(site, run):
    result = run(user='alice', role='teacher', context='system', instance='x')
    assert result['failed'] and result['errors'] == [
        "alice: teacher in system: context=system has no instance (got 'x'); remove instance"]
    # The site info (which functions the service offers) is read before anything: nothing else is.
    assert called(site) == ['core_webservice_get_site_info']


def test_role_and_role_id_together_are_refused_before_any_request(site, run):
    result = run(user='alice', role='teacher', role_id=4, instance='PHYS101')
    assert result['failed'] and 'mutually exclusive' in result['msg']
    assert called(site) == []


def test_unknown_user_course_category_and_role_are_named(mode, site, run):
    result = run(assignments=[
        {'user': 'zoe', 'role': 'teacher', 'instance': 'PHYS101'},
        {'user': 'alice', 'role': 'teacher', 'instance': 'NOPE101'},
        {'user': 'alice', 'role_id': 1, 'context': 'category', 'instance': 99},
        {'user': 'alice', 'role': 'tutor', 'instance': 'PHYS101'},
        {'user': 'alice', 'role': 'guardian', 'context': 'user', 'instance': 'nobody'},
    ])
    msg = result['msg']
    assert result['failed'] and len(result['errors']) == 6
    assert "assignments[0] (zoe: teacher in course PHYS101): no user with username 'zoe'" in msg
    assert "no course with shortname 'NOPE101'" in msg
    assert "no course category with id '99'" in msg
    if mode == 'core':
        assert "no role with shortname 'tutor': it is not a standard Moodle role" in msg and 'role_id' in msg
    else:       # the site's own roles were read
        assert "no role with shortname 'tutor' on this site (its roles: coursecreator, " in msg and ', parent, ' in msg
    assert "instance: no user with username 'nobody'" in msg
    assert writes(site) == []


def test_the_same_assignment_named_two_ways_is_a_duplicate(mode, site, run):
    result = run(assignments=[
        {'user': 'alice', 'role': 'teacher', 'instance': 'PHYS101'},
        {'user': '3', 'user_field': 'id', 'role_id': 4, 'instance': 2, 'instance_field': 'id', 'state': 'absent'},
    ])
    assert result['failed'] and 'assignments[1]' in result['msg']
    assert 'same assignment as assignments[0]' in result['msg']
    assert writes(site) == []


def test_a_role_not_assignable_at_that_level_fails_before_any_write(mode, site, run):
    result = run(assignments=[
        {'user': 'bob', 'role_id': 2, 'context': 'system'},
        {'user': 'alice', 'role_id': 5, 'context': 'system'},
    ])
    assert result['failed'] and len(result['errors']) == 1
    error = result['errors'][0]
    assert error.startswith('assignments[1] (alice: role_id 5 in system)')
    assert 'role student (id 5) cannot be assigned at system level' in error
    assert 'it can be assigned in: course, module' in error
    assert ("Moodle's default settings" if mode == 'core' else 'on this site') in error
    assert writes(site) == [] and not [ra for ra in held(site) if ra[2] == 'system']


# -- course contexts: read exactly, with the plugin and without it ---------------------------------------

def test_course_role_of_an_enrolled_user_is_read_and_compared(mode, site, run):
    args = dict(user='alice', role='teacher', context='course', instance='PHYS101')
    check = run(check_mode=True, diff=True, **args)
    assert check['changed'] and check['assignment']['action'] == 'assigned'
    assert check['assignment']['verified'] is True
    assert check['diff'][0]['before'] == {'assigned': False} and check['diff'][0]['after'] == {'assigned': True}
    assert writes(site) == []
    applied = run(**args)
    assert applied['changed'] and applied['assignment'] == dict(
        user='alice', userid=3, role='teacher', roleid=4, context='course', instance='PHYS101', contextlevel='course',
        instanceid=PHYS101, action='assigned', verified=True)
    assert items_sent(site) == [(1, None)] and writes(site) == [(ASSIGN, None)]
    assert ('alice', 'teacher', 'course', PHYS101, '') in held(site)
    assert ('alice', 'student', 'course', PHYS101, '') in held(site)        # her other role stays
    repeated = run(**args)
    assert not repeated['changed'] and repeated['assignment']['action'] == 'unchanged'
    assert writes(site) == [] and repeated['warnings'] == []


def test_removing_a_course_role_then_again(mode, site, run):
    args = dict(user='alice', role='student', instance='PHYS101', state='absent')
    removed = run(**args)
    assert removed['changed'] and removed['assignment']['action'] == 'unassigned'
    assert removed['assignment']['verified'] is True
    assert writes(site) == [(UNASSIGN, None)]
    assert ('alice', 'student', 'course', PHYS101, '') not in held(site)
    assert ('alice', 'student', 'course', CHEM201, '') in held(site)
    again = run(**args)
    assert not again['changed'] and again['assignment']['action'] == 'unchanged'
    assert again['assignment']['verified'] is True and writes(site) == []


def test_instance_by_idnumber_and_id(mode, site, run):
    result = run(assignments=[
        {'user': 'alice', 'role': 'student', 'instance': 'phys101', 'instance_field': 'idnumber'},
        {'user': 'alice@example.com', 'user_field': 'email', 'role': 'student', 'instance': '3',
         'instance_field': 'id'},
    ])
    assert not result['changed'] and result['summary'] == {'unchanged': 2}
    assert [(a['userid'], a['instanceid'], a['verified']) for a in result['assignments']] == [
        (3, PHYS101, True), (3, CHEM201, True)]
    assert writes(site) == []


def test_options_given_next_to_the_list_are_every_assignment_s_defaults(mode, site, run):
    removed = run(role='student', instance='PHYS101', state='absent',
                  assignments=[{'user': 'alice'}, {'user': 'bob', 'role_id': 3}])
    assert [(a['user'], a['roleid'], a['action']) for a in removed['assignments']] == [
        ('alice', 5, 'unassigned'), ('bob', 3, 'unassigned')]
    assert writes(site) == [(UNASSIGN, None)] and items_sent(site) == [(2, None)]
    assert not [ra for ra in held(site) if ra[3] == PHYS101 and ra[2] == 'course']
    assert ('alice', 'student', 'course', CHEM201, '') in held(site)


def test_course_roles_of_many_users_are_written_in_batches_under_max_input_vars_and_read_once(mode, site, run):
    users = ['user%04d' % n for n in range(1, 301)]
    site.reseed(seed(generate={'users': 300}, enrolments=[
        {'user': name, 'course': 'PHYS101', 'roles': []} for name in users]))     # enrolled with no role yet
    site.set(companion_plugin=mode == 'plugin')
    items = [{'user': name, 'role': 'student', 'instance': 'PHYS101'} for name in users]
    result = run(assignments=items, max_input_vars=1000)
    assert result['summary'] == {'assigned': 300} and all(a['verified'] for a in result['assignments'])
    # 4 fields an assignment: 249 fit a request under max_input_vars=1000, so two requests.
    assert items_sent(site) == [(249, None), (51, None)]
    assert all(entry['fields'] < 1000 for entry in site.requests)
    assert called(site).count(ENROLLED_USERS) == (1 if mode == 'core' else 0)
    assert len([ra for ra in held(site) if ra[1:] == ('student', 'course', PHYS101, '')]) == 301   # and alice
    again = run(assignments=items, max_input_vars=1000)
    assert again['summary'] == {'unchanged': 300} and writes(site) == []


# -- core: enrolled users resolve from the course read ---------------------------------------------------

def test_enrolled_users_are_resolved_from_the_course_read_and_other_users_looked_up_once(site, run):
    done = run(assignments=[
        {'user': 'alice', 'role': 'student', 'instance': 'PHYS101'},
        {'user': 'bob', 'role': 'editingteacher', 'instance': 'PHYS101'},
        {'user': 'carol', 'role': 'student', 'instance': 'PHYS101'},
        {'user': 'carol', 'role_id': 1, 'context': 'category', 'instance': 'CAT1', 'instance_field': 'idnumber'}])
    assert [a['action'] for a in done['assignments']] == ['unchanged', 'unchanged', 'assigned', 'assigned']
    # alice and bob are PHYS101's enrolled users: only carol is looked up, once for both of her items.
    assert called(site).count('core_user_get_users_by_field') == 1 and called(site).count(ENROLLED_USERS) == 1
    assert set([('carol', 'student', 'course', PHYS101, ''), ('carol', 'manager', 'coursecat', 2, '')]) <= held(site)


def test_a_shared_idnumber_found_among_enrolled_users_is_checked_site_wide_before_a_write(site, run):
    site.reseed(seed(users=[{'id': 6, 'username': 'alice2', 'firstname': 'Alice', 'lastname': 'Two',
                             'email': 'a2@example.com', 'idnumber': 'A-1'}]))
    same = run(user='A-1', user_field='idnumber', role='student', instance='PHYS101')
    assert same['assignment']['action'] == 'unchanged' and 'core_user_get_users_by_field' not in called(site)
    failed = run(user='A-1', user_field='idnumber', role='teacher', instance='PHYS101')
    assert failed['failed'] and '2 users have idnumber' in failed['msg'] and writes(site) == []
    assert called(site).count('core_user_get_users_by_field') == 1


# -- core: a role held through a component ------------------------------------------------------------

def test_a_role_held_through_a_component_is_never_reported_removed(site, run):
    # alice: student in PHYS101 manually and through cohort sync.
    site.reseed(seed(enrolments=[{'user': 'alice', 'course': 'PHYS101', 'role': 'student', 'method': 'cohort'}]))
    args = dict(user='alice', role='student', instance='PHYS101', state='absent')
    first = run(**args)
    assert not first.get('failed')
    assert first['assignment']['action'] == 'unchanged' and not first['changed']
    assert any('cohort sync' in w for w in first['warnings'])
    assert writes(site) == [(UNASSIGN, None)]
    assert ('alice', 'student', 'course', PHYS101, 'enrol_cohort') in held(site)
    assert ('alice', 'student', 'course', PHYS101, '') not in held(site)
    again = run(**args)
    assert again['assignment']['action'] == 'unchanged' and not again['changed']
    assert any('cohort sync' in w for w in again['warnings'])
    # Core Moodle shows the role, not who holds it: the unassign is sent again, and Moodle again keeps the role.
    assert writes(site) == [(UNASSIGN, None)]
    assert ('alice', 'student', 'course', PHYS101, 'enrol_cohort') in held(site)


def test_with_the_plugin_a_component_s_role_is_told_apart_from_the_manual_one(plugin, run):
    plugin.reseed(seed(enrolments=[{'user': 'alice', 'course': 'PHYS101', 'role': 'student', 'method': 'cohort'}],
                       settings={'companion_plugin': True}))
    removed = run(user='alice', role='student', instance='PHYS101', state='absent')
    assert removed['changed'] and removed['assignment']['action'] == 'unassigned'
    assert any('enrol_cohort' in w for w in removed['warnings'])
    assert ('alice', 'student', 'course', PHYS101, 'enrol_cohort') in held(plugin)
    assert ('alice', 'student', 'course', PHYS101, '') not in held(plugin)


def test_with_the_plugin_a_role_held_only_through_a_component_is_not_a_manual_one(plugin, run):
    plugin.reseed(seed(enrolments=[{'user': 'carol', 'course': 'CHEM201', 'role': 'student', 'method': 'cohort'}],
                       settings={'companion_plugin': True}))
    present = run(check_mode=True, user='carol', role='student', instance='CHEM201')
    assert present['assignment']['action'] == 'assigned' and present['assignment']['verified'] is True
    absent = run(user='carol', role='student', instance='CHEM201', state='absent')
    assert not absent['changed'] and absent['assignment']['action'] == 'unchanged'
    assert any('enrol_cohort' in w for w in absent['warnings'])
    assert writes(plugin) == []
    assert ('carol', 'student', 'course', CHEM201, 'enrol_cohort') in held(plugin)


# -- core: where nothing can be read -----------------------------------------------------------------

def test_system_and_category_converge_unverified_with_one_warning(site, run):
    items = [{'user': 'bob', 'role_id': 2, 'context': 'system'},
             {'user': 'carol', 'role_id': 1, 'context': 'category', 'instance': 1},
             {'user': 'alice', 'role_id': 1, 'context': 'category', 'instance': 'CAT1', 'instance_field': 'idnumber',
              'state': 'absent'}]
    result = run(assignments=items)
    assert result['changed']
    assert [(a['action'], a['verified']) for a in result['assignments']] == [
        ('assigned', False), ('assigned', False), ('unassigned', False)]
    assert [(a['contextlevel'], a['instanceid']) for a in result['assignments']] == [
        ('system', 0), ('coursecat', 1), ('coursecat', 2)]
    assert writes(site) == [(UNASSIGN, None), (ASSIGN, None)] and items_sent(site) == [(1, None), (2, None)]
    assert set([('bob', 'coursecreator', 'system', 0, ''), ('carol', 'manager', 'coursecat', 1, '')]) <= held(site)
    unread = [w for w in result['warnings'] if 'cannot be read through core Moodle' in w]
    assert len(unread) == 1 and 'local_lmsops' in unread[0] and 'verified=false' in unread[0]
    assert 'assignments[0]' in unread[0] and 'assignments[2]' in unread[0]
    assert not [w for w in result['warnings'] if 'standard roles of a fresh Moodle install' in w]
    # Repeating cannot be told apart from the first run: sent again, reported again; Moodle changes nothing.
    before = held(site)
    again = run(assignments=items[:1])
    assert again['changed'] and again['assignments'][0]['verified'] is False
    assert writes(site) == [(ASSIGN, None)] and held(site) == before


def test_check_mode_where_nothing_can_be_read_predicts_the_call(site, run):
    result = run(check_mode=True, diff=True, user='bob', role_id=2, context='system')
    assert result['changed'] and result['assignment']['action'] == 'assigned'
    assert result['diff'][0]['before'] == {'assigned': 'unknown'}
    assert any('would be sent' in w for w in result['warnings'])
    assert writes(site) == [] and ('bob', 'coursecreator', 'system', 0, '') not in held(site)


def test_a_user_not_enrolled_in_the_course_is_unverified_without_the_plugin(mode, site, run):
    args = dict(user='carol', role='teacher', instance='PHYS101')
    result = run(**args)
    assert result['assignment']['action'] == 'assigned' and writes(site) == [(ASSIGN, None)]
    # Moodle assigns a course role to a user enrolled nowhere in the course.
    assert ('carol', 'teacher', 'course', PHYS101, '') in held(site)
    again = run(**args)
    if mode == 'core':
        assert result['assignment']['verified'] is False
        assert any('not enrolled in the course' in w for w in result['warnings'])
        assert again['changed'] and again['assignment']['verified'] is False and writes(site) == [(ASSIGN, None)]
    else:
        assert result['assignment']['verified'] is True and result['warnings'] == []
        assert not again['changed'] and again['assignment']['action'] == 'unchanged' and writes(site) == []


def test_role_id_of_a_custom_role_is_sent_as_is(mode, site, run):
    result = run(user='bob', role_id=9, context='user', instance='alice')
    assert result['changed'] and result['assignment']['roleid'] == 9
    assert result['assignment']['instanceid'] == 3 and result['assignment']['contextlevel'] == 'user'
    assert writes(site) == [(ASSIGN, None)] and ('bob', 'parent', 'user', 3, '') in held(site)
    assert not any('standard roles' in w for w in result['warnings'])
    if mode == 'core':      # core Moodle cannot name a role it does not show in a course
        assert result['assignment']['role'] is None and result['assignment']['verified'] is False
    else:
        assert result['assignment']['role'] == 'parent' and result['assignment']['verified'] is True


def test_without_the_plugin_a_role_id_the_site_does_not_have_is_refused_by_moodle_alone(site, run):
    result = run(assignments=[{'user': 'bob', 'role_id': 77, 'context': 'user', 'instance': 'alice'},
                              {'user': 'carol', 'role_id': 9, 'context': 'user', 'instance': 'alice'}])
    assert result['failed'] and [a['action'] for a in result['assignments']] == ['failed', 'assigned']
    assert result['assignments'][0]['failed'].startswith('core_role_assign_roles: Invalid parameter value detected')
    assert items_sent(site) == [(2, 'invalidparameter'), (1, 'invalidparameter'), (1, None)]
    assert [ra for ra in held(site) if ra[2] == 'user'] == [('carol', 'parent', 'user', 3, '')]


@pytest.mark.parametrize('debug', [False, True])
def test_a_rejected_item_is_isolated_and_the_rest_applied(site, run, debug):
    site.set(debug=debug)
    result = run(assignments=[
        {'user': 'alice', 'role': 'teacher', 'instance': 'PHYS101'},
        {'user': 'bob', 'role': 'student', 'context': 'module', 'instance': 99},     # no course module 99
        {'user': 'alice', 'role': 'teacher', 'instance': 'CHEM201'},
    ])
    assert result['failed']
    assert [a['action'] for a in result['assignments']] == ['assigned', 'failed', 'assigned']
    failed = result['assignments'][1]['failed']
    assert failed.startswith('core_role_assign_roles: Invalid parameter value detected') and 'module 99 exist' in failed
    # Moodle tells why (its debuginfo) only with debugging on.
    assert ('Context does not exist' in failed) == debug
    # The batch of 3 is refused as a whole, then sent again in halves until the bad item is alone.
    assert items_sent(site) == [(3, 'invalidparameter'), (1, None), (2, 'invalidparameter'), (1, 'invalidparameter'),
                                (1, None)]
    assert set([('alice', 'teacher', 'course', PHYS101, ''), ('alice', 'teacher', 'course', CHEM201, '')]) <= held(site)
    assert not [ra for ra in held(site) if ra[2] == 'module']


@pytest.mark.parametrize('drop, first', [('before', 'failed'), ('after', 'assigned')])
def test_a_lost_answer_is_reported_from_a_re_read(site, run, drop, first):
    site.faults(drop=drop, functions=[ASSIGN])
    result = run(assignments=[
        {'user': 'alice', 'role': 'teacher', 'instance': 'PHYS101'},
        {'user': 'bob', 'role_id': 2, 'context': 'system'},
    ])
    assert result['failed'] and 'Re-read the site' in result['msg']
    assert writes(site) == [(ASSIGN, None)]         # a write whose answer is lost is not sent again
    # The readable item is seen applied or not; the unreadable one cannot be known.
    assert [a['action'] for a in result['assignments']] == [first, 'unknown']
    assert (('alice', 'teacher', 'course', PHYS101, '') in held(site)) == (drop == 'after')
    assert (('bob', 'coursecreator', 'system', 0, '') in held(site)) == (drop == 'after')


def test_an_assignment_another_writer_made_while_moodle_refused_this_call_is_unchanged(site, run):
    site.faults(functions=[ASSIGN], concurrent={'role_assignments': [
        {'user': 'alice', 'role': 'teacher', 'contextlevel': 'course', 'instance': 'PHYS101'}]})
    result = run(assignments=[
        {'user': 'alice', 'role': 'teacher', 'instance': 'PHYS101'},
        {'user': 'bob', 'role': 'student', 'context': 'module', 'instance': 99},
        {'user': 'alice', 'role': 'teacher', 'instance': 'CHEM201'},
    ])
    assert [a['action'] for a in result['assignments']] == ['unchanged', 'failed', 'assigned']
    assert any('another writer assigned these roles' in w and 'reported unchanged' in w for w in result['warnings'])
    assert not any('Moodle applied the write' in w for w in result['warnings'])
    # alice's PHYS101 assignment is not sent again after the re-read showed it: the other two go on, then in halves.
    assert items_sent(site) == [(3, 'invalidparameter'), (2, 'invalidparameter'), (1, 'invalidparameter'), (1, None)]
    assert set([('alice', 'teacher', 'course', PHYS101, ''), ('alice', 'teacher', 'course', CHEM201, '')]) <= held(site)


# -- core: role ids assumed from a fresh install, cross-checked ----------------------------------------------

def swapped_site(emulator):
    """A site whose roles were recreated: id 4 is student, id 5 teacher. alice is teacher (5) in PHYS101 and
    CHEM201, bob editingteacher (3) in PHYS101."""
    emulator.reseed(dict(seed(roles=roles(id4='student', id5='teacher')), enrolments=[
        {'user': 'alice', 'course': 'PHYS101', 'role': 'teacher'},
        {'user': 'bob', 'course': 'PHYS101', 'role': 'editingteacher'},
        {'user': 'alice', 'course': 'CHEM201', 'role': 'teacher'}]))


def test_a_contradiction_fails_safe_before_any_write(site, run):
    swapped_site(site)
    result = run(assignments=[
        {'user': 'alice', 'role': 'manager', 'instance': 'CHEM201'},
        {'user': 'bob', 'role': 'editingteacher', 'instance': 'PHYS101'},
    ])
    assert result['failed'] and result['kind'] == 'role_mismatch'
    assert "role id 5 as 'teacher', not 'student'" in result['msg']
    assert writes(site) == []


def test_a_contradiction_does_not_block_explicit_role_ids(site, run):
    swapped_site(site)
    result = run(user='bob', role_id=5, instance='PHYS101')
    assert result['changed'] and result['assignment']['role'] == 'teacher'
    assert result['assignment']['verified'] is True
    assert ('bob', 'teacher', 'course', PHYS101, '') in held(site)


def test_with_the_plugin_role_ids_that_differ_from_a_fresh_install_are_read(site, run):
    swapped_site(site)
    site.set(companion_plugin=True)
    result = run(user='carol', role='student', instance='PHYS101')
    assert result['changed'] and result['assignment']['roleid'] == 4 and result['warnings'] == []
    assert ('carol', 'student', 'course', PHYS101, '') in held(site)


def test_without_the_plugin_a_role_shortname_outside_courses_is_refused_unless_a_course_shows_its_id(site, run):
    result = run(assignments=[
        {'user': 'bob', 'role': 'coursecreator', 'context': 'system'},
        {'user': 'carol', 'role': 'manager', 'context': 'category', 'instance': 1},
        {'user': 'carol', 'role': 'student', 'context': 'module', 'instance': 1},
        {'user': 'carol', 'role': 'student', 'instance': 'PHYS101'},      # PHYS101 shows student = 5
    ])
    assert result['failed'] and writes(site) == []
    assert [e.split(' ')[0] for e in result['errors']] == ['assignments[0]', 'assignments[1]']
    assert "role 'coursecreator' in the system context" in result['errors'][0] and 'give role_id' in result['errors'][0]
    assert "role 'manager' in the category context" in result['errors'][1] and 'local_lmsops' in result['errors'][1]
    ok = run(assignments=[{'user': 'carol', 'role': 'student', 'context': 'module', 'instance': 1},
                          {'user': 'carol', 'role': 'student', 'instance': 'PHYS101'}])
    assert not ok.get('failed'), ok.get('msg')
    assert [a['action'] for a in ok['assignments']] == ['assigned', 'assigned']
    assert set([('carol', 'student', 'module', 1, ''), ('carol', 'student', 'course', PHYS101, '')]) <= held(site)


def test_an_assignment_with_its_own_context_does_not_take_the_top_level_instance(mode, site, run):
    result = run(check_mode=True, role='student', instance='PHYS101',
                 assignments=[{'user': 'carol'}, {'user': 'carol', 'context': 'system', 'role_id': 1}])
    assert not result.get('failed'), result.get('msg')
    assert [(a['context'], a['instance'], a['action']) for a in result['assignments']] == [
        ('course', 'PHYS101', 'assigned'), ('system', None, 'assigned')]
    assert writes(site) == []


# -- with the companion plugin: every context read exactly --------------------------------------------------

@pytest.mark.parametrize('item, expected', [
    ({'user': 'bob', 'role': 'coursecreator', 'context': 'system'}, ('bob', 'coursecreator', 'system', 0)),
    ({'user': 'carol', 'role': 'manager', 'context': 'category', 'instance': 'CAT1', 'instance_field': 'idnumber'},
     ('carol', 'manager', 'coursecat', 2)),
    ({'user': 'carol', 'role': 'teacher', 'instance': 'CHEM201'}, ('carol', 'teacher', 'course', CHEM201)),
    ({'user': 'bob', 'role': 'parent', 'context': 'user', 'instance': 'carol'}, ('bob', 'parent', 'user', 5)),
    ({'user': 'alice', 'role': 'teacher', 'context': 'module', 'instance': 2}, ('alice', 'teacher', 'module', 2)),
], ids=['system', 'category', 'course', 'user', 'module'])
def test_with_the_plugin_every_context_is_read_exactly(plugin, run, item, expected):
    check = run(check_mode=True, diff=True, **item)
    assert (check['assignment']['action'], check['assignment']['verified']) == ('assigned', True)
    assert check['diff'][0]['before'] == {'assigned': False} and check['warnings'] == []
    assert writes(plugin) == []
    done = run(**item)
    assert (done['assignment']['action'], done['assignment']['verified']) == ('assigned', True)
    assert done['warnings'] == [] and writes(plugin) == [(ASSIGN, None)] and expected + ('',) in held(plugin)
    again = run(**item)
    assert not again['changed'] and again['assignment']['action'] == 'unchanged' and again['warnings'] == []
    assert writes(plugin) == [] and ENROLLED_USERS not in called(plugin)
    removed = run(state='absent', **item)
    assert removed['assignment']['action'] == 'unassigned' and writes(plugin) == [(UNASSIGN, None)]
    assert expected + ('',) not in held(plugin)
    gone = run(state='absent', **item)
    assert not gone['changed'] and writes(plugin) == []


def test_with_the_plugin_a_bulk_run_in_several_contexts_is_exact(plugin, run):
    plugin.reseed(seed(role_assignments=[{'user': 'bob', 'role': 'coursecreator', 'contextlevel': 'system'}],
                       settings={'companion_plugin': True}))
    args = dict(assignments=[{'user': 'bob', 'role': 'coursecreator', 'context': 'system'},
                             {'user': 'carol', 'role': 'manager', 'context': 'category', 'instance': 1}])
    check = run(check_mode=True, **args)
    assert [(a['action'], a['verified']) for a in check['assignments']] == [('unchanged', True), ('assigned', True)]
    assert check['warnings'] == []
    done = run(**args)
    assert done['summary'] == {'unchanged': 1, 'assigned': 1} and items_sent(plugin) == [(1, None)]
    again = run(**args)
    assert not again['changed'] and again['summary'] == {'unchanged': 2}
    assert writes(plugin) == [] and again['warnings'] == []
    assert ENROLLED_USERS not in called(plugin)


@pytest.mark.parametrize('debug', [False, True])
def test_plugin_names_a_module_that_does_not_exist(plugin, run, debug):
    plugin.set(debug=debug)
    result = run(assignments=[
        {'user': 'alice', 'role': 'student', 'context': 'module', 'instance': 1},
        {'user': 'alice', 'role': 'student', 'context': 'module', 'instance': 404},
    ])
    assert result['failed'] and len(result['errors']) == 1
    assert result['errors'][0].startswith('assignments[1]') and 'no module with id 404' in result['errors'][0]
    assert ('Context not found: contextlevel=module instanceid=404' in result['errors'][0]) == debug
    assert writes(plugin) == [] and called(plugin).count('local_lmsops_list_role_assignments') == 3


def test_plugin_role_levels_and_unknown_role_ids(plugin, run):
    # This site allows students at system level.
    students_everywhere = roles()
    students_everywhere[4] = dict(students_everywhere[4], contextlevels=['system', 'course', 'module'])
    items = [{'user': 'alice', 'role': 'student', 'context': 'system'}, {'user': 'alice', 'role_id': 77,
                                                                         'context': 'system'}]
    plugin.reseed(seed(roles=students_everywhere, settings={'companion_plugin': True}))
    result = run(assignments=items)
    assert result['failed'] and len(result['errors']) == 1
    assert result['errors'][0].startswith('assignments[1]') and 'no role with id 77 on this site' in result['errors'][0]
    assert writes(plugin) == []
    auditor = {'id': 77, 'shortname': 'auditor', 'archetype': '', 'contextlevels': ['system']}
    plugin.reseed(seed(roles=students_everywhere + [auditor], settings={'companion_plugin': True}))
    result = run(assignments=items)
    assert result['changed'] and [a['role'] for a in result['assignments']] == ['student', 'auditor']
    assert set([('alice', 'student', 'system', 0, ''), ('alice', 'auditor', 'system', 0, '')]) <= held(plugin)


def test_with_the_plugin_role_shortnames_are_read_everywhere(plugin, run):
    result = run(check_mode=True, user='bob', role='coursecreator', context='system')
    assert result['assignment']['action'] == 'assigned' and result['assignment']['roleid'] == 2
    assert 'local_lmsops_get_roles' in called(plugin) and writes(plugin) == []


# -- check mode across tasks ----------------------------------------------------------------------

def test_check_mode_plans_assignments_of_users_and_instances_that_do_not_exist_yet(plugin, run):
    result = run(check_mode=True, diff=True, assignments=[
        {'user': 't2001', 'role': 'manager', 'context': 'category', 'instance': 'SCIENCE', 'instance_field': 'idnumber'},
        {'user': 'alice', 'role': 'manager', 'context': 'category', 'instance': 'SCIENCE', 'instance_field': 'idnumber'},
        {'user': 't2001', 'role': 'editingteacher', 'instance': 'PHYS101'},
        {'user': 't2002', 'role': 'student', 'instance': 'PHYS101', 'state': 'absent'}])
    assert not result.get('failed'), result['msg']
    assert [a['action'] for a in result['assignments']] == ['assigned', 'assigned', 'assigned', 'unchanged']
    assert result['changed'] and writes(plugin) == []
    assert "check mode: no user with username 't2001' yet" in result['assignments'][0]['warnings']
    [warning] = [w for w in result['warnings'] if w.startswith('Check mode')]
    assert "user with username 't2001', 't2002'" in warning
    assert "course category with idnumber 'SCIENCE'" in warning
    assert len(result['diff']) == 3


def test_a_real_run_fails_on_a_category_that_does_not_exist(plugin, run):
    result = run(user='alice', role='manager', context='category', instance='SCIENCE', instance_field='idnumber')
    assert result['failed'] and writes(plugin) == []
    assert "no course category with idnumber 'SCIENCE'" in result['msg']


# -- users and enrolments made by the other modules first ---------------------------------------------------

NAMES = ('ann', 'ben')


@pytest.fixture(params=['core', 'plugin'])
def made(request, emulator, run_on_emulator):
    """The recordings' site with two users the modules created and enrolled in PHYS101 as students, with the
    companion plugin or without it."""
    run_on_emulator(MoodleUserModule, users=[dict(username=name, firstname=name.title(), lastname='Tester',
                                                  email='%s@example.org' % name, create_password=True)
                                             for name in NAMES])
    run_on_emulator(MoodleEnrolmentModule, course='PHYS101', enrolments=[dict(user=name) for name in NAMES])
    emulator.set(companion_plugin=request.param == 'plugin')
    return emulator


def test_course_roles_are_assigned_in_one_write_verified_and_a_rerun_reads_only(made, run):
    wanted = [dict(user=name) for name in NAMES]
    result = run(role='teacher', instance='PHYS101', assignments=wanted)
    assert result['summary'] == {'assigned': 2} and writes(made) == [(ASSIGN, None)]
    assert all(a['verified'] for a in result['assignments'])
    assert set((name, 'teacher', 'course', PHYS101, '') for name in NAMES) <= held(made)
    again = run(role='teacher', instance='PHYS101', assignments=wanted)
    assert not again['changed'] and again['summary'] == {'unchanged': 2} and writes(made) == []


def test_check_mode_predicts_the_real_run(made, run):
    run(user='ann', role='teacher', instance='PHYS101')
    wanted = [dict(user='ann', state='absent'), dict(user='ben')]
    predicted = run(check_mode=True, diff=True, role='teacher', instance='PHYS101', assignments=wanted)
    assert writes(made) == []
    done = run(diff=True, role='teacher', instance='PHYS101', assignments=wanted)
    assert [a['action'] for a in predicted['assignments']] == [a['action'] for a in done['assignments']] == [
        'unassigned', 'assigned']
    assert predicted['diff'] == done['diff']
    assert ('ann', 'teacher', 'course', PHYS101, '') not in held(made)
    assert ('ben', 'teacher', 'course', PHYS101, '') in held(made)


def test_a_role_not_assignable_there_fails_before_any_write(made, run):
    result = run(user='ann', role='student', context='system')
    assert result['failed'] and writes(made) == []
    assert 'role student (id 5) cannot be assigned at system level' in result['msg']
