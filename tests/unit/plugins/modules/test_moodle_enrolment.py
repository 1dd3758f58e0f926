# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_enrolment: its comparison (plan_enrolment, a pure function), then whole runs as main() runs them against
the emulator (conftest.py), with and without the companion plugin.

The emulator follows the recordings of real sites: enrol_manual_enrol_users is all-or-nothing and overwrites timestart,
timeend and status with what is sent (0, 0, active when not sent) and adds the role; core_enrol_get_enrolled_users lists
every enrolled user (any method) with its course roles, and with onlysuspended the ones not active now;
enrol_manual_unenrol_users removes only the manual enrolment.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

import pytest

from ansible_collections.lmsops.moodle.plugins.module_utils.api import PLUGIN_FUNCTIONS
from ansible_collections.lmsops.moodle.plugins.modules.moodle_enrolment import (
    DATES_UNVERIFIED, STATUS_UNVERIFIED, MoodleEnrolmentModule, plan_enrolment)
from ansible_collections.lmsops.moodle.plugins.modules.moodle_user import MoodleUserModule
from ansible_collections.lmsops.moodle.tests.unit.plugins.modules.conftest import writes

NOW = int(time.time())
DAY = 86400
SEPT_1 = 1788220800


# -- plan_enrolment: the comparison (a pure function) ---------------------------------------------
def wanted(**options):
    base = dict(state='present', roleid=5, role='student', role_given=False, suspended=None, timestart=None,
                timeend=None)
    base.update(options)
    return base


def core(roles=None, active=True):
    return dict(exact=False, enrolled=True, roles=roles or {5: 'student'}, active=active)


def exact(roles=None, status=0, timestart=0, timeend=0, others=()):
    return dict(exact=True, enrolled=True, roles=roles or {5: 'student'}, status=status, timestart=timestart,
                timeend=timeend, others=list(others))


def test_new_enrolment_always_sends_dates_and_status():
    outcome = plan_enrolment(wanted(), None, NOW)
    assert outcome['action'] == 'enrolled'
    assert outcome['send'] == dict(roleid=5, timestart=0, timeend=0, suspend=False)
    assert outcome['after'] == {'role': ['student'], 'suspended': False}
    outcome = plan_enrolment(wanted(timestart=SEPT_1, suspended=True), None, NOW)
    assert outcome['send'] == dict(roleid=5, timestart=SEPT_1, timeend=0, suspend=True)
    assert outcome['after']['timestart'] == '2026-09-01T00:00:00Z' and 'timeend' not in outcome['after']
    assert outcome['known'] == dict(suspended=True, timestart='2026-09-01T00:00:00Z', timeend=None)


def test_absent():
    assert plan_enrolment(wanted(state='absent'), None, NOW)['action'] == 'unchanged'
    outcome = plan_enrolment(wanted(state='absent'), core(), NOW)
    assert outcome['action'] == 'unenrolled' and outcome['before'] == {'role': ['student']} and outcome['after'] is None
    outcome = plan_enrolment(wanted(state='absent'), dict(exact=True, enrolled=False, roles={}, others=['self']), NOW)
    assert outcome['action'] == 'unchanged' and 'self' in outcome['warnings'][0]


def test_same_enrolment_is_unchanged_and_role_defaults_only_apply_to_new_enrolments():
    assert plan_enrolment(wanted(), core(), NOW)['action'] == 'unchanged'
    assert plan_enrolment(wanted(roleid=4, role='teacher'), core({4: 'teacher'}), NOW)['action'] == 'unchanged'


def test_a_role_given_is_added_with_the_dates_given():
    outcome = plan_enrolment(wanted(roleid=3, role='editingteacher', role_given=True, timestart=0, timeend=0),
                             core(), NOW)
    assert outcome['action'] == 'updated'
    assert outcome['before'] == {'role': ['student']} and outcome['after'] == {'role': ['editingteacher', 'student']}
    assert outcome['send'] == dict(roleid=3, timestart=0, timeend=0, suspend=False)


def test_without_the_plugin_a_reenrolment_without_dates_is_refused():
    outcome = plan_enrolment(wanted(roleid=3, role='editingteacher', role_given=True), core(), NOW)
    assert outcome['problem'] and 'timestart and timeend' in outcome['problem'] and 'adding role' in outcome['problem']
    assert 'local_lmsops' in outcome['problem']
    outcome = plan_enrolment(wanted(suspended=True, timestart=SEPT_1), core(), NOW)
    assert 'suspending' in outcome['problem']


def test_without_the_plugin_a_reenrolment_of_a_not_active_enrolment_needs_the_status():
    outcome = plan_enrolment(wanted(roleid=3, role='editingteacher', role_given=True, timestart=0, timeend=0),
                             core(active=False), NOW)
    assert 'give suspended' in outcome['problem']
    outcome = plan_enrolment(wanted(roleid=3, role='editingteacher', role_given=True, timestart=0, timeend=0,
                                    suspended=True), core(active=False), NOW)
    assert outcome['problem'] is None and outcome['send']['suspend'] is True
    assert outcome['after'] == {'role': ['editingteacher', 'student']}


def test_without_the_plugin_suspension_compares_active_state():
    outcome = plan_enrolment(wanted(suspended=True, timestart=0, timeend=0), core(active=True), NOW)
    assert outcome['action'] == 'updated' and outcome['after'] == {'suspended': True}
    assert outcome['send'] == dict(roleid=5, timestart=0, timeend=0, suspend=True)
    outcome = plan_enrolment(wanted(suspended=False, timestart=0, timeend=0), core(active=False), NOW)
    assert outcome['action'] == 'updated' and outcome['before'] == {'suspended': True}
    assert plan_enrolment(wanted(suspended=False), core(active=True), NOW)['action'] == 'unchanged'


def test_without_the_plugin_not_active_is_only_called_suspended_when_the_dates_explain_nothing():
    outcome = plan_enrolment(wanted(suspended=True), core(active=False), NOW)
    assert outcome['action'] == 'unchanged' and STATUS_UNVERIFIED in outcome['warnings']
    # The dates given end in the past: not active is what they mean, the status cannot be told.
    outcome = plan_enrolment(wanted(suspended=False, timestart=NOW - 9 * DAY, timeend=NOW - DAY), core(active=False),
                             NOW)
    assert outcome['action'] == 'unchanged' and STATUS_UNVERIFIED in outcome['warnings']
    outcome = plan_enrolment(wanted(suspended=True, timestart=0, timeend=0), core(active=False), NOW)
    assert outcome['action'] == 'unchanged' and STATUS_UNVERIFIED not in outcome['warnings']


