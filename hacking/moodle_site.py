#!/usr/bin/env python
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real, throw-away Moodle site on 127.0.0.1, provisioned by the collection's own setup role.

    moodle_site.py up VERSION... [--source PATH_OR_URL] [--rebuild]  bring each site up, print its JSON line
    moodle_site.py reset VERSION...                                  back to the provisioned state
    moodle_site.py serve VERSION                                     up, then serve the test control API
    moodle_site.py down VERSION...                                   remove the site, its databases and vhost
    moodle_site.py can-build VERSION...                              exit 0 when each site exists or has a source

VERSION is 4.5 or 5.1 (see PROFILES). Debian's PHP, PostgreSQL and Apache are installed with apt-get
when missing (as root). The Moodle source comes from --source or MOODLE_SOURCE (a .tar.gz/.tgz/.zip
file, a directory, or an http(s) URL of a release download); without either, a local cache folder
(MOODLE_SOURCE_CACHE, default ../shared/moodle beside the checkout) is searched for
moodle-VERSION*.tar.gz. The first `up` installs Moodle with its CLI installer, seeds the test courses,
runs the setup role (configure mode: web services, REST, the service, a least-privilege token user,
the companion plugin where the profile says so; then validate mode with the issued token) and keeps
the database as a template. Every later `up` or `reset` restores that template in about a second.

