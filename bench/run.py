#!/usr/bin/env python
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench`: how fast the collection provisions users, enrolments and role assignments.

For each resource (users; enrolments spread over 10 courses; role assignments in course
contexts) and each N (100, 1000, 5000) it measures, from the same starting state each time:

  floor  bench/floor.py: the fewest batched requests a correct script needs, with `requests`
  bulk   one task of our module in bulk form (ansible-playbook, start-up included)
  rerun  the same task again, with nothing left to change
  loop   our module in single form under `loop:` (N=100 and 1000 only)
  uri    an ansible.builtin.uri loop making one create call per item (N=100 and 1000 only)

and reports wall seconds (median of the repetitions), HTTP requests (the emulator's request
log), and the peak memory of the module process (bench/rsswrap.py).  The slow loop/uri
variants take about 0.3 s per item; so that a run stays within its time budget (--budget,
BENCH_BUDGET; 0 means no budget) they run once and are skipped, in a fixed priority order,
when their estimated time no longer fits; the table says so for each.

Needs MOODLE_URL and MOODLE_TOKEN (hacking/with_emulator.py provides them) and, for the
emulator, MOODLE_EMULATOR_CONTROL.  Against a real site (no control URL) it only creates and
deletes users whose usernames start with "bench_u", enrolments and role assignments need
MOODLE_BENCH_COURSES (ten course shortnames, comma-separated), and request counts are only
known for the floor.  Writes bench/results/<time>.json and bench/results/latest.json, and
draws docs/performance.png.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import requests
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PLAYBOOKS = os.path.join(HERE, 'playbooks')
RESULTS = os.path.join(HERE, 'results')
CHART = os.path.join(ROOT, 'docs', 'performance.png')
DOC = os.path.join(ROOT, 'docs', 'performance.md')

RESOURCES = ('users', 'enrolments', 'assignments')
TITLES = {'users': 'users', 'enrolments': 'enrolments (10 courses)', 'assignments': 'role assignments (course contexts)'}
MODULES = {'users': 'moodle_user', 'enrolments': 'moodle_enrolment', 'assignments': 'moodle_role_assignment'}
VARIANTS = ('floor', 'bulk', 'rerun', 'loop', 'uri')
SLOW = ('uri', 'loop')
PREFIX = 'bench_u'
PASSWORD = 'Bench#%05dpw'      # every user has a password of their own, as in real provisioning
COURSES = ['bench_c%02d' % number for number in range(1, 11)]
ROLE_IDS = {'student': 5, 'teacher': 4}
# Before anything is measured, assume a loop item costs this much (seconds) to plan the budget.
PRIOR_ITEM_SECONDS = 0.45


def log(text=''):
    print(text, flush=True)


# ---------------------------------------------------------------------------------- the site
class Site:
    """The Moodle site under test: web-service calls for set-up and checks, and the emulator's control API."""

    def __init__(self, url, token, control, max_input_vars):
        self.url = url.rstrip('/')
        self.token = token
        self.control = control.rstrip('/') if control else None
        self.max_input_vars = max_input_vars
        self.session = requests.Session()
        self.courses = COURSES
        if not self.control and os.environ.get('MOODLE_BENCH_COURSES'):
            self.courses = [c.strip() for c in os.environ['MOODLE_BENCH_COURSES'].split(',') if c.strip()][:10]
        self.base_seed = None
        if self.control:
            with open(os.path.join(HERE, 'seed.yaml')) as handle:
                self.base_seed = yaml.safe_load(handle)

    @property
    def emulator(self):
        return self.control is not None

    def ws(self, function, fields):
        data = [('wstoken', self.token), ('wsfunction', function), ('moodlewsrestformat', 'json')] + list(fields)
        answer = self.session.post(self.url + '/webservice/rest/server.php', data=data, timeout=600).json()
        if isinstance(answer, dict) and 'exception' in answer:
            raise RuntimeError('%s: %s' % (function, answer.get('message')))
        return answer

    def ws_batched(self, function, list_key, rows, fixed=()):
        per_row = max(len(rows[0]) if rows and isinstance(rows[0], dict) else 1, 1)
        size = max(1, (min(self.max_input_vars, 1000) - 10 - len(fixed)) // per_row)
        answers = []
        for start in range(0, len(rows), size):
            fields = list(fixed)
            for index, row in enumerate(rows[start:start + size]):
                if isinstance(row, dict):
                    fields += [('%s[%d][%s]' % (list_key, index, k), str(v)) for k, v in row.items()]
                else:
                    fields.append(('%s[%d]' % (list_key, index), str(row)))
            answers.append(self.ws(function, fields))
        return answers

    # -- the emulator's control API ---------------------------------------------------------
    def _control(self, method, route, body=None):
        response = self.session.request(method, '%s/%s' % (self.control, route), json=body, timeout=600)
        response.raise_for_status()
        return response.json()

    def clear_log(self):
        if self.emulator:
            self._control('POST', 'requests/clear')

    def read_log(self):
        return self._control('GET', 'requests') if self.emulator else None

    # -- starting states ---------------------------------------------------------------------
    def reset(self, resource, n):
        """Put the site in the state a measurement of `resource` with `n` items starts from."""
        if self.emulator:
            seed = json.loads(json.dumps(self.base_seed))
            if resource != 'users':
                seed['users'] = seed['users'] + [user_record(i) for i in range(1, n + 1)]
            if resource == 'assignments':
                seed['enrolments'] = [{'user': username(i), 'course': course_of(i), 'role': 'student'}
                                      for i in range(1, n + 1)]
            self._control('POST', 'reseed', {'seed': seed})
            return
        self.delete_bench_users()
        if resource != 'users':
            self.ws_batched('core_user_create_users', 'users', [user_record(i) for i in range(1, n + 1)])
        if resource == 'assignments':
            ids = self.user_ids([username(i) for i in range(1, n + 1)])
            courses = self.course_ids()
            self.ws_batched('enrol_manual_enrol_users', 'enrolments', [
                {'roleid': ROLE_IDS['student'], 'userid': ids[username(i)], 'courseid': courses[course_of(i, self.courses)]}
                for i in range(1, n + 1)])

    def delete_bench_users(self, upto=5000):
        ids = list(self.user_ids([username(i) for i in range(1, upto + 1)]).values())
        if ids:
            self.ws_batched('core_user_delete_users', 'userids', ids)

    # -- look-ups and checks (never timed) ---------------------------------------------------
    def user_ids(self, usernames):
        found = {}
        for answer in self.ws_batched('core_user_get_users_by_field', 'values', usernames, fixed=[('field', 'username')]):
            found.update((u['username'], u['id']) for u in answer)
        return found

    def course_ids(self):
        found = {}
        for shortname in self.courses:
            answer = self.ws('core_course_get_courses_by_field', [('field', 'shortname'), ('value', shortname)])
            if not answer.get('courses'):
                raise RuntimeError('no course with shortname %r on the site' % shortname)
            found[shortname] = answer['courses'][0]['id']
        return found

    def count(self, resource, n):
        """How many of the n wanted objects exist now."""
        if resource == 'users':
            return len(self.user_ids([username(i) for i in range(1, n + 1)]))
        wanted = set(username(i) for i in range(1, n + 1))
        total = 0
        for shortname, courseid in self.course_ids().items():
            users = self.ws('core_enrol_get_enrolled_users', [('courseid', str(courseid)), ('options[0][name]', 'userfields'),
                                                              ('options[0][value]', 'id,username,roles')])
            for user in users:
                if user['username'] not in wanted:
                    continue
                if resource == 'enrolments' or any(r.get('shortname') == 'teacher' for r in user.get('roles') or []):
                    total += 1
        return total


def username(i):
    return '%s%05d' % (PREFIX, i)


def course_of(i, courses=COURSES):
    return courses[(i - 1) % len(courses)]


def user_record(i):
    return {'username': username(i), 'firstname': 'Bench', 'lastname': 'User %05d' % i,
            'email': '%s@bench.example.org' % username(i), 'password': PASSWORD % i}


def items_for(resource, n, courses):
    if resource == 'users':
        return [user_record(i) for i in range(1, n + 1)]
    if resource == 'enrolments':
        return [{'user': username(i), 'course': course_of(i, courses), 'role': 'student'} for i in range(1, n + 1)]
    return [{'user': username(i), 'role': 'teacher', 'context': 'course', 'instance': course_of(i, courses)}
            for i in range(1, n + 1)]


def uri_items_for(site, resource, n):
    """The uri baseline sends ids: look them up beforehand (untimed), as a playbook would in an earlier step."""
    if resource == 'users':
        return items_for('users', n, site.courses)
    ids = site.user_ids([username(i) for i in range(1, n + 1)])
    courses = site.course_ids()
    role = ROLE_IDS['student' if resource == 'enrolments' else 'teacher']
    return [{'userid': ids[username(i)], 'courseid': courses[course_of(i, site.courses)], 'roleid': role}
            for i in range(1, n + 1)]


# ------------------------------------------------------------------------------- running
class Runner:
    def __init__(self, site, workdir, max_input_vars):
        self.site = site
        self.workdir = workdir
        self.max_input_vars = max_input_vars
        self.playbook_bin = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
        self.wrapper = os.path.join(workdir, 'python-rss')
        with open(os.path.join(HERE, 'rsswrap.py')) as source, open(self.wrapper, 'w') as target:
            target.write('#!%s -IS\n' % sys.executable + source.read())
        os.chmod(self.wrapper, 0o755)
        self.counter = 0

    def _path(self, name):
        self.counter += 1
        return os.path.join(self.workdir, '%04d-%s' % (self.counter, name))

    def env(self, rss_log, profile=None):
        env = dict(os.environ, BENCH_REAL_PYTHON=sys.executable, BENCH_RSS_LOG=rss_log,
                   ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_INVENTORY_UNPARSED_WARNING='False',
                   ANSIBLE_RETRY_FILES_ENABLED='False', ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0')
        env.pop('BENCH_PROFILE', None)
        if profile:
            env['BENCH_PROFILE'] = profile
        return env

    def playbook(self, resource, form, items, profile=None):
        """Run one benchmark playbook; returns a run dict."""
        items_file = self._path('%s-%s-items.json' % (resource, form))
        with open(items_file, 'w') as handle:
            json.dump({'bench_items': items}, handle)
        rss_log = self._path('rss.log')
        out_file = self._path('%s-%s.out' % (resource, form))
        command = [self.playbook_bin, '-i', 'localhost,', '-c', 'local', os.path.join(PLAYBOOKS, '%s_%s.yml' % (resource, form)),
                   '-e', '@' + items_file, '-e', 'bench_max_input_vars=%d' % self.max_input_vars,
                   '-e', 'ansible_python_interpreter=%s' % self.wrapper]
        with open(out_file, 'w') as out:
            start = time.perf_counter()
            code = subprocess.call(command, stdout=out, stderr=subprocess.STDOUT, env=self.env(rss_log, profile), cwd=ROOT)
            seconds = time.perf_counter() - start
        with open(out_file) as handle:
            output = handle.read()
        recap = output.split('PLAY RECAP')[-1]
        changed = None
        if 'changed=' in recap:
            changed = int(recap.split('changed=')[1].split()[0])
        peak, module_seconds = 0, 0.0
        if os.path.exists(rss_log):
            with open(rss_log) as handle:
                for line in handle:
                    if line.strip():
                        kib, seconds_in_module = line.split()
                        peak = max(peak, int(kib))
                        module_seconds += float(seconds_in_module)
        if code != 0:
            raise RuntimeError('%s_%s.yml failed (exit %d); output in %s:\n%s'
                               % (resource, form, code, out_file, output[-3000:]))
        return {'seconds': seconds, 'module_seconds': module_seconds, 'peak_kib': peak, 'changed': changed}

    def startup(self):
        """ansible-playbook running one small module task (ping): the fixed cost every variant but the floor pays."""
        rss_log = self._path('rss.log')
        command = [self.playbook_bin, '-i', 'localhost,', '-c', 'local', os.path.join(PLAYBOOKS, 'startup.yml'),
                   '-e', 'ansible_python_interpreter=%s' % self.wrapper]
        start = time.perf_counter()
        code = subprocess.call(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, env=self.env(rss_log), cwd=ROOT)
        seconds = time.perf_counter() - start
        if code != 0:
            raise RuntimeError('startup.yml failed (exit %d)' % code)
        return seconds

    def floor(self, resource, items):
        """Run floor.py through the same interpreter wrapper as the modules: its own seconds and peak memory."""
        items_file = self._path('%s-floor-items.json' % resource)
        with open(items_file, 'w') as handle:
            json.dump(items, handle)
        rss_log = self._path('rss.log')
        command = [self.wrapper, os.path.join(HERE, 'floor.py'), '--resource', resource, '--items', items_file,
                   '--max-input-vars', str(self.max_input_vars)]
        proc = subprocess.run(command, stdout=subprocess.PIPE, env=self.env(rss_log), cwd=ROOT, check=False)
        if proc.returncode != 0:
            raise RuntimeError('floor.py failed for %s (exit %d)' % (resource, proc.returncode))
        report = json.loads(proc.stdout.decode().strip().splitlines()[-1])
        with open(rss_log) as handle:
            kib, seconds = handle.read().split()
        # Wall seconds of the floor's own process, interpreter start-up included (the wrapper's few ms excluded).
        return {'seconds': float(seconds), 'peak_kib': int(kib), 'self_counted_requests': report['requests']}

    def measure(self, resource, n, variant):
        """One repetition of one variant (bulk also gives rerun): {variant: run}."""
        site = self.site
        site.reset(resource, n)
        items = uri_items_for(site, resource, n) if variant == 'uri' else items_for(resource, n, site.courses)
        site.clear_log()
        if variant == 'floor':
            runs = {'floor': self.floor(resource, items)}
        elif variant in ('bulk', 'loop', 'uri'):
            runs = {variant: self.playbook(resource, variant, items)}
        attach_log(runs[variant], site.read_log())
        found = site.count(resource, n)
        if found != n:
            raise RuntimeError('%s %s N=%d: %d of %d present afterwards' % (resource, variant, n, found, n))
        if variant == 'bulk':
            if runs['bulk']['changed'] != 1:
                raise RuntimeError('%s bulk N=%d reported no change on a fresh site' % (resource, n))
            site.clear_log()
            runs['rerun'] = self.playbook(resource, 'bulk', items)
            attach_log(runs['rerun'], site.read_log())
            if runs['rerun']['changed'] != 0:
                raise RuntimeError('%s rerun N=%d reported a change' % (resource, n))
            if runs['rerun'].get('writes'):
                raise RuntimeError('%s rerun N=%d made %d write request(s)' % (resource, n, runs['rerun']['writes']))
        return runs


def attach_log(run, entries):
    if entries is None:
        run['requests'] = run.get('self_counted_requests')
        run['writes'] = None
        return
    run['requests'] = len(entries)
    run['writes'] = sum(1 for e in entries if e.get('write'))
    run['errors'] = sum(1 for e in entries if e.get('errorcode'))
    if run['errors']:
        codes = sorted(set(e['errorcode'] for e in entries if e.get('errorcode')))
        raise RuntimeError('the site answered %d request(s) with an error: %s' % (run['errors'], ', '.join(codes)))


# ---------------------------------------------------------------------------- bookkeeping
class Results:
    def __init__(self):
        self.cells = {}   # (resource, n, variant) -> {'runs': [...], 'status': ..., 'note': ...}

    def cell(self, resource, n, variant):
        return self.cells.setdefault((resource, n, variant), {'runs': [], 'status': 'not run', 'note': ''})

    def add(self, resource, n, runs):
        for variant, run in runs.items():
            cell = self.cell(resource, n, variant)
            cell['runs'].append(run)
            cell['status'] = 'measured'

    def mark(self, resource, n, variant, status, note):
        cell = self.cell(resource, n, variant)
        if not cell['runs']:
            cell['status'] = status
        cell['note'] = note

    def summary(self, resource, n, variant):
        cell = self.cells.get((resource, n, variant))
        if not cell or not cell['runs']:
            return None
        runs = cell['runs']
        requests_ = [r['requests'] for r in runs if r.get('requests') is not None]
        writes = [r['writes'] for r in runs if r.get('writes') is not None]
        return {
            'seconds': statistics.median(r['seconds'] for r in runs),
            'runs': [round(r['seconds'], 3) for r in runs],
            'requests': max(requests_) if requests_ else None,
            'writes': max(writes) if writes else None,
            'peak_mib': round(max(r['peak_kib'] for r in runs) / 1024.0, 1),
            'module_seconds': (round(statistics.median(r['module_seconds'] for r in runs), 3)
                               if all('module_seconds' in r for r in runs) else None),
        }


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def machine():
    model = ''
    try:
        with open('/proc/cpuinfo') as handle:
            for line in handle:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        from ansible.release import __version__ as ansible_version
    except ImportError:
        ansible_version = 'unknown'
    return {'nproc': os.cpu_count(), 'cpu': model or platform.processor(), 'python': platform.python_version(),
            'ansible_core': ansible_version, 'requests': requests.__version__, 'os': platform.platform()}


def load_average():
    """The 1-minute load average: timings are only comparable on an otherwise idle machine."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def module_available(module):
    for base in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep):
        for root in (base, os.path.join(base, 'ansible_collections')):
            if os.path.exists(os.path.join(root, 'lmsops', 'moodle', 'plugins', 'modules', module + '.py')):
                return True
    return False


# ------------------------------------------------------------------------------------ main
def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--n', default=os.environ.get('BENCH_N', '100,1000,5000'), help='sizes, comma-separated')
    parser.add_argument('--slow-n', default=os.environ.get('BENCH_SLOW_N', '100,1000'), help='sizes for loop and uri')
    parser.add_argument('--resources', default=os.environ.get('BENCH_RESOURCES', ','.join(RESOURCES)))
    parser.add_argument('--reps', type=int, default=int(os.environ.get('BENCH_REPS', '3')))
    parser.add_argument('--budget', type=float, default=float(os.environ.get('BENCH_BUDGET', '720')),
                        help='seconds this script may take; loop/uri measurements that would not fit are skipped (0: none)')
    parser.add_argument('--max-input-vars', type=int,
                        default=int(os.environ.get('MOODLE_MAX_INPUT_VARS') or (5000 if os.environ.get('MOODLE_EMULATOR_CONTROL')
                                                                                else 1000)))
    parser.add_argument('--no-write', action='store_true', help='print only; write no JSON and no chart')
    parser.add_argument('--profile', metavar='RESOURCE:N', help='profile the bulk module run (cProfile) and exit')
    parser.add_argument('--output', metavar='NAME', help='write bench/results/NAME.json only (not latest.json, the docs or the chart)')
    parser.add_argument('--render', metavar='JSON', help='measure nothing: print, document and chart a results file')
    args = parser.parse_args()
    if args.render:
        with open(args.render) as handle:
            report = json.load(handle)
        print_table(report)
        if update_docs(report, DOC):
            log('Updated the figures in %s' % os.path.relpath(DOC, ROOT))
        draw_chart(report, CHART)
        log('Drew %s' % os.path.relpath(CHART, ROOT))
        return 0
    started = time.perf_counter()
    load_start = load_average()
    sizes = [int(v) for v in args.n.split(',') if v]
    slow_sizes = [int(v) for v in args.slow_n.split(',') if v and int(v) in sizes]
    resources = [r for r in args.resources.split(',') if r]

    if not (os.environ.get('MOODLE_URL') and os.environ.get('MOODLE_TOKEN')):
        sys.exit('MOODLE_URL and MOODLE_TOKEN are not set: run `make bench` (it starts the emulator)')
    site = Site(os.environ['MOODLE_URL'], os.environ['MOODLE_TOKEN'], os.environ.get('MOODLE_EMULATOR_CONTROL'),
                args.max_input_vars)
    workdir = tempfile.mkdtemp(prefix='lmsops-bench-')
    runner = Runner(site, workdir, args.max_input_vars)
    try:
        if args.profile:
            return profile(runner, args.profile)
        results = Results()
        notes = []
        available = []
        for resource in resources:
            if not module_available(MODULES[resource]):
                note = 'not yet measured: lmsops.moodle.%s is not in the installed collection' % MODULES[resource]
                for n in sizes:
                    for variant in VARIANTS:
                        results.mark(resource, n, variant, 'not measured', note)
                notes.append('%s: %s' % (TITLES[resource], note))
            elif not site.emulator and resource != 'users' and len(site.courses) < 10:
                note = 'not measured: set MOODLE_BENCH_COURSES to ten course shortnames of the site'
                for n in sizes:
                    for variant in VARIANTS:
                        results.mark(resource, n, variant, 'not measured', note)
                notes.append('%s: %s' % (TITLES[resource], note))
            else:
                available.append(resource)
        target = 'emulator' if site.emulator else 'site %s' % site.url
        log('Benchmark against the %s; max_input_vars %d; N = %s; %d repetitions; budget %s'
            % (target, args.max_input_vars, ', '.join(map(str, sizes)), args.reps,
               '%ds' % args.budget if args.budget else 'none'))
        log('Work folder (items, playbook output): %s' % workdir)

        def elapsed():
            return time.perf_counter() - started

        def attempt(resource, n, variant):
            label = '%-11s N=%-5d %-5s' % (resource, n, variant)
            try:
                runs = runner.measure(resource, n, variant)
            except (RuntimeError, requests.RequestException, ValueError, KeyError) as error:
                results.mark(resource, n, variant, 'failed', str(error).splitlines()[0][:300])
                if variant == 'bulk':
                    results.mark(resource, n, 'rerun', 'failed', 'the bulk run before it failed')
                log('%s FAILED: %s' % (label, error))
                return None
            results.add(resource, n, runs)
            log('%s %s' % (label, '  '.join('%s %.2fs%s %s req %.0f MiB' % (
                v, r['seconds'], ' (module %.2fs)' % r['module_seconds'] if 'module_seconds' in r else '',
                r.get('requests') if r.get('requests') is not None else '?', r['peak_kib'] / 1024.0)
                for v, r in runs.items())))
            return runs

        # 0. the fixed cost of ansible-playbook with one module task
        startup = statistics.median(runner.startup() for dummy in range(args.reps))
        log('Reference: ansible-playbook with one ping task takes %.2fs (median of %d)' % (startup, args.reps))

        # 1. the fast variants, every repetition
        for resource in available:
            for n in sizes:
                for rep in range(args.reps):
                    attempt(resource, n, 'floor')
                    attempt(resource, n, 'bulk')
                for variant in SLOW:
                    if n not in slow_sizes:
                        results.mark(resource, n, variant, 'not applicable', 'loop and uri are measured for N=%s only'
                                     % ', '.join(map(str, slow_sizes)))

        # 2. the slow variants, once each in priority order while they fit, then more repetitions
        order = []
        small = [n for n in slow_sizes if n <= 100] or slow_sizes[:1]
        large = [n for n in slow_sizes if n not in small]
        for n in small:
            order += [(r, n, v) for r in available for v in SLOW]
        if 'users' in available:
            order = order[:2] + [('users', n, 'uri') for n in large] + order[2:]
        for n in large:
            order += [(r, n, 'loop') for r in available if r == 'users'] + \
                     [(r, n, v) for v in SLOW for r in available if r != 'users']
        rate = {}

        def estimate(resource, n, variant):
            done = results.summary(resource, n // 10, variant) if n >= 1000 else None
            if done:
                return done['seconds'] * 10 * 1.05
            seen = [s for s in rate.values() if s]
            return n * (max(seen) if seen else PRIOR_ITEM_SECONDS) + 3

        for repetition in range(args.reps):
            for resource, n, variant in order:
                if repetition and not results.summary(resource, n, variant):
                    continue
                guess = estimate(resource, n, variant)
                left = args.budget - elapsed() if args.budget else None
                if left is not None and guess > left:
                    if not repetition:
                        results.mark(resource, n, variant, 'skipped',
                                     'skipped: about %.0fs estimated, %.0fs of the %.0fs budget left (BENCH_BUDGET=0 runs it)'
                                     % (guess, max(left, 0), args.budget))
                        log('%-11s N=%-5d %-5s skipped: about %.0fs estimated, %.0fs of the budget left'
                            % (resource, n, variant, guess, max(left, 0)))
                    continue
                runs = attempt(resource, n, variant)
                if runs:
                    rate[(resource, variant)] = runs[variant]['seconds'] / n
        for (resource, n, variant), cell in results.cells.items():
            if variant in SLOW and cell['runs'] and len(cell['runs']) < args.reps:
                cell['note'] = 'ran %d time(s), not %d: the loop variants are slow and the run has a time budget' % (
                    len(cell['runs']), args.reps)

        total = elapsed()
        report = build_report(results, resources, sizes, args, site, total, notes)
        report['machine'].update(load_start=load_start, load_end=load_average())
        report['reference'] = {'ansible_playbook_one_ping_task_seconds': round(startup, 3)}
        print_table(report)
        if args.output:
            os.makedirs(RESULTS, exist_ok=True)
            with open(os.path.join(RESULTS, args.output + '.json'), 'w') as handle:
                handle.write(json.dumps(report, indent=1, sort_keys=True) + '\n')
            log('Wrote bench/results/%s.json' % args.output)
        elif not args.no_write:
            write_report(report)
        return 0
    finally:
        if not site.emulator:
            site.delete_bench_users()
        if os.environ.get('BENCH_KEEP') != '1':
            shutil.rmtree(workdir, ignore_errors=True)


def profile(runner, spec):
    """Run the bulk task once under cProfile and print where the module's time goes."""
    import pstats
    resource, n = spec.split(':')
    n = int(n)
    runner.site.reset(resource, n)
    stats_file = os.path.join(runner.workdir, 'module.prof')
    run = runner.playbook(resource, 'bulk', items_for(resource, n, runner.site.courses), profile=stats_file)
    log('bulk %s N=%d under cProfile: %.2fs wall (profiling slows it down)' % (resource, n, run['seconds']))
    stats = pstats.Stats(stats_file)
    stats.sort_stats('cumulative').print_stats(25)
    stats.sort_stats('tottime').print_stats(15)
    return 0


def build_report(results, resources, sizes, args, site, total, notes):
    rows = []
    for resource in resources:
        for n in sizes:
            row = {'resource': resource, 'n': n, 'variants': {}}
            for variant in VARIANTS:
                cell = results.cells.get((resource, n, variant), {'status': 'not run', 'note': '', 'runs': []})
                entry = {'status': cell['status'], 'note': cell['note']}
                summary = results.summary(resource, n, variant)
                if summary:
                    entry.update(summary)
                    entry['repetitions'] = len(cell['runs'])
                    if summary['requests'] is not None:
                        entry['requests_per_1000'] = round(summary['requests'] * 1000.0 / n, 1)
                row['variants'][variant] = entry
            sec = dict((v, e.get('seconds')) for v, e in row['variants'].items())
            row['ratios'] = {'bulk/floor': ratio(sec['bulk'], sec['floor']), 'uri/bulk': ratio(sec['uri'], sec['bulk']),
                             'loop/bulk': ratio(sec['loop'], sec['bulk']), 'rerun/bulk': ratio(sec['rerun'], sec['bulk'])}
            rows.append(row)
    return {
        'generated': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'target': 'emulator' if site.emulator else 'moodle site',
        'machine': machine(),
        'settings': {'max_input_vars': args.max_input_vars, 'repetitions': args.reps, 'budget_seconds': args.budget,
                     'sizes': sizes, 'loop_uri_sizes': [int(v) for v in args.slow_n.split(',') if v]},
        'runtime_seconds': round(total, 1),
        'notes': notes,
        'rows': rows,
    }


def fmt(value, pattern='%.2f'):
    return '-' if value is None else pattern % value


def print_table(report):
    log('')
    log('Wall seconds (median; start-up included), requests per 1000 items, peak MiB of the module process')
    header = '%-34s %6s  %7s %7s %7s %8s %8s  %6s %6s %6s %6s  %s' % (
        'resource', 'N', 'floor', 'bulk', 'rerun', 'loop', 'uri', 'b/f', 'uri/b', 'loop/b', 'rr/b', 'req/1000 f|b|rr|loop|uri')
    log(header)
    log('-' * len(header))
    for row in report['rows']:
        v = row['variants']
        cells = []
        for variant in VARIANTS:
            entry = v[variant]
            if entry.get('seconds') is None:
                cells.append({'not applicable': '', 'skipped': 'skip', 'not measured': 'n/m', 'failed': 'FAIL'}.get(
                    entry['status'], '?'))
            else:
                mark = '*' if entry.get('repetitions', 0) < report['settings']['repetitions'] else ''
                cells.append('%.2f%s' % (entry['seconds'], mark))
        reqs = '|'.join(fmt(v[variant].get('requests_per_1000'), '%g') if v[variant].get('seconds') is not None else '-'
                        for variant in VARIANTS)
        r = row['ratios']
        log('%-34s %6d  %7s %7s %7s %8s %8s  %6s %6s %6s %6s  %s' % (
            TITLES[row['resource']], row['n'], cells[0], cells[1], cells[2], cells[3], cells[4],
            fmt(r['bulk/floor']), fmt(r['uri/bulk'], '%.0f'), fmt(r['loop/bulk'], '%.0f'), fmt(r['rerun/bulk']), reqs))
    log('')
    log('Peak memory of the module process (MiB; floor: the script itself)')
    for row in report['rows']:
        v = row['variants']
        log('%-34s %6d  %s' % (TITLES[row['resource']], row['n'], '  '.join(
            '%s %s' % (variant, fmt(v[variant].get('peak_mib'), '%.0f')) for variant in VARIANTS if v[variant].get('peak_mib'))))
    log('')
    log('Seconds inside the module process (bulk | rerun); the rest of the wall time is ansible-playbook itself')
    for row in report['rows']:
        v = row['variants']
        if v['bulk'].get('module_seconds') is not None:
            log('%-34s %6d  %s | %s' % (TITLES[row['resource']], row['n'], fmt(v['bulk'].get('module_seconds')),
                                        fmt(v['rerun'].get('module_seconds'))))
    legend = ['* fewer repetitions than %d (the slow loop/uri variants, to stay in the time budget)'
              % report['settings']['repetitions'],
              'skip: over the time budget; n/m: not measured; FAIL: see the note in the JSON; blank: not applicable']
    for line in legend:
        log(line)
    notes = set()
    for row in report['rows']:
        for variant, entry in row['variants'].items():
            if entry['note'] and entry['status'] in ('skipped', 'failed', 'not measured'):
                notes.add('%s N=%d %s: %s' % (TITLES[row['resource']], row['n'], variant, entry['note']))
    for note in sorted(notes):
        log('  ' + note)
    scaling = []
    for resource in RESOURCES:
        by_n = dict((row['n'], row['variants']['bulk']) for row in report['rows'] if row['resource'] == resource)
        if by_n.get(1000, {}).get('seconds') and by_n.get(5000, {}).get('seconds'):
            scaling.append('%s bulk 1000 -> 5000 items: time x%.2f, memory x%.2f' % (
                TITLES[resource], by_n[5000]['seconds'] / by_n[1000]['seconds'],
                by_n[5000]['peak_mib'] / by_n[1000]['peak_mib']))
    for line in scaling:
        log(line + ' (x5 items)')
    if report.get('reference'):
        log('Fixed cost in every ansible-playbook variant: %.2fs (ansible-playbook running one ping task)'
            % report['reference']['ansible_playbook_one_ping_task_seconds'])
    m = report['machine']
    log('Machine: %s CPU(s), %s; Python %s; ansible-core %s; load average %s at the start, %s at the end. '
        'Benchmark took %.0fs.' % (m['nproc'], m['cpu'], m['python'], m['ansible_core'], m.get('load_start'),
                                   m.get('load_end'), report['runtime_seconds']))


def write_report(report):
    os.makedirs(RESULTS, exist_ok=True)
    stamp = report['generated'].replace(':', '').replace('-', '')
    text = json.dumps(report, indent=1, sort_keys=True) + '\n'
    for name in ('%s.json' % stamp, 'latest.json'):
        with open(os.path.join(RESULTS, name), 'w') as handle:
            handle.write(text)
    log('Wrote bench/results/%s.json and bench/results/latest.json' % stamp)
    if update_docs(report, DOC):
        log('Updated the figures in %s' % os.path.relpath(DOC, ROOT))
    try:
        draw_chart(report, CHART)
        log('Drew %s' % os.path.relpath(CHART, ROOT))
    except ImportError:
        log('matplotlib is not installed: no chart drawn (pip install -r tests/requirements.txt)')


def markdown(report):
    """The figures as the Markdown that docs/performance.md shows between its bench markers."""
    m = report['machine']
    reps = report['settings']['repetitions']
    lines = ['Run of %s against the %s, max_input_vars %d: %s CPU(s) (%s), %s, Python %s, ansible-core %s, requests %s; '
             '1-minute load average %s at the start and %s at the end; the run took %.0f s.' % (
                 report['generated'], report['target'], report['settings']['max_input_vars'], m['nproc'], m['cpu'],
                 m['os'], m['python'], m['ansible_core'], m['requests'], m.get('load_start'), m.get('load_end'),
                 report['runtime_seconds']), '']
    if report.get('reference'):
        lines += ['ansible-playbook with a single `ansible.builtin.ping` task takes %.2f s on this machine: the fixed cost '
                  'every variant except the floor pays.' % report['reference']['ansible_playbook_one_ping_task_seconds'], '']
    lines += ['Wall seconds (median of %d; `*` fewer runs, see below), ratios, and HTTP requests per 1000 items '
              '(floor / bulk / rerun / loop / uri):' % reps, '',
              '| resource | N | floor | bulk | rerun | loop | uri | bulk/floor | uri/bulk | loop/bulk | rerun/bulk '
              '| requests per 1000 items | bulk: module s, peak MiB |',
              '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|']
    notes = []
    for row in report['rows']:
        v = row['variants']
        cells = []
        for variant in VARIANTS:
            entry = v[variant]
            if entry.get('seconds') is None:
                cells.append({'not applicable': '', 'skipped': 'skipped', 'not measured': 'not yet measured',
                              'failed': 'failed'}.get(entry['status'], entry['status']))
                if entry['status'] in ('skipped', 'failed', 'not measured') and entry['note']:
                    notes.append('%s, N=%d, %s: %s' % (TITLES[row['resource']], row['n'], variant, entry['note']))
            else:
                cells.append('%.2f%s' % (entry['seconds'], '*' if entry.get('repetitions', reps) < reps else ''))
                if entry.get('repetitions', reps) < reps:
                    notes.append('%s, N=%d, %s: %d run(s) of %d (time budget)' % (
                        TITLES[row['resource']], row['n'], variant, entry['repetitions'], reps))
        r = row['ratios']
        reqs = ' / '.join(fmt(v[variant].get('requests_per_1000'), '%g') if v[variant].get('seconds') is not None else '-'
                          for variant in VARIANTS)
        bulk = v['bulk']
        lines.append('| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
            TITLES[row['resource']], row['n'], cells[0], cells[1], cells[2], cells[3], cells[4], fmt(r['bulk/floor']),
            fmt(r['uri/bulk'], '%.0f'), fmt(r['loop/bulk'], '%.0f'), fmt(r['rerun/bulk']), reqs,
            '%s s, %s MiB' % (fmt(bulk.get('module_seconds')), fmt(bulk.get('peak_mib'), '%.0f'))
            if bulk.get('seconds') is not None else '-'))
    if notes:
        lines += ['', 'Not measured or measured fewer times:', ''] + ['- %s' % note for note in sorted(set(notes))]
    return '\n'.join(lines) + '\n'


def update_docs(report, path):
    """Replace the figures between the bench markers of docs/performance.md."""
    start, end = '<!-- bench:start -->', '<!-- bench:end -->'
    if not os.path.exists(path):
        return False
    with open(path) as handle:
        text = handle.read()
    if start not in text or end not in text:
        return False
    head, rest = text.split(start, 1)
    dummy, tail = rest.split(end, 1)
    with open(path, 'w') as handle:
        handle.write(head + start + '\n' + markdown(report) + end + tail)
    return True


def draw_chart(report, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    styles = {'floor': ('black', 'o', '--'), 'bulk': ('tab:blue', 's', '-'), 'rerun': ('tab:green', '^', '-'),
              'loop': ('tab:orange', 'D', '-'), 'uri': ('tab:red', 'v', '-')}
    resources = [r for r in RESOURCES if any(row['resource'] == r for row in report['rows'])]
    fig, axes = plt.subplots(1, len(resources), figsize=(5.2 * len(resources), 4.6), squeeze=False, sharey=True)
    for axis, resource in zip(axes[0], resources):
        rows = [row for row in report['rows'] if row['resource'] == resource]
        drawn = False
        for variant in VARIANTS:
            points = [(row['n'], row['variants'][variant]['seconds']) for row in rows
                      if row['variants'][variant].get('seconds') is not None]
            if not points:
                continue
            color, marker, line = styles[variant]
            axis.plot([p[0] for p in points], [p[1] for p in points], color=color, marker=marker, linestyle=line, label=variant)
            drawn = True
        axis.set_xscale('log')
        axis.set_yscale('log')
        axis.set_title(TITLES[resource], fontsize=10)
        axis.set_xlabel('items (N)')
        axis.grid(True, which='both', alpha=0.3)
        if drawn:
            axis.legend(fontsize=8)
        else:
            axis.text(0.5, 0.5, 'not yet measured', transform=axis.transAxes, ha='center', va='center')
            axis.set_xlim(50, 10000)
            axis.set_ylim(0.1, 1000)
    axes[0][0].set_ylabel('wall seconds (median, log scale)')
    m = report['machine']
    fig.suptitle('lmsops.moodle on the %s, max_input_vars %d - %s CPU(s), Python %s, ansible-core %s (%s)' % (
        report['target'], report['settings']['max_input_vars'], m['nproc'], m['python'], m['ansible_core'],
        report['generated'][:10]), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


if __name__ == '__main__':
    sys.exit(main())