def test_without_the_plugin_dates_of_an_existing_enrolment_are_not_verified():
    outcome = plan_enrolment(wanted(timeend=SEPT_1), core(), NOW)
    assert outcome['action'] == 'unchanged' and outcome['warnings'] == [DATES_UNVERIFIED]
    assert outcome['known'] == {}


def test_with_the_plugin_only_timeend_changes_and_the_rest_is_sent_again():
    outcome = plan_enrolment(wanted(timeend=SEPT_1 + 30 * DAY), exact(status=1, timestart=SEPT_1 - DAY,
                                                                      timeend=SEPT_1), NOW)
    assert outcome['action'] == 'updated'
    assert outcome['before'] == {'timeend': '2026-09-01T00:00:00Z'}
    assert outcome['after'] == {'timeend': '2026-10-01T00:00:00Z'}
    assert outcome['send'] == dict(roleid=5, timestart=SEPT_1 - DAY, timeend=SEPT_1 + 30 * DAY, suspend=True)
    assert outcome['warnings'] == []


def test_with_the_plugin_everything_is_exact():
    current = exact(status=1, timestart=SEPT_1)
    assert plan_enrolment(wanted(suspended=True, timestart=SEPT_1, timeend=0), current, NOW)['action'] == 'unchanged'
    outcome = plan_enrolment(wanted(suspended=False), current, NOW)
    assert outcome['after'] == {'suspended': False} and outcome['send']['timestart'] == SEPT_1
    outcome = plan_enrolment(wanted(roleid=4, role='teacher', role_given=True), current, NOW)
    assert outcome['after'] == {'role': ['student', 'teacher']}
    assert outcome['send'] == dict(roleid=4, timestart=SEPT_1, timeend=0, suspend=True)
    assert plan_enrolment(wanted(), current, NOW)['known'] == dict(suspended=True, timestart='2026-09-01T00:00:00Z',
                                                                   timeend=None)


# -- the site ----------------------------------------------------------------------------------
# The recordings' site (admin id 2; PHYS101, CHEM201, MATH301 are courses 2-4) with three users.
PEOPLE = [dict(id=3, username='alice', firstname='Alice', lastname='Archer', email='alice@example.com', idnumber='A-1'),
          dict(id=4, username='robert', firstname='Robert', lastname='Baker', email='bob@example.com'),
          dict(id=5, username='carol', firstname='Carol', lastname='Carter', email='carol@example.com')]
# A course whose manual enrolment instance is disabled: Moodle refuses enrol_manual_enrol_users there (wsnoinstance).
LOCKED = dict(shortname='LOCKED1', fullname='Locked 1', idnumber='locked1', manual_enrol='disabled')


def seed(emulator, plugin=False, users=(), courses=(), enrolments=()):
    """Reload the emulator: the recordings' site, PEOPLE and ``users``, ``courses`` and ``enrolments`` (the seed's
    format, tests/emulator/README.md), with the companion plugin (``plugin``: False, True or '1.1') or without it."""
    emulator.reseed(dict(extends='recordings', users=PEOPLE + list(users), courses=list(courses),
                         enrolments=list(enrolments)))
    if plugin == '1.1':
        # The plugin's 1.1 release: its three reads in the token's service, not the 1.2 bulk reads.
        with emulator.lock:
            service = emulator.state.services[emulator.state.service_by_shortname['lmsops_full']]
            service['companion'] = False
            service['functions'] = service['functions'] + list(PLUGIN_FUNCTIONS)
    emulator.set(companion_plugin=bool(plugin))
    return emulator


@pytest.fixture(params=[False, True], ids=['core', 'plugin'])
def plugin(request):
    return request.param


def ok(run_on_emulator, **options):
    """A run of moodle_enrolment that must succeed; its result."""
    result = run_on_emulator(MoodleEnrolmentModule, **options)
    assert not result.get('failed'), result['msg']
    return result


def called(emulator):
    """The functions of the last run's requests, in order."""
    return [entry['wsfunction'] for entry in emulator.requests]


def enrolments_on(emulator):
    """{(course shortname, username): {method: (status, timestart, timeend)}}: the site's user enrolments."""
    state = emulator.dump()
    courses = dict((course['id'], course['shortname']) for course in state['courses'])
    users = dict((user['id'], user['username']) for user in state['users'])
    found = {}
    for enrolment in state['enrolments']:
        found.setdefault((courses[enrolment['courseid']], users[enrolment['userid']]), {})[enrolment['enrol']] = (
            enrolment['status'], enrolment['timestart'], enrolment['timeend'])
    return found


def manual(emulator, course, user):
    """(status, timestart, timeend) of the user's manual enrolment in the course, or None."""
    return enrolments_on(emulator).get((course, user), {}).get('manual')


def course_roles(emulator, course, user):
    """The shortnames of the roles the user holds in the course's context, sorted."""
    state = emulator.dump()
    courseid = [c['id'] for c in state['courses'] if c['shortname'] == course][0]
    userid = [u['id'] for u in state['users'] if u['username'] == user][0]
    return sorted(ra['role'] for ra in state['role_assignments']
                  if ra['userid'] == userid and ra.get('contextlevel') == 'course' and ra['instanceid'] == courseid)


ENROL = 'enrol_manual_enrol_users'
UNENROL = 'enrol_manual_unenrol_users'


# -- input checks --------------------------------------------------------------------------------
def test_validation_names_each_problem_and_writes_nothing(emulator, run_on_emulator):
    seed(emulator)
    result = run_on_emulator(MoodleEnrolmentModule, enrolments=[
        dict(course='PHYS101', user='alice'),
        dict(course='CHEM201', user='alice', timestart='2026-09-01', timeend=1798761600),
        dict(course=None, user='alice'),
        dict(course='PHYS', course_field='id', user='alice'),
        dict(course=4, course_field='id', user='3', user_field='id'),
        dict(course='P', user='a5', timestart='someday'),
        dict(course='P', user='a6', timeend='2026-09-01T10:00:00'),
        dict(course='P', user='a7', timestart='2026-09-02', timeend='2026-09-01'),
        dict(course='P', user='a8', state='absent', role='teacher'),
        dict(course='P', user=['a9'])])
    assert result['failed'] and writes(emulator) == [] and enrolments_on(emulator) == {}
    errors = result['errors']
    # the three good items (0, 1 and 4) have no problem of their own
    assert [e.split(' ')[0] for e in errors] == ['enrolments[%d]' % n for n in (2, 3, 5, 6, 7, 8, 9)]
    assert errors[0] == 'enrolments[2] (alice in ?): course is required'
    assert 'positive number' in errors[1]
    assert 'timestart' in errors[2] and 'no zone' in errors[3] and 'not after timestart' in errors[4]
    assert 'state=absent' in errors[5] and 'must be a username' in errors[6]


