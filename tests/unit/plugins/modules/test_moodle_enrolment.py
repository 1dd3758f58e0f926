# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_enrolment's comparison, planning and writes, against an in-memory site that behaves like Moodle.

The fake site follows the recordings: enrol_manual_enrol_users is all-or-nothing and overwrites timestart,
timeend and status with what is sent (0, 0, active when not sent) and adds the role; core_enrol_get_enrolled_users
lists every enrolled user with its course roles, and with onlysuspended the ones not active now.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

import pytest

from ansible_collections.lmsops.moodle.plugins.module_utils.api import (
    PLUGIN_BULK_FUNCTIONS, PLUGIN_FUNCTIONS, REQUIRED_FUNCTIONS)
from ansible_collections.lmsops.moodle.plugins.module_utils.client import MoodleError
from ansible_collections.lmsops.moodle.plugins.module_utils.resolve import STANDARD_ASSIGNABLE, STANDARD_ROLES
from ansible_collections.lmsops.moodle.plugins.modules.moodle_enrolment import (
    DATES_UNVERIFIED, STATUS_UNVERIFIED, MoodleEnrolmentModule, in_window, plan_enrolment)
from ansible_collections.lmsops.moodle.tests.unit.plugins.module_args import Finished, build_module, run_module

NOW = int(time.time())
DAY = 86400
SEPT_1 = 1788220800


