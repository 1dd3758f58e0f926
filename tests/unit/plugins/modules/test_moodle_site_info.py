# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_site_info: the max_input_vars search, the probe request, and how problems are collected."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.lmsops.moodle.plugins.module_utils import api
from ansible_collections.lmsops.moodle.plugins.module_utils.client import ADMIN_ENABLE_REST, ADMIN_ENABLE_WS, MoodleError
from ansible_collections.lmsops.moodle.plugins.modules.moodle_site_info import (
    MODULES, find_kept_fields, format_problems, missing_function_problems, missing_functions, probe_ladder,
    problem_from_error, safe_max_input_vars)
from ansible_collections.lmsops.moodle.tests.unit.plugins.site_info_fakes import Exit, FakeModule, ScriptedSite

COLLECTION = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


def php_post(limit):
    """A site whose PHP keeps limit + 1 fields of a POST body, counting the calls."""
    calls = []

    def keeps(size):
        calls.append(size)
        return size <= limit + 1
    return keeps, calls


@pytest.mark.parametrize('limit', [1000, 5000, 20000])
def test_common_limits_are_found_exactly_in_few_requests(limit):
    keeps, calls = php_post(limit)
    kept, requests, at_least = find_kept_fields(keeps, 100, 100000)
    assert kept == limit + 1
    assert safe_max_input_vars(kept) == limit
    assert not at_least
    assert requests == len(calls) == len(set(calls))
    assert requests <= 8


@pytest.mark.parametrize('limit', [100, 101, 137, 999, 4321, 5003, 12345, 77777, 99998])
def test_any_limit_is_found_exactly(limit):
    keeps, calls = php_post(limit)
    kept, requests, at_least = find_kept_fields(keeps, 100, 100000)
    assert kept == limit + 1 and not at_least
    assert requests <= 24


def test_a_site_keeping_exactly_its_setting_still_gets_a_safe_value():
    # Without PHP's extra field the cut-off is the setting itself; the value reported is one lower: still safe.
    kept, dummy, dummy2 = find_kept_fields(lambda size: size <= 5000, 100, 100000)
    assert kept == 5000 and safe_max_input_vars(kept) == 4999


def test_a_site_keeping_everything_is_reported_as_at_least_the_maximum():
    kept, requests, at_least = find_kept_fields(lambda size: True, 100, 100000)
    assert (kept, at_least) == (100000, True)
    assert requests <= 8


def test_a_site_keeping_almost_nothing_is_reported_as_none():
    calls = []
    kept, requests, at_least = find_kept_fields(lambda size: calls.append(size) or False, 100, 100000)
    assert (kept, requests, at_least) == (None, 1, False)
    assert calls == [100]


def test_the_largest_request_is_only_sent_when_needed():
    keeps, calls = php_post(1000)
    find_kept_fields(keeps, 100, 100000)
    assert max(calls) < 100000


def test_the_ladder_holds_the_cut_offs_of_common_limits_within_the_range():
    ladder = probe_ladder(100, 6000)
    assert ladder[0] == 100 and ladder[-1] == 6000
    assert set([1000, 1001, 1002, 5000, 5001, 5002]) <= set(ladder)
    assert ladder == sorted(set(ladder))


def test_bad_range_is_refused():
    with pytest.raises(ValueError):
        find_kept_fields(lambda size: True, 500, 100)


class FakeClient:
    """Answers core_user_get_users_by_field like a site keeping ``keep`` fields (4 non-value fields first)."""

    def __init__(self, keep, error=None):
        self.keep = keep
        self.error = error
        self.sent = []

    def call(self, function, params=None, write=False):
        self.sent.append((function, params))
        if self.error:
            raise self.error
        values = params['values'][:max(self.keep - api.PROBE_OVERHEAD_FIELDS, 0)]
        return [{'id': v, 'username': 'admin'} for v in values if v == 2]


def test_probe_request_has_exactly_the_fields_asked_with_the_user_last():
    client = FakeClient(keep=10 ** 6)
    assert api.probe_keeps_fields(client, 2, 150) is True
    function, params = client.sent[0]
    assert function == 'core_user_get_users_by_field'
    assert params['field'] == 'id'
    assert len(params['values']) == 150 - api.PROBE_OVERHEAD_FIELDS
    assert params['values'][-1] == 2 and set(params['values'][:-1]) == set([-1])


def test_probe_sees_truncation():
    assert api.probe_keeps_fields(FakeClient(keep=1001), 2, 1001) is True
    assert api.probe_keeps_fields(FakeClient(keep=1001), 2, 1002) is False


def test_probe_treats_a_php_input_warning_as_truncation():
    warning = MoodleError('Moodle answered HTTP 200 with a body that is not valid JSON: Warning: Unknown: Input '
                          'variables exceeded 1000.', kind='not_moodle')
    assert api.probe_keeps_fields(FakeClient(keep=0, error=warning), 2, 2000) is False


def test_probe_passes_other_errors_on():
    with pytest.raises(MoodleError):
        api.probe_keeps_fields(FakeClient(keep=0, error=MoodleError('x', kind='invalid_token')), 2, 200)