def test_a_course_from_nowhere_is_named(emulator, run_on_emulator):
    seed(emulator)
    result = run_on_emulator(MoodleEnrolmentModule, enrolments=[{'user': 'alice'}])
    assert result['failed'] and 'enrolments[0] (alice in ?): course is required' in result['msg']
    assert writes(emulator) == []


def test_validation_and_planning_problems_are_reported_together(emulator, run_on_emulator):
    seed(emulator)
    result = run_on_emulator(MoodleEnrolmentModule, enrolments=[
        dict(course='PHYS101', user='alice', timestart='someday'), dict(course='NOPE', user='alice'),
        dict(course='CHEM201', user='robert', role='wizard')])
    assert result['failed'] and writes(emulator) == []
    errors = result['errors']
    assert len(errors) == 3 and [e.split(' ')[0] for e in errors] == ['enrolments[0]', 'enrolments[1]', 'enrolments[2]']
    assert 'timestart' in errors[0] and 'NOPE' in errors[1] and 'wizard' in errors[2]


def test_bad_input_fails_before_any_write_naming_items(emulator, run_on_emulator, plugin):
    seed(emulator, plugin)
    result = run_on_emulator(MoodleEnrolmentModule, enrolments=[
        dict(course='PHYS101', user='alice'), dict(course='NOPE', user='alice'), dict(course='PHYS101', user='nobody'),
        dict(course='CHEM201', user='alice', role='guest'), dict(course='CHEM201', user='robert', role='wizard')])
    assert result['failed'] and writes(emulator) == []
    msg = result['msg']
    assert "enrolments[1] (alice in NOPE): no course with shortname 'NOPE'" in msg
    assert "enrolments[2] (nobody in PHYS101): no user with username 'nobody'" in msg
    assert not any('enrolments[0]' in e for e in result['errors']) and len(result['errors']) == 4
    result = run_on_emulator(MoodleEnrolmentModule, enrolments=[
        dict(course='CHEM201', user='alice', role='guest'), dict(course='CHEM201', user='robert', role='wizard'),
        dict(course='chem201', course_field='idnumber', user='bob@example.com', user_field='email')])
    msg = result['msg']
    assert 'role guest cannot be assigned in a course' in msg and "no role with shortname 'wizard'" in msg
    assert 'enrolments[2]' in msg and 'same enrolment' in msg and writes(emulator) == []
    assert enrolments_on(emulator) == {}


def test_an_unknown_user_and_role_fail_before_any_write_naming_the_items(emulator, run_on_emulator, plugin):
    seed(emulator, plugin)
    result = run_on_emulator(MoodleEnrolmentModule, course='PHYS101', enrolments=[
        dict(user='alice'), dict(user='zed'), dict(user='robert', role='wizard')])
    assert result['failed'] and writes(emulator) == []
    assert "enrolments[1] (zed in PHYS101): no user with username 'zed'" in result['msg']
    assert "enrolments[2] (robert in PHYS101): no role with shortname 'wizard'" in result['msg']


def test_a_course_that_differs_only_in_case_is_suggested(emulator, run_on_emulator):
    seed(emulator)
    result = run_on_emulator(MoodleEnrolmentModule, enrolments=[dict(course='phys-101', user='alice')])
    assert result['failed'] and writes(emulator) == []
    assert "no course with shortname 'phys-101' (did you mean 'PHYS101'?)" in result['msg']


def test_many_items_with_one_cause_are_one_line_of_the_message_and_each_stays_in_errors(emulator, run_on_emulator):
    seed(emulator)
    enrolments = [dict(course='PHYS101', user='b%d' % n) for n in range(3001, 3051)]
    enrolments.append(dict(course='PHYS101', user='alice', role='wizard'))
    enrolments.append(dict(course='PHYS101', user='robert', role='wizard'))
    result = run_on_emulator(MoodleEnrolmentModule, enrolments=enrolments)
    assert result['failed'] and writes(emulator) == []
    msg = result['msg']
    assert msg.startswith('52 problem(s) in the input; nothing was changed: ')
    assert "no user with username: 'b3001', 'b3002'" in msg and 'and 40 more (50 items)' in msg
    assert msg.count('b30') == 10
    assert ("no role with shortname 'wizard'" in msg and 'enrolments[50] (alice in PHYS101), enrolments[51] '
            '(robert in PHYS101))' in msg)
    assert len(result['errors']) == 52
    assert result['errors'][0] == "enrolments[0] (b3001 in PHYS101): no user with username 'b3001'"


def test_role_contradiction_fails_safe(emulator, run_on_emulator):
    # A site whose role 5 is called learner: core Moodle shows it on robert's enrolment, which contradicts the
    # standard role ids the module assumes without the plugin (student = 5).
    seed(emulator, enrolments=[dict(user='robert', course='PHYS101', role='student')])
    with emulator.lock:
        state = emulator.state
        state.roles[5]['shortname'] = 'learner'
        state.role_by_shortname['learner'] = state.role_by_shortname.pop('student')
    result = run_on_emulator(MoodleEnrolmentModule, course='PHYS101', user='alice')
    assert result['failed'] and 'learner' in result['msg'] and writes(emulator) == []
    assert manual(emulator, 'PHYS101', 'alice') is None