# -- an in-memory Moodle ------------------------------------------------------------------
class FakeSite:
    def __init__(self, plugin=False, bulk=False):
        self.plugin = plugin
        self.bulk = bulk            # the plugin's 1.2 bulk reads too
        self.courses = {2: dict(id=2, shortname='PHYS101', idnumber='phys101'),
                        3: dict(id=3, shortname='CHEM201', idnumber='chem201'),
                        4: dict(id=4, shortname='MATH301', idnumber='math301')}
        self.users = {2: dict(id=2, username='admin', email='admin@example.com'),
                      3: dict(id=3, username='alice', email='alice@example.com', idnumber='A-1'),
                      4: dict(id=4, username='robert', email='bob@example.com'),
                      5: dict(id=5, username='carol', email='carol@example.com')}
        self.roles = dict((rid, name) for name, rid in STANDARD_ROLES.items())
        self.enrolments = {}   # manual: (courseid, userid) -> dict(status, timestart, timeend, roles, enrol)
        self.others = {}       # other methods: (courseid, userid) -> dict(methods, roles), always active
        self.calls = []
        self.reject_users = set()
        self.error_after_write = None     # a MoodleError raised once the enrolments are in place
        self.other_writer = None          # called with the site just before the next enrol call runs

    # site
    def site_info(self):
        functions = list(REQUIRED_FUNCTIONS['moodle_enrolment']) + (list(PLUGIN_FUNCTIONS) if self.plugin else [])
        functions += list(PLUGIN_BULK_FUNCTIONS) if self.plugin and self.bulk else []
        return dict(userid=2, functions=[dict(name=name) for name in functions])

    def offered_functions(self):
        return set(f['name'] for f in self.site_info()['functions'])

    def offers(self, *names):
        return all(name in self.offered_functions() for name in names)

    def plugin_available(self):
        return self.plugin

    def require(self, functions):
        missing = [f for f in functions if f not in self.offered_functions()]
        if missing:
            raise MoodleError('missing %s' % missing, kind='access')

    # reads
    def get_users_by_field(self, field, values):
        self.calls.append(('core_user_get_users_by_field', False))
        wanted = set(str(v).lower() if field == 'email' else str(v) for v in values)
        return [dict(u) for u in self.users.values()
                if (str(u.get(field, '')).lower() if field == 'email' else str(u.get(field, ''))) in wanted]

    def get_courses(self, field, values):
        values = [str(v) for v in values]
        self.calls.append(('core_course_get_courses_by_field', False))
        return [dict(c) for c in self.courses.values() if str(c[field]) in values]

    def get_courses_by_field(self, field, value):
        assert (field, value) == ('', ''), 'only the read of every course is faked'
        self.calls.append(('core_course_get_courses_by_field', False))
        return [dict(c) for c in self.courses.values()]

    def active(self, enrolment):
        if 'methods' in enrolment:
            return True
        return enrolment['status'] == 0 and in_window(enrolment['timestart'], enrolment['timeend'], int(time.time()))

    def site_course_id(self):
        return 1

    def get_enrolled_users(self, courseid, fields=('id', 'roles'), onlysuspended=False, limitfrom=0, limitnumber=0):
        self.calls.append(('core_enrol_get_enrolled_users', False))
        if courseid == 1:       # the front page: every user, only the fields asked for
            listed = [dict((k, v) for k, v in u.items() if k in fields) for uid, u in sorted(self.users.items())]
            return listed[limitfrom:limitfrom + limitnumber] if limitnumber else listed
        users = {}
        for (cid, uid), enrolment in list(self.enrolments.items()) + list(self.others.items()):
            if cid == courseid:
                users.setdefault(uid, []).append(enrolment)
        result = []
        for uid, enrolments in sorted(users.items()):
            active = any(self.active(e) for e in enrolments)
            if onlysuspended and active:
                continue
            roles = sorted(set(r for e in enrolments for r in e['roles']))
            user = dict(self.users[uid], roles=[dict(roleid=r, shortname=self.roles[r]) for r in roles])
            result.append(dict((k, v) for k, v in user.items() if k in fields))
        return result

    def plugin_get_roles(self):
        self.calls.append(('local_lmsops_get_roles', False))
        return [dict(id=rid, shortname=name, contextlevels=[{'category': 'coursecat'}.get(level, level)
                                                            for level in STANDARD_ASSIGNABLE.get(name, ('course',))])
                for rid, name in self.roles.items()]

    def plugin_get_enrolments(self, courseids, userfields=False):
        self.calls.append(('local_lmsops_get_enrolments', False))
        rows = []
        for courseid in courseids:
            for row in self._enrolment_rows(courseid):
                row['courseid'] = courseid
                if userfields:
                    user = self.users[row['userid']]
                    row.update(username=user['username'], email=user.get('email', ''), idnumber=user.get('idnumber', ''))
                rows.append(row)
        return rows

    def plugin_get_user_enrolments(self, courseid, userids=None):
        self.calls.append(('local_lmsops_get_user_enrolments', False))
        return [row for row in self._enrolment_rows(courseid) if not userids or row['userid'] in userids]

    def _enrolment_rows(self, courseid):
        rows = []
        for (cid, uid), e in sorted(self.enrolments.items()):
            if cid == courseid:
                rows.append(dict(userid=uid, enrolid=10 + cid, enrol='manual', status=e['status'],
                                 timestart=e['timestart'], timeend=e['timeend'], roles=self._roles(cid, uid)))
        for (cid, uid), e in sorted(self.others.items()):
            if cid == courseid:
                rows.extend(dict(userid=uid, enrolid=20 + cid, enrol=method, status=0, timestart=0, timeend=0,
                                 roles=self._roles(cid, uid)) for method in sorted(e['methods']))
        return rows

    # writes
    def enrol_users(self, enrolments):
        self.calls.append(('enrol_manual_enrol_users', True))
        if self.other_writer:
            # Another writer, between this run's read and its write (once).
            writer, self.other_writer = self.other_writer, None
            writer(self)
        for e in enrolments:
            if e['userid'] in self.reject_users or e['userid'] not in self.users:
                raise MoodleError('Invalid user', kind='moodle', errorcode='invaliduser')
            if e['roleid'] not in (1, 3, 4, 5) and e['roleid'] not in self.roles:
                raise MoodleError('Invalid parameter value detected', kind='invalid_parameter')
        for e in enrolments:
            key = (e['courseid'], e['userid'])
            current = self.enrolments.setdefault(key, dict(roles=set(), enrol='manual'))
            current.update(status=1 if e.get('suspend') else 0, timestart=e.get('timestart') or 0,
                           timeend=e.get('timeend') or 0)
            current['roles'].add(e['roleid'])
        if self.error_after_write:
            raise self.error_after_write

    def _roles(self, courseid, userid):
        roles = set()
        for table in (self.enrolments, self.others):
            roles |= table.get((courseid, userid), {}).get('roles', set())
        return [dict(roleid=r, shortname=self.roles[r]) for r in sorted(roles)]

    def unenrol_users(self, enrolments):
        # Like Moodle: only the manual enrolment goes, and the course roles go with the user's last enrolment.
        self.calls.append(('enrol_manual_unenrol_users', True))
        for e in enrolments:
            manual = self.enrolments.pop((e['courseid'], e['userid']), None)
            other = self.others.get((e['courseid'], e['userid']))
            if manual and other:
                other['roles'] |= manual['roles']

    def writes(self):
        return [name for name, write in self.calls if write]

    def enrol(self, courseid, userid, roles=(5,), status=0, timestart=0, timeend=0, enrol='manual'):
        if enrol != 'manual':
            other = self.others.setdefault((courseid, userid), dict(methods=set(), roles=set()))
            other['methods'].add(enrol)
            other['roles'] |= set(roles)
            return
        self.enrolments[(courseid, userid)] = dict(roles=set(roles), status=status, timestart=timestart,
                                                   timeend=timeend, enrol=enrol)