def test_probe_and_search_together_find_the_emulated_limits():
    for limit in (1000, 5000, 20000):
        client = FakeClient(keep=limit + 1)
        kept, dummy, dummy2 = find_kept_fields(lambda size: api.probe_keeps_fields(client, 2, size), 100, 100000)
        assert safe_max_input_vars(kept) == limit


# -- problems -------------------------------------------------------------------------------------
def test_missing_functions_per_module_and_all():
    offered = set(['core_webservice_get_site_info', 'core_user_get_users_by_field'])
    result = missing_functions(offered)
    assert set(result) == set(api.REQUIRED_FUNCTIONS) | set(['all'])
    assert result['moodle_site_info'] == []
    assert 'core_user_create_users' in result['moodle_user']
    assert result['all'] == sorted(set(f for fs in api.REQUIRED_FUNCTIONS.values() for f in fs) - offered)


def test_one_problem_per_missing_function_naming_the_modules_and_the_admin_path():
    offered = set(['core_webservice_get_site_info', 'core_user_get_users_by_field'])
    problems = missing_function_problems(offered, ['moodle_user', 'moodle_enrolment'])
    names = [p['function'] for p in problems]
    assert names == sorted(names)
    assert 'core_user_create_users' in names and 'enrol_manual_enrol_users' in names
    assert 'core_role_assign_roles' not in names
    for item in problems:
        assert item['kind'] == 'missing_function'
        assert item['function'] in item['what']
        assert 'External services' in item['fix'] and 'Functions' in item['fix']
    shared = [p for p in problems if p['function'] == 'core_course_get_courses_by_field'][0]
    assert 'moodle_enrolment' in shared['what']


def test_nothing_missing_no_problem():
    offered = set(dict.fromkeys(f for fs in api.REQUIRED_FUNCTIONS.values() for f in fs))
    assert missing_function_problems(offered, MODULES) == []


def test_web_services_off_becomes_a_problem_with_both_admin_paths():
    error = MoodleError('Moodle answered HTTP 403 with an empty body', kind='webservices_disabled', status=403,
                        function='core_webservice_get_site_info',
                        hint='Enable both: %s; and %s' % (ADMIN_ENABLE_WS, ADMIN_ENABLE_REST))
    item = problem_from_error(error)
    assert item['kind'] == 'webservices_disabled'
    assert ADMIN_ENABLE_WS in item['fix'] and ADMIN_ENABLE_REST in item['fix']


def test_a_redirect_is_its_own_kind_with_the_fix():
    error = MoodleError('Moodle answered HTTP 301, a redirect to https://moodle.example.org/webservice/rest/server.php',
                        kind='redirect', status=301, hint='Set url to https://moodle.example.org')
    item = problem_from_error(error)
    assert item['kind'] == 'redirect' and 'Set url to https://moodle.example.org' in item['fix']


def test_a_missing_capability_says_where_to_allow_it():
    error = MoodleError('Sorry, but you do not currently have permissions to do that (View user details).',
                        kind='permission', errorcode='nopermissions', function='core_user_get_users_by_field')
    item = problem_from_error(error)
    assert item['kind'] == 'permission'
    assert 'Define roles' in item['fix']
    assert 'core_user_get_users_by_field' in item['what'] and 'View user details' in item['what']


def test_an_unusable_account_is_its_own_kind():
    error = MoodleError('User not fully set-up', kind='access', errorcode='usernotfullysetup', hint='fix the user')
    assert problem_from_error(error)['kind'] == 'account'


def test_problems_are_formatted_numbered_with_their_fix():
    text = format_problems([dict(what='A is wrong.', fix='Do B.'), dict(what='C', fix='D')])
    assert text == '(1) A is wrong. Fix: Do B.; (2) C. Fix: D'


def test_the_setup_role_lists_the_same_functions_as_the_modules():
    with open(os.path.join(COLLECTION, 'roles', 'setup', 'vars', 'main.yml')) as handle:
        role_vars = yaml.safe_load(handle)
    assert role_vars['moodle_setup_required_functions'] == api.REQUIRED_FUNCTIONS
    assert role_vars['moodle_setup_plugin_functions'] == list(api.PLUGIN_FUNCTIONS) + ['local_lmsops_get_access_information'] + list(api.PLUGIN_BULK_FUNCTIONS)


# -- the whole check, with a scripted site ---------------------------------------------------------
def site_info(admin=True, functions=None):
    names = functions if functions is not None else dict.fromkeys(f for fs in api.REQUIRED_FUNCTIONS.values() for f in fs)
    return {'sitename': 'S', 'siteurl': 'https://moodle.example.org', 'release': '4.5.1 (Build: 20250101)',
            'version': 2024100701.01, 'userid': 5, 'username': 'ws', 'fullname': 'Web Services',
            'userissiteadmin': admin, 'functions': [{'name': n, 'version': '1'} for n in names]}


def run_site(answers, **params):
    from ansible_collections.lmsops.moodle.plugins.modules.moodle_site_info import SiteInfo
    module = FakeModule(**params)
    with pytest.raises(Exit):
        SiteInfo(module, ScriptedSite(answers)).run()
    return module.result