# -- whole runs ------------------------------------------------------------------------------------
def test_classic_sequence_without_the_plugin(emulator, run_on_emulator):
    seed(emulator)
    check = ok(run_on_emulator, course='PHYS101', user='alice', check_mode=True)
    assert check['changed'] and check['enrolment']['action'] == 'enrolled' and writes(emulator) == []
    assert manual(emulator, 'PHYS101', 'alice') is None
    done = ok(run_on_emulator, course='PHYS101', user='alice', diff=True)
    assert done['enrolment'] == check['enrolment'] and writes(emulator) == [(ENROL, None)]
    assert done['enrolment']['role'] == 'student' and done['enrolment']['userid'] == 3
    assert done['enrolment']['courseid'] == 2 and done['diff'][0]['after'] == {'role': ['student'], 'suspended': False}
    assert manual(emulator, 'PHYS101', 'alice') == (0, 0, 0) and course_roles(emulator, 'PHYS101', 'alice') == ['student']
    again = ok(run_on_emulator, course='PHYS101', user='alice')
    assert not again['changed'] and writes(emulator) == [] and again['warnings'] == []
    assert called(emulator).count('core_enrol_get_enrolled_users') == 1
    gone = ok(run_on_emulator, course='PHYS101', user='alice', state='absent')
    assert gone['enrolment']['action'] == 'unenrolled' and writes(emulator) == [(UNENROL, None)]
    assert enrolments_on(emulator) == {} and course_roles(emulator, 'PHYS101', 'alice') == []
    assert ok(run_on_emulator, course='PHYS101', user='alice', state='absent')['enrolment']['action'] == 'unchanged'
    assert writes(emulator) == []


def test_enrolments_are_made_in_one_write_and_a_rerun_reads_only(emulator, run_on_emulator, plugin):
    """Users the user module creates, enrolled in one write; the same run again only reads."""
    names = ('ann', 'ben', 'cat')
    run_on_emulator(MoodleUserModule, users=[dict(username=name, firstname=name.title(), lastname='Tester',
                                                  email='%s@example.org' % name, create_password=True)
                                             for name in names])
    emulator.set(companion_plugin=plugin)
    wanted = [dict(user=name) for name in names]
    result = ok(run_on_emulator, course='PHYS101', enrolments=wanted)
    assert result['changed'] and result['summary'] == {'enrolled': 3}
    assert writes(emulator) == [(ENROL, None)]
    assert sorted(user for course, user in enrolments_on(emulator)) == list(names)
    again = ok(run_on_emulator, course='PHYS101', enrolments=wanted)
    assert not again['changed'] and again['summary'] == {'unchanged': 3} and writes(emulator) == []


def test_check_mode_predicts_the_real_run(emulator, run_on_emulator, plugin):
    seed(emulator, plugin, enrolments=[dict(user='alice', course='PHYS101')])
    wanted = [dict(user='alice', state='absent'), dict(user='robert', role='editingteacher'), dict(user='carol')]
    predicted = ok(run_on_emulator, check_mode=True, diff=True, course='PHYS101', enrolments=wanted)
    assert writes(emulator) == [] and sorted(enrolments_on(emulator)) == [('PHYS101', 'alice')]
    done = ok(run_on_emulator, diff=True, course='PHYS101', enrolments=wanted)
    assert [e['action'] for e in predicted['enrolments']] == [e['action'] for e in done['enrolments']] == [
        'unenrolled', 'enrolled', 'enrolled']
    assert predicted['diff'] == done['diff']
    assert writes(emulator) == [(UNENROL, None), (ENROL, None)]
    assert sorted(enrolments_on(emulator)) == [('PHYS101', 'carol'), ('PHYS101', 'robert')]
    assert course_roles(emulator, 'PHYS101', 'robert') == ['editingteacher']


def test_suspend_without_dates_is_refused_before_any_write_and_with_dates_applied(emulator, run_on_emulator):
    seed(emulator, enrolments=[dict(user='alice', course='PHYS101', timestart=SEPT_1 - 400 * DAY)])
    refused = run_on_emulator(MoodleEnrolmentModule, course='PHYS101', user='alice', suspended=True)
    assert refused['failed'] and 'timestart and timeend' in refused['msg'] and writes(emulator) == []
    check = ok(run_on_emulator, course='PHYS101', user='alice', suspended=True, timestart=0, timeend=0,
               check_mode=True)
    assert writes(emulator) == [] and manual(emulator, 'PHYS101', 'alice') == (0, SEPT_1 - 400 * DAY, 0)
    done = ok(run_on_emulator, course='PHYS101', user='alice', suspended=True, timestart=0, timeend=0)
    assert check['enrolment'] == done['enrolment'] and done['enrolment']['changed_fields'] == ['suspended']
    assert writes(emulator) == [(ENROL, None)] and manual(emulator, 'PHYS101', 'alice') == (1, 0, 0)
    again = ok(run_on_emulator, course='PHYS101', user='alice', suspended=True, timestart=0, timeend=0)
    assert not again['changed'] and writes(emulator) == []
    assert any(w.startswith(DATES_UNVERIFIED) for w in again['warnings'])
    back = ok(run_on_emulator, course='PHYS101', user='alice', suspended=False, timestart=0, timeend=0)
    assert back['enrolment']['changed_fields'] == ['suspended'] and manual(emulator, 'PHYS101', 'alice') == (0, 0, 0)


def test_a_not_active_enrolment_is_only_called_suspended_when_the_dates_explain_nothing(emulator, run_on_emulator):
    # alice's enrolment ended yesterday: core Moodle shows it not active, which these dates explain.
    seed(emulator, enrolments=[dict(user='alice', course='PHYS101', timestart=NOW - 9 * DAY, timeend=NOW - DAY)])
    ended = ok(run_on_emulator, course='PHYS101', user='alice', suspended=False, timestart=NOW - 9 * DAY,
               timeend=NOW - DAY)
    assert ended['enrolment']['action'] == 'unchanged' and writes(emulator) == []
    assert any(w.startswith(STATUS_UNVERIFIED) for w in ended['warnings'])
    assert manual(emulator, 'PHYS101', 'alice') == (0, NOW - 9 * DAY, NOW - DAY)


def test_role_added_is_an_update_and_the_old_role_stays(emulator, run_on_emulator, plugin):
    seed(emulator, plugin, enrolments=[dict(user='robert', course='PHYS101', role='student')])
    done = ok(run_on_emulator, course='PHYS101', user='robert', role='editingteacher', timestart=0, timeend=0)
    assert done['enrolment']['action'] == 'updated' and done['enrolment']['changed_fields'] == ['role']
    assert writes(emulator) == [(ENROL, None)]
    assert course_roles(emulator, 'PHYS101', 'robert') == ['editingteacher', 'student']
    assert not ok(run_on_emulator, course='PHYS101', user='robert', role='student')['changed']
    assert writes(emulator) == []


