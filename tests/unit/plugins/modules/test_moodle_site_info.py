# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_site_info: the max_input_vars search, the probe request, and how problems are collected; the module runs as
main() runs it against the emulator (conftest.py), the probe with the real client."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest
import requests
from requests.adapters import HTTPAdapter
import yaml

from ansible_collections.lmsops.moodle.plugins.module_utils import api
from ansible_collections.lmsops.moodle.plugins.module_utils.client import (
    ADMIN_ENABLE_REST, ADMIN_ENABLE_WS, ADMIN_TOKENS, MoodleClient, MoodleError)
from ansible_collections.lmsops.moodle.plugins.modules.moodle_site_info import (
    MODULES, UNLIMITED_FIELDS, SiteInfo, find_kept_fields, format_problems, missing_function_problems, missing_functions,
    probe_function, probe_ladder, problem_from_error, safe_max_input_vars)
from ansible_collections.lmsops.moodle.tests.unit.plugins.module_args import run_module

COLLECTION = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
EVERY_FUNCTION = list(dict.fromkeys(f for fs in api.REQUIRED_FUNCTIONS.values() for f in fs))
CHECKED_READS = ['core_user_get_users_by_field', 'core_course_get_courses_by_field', 'core_course_get_categories',
                 'core_enrol_get_enrolled_users']
WS_TOKEN = 'c0ffee00c0ffee00c0ffee00c0ffee00'


# -- running the module as main() does, against the emulator ---------------------------------------
def run_site_info(capsys, emulator, token='full', **options):
    """moodle_site_info as main() runs it (run_module: argument spec, API and client), on the emulator with the
    token named ``token`` (a name of ``emulator.tokens``, else the value itself); its JSON result. The request log is
    emptied first. By default the problems are returned (fail_on_problems false) and nothing is retried."""
    emulator.clear_log()
    args = dict(url=emulator.url, token=emulator.tokens.get(token, token), fail_on_problems=False, retries=0)
    args.update(options)
    return run_module(capsys, SiteInfo, **args)


def least_privilege_seed(functions=None, companion=True, role_at=('system', 0), courses=True, enabled=True, **user):
    """The recordings' site with a token (``ws``) of lmsops_ws, a user that is not a site administrator and holds the
    role lmsops_ws at ``role_at``, for a service of ``functions`` (every function the modules need by default; the
    companion plugin's join it when that is switched on and ``companion``). ``courses=False``: a site with no
    course but the front page."""
    from moodle_emulator.state import DEFAULT_ROLES  # pylint: disable=import-error,import-outside-toplevel
    seed = dict(
        roles=DEFAULT_ROLES + [dict(id=9, shortname='lmsops_ws', name='LMS Ops web services', archetype='',
                                    contextlevels=['system', 'coursecat'])],
        users=[dict(dict(username='lmsops_ws', firstname='LMS Ops', lastname='Web services',
                         email='lmsops_ws@example.org'), **user)],
        role_assignments=[dict(user='lmsops_ws', role='lmsops_ws', contextlevel=role_at[0], instance=role_at[1])],
        services=[dict(shortname='lmsops_ws', name='LMS Ops', functions=list(EVERY_FUNCTION if functions is None
                                                                             else functions),
                       companion=companion, enabled=enabled)],
        tokens=[dict(name='ws', token=WS_TOKEN, user='lmsops_ws', service='lmsops_ws')])
    if courses:
        seed['extends'] = 'recordings'
    return seed


def requested(emulator):
    """The functions the run called, in order."""
    return [entry['wsfunction'] for entry in emulator.requests]


@pytest.fixture
def site_info(emulator, capsys):
    def run(token='full', **options):
        return run_site_info(capsys, emulator, token, **options)
    return run


def probe_client(emulator, token='full', timeout=30):
    """The client the module's probe uses: the real one, allowed to send more fields than the site keeps."""
    return MoodleClient(emulator.url, emulator.tokens.get(token, token), timeout=timeout,
                        max_input_vars=UNLIMITED_FIELDS, retries=0)