def item(**options):
    base = dict((name, spec.get('default')) for name, spec in MoodleEnrolmentModule.item_options.items())
    base.update(options)
    return base


def run(site, enrolments=None, check_mode=False, diff=False, **single):
    params = dict((name, None) for name in MoodleEnrolmentModule.item_options)
    params.update(course_field='shortname', user_field='username', state='present', enrolments=None)
    if enrolments is not None:
        params['enrolments'] = [item(**e) for e in enrolments]
    params.update(single)
    module = build_module(MoodleEnrolmentModule, site, params, check_mode, diff)
    site.calls = []
    with pytest.raises(Finished) as finished:
        module.run()
    outcome = finished.value
    outcome.result['warnings'] = module.module.warnings
    return outcome


def ok(site, **kwargs):
    outcome = run(site, **kwargs)
    assert not outcome.failed, outcome.result['msg']
    return outcome.result


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


# -- plan_enrolment: the comparison ---------------------------------------------------------
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


# -- validation --------------------------------------------------------------------------
def problems(**options):
    return build_module(MoodleEnrolmentModule, FakeSite(), {}).validate_item(item(**options))


def test_validation_names_each_problem():
    assert problems(course='PHYS101', user='alice') == []
    assert problems(course='PHYS101', user='alice', timestart='2026-09-01', timeend=1798761600) == []
    assert problems(course=None, user='alice') == ['course is required']
    assert 'positive number' in problems(course='PHYS', course_field='id', user='alice')[0]
    assert problems(course=2, course_field='id', user='3', user_field='id') == []
    assert 'timestart' in problems(course='P', user='a', timestart='someday')[0]
    assert 'no zone' in problems(course='P', user='a', timeend='2026-09-01T10:00:00')[0]
    assert 'not after timestart' in problems(course='P', user='a', timestart='2026-09-02', timeend='2026-09-01')[0]
    assert 'state=absent' in problems(course='P', user='a', state='absent', role='teacher')[0]
    assert 'must be a username' in problems(course='P', user=['a'])[0]


# -- whole runs against the fake site -------------------------------------------------------------
def test_classic_sequence_without_the_plugin():
    site = FakeSite()
    check = ok(site, course='PHYS101', user='alice', check_mode=True)
    assert check['changed'] and check['enrolment']['action'] == 'enrolled' and site.writes() == []
    done = ok(site, course='PHYS101', user='alice', diff=True)
    assert done['enrolment'] == dict(check['enrolment'])
    assert done['enrolment']['role'] == 'student' and done['enrolment']['userid'] == 3
    assert done['enrolment']['courseid'] == 2 and done['diff'][0]['after'] == {'role': ['student'], 'suspended': False}
    assert site.enrolments[(2, 3)]['roles'] == {5}
    again = ok(site, course='PHYS101', user='alice')
    assert not again['changed'] and site.writes() == [] and again['warnings'] == []
    assert [name for name, dummy in site.calls].count('core_enrol_get_enrolled_users') == 1
    gone = ok(site, course='PHYS101', user='alice', state='absent')
    assert gone['enrolment']['action'] == 'unenrolled' and (2, 3) not in site.enrolments
    assert ok(site, course='PHYS101', user='alice', state='absent')['enrolment']['action'] == 'unchanged'
    assert site.writes() == []


def test_suspend_without_dates_is_refused_before_any_write_and_with_dates_applied():
    site = FakeSite()
    site.enrol(2, 3, timestart=SEPT_1 - 400 * DAY)
    refused = run(site, course='PHYS101', user='alice', suspended=True)
    assert refused.failed and 'timestart and timeend' in refused.result['msg'] and site.writes() == []
    check = ok(site, course='PHYS101', user='alice', suspended=True, timestart=0, timeend=0, check_mode=True)
    done = ok(site, course='PHYS101', user='alice', suspended=True, timestart=0, timeend=0)
    assert check['enrolment'] == done['enrolment'] and done['enrolment']['changed_fields'] == ['suspended']
    assert site.enrolments[(2, 3)]['status'] == 1 and site.enrolments[(2, 3)]['timestart'] == 0
    again = ok(site, course='PHYS101', user='alice', suspended=True, timestart=0, timeend=0)
    assert not again['changed'] and site.writes() == []
    assert any('could not be verified' in w for w in again['warnings'])
    back = ok(site, course='PHYS101', user='alice', suspended=False, timestart=0, timeend=0)
    assert back['enrolment']['changed_fields'] == ['suspended'] and site.enrolments[(2, 3)]['status'] == 0


