# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seeds: the built-in recordings site, YAML/JSON files and generated bulk content."""

from __future__ import annotations

import json

import pytest
import yaml

from moodle_emulator import Site, load_seed  # pylint: disable=import-error

SEED = {
    'settings': {'sitename': 'Seeded', 'allowaccountssameemail': True},
    'users': [
        {'id': 2, 'username': 'admin', 'firstname': 'Ad', 'lastname': 'Min', 'email': 'admin@x.test', 'siteadmin': True},
        {'id': 10, 'username': 'tom', 'firstname': 'Tom', 'lastname': 'T', 'email': 'tom@x.test', 'idnumber': 'T1',
         'suspended': True, 'city': 'York', 'country': 'GB', 'customfields': {'team': 'red'}, 'password': 'Pw#12345'}],
    'profile_fields': [{'shortname': 'team', 'name': 'Team'}],
    'categories': [{'id': 1, 'name': 'Top'}, {'id': 2, 'name': 'Sub', 'parent': 1, 'idnumber': 'sub'}],
    'courses': [{'id': 2, 'shortname': 'A1', 'fullname': 'A one', 'category': 2},
                {'id': 3, 'shortname': 'B1', 'manual_enrol': 'disabled'}],
    'role_assignments': [{'user': 'tom', 'role': 'manager', 'contextlevel': 'coursecat', 'instance': 2}],
    'enrolments': [{'user': 'tom', 'course': 'A1', 'roles': ['student', 'teacher'], 'timestart': 5}],
    'services': [{'shortname': 'svc', 'functions': ['core_webservice_get_site_info'], 'enabled': True}],
    'tokens': [{'name': 'full', 'token': 'd' * 32, 'user': 'admin', 'service': 'svc'}],
    'generate': {'courses': 12, 'users': 30},
}


@pytest.mark.parametrize('suffix', ['yaml', 'json'])
def test_seed_files(tmp_path, suffix):
    path = tmp_path / ('seed.' + suffix)
    path.write_text(yaml.safe_dump(SEED) if suffix == 'yaml' else json.dumps(SEED))
    site = Site(str(path))
    assert site.settings['sitename'] == 'Seeded'
    tom = site.users[site.user_by_username['tom']]
    assert (tom['id'], tom['suspended'], tom['customfields']) == (10, 1, {'team': 'red'})
    assert site.check_password('tom', 'Pw#12345')
    assert site.users[1]['username'] == 'guest'
    assert site.categories[2]['path'] == '/1/2'
    assert site.manual_instance(3) is None and site.manual_instance(3, enabled_only=False)['status'] == 1
    ctx = site.context_id(50, 2)
    assert sorted(ra['roleid'] for ra in site.user_roles_in_context(10, ctx)) == [4, 5]
    assert [ra['roleid'] for ra in site.user_roles_in_context(10, site.context_id(40, 2))] == [1]
    assert site.user_course_enrolments(10, 2)[0]['timestart'] == 5
    assert site.token_names() == {'full': 'd' * 32}
    # generated bulk content
    assert site.course_by_shortname['C001'] and site.course_by_shortname['C012']
    assert site.courses[site.course_by_shortname['C012']]['idnumber'] == 'C012'
    assert 'user0030' in site.user_by_username
    assert site.seq['user'] == max(site.users) + 1


def test_recordings_seed_matches_the_readme():
    site = Site('recordings')
    assert [(u['id'], u['username']) for u in site.users.values()] == [(1, 'guest'), (2, 'admin')]
    assert site.siteadmins == {2}
    assert [(c['id'], c['shortname'], c['idnumber']) for c in site.courses.values()] == [
        (2, 'PHYS101', 'phys101'), (3, 'CHEM201', 'chem201'), (4, 'MATH301', 'math301')]
    assert all(site.manual_instance(cid) for cid in (2, 3, 4))
    assert site.settings['enablewebservices'] and site.settings['rest_enabled'] and not site.settings['debug']
    assert site.settings['max_input_vars'] is None
    assert site.seq['user'] == 3
    assert [(r['id'], r['shortname']) for r in site.roles.values()][4] == (5, 'student')


