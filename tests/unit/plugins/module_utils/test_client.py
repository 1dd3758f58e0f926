# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The REST client against a real HTTP server on 127.0.0.1 (no mocked requests)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import html
import json
from urllib.parse import quote, quote_plus

import pytest

from ansible_collections.lmsops.moodle.plugins.module_utils.client import (
    MoodleClient, MoodleError, encode_params, html_to_text)
from ansible_collections.lmsops.moodle.plugins.module_utils.api import MoodleAPI

TOKEN = 'f00dfacecafe0123456789abcdef0123'


def json_answer(payload, status=200):
    return status, 'application/json', json.dumps(payload)


def client_for(server, **kwargs):
    kwargs.setdefault('backoff', 0.01)
    return MoodleClient(server.url, TOKEN, **kwargs)


def moodle_exception(errorcode, message, debuginfo=None, exception='moodle_exception'):
    payload = {'exception': exception, 'errorcode': errorcode, 'message': message}
    if debuginfo is not None:
        payload['debuginfo'] = debuginfo
    return json_answer(payload)


def assert_no_secret(error, *secrets):
    texts = [str(error), error.message or '', error.hint or '', error.debuginfo or '', json.dumps(error.as_dict())]
    for secret in (TOKEN,) + secrets:
        for text in texts:
            assert secret not in text


# -- encoding ---------------------------------------------------------------------------

def test_encode_nested_lists_dicts_and_booleans():
    fields = encode_params({'users': [{'username': 'a', 'suspended': True, 'customfields': [{'type': 'x', 'value': 1}]},
                                      {'username': 'b', 'suspended': False, 'city': None}],
                            'field': 'username'})
    assert fields == [('users[0][username]', 'a'), ('users[0][suspended]', '1'),
                      ('users[0][customfields][0][type]', 'x'), ('users[0][customfields][0][value]', '1'),
                      ('users[1][username]', 'b'), ('users[1][suspended]', '0'), ('field', 'username')]


def test_encode_omits_empty_lists_and_none():
    assert encode_params({'userids': [], 'options': [], 'courseid': 2, 'x': None}) == [('courseid', '2')]


def test_request_carries_format_function_and_token_by_post(server):
    server.respond = lambda r: json_answer([{'id': 3, 'username': 'alice'}])
    answer = client_for(server).call('core_user_get_users_by_field', {'field': 'username', 'values': ['alice']})
    assert answer == [{'id': 3, 'username': 'alice'}]
    request = server.requests[0]
    assert request.path == '/webservice/rest/server.php'
    assert request.fields[:3] == [('wstoken', TOKEN), ('wsfunction', 'core_user_get_users_by_field'),
                                  ('moodlewsrestformat', 'json')]
    assert request.params['values[0]'] == 'alice'


def test_url_with_endpoint_or_trailing_slash_is_normalised(server):
    server.respond = lambda r: json_answer({})
    MoodleClient(server.url + '/webservice/rest/server.php', TOKEN).call('core_webservice_get_site_info')
    MoodleClient(server.url + '/', TOKEN).call('core_webservice_get_site_info')
    assert [r.path for r in server.requests] == ['/webservice/rest/server.php'] * 2


def test_null_answer_is_none(server):
    server.respond = lambda r: json_answer(None)
    assert client_for(server).call('core_user_delete_users', {'userids': [5]}, write=True) is None


# -- errors -------------------------------------------------------------------------------

def test_403_empty_body_names_both_admin_paths(server):
    server.respond = lambda r: (403, 'text/html', '')
    with pytest.raises(MoodleError) as caught:
        client_for(server).call('core_webservice_get_site_info')
    error = caught.value
    assert error.kind == 'webservices_disabled' and error.status == 403
    assert 'Site administration > Advanced features > Enable web services' in str(error)
    assert 'Manage protocols' in str(error) and 'REST' in str(error)
    assert_no_secret(error)


def test_invalidtoken(server):
    server.respond = lambda r: moodle_exception('invalidtoken', 'Invalid token - token not found')
    with pytest.raises(MoodleError) as caught:
        client_for(server).call('core_webservice_get_site_info')
    assert caught.value.kind == 'invalid_token'
    assert 'Manage tokens' in str(caught.value)
    assert_no_secret(caught.value)


