# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resolvers and the role catalogue, against a small fake API (pure logic, no I/O)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.lmsops.moodle.plugins.module_utils.client import MoodleError
from ansible_collections.lmsops.moodle.plugins.module_utils.resolve import (
    SITE_LIST_FACTOR, SITE_LIST_MIN, STANDARD_ROLES, Missing, RoleCatalogue, UserDirectory, is_deleted_user,
    resolve_categories, resolve_courses, resolve_users)

PLUGIN_ROLES = [
    {'id': 1, 'shortname': 'manager', 'contextlevels': ['system', 'coursecat', 'course']},
    {'id': 3, 'shortname': 'editingteacher', 'contextlevels': ['course', 'module']},
    {'id': 5, 'shortname': 'student', 'contextlevels': ['course', 'module', 'coursecat']},
    {'id': 11, 'shortname': 'parent', 'contextlevels': ['user']},
]


class FakeAPI:
    def __init__(self, plugin=False, roles=None, users=(), courses=(), categories=()):
        self.plugin = plugin
        self.roles = roles or []
        self.users = list(users)
        self.courses = list(courses)
        self.categories = list(categories)
        self.calls = []

    def plugin_available(self):
        return self.plugin

    def plugin_get_roles(self):
        self.calls.append('plugin_get_roles')
        return self.roles

    def get_users_by_field(self, field, values):
        self.calls.append(('users', field, list(values)))
        wanted = set(str(v).lower() if field == 'email' else str(v) for v in values)
        return [u for u in self.users
                if (str(u.get(field)).lower() if field == 'email' else str(u.get(field))) in wanted]

    def get_courses(self, field, values):
        self.calls.append(('courses', field, list(values)))
        wanted = set(str(v) for v in values)
        return [c for c in self.courses if str(c.get(field)) in wanted]

    def get_courses_by_field(self, field, value):
        self.calls.append(('courses_by_field', field, value))
        assert (field, value) == ('', ''), 'only the read of every course is faked'
        return list(self.courses)

    def get_categories(self, key, value):
        self.calls.append(('categories', key, value))
        return [c for c in self.categories if str(c.get(key)) == str(value)]

    def site_course_id(self):
        return 1

    def offers(self, *names):
        """Only the plugin 1.1 reads (when on): never its light user read."""
        return False

    def get_enrolled_users(self, courseid, fields=('id', 'roles'), limitfrom=0, limitnumber=0):
        """Only the site course (every user) is faked; ``refuse`` makes it a missing capability."""
        assert courseid == 1
        self.calls.append(('site list', tuple(fields), limitfrom, limitnumber))
        if getattr(self, 'refuse', False):
            raise MoodleError('Sorry, but you do not currently have permissions to do that (View participants).',
                              kind='permission', errorcode='nopermissions')
        listed = [dict((k, v) for k, v in u.items() if k in fields) for u in self.users]
        return listed[limitfrom:limitfrom + limitnumber] if limitnumber else listed


# -- the standard catalogue -----------------------------------------------------------------

def test_standard_roles_resolve_without_the_plugin():
    catalogue = RoleCatalogue(FakeAPI())
    assert not catalogue.exact
    assert catalogue.role_id('student') == 5
    assert catalogue.role_id('manager') == 1
    assert catalogue.shortname(3) == 'editingteacher'
    assert catalogue.role_id('tutor') is None
    assert catalogue.shortname(42) is None
    assert dict((name, catalogue.role_id(name)) for name in STANDARD_ROLES) == STANDARD_ROLES


def test_standard_assignable_levels_follow_moodle_defaults():
    catalogue = RoleCatalogue(FakeAPI())
    assert catalogue.assignable(5, 'course') is True
    assert catalogue.assignable(5, 'module') is True
    assert catalogue.assignable(5, 'system') is False
    assert catalogue.assignable(2, 'category') is True
    assert catalogue.assignable(2, 'course') is False
    assert catalogue.assignable(1, 'system') is True
    assert catalogue.assignable(6, 'course') is False        # guest: nowhere
    assert catalogue.assignable(42, 'course') is None        # unknown role: not known, not refused


def test_observed_pairs_that_agree_leave_no_contradiction():
    catalogue = RoleCatalogue(FakeAPI())
    catalogue.observe(5, 'student')
    catalogue.observe(3, 'editingteacher')
    catalogue.check()
    assert catalogue.contradictions == []


def test_an_id_shown_with_another_shortname_is_a_contradiction():
    catalogue = RoleCatalogue(FakeAPI())
    catalogue.observe(5, 'teacher')
    with pytest.raises(MoodleError) as caught:
        catalogue.check()
    assert caught.value.kind == 'role_mismatch'
    assert "role id 5 as 'teacher', not 'student'" in str(caught.value)
    assert 'role_id' in caught.value.hint and 'local_lmsops' in caught.value.hint


