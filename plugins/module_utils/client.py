# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one REST client of lmsops.moodle.

It speaks Moodle's REST protocol (``webservice/rest/server.php``): form-encoded POSTs in
PHP bracket syntax, JSON answers, and Moodle's ways of failing (HTTP 403 with an empty
body, HTTP 200 with an ``exception`` object, HTML where JSON was expected).  Every failure
becomes one :class:`MoodleError` whose message says what to fix.  Batches are split so that
no request carries ``max_input_vars`` form fields or more, because PHP silently drops the
fields past that limit.  Reads are retried; writes are never re-sent blindly.

Redirects are never followed (a 307/308 would re-send the token to wherever it points), the
TLS settings given are applied to each request (the environment's CA bundle never overrides
them), and secrets are masked in whatever the site answers before that text is tidied or cut.

FOR INTERNAL USE OF THE lmsops.moodle COLLECTION ONLY: module_utils are not a public API; they change in any
release without notice (see docs/architecture.md).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import html
import ipaddress
import json
import re
import time
import traceback
from urllib.parse import quote, quote_plus, unquote, urljoin, urlsplit, urlunsplit

from ansible_collections.lmsops.moodle.plugins.module_utils.masking import STARS, SecretMasker

REQUESTS_IMPORT_ERROR = None
try:
    import requests
except ImportError:  # pragma: no cover - reported by the module through missing_required_lib
    requests = None
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

ENDPOINT = '/webservice/rest/server.php'
# wstoken, wsfunction and moodlewsrestformat count against PHP's max_input_vars too.
BASE_FIELDS = 3
MASK = STARS                    # how a secret reads in messages, results and diffs (masking.py)
RETRY_STATUSES = (500, 502, 503, 504)

ADMIN_ENABLE_WS = 'Site administration > Advanced features > Enable web services'
ADMIN_ENABLE_REST = 'Site administration > Plugins > Web services > Manage protocols > REST (enable it)'
ADMIN_TOKENS = 'Site administration > Plugins > Web services > Manage tokens'
ADMIN_SERVICE_FUNCTIONS = 'Site administration > Plugins > Web services > External services > (your service) > Functions'
ADMIN_DEBUGGING = 'Site administration > Development > Debugging > Debug messages: DEVELOPER'
ADMIN_DEFINE_ROLES = 'Site administration > Users > Permissions > Define roles'
ADMIN_ALLOW_ASSIGN = ADMIN_DEFINE_ROLES + ' > Allow role assignments'
ADMIN_ASSIGN_SYSTEM_ROLES = 'Site administration > Users > Permissions > Assign system roles'

_TAG = re.compile(r'<[^>]+>')
_TITLE = re.compile(r'<title[^>]*>(.*?)</title>', re.IGNORECASE | re.DOTALL)
_BLOCK_END = re.compile(r'</(div|p|li|h[1-6])>|<br\s*/?>', re.IGNORECASE)


def html_to_text(text):
    """Moodle puts HTML into some error codes (password policy): make it readable."""
    text = _BLOCK_END.sub('. ', text or '')
    text = _TAG.sub('', text)
    text = re.sub(r'\s+', ' ', text)
    text = re.sub(r'(\.\s*){2,}', '. ', text)
    return text.strip(' .') + ('.' if text.strip(' .') else '')


def encode_params(params, prefix=None):
    """Flatten nested parameters into PHP bracket-syntax form fields.

    ``{'users': [{'username': 'a', 'suspended': True}]}`` becomes
    ``[('users[0][username]', 'a'), ('users[0][suspended]', '1')]``.  Booleans are sent as
    0/1, ``None`` values and empty lists are omitted (Moodle cannot decode an empty list).
    """
    fields = []
    _encode_into(fields, params, prefix)
    return fields