def probes(emulator):
    """(fields sent, fields kept) of each probe request of the emulator's log."""
    return [(entry['fields'], entry['kept_fields']) for entry in emulator.requests
            if entry['wsfunction'] == 'core_user_get_users_by_field']


# -- the search, over a predicate ------------------------------------------------------------------
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
    kept, requests_sent, at_least = find_kept_fields(keeps, 100, 100000)
    assert kept == limit + 1
    assert safe_max_input_vars(kept) == limit
    assert not at_least
    assert requests_sent == len(calls) == len(set(calls))
    assert requests_sent <= 8


@pytest.mark.parametrize('limit', [100, 101, 137, 999, 4321, 5003, 12345, 77777, 99998])
def test_any_limit_is_found_exactly(limit):
    keeps, dummy = php_post(limit)
    kept, requests_sent, at_least = find_kept_fields(keeps, 100, 100000)
    assert kept == limit + 1 and not at_least
    assert requests_sent <= 24


def test_a_site_keeping_exactly_its_setting_still_gets_a_safe_value():
    # Without PHP's extra field the cut-off is the setting itself; the value reported is one lower: still safe.
    kept, dummy, dummy2 = find_kept_fields(lambda size: size <= 5000, 100, 100000)
    assert kept == 5000 and safe_max_input_vars(kept) == 4999


def test_a_site_keeping_everything_is_reported_as_at_least_the_maximum():
    kept, requests_sent, at_least = find_kept_fields(lambda size: True, 100, 100000)
    assert (kept, at_least) == (100000, True)
    assert requests_sent <= 8


def test_a_site_keeping_almost_nothing_is_reported_as_none():
    calls = []
    kept, requests_sent, at_least = find_kept_fields(lambda size: calls.append(size) or False, 100, 100000)
    assert (kept, requests_sent, at_least) == (None, 1, False)
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


# -- the probe request, with the real client on the emulator ---------------------------------------
def test_probe_request_has_exactly_the_fields_asked_with_the_user_last(emulator, monkeypatch):
    client = probe_client(emulator)
    sent = []
    real_call = client.call
    monkeypatch.setattr(client, 'call', lambda function, params=None, write=False: sent.append((function, params))
                        or real_call(function, params, write))
    emulator.clear_log()
    assert api.probe_keeps_fields(client, 2, 150) is True
    [(function, params)] = sent
    assert function == 'core_user_get_users_by_field' and params['field'] == 'id'
    assert len(params['values']) == 150 - api.PROBE_OVERHEAD_FIELDS
    assert params['values'][-1] == 2 and set(params['values'][:-1]) == set([-1])
    # wstoken, wsfunction, moodlewsrestformat, field and the values: exactly the fields asked, all in the POST body.
    assert probes(emulator) == [(150, 150)]


def test_probe_sees_truncation(emulator):
    emulator.set(max_input_vars=1000)
    client = probe_client(emulator)
    emulator.clear_log()
    # PHP keeps max_input_vars + 1 fields of a POST body: the user's id, last, survives in 1001 fields, not in 1002.
    assert api.probe_keeps_fields(client, 2, 1001) is True
    assert api.probe_keeps_fields(client, 2, 1002) is False
    assert probes(emulator) == [(1001, 1001), (1002, 1001)]


def php_prints_its_warning(emulator, client, buffered):
    """PHP with display_errors on prints its startup warning ahead of the answer when it drops input variables
    (main/php_variables.c); the emulator only drops them, silently. With output buffering (php.ini-production) Moodle
    still sets its Content-Type; without, the warning went out first, and with it PHP's default text/html."""
    def hook(response, *args, **kwargs):
        entry = emulator.requests[-1]
        if entry['kept_fields'] < entry['fields']:
            warning = ('<br />\n<b>Warning</b>:  Unknown: Input variables exceeded %d. To increase the limit change '
                       'max_input_vars in php.ini. in <b>Unknown</b> on line <b>0</b><br />\n'
                       % emulator.state.settings['max_input_vars'])
            response._content = warning.encode('utf-8') + response.content  # pylint: disable=protected-access
            if not buffered:
                response.headers['Content-Type'] = 'text/html; charset=UTF-8'
        return response
    client.session.hooks['response'].append(hook)