def test_a_shortname_shown_with_another_id_is_a_contradiction():
    catalogue = RoleCatalogue(FakeAPI())
    catalogue.observe(9, 'student')
    with pytest.raises(MoodleError) as caught:
        catalogue.check()
    assert "'student' with id 9, not 5" in str(caught.value)


def test_contradictions_are_reported_once_each():
    catalogue = RoleCatalogue(FakeAPI())
    for dummy in range(3):
        catalogue.observe(5, 'teacher')
    with pytest.raises(MoodleError) as caught:
        catalogue.check()
    assert str(caught.value).count("role id 5 as 'teacher'") == 1


def test_a_custom_role_seen_on_the_site_is_learnt():
    catalogue = RoleCatalogue(FakeAPI())
    catalogue.observe(9, 'tutor')
    catalogue.check()
    assert catalogue.role_id('tutor') == 9
    assert catalogue.shortname(9) == 'tutor'
    assert catalogue.assignable(9, 'course') is None


# -- the plugin's catalogue ----------------------------------------------------------------------

def test_plugin_roles_replace_the_standard_ones():
    api = FakeAPI(plugin=True, roles=PLUGIN_ROLES)
    catalogue = RoleCatalogue(api)
    assert catalogue.exact
    assert api.calls == ['plugin_get_roles']
    assert catalogue.role_id('parent') == 11
    assert catalogue.role_id('teacher') is None          # not on this site
    assert catalogue.role_id('coursecreator') is None


def test_plugin_levels_are_mapped_to_the_module_names():
    catalogue = RoleCatalogue(FakeAPI(plugin=True, roles=PLUGIN_ROLES))
    assert catalogue.assignable(5, 'category') is True   # coursecat on this site
    assert catalogue.assignable(5, 'system') is False
    assert catalogue.assignable(11, 'user') is True
    assert catalogue.assignable(1, 'category') is True
    assert catalogue.assignable(99, 'course') is None


def test_plugin_catalogue_still_notices_a_contradiction():
    catalogue = RoleCatalogue(FakeAPI(plugin=True, roles=PLUGIN_ROLES))
    catalogue.observe(5, 'student')
    catalogue.check()
    catalogue.observe(3, 'teacher')
    with pytest.raises(MoodleError):
        catalogue.check()


# -- users, courses, categories -------------------------------------------------------------------

DELETED = {'id': 4, 'username': 'bob@example.com.1795352283', 'email': '684c851af59965b680086b7b4896ff98'}


def test_is_deleted_user_recognises_moodles_soft_delete():
    assert is_deleted_user(DELETED)
    assert not is_deleted_user({'id': 3, 'username': 'alice', 'email': 'alice@example.com'})
    # An md5-looking address alone, or a dotted username alone, is not a deletion.
    assert not is_deleted_user({'id': 5, 'username': 'carol', 'email': '684c851af59965b680086b7b4896ff98'})
    assert not is_deleted_user({'id': 6, 'username': 'dan@example.com.123', 'email': 'dan@example.com'})
    assert not is_deleted_user({'id': 7})


def test_resolve_users_reports_unknown_deleted_and_ambiguous():
    api = FakeAPI(users=[{'id': 3, 'username': 'alice', 'email': 'alice@example.com'},
                         {'id': 5, 'username': 'carol', 'email': 'same@example.com'},
                         {'id': 6, 'username': 'dan', 'email': 'Same@example.com'}, DELETED])
    found, problems = resolve_users(api, 'id', ['3', '4', '99'])
    assert found == {'3': api.users[0]}
    assert 'deleted' in problems['4']
    assert 'no user with id' in problems['99']
    found, problems = resolve_users(api, 'email', ['ALICE@example.com', 'same@example.com'])
    assert found['ALICE@example.com']['id'] == 3
    assert '2 users' in problems['same@example.com'] and 'carol' in problems['same@example.com']


def test_resolve_users_reads_once_per_field_for_all_values():
    api = FakeAPI(users=[{'id': 3, 'username': 'alice', 'email': 'a@x.org'}])
    resolve_users(api, 'username', ['alice', 'bob', 'alice'])
    assert api.calls == [('users', 'username', ['alice', 'bob'])]