def test_accessexception_names_the_function_and_the_fix(server):
    server.respond = lambda r: moodle_exception('accessexception', 'Access control exception')
    with pytest.raises(MoodleError) as caught:
        client_for(server).call('core_user_create_users', {'users': [{'username': 'x'}]}, write=True)
    text = str(caught.value)
    assert caught.value.kind == 'access'
    assert 'core_user_create_users' in text and 'External services' in text and 'Functions' in text
    assert text.index('Add core_user_create_users') < text.index('the token expired')


def test_accessexception_on_the_first_call_leads_with_the_token_and_the_authorisation(server):
    server.respond = lambda r: moodle_exception('accessexception', 'Access control exception')
    with pytest.raises(MoodleError) as caught:
        client_for(server).call('core_webservice_get_site_info')
    hint = caught.value.hint
    assert hint.startswith('Most likely the token expired or is restricted to other IP addresses')
    assert 'Authorised users' in hint and 'Manage tokens' in hint
    assert hint.index('Authorised users') < hint.index('is not in the token\'s service')


def test_nopermissions_keeps_the_capability(server):
    server.respond = lambda r: moodle_exception(
        'nopermissions', 'Sorry, but you do not currently have permissions to do that (Create users).',
        debuginfo='moodle/user:create')
    with pytest.raises(MoodleError) as caught:
        client_for(server).call('core_user_create_users', {'users': [{'username': 'x'}]}, write=True)
    assert caught.value.kind == 'permission'
    assert 'moodle/user:create' in str(caught.value) and 'Create users' in str(caught.value)


def test_invalidparameter_with_and_without_debuginfo(server):
    server.respond = lambda r: moodle_exception('invalidparameter', 'Invalid parameter value detected',
                                                debuginfo='Username already exists: alice')
    with pytest.raises(MoodleError) as caught:
        client_for(server).call('core_user_create_users', {'users': [{'username': 'alice'}]}, write=True)
    assert caught.value.kind == 'invalid_parameter'
    assert 'Username already exists: alice' in str(caught.value)
    server.respond = lambda r: moodle_exception('invalidparameter', 'Invalid parameter value detected')
    with pytest.raises(MoodleError) as caught:
        client_for(server).call('core_user_create_users', {'users': [{'username': 'alice'}]}, write=True)
    assert 'Debugging' in str(caught.value)


def test_password_policy_html_becomes_text(server):
    html = ('<div>Passwords must be at least 8 characters long.</div>'
            '<div>Passwords must have at least 1 digit(s).</div>')
    server.respond = lambda r: moodle_exception(html, 'error/' + html)
    with pytest.raises(MoodleError) as caught:
        client_for(server).call('core_user_create_users', {'users': [{'username': 'e', 'password': 'abc'}]}, write=True)
    text = str(caught.value)
    assert '<div>' not in text and '<' not in text
    assert 'Passwords must be at least 8 characters long. Passwords must have at least 1 digit(s).' in text
    assert html_to_text(html) == 'Passwords must be at least 8 characters long. Passwords must have at least 1 digit(s).'


def test_html_instead_of_json(server):
    server.respond = lambda r: (200, 'text/html', '<html><head><title>Log in to the site</title></head><body>x</body></html>')
    with pytest.raises(MoodleError) as caught:
        client_for(server).call('core_webservice_get_site_info')
    assert caught.value.kind == 'not_moodle'
    assert 'Log in to the site' in str(caught.value) and 'site root' in str(caught.value)


def test_wrong_path_404_says_to_check_url(server):
    server.respond = lambda r: (404, 'text/html', '<html><title>Not found</title></html>')
    with pytest.raises(MoodleError) as caught:
        client_for(server).call('core_webservice_get_site_info')
    assert caught.value.status == 404 and 'Check url' in str(caught.value)


def test_maintenance_page_503_is_retried_then_explained(server):
    server.respond = lambda r: (503, 'text/html', '<html><title>Site maintenance</title></html>')
    with pytest.raises(MoodleError) as caught:
        client_for(server, retries=2).call('core_webservice_get_site_info')
    assert len(server.requests) == 3
    assert 'maintenance' in str(caught.value)


@pytest.mark.parametrize('validate_certs', [True, False])
def test_https_on_a_plain_http_port_says_so_whatever_validate_certs_says(server, validate_certs):
    client = MoodleClient(server.url.replace('http://', 'https://'), TOKEN, retries=0, validate_certs=validate_certs)
    with pytest.raises(MoodleError) as caught:
        client.call('core_webservice_get_site_info')
    text = str(caught.value)
    assert caught.value.kind == 'tls'
    assert 'answers plain HTTP, not HTTPS' in text and 'validate_certs does not change this' in text
    assert 'ca_path' not in text
    assert_no_secret(caught.value)


