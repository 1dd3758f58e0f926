# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_site_info: what the writes need - capabilities and the roles the token user may assign (issue 20); the module
runs as main() runs it against the emulator (conftest.py), with and without the companion plugin."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import os

import pytest
import yaml

from ansible_collections.lmsops.moodle.plugins.module_utils import api
from ansible_collections.lmsops.moodle.plugins.module_utils.client import MoodleClient
from ansible_collections.lmsops.moodle.plugins.modules import moodle_site_info
from ansible_collections.lmsops.moodle.plugins.modules.moodle_site_info import (
    ACCESS_FUNCTION, BASE_CAPABILITIES, MODULE_CAPABILITIES, MODULES, PLUGIN_CAPABILITIES, argument_spec,
    evaluate_access, needed_capabilities)
from ansible_collections.lmsops.moodle.tests.unit.plugins.modules.test_moodle_site_info import (
    least_privilege_seed, requested, run_site_info)

COLLECTION = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
EVERY_MODULE = list(MODULES)
ROLES = ['student', 'teacher', 'editingteacher']
SYSTEM = dict(contextlevel='system', instanceid=0)
COURSE = dict(contextlevel='course', instanceid=2)     # the first course of the recordings site, which the module reads


@pytest.fixture
def site_info(emulator, capsys):
    def run(token='ws', **options):
        return run_site_info(capsys, emulator, token, **options)
    return run


@pytest.fixture
def plugin_site(emulator):
    """The recordings site with the token ``ws`` of lmsops_ws (not a site administrator, role lmsops_ws at system
    level) and the companion plugin, local_lmsops_get_access_information included, in its service."""
    emulator.reseed(least_privilege_seed())
    emulator.set(companion_plugin=True)
    return emulator


@pytest.fixture
def sent(monkeypatch):
    """(function, params) of each call the real client makes: the emulator's log counts a request's fields but does
    not keep them."""
    calls = []
    real_call = MoodleClient.call

    def call(client, function, params=None, write=False):
        calls.append((function, params))
        return real_call(client, function, params, write)
    monkeypatch.setattr(MoodleClient, 'call', call)
    return calls


def access_read(sent):
    [params] = [params for function, params in sent if function == ACCESS_FUNCTION]
    return params


def access_answer(emulator, token='ws', modules=tuple(MODULES), roles=tuple(ROLES), contexts=(SYSTEM, COURSE)):
    """What the site's local_lmsops_get_access_information answers the read the module makes for ``modules``."""
    client = MoodleClient(emulator.url, emulator.tokens[token], retries=0)
    return client.call(ACCESS_FUNCTION, dict(capabilities=sorted(needed_capabilities(modules, plugin=True)),
                                             contexts=list(contexts), roles=list(roles)))


def answer_with(emulator, changes, modules=tuple(MODULES), roles=tuple(ROLES), contexts=(SYSTEM, COURSE)):
    """The site's answer, with ``changes`` ({context level: {key: value}}) in its contexts, made the answer of the
    next access read: what a real site answers and the emulator's state cannot express (it has no role definitions,
    so no "Allow role assignments" entries nor permission overrides)."""
    answer = copy.deepcopy(access_answer(emulator, modules=modules, roles=roles, contexts=contexts))
    assert sorted(c['contextlevel'] for c in answer['contexts']) == sorted(changes)
    for context in answer['contexts']:
        context.update(changes[context['contextlevel']])
    emulator.faults(answer=answer, functions=[ACCESS_FUNCTION])


# -- the lists ------------------------------------------------------------------------------------
def test_the_module_needs_the_capabilities_the_setup_role_grants():
    with open(os.path.join(COLLECTION, 'roles', 'setup', 'vars', 'main.yml')) as handle:
        role_vars = yaml.safe_load(handle)
    assert role_vars['moodle_setup_module_capabilities'] == MODULE_CAPABILITIES
    assert role_vars['moodle_setup_base_capabilities'] == BASE_CAPABILITIES
    assert role_vars['moodle_setup_plugin_capabilities'] == PLUGIN_CAPABILITIES
    # The role adds the access read to the service with the plugin's other functions.
    assert role_vars['moodle_setup_plugin_functions'] == (list(api.PLUGIN_FUNCTIONS) + [ACCESS_FUNCTION]
                                                          + list(api.PLUGIN_BULK_FUNCTIONS))


def test_no_citation_of_a_file_outside_the_repository():
    for top in ('plugins', 'roles'):
        for folder, dummy, files in os.walk(os.path.join(COLLECTION, top)):
            for name in files:
                with open(os.path.join(folder, name), 'rb') as handle:
                    assert b'MOODLE_FACTS' not in handle.read(), os.path.join(folder, name)