def test_resolve_courses_and_categories():
    api = FakeAPI(courses=[{'id': 2, 'shortname': 'PHYS101', 'idnumber': 'phys101'}],
                  categories=[{'id': 1, 'name': 'Category 1', 'idnumber': None},
                              {'id': 7, 'name': 'Science', 'idnumber': 'SCI'}])
    found, problems = resolve_courses(api, 'shortname', ['PHYS101', 'NOPE'])
    assert found['PHYS101']['id'] == 2 and 'NOPE' in problems
    found, problems = resolve_courses(api, 'id', ['2'])
    assert found['2']['id'] == 2 and not problems
    found, problems = resolve_courses(api, 'idnumber', ['missing'])
    assert 'moodle/course:update' in problems['missing']
    found, problems = resolve_categories(api, 'idnumber', ['SCI', 'ART'])
    assert found['SCI']['id'] == 7
    assert 'moodle/category:manage' in problems['ART']
    found, problems = resolve_categories(api, 'id', ['1'])
    assert found['1']['id'] == 1


def test_a_missing_object_is_told_apart_from_other_problems():
    api = FakeAPI(users=[{'id': 5, 'username': 'carol', 'email': 'same@example.com'},
                         {'id': 6, 'username': 'dan', 'email': 'Same@example.com'}],
                  categories=[{'id': 7, 'name': 'Science', 'idnumber': 'SCI'}])
    dummy, problems = resolve_users(api, 'email', ['nobody@example.com', 'same@example.com'])
    missing = problems['nobody@example.com']
    assert isinstance(missing, Missing) and (missing.what, missing.value) == ('user with email', 'nobody@example.com')
    assert missing == "no user with email 'nobody@example.com'"
    assert not isinstance(problems['same@example.com'], Missing)       # ambiguous: exists twice
    dummy, problems = resolve_categories(api, 'idnumber', ['ART'])
    assert isinstance(problems['ART'], Missing) and problems['ART'].what == 'course category with idnumber'


def test_a_missing_shortname_suggests_the_one_that_differs_only_in_case_or_punctuation():
    api = FakeAPI(courses=[{'id': 2, 'shortname': 'PHYS-101'}, {'id': 3, 'shortname': 'CHEM201'}])
    found, problems = resolve_courses(api, 'shortname', ['phys101', 'CHEM201', 'BIO1'])
    assert list(found) == ['CHEM201']
    assert problems['phys101'] == "no course with shortname 'phys101' (did you mean 'PHYS-101'?)"
    assert isinstance(problems['phys101'], Missing)
    assert problems['BIO1'] == "no course with shortname 'BIO1'"
    # One read of every course, only because some were missing.
    assert api.calls.count(('courses_by_field', '', '')) == 1
    api.calls = []
    resolve_courses(api, 'shortname', ['CHEM201'])
    assert ('courses_by_field', '', '') not in api.calls


# -- the user directory --------------------------------------------------------------------------

def test_users_already_read_answer_look_ups_by_id_and_username_without_a_request():
    api = FakeAPI(users=[{'id': 3, 'username': 'alice'}, {'id': 4, 'username': 'bob'}])
    directory = UserDirectory(api)
    directory.learn([{'id': 3, 'username': 'alice', 'roles': []}])
    assert directory.resolve('username', ['alice'])[0]['alice']['id'] == 3
    assert directory.resolve('id', ['3'])[0]['3']['id'] == 3
    found, problems = directory.resolve('username', ['alice', 'bob', 'nobody'])
    assert sorted(found) == ['alice', 'bob'] and isinstance(problems['nobody'], Missing)
    assert api.calls == [('users', 'username', ['bob', 'nobody'])]


def test_each_value_is_looked_up_once_per_run():
    api = FakeAPI(users=[{'id': 4, 'username': 'bob'}])
    directory = UserDirectory(api)
    directory.resolve('username', ['bob', 'nobody'])
    found, problems = directory.resolve('username', ['nobody', 'bob'])
    assert found['bob']['id'] == 4 and 'nobody' in problems
    assert api.calls == [('users', 'username', ['bob', 'nobody'])]


def test_an_address_matches_as_moodle_matches_it_and_stays_provisional_until_confirmed():
    api = FakeAPI(users=[{'id': 3, 'username': 'alice', 'email': 'alice@example.com'},
                         {'id': 6, 'username': 'alice2', 'email': 'alice@example.com'}])
    directory = UserDirectory(api)
    directory.learn([{'id': 3, 'email': 'alice@example.com'}, {'id': 7, 'email': 'Mixed@Example.com'}])
    found, dummy = directory.resolve('email', ['ALICE@example.com', 'mixed@example.com'])
    # as written or in lowercase, exactly: a stored address with capitals is not found by its lowercase spelling
    assert found['ALICE@example.com']['id'] == 3 and 'mixed@example.com' not in found
    problems = directory.confirm('email', ['ALICE@example.com'])
    assert '2 users have email' in problems['ALICE@example.com']
    assert directory.confirm('email', ['mixed@example.com']) == {}     # not provisional: looked up already


