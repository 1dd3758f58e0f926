# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP server: Moodle's REST endpoint, the control API and fault injection."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import functions_core
from . import functions_course  # noqa: F401  pylint: disable=unused-import
from . import functions_local  # noqa: F401  pylint: disable=unused-import
from . import phpform, render
from .errors import AccessException, DmlMissingRecord, InvalidParameter, MoodleError, RequiredCapability
from .params import validate_parameters
from .registry import FUNCTIONS, Call
from .state import SETTING_KEYS, Site

ENDPOINT = '/webservice/rest/server.php'
CONTROL = '/__emulator__'
RUNTIME_SETTINGS = ('enablewebservices', 'rest_enabled', 'debug', 'max_input_vars', 'companion_plugin', 'allowaccountssameemail',
                    'missing_capabilities')
# The capability each function requires (checked after its parameters, as Moodle's execute() does), with the
# description Moodle's nopermissions message names it by.
FUNCTION_CAPABILITIES = {
    'core_user_create_users': ('moodle/user:create', 'Create users'),
    'core_user_update_users': ('moodle/user:update', 'Edit user profile'),
    'core_user_delete_users': ('moodle/user:delete', 'Delete users'),
    'core_enrol_get_enrolled_users': ('moodle/course:viewparticipants', 'View participants'),
    'enrol_manual_enrol_users': ('enrol/manual:enrol', 'Enrol users'),
    'enrol_manual_unenrol_users': ('enrol/manual:unenrol', 'Unenrol users from the course'),
    'core_role_assign_roles': ('moodle/role:assign', 'Assign roles to users'),
    'core_role_unassign_roles': ('moodle/role:assign', 'Assign roles to users'),
    'local_lmsops_get_roles': ('moodle/role:review', 'Review permissions for others'),
    'local_lmsops_get_role_assignments': ('moodle/role:review', 'Review permissions for others'),
    'local_lmsops_get_user_enrolments': ('moodle/course:enrolreview', 'Review course enrolments'),
}

ACCESS_DEBUGINFO = (
    'Access to the function %s() is not allowed.\n'
    '                     There could be multiple reasons for this:\n'
    '                     1. The service linked to the user token does not contain the function.\n'
    '                     2. The service is user-restricted and the user is not listed.\n'
    '                     3. The service is IP-restricted and the user IP is not listed.\n'
    '                     4. The service is time-restricted and the time has expired.\n'
    '                     5. The token is time-restricted and the time has expired.\n'
    '                     6. The service requires a specific capability which the user does not have.\n'
    '                     7. The function is called with username/password (no user token is sent)\n'
    '                     and none of the services has the function to allow the user.\n'
    '                     These settings can be found in Administration > Site administration\n'
    '                     > Server > Web services > External services and Manage tokens.')


class Fault:
    """One fault rule; applies to the next ``count`` matching Moodle-endpoint requests."""

    def __init__(self, spec):
        self.latency_ms = int(spec.get('latency_ms') or 0)
        self.status = spec.get('status')
        if self.status is not None and int(self.status) not in (500, 502, 503):
            raise ValueError('status must be 500, 502, 503 or null')
        self.status = int(self.status) if self.status is not None else None
        self.html = bool(spec.get('html', False))
        self.drop = spec.get('drop')
        if self.drop not in (None, 'before', 'after'):
            raise ValueError('drop must be "before", "after" or null')
        self.answer = spec.get('answer')
        # Another writer's changes, made just before the function runs (between the caller's read and write).
        self.concurrent = spec.get('concurrent')
        kinds = ('users', 'enrolments', 'role_assignments')
        if self.concurrent is not None and (
                set(self.concurrent) - set(kinds)
                or not all(isinstance(self.concurrent.get(key, []), list) for key in kinds)):
            raise ValueError('concurrent must be {"users": [...], "enrolments": [...], "role_assignments": [...]} in the '
                             'seed\'s format')
        self.count = int(spec.get('count', 1))
        functions = spec.get('functions')
        self.functions = set(functions) if functions else None

    def matches(self, wsfunction):
        """Does this rule apply to a call of wsfunction."""
        return self.count > 0 and (self.functions is None or wsfunction in self.functions)

    def describe(self):
        """JSON view."""
        return {'latency_ms': self.latency_ms, 'status': self.status, 'html': self.html, 'drop': self.drop,
                'answer': self.answer, 'concurrent': self.concurrent, 'count': self.count,
                'functions': sorted(self.functions) if self.functions else None}