The JSON line: {"url", "tokens": {"full", "limited"}, "version", "release", "max_input_vars",
"companion_plugin", "site_kind": "moodle"} (+ "control" with `serve`).
"""

import argparse
import contextlib
import fcntl
import glob
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FILES = os.path.join(HERE, 'real_site')


def tree_digest(top):
    """sha256 of every file under top, by path relative to top and content."""
    digest = hashlib.sha256()
    for folder, dirs, names in sorted(os.walk(top)):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(folder, name)
            digest.update(os.path.relpath(path, top).encode())
            with open(path, 'rb') as handle:
                digest.update(handle.read())
    return digest.hexdigest()


def installed_setup_role():
    """The lmsops.moodle.setup role ansible-playbook would run (first match on ANSIBLE_COLLECTIONS_PATH), or None."""
    paths = os.environ.get('ANSIBLE_COLLECTIONS_PATH') or os.path.expanduser('~/.ansible/collections')
    for path in paths.split(os.pathsep):
        role = os.path.join(path, 'ansible_collections', 'lmsops', 'moodle', 'roles', 'setup')
        if path and os.path.isdir(role):
            return role
    return None


# One site per version: its port, PHP max_input_vars (one at PHP's default, one at Moodle's
# recommendation, so chunking meets both) and whether the companion plugin is installed.
PROFILES = {
    '4.5': {'port': 8045, 'max_input_vars': 1000, 'plugin': False},
    '5.1': {'port': 8051, 'max_input_vars': 5000, 'plugin': True},
}
PACKAGES = ['apache2', 'libapache2-mod-php', 'php-cli', 'php-pgsql', 'php-xml', 'php-mbstring', 'php-curl',
            'php-zip', 'php-gd', 'php-intl', 'php-soap', 'php-bcmath', 'postgresql', 'sudo']
WEB_USER = 'www-data'
TOKEN_USER = 'lmsops_ws'
ADMIN_PASSWORD = 'Admin#2025'
DB_USER = 'lmsops_moodle'
LEVELS = {10: 'system', 30: 'user', 40: 'coursecat', 50: 'course', 70: 'module', 80: 'block'}


def say(message):
    print('moodle_site: %s' % message, file=sys.stderr, flush=True)


def run(argv, **kwargs):
    """Run a command; on failure exit naming it with what it printed."""
    kwargs.setdefault('stdout', subprocess.PIPE)
    kwargs.setdefault('stderr', subprocess.STDOUT)
    proc = subprocess.run(argv, text=True, check=False, **kwargs)
    if proc.returncode != 0:
        output = (proc.stdout or '')[-3000:]
        raise SystemExit('moodle_site: %s failed (exit %d):\n%s' % (' '.join(argv), proc.returncode, output))
    return proc.stdout or ''


def as_user(user, argv):
    return ['runuser', '-u', user, '--'] + argv


class Site:
    """One version's site: its folders, database, vhost and saved answer."""

    def __init__(self, version):
        if version not in PROFILES:
            raise SystemExit('moodle_site: unknown version %r (known: %s)' % (version, ', '.join(PROFILES)))
        self.version = version
        self.profile = PROFILES[version]
        self.tag = version.replace('.', '')
        self.home = os.path.join(os.environ.get('MOODLE_SITES_DIR', '/var/lib/lmsops-moodle'), self.tag)
        self.code = os.path.join(self.home, 'moodle')
        self.data = os.path.join(self.home, 'moodledata')
        self.db = 'lmsops_moodle%s' % self.tag
        self.url = 'http://127.0.0.1:%d' % self.profile['port']
        self.answer_file = os.path.join(self.home, 'site.json')
        self.vhost = '/etc/apache2/sites-available/lmsops-moodle-%s.conf' % self.tag
        self._types = {}

    @contextlib.contextmanager
    def locked(self):
        """One command at a time on a site: a second `up` waits for the first instead of building beside it."""
        os.makedirs(os.path.dirname(self.home), exist_ok=True)
        with open(os.path.join(os.path.dirname(self.home), '.%s.lock' % self.tag), 'w') as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    # -- the machine --------------------------------------------------------------------------------
    def prerequisites(self):
        missing = [cmd for cmd in ('php', 'apache2ctl', 'pg_ctlcluster', 'sudo') if not shutil.which(cmd)]
        if missing:
            if os.geteuid() != 0 or not shutil.which('apt-get'):
                raise SystemExit('moodle_site: %s missing; install: apt-get install %s'
                                 % (', '.join(missing), ' '.join(PACKAGES)))
            say('installing %s' % ' '.join(PACKAGES))
            env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
            run(['apt-get', 'update', '-qq'], env=env)
            run(['apt-get', 'install', '-y', '-qq'] + PACKAGES, env=env)
        if subprocess.run(['pg_isready', '-q', '-h', '127.0.0.1'], check=False).returncode != 0:
            run(['service', 'postgresql', 'start'])
            for _attempt in range(30):
                if subprocess.run(['pg_isready', '-q', '-h', '127.0.0.1'], check=False).returncode == 0:
                    break
                time.sleep(0.5)

    def psql(self, sql, database='postgres'):
        return run(as_user('postgres', ['psql', '-qtAX', '-v', 'ON_ERROR_STOP=1', '-d', database, '-c', sql]),
                   stderr=subprocess.PIPE).strip()

    def query(self, sql):
        """Rows of a SELECT on the site's database, as dicts."""
        out = self.psql('SELECT coalesce(json_agg(t), \'[]\') FROM (%s) t' % sql, self.db)
        return json.loads(out)

    def db_password(self):
        path = os.path.join(os.path.dirname(self.home), '.dbpass')
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), 'w') as handle:
                handle.write(secrets.token_hex(16))
        with open(path) as handle:
            password = handle.read().strip()
        if not self.psql("SELECT 1 FROM pg_roles WHERE rolname = '%s'" % DB_USER):
            self.psql("CREATE ROLE %s LOGIN CREATEDB PASSWORD '%s'" % (DB_USER, password))
        return password

    def apache(self):
        webroot = os.path.join(self.code, 'public') if os.path.exists(os.path.join(self.code, 'public', 'index.php')) \
            else self.code
        port = self.profile['port']
        conf = '\n'.join([
            '# lmsops.moodle test site %s (hacking/moodle_site.py)' % self.version,
            'Listen 127.0.0.1:%d' % port,
            '<VirtualHost 127.0.0.1:%d>' % port,
            '    DocumentRoot %s' % webroot,
            '    <Directory %s>' % webroot,
            '        Options FollowSymLinks',
            '        AllowOverride None',
            '        Require all granted',
            '        DirectoryIndex index.php',
            '    </Directory>',
            '    php_admin_value max_input_vars %d' % self.profile['max_input_vars'],
            '    php_admin_value post_max_size 64M',
            '    php_admin_value memory_limit 512M',
            '    ErrorLog ${APACHE_LOG_DIR}/lmsops-moodle-%s-error.log' % self.tag,
            '</VirtualHost>', ''])
        current = open(self.vhost).read() if os.path.exists(self.vhost) else None
        if current != conf:
            with open(self.vhost, 'w') as handle:
                handle.write(conf)
            run(['a2ensite', '-q', os.path.basename(self.vhost)[:-5]])
        # Whether Apache serves the port, not whether a pid file says so (a killed Apache leaves one behind).
        if current != conf or not self.answering():
            run(['service', 'apache2', 'restart'])

    def answering(self):
        try:
            socket.create_connection(('127.0.0.1', self.profile['port']), timeout=2).close()
            return True
        except OSError:
            return False

    # -- building -------------------------------------------------------------------------------------
    def source(self, given):
        given = given or os.environ.get('MOODLE_SOURCE')
        if not given:
            cache = os.environ.get('MOODLE_SOURCE_CACHE', os.path.join(os.path.dirname(ROOT), 'shared', 'moodle'))
            found = sorted(glob.glob(os.path.join(cache, 'moodle-%s*.tar.gz' % self.version)))
            if not found:
                raise SystemExit('moodle_site: no Moodle %s source: give --source or MOODLE_SOURCE (a release '
                                 'tarball, a directory or a download URL)' % self.version)
            given = found[-1]
        if given.startswith(('http://', 'https://')):
            cache_dir = os.path.join(os.path.expanduser('~'), '.cache', 'lmsops-moodle')
            os.makedirs(cache_dir, exist_ok=True)
            target = os.path.join(cache_dir, hashlib.sha256(given.encode()).hexdigest()[:16] + '-' +
                                  os.path.basename(given.split('?')[0]))
            if not os.path.exists(target):
                say('downloading %s' % given)
                with urllib.request.urlopen(given, timeout=600) as answer, open(target + '.part', 'wb') as handle:
                    shutil.copyfileobj(answer, handle)
                os.rename(target + '.part', target)
            given = target
        if not os.path.exists(given):
            raise SystemExit('moodle_site: %s does not exist' % given)
        return os.path.abspath(given)

    @staticmethod
    def fingerprint(source):
        if os.path.isdir(source):
            return 'dir:' + source
        digest = hashlib.sha256()
        with open(source, 'rb') as handle:
            for block in iter(lambda: handle.read(1 << 20), b''):
                digest.update(block)
        return digest.hexdigest()

    @staticmethod
    def provisioning():
        """A digest of what provisions the site (the setup role ansible-playbook will run, the seed): a change
        re-provisions it.  The role is the INSTALLED one (ANSIBLE_COLLECTIONS_PATH), which must equal the
        source's roles/setup: a stale build would provision the old role and record the new digest."""
        installed = installed_setup_role()
        if installed is None:
            raise SystemExit('moodle_site: lmsops.moodle is not installed where ansible-playbook looks '
                             '(ANSIBLE_COLLECTIONS_PATH=%s): run `make build` and point ANSIBLE_COLLECTIONS_PATH at '
                             'its collections folder' % os.environ.get('ANSIBLE_COLLECTIONS_PATH', ''))
        source = os.path.join(ROOT, 'roles', 'setup')
        if tree_digest(installed) != tree_digest(source):
            raise SystemExit('moodle_site: the installed setup role (%s) differs from %s: the build is older than the '
                             'source; run `make build` (or `make stage build BUILD=...`) first' % (installed, source))
        digest = hashlib.sha256()
        for top in (source, FILES):
            digest.update(tree_digest(top).encode())
        return digest.hexdigest()

    def unpack(self, source):
        staging = tempfile.mkdtemp(dir=self.home)
        if os.path.isdir(source):
            top = source if os.path.exists(os.path.join(source, 'version.php')) else os.path.join(source, 'moodle')
            shutil.copytree(top, self.code, symlinks=True)
        else:
            if source.endswith('.zip'):
                run(['python3', '-m', 'zipfile', '-e', source, staging])
            else:
                run(['tar', '-xzf', source, '--no-same-owner', '-C', staging])
            tops = [os.path.join(staging, name) for name in os.listdir(staging)]
            top = tops[0] if len(tops) == 1 and os.path.isdir(tops[0]) else staging
            os.rename(top, self.code)
        shutil.rmtree(staging, ignore_errors=True)
        if not os.path.exists(os.path.join(self.code, 'admin', 'cli', 'install_database.php')):
            raise SystemExit('moodle_site: %s is not a Moodle source tree' % source)

    def write_config(self, password):
        config = """<?php  // lmsops.moodle test site %(version)s, written by hacking/moodle_site.py
unset($CFG);
global $CFG;
$CFG = new stdClass();
$CFG->dbtype    = 'pgsql';
$CFG->dblibrary = 'native';
$CFG->dbhost    = '127.0.0.1';
$CFG->dbname    = '%(db)s';
$CFG->dbuser    = '%(dbuser)s';
$CFG->dbpass    = '%(dbpass)s';
$CFG->prefix    = 'mdl_';
$CFG->dboptions = ['dbpersist' => 0, 'dbport' => 5432];
$CFG->wwwroot   = '%(url)s';
$CFG->dataroot  = '%(data)s';
$CFG->admin     = 'admin';
$CFG->directorypermissions = 02770;
// A test site sends no mail.
$CFG->noemailever = true;
require_once(__DIR__ . '/lib/setup.php');
""" % {'version': self.version, 'db': self.db, 'dbuser': DB_USER, 'dbpass': password, 'url': self.url,
            'data': self.data}
        path = os.path.join(self.code, 'config.php')
        with open(path, 'w') as handle:
            handle.write(config)
        # Readable by the web server, owned (like the rest of the code) by root.
        os.chown(path, 0, int(run(['id', '-g', WEB_USER]).strip()))
        os.chmod(path, 0o640)

    def tool(self, name):
        """A PHP helper of hacking/real_site, copied where the web server's user can read it (a checkout
        under /root is not readable by www-data)."""
        folder = os.path.join(self.home, 'tools')
        os.makedirs(folder, mode=0o755, exist_ok=True)
        target = os.path.join(folder, name)
        shutil.copyfile(os.path.join(FILES, name), target)
        os.chmod(target, 0o644)
        return target

    def php(self, args):
        return run(as_user(WEB_USER, ['php', '-d', 'max_input_vars=5000'] + args), cwd=self.code)

    def build(self, source):
        say('building Moodle %s from %s (about 2 minutes)' % (self.version, source))
        self.down(quiet=True)
        os.makedirs(self.data, exist_ok=True)
        run(['chown', '%s:%s' % (WEB_USER, WEB_USER), self.data])
        os.chmod(self.data, 0o770)
        self.unpack(source)
        password = self.db_password()
        self.psql("CREATE DATABASE %s OWNER %s ENCODING 'UTF8' TEMPLATE template0" % (self.db, DB_USER))
        self.write_config(password)
        started = time.time()
        self.php(['admin/cli/install_database.php', '--agree-license', '--adminpass=' + ADMIN_PASSWORD,
                  '--adminemail=admin@moodle.example.test', '--fullname=Moodle Test Site', '--shortname=moodle'])
        say('installed in %.0f s' % (time.time() - started))
        self.seed(os.path.join(FILES, 'baseline.json'))
        # The recordings' starting site (admin's own tokens, no token user): hacking/record_conformance.py.
        self.psql('CREATE DATABASE %s_fresh TEMPLATE %s' % (self.db, self.db))
        self.apache()
        return self.provision_and_keep(source)

    def provision_and_keep(self, source):
        """Provision with the setup role, then keep the database as the template every reset restores."""
        tokens = self.provision()
        release = self.query("SELECT value FROM mdl_config WHERE name = 'release'")[0]['value']
        answer = {'url': self.url, 'tokens': tokens, 'version': self.version, 'release': release,
                  'max_input_vars': self.profile['max_input_vars'], 'companion_plugin': self.profile['plugin'],
                  'site_kind': 'moodle', 'fingerprint': self.fingerprint(source), 'provisioning': self.provisioning()}
        self.psql('DROP DATABASE IF EXISTS %s_base' % self.db)
        self.psql('CREATE DATABASE %s_base TEMPLATE %s' % (self.db, self.db))
        with open(os.open(self.answer_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as handle:
            json.dump(answer, handle)
        return answer

    def seed(self, path):
        """Put a seed file into the site; the seed's labels -> the site's ids."""
        readable = tempfile.NamedTemporaryFile('w', suffix='.json', delete=False)
        try:
            with open(path) as handle:
                readable.write(handle.read())
            readable.close()
            os.chmod(readable.name, 0o644)
            proc = subprocess.run(as_user(WEB_USER, ['php', self.tool('seed.php'),
                                                     '--moodle-dir=' + self.code, '--seed=' + readable.name]),
                                  text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        finally:
            os.unlink(readable.name)
        if proc.returncode == 2:
            raise ValueError(proc.stderr.strip())
        if proc.returncode != 0:
            raise SystemExit('moodle_site: seed.php failed (exit %d): %s %s'
                             % (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:]))
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def provision(self):
        """The collection's setup role configures the site and issues the tokens."""
        say('provisioning with the lmsops.moodle.setup role')
        tokens_file = os.path.join(self.home, 'tokens.json')
        variables = {'site_url': self.url, 'site_dir': self.code, 'site_token_user': TOKEN_USER,
                     'site_install_plugin': self.profile['plugin'],
                     # Empty: the role's default, the owner of Moodle's plugins directory (root here).
                     'site_code_user': '',
                     'site_web_user': WEB_USER, 'site_tokens_file': tokens_file}
        with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as handle:
            json.dump(variables, handle)
        playbook = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
        env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
                   ANSIBLE_FORCE_COLOR='0')
        env.pop('MOODLE_TOKEN', None)
        env.pop('MOODLE_URL', None)
        try:
            proc = subprocess.run([playbook if os.path.exists(playbook) else 'ansible-playbook',
                                   os.path.join(FILES, 'provision.yml'), '-e', '@' + handle.name],
                                  env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
        finally:
            os.unlink(handle.name)
        if proc.returncode != 0:
            raise SystemExit('moodle_site: provisioning with the setup role failed:\n%s' % proc.stdout[-6000:])
        with open(tokens_file) as handle:
            tokens = json.load(handle)
        os.unlink(tokens_file)
        return tokens

    # -- using --------------------------------------------------------------------------------------
    def saved(self):
        if not os.path.exists(self.answer_file):
            return None
        with open(self.answer_file) as handle:
            answer = json.load(handle)
        templates = self.psql("SELECT count(*) FROM pg_database WHERE datname IN ('%s_base', '%s_fresh')"
                              % (self.db, self.db))
        if templates != '2':
            return None
        return answer

    def up(self, source=None, rebuild=False):
        with self.locked():
            return self._up(source, rebuild)

    def _up(self, source, rebuild):
        self.prerequisites()
        provisioning = self.provisioning()      # fails now, before any work, if the installed role is stale
        source = self.source(source)
        answer = None if rebuild else self.saved()
        if answer and answer.get('fingerprint') != self.fingerprint(source):
            say('the source changed: rebuilding')
            answer = None
        if answer is None:
            os.makedirs(self.home, exist_ok=True)
            answer = self.build(source)
        else:
            self.apache()
            self.reset()
            if answer.get('provisioning') != provisioning:
                say('the setup role or the seed changed: provisioning again')
                answer = self.provision_and_keep(source)
        return {key: value for key, value in answer.items() if key not in ('fingerprint', 'provisioning')}

    def reset(self, template='base'):
        """Back to the provisioned site (or, with 'fresh', to the site before provisioning): a copy of the
        template database, empty caches."""
        self.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' AND pid <> "
                  "pg_backend_pid()" % self.db)
        self.psql('DROP DATABASE IF EXISTS %s' % self.db)
        self.psql('CREATE DATABASE %s TEMPLATE %s_%s OWNER %s' % (self.db, self.db, template, DB_USER))
        for folder in ('cache', 'localcache', 'temp'):
            path = os.path.join(self.data, folder)
            for name in os.listdir(path) if os.path.isdir(path) else []:
                target = os.path.join(path, name)
                shutil.rmtree(target) if os.path.isdir(target) and not os.path.islink(target) else os.unlink(target)

    def down(self, quiet=False):
        if not quiet:
            say('removing the %s site' % self.version)
        if shutil.which('psql') and subprocess.run(['pg_isready', '-q', '-h', '127.0.0.1'], check=False).returncode == 0:
            for name in (self.db, self.db + '_base', self.db + '_fresh'):
                self.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s'" % name)
                self.psql('DROP DATABASE IF EXISTS %s' % name)
        for path in (self.code, self.data, self.answer_file):
            if os.path.isdir(path):
                shutil.rmtree(path)
            elif os.path.exists(path):
                os.unlink(path)
        if os.path.exists(self.vhost) and not quiet:
            run(['a2dissite', '-q', os.path.basename(self.vhost)[:-5]])
            os.unlink(self.vhost)
            run(['service', 'apache2', 'reload'])

    # -- what the tests read ------------------------------------------------------------------------
    def log_mark(self):
        rows = self.query('SELECT coalesce(max(id), 0) AS id FROM mdl_logstore_standard_log')
        return rows[0]['id']

    def requests(self, since):
        """The web-service calls logged after `since`, oldest first: {wsfunction, write}.

        Moodle logs \\core\\event\\webservice_function_called for every call that reached a function;
        `write` is the function's own type in external_functions."""
        rows = self.query("SELECT other FROM mdl_logstore_standard_log WHERE eventname = "
                          "'\\core\\event\\webservice_function_called' AND id > %d ORDER BY id" % int(since))
        names = [json.loads(row['other'] or '{}').get('function') for row in rows]
        types = self.function_types(names)
        return [{'wsfunction': name, 'write': types.get(name) == 'write'} for name in names]

    def function_types(self, names):
        """name -> 'read' or 'write', as each function's db/services.php declares it (asked once per name)."""
        unknown = sorted({name for name in names if name and name not in self._types})
        if unknown:
            out = run(as_user(WEB_USER, ['php', self.tool('function_types.php'),
                                         '--moodle-dir=' + self.code] + unknown), stderr=subprocess.PIPE)
            self._types.update(json.loads(out.strip().splitlines()[-1]))
        return self._types

    def state(self):
        """The parts of the site the tests look at, in the emulator's dump shapes."""
        admins = {int(uid) for uid in (self.query("SELECT value FROM mdl_config WHERE name = 'siteadmins'")[0]
                                       ['value'] or '').split(',') if uid}
        now = int(time.time())
        users = self.query('SELECT id, username, firstname, lastname, email, idnumber, city, country, auth, '
                           'suspended = 1 AS suspended, deleted = 1 AS deleted FROM mdl_user ORDER BY id')
        for user in users:
            user['siteadmin'] = user['id'] in admins
        enrolments = self.query(
            'SELECT ue.id, ue.userid, e.courseid, e.enrol, ue.status, ue.timestart, ue.timeend, ue.enrolid, '
            '(ue.status = 0 AND e.status = 0 AND ue.timestart <= %d AND (ue.timeend = 0 OR ue.timeend > %d)) '
            'AS active FROM mdl_user_enrolments ue JOIN mdl_enrol e ON e.id = ue.enrolid ORDER BY ue.id' % (now, now))
        assignments = self.query(
            'SELECT ra.id, ra.userid, ra.roleid, r.shortname AS role, ra.contextid, c.contextlevel, c.instanceid, '
            'ra.component, ra.itemid FROM mdl_role_assignments ra JOIN mdl_role r ON r.id = ra.roleid '
            'JOIN mdl_context c ON c.id = ra.contextid ORDER BY ra.id')
        for assignment in assignments:
            assignment['contextlevel'] = LEVELS.get(assignment['contextlevel'], assignment['contextlevel'])
        return {
            'settings': {'siteurl': self.url, 'release': self.query(
                "SELECT value FROM mdl_config WHERE name = 'release'")[0]['value']},
            'users': users,
            'categories': self.query('SELECT id, name, idnumber, parent, visible FROM mdl_course_categories ORDER BY id'),
            'courses': self.query('SELECT id, shortname, fullname, idnumber, category, visible FROM mdl_course '
                                  'WHERE category > 0 ORDER BY id'),
            'enrolments': enrolments,
            'role_assignments': assignments,
            'roles': self.query('SELECT id, shortname, archetype FROM mdl_role ORDER BY id'),
        }


class Control:
    """The test control API of a real site: the part of the emulator's that a real site can do."""

    def __init__(self, site):
        self.site = site
        self.lock = threading.Lock()
        self.mark = site.log_mark()

    def handle(self, method, route, body):
        """(status, answer) for one control request."""
        with self.lock:
            if method == 'GET' and route == 'requests':
                return 200, self.site.requests(self.mark)
            if method == 'POST' and route == 'requests/clear':
                self.mark = self.site.log_mark()
                return 200, {'ok': True}
            if method == 'GET' and route == 'state':
                return 200, self.site.state()
            if method == 'POST' and route == 'reseed':
                self.site.reset()
                self.mark = self.site.log_mark()
                seed = body.get('seed', 'recordings')
                if seed == 'recordings':
                    return 200, {'ok': True, 'ids': {}}
                if not isinstance(seed, dict):
                    return 400, {'error': 'a real site takes the recordings seed or an inline seed, not %r' % seed}
                seed = {key: value for key, value in seed.items() if key not in ('services', 'tokens', 'settings')}
                with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as handle:
                    json.dump(seed, handle)
                try:
                    ids = self.site.seed(handle.name)
                except ValueError as exc:
                    return 400, {'error': str(exc)}
                finally:
                    os.unlink(handle.name)
                return 200, {'ok': True, 'ids': ids}
        return 404, {'error': 'a real Moodle site has no control route %s %s (emulator only)' % (method, route)}


def serve_control(site, port=0):
    """Start the control API on 127.0.0.1 in a thread; returns (server, base URL)."""
    control = Control(site)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # pylint: disable=redefined-builtin
            pass

        def _answer(self, method):
            route = self.path.split('?')[0].strip('/')
            if route.startswith('__site__'):
                route = route[len('__site__'):].strip('/')
            length = int(self.headers.get('Content-Length') or 0)
            try:
                body = json.loads(self.rfile.read(length).decode() or '{}') if length else {}
                status, answer = control.handle(method, route, body if isinstance(body, dict) else {})
            except (Exception, SystemExit) as exc:  # pylint: disable=broad-except
                status, answer = 500, {'error': '%s: %s' % (type(exc).__name__, exc)}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # pylint: disable=invalid-name
            self._answer('GET')

        def do_POST(self):  # pylint: disable=invalid-name
            self._answer('POST')

    server = ThreadingHTTPServer(('127.0.0.1', port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, 'http://127.0.0.1:%d/__site__' % server.server_address[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('action', choices=['up', 'reset', 'serve', 'down', 'can-build'])
    parser.add_argument('versions', nargs='+', choices=sorted(PROFILES), metavar='VERSION',
                        help='one or more of %s (serve: one)' % ', '.join(sorted(PROFILES)))
    parser.add_argument('--source', help='Moodle source: a release tarball/zip, a directory or a URL')
    parser.add_argument('--rebuild', action='store_true', help='install afresh even if a site exists')
    args = parser.parse_args()
    if args.action == 'serve' and len(args.versions) > 1:
        parser.error('serve takes one version')
    if os.geteuid() != 0:
        sys.exit('moodle_site: run as root (it installs packages, writes an Apache vhost and runs as www-data)')
    for version in args.versions:
        site = Site(version)
        if args.action == 'can-build':
            # Exit 0 when the site exists or has a source to be built from.
            if not os.path.exists(site.answer_file):
                site.source(args.source)
        elif args.action in ('down', 'reset'):
            with site.locked():
                getattr(site, args.action)()
        else:
            answer = site.up(args.source, args.rebuild)
            if args.action == 'serve':
                _server, answer['control'] = serve_control(site)
            print(json.dumps(answer), flush=True)
    if args.action == 'serve':
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == '__main__':
    main()