def test_needed_capabilities_name_the_modules_that_need_each():
    needed = needed_capabilities(['moodle_user', 'moodle_enrolment'])
    assert needed['moodle/user:create'] == ['moodle_user']
    assert needed['moodle/user:viewdetails'] == ['moodle_user', 'moodle_enrolment']
    assert needed['moodle/role:assign'] == ['moodle_enrolment']
    assert 'moodle/role:review' not in needed
    assert 'moodle/role:review' in needed_capabilities(['moodle_site_info'], plugin=True)


# -- with the companion plugin ---------------------------------------------------------------------
def test_a_least_privilege_token_with_everything_reports_nothing_missing(plugin_site, site_info, sent):
    result = site_info()
    assert result['ok'], result['problems']
    assert result['companion_plugin']
    assert result['access']['checked'] and result['access']['source'] == 'companion plugin'
    assert result['access']['assignable_roles'] == ROLES and result['access']['unassignable_roles'] == []
    assert result['access']['context'] == 'course id 2' and result['access']['missing_capabilities'] == []
    assert result['access']['held_roles'] == ['lmsops_ws (system level)'] and not result['access']['site_admin']
    assert not any('not a site administrator' in note for note in result['notes'])
    params = access_read(sent)
    assert params['contexts'] == [SYSTEM, COURSE]
    assert params['roles'] == ROLES and 'enrol/manual:enrol' in params['capabilities']
    # what the modules checked by default need (moodle_course_category is checked only when named)
    assert sorted(params['capabilities']) == sorted(needed_capabilities(moodle_site_info.DEFAULT_MODULES, plugin=True))
    assert [c['result'] for c in result['checks'] if c['function'] in (ACCESS_FUNCTION, 'local_lmsops_get_roles')] == [
        'ok', 'ok']
    assert ACCESS_FUNCTION in requested(plugin_site)


def test_only_the_capabilities_really_missing_are_reported_with_the_role_to_fix(plugin_site, site_info):
    # moodle/site:config is missing too, but no module needs it: the module does not ask about it.
    plugin_site.set(missing_capabilities=['moodle/user:delete', 'enrol/manual:unenrol', 'moodle/site:config'])
    result = site_info()
    [item] = [p for p in result['problems'] if p['kind'] == 'permission']
    assert 'moodle/user:delete (moodle_user)' in item['what']
    assert 'enrol/manual:unenrol (moodle_enrolment)' in item['what']
    assert 'moodle/user:create' not in item['what'] and 'moodle/site:config' not in item['what']
    assert 'Define roles > lmsops_ws' in item['fix']
    # In the order asked (the module asks in sorted order), as the plugin answers them.
    assert result['access']['missing_capabilities'] == ['enrol/manual:unenrol', 'moodle/user:delete']


def test_a_token_user_without_a_system_role_is_told_how_to_get_one(emulator, site_info):
    emulator.reseed(least_privilege_seed(role_at=('coursecat', 1)))
    emulator.set(companion_plugin=True, missing_capabilities=['moodle/user:create'])
    result = site_info(modules=['moodle_user', 'moodle_enrolment'])
    [item] = result['problems']
    assert 'moodle/user:create (moodle_user)' in item['what']
    assert 'holds no role at system level (only lmsops_ws (category id 1))' in item['fix']
    assert 'Assign system roles' in item['fix'] and 'Context types where this role may be assigned' in item['fix']


def test_no_allow_assign_entry_is_the_enrolment_refusal_found_before_it_happens(plugin_site, site_info):
    # The token of issue 20: enrol/manual:enrol and moodle/role:assign, but no "Allow role assignments" entry.
    none = dict(allowedroles=[], assignableroles=[])
    answer_with(plugin_site, dict(system=none, course=none), ['moodle_enrolment'])
    result = site_info(modules=['moodle_enrolment'])
    [item] = result['problems']
    assert item['kind'] == 'role'
    assert 'may not assign student, teacher, editingteacher' in item['what'] and '(lmsops_ws)' in item['what']
    assert item['what'].endswith('so Moodle refuses them to moodle_enrolment')
    assert item['fix'].startswith('At Site administration > Users > Permissions > Define roles > Allow role '
                                  'assignments, tick student, teacher, editingteacher in the row of lmsops_ws')
    assert result['access']['unassignable_roles'] == ['editingteacher', 'student', 'teacher']


def test_a_role_that_cannot_be_given_in_courses_is_a_problem_for_enrolments_only(plugin_site, site_info):
    # coursecreator may be assigned at system and category level only, as on every Moodle site.
    roles = ['student', 'coursecreator']
    enrolment = site_info(modules=['moodle_enrolment'], assign_roles=roles)
    [item] = enrolment['problems']
    assert item['what'] == ('The role coursecreator cannot be assigned in courses, so moodle_enrolment cannot enrol '
                            'with it')
    assert 'Define roles > coursecreator > Edit' in item['fix'] and 'Tick Course' in item['fix']
    both = site_info(assign_roles=roles)
    assert both['ok'], both['problems']
    assert both['access']['assignable_roles'] == roles