class EmulatorCore:
    """Everything the handler needs: the site, its lock, the request log and the faults."""

    def __init__(self, seed='recordings', settings=None):
        self.lock = threading.RLock()
        self.site = Site(seed)
        self.log = []
        self.faults = []
        self.url = None
        if settings:
            self.apply_settings(settings)

    def reseed(self, seed):
        """Reload the site from a seed; keeps the request log and the fault rules."""
        fresh = Site(seed, server_url=self.site.server_url)
        with self.lock:
            # Swap the content, not the object: references to emu.state stay valid,
            # and a seed that fails to load leaves the current site untouched.
            self.site.__dict__.update(fresh.__dict__)

    def apply_settings(self, settings):
        """Change runtime settings."""
        with self.lock:
            for key, value in settings.items():
                if key not in SETTING_KEYS:
                    raise ValueError('unknown setting %r' % key)
                if key == 'max_input_vars' and value is not None:
                    value = int(value)
                elif key == 'missing_capabilities':
                    value = [str(capability) for capability in value or []]
                elif key in RUNTIME_SETTINGS and key != 'max_input_vars':
                    value = bool(value)
                self.site.settings[key] = value

    def write_concurrently(self, changes):
        """Another writer: create the users of ``changes`` that do not exist yet (seed fields, Moodle's defaults), then
        make its enrolments and role assignments as the seed does (enrol_user() of the method: a new enrolment, or
        the existing one with the new status and dates, and the roles added; role_assign())."""
        with self.lock:
            site = self.site
            now = int(time.time())
            for user in changes.get('users') or []:
                if user['username'] in site.user_by_username:
                    continue
                record = site.new_user_record(user, now)
                record['id'] = site.next_id('user')
                site.add_user(record)
            for enrolment in changes.get('enrolments') or []:
                site.enrol_as_seeded(enrolment, now)
            for assignment in changes.get('role_assignments') or []:
                site.assign_as_seeded(assignment, now)

    def add_fault(self, spec):
        """Add a fault rule (count 0 clears every rule)."""
        with self.lock:
            if int(spec.get('count', 1)) == 0:
                self.faults = []
                return
            self.faults.append(Fault(spec))

    def take_fault(self, wsfunction):
        """The first matching rule, its count used up by one."""
        with self.lock:
            for fault in self.faults:
                if fault.matches(wsfunction):
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # ------------------------------------------------------------------ the Moodle endpoint
    def token_name(self, token):
        """The seed name of a token value, or None."""
        found = self.site.tokens.get(token) if isinstance(token, str) else None
        return found['name'] if found else None

    def run_ws(self, fields, entry):
        """Run one web-service request; returns (status, content type, body)."""
        site = self.site
        fmt_value = fields.get('moodlewsrestformat')
        fmt = 'json' if fmt_value == 'json' else 'xml'
        token = fields.get('wstoken')
        wsfunction = fields.get('wsfunction')
        entry['wsfunction'] = wsfunction if isinstance(wsfunction, str) else None
        entry['token'] = self.token_name(token)
        func = FUNCTIONS.get(wsfunction) if isinstance(wsfunction, str) else None
        entry['write'] = bool(func and func.write)
        params = {k: v for k, v in fields.items()
                  if k not in ('wstoken', 'wsfunction', 'moodlewsrestformat') and not k.startswith('moodlewssetting')}
        debug = bool(site.settings['debug'])
        # optional_param('moodlewssettingraw', false, PARAM_BOOL)
        raw = str(fields.get('moodlewssettingraw', '')).strip().lower() in ('1', 'true', 'yes', 'on')
        try:
            result = self._call(token, wsfunction, func, params, raw)
        except MoodleError as exc:
            exception_class, errorcode, message, debuginfo = exc.render(debug, site.hides_missing_records())
            entry['errorcode'] = errorcode
            ctype, body = render.error(exception_class, errorcode, message, debuginfo, fmt)
            return 200, ctype, body
        ctype, body = render.success(result, fmt)
        return 200, ctype, body

    def _call(self, token, wsfunction, func, params, raw=False):
        site = self.site
        record = site.tokens.get(token) if isinstance(token, str) and token else None
        if record is None:
            raise MoodleError('invalidtoken', 'Invalid token - token not found')
        user = site.users.get(record['userid'])
        if user is None or user['deleted']:
            raise MoodleError('wsaccessuserdeleted', 'Refused web service access for deleted username: %s' % (user or {}).get('username', ''))
        if user['suspended']:
            raise MoodleError('wsaccessusersuspended', 'Refused web service access for suspended username: %s' % user['username'])
        if not isinstance(wsfunction, str) or wsfunction == '':
            raise InvalidParameter('Missing function name')
        if func is None or (func.component == 'local_lmsops' and not site.settings['companion_plugin']):
            raise DmlMissingRecord('external_functions', 'SELECT * FROM {external_functions} WHERE name = ?', [wsfunction])
        service = site.services.get(record['serviceid'])
        if service is None or not service['enabled'] or wsfunction not in functions_core.service_functions(site, service):
            raise AccessException(ACCESS_DEBUGINFO % wsfunction)
        args = validate_parameters(func.params, params, tuple(site.settings['langs']), site.auth_plugins())
        capability = FUNCTION_CAPABILITIES.get(wsfunction)
        if capability and capability[0] in site.settings['missing_capabilities']:
            raise RequiredCapability(capability[1])
        return func.impl(Call(site, user['id'], record, raw), args)