def test_bad_seeds():
    with pytest.raises(ValueError):
        load_seed('does-not-exist')
    with pytest.raises(ValueError):
        Site({'settings': {'bogus': 1}})


def test_extends_recordings():
    site = Site({'extends': 'recordings', 'settings': {'max_input_vars': 1000},
                 'users': [{'username': 'extra', 'firstname': 'E', 'lastname': 'X', 'email': 'extra@x.test'}],
                 'generate': {'courses': 5}})
    assert site.settings['max_input_vars'] == 1000
    assert site.user_by_username['extra'] == 3
    assert site.course_by_shortname['PHYS101'] == 2 and site.course_by_shortname['C005'] == 9
    assert site.token_names()['full'] == Site('recordings').token_names()['full']


# Enrolments by other methods and component-owned role assignments: the same seed keys and rules as
# hacking/real_site/seed.php on the real 4.5 and 5.1 sites (docs/test-site.md).
METHOD_USERS = [{'username': name, 'firstname': name.title(), 'lastname': 'T', 'email': '%s@x.test' % name}
                for name in ('alice', 'bob', 'carol', 'dave')]


def enrolments_of(site, username):
    """(method, course shortname, status) of a user's enrolments."""
    userid = site.user_by_username[username]
    result = []
    for ueid in sorted(site.ue_by_user.get(userid, ())):
        ue = site.user_enrolments[ueid]
        instance = site.enrol_instances[ue['enrolid']]
        result.append((instance['enrol'], site.courses[instance['courseid']]['shortname'], ue['status']))
    return result


def assignments_of(site, username):
    """(role, contextlevel, instanceid, component, itemid) of a user's role assignments."""
    result = []
    for raid in sorted(site.ra_by_user.get(site.user_by_username[username], ())):
        ra = site.role_assignments[raid]
        ctx = site.contexts[ra['contextid']]
        result.append((site.roles[ra['roleid']]['shortname'], ctx['contextlevel'], ctx['instanceid'], ra['component'], ra['itemid']))
    return result


def instances_of(site, shortname):
    """(enrol, status) of a course's enrolment instances, in order."""
    return [(site.enrol_instances[iid]['enrol'], site.enrol_instances[iid]['status'])
            for iid in site.instances_by_course[site.course_by_shortname[shortname]]]


def test_enrolment_methods():
    site = Site({'extends': 'recordings', 'users': METHOD_USERS, 'enrolments': [
        {'user': 'alice', 'course': 'PHYS101', 'method': 'self', 'role': 'student'},
        {'user': 'bob', 'course': 'PHYS101', 'role': 'student'},
        {'user': 'bob', 'course': 'PHYS101', 'method': 'self', 'role': 'student', 'status': 'suspended'},
        {'user': 'carol', 'course': 'CHEM201', 'method': 'cohort', 'roles': ['student', 'teacher']},
        {'user': 'dave', 'course': 'MATH301', 'method': 'self', 'roles': [], 'suspended': True, 'timeend': 2000000000}]})
    # a course without an instance of the method gets one, enabled; the next enrolment by it reuses it
    assert instances_of(site, 'PHYS101') == [('manual', 0), ('self', 0)]
    assert instances_of(site, 'CHEM201') == [('manual', 0), ('cohort', 0)]
    assert enrolments_of(site, 'alice') == [('self', 'PHYS101', 0)]
    assert enrolments_of(site, 'bob') == [('manual', 'PHYS101', 0), ('self', 'PHYS101', 1)]
    assert enrolments_of(site, 'carol') == [('cohort', 'CHEM201', 0)]
    assert enrolments_of(site, 'dave') == [('self', 'MATH301', 1)]
    assert site.user_course_enrolments(site.user_by_username['dave'], 4)[0]['timeend'] == 2000000000
    # enrol_self (like manual) assigns with no component; enrol_cohort owns its roles, with its instance's id
    assert assignments_of(site, 'alice') == [('student', 50, 2, '', 0)]
    assert assignments_of(site, 'bob') == [('student', 50, 2, '', 0)]
    cohort = site.instances_by_course[3][1]
    assert assignments_of(site, 'carol') == [('student', 50, 3, 'enrol_cohort', cohort), ('teacher', 50, 3, 'enrol_cohort', cohort)]
    assert assignments_of(site, 'dave') == []


