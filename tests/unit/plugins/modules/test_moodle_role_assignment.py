# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_role_assignment's logic: the real module (argument spec, base, plan, apply) on a small fake site API."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.lmsops.moodle.plugins.module_utils.client import MoodleError
from ansible_collections.lmsops.moodle.plugins.modules import moodle_role_assignment as module
from ansible_collections.lmsops.moodle.plugins.modules.moodle_role_assignment import (
    MoodleRoleAssignmentModule, instance_field)

from ansible_collections.lmsops.moodle.tests.unit.plugins.module_args import run_module

CORE = ['core_webservice_get_site_info', 'core_user_get_users_by_field', 'core_course_get_courses_by_field',
        'core_course_get_categories', 'core_enrol_get_enrolled_users', 'core_role_assign_roles',
        'core_role_unassign_roles']
PLUGIN = ['local_lmsops_get_roles', 'local_lmsops_get_role_assignments', 'local_lmsops_get_user_enrolments']
STANDARD = [(1, 'manager', ['system', 'coursecat', 'course']), (2, 'coursecreator', ['system', 'coursecat']),
            (3, 'editingteacher', ['course', 'module']), (4, 'teacher', ['course', 'module']),
            (5, 'student', ['course', 'module']), (6, 'guest', []), (7, 'user', []), (8, 'frontpage', [])]
LEVELS = {'system': 'system', 'category': 'coursecat', 'course': 'course', 'module': 'module', 'user': 'user',
          'block': 'block'}


class FakeSite:
    """Just enough of MoodleAPI: users, courses, categories, enrolments and role assignments in memory.

    ``ras`` holds (userid, roleid, contextlevel, instanceid, component) tuples. assign/unassign are
    all-or-nothing per call and idempotent, like Moodle's.
    """

    def __init__(self, plugin=False):
        self.plugin = plugin
        self.roles = [{'id': rid, 'shortname': name, 'contextlevels': levels} for rid, name, levels in STANDARD]
        self.users = [{'id': 2, 'username': 'admin', 'email': 'admin@example.com', 'idnumber': ''},
                      {'id': 3, 'username': 'alice', 'email': 'alice@example.com', 'idnumber': 'A-1'},
                      {'id': 4, 'username': 'bob', 'email': 'bob@example.com', 'idnumber': ''},
                      {'id': 5, 'username': 'carol', 'email': 'carol@example.com', 'idnumber': ''}]
        self.courses = [{'id': 2, 'shortname': 'PHYS101', 'idnumber': 'phys101'},
                        {'id': 3, 'shortname': 'CHEM201', 'idnumber': 'chem201'}]
        self.categories = [{'id': 1, 'name': 'Category 1', 'idnumber': 'CAT1'}]
        self.enrolled = {2: {3, 4}, 3: {3}}
        self.ras = set([(3, 5, 'course', 2, ''), (4, 3, 'course', 2, ''), (3, 5, 'course', 3, '')])
        self.writes = []
        self.reads = []
        self.reject = None            # payload -> error message for payloads Moodle rejects
        self.fail_write = None        # a MoodleError raised by the next write
        self.other_writer = None      # called with the site just before the next write runs

    # site and roles
    def site_info(self):
        return {'userid': 2, 'functions': [{'name': n} for n in CORE + (PLUGIN if self.plugin else [])]}

    def require(self, functions):
        pass

    def plugin_available(self):
        return self.plugin

    def plugin_get_roles(self):
        self.reads.append('plugin_get_roles')
        return self.roles

    # look-ups
    def get_users_by_field(self, field, values):
        self.reads.append(('users', field))
        wanted = set(str(v) for v in values)
        return [u for u in self.users if str(u.get(field)) in wanted]

    def get_courses(self, field, values):
        self.reads.append(('courses', field))
        wanted = set(str(v) for v in values)
        return [c for c in self.courses if str(c.get(field)) in wanted]

    def get_courses_by_field(self, field, value):
        assert (field, value) == ('', ''), 'only the read of every course is faked'
        self.reads.append(('courses', 'all'))
        return list(self.courses)

    def get_categories(self, key, value):
        self.reads.append(('categories', key))
        return [c for c in self.categories if str(c.get(key)) == str(value)]

    def site_course_id(self):
        return 1

    def offers(self, *names):
        return all(name in CORE + (PLUGIN if self.plugin else []) for name in names)

    def get_enrolled_users(self, courseid, fields=('id', 'roles'), limitfrom=0, limitnumber=0):
        self.reads.append(('enrolled', courseid))
        names = dict((r['id'], r['shortname']) for r in self.roles)
        answer = []
        for user in self.users:
            if courseid == 1 or user['id'] in self.enrolled.get(courseid, ()):
                roles = sorted(set(ra[1] for ra in self.ras if ra[0] == user['id'] and ra[2:4] == ('course', courseid)))
                user = dict(user, roles=[{'roleid': rid, 'shortname': names.get(rid)} for rid in roles])
                answer.append(dict((k, v) for k, v in user.items() if k in fields and v != ''))
        return answer[limitfrom:limitfrom + limitnumber] if limitnumber else answer

    def plugin_get_role_assignments(self, contexts, userids=None, roleids=None):
        self.reads.append(('plugin_ras', len(contexts)))
        for ctx in contexts:
            if ctx['contextlevel'] == 'module' and ctx['instanceid'] == 404:
                raise MoodleError('Invalid parameter value detected', kind='invalid_parameter',
                                  errorcode='invalidparameter', debuginfo='Context not found: contextlevel=module')
        wanted = set((c['contextlevel'], c['instanceid']) for c in contexts)
        return [{'id': n, 'userid': ra[0], 'roleid': ra[1], 'contextlevel': ra[2], 'instanceid': ra[3],
                 'contextid': 100 + n, 'component': ra[4], 'itemid': 0}
                for n, ra in enumerate(sorted(self.ras)) if (ra[2], ra[3]) in wanted
                and (not userids or ra[0] in userids) and (not roleids or ra[1] in roleids)]

    # writes
    def _write(self, function, payloads):
        self.writes.append((function, [dict(p) for p in payloads]))
        if self.other_writer:
            # Another writer, between this run's read and its write (once).
            writer, self.other_writer = self.other_writer, None
            writer(self)
        if self.fail_write:
            error, self.fail_write = self.fail_write, None
            raise error
        for payload in payloads:
            why = self.reject and self.reject(payload)
            if why:
                raise MoodleError('Invalid parameter value detected', kind='invalid_parameter',
                                  function=function, errorcode='invalidparameter', debuginfo=why)

    def assign_roles(self, payloads):
        self._write('core_role_assign_roles', payloads)
        for p in payloads:
            self.ras.add((p['userid'], p['roleid'], p['contextlevel'], p['instanceid'], ''))

    def unassign_roles(self, payloads):
        # Like Moodle (seen on 4.5 and 5.1): only the manual assignment goes; one owned by a component
        # (enrol_cohort, enrol_meta...) stays, and the call still answers success.
        self._write('core_role_unassign_roles', payloads)
        for p in payloads:
            self.ras.discard((p['userid'], p['roleid'], p['contextlevel'], p['instanceid'], ''))