def _json_body(handler):
    length = int(handler.headers.get('Content-Length') or 0)
    raw = handler.rfile.read(length) if length else b''
    if not raw:
        return {}
    data = json.loads(raw.decode('utf-8'))
    if not isinstance(data, dict):
        raise ValueError('the body must be a JSON object')
    return data


class Handler(BaseHTTPRequestHandler):
    """One HTTP request."""

    protocol_version = 'HTTP/1.1'
    server_version = 'Apache'
    sys_version = ''
    wbufsize = -1

    def setup(self):
        """Answer in one segment: no Nagle/delayed-ACK stalls on keep-alive connections."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet."""

    @property
    def core(self):
        """The shared emulator core."""
        return self.server.core

    def _send(self, status, ctype, body, extra_headers=None, reason=None):
        data = body.encode('utf-8') if isinstance(body, str) else body
        self.send_response(status, reason)
        if ctype:
            self.send_header('Content-Type', ctype)
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)
        self.wfile.flush()

    def _drop(self):
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_GET(self):  # pylint: disable=invalid-name
        """GET."""
        self._dispatch()

    def do_POST(self):  # pylint: disable=invalid-name
        """POST."""
        self._dispatch()

    def do_HEAD(self):  # pylint: disable=invalid-name
        """HEAD."""
        self._dispatch()

    def _dispatch(self):
        path = urlsplit(self.path).path
        if path == CONTROL or path.startswith(CONTROL + '/'):
            self._control(path[len(CONTROL):].strip('/'))
        elif path == ENDPOINT and self.command in ('GET', 'POST'):
            self._moodle()
        else:
            if self.command == 'POST':
                length = int(self.headers.get('Content-Length') or 0)
                if length:
                    self.rfile.read(length)
            self._send(404, 'text/html; charset=iso-8859-1', render.NOT_FOUND_PAGE)

    # ------------------------------------------------------------------ Moodle endpoint
    def _moodle(self):
        core = self.core
        query = urlsplit(self.path).query
        raw_body = b''
        if self.command == 'POST':
            length = int(self.headers.get('Content-Length') or 0)
            raw_body = self.rfile.read(length) if length else b''
        ctype = (self.headers.get('Content-Type') or '').split(';')[0].strip().lower()
        get_pairs = phpform.split_pairs(query, post=False)
        post_pairs = []
        if self.command == 'POST' and ctype == 'application/x-www-form-urlencoded':
            post_pairs = phpform.split_pairs(raw_body.decode('utf-8', errors='replace'), post=True)
        with core.lock:
            limit = core.site.settings['max_input_vars']
        kept_get = phpform.truncate(get_pairs, limit, post=False)
        kept_post = phpform.truncate(post_pairs, limit, post=True)
        fields = phpform.decode(kept_get)
        fields.update(phpform.decode(kept_post))
        wsfunction = fields.get('wsfunction') if isinstance(fields.get('wsfunction'), str) else None
        entry = {'method': self.command, 'wsfunction': wsfunction, 'fields': len(get_pairs) + len(post_pairs),
                 'kept_fields': len(kept_get) + len(kept_post), 'token': None, 'write': False, 'status': None,
                 'errorcode': None, 'fault': None, 'time': time.time()}
        fault = core.take_fault(wsfunction)
        if fault is not None:
            entry['fault'] = fault.describe()
            if fault.latency_ms:
                time.sleep(fault.latency_ms / 1000.0)
        with core.lock:
            entry['token'] = core.token_name(fields.get('wstoken'))
            func = FUNCTIONS.get(wsfunction) if wsfunction else None
            entry['write'] = bool(func and func.write)
            core.log.append(entry)
            if fault is not None and fault.drop == 'before':
                entry['status'] = 0
                self._drop()
                return
            if fault is not None and fault.status is not None:
                entry['status'] = fault.status
                page = {500: render.SERVER_ERROR_PAGE, 502: render.BAD_GATEWAY_PAGE, 503: render.MAINTENANCE_PAGE}[fault.status]
                if fault.status == 503:
                    # What Moodle's CLI maintenance mode (climaintenance.html) answers.
                    self._send(503, 'text/html; charset=utf-8', page, {'Retry-After': '300'}, 'Moodle under maintenance')
                else:
                    self._send(fault.status, 'text/html; charset=iso-8859-1', page)
                return
            if fault is not None and fault.html:
                entry['status'] = 200
                self._send(200, 'text/html; charset=utf-8', render.LOGIN_PAGE)
                return
            if fault is not None and fault.answer is not None:
                entry['status'] = 200
                self._send(200, 'application/json', json.dumps(fault.answer))
                return
            if fault is not None and fault.concurrent:
                core.write_concurrently(fault.concurrent)
            site = core.site
            if not site.settings['enablewebservices'] or not site.settings['rest_enabled']:
                status, ctype_out, body = 403, 'text/html; charset=utf-8', ''
            else:
                status, ctype_out, body = core.run_ws(fields, entry)
            entry['status'] = status
            if fault is not None and fault.drop == 'after':
                self._drop()
                return
        self._send(status, ctype_out, body, {'Cache-Control': 'private, must-revalidate, pre-check=0, post-check=0, max-age=0'})

    # ------------------------------------------------------------------ control API
    def _control(self, route):
        core = self.core
        try:
            body = _json_body(self) if self.command == 'POST' else {}
            if self.command == 'GET' and route == '':
                answer = {'url': core.url, 'control': core.url + CONTROL, 'tokens': core.site.token_names()}
            elif self.command == 'GET' and route == 'state':
                with core.lock:
                    answer = core.site.dump()
            elif self.command == 'GET' and route == 'requests':
                with core.lock:
                    answer = list(core.log)
            elif self.command == 'POST' and route == 'requests/clear':
                with core.lock:
                    core.log.clear()
                answer = {'ok': True}
            elif self.command == 'POST' and route == 'reseed':
                core.reseed(body.get('seed', 'recordings'))
                answer = {'ok': True, 'tokens': core.site.token_names()}
            elif self.command == 'POST' and route == 'settings':
                core.apply_settings(body)
                with core.lock:
                    answer = {key: core.site.settings[key] for key in RUNTIME_SETTINGS}
            elif self.command == 'GET' and route == 'settings':
                with core.lock:
                    answer = dict(core.site.settings, siteurl=core.site.siteurl)
            elif self.command == 'POST' and route == 'faults':
                core.add_fault(body)
                answer = {'ok': True, 'faults': [f.describe() for f in core.faults]}
            elif self.command == 'POST' and route == 'faults/clear':
                core.add_fault({'count': 0})
                answer = {'ok': True, 'faults': []}
            elif self.command == 'GET' and route == 'faults':
                answer = [f.describe() for f in core.faults]
            else:
                self._send(404, 'application/json', json.dumps({'error': 'unknown control route %s %s' % (self.command, route)}))
                return
        except (ValueError, KeyError, TypeError) as exc:
            self._send(400, 'application/json', json.dumps({'error': str(exc)}))
            return
        self._send(200, 'application/json', json.dumps(answer))


