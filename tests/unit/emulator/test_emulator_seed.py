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