def test_role_added_is_an_update_and_the_old_role_stays():
    site = FakeSite()
    site.enrol(2, 4, roles=(5,))
    done = ok(site, course='PHYS101', user='robert', role='editingteacher', timestart=0, timeend=0)
    assert done['enrolment']['action'] == 'updated' and done['enrolment']['changed_fields'] == ['role']
    assert site.enrolments[(2, 4)]['roles'] == {3, 5}
    assert not ok(site, course='PHYS101', user='robert', role='student')['changed']


def test_bad_input_fails_before_any_write_naming_items():
    site = FakeSite()
    outcome = run(site, enrolments=[dict(course='PHYS101', user='alice'), dict(course='NOPE', user='alice'),
                                    dict(course='PHYS101', user='nobody'),
                                    dict(course='CHEM201', user='alice', role='guest'),
                                    dict(course='CHEM201', user='robert', role='wizard')])
    assert outcome.failed and site.writes() == []
    msg = outcome.result['msg']
    assert "enrolments[1] (alice in NOPE): no course with shortname 'NOPE'" in msg
    assert "enrolments[2] (nobody in PHYS101): no user with username 'nobody'" in msg
    assert outcome.result['errors'] == [e for e in outcome.result['errors'] if 'enrolments[0]' not in e]
    site.calls = []
    outcome = run(site, enrolments=[dict(course='CHEM201', user='alice', role='guest'),
                                    dict(course='CHEM201', user='robert', role='wizard'),
                                    dict(course='chem201', course_field='idnumber', user='bob@example.com',
                                         user_field='email')])
    msg = outcome.result['msg']
    assert 'role guest cannot be assigned in a course' in msg and "no role with shortname 'wizard'" in msg
    assert 'enrolments[2]' in msg and 'same enrolment' in msg and site.writes() == []


def test_manager_can_be_an_enrolment_role():
    site = FakeSite()
    assert ok(site, course='CHEM201', user='alice', role='manager')['enrolment']['action'] == 'enrolled'
    assert site.enrolments[(3, 3)]['roles'] == {1}


def test_role_contradiction_fails_safe():
    site = FakeSite()
    site.roles[5] = 'learner'
    site.enrol(2, 4, roles=(5,))
    outcome = run(site, course='PHYS101', user='alice')
    assert outcome.failed and 'learner' in outcome.result['msg'] and site.writes() == []


def test_bulk_reads_each_course_once_and_writes_in_one_call():
    site = FakeSite()
    for uid in range(10, 40):
        site.users[uid] = dict(id=uid, username='u%d' % uid, email='u%d@example.org' % uid)
    items = [dict(course=course, user='u%d' % uid) for course in ('PHYS101', 'CHEM201', 'MATH301')
             for uid in range(10, 40)]
    done = ok(site, enrolments=items)
    assert done['summary'] == {'enrolled': 90} and site.writes() == ['enrol_manual_enrol_users']
    again = ok(site, enrolments=items)
    assert again['summary'] == {'unchanged': 90} and site.writes() == []
    names = [name for name, dummy in site.calls]
    # the repeat finds every user among the courses' enrolled users: no user is looked up
    assert names.count('core_enrol_get_enrolled_users') == 3 and names.count('core_user_get_users_by_field') == 0


def test_users_already_enrolled_are_not_looked_up_and_the_others_once():
    site = FakeSite()
    site.enrol(2, 3)
    done = ok(site, enrolments=[dict(course='PHYS101', user='alice'), dict(course='PHYS101', user='carol'),
                                dict(course='CHEM201', user='carol')])
    assert done['summary'] == {'unchanged': 1, 'enrolled': 2}
    names = [name for name, dummy in site.calls]
    # alice comes from PHYS101's enrolled users; carol, in two items, is looked up once
    assert names.count('core_user_get_users_by_field') == 1 and names.count('core_enrol_get_enrolled_users') == 2


def test_many_users_on_a_small_site_come_from_one_read_of_the_site_list():
    site = FakeSite()
    for uid in range(10, 70):
        site.users[uid] = dict(id=uid, username='u%d' % uid, email='u%d@example.org' % uid)
    done = ok(site, enrolments=[dict(course='PHYS101', user='u%d' % uid) for uid in range(10, 70)] +
              [dict(course='PHYS101', user='nobody', state='absent')], check_mode=True)
    assert done['summary'] == {'enrolled': 60, 'unchanged': 1}
    names = [name for name, dummy in site.calls]
    # PHYS101, the probe past 4 x 61 users, the site list; only the one user not in it is looked up
    assert names.count('core_enrol_get_enrolled_users') == 3 and names.count('core_user_get_users_by_field') == 1