def test_timeout_of_a_write_is_outcome_unknown_and_not_resent(server):
    server.delay = 0.5
    server.respond = lambda r: json_answer(None)
    client = client_for(server, timeout=0.1, retries=3)
    with pytest.raises(MoodleError) as caught:
        client.call('core_user_delete_users', {'userids': [7]}, write=True)
    assert caught.value.kind == 'timeout' and caught.value.outcome_unknown
    assert len(server.requests) == 1


def test_connection_refused_names_the_site():
    client = MoodleClient('http://127.0.0.1:9', TOKEN, retries=1, backoff=0.01)
    with pytest.raises(MoodleError) as caught:
        client.call('core_webservice_get_site_info')
    assert caught.value.kind == 'connection' and '127.0.0.1:9' in str(caught.value)
    assert not caught.value.outcome_unknown


def test_secrets_are_masked_even_when_the_server_echoes_them(server):
    password = 'Hunter#2secret'
    server.respond = lambda r: moodle_exception('invalidparameter', 'Invalid parameter value detected',
                                                debuginfo='bad value %s for token %s' % (password, TOKEN))
    client = client_for(server)
    client.add_secret(password)
    with pytest.raises(MoodleError) as caught:
        client.call('core_user_create_users', {'users': [{'username': 'x', 'password': password}]}, write=True)
    assert_no_secret(caught.value, password)
    assert '********' in str(caught.value)


def test_debug_log_never_carries_the_token(server):
    lines = []
    server.respond = lambda r: json_answer({})
    MoodleClient(server.url, TOKEN, log=lines.append).call('core_webservice_get_site_info')
    assert lines and all(TOKEN not in line for line in lines)


# -- retries ------------------------------------------------------------------------------

def test_reads_are_retried_on_5xx_and_dropped_connections(server):
    answers = [None, (502, 'text/html', 'bad gateway'), json_answer([{'id': 1}])]
    server.respond = lambda r: answers[len(server.requests) - 1]
    assert client_for(server, retries=3).call('core_user_get_users_by_field',
                                              {'field': 'id', 'values': [1]}) == [{'id': 1}]
    assert len(server.requests) == 3


def test_writes_are_never_resent(server):
    server.respond = lambda r: (500, 'text/html', '<html><title>Error</title></html>')
    with pytest.raises(MoodleError) as caught:
        client_for(server, retries=3).call('core_user_create_users', {'users': [{'username': 'a'}]}, write=True)
    assert len(server.requests) == 1
    assert caught.value.outcome_unknown
    server.requests[:] = []
    server.respond = lambda r: None
    with pytest.raises(MoodleError) as caught:
        client_for(server, retries=3).call('core_user_delete_users', {'userids': [4]}, write=True)
    assert len(server.requests) == 1 and caught.value.outcome_unknown


# -- batching under max_input_vars --------------------------------------------------------------

def test_3000_items_never_reach_max_input_vars_and_all_arrive(server):
    server.respond = lambda r: json_answer([{'username': v} for k, v in r.fields if k.endswith('[username]')])
    users = [{'username': 'u%04d' % n, 'firstname': 'F', 'lastname': 'L', 'email': 'u%d@example.org' % n,
              'password': 'Secret#123'} for n in range(3000)]
    created = MoodleAPI(client_for(server, max_input_vars=1000)).create_users(users)
    assert [u['username'] for u in created] == [u['username'] for u in users]
    assert all(len(r.fields) < 1000 for r in server.requests)
    assert len(server.requests) == 16  # 199 users of 5 fields (+3) per request: the fewest that fit
    sent = [v for r in server.requests for k, v in r.fields if k.endswith('[username]')]
    assert sent == [u['username'] for u in users]