def run(capsys, site, check_mode=False, diff=False, **args):
    """Run the real module with these options on the fake site; return its JSON result."""
    result = run_module(capsys, MoodleRoleAssignmentModule, site, check_mode=check_mode, diff=diff, **args)
    if not result['warnings']:
        del result['warnings']
    return result


# -- instance_field -----------------------------------------------------------------------------

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


# -- bad input fails before anything is written -----------------------------------------------------

def test_bad_items_fail_the_run_naming_each_and_nothing_is_written(capsys):
    site = FakeSite()
    result = run(capsys, site, assignments=[
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
    assert site.writes == []


def test_only_invalid_items_make_no_request(capsys):
    site = FakeSite()
    result = run(capsys, site, user='alice', role='teacher', context='system', instance='x')
    assert result['failed'] and result['errors'] == [
        "alice: teacher in system: context=system has no instance (got 'x'); remove instance"]
    assert site.reads == [] and site.writes == []


def test_role_and_role_id_together_are_refused(capsys):
    result = run(capsys, FakeSite(), user='alice', role='teacher', role_id=4, instance='PHYS101')
    assert result['failed'] and 'mutually exclusive' in result['msg']


def test_unknown_user_course_category_and_role_are_named(capsys):
    site = FakeSite()
    result = run(capsys, site, assignments=[
        {'user': 'zoe', 'role': 'teacher', 'instance': 'PHYS101'},
        {'user': 'alice', 'role': 'teacher', 'instance': 'NOPE101'},
        {'user': 'alice', 'role_id': 1, 'context': 'category', 'instance': 99},
        {'user': 'alice', 'role': 'tutor', 'instance': 'PHYS101'},
        {'user': 'alice', 'role': 'parent', 'context': 'user', 'instance': 'nobody'},
    ])
    msg = result['msg']
    assert result['failed'] and len(result['errors']) == 6
    assert "assignments[0] (zoe: teacher in course PHYS101): no user with username 'zoe'" in msg
    assert "no course with shortname 'NOPE101'" in msg
    assert "no course category with id '99'" in msg
    assert "no role with shortname 'tutor': it is not a standard Moodle role" in msg and 'role_id' in msg
    assert "instance: no user with username 'nobody'" in msg
    assert site.writes == []


def test_the_same_assignment_named_two_ways_is_a_duplicate(capsys):
    result = run(capsys, FakeSite(), assignments=[
        {'user': 'alice', 'role': 'teacher', 'instance': 'PHYS101'},
        {'user': '3', 'user_field': 'id', 'role_id': 4, 'instance': 2, 'instance_field': 'id', 'state': 'absent'},
    ])
    assert result['failed'] and 'same assignment as assignments[0]' in result['msg']


def test_a_role_not_assignable_at_that_level_fails_before_any_write(capsys):
    site = FakeSite()
    result = run(capsys, site, assignments=[
        {'user': 'bob', 'role_id': 2, 'context': 'system'},
        {'user': 'alice', 'role_id': 5, 'context': 'system'},
    ])
    assert result['failed'] and len(result['errors']) == 1
    error = result['errors'][0]
    assert error.startswith('assignments[1] (alice: role_id 5 in system)')
    assert 'role student (id 5) cannot be assigned at system level' in error
    assert 'it can be assigned in: course, module' in error
    assert "Moodle's default settings" in error
    assert site.writes == []


# -- course contexts of enrolled users: read exactly ----------------------------------------------------

def test_course_role_of_an_enrolled_user_is_read_and_compared(capsys):
    site = FakeSite()
    args = dict(user='alice', role='teacher', context='course', instance='PHYS101')
    check = run(capsys, site, check_mode=True, diff=True, **args)
    assert check['changed'] and check['assignment']['action'] == 'assigned'
    assert check['assignment']['verified'] is True
    assert check['diff'][0]['before'] == {'assigned': False} and check['diff'][0]['after'] == {'assigned': True}
    assert site.writes == []
    applied = run(capsys, site, **args)
    assert applied['changed'] and applied['assignment'] == dict(
        user='alice', userid=3, role='teacher', roleid=4, context='course', instance='PHYS101', contextlevel='course',
        instanceid=2, action='assigned', verified=True)
    sent = {'roleid': 4, 'userid': 3, 'contextlevel': 'course', 'instanceid': 2}
    assert site.writes == [('core_role_assign_roles', [sent])]
    site.writes = []
    repeated = run(capsys, site, **args)
    assert not repeated['changed'] and repeated['assignment']['action'] == 'unchanged'
    assert site.writes == []
    assert 'warnings' not in repeated


def test_removing_a_course_role_then_again(capsys):
    site = FakeSite()
    args = dict(user='alice', role='student', instance='PHYS101', state='absent')
    removed = run(capsys, site, **args)
    assert removed['changed'] and removed['assignment']['action'] == 'unassigned'
    assert site.writes[0][0] == 'core_role_unassign_roles'
    site.writes = []
    again = run(capsys, site, **args)
    assert not again['changed'] and again['assignment']['verified'] and site.writes == []


def test_a_role_held_through_a_component_is_never_reported_removed(capsys):
    site = FakeSite()
    site.ras.add((3, 5, 'course', 2, 'enrol_cohort'))       # alice: student manually and through cohort sync
    args = dict(user='alice', role='student', instance='PHYS101', state='absent')
    first = run(capsys, site, **args)
    assert not first.get('failed')
    assert first['assignment']['action'] == 'unchanged' and not first['changed']
    assert any('cohort sync' in w for w in first['warnings'])
    assert (3, 5, 'course', 2, 'enrol_cohort') in site.ras and (3, 5, 'course', 2, '') not in site.ras
    site.writes = []
    again = run(capsys, site, **args)
    assert again['assignment']['action'] == 'unchanged' and not again['changed']


def test_instance_by_idnumber_and_id(capsys):
    site = FakeSite()
    result = run(capsys, site, assignments=[
        {'user': 'alice', 'role': 'student', 'instance': 'phys101', 'instance_field': 'idnumber'},
        {'user': 'alice@example.com', 'user_field': 'email', 'role': 'student', 'instance': '3',
         'instance_field': 'id'},
    ])
    assert not result['changed']
    assert [a['instanceid'] for a in result['assignments']] == [2, 3]
    assert result['summary'] == {'unchanged': 2}


# -- where core Moodle cannot read -------------------------------------------------------------------

def test_system_and_category_converge_unverified_with_one_warning(capsys):
    site = FakeSite()
    result = run(capsys, site, assignments=[
        {'user': 'bob', 'role_id': 2, 'context': 'system'},
        {'user': 'carol', 'role_id': 1, 'context': 'category', 'instance': 1},
        {'user': 'alice', 'role_id': 1, 'context': 'category', 'instance': 'CAT1', 'instance_field': 'idnumber',
         'state': 'absent'},
    ])
    assert result['changed']
    assert [(a['action'], a['verified']) for a in result['assignments']] == [
        ('assigned', False), ('assigned', False), ('unassigned', False)]
    assert [(a['contextlevel'], a['instanceid']) for a in result['assignments']] == [
        ('system', 0), ('coursecat', 1), ('coursecat', 1)]
    assert [w[0] for w in site.writes] == ['core_role_unassign_roles', 'core_role_assign_roles']
    assert site.writes[1][1] == [{'roleid': 2, 'userid': 4, 'contextlevel': 'system', 'instanceid': 0},
                                 {'roleid': 1, 'userid': 5, 'contextlevel': 'coursecat', 'instanceid': 1}]
    unread = [w for w in result['warnings'] if 'cannot be read through core Moodle' in w]
    assert len(unread) == 1 and 'local_lmsops' in unread[0] and 'verified=false' in unread[0]
    assert 'assignments[0]' in unread[0] and 'assignments[2]' in unread[0]
    assert not [w for w in result['warnings'] if 'standard roles of a fresh Moodle install' in w]
    # Repeating cannot be told apart from the first run: sent again, reported again.
    site.writes = []
    again = run(capsys, site, assignments=[{'user': 'bob', 'role_id': 2, 'context': 'system'}])
    assert again['changed'] and again['assignments'][0]['verified'] is False and len(site.writes) == 1


def test_check_mode_where_nothing_can_be_read_predicts_the_call(capsys):
    site = FakeSite()
    result = run(capsys, site, check_mode=True, diff=True, user='bob', role_id=2, context='system')
    assert result['changed'] and result['assignment']['action'] == 'assigned'
    assert result['diff'][0]['before'] == {'assigned': 'unknown'}
    assert any('would be sent' in w for w in result['warnings'])
    assert site.writes == []


def test_a_user_not_enrolled_in_the_course_is_unverified(capsys):
    site = FakeSite()
    result = run(capsys, site, user='carol', role='teacher', instance='PHYS101')
    assert result['assignment']['action'] == 'assigned' and result['assignment']['verified'] is False
    assert any('not enrolled in the course' in w for w in result['warnings'])


def test_role_id_of_a_custom_role_is_sent_as_is(capsys):
    site = FakeSite()
    result = run(capsys, site, user='bob', role_id=12, context='user', instance='alice')
    assert result['assignment']['roleid'] == 12 and result['assignment']['role'] is None
    assert result['assignment']['instanceid'] == 3
    assert site.writes[0][1] == [{'roleid': 12, 'userid': 4, 'contextlevel': 'user', 'instanceid': 3}]
    assert not any('standard roles' in w for w in result['warnings'])


# -- the role id cross-check -----------------------------------------------------------------------

def test_a_contradiction_fails_safe_before_any_write(capsys):
    site = FakeSite()
    site.roles[4]['shortname'] = 'teacher'      # the site shows id 5 as teacher
    result = run(capsys, site, assignments=[
        {'user': 'alice', 'role': 'manager', 'instance': 'CHEM201'},
        {'user': 'bob', 'role': 'editingteacher', 'instance': 'PHYS101'},
    ])
    assert result['failed'] and result['kind'] == 'role_mismatch'
    assert "role id 5 as 'teacher', not 'student'" in result['msg']
    assert site.writes == []


def test_a_contradiction_does_not_block_explicit_role_ids(capsys):
    site = FakeSite()
    site.roles[4]['shortname'] = 'teacher'
    result = run(capsys, site, user='bob', role_id=5, instance='PHYS101')
    assert result['changed'] and result['assignment']['role'] == 'teacher'
    assert result['assignment']['verified'] is True


# -- with the companion plugin -------------------------------------------------------------------------

def test_plugin_makes_every_context_exact(capsys):
    site = FakeSite(plugin=True)
    site.ras.add((4, 2, 'system', 0, ''))
    args = dict(assignments=[{'user': 'bob', 'role': 'coursecreator', 'context': 'system'},
                             {'user': 'carol', 'role': 'manager', 'context': 'category', 'instance': 1}])
    check = run(capsys, site, check_mode=True, **args)
    assert [(a['action'], a['verified']) for a in check['assignments']] == [('unchanged', True), ('assigned', True)]
    assert 'warnings' not in check
    run(capsys, site, **args)
    site.writes = []
    again = run(capsys, site, **args)
    assert not again['changed'] and again['summary'] == {'unchanged': 2}
    assert site.writes == [] and 'warnings' not in again
    assert ('enrolled', 2) not in site.reads


def test_plugin_owned_assignments_are_not_manual_ones(capsys):
    site = FakeSite(plugin=True)
    site.ras.add((5, 5, 'course', 3, 'enrol_cohort'))
    present = run(capsys, site, check_mode=True, user='carol', role='student', instance='CHEM201')
    assert present['assignment']['action'] == 'assigned'
    absent = run(capsys, site, user='carol', role='student', instance='CHEM201', state='absent')
    assert not absent['changed']
    assert any('enrol_cohort' in w for w in absent['warnings'])


def test_plugin_names_a_module_that_does_not_exist(capsys):
    site = FakeSite(plugin=True)
    result = run(capsys, site, assignments=[
        {'user': 'alice', 'role': 'student', 'context': 'module', 'instance': 12},
        {'user': 'alice', 'role': 'student', 'context': 'module', 'instance': 404},
    ])
    assert result['failed'] and len(result['errors']) == 1
    assert result['errors'][0].startswith('assignments[1]') and 'no module with id 404' in result['errors'][0]
    assert site.writes == []


def test_plugin_role_levels_and_unknown_role_ids(capsys):
    site = FakeSite(plugin=True)
    site.roles[4]['contextlevels'] = ['course', 'module', 'system']   # this site allows students at system
    result = run(capsys, site, assignments=[{'user': 'alice', 'role': 'student', 'context': 'system'},
                                            {'user': 'alice', 'role_id': 77, 'context': 'system'}])
    assert result['failed'] and result['errors'] == [
        result['errors'][0]] and 'no role with id 77 on this site' in result['errors'][0]
    site.roles.append({'id': 77, 'shortname': 'auditor', 'contextlevels': ['system']})
    result = run(capsys, site, assignments=[{'user': 'alice', 'role': 'student', 'context': 'system'},
                                            {'user': 'alice', 'role_id': 77, 'context': 'system'}])
    assert result['changed'] and result['assignments'][1]['role'] == 'auditor'


# -- batches Moodle rejects, failures after writing --------------------------------------------------------

def test_a_rejected_item_is_isolated_and_the_rest_applied(capsys):
    site = FakeSite()
    site.reject = lambda p: 'Context does not exist' if p['contextlevel'] == 'module' and p['instanceid'] == 99 else None
    result = run(capsys, site, assignments=[
        {'user': 'alice', 'role': 'teacher', 'instance': 'PHYS101'},
        {'user': 'bob', 'role': 'student', 'context': 'module', 'instance': 99},
        {'user': 'alice', 'role': 'teacher', 'instance': 'CHEM201'},
    ])
    assert result['failed']
    actions = [a['action'] for a in result['assignments']]
    assert actions == ['assigned', 'failed', 'assigned']
    failed = result['assignments'][1]['failed']
    assert 'Context does not exist' in failed and 'does module 99 exist' in failed
    assert (3, 4, 'course', 2, '') in site.ras and (3, 4, 'course', 3, '') in site.ras


def test_a_lost_answer_is_reported_from_a_re_read(capsys):
    site = FakeSite()
    site.fail_write = MoodleError('No answer', kind='timeout', outcome_unknown=True)
    result = run(capsys, site, assignments=[
        {'user': 'alice', 'role': 'teacher', 'instance': 'PHYS101'},
        {'user': 'bob', 'role_id': 2, 'context': 'system'},
    ])
    assert result['failed'] and 'Re-read the site' in result['msg']
    # The fake lost the answer before applying: the readable item is seen not applied,
    # the unreadable one cannot be known.
    assert [a['action'] for a in result['assignments']] == ['failed', 'unknown']


def test_bulk_writes_are_batched(capsys):
    site = FakeSite()
    site.users.extend({'id': 100 + n, 'username': 'u%03d' % n, 'email': 'u%03d@x.org' % n, 'idnumber': ''}
                      for n in range(300))
    site.enrolled[2] = site.enrolled[2] | set(100 + n for n in range(300))
    items = [{'user': 'u%03d' % n, 'role': 'student', 'instance': 'PHYS101'} for n in range(300)]
    result = run(capsys, site, assignments=items)
    assert result['summary'] == {'assigned': 300}
    assert len(site.writes) == 1 and len(site.writes[0][1]) == 300   # the fake API takes any batch size
    assert site.reads.count(('enrolled', 2)) == 1
    site.writes = []
    again = run(capsys, site, assignments=items)
    assert again['summary'] == {'unchanged': 300} and site.writes == []


def test_module_entry_point_is_main():
    assert module.main is not None


def test_options_given_next_to_the_list_are_every_assignment_s_defaults(capsys):
    site = FakeSite()
    removed = run(capsys, site, role='student', instance='PHYS101', state='absent',
                  assignments=[{'user': 'alice'}, {'user': 'bob', 'role_id': 3}])
    assert [(a['user'], a['roleid'], a['action']) for a in removed['assignments']] == [
        ('alice', 5, 'unassigned'), ('bob', 3, 'unassigned')]
    assert (3, 5, 'course', 2, '') not in site.ras and (4, 3, 'course', 2, '') not in site.ras
    assert site.writes[0][0] == 'core_role_unassign_roles'


def test_an_assignment_with_its_own_context_does_not_take_the_top_level_instance(capsys):
    site = FakeSite()
    result = run(capsys, site, check_mode=True, role='student', instance='PHYS101',
                 assignments=[{'user': 'carol'}, {'user': 'carol', 'context': 'system', 'role_id': 1}])
    assert not result.get('failed'), result.get('msg')
    assert [(a['context'], a['instance'], a['action']) for a in result['assignments']] == [
        ('course', 'PHYS101', 'assigned'), ('system', None, 'assigned')]


def test_without_the_plugin_a_role_shortname_outside_courses_is_refused_unless_a_course_shows_its_id(capsys):
    site = FakeSite()
    result = run(capsys, site, assignments=[
        {'user': 'bob', 'role': 'coursecreator', 'context': 'system'},
        {'user': 'carol', 'role': 'manager', 'context': 'category', 'instance': 1},
        {'user': 'carol', 'role': 'student', 'context': 'module', 'instance': 1},
        {'user': 'carol', 'role': 'student', 'instance': 'PHYS101'},      # PHYS101 shows student = 5
    ])
    assert result['failed'] and site.writes == []
    assert [e.split(' ')[0] for e in result['errors']] == ['assignments[0]', 'assignments[1]']
    assert "role 'coursecreator' in the system context" in result['errors'][0] and 'give role_id' in result['errors'][0]
    assert "role 'manager' in the category context" in result['errors'][1] and 'local_lmsops' in result['errors'][1]
    ok = run(capsys, site, assignments=[{'user': 'carol', 'role': 'student', 'context': 'module', 'instance': 1},
                                        {'user': 'carol', 'role': 'student', 'instance': 'PHYS101'}])
    assert not ok.get('failed'), ok.get('msg')
    assert [a['action'] for a in ok['assignments']] == ['assigned', 'assigned']


def test_with_the_plugin_role_shortnames_are_read_everywhere(capsys):
    result = run(capsys, FakeSite(plugin=True), check_mode=True, user='bob', role='coursecreator', context='system')
    assert result['assignment']['action'] == 'assigned' and result['assignment']['roleid'] == 2


# -- check mode across tasks ----------------------------------------------------------------------

def test_check_mode_plans_assignments_of_users_and_instances_that_do_not_exist_yet(capsys):
    site = FakeSite(plugin=True)
    result = run(capsys, site, check_mode=True, diff=True, assignments=[
        {'user': 't2001', 'role': 'manager', 'context': 'category', 'instance': 'SCIENCE', 'instance_field': 'idnumber'},
        {'user': 'alice', 'role': 'manager', 'context': 'category', 'instance': 'SCIENCE', 'instance_field': 'idnumber'},
        {'user': 't2001', 'role': 'editingteacher', 'instance': 'PHYS101'},
        {'user': 't2002', 'role': 'student', 'instance': 'PHYS101', 'state': 'absent'}])
    assert not result.get('failed'), result['msg']
    assert [a['action'] for a in result['assignments']] == ['assigned', 'assigned', 'assigned', 'unchanged']
    assert result['changed'] and site.writes == []
    assert "check mode: no user with username 't2001' yet" in result['assignments'][0]['warnings']
    [warning] = [w for w in result['warnings'] if w.startswith('Check mode')]
    assert "user with username 't2001', 't2002'" in warning
    assert "course category with idnumber 'SCIENCE'" in warning
    assert len(result['diff']) == 3


def test_a_real_run_fails_on_a_category_that_does_not_exist(capsys):
    site = FakeSite(plugin=True)
    result = run(capsys, site, user='alice', role='manager', context='category', instance='SCIENCE',
                 instance_field='idnumber')
    assert result['failed'] and site.writes == []
    assert "no course category with idnumber 'SCIENCE'" in result['msg']


# -- another writer between the read and the write ---------------------------------------------------

def test_an_assignment_another_writer_made_while_moodle_refused_this_call_is_unchanged(capsys):
    site = FakeSite()
    site.other_writer = lambda fake: fake.ras.add((3, 4, 'course', 2, ''))      # alice, teacher, PHYS101
    site.reject = lambda p: 'Context does not exist' if p['contextlevel'] == 'module' else None
    result = run(capsys, site, assignments=[
        {'user': 'alice', 'role': 'teacher', 'instance': 'PHYS101'},
        {'user': 'bob', 'role': 'student', 'context': 'module', 'instance': 99},
        {'user': 'alice', 'role': 'teacher', 'instance': 'CHEM201'},
    ])
    assert [a['action'] for a in result['assignments']] == ['unchanged', 'failed', 'assigned']
    assert any('another writer assigned these roles' in w and 'reported unchanged' in w for w in result['warnings'])
    assert not any('Moodle applied the write' in w for w in result['warnings'])
    # alice's PHYS101 assignment was not sent again after the re-read showed it.
    sent = [p for dummy, payloads in site.writes for p in payloads if (p['userid'], p['instanceid']) == (3, 2)]
    assert len(sent) == 1


def test_enrolled_users_are_resolved_from_the_course_read_and_other_users_looked_up_once(capsys):
    site = FakeSite()
    done = run(capsys, site, assignments=[
        {'user': 'alice', 'role': 'student', 'instance': 'PHYS101'},
        {'user': 'bob', 'role': 'editingteacher', 'instance': 'PHYS101'},
        {'user': 'carol', 'role': 'student', 'instance': 'PHYS101'},
        {'user': 'carol', 'role_id': 1, 'context': 'category', 'instance': 'CAT1', 'instance_field': 'idnumber'}])
    assert [a['action'] for a in done['assignments']] == ['unchanged', 'unchanged', 'assigned', 'assigned']
    # alice and bob are PHYS101's enrolled users: only carol is looked up, once for both of her items
    assert site.reads.count(('users', 'username')) == 1 and site.reads.count(('enrolled', 2)) == 1


def test_a_shared_idnumber_found_among_enrolled_users_is_checked_site_wide_before_a_write(capsys):
    site = FakeSite()
    site.users.append({'id': 6, 'username': 'alice2', 'email': 'a2@example.com', 'idnumber': 'A-1'})
    same = run(capsys, site, user='A-1', user_field='idnumber', role='student', instance='PHYS101')
    assert same['assignment']['action'] == 'unchanged' and ('users', 'idnumber') not in site.reads
    site.reads = []
    failed = run(capsys, site, user='A-1', user_field='idnumber', role='teacher', instance='PHYS101')
    assert failed['failed'] and '2 users have idnumber' in failed['msg'] and site.writes == []
    assert site.reads.count(('users', 'idnumber')) == 1