@pytest.mark.parametrize('buffered', [True, False])
def test_probe_treats_a_php_input_warning_as_truncation(emulator, buffered):
    emulator.set(max_input_vars=1000)
    client = probe_client(emulator)
    php_prints_its_warning(emulator, client, buffered)
    with pytest.raises(MoodleError) as raised:
        client.call('core_user_get_users_by_field', {'field': 'id', 'values': [-1] * 1500 + [2]})
    assert raised.value.kind == 'not_moodle' and 'Input variables exceeded 1000' in str(raised.value)
    assert api.probe_keeps_fields(client, 2, 2000) is False
    assert api.probe_keeps_fields(client, 2, 1001) is True


def test_probe_passes_other_errors_on(emulator):
    client = probe_client(emulator, token='0' * 32)
    with pytest.raises(MoodleError) as raised:
        api.probe_keeps_fields(client, 2, 200)
    assert raised.value.kind == 'invalid_token'


@pytest.mark.parametrize('limit', [1000, 5000, 20000])
def test_probe_and_search_together_find_the_emulated_limits(emulator, limit):
    emulator.set(max_input_vars=limit)
    client = probe_client(emulator)
    emulator.clear_log()
    kept, requests_sent, at_least = find_kept_fields(probe_function(client, 2, []), 100, 100000)
    assert safe_max_input_vars(kept) == limit and kept == limit + 1 and not at_least
    assert len(probes(emulator)) == requests_sent <= 8
    assert all(kept_fields == min(fields, limit + 1) for fields, kept_fields in probes(emulator))


class BodyLimit(HTTPAdapter):
    """A reverse proxy in front of the site refusing a request body of more than ``fields`` form fields with HTTP 413
    (nginx's client_max_body_size), before the site sees it; smaller requests go through to the emulator."""

    PAGE = ('<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request '
            'Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n')

    def __init__(self, fields):
        super(BodyLimit, self).__init__()
        self.fields = fields
        self.refused = []

    def send(self, request, **kwargs):  # pylint: disable=arguments-differ
        size = (request.body or '').count('&') + 1
        if size <= self.fields:
            return super(BodyLimit, self).send(request, **kwargs)
        self.refused.append(size)
        response = requests.Response()
        response.status_code = 413
        response.headers['Content-Type'] = 'text/html'
        response._content = self.PAGE.encode('utf-8')  # pylint: disable=protected-access
        response.request, response.url = request, request.url
        return response


def test_a_refused_large_probe_counts_as_not_kept_and_is_recorded(emulator):
    emulator.set(max_input_vars=50000)
    client = probe_client(emulator)
    proxy = BodyLimit(30000)
    client.session.mount('http://', proxy)
    refused = []
    kept, dummy, at_least = find_kept_fields(probe_function(client, 2, refused), 100, 100000)
    assert kept == 30000 and not at_least
    assert refused and sorted(size for size, dummy in refused) == sorted(proxy.refused)
    assert all(size > 30000 and error.kind == 'not_moodle' and 'HTTP 413' in str(error) for size, error in refused)
    # The site itself saw only what the proxy let through, and kept it whole.
    assert all(fields == kept_fields <= 30000 for fields, kept_fields in probes(emulator))


def test_a_failing_first_probe_is_an_error(emulator):
    emulator.faults(status=500, functions=['core_user_get_users_by_field'])
    client = probe_client(emulator)
    emulator.clear_log()
    with pytest.raises(MoodleError) as raised:
        find_kept_fields(probe_function(client, 2, []), 100, 100000)
    assert raised.value.kind == 'http' and raised.value.status == 500
    assert probes(emulator) == [(100, 100)]