def good_answers(**overrides):
    answers = {
        'core_webservice_get_site_info': site_info(),
        'core_user_get_users_by_field': [{'id': 5, 'username': 'ws'}],
        'core_course_get_courses_by_field': {'courses': [{'id': 1}, {'id': 7}, {'id': 3}], 'warnings': []},
        'core_course_get_categories': [{'id': 1}],
        'core_enrol_get_enrolled_users': [{'id': 9}],
    }
    answers.update(overrides)
    return answers


def test_everything_right_gives_no_problem_and_checks_each_read():
    result = run_site(good_answers())
    assert result['ok'] and result['problems'] == [] and not result['failed']
    assert [c['function'] for c in result['checks'] if c['result'] == 'ok'] == [
        'core_user_get_users_by_field', 'core_course_get_courses_by_field', 'core_course_get_categories',
        'core_enrol_get_enrolled_users']
    assert 'course id 3' in result['checks'][-1]['detail']   # the lowest course id other than the front page
    assert result['version'] == '2024100701.01'


def test_a_refused_read_is_a_problem_naming_the_capability_and_the_other_checks_still_run():
    refused = MoodleError('Sorry, but you do not currently have permissions to do that (View participants).',
                          kind='permission', errorcode='nopermissions', function='core_enrol_get_enrolled_users')
    result = run_site(good_answers(core_enrol_get_enrolled_users=refused,
                                   core_webservice_get_site_info=site_info(admin=False)))
    assert not result['ok']
    assert [p['kind'] for p in result['problems']] == ['permission']
    assert 'View participants' in result['problems'][0]['what']
    assert 'Define roles' in result['problems'][0]['fix']
    assert [c['result'] for c in result['checks']] == ['ok', 'ok', 'ok', 'failed']
    assert any('moodle/user:create' in note and 'not a site administrator' in note for note in result['notes'])


def test_all_problems_are_collected_then_reported_once():
    refused = MoodleError('Access to core_user_get_users_by_field is not allowed for this token (accessexception)',
                          kind='access', errorcode='accessexception', function='core_user_get_users_by_field',
                          hint='Add it to the service or authorise the user')
    functions = [n for n in dict.fromkeys(f for fs in api.REQUIRED_FUNCTIONS.values() for f in fs) if n != 'core_role_assign_roles']
    result = run_site(good_answers(core_webservice_get_site_info=site_info(functions=functions),
                                   core_user_get_users_by_field=refused), fail_on_problems=True)
    assert result['failed']
    assert result['msg'].startswith('2 problem(s) with the Moodle site https://moodle.example.org: (1) ')
    assert 'core_role_assign_roles' in result['msg'] and 'authorise the user' in result['msg']
    assert [p['kind'] for p in result['problems']] == ['missing_function', 'access']


def test_an_unreachable_site_is_the_only_problem():
    down = MoodleError('Could not talk to https://moodle.example.org: refused', kind='connection',
                       function='core_webservice_get_site_info', hint='Check url and that the site is reachable')
    result = run_site({'core_webservice_get_site_info': down})
    assert not result['ok'] and len(result['problems']) == 1
    assert result['problems'][0]['kind'] == 'connection'
    assert 'functions' not in result


def test_checks_only_use_offered_functions_of_the_chosen_modules():
    answers = good_answers(core_webservice_get_site_info=site_info(
        functions=['core_webservice_get_site_info', 'core_user_get_users_by_field']))
    result = run_site(answers, modules=['moodle_user'])
    assert [c['function'] for c in result['checks']] == ['core_user_get_users_by_field']
    assert [p['function'] for p in result['problems']] == ['core_user_create_users', 'core_user_delete_users',
                                                           'core_user_update_users']


def test_a_refused_large_probe_counts_as_not_kept_and_is_recorded():
    from ansible_collections.lmsops.moodle.plugins.modules.moodle_site_info import probe_function

    class Proxy(FakeClient):
        def call(self, function, params=None, write=False):
            if len(params['values']) + api.PROBE_OVERHEAD_FIELDS > 30000:
                raise MoodleError('Expected JSON from Moodle but got an HTML page (HTTP 413: Request Entity Too Large)',
                                  kind='not_moodle', status=413)
            return FakeClient.call(self, function, params, write)

    refused = []
    kept, dummy, at_least = find_kept_fields(probe_function(Proxy(keep=50001), 2, refused), 100, 100000)
    assert kept == 30000 and not at_least
    assert refused and all(size > 30000 for size, dummy in refused)


def test_a_failing_first_probe_is_an_error():
    from ansible_collections.lmsops.moodle.plugins.modules.moodle_site_info import probe_function
    down = FakeClient(keep=0, error=MoodleError('x', kind='moodle'))
    with pytest.raises(MoodleError):
        find_kept_fields(probe_function(down, 2, []), 100, 100000)


def test_connection_errors_during_the_probe_are_not_taken_for_truncation():
    from ansible_collections.lmsops.moodle.plugins.modules.moodle_site_info import probe_function
    keeps = probe_function(FakeClient(keep=0, error=MoodleError('x', kind='timeout')), 2, [])
    with pytest.raises(MoodleError):
        keeps(5000)