def test_enrolment_method_instances_follow_the_real_sites():
    site = Site({'extends': 'recordings', 'users': METHOD_USERS, 'courses': [
        {'id': 5, 'shortname': 'SELF1', 'enrol_methods': [{'enrol': 'guest', 'status': 1}, {'enrol': 'self', 'status': 1}]},
        {'id': 6, 'shortname': 'SELF2', 'enrol_methods': [{'enrol': 'self', 'name': 'Walk-in'}, {'enrol': 'self'}]}],
        'enrolments': [{'user': 'alice', 'course': 'SELF1', 'method': 'self'},
                       {'user': 'alice', 'course': 'SELF1', 'method': 'self', 'timestart': 7},
                       {'user': 'bob', 'course': 6, 'method': 'self'}]})
    # like a course Moodle creates (disabled guest and self instances): the disabled self instance is enabled and used
    assert instances_of(site, 'SELF1') == [('manual', 0), ('guest', 1), ('self', 0)]
    # enrolling again through the same instance updates the enrolment, as enrol_user() does
    assert enrolments_of(site, 'alice') == [('self', 'SELF1', 0)]
    assert site.user_course_enrolments(site.user_by_username['alice'], 5)[0]['timestart'] == 7
    # an enabled instance of the method is reused, never doubled
    assert instances_of(site, 'SELF2') == [('manual', 0), ('self', 0)]
    assert site.enrol_instances[site.instances_by_course[6][1]]['name'] == 'Walk-in'
    assert enrolments_of(site, 'bob') == [('self', 'SELF2', 0)]


def test_role_assignments_with_a_component():
    site = Site({'extends': 'recordings', 'users': METHOD_USERS,
                 'categories': [{'id': 2, 'name': 'Sub', 'parent': 1}], 'modules': [{'id': 4, 'course': 3}],
                 'role_assignments': [
                     {'user': 'alice', 'role': 'student', 'contextlevel': 'course', 'instance': 'CHEM201',
                      'component': 'enrol_cohort', 'itemid': 1},
                     {'user': 'alice', 'role': 'manager', 'contextlevel': 'coursecat', 'instance': 2, 'component': 'enrol_cohort',
                      'itemid': 7},
                     {'user': 'alice', 'role': 'teacher', 'contextlevel': 'module', 'instance': 4, 'component': 'local_sync'},
                     {'user': 'alice', 'role': 'user', 'contextlevel': 'user', 'instance': 'bob'},
                     {'user': 'alice', 'role': 'coursecreator'},
                     {'user': 'alice', 'role': 3, 'contextlevel': 'course', 'instance': 2}]})
    bob = site.user_by_username['bob']
    assert assignments_of(site, 'alice') == [
        ('student', 50, 3, 'enrol_cohort', 1), ('manager', 40, 2, 'enrol_cohort', 7), ('teacher', 70, 4, 'local_sync', 0),
        ('user', 30, bob, '', 0), ('coursecreator', 10, 0, '', 0), ('editingteacher', 50, 2, '', 0)]


@pytest.mark.parametrize('seed, message', [
    ({'enrolments': [{'user': 'admin', 'course': 'PHYS101', 'method': 'guest'}]}, 'guest method holds no enrolments'),
    ({'enrolments': [{'user': 'admin', 'course': 'PHYS101', 'method': 'meta'}]}, "'meta' is not enabled on the test sites"),
    ({'courses': [{'shortname': 'X', 'enrol_methods': [{'enrol': 'paypal'}]}]}, "'paypal' is not enabled on the test sites"),
    ({'role_assignments': [{'user': 'admin', 'role': 'manager', 'component': 'cohort'}]}, "frankenstyle name"),
    ({'role_assignments': [{'user': 'admin', 'role': 'manager', 'itemid': 3}]}, 'an itemid needs a component'),
    ({'role_assignments': [{'user': 'admin', 'role': 'manager', 'contextlevel': 'site'}]}, 'unknown context level'),
])
def test_seeds_a_real_site_refuses(seed, message):
    with pytest.raises(ValueError, match=message):
        Site(dict(seed, extends='recordings'))