def test_enrolments_leave_out_the_options_moodle_reads_as_zero(server):
    server.respond = lambda r: json_answer(None)
    MoodleAPI(client_for(server, max_input_vars=5000)).enrol_users(
        [{'roleid': 5, 'userid': n, 'courseid': 2, 'timestart': 0, 'timeend': 0, 'suspend': False} for n in range(1000)]
        + [{'roleid': 5, 'userid': 9999, 'courseid': 2, 'timestart': 100, 'timeend': 200, 'suspend': True}])
    # 1000 x 3 fields fit one request (with all six they would need two)
    assert len(server.requests) == 1
    sent = [k for k, dummy in server.requests[0].fields if k.startswith('enrolments[')]
    assert len(sent) == 3 * 1000 + 6 and 'enrolments[1000][suspend]' in sent and 'enrolments[0][timestart]' not in sent


def test_enrolled_users_are_read_with_the_fields_asked_for(server):
    server.respond = lambda r: json_answer([])
    api = MoodleAPI(client_for(server))
    api.get_enrolled_users(2, fields=('id', 'roles', 'username'))
    api.get_enrolled_users(1, fields=('id',), limitfrom=400, limitnumber=1)
    assert [r.params.get('options[0][value]') for r in server.requests] == ['id,roles,username', 'id']
    assert server.requests[1].params.get('options[1][name]') == 'limitfrom'


def test_the_plugin_s_paged_reads_are_followed_to_the_last_page(server):
    def respond(request):
        if request.params['wsfunction'] == 'core_webservice_get_site_info':
            return json_answer({'functions': [{'name': 'local_lmsops_get_users'}]})
        after = int(request.params.get('afterid') or 0)
        rows = [{'id': n, 'username': 'u%d' % n} for n in range(after + 1, min(after + 3, 6))]
        return json_answer({'users': rows, 'nextafterid': rows[-1]['id'] if rows[-1]['id'] < 5 else 0})
    server.respond = respond
    users = MoodleAPI(client_for(server)).get_users_by_field('username', ['u%d' % n for n in range(1, 6)])
    assert [u['id'] for u in users] == [1, 2, 3, 4, 5]
    pages = [r for r in server.requests if r.params['wsfunction'] == 'local_lmsops_get_users']
    # each page sends the values and the field again, after the last id of the page before
    assert [r.params['afterid'] for r in pages] == ['0', '2', '4'] and all(r.params['field'] == 'username' for r in pages)
    assert all(r.params['values[4]'] == 'u5' for r in pages)


def test_flat_values_are_chunked_too(server):
    server.respond = lambda r: json_answer({'functions': []} if r.params['wsfunction'] == 'core_webservice_get_site_info' else [])
    MoodleAPI(client_for(server, max_input_vars=100)).get_users_by_field('username', ['u%d' % n for n in range(1000)])
    assert all(len(r.fields) < 100 for r in server.requests)
    assert sum(1 for r in server.requests for k, dummy in r.fields if k.startswith('values[')) == 1000


def test_truncated_create_is_detected(server):
    def truncating(request):   # behaves like PHP with max_input_vars=20: the tail is silently gone
        kept = request.fields[:20]
        return json_answer([{'id': n, 'username': v} for n, (k, v) in enumerate(kept) if k.endswith('[username]')])
    server.respond = truncating
    users = [{'username': 'u%d' % n, 'firstname': 'F', 'lastname': 'L', 'email': 'u%d@x.org' % n} for n in range(10)]
    with pytest.raises(MoodleError) as caught:
        MoodleAPI(client_for(server, max_input_vars=1000)).create_users(users)
    assert caught.value.kind == 'incomplete_answer'
    assert 'u9' in str(caught.value) and 'max_input_vars' in str(caught.value)


def test_an_item_too_large_is_never_sent(server):
    with pytest.raises(MoodleError) as caught:
        client_for(server, max_input_vars=10).call_batched(
            'core_user_create_users', 'users', [{'username': 'a', 'firstname': 'b', 'lastname': 'c', 'email': 'd',
                                                 'city': 'e', 'country': 'GB', 'lang': 'en'}], write=True)
    assert caught.value.kind == 'too_large'
    assert server.requests == []


def test_a_failed_chunk_reports_the_chunks_already_done(server):
    def fail_second(request):
        if len(server.requests) == 2:
            return moodle_exception('invalidparameter', 'Invalid parameter value detected')
        return json_answer(None)
    server.respond = fail_second
    with pytest.raises(MoodleError) as caught:
        client_for(server, max_input_vars=10).call_batched('core_user_delete_users', 'userids', list(range(20)),
                                                           write=True)
    assert len(caught.value.done) == 1 and caught.value.done[0][0] == list(range(6))
    assert caught.value.failed_chunk == list(range(6, 12))