@pytest.mark.parametrize('fault, kind', [(dict(drop='before'), 'connection'), (dict(latency_ms=1500), 'timeout')])
def test_connection_errors_during_the_probe_are_not_taken_for_truncation(emulator, fault, kind):
    client = probe_client(emulator, timeout=1)
    refused = []
    keeps = probe_function(client, 2, refused)
    assert keeps(100) is True
    emulator.faults(functions=['core_user_get_users_by_field'], **fault)
    with pytest.raises(MoodleError) as raised:
        keeps(5000)
    assert raised.value.kind == kind and refused == []


# -- the probe, run by the module ------------------------------------------------------------------
@pytest.mark.parametrize('limit', [1000, 5000, 20000])
def test_the_module_reports_the_site_max_input_vars(emulator, site_info, limit):
    emulator.set(max_input_vars=limit)
    result = site_info(probe_max_input_vars=True, check_permissions=False)
    assert result['ok'], result['problems']
    assert result['max_input_vars'] == limit
    probe = result['max_input_vars_probe']
    assert probe['kept_fields'] == limit + 1 and not probe['at_least'] and probe['requests'] <= 8
    assert requested(emulator) == (['core_webservice_get_site_info']
                                   + ['core_user_get_users_by_field'] * probe['requests'])
    assert max(fields for fields, dummy in probes(emulator)) < 100000
    assert not any(entry['write'] for entry in emulator.requests)


def test_a_site_keeping_every_field_probed_is_reported_as_at_least_the_largest(emulator, site_info):
    # The recordings site has no max_input_vars limit.
    result = site_info(probe_max_input_vars=True, probe_max_fields=3000, check_permissions=False)
    assert result['max_input_vars'] == 2999
    assert result['max_input_vars_probe']['kept_fields'] == 3000 and result['max_input_vars_probe']['at_least']
    assert max(fields for fields, dummy in probes(emulator)) == 3000
    assert any('at least that; raise probe_max_fields' in note for note in result['notes'])


def test_a_site_keeping_almost_no_field_is_a_probe_problem(emulator, site_info):
    emulator.set(max_input_vars=50)
    result = site_info(probe_max_input_vars=True, check_permissions=False)
    assert 'max_input_vars' not in result
    [item] = result['problems']
    assert item['kind'] == 'probe' and 'only 100 form fields' in item['what'] and 'php.ini' in item['fix']
    assert probes(emulator) == [(100, 51)]


# -- problems, over data ---------------------------------------------------------------------------
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
    assert missing_function_problems(set(EVERY_FUNCTION), MODULES) == []


def test_a_redirect_is_its_own_kind_with_the_fix():
    # The emulator never redirects: the error as the client builds it from a 301 (a proxy or an http:// url).
    error = MoodleError('Moodle answered HTTP 301, a redirect to https://moodle.example.org/webservice/rest/server.php',
                        kind='redirect', status=301, hint='Set url to https://moodle.example.org')
    item = problem_from_error(error)
    assert item['kind'] == 'redirect' and 'Set url to https://moodle.example.org' in item['fix']


def test_problems_are_formatted_numbered_with_their_fix():
    text = format_problems([dict(what='A is wrong.', fix='Do B.'), dict(what='C', fix='D')])
    assert text == '(1) A is wrong. Fix: Do B.; (2) C. Fix: D'


def test_the_setup_role_lists_the_same_functions_as_the_modules():
    with open(os.path.join(COLLECTION, 'roles', 'setup', 'vars', 'main.yml')) as handle:
        role_vars = yaml.safe_load(handle)
    assert role_vars['moodle_setup_required_functions'] == api.REQUIRED_FUNCTIONS
    assert role_vars['moodle_setup_plugin_functions'] == (list(api.PLUGIN_FUNCTIONS)
                                                          + ['local_lmsops_get_access_information']
                                                          + list(api.PLUGIN_BULK_FUNCTIONS))


