# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_site_info: what the writes need - capabilities and the roles the token user may assign (issue 20)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.lmsops.moodle.plugins.module_utils import api
from ansible_collections.lmsops.moodle.plugins.module_utils.client import MoodleError
from ansible_collections.lmsops.moodle.plugins.modules import moodle_site_info
from ansible_collections.lmsops.moodle.plugins.modules.moodle_site_info import (
    ACCESS_FUNCTION, BASE_CAPABILITIES, MODULE_CAPABILITIES, MODULES, PLUGIN_CAPABILITIES, SiteInfo, argument_spec,
    check_input, evaluate_access, needed_capabilities)
from ansible_collections.lmsops.moodle.tests.unit.plugins.site_info_fakes import Exit, FakeModule, ScriptedSite

COLLECTION = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
EVERY_MODULE = list(MODULES)
ROLES = ['student', 'teacher', 'editingteacher']


def site_info(admin=False, plugin=True, access_function=True):
    names = list(dict.fromkeys(f for fs in api.REQUIRED_FUNCTIONS.values() for f in fs))
    if plugin:
        names += list(api.PLUGIN_FUNCTIONS)
    if access_function:
        names.append(ACCESS_FUNCTION)
    return {'sitename': 'S', 'siteurl': 'https://moodle.example.org', 'release': '4.5.1 (Build: 20250101)',
            'version': 2024100701.01, 'userid': 5, 'username': 'lmsops_ws', 'fullname': 'Web Services',
            'userissiteadmin': admin, 'functions': [{'name': n, 'version': '1'} for n in names]}


def context(level, instanceid=0, missing=(), held=(('lmsops_ws', 'system', 0),), allowed=tuple(ROLES),
            assignable=None):
    return {'contextlevel': level, 'instanceid': instanceid, 'missingcapabilities': list(missing),
            'heldroles': [{'shortname': r, 'contextlevel': lvl, 'instanceid': i} for r, lvl, i in held],
            'allowedroles': list(allowed), 'assignableroles': list(allowed if assignable is None else assignable)}


def access(userid=5, siteadmin=False, system=None, course='default', roles=None, unknownroles=()):
    contexts = [system or context('system', assignable=[])]
    if course == 'default':
        course = context('course', 3)
    if course is not None:
        contexts.append(course)
    levels = {'student': ['course', 'module'], 'teacher': ['course', 'module'], 'editingteacher': ['course', 'module'],
              'manager': ['system', 'coursecat', 'course'], 'coursecreator': ['system', 'coursecat']}
    return {'userid': userid, 'siteadmin': siteadmin, 'contexts': contexts,
            'roles': roles if roles is not None else [{'shortname': r, 'contextlevels': levels[r]} for r in levels],
            'unknowncapabilities': [], 'unknownroles': list(unknownroles)}


def answers(**overrides):
    result = {
        'core_webservice_get_site_info': site_info(),
        'core_user_get_users_by_field': [{'id': 5, 'username': 'lmsops_ws'}],
        'core_course_get_courses_by_field': {'courses': [{'id': 1}, {'id': 3}], 'warnings': []},
        'core_course_get_categories': [{'id': 1}],
        'core_enrol_get_enrolled_users': [{'id': 9}],
        'local_lmsops_get_roles': {'roles': []},
        ACCESS_FUNCTION: access(),
    }
    result.update(overrides)
    return result


def run(site_answers, **params):
    module = FakeModule(**params)
    site = ScriptedSite(site_answers)
    with pytest.raises(Exit):
        SiteInfo(module, site).run()
    module.result['calls'] = site.calls
    return module.result


# -- the lists ------------------------------------------------------------------------------------
def test_the_module_needs_the_capabilities_the_setup_role_grants():
    with open(os.path.join(COLLECTION, 'roles', 'setup', 'vars', 'main.yml')) as handle:
        role_vars = yaml.safe_load(handle)
    assert role_vars['moodle_setup_module_capabilities'] == MODULE_CAPABILITIES
    assert role_vars['moodle_setup_base_capabilities'] == BASE_CAPABILITIES
    assert role_vars['moodle_setup_plugin_capabilities'] == PLUGIN_CAPABILITIES
    # The role adds the access read to the service with the plugin's other functions.
    assert role_vars['moodle_setup_plugin_functions'] == list(api.PLUGIN_FUNCTIONS) + [ACCESS_FUNCTION] + list(api.PLUGIN_BULK_FUNCTIONS)


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
def test_a_least_privilege_token_with_everything_reports_nothing_missing():
    result = run(answers())
    assert result['ok'], result['problems']
    assert result['access']['checked'] and result['access']['source'] == 'companion plugin'
    assert result['access']['assignable_roles'] == ROLES and result['access']['unassignable_roles'] == []
    assert result['access']['context'] == 'course id 3'
    assert not any('not a site administrator' in note for note in result['notes'])
    function, params = [c for c in result['calls'] if c[0] == ACCESS_FUNCTION][0]
    assert params['contexts'] == [{'contextlevel': 'system', 'instanceid': 0}, {'contextlevel': 'course', 'instanceid': 3}]
    assert params['roles'] == ROLES and 'enrol/manual:enrol' in params['capabilities']
    assert [c['result'] for c in result['checks'] if c['function'] == ACCESS_FUNCTION] == ['ok']