def test_missing_record_hint_tells_a_missing_function_from_a_missing_record(server):
    answers = {
        'debug on, no such function': moodle_exception(
            'invalidrecord', "Can't find data record in database table external_functions.",
            debuginfo='SELECT * FROM {external_functions} WHERE name = ?'),
        'debug on, no such context': moodle_exception(
            'invalidrecord', "Can't find data record in database table context.", debuginfo='SELECT * FROM {context}'),
        'debug off': moodle_exception('invalidrecordunknown', "Can't find data record in database."),
    }
    hints = {}
    for case, answer in answers.items():
        server.respond = lambda r, answer=answer: answer
        with pytest.raises(MoodleError) as caught:
            client_for(server).call('core_role_assign_roles', {'assignments': [{'roleid': 5}]}, write=True)
        hints[case] = caught.value.hint
    assert hints['debug on, no such function'].startswith('core_role_assign_roles is not a web-service function')
    assert hints['debug on, no such context'].startswith('A record the call refers to')
    assert hints['debug off'].startswith('Either core_role_assign_roles is not a web-service function')


# -- answers a real Moodle gives that are no result (seen on the real 4.5 and 5.1 sites) ------------

@pytest.mark.parametrize('content_type', ['application/json', 'text/html; charset=utf-8', ''])
def test_an_empty_200_body_is_never_a_result(server, content_type):
    server.respond = lambda r: (200, content_type, '')
    with pytest.raises(MoodleError) as caught:
        client_for(server).call('core_user_get_users_by_field', {'field': 'username', 'values': ['alice']})
    assert caught.value.kind == 'not_moodle'
    assert 'empty body' in str(caught.value)
    assert 'PHP error log' in caught.value.hint


def test_an_empty_body_after_a_write_leaves_the_outcome_unknown(server):
    server.respond = lambda r: (200, 'application/json', '')
    with pytest.raises(MoodleError) as caught:
        client_for(server).call('core_user_create_users', {'users': [{'username': 'a'}]}, write=True)
    assert caught.value.outcome_unknown
    assert len(server.requests) == 1


def test_a_php_error_without_errorcode_is_an_error(server):
    # core_course_get_courses_by_field with 'ids' naming a missing course, on Moodle 4.5 and 5.1.
    server.respond = lambda r: json_answer({'exception': 'Error', 'message': 'Attempt to assign property "contextvalidated" on null'})
    with pytest.raises(MoodleError) as caught:
        client_for(server).call('core_course_get_courses_by_field', {'field': 'ids', 'value': '2,99'})
    assert caught.value.kind == 'php_error'
    assert 'contextvalidated' in str(caught.value)
    assert caught.value.errorcode is None


def test_courses_by_ids_fall_back_to_one_read_each_when_moodle_fails_on_a_missing_id(server):
    def respond(request):
        if request.params.get('field') == 'ids':
            return json_answer({'exception': 'Error', 'message': 'Attempt to assign property "contextvalidated" on null'})
        course = int(request.params['value'])
        return json_answer({'courses': [{'id': course, 'shortname': 'C%d' % course}] if course != 99 else [], 'warnings': []})
    server.respond = respond
    courses = MoodleAPI(client_for(server)).get_courses('id', [2, 99, 3])
    assert [c['id'] for c in courses] == [2, 3]
    assert [r.params['field'] for r in server.requests] == ['ids', 'id', 'id', 'id']


# -- redirects are never followed (security review, issue 19, item 1) -----------------------------