def test_an_address_two_users_share_is_taken_from_the_enrolled_users_only_when_nothing_is_written():
    site = FakeSite()
    site.users[6] = dict(id=6, username='alice2', email='alice@example.com')
    site.enrol(2, 3)
    same = ok(site, course='PHYS101', user='alice@example.com', user_field='email')
    assert same['enrolment']['action'] == 'unchanged'
    assert [name for name, dummy in site.calls].count('core_user_get_users_by_field') == 0
    outcome = run(site, course='PHYS101', user='alice@example.com', user_field='email', role='teacher',
                  timestart=0, timeend=0)
    assert outcome.failed and '2 users have email' in outcome.result['msg'] and site.writes() == []


def test_a_rejected_item_is_isolated_and_the_rest_enrolled():
    site = FakeSite()
    site.reject_users.add(4)
    outcome = run(site, enrolments=[dict(course='PHYS101', user='alice'), dict(course='PHYS101', user='robert'),
                                    dict(course='PHYS101', user='carol')])
    assert outcome.failed and 'enrolments[1] (robert in PHYS101)' in outcome.result['msg']
    actions = [e['action'] for e in outcome.result['enrolments']]
    assert actions == ['enrolled', 'failed', 'enrolled']
    assert (2, 3) in site.enrolments and (2, 5) in site.enrolments and (2, 4) not in site.enrolments


def test_plugin_timeend_change_is_predicted_applied_and_keeps_the_rest():
    site = FakeSite(plugin=True)
    site.enrol(2, 3, status=1, timestart=SEPT_1, timeend=SEPT_1 + 100 * DAY)
    check = ok(site, course='PHYS101', user='alice', timeend='2027-01-31', check_mode=True, diff=True)
    assert check['enrolment']['changed_fields'] == ['timeend'] and site.writes() == []
    assert check['diff'][0]['after'] == {'timeend': '2027-01-31T00:00:00Z'}
    done = ok(site, course='PHYS101', user='alice', timeend='2027-01-31', diff=True)
    assert done['enrolment'] == check['enrolment'] and done['diff'] == check['diff']
    assert site.enrolments[(2, 3)] == dict(roles={5}, status=1, timestart=SEPT_1, timeend=1801353600, enrol='manual')
    again = ok(site, course='PHYS101', user='alice', timeend='2027-01-31')
    assert not again['changed'] and site.writes() == [] and again['warnings'] == []
    assert again['enrolment']['timeend'] == '2027-01-31T00:00:00Z' and again['enrolment']['suspended'] is True


def test_plugin_allows_suspending_without_dates_and_keeps_them():
    site = FakeSite(plugin=True)
    site.enrol(2, 3, timestart=SEPT_1)
    done = ok(site, course='PHYS101', user='alice', suspended=True)
    assert done['enrolment']['changed_fields'] == ['suspended']
    assert site.enrolments[(2, 3)]['timestart'] == SEPT_1 and site.enrolments[(2, 3)]['status'] == 1
    assert 'local_lmsops_get_user_enrolments' in [name for name, dummy in site.calls]
    assert 'core_enrol_get_enrolled_users' not in [name for name, dummy in site.calls]


def test_plugin_manages_manual_enrolments_only():
    site = FakeSite(plugin=True)
    site.enrol(2, 3, enrol='self')
    outcome = ok(site, course='PHYS101', user='alice', state='absent')
    assert outcome['enrolment']['action'] == 'unchanged' and 'self' in outcome['warnings'][0]
    site.enrol(3, 3, enrol='self')
    assert ok(site, course='CHEM201', user='alice', check_mode=True)['enrolment']['action'] == 'enrolled'


def test_without_a_role_a_reenrolment_sends_a_role_the_user_has():
    site = FakeSite()
    site.enrol(2, 4, roles=(4,))
    done = ok(site, course='PHYS101', user='robert', suspended=True, timestart=0, timeend=0)
    assert done['enrolment']['changed_fields'] == ['suspended'] and done['enrolment']['role'] == 'teacher'
    assert site.enrolments[(2, 4)]['roles'] == {4} and site.enrolments[(2, 4)]['status'] == 1