def _encode_into(fields, value, name):
    if value is None:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _encode_into(fields, item, key if name is None else '%s[%s]' % (name, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _encode_into(fields, item, '%s[%d]' % (name, index))
    elif isinstance(value, bool):
        fields.append((name, '1' if value else '0'))
    else:
        fields.append((name, str(value)))


class MoodleError(Exception):
    """One error type for everything that can go wrong talking to Moodle.

    ``kind`` classifies it (``webservices_disabled``, ``invalid_token``, ``access``,
    ``permission``, ``invalid_parameter``, ``not_moodle``, ``tls``, ``timeout``,
    ``connection``, ``http``, ``redirect``, ``moodle``, ``php_error``, ``too_large``,
    ``incomplete_answer``);
    ``errorcode``/``debuginfo`` are Moodle's own; ``hint`` tells a Moodle admin what to fix;
    ``outcome_unknown`` is true when a write may or may not have been applied.
    A write sent in several requests (:meth:`MoodleClient.call_batched`) that fails sets ``done``, the
    ``[(chunk, answer)]`` applied before it, and ``failed_chunk``, the chunk Moodle failed on; both stay None
    for any other error.
    """

    def __init__(self, message, kind='moodle', function=None, errorcode=None, debuginfo=None,
                 hint=None, status=None, outcome_unknown=False):
        self.message = message
        self.kind = kind
        self.function = function
        self.errorcode = errorcode
        self.debuginfo = debuginfo
        self.hint = hint
        self.status = status
        self.outcome_unknown = outcome_unknown
        self.done = None
        self.failed_chunk = None
        super(MoodleError, self).__init__(self.describe())

    def diagnosis(self):
        """What happened: the function, Moodle's message (or the client's), Moodle's debuginfo."""
        text = self.message
        if self.function and self.function not in text:
            text = '%s: %s' % (self.function, text)
        if self.debuginfo and self.debuginfo not in text:
            text = '%s (%s)' % (text.rstrip('.'), self.debuginfo.strip())
        return text

    def describe(self):
        """The diagnosis, then what to fix."""
        text = self.diagnosis()
        if self.hint:
            text = '%s. %s' % (text.rstrip('.'), self.hint)
        return text

    def as_dict(self):
        return dict(kind=self.kind, function=self.function, errorcode=self.errorcode,
                    debuginfo=self.debuginfo, hint=self.hint, status=self.status,
                    outcome_unknown=self.outcome_unknown)


def _squash(text):
    return re.sub(r'\s+', ' ', text or '').strip()


def diagnose_exception(function, payload):
    """Turn Moodle's ``{"exception", "errorcode", "message", "debuginfo"}`` into a MoodleError: the kind, the message
    and the admin's fix come from the errorcode (one small diagnosis per code, below)."""
    errorcode = payload.get('errorcode') or ''
    debuginfo = _squash(payload.get('debuginfo')) or None
    facts = dict(kind='moodle', message=payload.get('message') or errorcode or 'Moodle reported an error', hint=None,
                 errorcode=errorcode)
    if 'errorcode' not in payload:
        facts.update(kind='php_error',
                     message='Moodle failed with a PHP %s: %s' % (payload.get('exception') or 'error', facts['message']),
                     hint='This is a fault inside Moodle, not a setting: the web server\'s PHP error log has the detail')
    else:
        _diagnosis(errorcode)(facts, function, debuginfo)
    return MoodleError(facts['message'], kind=facts['kind'], function=function, errorcode=facts['errorcode'] or None,
                       debuginfo=debuginfo, hint=facts['hint'], status=200)


def _validation_text(facts, function, debuginfo):
    """Password policy and other validation texts arrive as HTML inside errorcode."""
    facts.update(message=html_to_text(facts['errorcode']), errorcode='validation', kind='invalid_parameter')


def _invalid_token(facts, function, debuginfo):
    facts.update(kind='invalid_token',
                 message='Moodle rejected the token (invalidtoken): it is unknown, deleted, or was not sent',
                 hint='Check the token option or MOODLE_TOKEN; issue a token at %s' % ADMIN_TOKENS)


def _no_access(facts, function, debuginfo):
    facts.update(kind='access', message='Access to %s is not allowed for this token (accessexception)' % function,
                 hint=access_hint(function))


def _no_permission(facts, function, debuginfo):
    facts.update(kind='permission', hint='Give the token user the capability named above (%s)' % ADMIN_DEFINE_ROLES)


def _invalid_parameter(facts, function, debuginfo):
    facts['kind'] = 'invalid_parameter'
    if not debuginfo:
        facts['hint'] = 'Moodle hides which value it rejected while debugging is off; set %s to see the detail' % (
            ADMIN_DEBUGGING)


def _invalid_record(facts, function, debuginfo):
    if not function:
        return
    missing_function = ('%s is not a web-service function of this site (misspelt, or the plugin that provides it is not '
                        'installed)' % function)
    if 'external_functions' in facts['message'] + (debuginfo or ''):
        facts['hint'] = missing_function
    elif debuginfo:
        facts['hint'] = 'A record the call refers to (a user, course, context...) does not exist'
    else:
        facts['hint'] = 'Either %s, or a record the call refers to (a user, course, context...) does not exist' % (
            missing_function)


def _maintenance(facts, function, debuginfo):
    facts['hint'] = 'The site is in maintenance mode; retry when it is back'


def _unusable_account(facts, function, debuginfo):
    facts.update(kind='access', hint='The token user\'s account is not usable for web services (suspended, deleted, must '
                                     'change its password, or profile incomplete): log in as that user or fix it under '
                                     'Site administration > Users')


def _category_not_deletable(facts, function, debuginfo):
    # kind stays 'moodle': the category is the item's problem, isolated from the rest of the batch.
    facts.update(hint=(
        'Moving a deleted category\'s content needs moodle/course:create (courses) and moodle/category:manage '
        '(subcategories) in the category it goes to; deleting it with the category needs moodle/category:manage in '
        'every subcategory and moodle/course:delete for every course (%s)' % ADMIN_DEFINE_ROLES))


def _nothing_known(facts, function, debuginfo):
    """An errorcode with no diagnosis of its own: Moodle's message stands."""


DIAGNOSES = {
    'invalidtoken': _invalid_token,
    'accessexception': _no_access,
    'nopermissions': _no_permission,
    'invalidparameter': _invalid_parameter,
    'invalidrecord': _invalid_record,
    'invalidrecordunknown': _invalid_record,
    'sitemaintenance': _maintenance,
    'usernotfullysetup': _unusable_account,
    'forcepasswordchangenotice': _unusable_account,
    'youcannotdeletecategory': _category_not_deletable,
}


def _diagnosis(errorcode):
    if '<' in errorcode and '>' in errorcode:
        return _validation_text
    if errorcode.startswith('wsaccessuser'):
        return _unusable_account
    return DIAGNOSES.get(errorcode, _nothing_known)


# The first call of every module: a service without it is rare (the setup role and every guide add it), so an
# accessexception there is most likely about the token or the token user.
FIRST_CALL = 'core_webservice_get_site_info'


def access_hint(function):
    """What to fix after an accessexception (Moodle names the cause only in debuginfo, with debugging on)."""
    token_causes = ('the token expired or is restricted to other IP addresses (%s shows its valid-until date and IP '
                    'restriction: issue a new token), or the service is restricted to authorised users and the token '
                    'user is not one of them or its authorisation expired (External services > (your service) > '
                    'Authorised users), or the service is disabled, or the token user lacks webservice/rest:use'
                    % ADMIN_TOKENS)
    if function == FIRST_CALL:
        return 'Most likely %s. Less likely: %s is not in the token\'s service (%s)' % (
            token_causes, function, ADMIN_SERVICE_FUNCTIONS)
    return 'Add %s to the token\'s external service (%s). If it is there: %s' % (
        function, ADMIN_SERVICE_FUNCTIONS, token_causes)


def plain_http_answer(exc):
    """OpenSSL's words when a TLS handshake failed because the port answers plain HTTP (it reads the HTTP answer as
    a TLS record), or None."""
    text = str(exc).lower()
    for sign in ('wrong version number', 'record layer failure', 'packet length too long', 'http request'):
        if sign in text:
            return sign
    return None


def hide_credentials(url):
    """``(url, secrets)``: the url with the password of any ``user:password@`` in it masked, and the secrets.

    The secrets are the password as written and decoded, and the HTTP basic authentication it is sent as.  A
    user name alone (``token@host``) is taken as the secret.
    """
    parts = urlsplit(url or '')
    if '@' not in parts.netloc:
        return url, []
    userinfo, host = parts.netloc.rsplit('@', 1)
    user, colon, password = userinfo.partition(':')
    if colon and password:
        shown, secrets = '%s:%s' % (user, MASK), [password, unquote(password)]
    elif user:
        shown, secrets = MASK, [user, unquote(user)]
    else:
        return url, []
    credentials = '%s:%s' % (unquote(user), unquote(password))
    try:
        credentials = credentials.encode('latin1')      # as requests encodes them
    except UnicodeEncodeError:
        credentials = credentials.encode('utf-8')
    secrets.append(base64.b64encode(credentials).decode('ascii'))
    return urlunsplit(parts._replace(netloc='%s@%s' % (shown, host))), sorted(set(secrets))


def travels_in_clear(url):
    """True when ``url`` is plain http to another host than this one (the loopback is never on a network)."""
    parts = urlsplit(url or '')
    if parts.scheme.lower() != 'http':
        return False
    host = (parts.hostname or '').lower()
    if host == 'localhost' or host.endswith('.localhost'):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def secret_forms(secret):
    """How a secret may come back in a text: as is, URL-encoded (a form or a query string echoed), HTML-escaped,
    or inside a JSON string (as Python and PHP escape it)."""
    in_json = json.dumps(secret)[1:-1]
    return set([secret, quote_plus(secret), quote(secret, safe=''), html.escape(secret), html.escape(secret, quote=False),
                in_json, in_json.replace('/', '\\/'), json.dumps(secret, ensure_ascii=False)[1:-1]])


def _body_text(response):
    """The body as text: UTF-8 (what Moodle sends) unless it is not, whatever charset the answer declares."""
    try:
        return response.content.decode('utf-8')
    except (UnicodeDecodeError, AttributeError):
        return response.text or ''


def _describe_non_json(function, status, body):
    """The error for an answer that is not JSON; ``body`` has its secrets masked already."""
    if status == 403 and not body.strip():
        return MoodleError(
            'Moodle answered HTTP 403 with an empty body: web services are disabled or the REST protocol is not enabled',
            kind='webservices_disabled', function=function, status=403,
            hint='Enable both: %s; and %s' % (ADMIN_ENABLE_WS, ADMIN_ENABLE_REST))
    title = _TITLE.search(body)
    title = _squash(html_to_text(title.group(1))) if title else ''
    snippet = _squash(html_to_text(body))[:200]
    what = 'an HTML page' if '<html' in body.lower() or '<!doctype' in body.lower() else 'a non-JSON answer'
    if status == 503:
        hint = 'The site is probably in maintenance mode or overloaded; retry when it is back'
    elif status == 404:
        hint = 'Check url: it must be the site root (e.g. https://moodle.example.org), the client adds %s' % ENDPOINT
    else:
        hint = ('Check url points at the Moodle site root (not a login page, proxy or maintenance page) and that '
                'the site is not in maintenance mode')
    detail = title or snippet or 'empty body'
    return MoodleError('Expected JSON from Moodle but got %s (HTTP %s: %s)' % (what, status, detail),
                       kind='not_moodle' if status < 500 else 'http', function=function, status=status, hint=hint)


def _redirect_error(function, status, location, endpoint):
    """The error for a 3xx answer: never followed, it names where it points so that url can be fixed."""
    fix = 'the collection never follows redirects, so that the token is not sent anywhere else'
    if not location:
        return MoodleError('The site answered HTTP %s, a redirect with no Location' % status, kind='redirect',
                           function=function, status=status,
                           hint='Set url to the address the site really answers at; %s' % fix)
    target = hide_credentials(urljoin(endpoint, location.strip()))[0]
    parts = urlsplit(target)
    if parts.path.rstrip('/').endswith(ENDPOINT):
        root = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip('/')[:-len(ENDPOINT)], '', ''))
        hint = 'Set url to %s, the address the site really answers at; %s' % (root, fix)
    else:
        hint = ('Set url to the address the site really answers at (%s is not the web-service endpoint: a login page, '
                'a proxy or the front page?); %s' % (target, fix))
    return MoodleError('The site answered HTTP %s, a redirect to %s' % (status, target), kind='redirect',
                       function=function, status=status, hint=hint)