class Server(ThreadingHTTPServer):
    """ThreadingHTTPServer carrying the emulator core."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, core):
        self.core = core
        super().__init__(address, Handler)


class Emulator:
    """Run the emulator in a background thread of this process.

    ``with Emulator(seed="recordings") as emu:`` gives ``emu.url``, ``emu.control_url``,
    ``emu.tokens``, ``emu.state`` and the helpers below.
    """

    def __init__(self, seed='recordings', host='127.0.0.1', port=0, debug=None, max_input_vars=None, settings=None):
        merged = dict(settings or {})
        if debug is not None:
            merged['debug'] = debug
        if max_input_vars is not None:
            merged['max_input_vars'] = max_input_vars
        self.core = EmulatorCore(seed, merged)
        self.host = host
        self.port = port
        self.httpd = None
        self.thread = None

    def start(self):
        """Bind and serve."""
        self.httpd = Server((self.host, self.port), self.core)
        self.port = self.httpd.server_address[1]
        self.core.url = 'http://%s:%d' % (self.host, self.port)
        self.core.site.server_url = self.core.url
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={'poll_interval': 0.02}, name='moodle-emulator', daemon=True)
        self.thread.start()
        return self

    def stop(self):
        """Stop serving."""
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        """Base URL of the site."""
        return self.core.url

    @property
    def endpoint(self):
        """The REST endpoint URL."""
        return self.core.url + ENDPOINT

    @property
    def control_url(self):
        """Base URL of the control API."""
        return self.core.url + CONTROL

    @property
    def tokens(self):
        """Token name -> token."""
        return self.core.site.token_names()

    @property
    def state(self):
        """The live Site object (read it under emu.lock if the server is busy)."""
        return self.core.site

    @property
    def lock(self):
        """The lock every request holds while it runs."""
        return self.core.lock

    @property
    def requests(self):
        """A copy of the request log."""
        with self.core.lock:
            return list(self.core.log)

    def clear_log(self):
        """Empty the request log."""
        with self.core.lock:
            self.core.log.clear()

    def reseed(self, seed='recordings'):
        """Reload the site."""
        self.core.reseed(seed)

    def set(self, **settings):
        """Change settings (enablewebservices, rest_enabled, debug, max_input_vars, companion_plugin, ...)."""
        self.core.apply_settings(settings)

    def faults(self, **spec):
        """Add a fault rule (see the README); faults(count=0) clears them."""
        self.core.add_fault(spec)

    def clear_faults(self):
        """Remove every fault rule."""
        self.core.add_fault({'count': 0})

    def dump(self):
        """The state as JSON-ready data."""
        with self.core.lock:
            return self.core.site.dump()


__all__ = ['Emulator', 'EmulatorCore']