def test_only_the_capabilities_really_missing_are_reported_with_the_role_to_fix():
    system = context('system', missing=['moodle/user:delete', 'enrol/manual:unenrol', 'moodle/site:config'])
    result = run(answers(**{ACCESS_FUNCTION: access(system=system)}))
    [item] = [p for p in result['problems'] if p['kind'] == 'permission']
    assert 'moodle/user:delete (moodle_user)' in item['what'] and 'enrol/manual:unenrol (moodle_enrolment)' in item['what']
    assert 'moodle/user:create' not in item['what'] and 'moodle/site:config' not in item['what']
    assert 'Define roles > lmsops_ws' in item['fix']
    assert result['access']['missing_capabilities'] == ['moodle/user:delete', 'enrol/manual:unenrol']


def test_a_token_user_without_a_system_role_is_told_how_to_get_one():
    system = context('system', missing=['moodle/user:create'], held=())
    course = context('course', 3, missing=['moodle/user:create'], held=(('lmsops_ws', 'coursecat', 4),))
    result = run(answers(**{ACCESS_FUNCTION: access(system=system, course=course)}), modules=['moodle_user'])
    [item] = result['problems']
    assert 'holds no role at system level (only lmsops_ws (category id 4))' in item['fix']
    assert 'Assign system roles' in item['fix'] and 'Context types where this role may be assigned' in item['fix']


def test_no_allow_assign_entry_is_the_enrolment_refusal_found_before_it_happens():
    # The token of issue 20: enrol/manual:enrol and moodle/role:assign, but no "Allow role assignments" entry.
    course = context('course', 3, allowed=[], assignable=[])
    result = run(answers(**{ACCESS_FUNCTION: access(course=course)}), modules=['moodle_enrolment'])
    [item] = result['problems']
    assert item['kind'] == 'role'
    assert 'may not assign student, teacher, editingteacher' in item['what'] and '(lmsops_ws)' in item['what']
    assert item['what'].endswith('so Moodle refuses them to moodle_enrolment')
    assert item['fix'].startswith('At Site administration > Users > Permissions > Define roles > Allow role assignments, '
                                  'tick student, teacher, editingteacher in the row of lmsops_ws')
    assert result['access']['unassignable_roles'] == ['editingteacher', 'student', 'teacher']


def test_a_role_that_cannot_be_given_in_courses_is_a_problem_for_enrolments_only():
    roles = [{'shortname': 'student', 'contextlevels': ['course']}, {'shortname': 'coursecreator',
                                                                     'contextlevels': ['system', 'coursecat']}]
    data = access(roles=roles, course=context('course', 3, allowed=['student', 'coursecreator'], assignable=['student']))
    enrolment = run(answers(**{ACCESS_FUNCTION: data}), modules=['moodle_enrolment'],
                    assign_roles=['student', 'coursecreator'])
    [item] = enrolment['problems']
    assert item['what'] == 'The role coursecreator cannot be assigned in courses, so moodle_enrolment cannot enrol with it'
    assert 'Define roles > coursecreator > Edit' in item['fix'] and 'Tick Course' in item['fix']
    both = run(answers(**{ACCESS_FUNCTION: data}), assign_roles=['student', 'coursecreator'])
    assert both['ok'], both['problems']


def test_a_role_refused_in_the_course_despite_its_entries_points_at_overrides():
    course = context('course', 3, assignable=['student', 'teacher'])
    result = run(answers(**{ACCESS_FUNCTION: access(course=course)}), modules=['moodle_enrolment'])
    [item] = result['problems']
    assert 'may not assign editingteacher in course id 3, although its role may assign it there' in item['what']
    assert 'overrides' in item['fix']


def test_a_capability_prevented_in_the_course_only_is_an_override():
    course = context('course', 3, missing=['enrol/manual:enrol'])
    result = run(answers(**{ACCESS_FUNCTION: access(course=course)}), modules=['moodle_enrolment'])
    [item] = result['problems']
    assert 'lacks, in course id 3, what its role allows at system level: enrol/manual:enrol' in item['what']


def test_an_unknown_role_is_named():
    result = run(answers(**{ACCESS_FUNCTION: access(unknownroles=['stduent'])}), modules=['moodle_enrolment'],
                 assign_roles=['student', 'stduent'])
    [item] = result['problems']
    assert item['what'] == 'This site has no role stduent (assign_roles)'