def test_role_id_of_a_role_the_catalogue_does_not_know():
    site = FakeSite()
    site.roles[9] = 'tutor'
    done = ok(site, course='PHYS101', user='alice', role_id=9)
    assert done['enrolment']['role'] == 'role id 9' and site.enrolments[(2, 3)]['roles'] == {9}
    assert not ok(site, course='PHYS101', user='alice', role_id=9)['changed']
    plugin_site = FakeSite(plugin=True)
    refused = run(plugin_site, course='PHYS101', user='alice', role_id=42)
    assert refused.failed and 'no role with id 42' in refused.result['msg']


def run_args(capsys, site, **args):
    """The real module, its argument spec included, with these options on the fake site; its JSON result."""
    site.calls = []
    return run_module(capsys, MoodleEnrolmentModule, site, **args)


def test_options_given_next_to_the_list_are_every_item_s_defaults(capsys):
    site = FakeSite()
    site.enrol(2, 5)
    done = run_args(capsys, site, course='PHYS101', role='editingteacher', timestart=0, timeend=0,
                    enrolments=[{'user': 'alice'}, {'user': 'robert', 'role': 'teacher'},
                                {'user': 'carol', 'course': 'CHEM201', 'role_id': 4}])
    assert not done.get('failed'), done['msg']
    assert [(e['course'], e['user'], e['role'], e['action']) for e in done['enrolments']] == [
        ('PHYS101', 'alice', 'editingteacher', 'enrolled'), ('PHYS101', 'robert', 'teacher', 'enrolled'),
        ('CHEM201', 'carol', 'teacher', 'enrolled')]
    assert site.enrolments[(2, 3)]['roles'] == {3} and site.enrolments[(3, 5)]['roles'] == {4}
    gone = run_args(capsys, site, course='PHYS101', state='absent', enrolments=[{'user': 'alice'}, {'user': 'robert'}])
    assert [e['action'] for e in gone['enrolments']] == ['unenrolled', 'unenrolled']
    assert (2, 3) not in site.enrolments and (2, 4) not in site.enrolments and (2, 5) in site.enrolments
    kept = run_args(capsys, site, course='PHYS101', state='absent', enrolments=[{'user': 'carol', 'state': 'present'}])
    assert kept['enrolments'][0]['action'] == 'unchanged' and (2, 5) in site.enrolments


def test_a_course_from_nowhere_is_named(capsys):
    result = run_args(capsys, FakeSite(), enrolments=[{'user': 'alice'}])
    assert result['failed'] and 'enrolments[0] (alice in ?): course is required' in result['msg']


def test_validation_and_planning_problems_are_reported_together():
    site = FakeSite()
    outcome = run(site, enrolments=[dict(course='PHYS101', user='alice', timestart='someday'),
                                    dict(course='NOPE', user='alice'),
                                    dict(course='CHEM201', user='robert', role='wizard')])
    assert outcome.failed and site.writes() == []
    errors = outcome.result['errors']
    assert len(errors) == 3 and [e.split(' ')[0] for e in errors] == ['enrolments[0]', 'enrolments[1]', 'enrolments[2]']
    assert 'timestart' in errors[0] and 'NOPE' in errors[1] and 'wizard' in errors[2]


def test_without_the_plugin_a_self_enrolment_is_reported_as_not_managed_and_converges():
    site = FakeSite()
    site.enrol(2, 3, enrol='self')
    first = ok(site, course='PHYS101', user='alice', state='absent')
    assert first['enrolment']['action'] == 'unchanged' and not first['changed']
    assert any('another enrolment method' in w for w in first['warnings'])
    assert 'enrol_manual_unenrol_users' in site.writes() and (2, 3) in site.others
    again = ok(site, course='PHYS101', user='alice', state='absent')
    assert again['enrolment']['action'] == 'unchanged' and not again['changed']


def test_without_the_plugin_a_manual_enrolment_beside_another_method_goes_and_the_other_stays():
    site = FakeSite()
    site.enrol(2, 3)
    site.enrol(2, 3, enrol='self')
    site.enrol(2, 4)
    done = ok(site, course='PHYS101', enrolments=[dict(user='alice', state='absent'), dict(user='robert', state='absent')])
    assert [e['action'] for e in done['enrolments']] == ['unchanged', 'unenrolled']
    assert (2, 3) not in site.enrolments and (2, 3) in site.others and (2, 4) not in site.enrolments


def test_with_the_plugin_no_call_is_sent_for_another_method_s_enrolment():
    site = FakeSite(plugin=True)
    site.enrol(2, 3, enrol='self')
    site.enrol(2, 4, enrol='cohort')
    site.enrol(2, 4)
    done = ok(site, course='PHYS101', enrolments=[dict(user='alice', state='absent'), dict(user='robert', state='absent')])
    assert [e['action'] for e in done['enrolments']] == ['unchanged', 'unenrolled']
    assert site.writes() == ['enrol_manual_unenrol_users'] and (2, 4) in site.others
    again = ok(site, course='PHYS101', enrolments=[dict(user='alice', state='absent'), dict(user='robert', state='absent')])
    assert not again['changed'] and site.writes() == [] and any('cohort' in w for w in again['warnings'])