def test_manager_can_be_an_enrolment_role(emulator, run_on_emulator, plugin):
    seed(emulator, plugin)
    assert ok(run_on_emulator, course='CHEM201', user='alice', role='manager')['enrolment']['action'] == 'enrolled'
    assert writes(emulator) == [(ENROL, None)] and course_roles(emulator, 'CHEM201', 'alice') == ['manager']


def test_without_a_role_a_reenrolment_sends_a_role_the_user_has(emulator, run_on_emulator, plugin):
    seed(emulator, plugin, enrolments=[dict(user='robert', course='PHYS101', role='teacher')])
    done = ok(run_on_emulator, course='PHYS101', user='robert', suspended=True, timestart=0, timeend=0)
    assert done['enrolment']['changed_fields'] == ['suspended'] and done['enrolment']['role'] == 'teacher'
    assert course_roles(emulator, 'PHYS101', 'robert') == ['teacher'] and manual(emulator, 'PHYS101', 'robert') == (1, 0, 0)


def test_role_id_of_a_role_the_catalogue_does_not_know(emulator, run_on_emulator):
    seed(emulator)
    with emulator.lock:
        # a custom role, assignable where student is (course and module)
        state = emulator.state
        state.roles[9] = dict(id=9, shortname='tutor', name='Tutor', archetype='', sortorder=9,
                              contextlevels=list(state.roles[5]['contextlevels']))
        state.role_by_shortname['tutor'] = 9
    done = ok(run_on_emulator, course='PHYS101', user='alice', role_id=9)
    assert done['enrolment']['role'] == 'role id 9' and course_roles(emulator, 'PHYS101', 'alice') == ['tutor']
    assert not ok(run_on_emulator, course='PHYS101', user='alice', role_id=9)['changed'] and writes(emulator) == []
    emulator.set(companion_plugin=True)
    refused = run_on_emulator(MoodleEnrolmentModule, course='PHYS101', user='carol', role_id=42)
    assert refused['failed'] and 'no role with id 42' in refused['msg'] and writes(emulator) == []


def test_options_given_next_to_the_list_are_every_item_s_defaults(emulator, run_on_emulator, plugin):
    seed(emulator, plugin, enrolments=[dict(user='carol', course='PHYS101')])
    done = ok(run_on_emulator, course='PHYS101', role='editingteacher', timestart=0, timeend=0,
              enrolments=[{'user': 'alice'}, {'user': 'robert', 'role': 'teacher'},
                          {'user': 'carol', 'course': 'CHEM201', 'role_id': 4}])
    assert [(e['course'], e['user'], e['role'], e['action']) for e in done['enrolments']] == [
        ('PHYS101', 'alice', 'editingteacher', 'enrolled'), ('PHYS101', 'robert', 'teacher', 'enrolled'),
        ('CHEM201', 'carol', 'teacher', 'enrolled')]
    assert course_roles(emulator, 'PHYS101', 'alice') == ['editingteacher']
    assert course_roles(emulator, 'CHEM201', 'carol') == ['teacher']
    gone = ok(run_on_emulator, course='PHYS101', state='absent', enrolments=[{'user': 'alice'}, {'user': 'robert'}])
    assert [e['action'] for e in gone['enrolments']] == ['unenrolled', 'unenrolled']
    assert sorted(enrolments_on(emulator)) == [('CHEM201', 'carol'), ('PHYS101', 'carol')]
    kept = ok(run_on_emulator, course='PHYS101', state='absent', enrolments=[{'user': 'carol', 'state': 'present'}])
    assert kept['enrolments'][0]['action'] == 'unchanged' and writes(emulator) == []
    assert manual(emulator, 'PHYS101', 'carol') == (0, 0, 0)


# -- reads: what is read, how often ------------------------------------------------------------
def test_bulk_reads_each_course_once_and_writes_in_one_call(emulator, run_on_emulator):
    users = [dict(id=uid, username='u%d' % uid, firstname='U', lastname='%d' % uid, email='u%d@example.org' % uid)
             for uid in range(10, 40)]
    seed(emulator, users=users)
    items = [dict(course=course, user='u%d' % uid) for course in ('PHYS101', 'CHEM201', 'MATH301')
             for uid in range(10, 40)]
    done = ok(run_on_emulator, enrolments=items)
    assert done['summary'] == {'enrolled': 90} and writes(emulator) == [(ENROL, None)]
    assert len(enrolments_on(emulator)) == 90
    again = ok(run_on_emulator, enrolments=items)
    assert again['summary'] == {'unchanged': 90} and writes(emulator) == []
    # the repeat finds every user among the courses' enrolled users: no user is looked up
    assert called(emulator).count('core_enrol_get_enrolled_users') == 3
    assert called(emulator).count('core_user_get_users_by_field') == 0


def test_users_already_enrolled_are_not_looked_up_and_the_others_once(emulator, run_on_emulator):
    seed(emulator, enrolments=[dict(user='alice', course='PHYS101')])
    done = ok(run_on_emulator, enrolments=[dict(course='PHYS101', user='alice'), dict(course='PHYS101', user='carol'),
                                           dict(course='CHEM201', user='carol')])
    assert done['summary'] == {'unchanged': 1, 'enrolled': 2}
    # alice comes from PHYS101's enrolled users; carol, in two items, is looked up once
    assert called(emulator).count('core_user_get_users_by_field') == 1
    assert called(emulator).count('core_enrol_get_enrolled_users') == 2
    assert sorted(enrolments_on(emulator)) == [('CHEM201', 'carol'), ('PHYS101', 'alice'), ('PHYS101', 'carol')]


def test_many_users_on_a_small_site_come_from_one_read_of_the_site_list(emulator, run_on_emulator):
    users = [dict(id=uid, username='u%d' % uid, firstname='U', lastname='%d' % uid, email='u%d@example.org' % uid)
             for uid in range(10, 70)]
    seed(emulator, users=users)
    done = ok(run_on_emulator, check_mode=True, enrolments=[dict(course='PHYS101', user='u%d' % uid)
                                                            for uid in range(10, 70)]
              + [dict(course='PHYS101', user='nobody', state='absent')])
    assert done['summary'] == {'enrolled': 60, 'unchanged': 1} and writes(emulator) == []
    # PHYS101, the probe past 4 x 61 users, the site list; only the one user not in it is looked up
    assert called(emulator).count('core_enrol_get_enrolled_users') == 3
    assert called(emulator).count('core_user_get_users_by_field') == 1