def test_a_role_refused_in_the_course_despite_its_entries_points_at_overrides(plugin_site, site_info):
    answer_with(plugin_site, dict(system={}, course=dict(assignableroles=['student', 'teacher'])), ['moodle_enrolment'])
    result = site_info(modules=['moodle_enrolment'])
    [item] = result['problems']
    assert 'may not assign editingteacher in course id 2, although its role may assign it there' in item['what']
    assert 'overrides' in item['fix']
    assert result['access']['assignable_roles'] == ['student', 'teacher']


def test_a_capability_prevented_in_the_course_only_is_an_override(plugin_site, site_info):
    answer_with(plugin_site, dict(system={}, course=dict(missingcapabilities=['enrol/manual:enrol'])),
                ['moodle_enrolment'])
    result = site_info(modules=['moodle_enrolment'])
    [item] = result['problems']
    assert 'lacks, in course id 2, what its role allows at system level: enrol/manual:enrol' in item['what']
    assert 'permission override' in item['fix']
    assert result['access']['missing_capabilities'] == ['enrol/manual:enrol']


def test_an_unknown_role_is_named(plugin_site, site_info, sent):
    result = site_info(modules=['moodle_enrolment'], assign_roles=['student', 'stduent'])
    [item] = result['problems']
    assert item['what'] == 'This site has no role stduent (assign_roles)'
    assert access_read(sent)['roles'] == ['student', 'stduent']
    assert result['access']['unassignable_roles'] == ['stduent']


def test_a_site_administrator_may_assign_any_role_but_the_context_levels_still_count(emulator, site_info):
    # The recordings' tokens belong to admin, a site administrator: the plugin answers every role as allowed.
    emulator.set(companion_plugin=True)
    result = site_info('full', modules=['moodle_enrolment'], assign_roles=['coursecreator'])
    assert result['access']['site_admin']
    assert [p['what'] for p in result['problems']] == [
        'The role coursecreator cannot be assigned in courses, so moodle_enrolment cannot enrol with it']
    assert not any('not a site administrator' in note for note in result['notes'])


def test_a_site_administrator_needs_no_allow_assign_entry():
    # Data the plugin never answers for a site administrator (it lists every role as allowed), so that a read from
    # elsewhere without the entries does not make the module claim one is missing.
    data = {'userid': 2, 'siteadmin': True, 'contexts': [
        {'contextlevel': 'system', 'instanceid': 0, 'missingcapabilities': [], 'heldroles': [], 'allowedroles': [],
         'assignableroles': []},
        {'contextlevel': 'course', 'instanceid': 2, 'missingcapabilities': [], 'heldroles': [], 'allowedroles': [],
         'assignableroles': ['student']}],
        'roles': [{'shortname': 'student', 'contextlevels': ['course', 'module']}]}
    result = evaluate_access(data, needed_capabilities(['moodle_enrolment']), ['student'], ['moodle_enrolment'],
                             'admin')
    assert result['problems'] == [] and result['assignable_roles'] == ['student']


def test_without_a_course_the_system_context_answers(emulator, site_info, sent):
    emulator.reseed(least_privilege_seed(courses=False))
    emulator.set(companion_plugin=True)
    modules, roles = ['moodle_enrolment'], ['student', 'teacher']
    answer_with(emulator, dict(system=dict(allowedroles=['student'])), modules, roles, contexts=[SYSTEM])
    del sent[:]
    result = site_info(modules=modules, assign_roles=roles)
    assert access_read(sent)['contexts'] == [SYSTEM]
    assert result['access']['context'] == 'system level'
    assert [p['what'] for p in result['problems']][0].startswith('The token user lmsops_ws may not assign teacher')


def test_the_module_sends_no_role_when_no_chosen_module_gives_roles(plugin_site, site_info, sent):
    result = site_info(modules=['moodle_user'])
    params = access_read(sent)
    assert params['roles'] == [] and params['contexts'] == [SYSTEM]
    assert result['ok'] and result['access']['context'] == 'system level'


# -- from the setup role, or nothing ---------------------------------------------------------------
def read_on_the_host(emulator, token='ws', missing=()):
    """token_access as the setup role's configure step reads it on the Moodle host (the plugin's own read); then the
    site goes back to having no companion plugin."""
    emulator.set(companion_plugin=True, missing_capabilities=list(missing))
    answer = access_answer(emulator, token, modules=['moodle_user'], roles=[], contexts=[SYSTEM])
    emulator.set(companion_plugin=False, missing_capabilities=[])
    return answer