def test_confirm_named_groups_by_field_and_keeps_each_entry_label_and_prefix():
    api = FakeAPI(users=[{'id': 3, 'username': 'alice', 'email': 'a@x.org', 'idnumber': 'S1'},
                         {'id': 6, 'username': 'alice2', 'email': 'a@x.org', 'idnumber': 'S1'},
                         {'id': 7, 'username': 'carol', 'email': 'c@x.org', 'idnumber': 'S7'}])
    directory = UserDirectory(api)
    directory.learn([{'id': 3, 'email': 'a@x.org', 'idnumber': 'S1'}, {'id': 7, 'email': 'c@x.org', 'idnumber': 'S7'}])
    directory.resolve('email', ['a@x.org', 'c@x.org'])
    directory.resolve('idnumber', ['S1'])
    problems = directory.confirm_named([('items[0]', 'email', 'a@x.org', ''), ('items[1]', 'email', 'c@x.org', ''),
                                        ('items[2]', 'idnumber', 'S1', 'instance: '), ('items[3]', 'username', 'x', '')])
    # fields in sorted order (email, idnumber); only the shared values fail; a value never provisional is not asked
    assert [label for label, dummy in problems] == ['items[0]', 'items[2]']
    assert '2 users have email' in problems[0][1]
    assert problems[1][1].startswith('instance: ') and 'idnumber' in problems[1][1]
    assert ('users', 'username', ['x']) not in api.calls


def test_many_values_left_on_a_small_site_are_answered_by_one_read_of_its_user_list():
    users = [{'id': n, 'username': 'u%d' % n, 'email': 'u%d@x.org' % n} for n in range(10, 10 + SITE_LIST_MIN)]
    api = FakeAPI(users=users)
    found, problems = UserDirectory(api).resolve('username', [u['username'] for u in users] + ['nobody'])
    assert len(found) == SITE_LIST_MIN and list(problems) == ['nobody']
    assert api.calls == [('site list', ('id',), SITE_LIST_FACTOR * (SITE_LIST_MIN + 1), 1),
                         ('site list', ('id', 'username'), 0, 0), ('users', 'username', ['nobody'])]


def test_a_large_site_or_a_token_that_may_not_list_users_falls_back_to_look_ups():
    users = [{'id': n, 'username': 'u%d' % n} for n in range(1000)]
    wanted = ['u%d' % n for n in range(SITE_LIST_MIN)]
    api = FakeAPI(users=users)
    found, dummy = UserDirectory(api).resolve('username', wanted)
    assert len(found) == SITE_LIST_MIN and [call[0] for call in api.calls] == ['site list', 'users']
    api = FakeAPI(users=users)
    api.refuse = True
    found, dummy = UserDirectory(api).resolve('username', wanted)
    assert len(found) == SITE_LIST_MIN and [call[0] for call in api.calls] == ['site list', 'users']


def test_resolve_names_a_role_by_shortname_or_id_and_says_what_is_unknown():
    core = RoleCatalogue(FakeAPI())
    assert core.resolve(shortname='editingteacher') == (STANDARD_ROLES['editingteacher'], 'editingteacher', None)
    assert core.resolve(roleid=42) == (42, None, None)      # a custom role core cannot name: not refused
    dummy, dummy, problem = core.resolve(shortname='wizard')
    assert problem.startswith("no role with shortname 'wizard': it is not a standard Moodle role")
    assert 'give role_id' in problem and 'local_lmsops' in problem
    exact = RoleCatalogue(FakeAPI(plugin=True, roles=PLUGIN_ROLES))
    dummy, dummy, problem = exact.resolve(roleid=42)
    assert problem.startswith('no role with id 42 on this site (its roles: ') and 'student=' in problem
    dummy, dummy, problem = exact.resolve(shortname='wizard')
    assert problem.startswith("no role with shortname 'wizard' on this site (its roles: ")


def test_where_a_role_can_be_assigned_says_whose_settings_tell():
    core = RoleCatalogue(FakeAPI())
    where = core.where_assignable(STANDARD_ROLES['coursecreator'])
    assert where.startswith("by Moodle's default settings it can be assigned in: system, category")
    assert 'give role_id' in where
    assert core.where_assignable(STANDARD_ROLES['guest']).startswith(
        "by Moodle's default settings it cannot be assigned in any context")
    exact = RoleCatalogue(FakeAPI(plugin=True, roles=PLUGIN_ROLES))
    student = exact.role_id('student')
    assert exact.where_assignable(student) == 'on this site it can be assigned in: category, course, module'