def test_an_address_two_users_share_is_taken_from_the_enrolled_users_only_when_nothing_is_written(
        emulator, run_on_emulator):
    seed(emulator, users=[dict(id=6, username='alice2', firstname='Alice', lastname='Two', email='alice@example.com')],
         enrolments=[dict(user='alice', course='PHYS101')])
    same = ok(run_on_emulator, course='PHYS101', user='alice@example.com', user_field='email')
    assert same['enrolment']['action'] == 'unchanged' and same['enrolment']['userid'] == 3
    assert called(emulator).count('core_user_get_users_by_field') == 0
    result = run_on_emulator(MoodleEnrolmentModule, course='PHYS101', user='alice@example.com', user_field='email',
                             role='teacher', timestart=0, timeend=0)
    assert result['failed'] and '2 users have email' in result['msg'] and writes(emulator) == []
    assert course_roles(emulator, 'PHYS101', 'alice') == ['student']


@pytest.mark.parametrize('plugin', [True, '1.1'], ids=['plugin', 'plugin-1.1'])
def test_plugin_timeend_change_is_predicted_applied_and_keeps_the_rest(emulator, run_on_emulator, plugin):
    seed(emulator, plugin, enrolments=[dict(user='alice', course='PHYS101', status='suspended', timestart=SEPT_1,
                                            timeend=SEPT_1 + 100 * DAY)])
    check = ok(run_on_emulator, course='PHYS101', user='alice', timeend='2027-01-31', check_mode=True, diff=True)
    assert check['enrolment']['changed_fields'] == ['timeend'] and writes(emulator) == []
    assert check['diff'][0]['after'] == {'timeend': '2027-01-31T00:00:00Z'}
    done = ok(run_on_emulator, course='PHYS101', user='alice', timeend='2027-01-31', diff=True)
    assert done['enrolment'] == check['enrolment'] and done['diff'] == check['diff']
    assert writes(emulator) == [(ENROL, None)]
    assert manual(emulator, 'PHYS101', 'alice') == (1, SEPT_1, 1801353600)
    assert course_roles(emulator, 'PHYS101', 'alice') == ['student']
    again = ok(run_on_emulator, course='PHYS101', user='alice', timeend='2027-01-31')
    assert not again['changed'] and writes(emulator) == [] and again['warnings'] == []
    assert again['enrolment']['timeend'] == '2027-01-31T00:00:00Z' and again['enrolment']['suspended'] is True


@pytest.mark.parametrize('plugin, read', [(True, 'local_lmsops_get_enrolments'),
                                          ('1.1', 'local_lmsops_get_user_enrolments')], ids=['plugin', 'plugin-1.1'])
def test_plugin_allows_suspending_without_dates_and_keeps_them(emulator, run_on_emulator, plugin, read):
    seed(emulator, plugin, enrolments=[dict(user='alice', course='PHYS101', timestart=SEPT_1)])
    done = ok(run_on_emulator, course='PHYS101', user='alice', suspended=True)
    assert done['enrolment']['changed_fields'] == ['suspended'] and writes(emulator) == [(ENROL, None)]
    assert manual(emulator, 'PHYS101', 'alice') == (1, SEPT_1, 0)
    assert read in called(emulator) and 'core_enrol_get_enrolled_users' not in called(emulator)


def test_with_the_plugin_s_bulk_reads_every_course_is_read_at_once_and_enrolled_users_need_no_look_up(
        emulator, run_on_emulator):
    seed(emulator, True, enrolments=[dict(user='alice', course='PHYS101', status='suspended'),
                                     dict(user='alice', course='CHEM201')])
    done = ok(run_on_emulator, enrolments=[dict(course='PHYS101', user='alice', suspended=True),
                                           dict(course='CHEM201', user='alice'), dict(course='CHEM201', user='carol')])
    assert [e['action'] for e in done['enrolments']] == ['unchanged', 'unchanged', 'enrolled']
    names = called(emulator)
    # one read of both courses with the users' identities; carol alone is looked up (the plugin's light read);
    # nothing read per course
    assert names.count('local_lmsops_get_enrolments') == 1 and names.count('local_lmsops_get_users') == 1
    assert 'core_user_get_users_by_field' not in names
    assert 'local_lmsops_get_user_enrolments' not in names and 'core_enrol_get_enrolled_users' not in names
    assert writes(emulator) == [(ENROL, None)] and manual(emulator, 'CHEM201', 'carol') == (0, 0, 0)


# -- other enrolment methods -----------------------------------------------------------------------
@pytest.mark.parametrize('plugin', [True, '1.1'], ids=['plugin', 'plugin-1.1'])
def test_plugin_manages_manual_enrolments_only(emulator, run_on_emulator, plugin):
    seed(emulator, plugin, enrolments=[dict(user='alice', course='PHYS101', method='self'),
                                       dict(user='alice', course='CHEM201', method='self')])
    result = ok(run_on_emulator, course='PHYS101', user='alice', state='absent')
    assert result['enrolment']['action'] == 'unchanged' and 'self' in result['warnings'][0]
    assert writes(emulator) == [] and enrolments_on(emulator)[('PHYS101', 'alice')] == {'self': (0, 0, 0)}
    check = ok(run_on_emulator, course='CHEM201', user='alice', check_mode=True)
    assert check['enrolment']['action'] == 'enrolled' and writes(emulator) == []


def test_without_the_plugin_a_self_enrolment_is_reported_as_not_managed_and_converges(emulator, run_on_emulator):
    seed(emulator, enrolments=[dict(user='alice', course='PHYS101', method='self')])
    first = ok(run_on_emulator, course='PHYS101', user='alice', state='absent')
    assert first['enrolment']['action'] == 'unchanged' and not first['changed']
    assert any('another enrolment method' in w for w in first['warnings'])
    # core Moodle cannot show the method: the manual unenrolment is sent, and Moodle leaves the self enrolment
    assert writes(emulator) == [(UNENROL, None)]
    assert enrolments_on(emulator) == {('PHYS101', 'alice'): {'self': (0, 0, 0)}}
    assert course_roles(emulator, 'PHYS101', 'alice') == ['student']
    again = ok(run_on_emulator, course='PHYS101', user='alice', state='absent')
    assert again['enrolment']['action'] == 'unchanged' and not again['changed']
    assert enrolments_on(emulator) == {('PHYS101', 'alice'): {'self': (0, 0, 0)}}