def test_without_the_plugin_the_read_from_the_host_is_used(emulator, site_info):
    emulator.reseed(least_privilege_seed())
    token_access = read_on_the_host(emulator, missing=['moodle/user:update'])
    result = site_info(token_access=token_access, modules=['moodle_user'])
    assert not result['companion_plugin']
    assert result['access']['source'] == 'setup role, on the Moodle host'
    assert [p['kind'] for p in result['problems']] == ['permission']
    assert 'moodle/user:update (moodle_user)' in result['problems'][0]['what']
    assert ACCESS_FUNCTION not in requested(emulator)


def test_a_read_from_the_host_for_another_user_is_not_used(emulator, site_info):
    emulator.reseed(least_privilege_seed())
    token_access = read_on_the_host(emulator, token='full', missing=['moodle/user:update'])
    result = site_info(token_access=token_access, modules=['moodle_user'])
    assert result['access'] == {'checked': False, 'source': None} and result['problems'] == []
    assert any('describes user id 2, not the token\'s user (id 3)' in note for note in result['notes'])


def test_without_a_way_to_read_it_nothing_is_claimed_missing_and_the_manual_check_is_named_once(emulator, site_info):
    emulator.reseed(least_privilege_seed())
    result = site_info()
    assert result['ok'] and result['access'] == {'checked': False, 'source': None}
    [note] = [n for n in result['notes'] if 'not a site administrator' in n]
    assert 'could not be read' in note and 'Nothing here says anything is missing' in note
    assert 'must also allow' not in note
    assert 'moodle/user:create' in note and 'Allow role assignments' in note
    assert 'student, teacher, editingteacher' in note
    assert 'local_lmsops_get_access_information' in note
    assert ACCESS_FUNCTION not in requested(emulator)


def test_a_site_administrator_without_the_plugin_gets_no_note(site_info):
    result = site_info('full')
    assert result['ok'] and not any('site administrator' in n for n in result['notes'])


def test_an_old_plugin_without_the_access_read_is_still_the_companion_plugin(emulator, site_info):
    # A service with the functions of local_lmsops 1.0: no local_lmsops_get_access_information.
    emulator.reseed(least_privilege_seed(functions=list(least_privilege_seed()['services'][0]['functions'])
                                         + list(api.PLUGIN_FUNCTIONS), companion=False))
    emulator.set(companion_plugin=True)
    result = site_info()
    assert result['companion_plugin'] and not result['access']['checked']
    assert ACCESS_FUNCTION not in result['functions'] and ACCESS_FUNCTION not in requested(emulator)
    assert 'local_lmsops_get_roles' in requested(emulator)


def test_a_refused_access_read_is_a_problem_not_a_crash(plugin_site, site_info):
    # Course id 999 does not exist: the plugin refuses the context (context_levels::resolve()).
    result = site_info(check_course=999)
    [item] = [p for p in result['problems'] if p['function'] == ACCESS_FUNCTION]
    assert item['kind'] == 'moodle' and item['what'] == ACCESS_FUNCTION + ': Invalid parameter value detected'
    assert 'Debug messages: DEVELOPER' in item['fix']
    assert [c['result'] for c in result['checks'] if c['function'] == ACCESS_FUNCTION] == ['failed']
    assert 'access' not in result
    # The other reads ran; the enrolled users' read of that course failed too.
    assert [(c['function'], c['result']) for c in result['checks'][:4]] == [
        ('core_user_get_users_by_field', 'ok'), ('core_course_get_courses_by_field', 'ok'),
        ('core_course_get_categories', 'ok'), ('core_enrol_get_enrolled_users', 'failed')]


def test_evaluate_access_tolerates_an_answer_without_roles():
    result = evaluate_access({'userid': 5, 'siteadmin': False, 'contexts': []}, needed_capabilities(EVERY_MODULE),
                             ROLES, EVERY_MODULE, 'ws')
    assert result['problems'] == [] and result['checked']


# -- bad input -------------------------------------------------------------------------------------
@pytest.mark.parametrize('options, message', [
    (dict(assign_roles=['student', 'Course creator']), "assign_roles takes role shortnames"),
    (dict(token_access={'contexts': []}), 'token_access must be what the setup role'),
])
def test_bad_input_names_the_fix_before_any_request(emulator, site_info, options, message):
    result = site_info('full', **options)
    assert result['failed'] and message in result['msg']
    assert emulator.requests == []


def test_the_new_options_are_in_the_argument_spec():
    spec = argument_spec()
    assert spec['assign_roles']['default'] == ROLES and spec['token_access']['type'] == 'dict'
    assert moodle_site_info.DEFAULT_ASSIGN_ROLES == ROLES