# -- check mode across tasks: users and courses an earlier task of the run may create -------------

def test_check_mode_plans_items_whose_user_or_course_does_not_exist_yet_and_warns_once():
    site = FakeSite()
    enrolments = [dict(course='PHYS101', user='s1001'), dict(course='PHYS101', user='s1002', role='editingteacher'),
                  dict(course='BIO100', user='alice'), dict(course='PHYS101', user='alice'),
                  dict(course='PHYS101', user='s1003', state='absent')]
    outcome = run(site, enrolments=enrolments, check_mode=True, diff=True)
    assert not outcome.failed, outcome.result['msg']
    result = outcome.result
    assert [e['action'] for e in result['enrolments']] == ['enrolled', 'enrolled', 'enrolled', 'enrolled', 'unchanged']
    assert result['changed'] and site.writes() == []
    assert result['enrolments'][1]['role'] == 'editingteacher' and result['enrolments'][0]['userid'] is None
    assert result['enrolments'][0]['warnings'] == ["check mode: no user with username 's1001' yet"]
    assert 'warnings' not in result['enrolments'][3]
    # One grouped warning names every missing object, however many items refer to it.
    [warning] = [w for w in result['warnings'] if w.startswith('Check mode')]
    assert "user with username 's1001', 's1002', 's1003'" in warning and "course with shortname 'BIO100'" in warning
    assert 'a real run fails before any write' in warning
    assert len(result['diff']) == 4


def test_a_real_run_still_fails_on_a_missing_user_before_any_write():
    site = FakeSite()
    outcome = run(site, enrolments=[dict(course='PHYS101', user='alice'), dict(course='PHYS101', user='s1001')])
    assert outcome.failed and site.writes() == []
    assert "no user with username 's1001'" in outcome.result['msg']


def test_check_mode_still_fails_on_what_an_earlier_task_cannot_fix():
    site = FakeSite()
    site.users[6] = dict(id=6, username='dup1', email='same@example.com')
    site.users[7] = dict(id=7, username='dup2', email='same@example.com')
    outcome = run(site, check_mode=True, enrolments=[dict(course='PHYS101', user='s1001', role='wizard'),
                                                     dict(course='PHYS101', user='same@example.com', user_field='email')])
    assert outcome.failed
    assert "enrolments[0] (s1001 in PHYS101): no role with shortname 'wizard'" in outcome.result['msg']
    assert '2 users have email' in outcome.result['msg']


def test_many_items_with_one_cause_are_one_line_of_the_message_and_each_stays_in_errors():
    site = FakeSite()
    enrolments = [dict(course='PHYS101', user='b%d' % n) for n in range(3001, 3051)]
    enrolments.append(dict(course='PHYS101', user='alice', role='wizard'))
    enrolments.append(dict(course='PHYS101', user='robert', role='wizard'))
    outcome = run(site, enrolments=enrolments)
    assert outcome.failed and site.writes() == []
    msg = outcome.result['msg']
    assert msg.startswith('52 problem(s) in the input; nothing was changed: ')
    assert "no user with username: 'b3001', 'b3002'" in msg and 'and 40 more (50 items)' in msg
    assert msg.count('b30') == 10
    assert ("no role with shortname 'wizard'" in msg and 'enrolments[50] (alice in PHYS101), enrolments[51] '
            '(robert in PHYS101))' in msg)
    assert len(outcome.result['errors']) == 52
    assert outcome.result['errors'][0] == "enrolments[0] (b3001 in PHYS101): no user with username 'b3001'"


def test_a_course_that_differs_only_in_case_is_suggested():
    site = FakeSite()
    outcome = run(site, enrolments=[dict(course='phys-101', user='alice')])
    assert "no course with shortname 'phys-101' (did you mean 'PHYS101'?)" in outcome.result['msg']


def test_a_message_moodle_fails_to_send_after_enrolling_is_explained():
    # Moodle commits the enrolment, then its messaging fails (lib/classes/message/manager.php throws
    # moodle_exception("Message was not sent.") when a processor such as e-mail fails).
    site = FakeSite()
    site.error_after_write = MoodleError('error/Message was not sent.', kind='moodle', errorcode='Message was not sent.')
    result = ok(site, enrolments=[dict(course='PHYS101', user='carol'), dict(course='CHEM201', user='carol')])
    assert [e['action'] for e in result['enrolments']] == ['enrolled', 'enrolled']
    [warning] = result['warnings']
    assert 'Moodle made the change (the module re-read the site and verified it)' in warning
    assert 'messaging or outgoing mail set-up' in warning and 'Outgoing mail configuration' in warning
    assert site.writes() == ['enrol_manual_enrol_users']


