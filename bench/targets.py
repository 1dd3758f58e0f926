# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sites bench/run.py measures against: the emulator and real Moodle sites.

A target gives the benchmark what it needs of a site, the same way for both kinds:

  group(resource, n)   a context manager around all measurements of one resource and size: it seeds
                       the state they start from (the users, courses and enrolments they need), and on
                       a real site holds the shared site lock (BENCH_SITE_LOCK) while it lasts
  reset(plugin)        put the site back in that state, the companion plugin's functions in the
                       token's service or not ('plugin' / 'core'), and start a fresh request log
  mark()               start a fresh request log without resetting (the rerun after a bulk run)
  requests()           the web-service calls since reset()/mark(): [{'wsfunction', 'write', 'error'}]
  count(resource, n)   how many of the n objects a measurement wants exist now
  user_ids(), course_ids()  ids of the bench users and courses (never timed)

The emulator's requests come from its request log; a real site's from Moodle's own log
(logstore_standard_log: webservice/lib.php triggers \\core\\event\\webservice_function_called for every
call that passed authentication and the service check, before the function runs).
"""

import contextlib
import fcntl
import json
import os
import subprocess
import sys
import time

import requests
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HACKING = os.path.join(ROOT, 'hacking')
PREFIX = 'bench_u'
COURSES = ['bench_c%02d' % number for number in range(1, 11)]
DEFAULT_LOCK = '/tmp/real-site.lock'


def username(i):
    return '%s%05d' % (PREFIX, i)


def course_of(i):
    return COURSES[(i - 1) % len(COURSES)]


class Target:
    """What every target has: name, kind, url, token, max_input_vars, the plugin variants it can run."""

    name = kind = url = token = None
    max_input_vars = 5000
    variants = ('core',)
    description = ''
    waited = 0.0

    @contextlib.contextmanager
    def group(self, resource, n):
        raise NotImplementedError

    def close(self):
        pass


class EmulatorTarget(Target):
    """The emulator, reseeded from bench/seed.yaml plus what each measurement needs."""

    kind = 'emulator'
    variants = ('core', 'plugin')

    def __init__(self):
        self.name = 'emulator'
        self.proc = None
        self.session = requests.Session()
        with open(os.path.join(HERE, 'seed.yaml')) as handle:
            self.base_seed = yaml.safe_load(handle)
        if os.environ.get('MOODLE_EMULATOR_CONTROL') and os.environ.get('MOODLE_URL') and os.environ.get('MOODLE_TOKEN'):
            self.url, self.token = os.environ['MOODLE_URL'], os.environ['MOODLE_TOKEN']
            self.control = os.environ['MOODLE_EMULATOR_CONTROL'].rstrip('/')
        else:
            sys.path.insert(0, HACKING)
            import with_emulator  # pylint: disable=import-outside-toplevel
            self.proc, info = with_emulator.start_emulator(os.path.join(HERE, 'seed.yaml'), [])
            self.url, self.token, self.control = info['url'], info['tokens']['full'], info['control'].rstrip('/')
        self.max_input_vars = int(self.base_seed['settings']['max_input_vars'])
        self.description = 'the emulator (tests/emulator), max_input_vars %d' % self.max_input_vars
        self.seed = None

    def _control(self, method, route, body=None):
        response = self.session.request(method, '%s/%s' % (self.control, route), json=body, timeout=600)
        response.raise_for_status()
        return response.json()

    @contextlib.contextmanager
    def group(self, resource, n):
        seed = json.loads(json.dumps(self.base_seed))
        if resource != 'users':
            seed['users'] = seed['users'] + [seed_user(i) for i in range(1, n + 1)]
        if resource == 'assignments':
            seed['enrolments'] = [{'user': username(i), 'course': course_of(i), 'role': 'student'} for i in range(1, n + 1)]
        self.seed = seed
        yield self

    def reset(self, plugin):
        seed = dict(self.seed, settings=dict(self.seed['settings'], companion_plugin=plugin == 'plugin'))
        self._control('POST', 'reseed', {'seed': seed})
        self.mark()

    def mark(self):
        self._control('POST', 'requests/clear')

    def requests(self):
        return [{'wsfunction': e.get('wsfunction'), 'write': bool(e.get('write')), 'error': e.get('errorcode')}
                for e in self._control('GET', 'requests')]

    def _state(self):
        return self._control('GET', 'state')

    def user_ids(self):
        return dict((u['username'], u['id']) for u in self._state()['users'] if u['username'].startswith(PREFIX))

    def course_ids(self):
        return dict((c['shortname'], c['id']) for c in self._state()['courses'] if c['shortname'] in COURSES)

    def role_ids(self):
        return dict((r['shortname'], r['id']) for r in self._state()['roles'])

    def count(self, resource, n):
        state = self._state()
        users = dict((u['id'], u['username']) for u in state['users'] if u['username'].startswith(PREFIX)
                     and not u.get('deleted'))
        if resource == 'users':
            return len(users)
        courses = set(c['id'] for c in state['courses'] if c['shortname'] in COURSES)
        if resource == 'enrolments':
            return len(set((e['userid'], e['courseid']) for e in state['enrolments']
                           if e['userid'] in users and e['courseid'] in courses))
        return len(set((a['userid'], a['instanceid']) for a in state['role_assignments']
                       if a['userid'] in users and a.get('contextlevel') == 'course' and a['instanceid'] in courses
                       and a.get('role') == 'teacher'))

    def close(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def seed_user(i):
    return {'username': username(i), 'firstname': 'Bench', 'lastname': 'User %05d' % i,
            'email': '%s@bench.example.org' % username(i)}


class RealTarget(Target):
    """A real Moodle site of hacking/moodle_site.py (brought up when needed; as root)."""

    kind = 'moodle'

    def __init__(self, version, lock_path=None):
        sys.path.insert(0, HACKING)
        import moodle_site  # pylint: disable=import-outside-toplevel
        self.moodle_site = moodle_site
        self.version = version
        self.name = 'moodle %s' % version
        self.site = moodle_site.Site(version)
        self.lock_path = DEFAULT_LOCK if lock_path is None else lock_path
        self.log_since = 0
        self.waited = 0.0      # seconds spent waiting for the lock (not counted in the time budget)
        self.template = '%s_bench' % self.site.db
        with self.locked():
            self.info = self.site.up()
            self.service_id = None
        self.url = self.info['url']
        self.token = self.info['tokens']['full']
        self.max_input_vars = int(self.info['max_input_vars'])
        self.variants = ('core', 'plugin') if self.info.get('companion_plugin') else ('core',)
        self.php_version = self.moodle_site.run(['php', '-r', 'echo PHP_VERSION;']).strip()
        self.db_version = self.site.psql('SHOW server_version').split()[0]
        self.description = 'Moodle %s (%s), PHP %s, PostgreSQL %s, Apache, max_input_vars %d, %s' % (
            version, self.info['release'], self.php_version, self.db_version, self.max_input_vars,
            'companion plugin installed' if self.info.get('companion_plugin') else 'no companion plugin')

    @contextlib.contextmanager
    def locked(self):
        if not self.lock_path:
            yield
            return
        with open(self.lock_path, 'a') as handle:
            asked = time.perf_counter()
            fcntl.flock(handle, fcntl.LOCK_EX)
            self.waited += time.perf_counter() - asked
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def group(self, resource, n):
        """Hold the site: seed the starting state once and keep it as a template database every reset() copies."""
        with self.locked():
            # Another user of the site may have provisioned it again (new tokens) since up().
            started = time.perf_counter()
            self.info = self.site.saved() or self.info
            self.token = self.info['tokens']['full']
            self.site.reset()
            self.service_id = self._service_id()
            self.seeded = self.seed(0 if resource == 'users' else n, resource == 'assignments')
            self._drop_template()
            self._disconnect(self.site.db)
            self.site.psql('CREATE DATABASE %s TEMPLATE %s' % (self.template, self.site.db))
            self.seeded['setup_seconds'] = round(time.perf_counter() - started, 1)
            try:
                yield self
            finally:
                self._drop_template()
                self.site.reset()

    def _disconnect(self, database):
        self.site.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' AND pid <> "
                       "pg_backend_pid()" % database)

    def _drop_template(self):
        self._disconnect(self.template)
        self.site.psql('DROP DATABASE IF EXISTS %s' % self.template)

    def _service_id(self):
        rows = self.site.query("SELECT externalserviceid FROM mdl_external_tokens WHERE token = '%s'" % self.token)
        return rows[0]['externalserviceid']

    def seed(self, users, enrol):
        """Run bench/site_seed.php as the web server's user: the courses, and `users` users (enrolled when asked)."""
        tools = os.path.join(self.site.home, 'tools')
        os.makedirs(tools, mode=0o755, exist_ok=True)
        script = os.path.join(tools, 'bench_site_seed.php')
        with open(os.path.join(HERE, 'site_seed.php')) as source, open(script, 'w') as target:
            target.write(source.read())
        os.chmod(script, 0o644)
        command = ['php', script, '--moodle-dir=' + self.site.code, '--courses=' + ','.join(COURSES), '--users=%d' % users]
        out = self.moodle_site.run(self.moodle_site.as_user(self.moodle_site.WEB_USER, command + (['--enrol'] if enrol else [])),
                                   stderr=subprocess.PIPE)
        return json.loads(out.strip().splitlines()[-1])

    def reset(self, plugin):
        self.site.reset(template='bench')
        if plugin != 'plugin':
            # Core only: the same site and token, the plugin's functions taken out of the token's service.
            self.site.psql("DELETE FROM mdl_external_services_functions WHERE externalserviceid = %d AND "
                           "functionname LIKE 'local\\_lmsops\\_%%'" % self.service_id, self.site.db)
        self.warm()
        self.mark()

    def warm(self):
        """reset() empties Moodle's caches: one untimed call rebuilds the ones every request needs (about 1 s)."""
        requests.post(self.url + '/webservice/rest/server.php', timeout=120, data={
            'wstoken': self.token, 'wsfunction': 'core_webservice_get_site_info', 'moodlewsrestformat': 'json'})

    def mark(self):
        self.log_since = self.site.log_mark()

    def requests(self):
        # The log is written when each request ends; the process that made the requests has ended.
        time.sleep(0.05)
        return [dict(entry, error=None) for entry in self.site.requests(self.log_since)]

    def user_ids(self):
        rows = self.site.query("SELECT id, username FROM mdl_user WHERE deleted = 0 AND username LIKE '%s%%'" % PREFIX)
        return dict((row['username'], row['id']) for row in rows)

    def course_ids(self):
        rows = self.site.query('SELECT id, shortname FROM mdl_course WHERE shortname IN (%s)'
                               % ', '.join("'%s'" % c for c in COURSES))
        return dict((row['shortname'], row['id']) for row in rows)

    def role_ids(self):
        return dict((row['shortname'], row['id']) for row in self.site.query('SELECT id, shortname FROM mdl_role'))

    def count(self, resource, n):
        users = "SELECT id FROM mdl_user WHERE deleted = 0 AND username LIKE '%s%%'" % PREFIX
        courses = 'SELECT id FROM mdl_course WHERE shortname IN (%s)' % ', '.join("'%s'" % c for c in COURSES)
        if resource == 'users':
            sql = 'SELECT count(*) AS n FROM (%s) u' % users
        elif resource == 'enrolments':
            sql = ('SELECT count(DISTINCT (ue.userid, e.courseid)) AS n FROM mdl_user_enrolments ue JOIN mdl_enrol e '
                   'ON e.id = ue.enrolid WHERE ue.userid IN (%s) AND e.courseid IN (%s)' % (users, courses))
        else:
            sql = ('SELECT count(DISTINCT (ra.userid, c.instanceid)) AS n FROM mdl_role_assignments ra JOIN mdl_context c '
                   'ON c.id = ra.contextid JOIN mdl_role r ON r.id = ra.roleid WHERE r.shortname = \'teacher\' AND '
                   'c.contextlevel = 50 AND ra.userid IN (%s) AND c.instanceid IN (%s)' % (users, courses))
        return self.site.query(sql)[0]['n']


def real_site_problem(version):
    """Why a real site of this version cannot be measured here, or None."""
    sys.path.insert(0, HACKING)
    import moodle_site  # pylint: disable=import-outside-toplevel
    if version not in moodle_site.PROFILES:
        return 'unknown Moodle version %s (hacking/moodle_site.py knows %s)' % (version, ', '.join(sorted(moodle_site.PROFILES)))
    if os.geteuid() != 0:
        return 'a real site needs root (hacking/moodle_site.py installs packages and runs PHP as the web server)'
    site = moodle_site.Site(version)
    if not os.path.exists(site.answer_file):
        try:
            site.source(None)
        except SystemExit as error:
            return str(error)
    return None