class MoodleClient:
    """Calls Moodle web-service functions over REST on one ``requests.Session``."""

    def __init__(self, url, token, validate_certs=True, ca_path=None, timeout=30, max_input_vars=1000,
                 retries=3, backoff=0.5, log=None):
        if requests is None:
            raise MoodleError('The Python library requests is required', kind='missing_library')
        url = (url or '').rstrip('/')
        if url.endswith(ENDPOINT):
            url = url[:-len(ENDPOINT)]
        self._post_url = url + ENDPOINT     # may carry user:password@ (sent as HTTP basic authentication)
        # base_url and endpoint are for messages: any password written into url is masked in them.
        self.base_url, self.url_secrets = hide_credentials(url)
        self.endpoint = self.base_url + ENDPOINT
        self.in_clear = travels_in_clear(url)
        self.token = token
        self.timeout = timeout
        self.max_input_vars = int(max_input_vars)
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.log = log
        self.secrets = set()
        self._masker = None
        for secret in [token] + self.url_secrets:
            self.add_secret(secret)
        self.session = requests.Session()
        # Given with each request: a session's verify loses to REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE in the environment.
        self.verify = ca_path if (validate_certs and ca_path) else bool(validate_certs)
        self.session.verify = self.verify
        self.calls = []   # (function, fields, write) for each request sent: used in results and tests

    # -- secrets -----------------------------------------------------------------------
    def add_secret(self, value):
        """Register a value (a password) that must never appear in a message."""
        if value:
            self.secrets.add(str(value))
            self._masker = None

    def redact(self, text):
        """``text`` with every secret, in each form it may be echoed in, replaced by ``********``.

        Use it on the raw text a site answered, before any whitespace is collapsed, HTML is turned into
        text or the text is cut: a secret altered or cut first would no longer be recognised.
        """
        if text is None:
            return text
        text = str(text)
        if self._masker is None:
            self._masker = SecretMasker(set(form for secret in self.secrets for form in secret_forms(secret)))
        for form in sorted(self._masker.found_in(text), key=len, reverse=True):
            text = text.replace(form, MASK)
        return text

    def _redact_payload(self, payload):
        """A Moodle exception object with its secrets masked, before its texts are tidied."""
        return dict((key, self.redact(value) if isinstance(value, str) else value) for key, value in payload.items())

    def _clean(self, error):
        for attr in ('message', 'debuginfo', 'hint'):
            setattr(error, attr, self.redact(getattr(error, attr)))
        error.args = (error.describe(),)
        return error

    # -- single requests ---------------------------------------------------------------
    def field_budget(self):
        """How many fields one request may carry: strictly fewer than max_input_vars."""
        return self.max_input_vars - 1

    def call(self, function, params=None, write=False):
        """Call one function with one request and return its decoded JSON answer."""
        fields = encode_params(params or {})
        total = BASE_FIELDS + len(fields)
        if total > self.field_budget():
            raise MoodleError(
                'This request would carry %d form fields, and the site drops fields past max_input_vars (%d): '
                'refusing to send it' % (total, self.max_input_vars), kind='too_large', function=function,
                hint='Raise max_input_vars (PHP setting and the module option) or send fewer values')
        data = [('wstoken', self.token or ''), ('wsfunction', function), ('moodlewsrestformat', 'json')] + fields
        try:
            return self._send_with_retries(function, data, write)
        except MoodleError as error:
            raise self._clean(error)

    def _send_with_retries(self, function, data, write):
        attempt = 0
        while True:
            try:
                return self._send(function, data, write)
            except MoodleError as error:
                retriable = error.kind in ('connection', 'timeout') or error.status in RETRY_STATUSES
                if write and error.kind == 'connection' and not error.outcome_unknown:
                    retriable = True   # the request never reached the server: nothing to double
                elif write:
                    retriable = False
                if not retriable or attempt >= self.retries:
                    raise
                attempt += 1
                delay = self.backoff * (2 ** (attempt - 1))
                self._debug('%s failed (%s), retry %d/%d in %.1fs' % (function, error.kind, attempt, self.retries, delay))
                time.sleep(delay)

    def _send(self, function, data, write):
        self.calls.append((function, len(data), write))
        self._debug('POST %s wsfunction=%s fields=%d' % (self.endpoint, function, len(data)))
        try:
            # Never follow a redirect: a 307/308 would re-send the form, token included, to another host.
            response = self.session.post(self._post_url, data=data, timeout=self.timeout, verify=self.verify,
                                         allow_redirects=False)
        except requests.exceptions.SSLError as exc:
            plain_http = plain_http_answer(exc)
            if plain_http:
                raise MoodleError('%s answers plain HTTP, not HTTPS, on this port (OpenSSL: %s)' % (
                    self.base_url, plain_http), kind='tls', function=function,
                    hint='url says https:// but the port serves http://: give the site\'s HTTPS address (usually '
                         'without a port), or http:// if the site really has no TLS; validate_certs does not change '
                         'this')
            raise MoodleError('TLS verification failed for %s: %s' % (self.base_url, self.redact(exc)),
                              kind='tls', function=function,
                              hint='Install the site\'s CA and set ca_path, or (test sites only) validate_certs: false')
        except requests.exceptions.ConnectTimeout:
            raise MoodleError('Timed out connecting to %s' % self.base_url, kind='connection', function=function,
                              hint='Check url and that the site is reachable from this host')
        except requests.exceptions.Timeout:
            raise MoodleError('No answer from %s within %ss' % (self.base_url, self.timeout), kind='timeout',
                              function=function, outcome_unknown=write,
                              hint='Raise the timeout option, or send smaller batches (lower max_input_vars)')
        except requests.exceptions.ConnectionError as exc:
            never_sent = _connection_never_established(exc)
            raise MoodleError('Could not talk to %s: %s' % (self.base_url, _short_reason(self.redact(exc))),
                              kind='connection', function=function, outcome_unknown=write and not never_sent,
                              hint='Check url and that the site is reachable from this host')
        except requests.exceptions.RequestException as exc:
            raise MoodleError('Request to %s failed: %s' % (self.base_url, self.redact(exc)), kind='connection',
                              function=function, outcome_unknown=write)
        return self._decode(function, response, write)

    def _decode(self, function, response, write):
        if 300 <= response.status_code < 400:
            # Moodle's REST server never redirects: the web server or a proxy answered, no function ran.
            raise _redirect_error(function, response.status_code, self.redact(response.headers.get('Location')),
                                  self.endpoint)
        content_type = response.headers.get('Content-Type', '')
        text = _body_text(response)
        if response.status_code == 200 and not text.strip():
            # Functions without a return value answer the literal null: an empty body is never a result.
            raise MoodleError('Moodle answered HTTP 200 with an empty body, which is never a web-service answer',
                              kind='not_moodle', function=function, status=200, outcome_unknown=write,
                              hint='A PHP fatal error with display_errors off, or a proxy that dropped the answer: '
                                   'the web server\'s PHP error log says which')
        if response.status_code == 200 and ('json' in content_type or text[:1] in '[{n'):
            try:
                payload = response.json()
            except ValueError:
                raise MoodleError('Moodle answered HTTP 200 with a body that is not valid JSON: %s'
                                  % _squash(self.redact(text))[:200],
                                  kind='not_moodle', function=function, status=200, outcome_unknown=write,
                                  hint='PHP warnings or notices may be printed into answers: turn display_errors off')
            # A PHP Error (not a Moodle exception) comes as {"exception": "Error", "message": ...}, no errorcode.
            if isinstance(payload, dict) and 'exception' in payload and ('errorcode' in payload or 'message' in payload):
                error = diagnose_exception(function, self._redact_payload(payload))
                error.outcome_unknown = write
                raise error
            return payload
        error = _describe_non_json(function, response.status_code, self.redact(text))
        error.outcome_unknown = write and response.status_code >= 500
        raise error

    def _debug(self, text):
        if self.log:
            self.log(self.redact(text))

    # -- batches -----------------------------------------------------------------------
    def chunks(self, list_key, items, extra=None):
        """Split ``items`` so that each request stays under max_input_vars fields."""
        fixed = BASE_FIELDS + len(encode_params(extra or {}))
        budget = self.field_budget()
        chunk, used = [], fixed
        for item in items:
            size = len(encode_params({list_key: [item]}))
            if fixed + size > budget:
                raise MoodleError('One item needs %d form fields with the request\'s own %d, over max_input_vars (%d)'
                                  % (size, fixed, self.max_input_vars), kind='too_large',
                                  hint='Raise max_input_vars (PHP setting and the module option)')
            if chunk and used + size > budget:
                yield chunk
                chunk, used = [], fixed
            chunk.append(item)
            used += size
        if chunk:
            yield chunk

    def call_batched(self, function, list_key, items, extra=None, write=False, verify=None):
        """Send ``items`` as ``list_key`` in as few requests as fit; return [(chunk, answer)].

        ``verify(chunk, answer)`` may raise a MoodleError when an answer does not cover what
        was sent (the sign of truncated input).  On a failed write the error carries
        ``done``: the chunks already applied, so the caller can report what happened.
        """
        results = []
        for chunk in self.chunks(list_key, items, extra):
            params = dict(extra or {})
            params[list_key] = chunk
            try:
                answer = self.call(function, params, write=write)
                if verify:
                    verify(chunk, answer)
            except MoodleError as error:
                error.done = results
                error.failed_chunk = chunk
                raise
            results.append((chunk, answer))
        return results


def incomplete_answer(function, sent, received, what):
    """The error for an answer that does not cover what was sent."""
    missing = [value for value in sent if value not in set(received)]
    return MoodleError(
        '%s answered for %d of %d %s; missing: %s. The site probably dropped form fields past its PHP max_input_vars'
        % (function, len(sent) - len(missing), len(sent), what, ', '.join(str(v) for v in missing[:10])),
        kind='incomplete_answer', function=function, outcome_unknown=True,
        hint='Set the max_input_vars option to the site\'s real PHP max_input_vars (moodle_site_info can probe it)')


def _connection_never_established(exc):
    """True when the request provably never reached the server (refused, DNS failure)."""
    text = repr(exc)
    return any(marker in text for marker in ('NewConnectionError', 'Connection refused', 'NameResolutionError',
                                             'Failed to resolve', 'Name or service not known'))


def _short_reason(text):
    """The reason inside a requests exception's text (secrets masked already)."""
    match = re.search(r"\((?:Caused by )?\w+\((.*)\)\)?$", text)
    return _squash(match.group(1) if match else text)[:300]