def test_without_the_plugin_a_manual_enrolment_beside_another_method_goes_and_the_other_stays(
        emulator, run_on_emulator):
    seed(emulator, enrolments=[dict(user='alice', course='PHYS101'), dict(user='alice', course='PHYS101', method='self'),
                               dict(user='robert', course='PHYS101')])
    done = ok(run_on_emulator, course='PHYS101', enrolments=[dict(user='alice', state='absent'),
                                                             dict(user='robert', state='absent')])
    assert [e['action'] for e in done['enrolments']] == ['unchanged', 'unenrolled']
    assert any('another enrolment method' in w for w in done['warnings'])
    assert enrolments_on(emulator) == {('PHYS101', 'alice'): {'self': (0, 0, 0)}}
    # robert's last enrolment took his role with it; alice keeps hers with her self enrolment
    assert course_roles(emulator, 'PHYS101', 'alice') == ['student'] and course_roles(emulator, 'PHYS101', 'robert') == []


@pytest.mark.parametrize('plugin', [True, '1.1'], ids=['plugin', 'plugin-1.1'])
def test_with_the_plugin_no_call_is_sent_for_another_method_s_enrolment(emulator, run_on_emulator, plugin):
    seed(emulator, plugin, enrolments=[dict(user='alice', course='PHYS101', method='self'),
                                       dict(user='robert', course='PHYS101', method='cohort'),
                                       dict(user='robert', course='PHYS101')])
    wanted = [dict(user='alice', state='absent'), dict(user='robert', state='absent')]
    done = ok(run_on_emulator, course='PHYS101', enrolments=wanted)
    assert [e['action'] for e in done['enrolments']] == ['unchanged', 'unenrolled']
    assert writes(emulator) == [(UNENROL, None)]
    assert enrolments_on(emulator) == {('PHYS101', 'alice'): {'self': (0, 0, 0)},
                                       ('PHYS101', 'robert'): {'cohort': (0, 0, 0)}}
    again = ok(run_on_emulator, course='PHYS101', enrolments=wanted)
    assert not again['changed'] and writes(emulator) == [] and any('cohort' in w for w in again['warnings'])


# -- check mode across tasks: users and courses an earlier task of the run may create -------------
def test_check_mode_plans_items_whose_user_or_course_does_not_exist_yet_and_warns_once(emulator, run_on_emulator):
    seed(emulator)
    enrolments = [dict(course='PHYS101', user='s1001'), dict(course='PHYS101', user='s1002', role='editingteacher'),
                  dict(course='BIO100', user='alice'), dict(course='PHYS101', user='alice'),
                  dict(course='PHYS101', user='s1003', state='absent')]
    result = ok(run_on_emulator, enrolments=enrolments, check_mode=True, diff=True)
    assert [e['action'] for e in result['enrolments']] == ['enrolled', 'enrolled', 'enrolled', 'enrolled', 'unchanged']
    assert result['changed'] and writes(emulator) == [] and enrolments_on(emulator) == {}
    assert result['enrolments'][1]['role'] == 'editingteacher' and result['enrolments'][0]['userid'] is None
    assert result['enrolments'][0]['warnings'] == ["check mode: no user with username 's1001' yet"]
    assert 'warnings' not in result['enrolments'][3]
    # One grouped warning names every missing object, however many items refer to it.
    [warning] = [w for w in result['warnings'] if w.startswith('Check mode')]
    assert "user with username 's1001', 's1002', 's1003'" in warning and "course with shortname 'BIO100'" in warning
    assert 'a real run fails before any write' in warning
    assert len(result['diff']) == 4


def test_a_real_run_still_fails_on_a_missing_user_before_any_write(emulator, run_on_emulator):
    seed(emulator)
    result = run_on_emulator(MoodleEnrolmentModule, enrolments=[dict(course='PHYS101', user='alice'),
                                                                dict(course='PHYS101', user='s1001')])
    assert result['failed'] and writes(emulator) == [] and enrolments_on(emulator) == {}
    assert "no user with username 's1001'" in result['msg']


def test_check_mode_still_fails_on_what_an_earlier_task_cannot_fix(emulator, run_on_emulator):
    seed(emulator, users=[dict(id=6, username='dup1', firstname='D', lastname='One', email='same@example.com'),
                          dict(id=7, username='dup2', firstname='D', lastname='Two', email='same@example.com')])
    result = run_on_emulator(MoodleEnrolmentModule, check_mode=True, enrolments=[
        dict(course='PHYS101', user='s1001', role='wizard'),
        dict(course='PHYS101', user='same@example.com', user_field='email')])
    assert result['failed'] and writes(emulator) == []
    assert "enrolments[0] (s1001 in PHYS101): no role with shortname 'wizard'" in result['msg']
    assert '2 users have email' in result['msg']


# -- writes Moodle rejects or answers with an error ----------------------------------------------
def test_a_rejected_item_is_isolated_and_the_rest_enrolled(emulator, run_on_emulator, plugin):
    # LOCKED1's manual instance is disabled: Moodle rejects the call with robert's item as a whole (wsnoinstance).
    seed(emulator, plugin, courses=[LOCKED])
    result = run_on_emulator(MoodleEnrolmentModule, enrolments=[
        dict(course='PHYS101', user='alice'), dict(course='LOCKED1', user='robert'), dict(course='PHYS101', user='carol')])
    assert result['failed'] and 'enrolments[1] (robert in LOCKED1)' in result['msg']
    assert [e['action'] for e in result['enrolments']] == ['enrolled', 'failed', 'enrolled']
    assert "Manual enrolment plugin instance doesn't exist or is disabled" in result['enrolments'][1]['failed']
    # all three rolled back, then alice / robert and carol in halves, then robert and carol apart
    assert writes(emulator) == [(ENROL, 'wsnoinstance'), (ENROL, None), (ENROL, 'wsnoinstance'),
                                (ENROL, 'wsnoinstance'), (ENROL, None)]
    assert sorted(enrolments_on(emulator)) == [('PHYS101', 'alice'), ('PHYS101', 'carol')]