# -- another writer between the read and the write ---------------------------------------------------

def race(site, **enrolment):
    """Another writer enrols carol in PHYS101 just before this run's enrol call; robert's item is rejected, so the
    call is rolled back and the module re-reads."""
    site.other_writer = lambda fake: fake.enrol(2, 5, **enrolment)
    site.reject_users.add(4)


def test_an_enrolment_another_writer_made_differently_is_planned_again_and_sent_once():
    site = FakeSite()
    race(site, roles=(4,))
    outcome = run(site, enrolments=[dict(course='PHYS101', user='carol', role='student', timestart=0, timeend=0),
                                    dict(course='PHYS101', user='robert'), dict(course='PHYS101', user='alice')])
    result = outcome.result
    assert [e['action'] for e in result['enrolments']] == ['updated', 'failed', 'enrolled']
    assert site.enrolments[(2, 5)]['roles'] == {4, 5} and (2, 3) in site.enrolments
    assert result['enrolments'][0]['changed_fields'] == ['role']
    assert any('another writer enrolled these users' in w and 'sent once' in w for w in result['warnings'])
    # The call with robert, then carol and alice (rolled back with it) in halves, then carol's new plan once.
    assert site.writes().count('enrol_manual_enrol_users') <= 5


def test_a_new_plan_core_moodle_cannot_make_safely_fails_naming_what_the_other_writer_made():
    site = FakeSite()
    race(site, roles=(4,))
    outcome = run(site, enrolments=[dict(course='PHYS101', user='carol', role='student'),
                                    dict(course='PHYS101', user='robert')])
    carol = outcome.result['enrolments'][0]
    assert outcome.failed and carol['action'] == 'failed'
    assert carol['failed'].startswith('another writer enrolled this user between this run\'s read and its write '
                                      '(roles teacher, active); planned again: adding role student needs a re-enrolment')
    assert site.enrolments[(2, 5)]['roles'] == {4}       # the other writer's enrolment is left as it is


def test_an_enrolment_another_writer_made_as_asked_is_unchanged():
    site = FakeSite(plugin=True)
    race(site, roles=(5,))
    outcome = run(site, enrolments=[dict(course='PHYS101', user='carol'), dict(course='PHYS101', user='robert')])
    result = outcome.result
    assert [e['action'] for e in result['enrolments']] == ['unchanged', 'failed']
    assert any('as asked: reported unchanged' in w for w in result['warnings'])
    assert not any('Moodle applied the write' in w for w in result['warnings'])


def test_a_rejected_unenrolment_is_isolated_as_before():
    site = FakeSite()
    site.enrol(2, 3)
    site.enrol(2, 5)
    calls = []

    def unenrol(enrolments):
        calls.append([e['userid'] for e in enrolments])
        if any(e['userid'] == 5 for e in enrolments):
            raise MoodleError('Invalid parameter value detected', kind='invalid_parameter')
        for e in enrolments:
            site.enrolments.pop((e['courseid'], e['userid']), None)
    site.unenrol_users = unenrol
    outcome = run(site, enrolments=[dict(course='PHYS101', user='alice', state='absent'),
                                    dict(course='PHYS101', user='carol', state='absent')])
    assert [e['action'] for e in outcome.result['enrolments']] == ['unenrolled', 'failed']
    assert calls == [[3, 5], [3], [5]]


def test_with_the_plugin_s_bulk_reads_every_course_is_read_at_once_and_enrolled_users_need_no_look_up():
    site = FakeSite(plugin=True, bulk=True)
    site.enrol(2, 3, status=1)
    site.enrol(3, 3)
    done = ok(site, enrolments=[dict(course='PHYS101', user='alice', suspended=True),
                                dict(course='CHEM201', user='alice'), dict(course='CHEM201', user='carol')])
    assert [e['action'] for e in done['enrolments']] == ['unchanged', 'unchanged', 'enrolled']
    names = [name for name, dummy in site.calls]
    # one read of both courses with the users' identities; carol alone is looked up; nothing read per course
    assert names.count('local_lmsops_get_enrolments') == 1 and names.count('core_user_get_users_by_field') == 1
    assert 'local_lmsops_get_user_enrolments' not in names and 'core_enrol_get_enrolled_users' not in names