# -- the whole check, on the emulator --------------------------------------------------------------
def test_everything_right_gives_no_problem_and_checks_each_read(emulator, site_info):
    result = site_info()
    assert result['ok'] and result['problems'] == [] and not result.get('failed')
    assert (result['sitename'], result['release'], result['version']) == (
        'Moodle Test Site', '5.1+ (Build: 20251017)', '2025100600.02')
    assert result['token_user'] == dict(id=2, username='admin', fullname='Admin User', is_site_admin=True)
    with emulator.lock:
        service = emulator.state.service_by_shortname['lmsops_full']
        assert result['functions'] == sorted(emulator.state.services[service]['functions'])
    assert all(missing == [] for missing in result['missing_functions'].values())
    assert not result['companion_plugin']
    assert [(c['function'], c['result']) for c in result['checks']] == [(name, 'ok') for name in CHECKED_READS]
    # The first course of a site (id 2; id 1 is the front page) for the enrolled users' read.
    assert result['checks'][-1]['detail'] == 'read one enrolled user of course id 2'
    assert result['access'] == {'checked': False, 'source': None} and result['notes'] == []
    assert requested(emulator) == ['core_webservice_get_site_info'] + CHECKED_READS
    assert not any(entry['write'] for entry in emulator.requests)


def test_the_course_to_check_can_be_chosen(emulator, site_info):
    result = site_info(check_course=4)
    assert result['ok'], result['problems']
    assert [c['detail'] for c in result['checks'] if c['function'] != 'core_user_get_users_by_field'] == [
        'read course id 4', 'read category id 1', 'read one enrolled user of course id 4']


def test_without_a_course_the_enrolled_users_read_is_skipped(emulator, site_info):
    emulator.reseed(least_privilege_seed(courses=False))
    result = site_info('ws', modules=['moodle_enrolment'])
    assert result['checks'][-1] == dict(function='core_enrol_get_enrolled_users', result='skipped',
                                        detail='no course to read (set check_course)')
    assert 'core_enrol_get_enrolled_users' not in requested(emulator)


def test_a_refused_read_is_a_problem_naming_the_capability_and_the_other_checks_still_run(emulator, site_info):
    emulator.reseed(least_privilege_seed())
    emulator.set(missing_capabilities=['moodle/course:viewparticipants'])
    result = site_info('ws')
    assert not result['ok']
    [item] = result['problems']
    assert item['kind'] == 'permission' and item['function'] == 'core_enrol_get_enrolled_users'
    assert 'core_enrol_get_enrolled_users' in item['what'] and 'View participants' in item['what']
    assert 'Define roles' in item['fix'] and 'at system level' in item['fix']
    assert [c['result'] for c in result['checks']] == ['ok', 'ok', 'ok', 'failed']
    assert any('moodle/user:create' in note and 'not a site administrator' in note for note in result['notes'])
    assert requested(emulator) == ['core_webservice_get_site_info'] + CHECKED_READS


def test_all_problems_are_collected_then_reported_once(emulator, site_info):
    emulator.reseed(least_privilege_seed(functions=[f for f in EVERY_FUNCTION if f != 'core_role_assign_roles']))
    emulator.set(missing_capabilities=['moodle/course:viewparticipants'])
    result = site_info('ws', fail_on_problems=True)
    assert result['failed']
    assert result['msg'].startswith('2 problem(s) with the Moodle site %s: (1) ' % emulator.url)
    assert '(2) ' in result['msg'] and '(3) ' not in result['msg']
    assert 'core_role_assign_roles' in result['msg'] and 'View participants' in result['msg']
    assert 'Define roles' in result['msg'] and 'External services' in result['msg']
    assert [p['kind'] for p in result['problems']] == ['missing_function', 'permission']
    # Every check ran before the one failure.
    assert requested(emulator) == ['core_webservice_get_site_info'] + CHECKED_READS