def test_a_rejected_unenrolment_is_isolated_as_before(emulator, run_on_emulator):
    # NOMANUAL1 has no manual instance: Moodle rejects a manual unenrolment there (wsnoinstance). Without the plugin,
    # carol's self enrolment there counts as enrolled, so her unenrolment is sent.
    seed(emulator, courses=[dict(shortname='NOMANUAL1', fullname='No manual 1', manual_enrol=False)],
         enrolments=[dict(user='alice', course='PHYS101'), dict(user='carol', course='NOMANUAL1', method='self')])
    result = run_on_emulator(MoodleEnrolmentModule, enrolments=[dict(course='PHYS101', user='alice', state='absent'),
                                                                dict(course='NOMANUAL1', user='carol', state='absent')])
    assert result['failed'] and [e['action'] for e in result['enrolments']] == ['unenrolled', 'failed']
    # both, rolled back; then alice alone; then carol alone
    assert writes(emulator) == [(UNENROL, 'wsnoinstance'), (UNENROL, None), (UNENROL, 'wsnoinstance')]
    assert enrolments_on(emulator) == {('NOMANUAL1', 'carol'): {'self': (0, 0, 0)}}


def test_a_message_moodle_fails_to_send_after_enrolling_is_explained(emulator, run_on_emulator):
    # Moodle commits the enrolments, then its messaging fails: lib/classes/message/manager.php throws
    # moodle_exception("Message was not sent.") when a processor such as e-mail fails. The emulator sends no
    # message, so the two halves are played apart: the enrolments land just before the call (the same enrolments
    # enrol_manual_enrol_users makes: manual, student, active, no dates) and the call answers Moodle's error.
    seed(emulator)
    made = [dict(user='carol', course='PHYS101', role='student'), dict(user='carol', course='CHEM201', role='student')]
    emulator.faults(concurrent=dict(enrolments=made), functions=['core_user_get_users_by_field'])
    emulator.faults(answer=dict(exception='moodle_exception', errorcode='Message was not sent.',
                                message='error/Message was not sent.'), functions=[ENROL])
    result = ok(run_on_emulator, enrolments=[dict(course='PHYS101', user='carol'), dict(course='CHEM201', user='carol')])
    assert [e['action'] for e in result['enrolments']] == ['enrolled', 'enrolled']
    [warning] = result['warnings']
    assert 'Moodle made the change (the module re-read the site and verified it)' in warning
    assert 'messaging or outgoing mail set-up' in warning and 'Outgoing mail configuration' in warning
    # the one enrol call, answered with the error (the forced answer is not logged as an errorcode)
    assert writes(emulator) == [(ENROL, None)]
    assert [entry['wsfunction'] for entry in emulator.requests if entry['fault']] == ['core_user_get_users_by_field',
                                                                                      ENROL]
    assert manual(emulator, 'PHYS101', 'carol') == manual(emulator, 'CHEM201', 'carol') == (0, 0, 0)


# -- another writer between the read and the write ---------------------------------------------------
def race(emulator, role):
    """Another writer enrols carol in PHYS101 with ``role`` just before this run's enrol call; robert's item, in
    LOCKED1 whose manual instance is disabled, makes Moodle reject the call, so it is rolled back and the module
    re-reads."""
    emulator.faults(concurrent=dict(enrolments=[dict(user='carol', course='PHYS101', role=role)]), functions=[ENROL])


def test_an_enrolment_another_writer_made_differently_is_planned_again_and_sent_once(emulator, run_on_emulator):
    seed(emulator, courses=[LOCKED])
    race(emulator, 'teacher')
    result = run_on_emulator(MoodleEnrolmentModule, enrolments=[
        dict(course='PHYS101', user='carol', role='student', timestart=0, timeend=0),
        dict(course='LOCKED1', user='robert'), dict(course='PHYS101', user='alice')])
    assert [e['action'] for e in result['enrolments']] == ['updated', 'failed', 'enrolled']
    assert course_roles(emulator, 'PHYS101', 'carol') == ['student', 'teacher']
    assert manual(emulator, 'PHYS101', 'alice') == (0, 0, 0) and manual(emulator, 'LOCKED1', 'robert') is None
    assert result['enrolments'][0]['changed_fields'] == ['role']
    assert any('another writer enrolled these users' in w and 'sent once' in w for w in result['warnings'])
    # The call with robert, then robert and alice (rolled back with it), robert alone, alice alone; carol's new plan
    # once.
    assert writes(emulator) == [(ENROL, 'wsnoinstance'), (ENROL, 'wsnoinstance'), (ENROL, 'wsnoinstance'),
                                (ENROL, None), (ENROL, None)]


def test_a_new_plan_core_moodle_cannot_make_safely_fails_naming_what_the_other_writer_made(emulator, run_on_emulator):
    seed(emulator, courses=[LOCKED])
    race(emulator, 'teacher')
    result = run_on_emulator(MoodleEnrolmentModule, enrolments=[dict(course='PHYS101', user='carol', role='student'),
                                                                dict(course='LOCKED1', user='robert')])
    carol = result['enrolments'][0]
    assert result['failed'] and carol['action'] == 'failed'
    assert carol['failed'].startswith('another writer enrolled this user between this run\'s read and its write '
                                      '(roles teacher, active); planned again: adding role student needs a re-enrolment')
    # the other writer's enrolment is left as it is
    assert course_roles(emulator, 'PHYS101', 'carol') == ['teacher'] and manual(emulator, 'PHYS101', 'carol') == (0, 0, 0)


def test_an_enrolment_another_writer_made_as_asked_is_unchanged(emulator, run_on_emulator, plugin):
    seed(emulator, plugin, courses=[LOCKED])
    race(emulator, 'student')
    result = run_on_emulator(MoodleEnrolmentModule, enrolments=[dict(course='PHYS101', user='carol'),
                                                                dict(course='LOCKED1', user='robert')])
    assert [e['action'] for e in result['enrolments']] == ['unchanged', 'failed']
    assert any('as asked: reported unchanged' in w for w in result['warnings'])
    assert not any('Moodle applied the write' in w for w in result['warnings'])
    assert writes(emulator) == [(ENROL, 'wsnoinstance'), (ENROL, 'wsnoinstance')]
    assert course_roles(emulator, 'PHYS101', 'carol') == ['student']