def test_a_site_administrator_needs_no_entry_but_the_context_levels_still_count():
    roles = [{'shortname': 'coursecreator', 'contextlevels': ['system', 'coursecat']}]
    data = access(siteadmin=True, roles=roles, course=context('course', 3, held=(), allowed=[], assignable=[]))
    result = run(answers(core_webservice_get_site_info=site_info(admin=True), **{ACCESS_FUNCTION: data}),
                 modules=['moodle_enrolment'], assign_roles=['coursecreator'])
    assert [p['what'] for p in result['problems']] == [
        'The role coursecreator cannot be assigned in courses, so moodle_enrolment cannot enrol with it']


def test_without_a_course_the_system_context_answers():
    result = run(answers(core_course_get_courses_by_field={'courses': [], 'warnings': []},
                         **{ACCESS_FUNCTION: access(course=None, system=context('system', allowed=['student']))}),
                 modules=['moodle_enrolment'], assign_roles=['student', 'teacher'])
    function, params = [c for c in result['calls'] if c[0] == ACCESS_FUNCTION][0]
    assert params['contexts'] == [{'contextlevel': 'system', 'instanceid': 0}]
    assert result['access']['context'] == 'system level'
    assert [p['what'] for p in result['problems']][0].startswith('The token user lmsops_ws may not assign teacher')


def test_the_module_sends_no_role_when_no_chosen_module_gives_roles():
    result = run(answers(), modules=['moodle_user'])
    function, params = [c for c in result['calls'] if c[0] == ACCESS_FUNCTION][0]
    assert params['roles'] == [] and params['contexts'] == [{'contextlevel': 'system', 'instanceid': 0}]
    assert result['ok']


# -- from the setup role, or nothing ---------------------------------------------------------------
def test_without_the_plugin_the_read_from_the_host_is_used():
    site = answers(core_webservice_get_site_info=site_info(plugin=False, access_function=False))
    system = context('system', missing=['moodle/user:update'])
    result = run(site, token_access=access(system=system), modules=['moodle_user'])
    assert result['access']['source'] == 'setup role, on the Moodle host'
    assert [p['kind'] for p in result['problems']] == ['permission']
    assert 'moodle/user:update (moodle_user)' in result['problems'][0]['what']
    assert ACCESS_FUNCTION not in [c[0] for c in result['calls']]


def test_a_read_from_the_host_for_another_user_is_not_used():
    site = answers(core_webservice_get_site_info=site_info(plugin=False, access_function=False))
    result = run(site, token_access=access(userid=2), modules=['moodle_user'])
    assert not result['access']['checked']
    assert any('describes user id 2, not the token\'s user (id 5)' in note for note in result['notes'])


def test_without_a_way_to_read_it_nothing_is_claimed_missing_and_the_manual_check_is_named_once():
    site = answers(core_webservice_get_site_info=site_info(plugin=False, access_function=False))
    result = run(site)
    assert result['ok'] and result['access'] == {'checked': False, 'source': None}
    [note] = [n for n in result['notes'] if 'not a site administrator' in n]
    assert 'could not be read' in note and 'Nothing here says anything is missing' in note
    assert 'must also allow' not in note
    assert 'moodle/user:create' in note and 'Allow role assignments' in note and 'student, teacher, editingteacher' in note
    assert 'local_lmsops_get_access_information' in note


def test_a_site_administrator_without_the_plugin_gets_no_note():
    site = answers(core_webservice_get_site_info=site_info(admin=True, plugin=False, access_function=False))
    result = run(site)
    assert result['ok'] and not any('site administrator' in n for n in result['notes'])


def test_an_old_plugin_without_the_access_read_is_still_the_companion_plugin():
    site = answers(core_webservice_get_site_info=site_info(plugin=True, access_function=False))
    result = run(site)
    assert result['companion_plugin'] and not result['access']['checked']


def test_a_refused_access_read_is_a_problem_not_a_crash():
    refused = MoodleError('Invalid parameter value detected', kind='moodle', errorcode='invalidparameter',
                          function=ACCESS_FUNCTION)
    result = run(answers(**{ACCESS_FUNCTION: refused}))
    assert [p['function'] for p in result['problems']] == [ACCESS_FUNCTION]
    assert 'access' not in result


def test_evaluate_access_tolerates_an_answer_without_roles():
    result = evaluate_access({'userid': 5, 'siteadmin': False, 'contexts': []}, needed_capabilities(EVERY_MODULE),
                             ROLES, EVERY_MODULE, 'ws')
    assert result['problems'] == [] and result['checked']


# -- bad input -------------------------------------------------------------------------------------
@pytest.mark.parametrize('params, message', [
    (dict(assign_roles=['student', 'Course creator']), "assign_roles takes role shortnames"),
    (dict(token_access={'contexts': []}), 'token_access must be what the setup role'),
])
def test_bad_input_names_the_fix(params, message):
    module = FakeModule(**params)
    with pytest.raises(Exit):
        check_input(module)
    assert module.result['failed'] and message in module.result['msg']


def test_the_new_options_are_in_the_argument_spec():
    spec = argument_spec()
    assert spec['assign_roles']['default'] == ROLES and spec['token_access']['type'] == 'dict'
    assert moodle_site_info.DEFAULT_ASSIGN_ROLES == ROLES