@pytest.mark.parametrize('status', [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed(server, other_server, status):
    """A 307/308 would re-POST the token to the Location; a 301/302/303 would take another host's GET answer."""
    other_server.respond = lambda r: json_answer({'sitename': 'Somewhere else'})
    location = other_server.url + '/moodle/webservice/rest/server.php'
    server.respond = lambda r: (status, 'text/html', '', {'Location': location})
    with pytest.raises(MoodleError) as caught:
        client_for(server, retries=3).call('core_webservice_get_site_info')
    error = caught.value
    assert other_server.requests == []
    assert len(server.requests) == 1     # not retried either
    assert error.kind == 'redirect' and error.status == status
    assert location in error.message
    assert 'set url to %s/moodle' % other_server.url in error.hint.lower()
    assert_no_secret(error)


def test_a_redirect_of_a_write_names_a_relative_location_in_full(server):
    server.respond = lambda r: (308, 'text/html', '', {'Location': '/moodle/webservice/rest/server.php'})
    with pytest.raises(MoodleError) as caught:
        client_for(server).call('core_user_delete_users', {'userids': [4]}, write=True)
    assert [r.method for r in server.requests] == ['POST']
    assert caught.value.kind == 'redirect' and not caught.value.outcome_unknown
    assert server.url + '/moodle/webservice/rest/server.php' in str(caught.value)
    assert server.url + '/moodle' in caught.value.hint


def test_a_redirect_without_location_is_an_error_too(server):
    server.respond = lambda r: (302, 'text/html', '')
    with pytest.raises(MoodleError) as caught:
        client_for(server).call('core_webservice_get_site_info')
    assert caught.value.kind == 'redirect' and caught.value.status == 302
    assert 'no Location' in str(caught.value)


# -- ca_path and validate_certs are not overridden by the environment (item 5) -----------------------

@pytest.fixture
def clean_ca_environment(monkeypatch):
    for variable in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'):
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


@pytest.mark.parametrize('variable', ['REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'])
def test_ca_path_wins_over_a_ca_bundle_in_the_environment(tls_server, certificates, clean_ca_environment, variable):
    clean_ca_environment.setenv(variable, certificates['other'][0])
    tls_server.respond = lambda r: json_answer({'sitename': 'TLS site'})
    client = client_for(tls_server, ca_path=certificates['site'][0], retries=0)
    assert client.call('core_webservice_get_site_info') == {'sitename': 'TLS site'}


def test_validate_certs_false_wins_over_a_ca_bundle_in_the_environment(tls_server, certificates, clean_ca_environment):
    clean_ca_environment.setenv('REQUESTS_CA_BUNDLE', certificates['other'][0])
    tls_server.respond = lambda r: json_answer({'sitename': 'TLS site'})
    assert client_for(tls_server, validate_certs=False, retries=0).call('core_webservice_get_site_info') == {
        'sitename': 'TLS site'}


def test_ca_path_really_verifies(tls_server, certificates, clean_ca_environment):
    clean_ca_environment.setenv('REQUESTS_CA_BUNDLE', certificates['site'][0])
    with pytest.raises(MoodleError) as caught:
        client_for(tls_server, ca_path=certificates['other'][0], retries=0).call('core_webservice_get_site_info')
    assert caught.value.kind == 'tls'
    assert 'TLS verification failed' in str(caught.value) and 'ca_path' in str(caught.value)
    assert tls_server.requests == []


# -- secrets are masked before the text is tidied (item 6) ----------------------------------------------

# A password with a double space and a tab: collapsing whitespace first used to leave it unmasked.
SPACED_PASSWORD = 'Zq9  Wv#7\tKp4x'


def assert_nothing_of(secret, error):
    """Neither the secret nor any recognisable piece of it is in the error."""
    texts = [str(error), error.message or '', error.hint or '', error.debuginfo or '', json.dumps(error.as_dict())]
    pieces = [secret, ' '.join(secret.split())] + [piece for piece in secret.split() if len(piece) >= 3]
    for text in texts:
        for piece in pieces:
            assert piece not in text, '%r leaks %r' % (text, piece)


@pytest.mark.parametrize('answer', [
    # a proxy's error page that echoes the form
    (400, 'text/html', '<html><body><p>Request rejected: password=%s</p></body></html>' % SPACED_PASSWORD),
    # PHP warnings printed before the JSON
    (200, 'application/json', '{"warning": "bad value %s"' % SPACED_PASSWORD),
    # Moodle's debuginfo
    json_answer({'exception': 'invalid_parameter_exception', 'errorcode': 'invalidparameter',
                 'message': 'Invalid parameter value detected', 'debuginfo': 'password %s refused' % SPACED_PASSWORD}),
    # a validation text in HTML
    json_answer({'exception': 'moodle_exception', 'errorcode': '<div>%s is too weak</div>' % SPACED_PASSWORD,
                 'message': 'error'}),
], ids=['proxy-page', 'invalid-json', 'debuginfo', 'html-errorcode'])
def test_a_password_with_spaces_is_masked_before_whitespace_is_collapsed(server, answer):
    server.respond = lambda r: answer
    client = client_for(server, retries=0)
    client.add_secret(SPACED_PASSWORD)
    with pytest.raises(MoodleError) as caught:
        client.call('core_user_create_users', {'users': [{'username': 'x', 'password': SPACED_PASSWORD}]}, write=True)
    assert_nothing_of(SPACED_PASSWORD, caught.value)
    assert '********' in str(caught.value)


@pytest.mark.parametrize('content_type, head', [('text/plain', 'Proxy error '), ('application/json', '{"echo": "')])
def test_a_cut_never_leaves_a_prefix_of_a_secret(server, content_type, head):
    for filler in range(180, 200):
        body = head + 'x' * (filler - len(head)) + TOKEN + ' and more text after it'
        server.respond = lambda r, body=body: (400 if content_type == 'text/plain' else 200, content_type, body)
        with pytest.raises(MoodleError) as caught:
            client_for(server, retries=0).call('core_webservice_get_site_info')
        assert TOKEN[:4] not in str(caught.value), filler
        assert_no_secret(caught.value)


def test_a_password_echoed_url_encoded_or_html_escaped_is_masked(server):
    password = 'Pa ss&w/rd#1<é>'
    echoed = ('<html><body>Form: users%%5B0%%5D%%5Bpassword%%5D=%s; shown: %s; path: %s</body></html>'
              % (quote_plus(password), html.escape(password), quote(password, safe='')))
    server.respond = lambda r: (400, 'text/html', echoed)
    client = client_for(server, retries=0)
    client.add_secret(password)
    with pytest.raises(MoodleError) as caught:
        client.call('core_user_create_users', {'users': [{'username': 'x', 'password': password}]}, write=True)
    for form in (password, quote_plus(password), html.escape(password), quote(password, safe='')):
        assert_nothing_of(form, caught.value)
    assert 'Form: users' in str(caught.value)


def test_a_secret_inside_another_is_masked_whole(server):
    server.respond = lambda r: moodle_exception('invalidparameter', 'Invalid parameter value detected',
                                                debuginfo='values Secret#1 and Secret#123')
    client = client_for(server, retries=0)
    for secret in ('Secret#1', 'Secret#123'):
        client.add_secret(secret)
    with pytest.raises(MoodleError) as caught:
        client.call('core_user_create_users', {'users': [{'username': 'x'}]}, write=True)
    assert 'Secret' not in str(caught.value) and '23' not in str(caught.value)


# -- credentials written into url (item 9) ------------------------------------------------------

def test_credentials_in_url_never_appear_in_messages_or_logs():
    lines = []
    client = MoodleClient('http://alice:S3cr3tPw@127.0.0.1:9', TOKEN, retries=0, log=lines.append)
    with pytest.raises(MoodleError) as caught:
        client.call('core_webservice_get_site_info')
    assert caught.value.kind == 'connection' and '127.0.0.1:9' in str(caught.value)
    assert_no_secret(caught.value, 'S3cr3tPw')
    assert 'http://alice:********@127.0.0.1:9' in str(caught.value)
    assert lines and not [line for line in lines if 'S3cr3tPw' in line]


def test_credentials_in_url_are_still_sent_and_masked_when_echoed(server):
    server.respond = lambda r: (401, 'text/html', '<html><body>alice:S3cr3tPw rejected at %s</body></html>'
                                % r.headers.get('Authorization'))
    url = server.url.replace('http://', 'http://alice:S3cr3tPw@')
    with pytest.raises(MoodleError) as caught:
        MoodleClient(url + '/moodle', TOKEN, retries=0).call('core_webservice_get_site_info')
    assert server.requests[0].headers.get('Authorization') == 'Basic YWxpY2U6UzNjcjN0UHc='
    assert server.requests[0].path == '/moodle/webservice/rest/server.php'
    assert_no_secret(caught.value, 'S3cr3tPw', 'YWxpY2U6UzNjcjN0UHc=')


def test_a_redirect_never_shows_credentials(server):
    server.respond = lambda r: (301, 'text/html', '', {'Location': 'https://bob:Pw0rd9x@moodle.example.org/'})
    url = server.url.replace('http://', 'http://alice:S3cr3tPw@')
    with pytest.raises(MoodleError) as caught:
        MoodleClient(url, TOKEN, retries=0).call('core_webservice_get_site_info')
    assert caught.value.kind == 'redirect'
    assert 'moodle.example.org' in str(caught.value)
    assert_no_secret(caught.value, 'S3cr3tPw', 'Pw0rd9x')