def test_checks_only_use_offered_functions_of_the_chosen_modules(emulator, site_info):
    # The limited token's service: core_webservice_get_site_info and core_user_get_users_by_field.
    result = site_info('limited', modules=['moodle_user'])
    assert [c['function'] for c in result['checks']] == ['core_user_get_users_by_field']
    assert [p['function'] for p in result['problems']] == ['core_user_create_users', 'core_user_delete_users',
                                                           'core_user_update_users']
    assert result['missing_functions']['moodle_user'] == ['core_user_create_users', 'core_user_delete_users',
                                                          'core_user_update_users']
    assert requested(emulator) == ['core_webservice_get_site_info', 'core_user_get_users_by_field']


def test_an_unreachable_site_is_the_only_problem(emulator, site_info):
    emulator.faults(drop='before', functions=['core_webservice_get_site_info'])
    result = site_info()
    assert not result['ok'] and len(result['problems']) == 1
    item = result['problems'][0]
    assert item['kind'] == 'connection' and 'Could not talk to %s' % emulator.url in item['what']
    assert 'reachable' in item['fix']
    assert 'functions' not in result and 'checks' not in result
    assert [(entry['wsfunction'], entry['status']) for entry in emulator.requests] == [
        ('core_webservice_get_site_info', 0)]


@pytest.mark.parametrize('switch', ['enablewebservices', 'rest_enabled'])
def test_web_services_off_becomes_a_problem_with_both_admin_paths(emulator, site_info, switch):
    emulator.set(**{switch: False})
    result = site_info()
    [item] = result['problems']
    assert item['kind'] == 'webservices_disabled' and item['function'] == 'core_webservice_get_site_info'
    assert 'HTTP 403 with an empty body' in item['what']
    assert ADMIN_ENABLE_WS in item['fix'] and ADMIN_ENABLE_REST in item['fix']
    assert requested(emulator) == ['core_webservice_get_site_info']


def test_a_bad_token_is_the_only_problem_and_says_where_to_issue_one(emulator, site_info):
    result = site_info('0' * 32)
    [item] = result['problems']
    assert item['kind'] == 'invalid_token' and ADMIN_TOKENS in item['fix']
    assert '0' * 32 not in json.dumps(result)


def test_a_disabled_service_is_an_access_problem_naming_the_token_causes(emulator, site_info):
    emulator.reseed(least_privilege_seed(enabled=False))
    result = site_info('ws')
    [item] = result['problems']
    assert item['kind'] == 'access' and 'accessexception' in item['what']
    assert item['fix'].startswith('Most likely') and 'the service is disabled' in item['fix']


def test_a_suspended_token_user_is_an_account_problem(emulator, site_info):
    emulator.reseed(least_privilege_seed(suspended=True))
    result = site_info('ws')
    [item] = result['problems']
    assert item['kind'] == 'account' and 'suspended username: lmsops_ws' in item['what']
    assert 'Site administration > Users' in item['fix']


@pytest.mark.parametrize('errorcode, message', [('usernotfullysetup', 'User not fully set-up'),
                                                ('forcepasswordchangenotice',
                                                 'You must change your password to proceed.')])
def test_an_unusable_account_is_its_own_kind(emulator, site_info, errorcode, message):
    # What require_login() throws in each read (lib/moodlelib.php), for a user that must change its password or whose
    # profile is incomplete: the emulator's users are always set up.
    emulator.faults(answer=dict(exception='moodle_exception', errorcode=errorcode, message=message),
                    functions=CHECKED_READS, count=3)
    result = site_info()
    # The course read failed too, so no course is left for the enrolled users' read.
    assert [c['result'] for c in result['checks']] == ['failed', 'failed', 'failed', 'skipped']
    assert [p['kind'] for p in result['problems']] == ['account'] * 3
    assert all(message.rstrip('.') in p['what'] and 'must change its password' in p['fix'] for p in result['problems'])
