#!/usr/bin/env python
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench`: how fast the collection provisions users, enrolments and role assignments,
on the emulator and on real Moodle sites.

Sites (--sites, BENCH_SITES; default emulator,5.1,4.5): `emulator` (started here, or the one
MOODLE_EMULATOR_CONTROL names) and real Moodle versions that hacking/moodle_site.py brings up
(as root; a site that cannot be brought up here is reported as not measured, with the reason).
For each site, each resource (users; enrolments spread over 10 courses; role assignments in
course contexts), each N (100, 1000, 10000) and each plugin variant (`core`: the token's
service without the companion plugin's functions; `plugin`: with them, where the site has the
plugin) it measures, from the same starting state each time:

  floor  bench/floor.py: the least the server must do - only the writes, in the fewest requests
         max_input_vars allows, by a plain script that knows every id (looked up untimed)
  bulk   one task of our module in bulk form (ansible-playbook, start-up included)
  rerun  the same task again, with nothing left to change
  uri    an ansible.builtin.uri loop making one write call per item (N=100 only; the larger N are
         extrapolated linearly from it and marked so)
  loop   our module in single form under `loop:` (N=100, emulator only)

floor and uri call no plugin function: they are measured once per site, in the core variant.
Wall seconds are medians of BENCH_REPS (3) runs; a real site's N=10000 (a run of minutes) runs
once, after everything else, while the site's time budget (--budget, BENCH_BUDGET, seconds per
site) lasts. Requests come from the emulator's request log, or from Moodle's own log on a real
site (bench/targets.py). Writes bench/results/<time>.json and latest.json, the figures between
the bench markers of docs/performance.md and the chart docs/performance.png.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import targets  # noqa: E402 pylint: disable=wrong-import-position

ROOT = os.path.dirname(HERE)
PLAYBOOKS = os.path.join(HERE, 'playbooks')
RESULTS = os.path.join(HERE, 'results')
CHART = os.path.join(ROOT, 'docs', 'performance.png')
DOC = os.path.join(ROOT, 'docs', 'performance.md')

RESOURCES = ('users', 'enrolments', 'assignments')
TITLES = {'users': 'users', 'enrolments': 'enrolments (10 courses)', 'assignments': 'role assignments (course contexts)'}
MODULES = {'users': 'moodle_user', 'enrolments': 'moodle_enrolment', 'assignments': 'moodle_role_assignment'}
VARIANTS = ('floor', 'bulk', 'rerun', 'uri', 'loop')
SLOW = ('uri', 'loop')
# Measured in the core variant only: they call no function of the companion plugin.
SHARED = ('floor', 'uri')
PASSWORD = 'Bench#%05dpw'      # every user has a password of their own, as in real provisioning
ROLES = {'enrolments': 'student', 'assignments': 'teacher'}
# Before anything is measured, assume an item costs this much (seconds) to plan the budget.
PRIOR_ITEM_SECONDS = {'emulator': 0.002, 'moodle': 0.015}
PRIOR_SLOW_ITEM_SECONDS = 0.5
DEFAULT_BUDGET = {'emulator': 900, 'moodle': 1500}
username = targets.username
course_of = targets.course_of
COURSES = targets.COURSES


def log(text=''):
    print(text, flush=True)


def user_record(i):
    return {'username': username(i), 'firstname': 'Bench', 'lastname': 'User %05d' % i,
            'email': '%s@bench.example.org' % username(i), 'password': PASSWORD % i}


def items_for(resource, n, courses=COURSES):
    """What the module tasks are given: names, never ids."""
    if resource == 'users':
        return [user_record(i) for i in range(1, n + 1)]
    if resource == 'enrolments':
        return [{'user': username(i), 'course': courses[(i - 1) % len(courses)], 'role': 'student'} for i in range(1, n + 1)]
    return [{'user': username(i), 'role': 'teacher', 'context': 'course', 'instance': courses[(i - 1) % len(courses)]}
            for i in range(1, n + 1)]


def resolved_items(target, resource, n):
    """What the floor and the uri loop are given: ids, looked up beforehand (untimed)."""
    if resource == 'users':
        return items_for('users', n)
    users, courses, roles = target.user_ids(), target.course_ids(), target.role_ids()
    role = roles[ROLES[resource]]
    return [{'userid': users[username(i)], 'courseid': courses[course_of(i)], 'roleid': role} for i in range(1, n + 1)]


# ------------------------------------------------------------------------------- running
class Runner:
    """Runs the floor script and the playbooks against one target; each returns a run dict."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.playbook_bin = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
        self.wrapper = os.path.join(workdir, 'python-rss')
        with open(os.path.join(HERE, 'rsswrap.py')) as source, open(self.wrapper, 'w') as target:
            target.write('#!%s -IS\n' % sys.executable + source.read())
        os.chmod(self.wrapper, 0o755)
        self.counter = 0

    def _path(self, name):
        self.counter += 1
        return os.path.join(self.workdir, '%04d-%s' % (self.counter, name))

    def env(self, target, rss_log, profile=None):
        env = dict(os.environ, BENCH_REAL_PYTHON=sys.executable, BENCH_RSS_LOG=rss_log,
                   ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_INVENTORY_UNPARSED_WARNING='False',
                   ANSIBLE_RETRY_FILES_ENABLED='False', ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0')
        env.pop('BENCH_PROFILE', None)
        if target is not None:
            env.update(MOODLE_URL=target.url, MOODLE_TOKEN=target.token)
        if profile:
            env['BENCH_PROFILE'] = profile
        return env

    def playbook(self, target, resource, form, items, profile=None):
        items_file = self._path('%s-%s-items.json' % (resource, form))
        with open(items_file, 'w') as handle:
            json.dump({'bench_items': items}, handle)
        rss_log = self._path('rss.log')
        out_file = self._path('%s-%s.out' % (resource, form))
        command = [self.playbook_bin, '-i', 'localhost,', '-c', 'local', os.path.join(PLAYBOOKS, '%s_%s.yml' % (resource, form)),
                   '-e', '@' + items_file, '-e', 'bench_max_input_vars=%d' % target.max_input_vars,
                   '-e', 'ansible_python_interpreter=%s' % self.wrapper]
        with open(out_file, 'w') as out:
            start = time.perf_counter()
            code = subprocess.call(command, stdout=out, stderr=subprocess.STDOUT, env=self.env(target, rss_log, profile),
                                   cwd=ROOT)
            seconds = time.perf_counter() - start
        with open(out_file) as handle:
            output = handle.read()
        if code != 0:
            raise RuntimeError('%s_%s.yml failed (exit %d); output in %s:\n%s'
                               % (resource, form, code, out_file, output[-3000:]))
        recap = output.split('PLAY RECAP')[-1]
        changed = int(recap.split('changed=')[1].split()[0]) if 'changed=' in recap else None
        peak, module_seconds = read_rss_log(rss_log)
        return {'seconds': seconds, 'module_seconds': module_seconds, 'peak_kib': peak, 'changed': changed}

    def startup(self):
        """ansible-playbook running one small module task (ping): the fixed cost every variant but the floor pays."""
        rss_log = self._path('rss.log')
        command = [self.playbook_bin, '-i', 'localhost,', '-c', 'local', os.path.join(PLAYBOOKS, 'startup.yml'),
                   '-e', 'ansible_python_interpreter=%s' % self.wrapper]
        start = time.perf_counter()
        code = subprocess.call(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, env=self.env(None, rss_log),
                               cwd=ROOT)
        seconds = time.perf_counter() - start
        if code != 0:
            raise RuntimeError('startup.yml failed (exit %d)' % code)
        return seconds

    def floor(self, target, resource, items):
        """floor.py through the same interpreter wrapper as the modules: its own seconds and peak memory."""
        items_file = self._path('%s-floor-items.json' % resource)
        with open(items_file, 'w') as handle:
            json.dump(items, handle)
        rss_log = self._path('rss.log')
        command = [self.wrapper, os.path.join(HERE, 'floor.py'), '--resource', resource, '--items', items_file,
                   '--max-input-vars', str(target.max_input_vars)]
        proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env(target, rss_log),
                              cwd=ROOT, check=False)
        if proc.returncode != 0:
            raise RuntimeError('floor.py failed for %s (exit %d): %s' % (resource, proc.returncode, proc.stderr.decode()[-500:]))
        report = json.loads(proc.stdout.decode().strip().splitlines()[-1])
        peak, seconds = read_rss_log(rss_log)
        # Wall seconds of the floor's own process, interpreter start-up included (the wrapper's few ms excluded).
        return {'seconds': seconds, 'peak_kib': peak, 'self_counted_requests': report['requests']}

    def measure(self, target, resource, n, variant, plugin):
        """One repetition of one variant (bulk also gives rerun), inside target.group(resource, n): {variant: run}."""
        target.reset(plugin)
        if variant in SHARED:
            items = resolved_items(target, resource, n)
            target.mark()
        else:
            items = items_for(resource, n)
        if variant == 'floor':
            runs = {'floor': self.floor(target, resource, items)}
        else:
            runs = {variant: self.playbook(target, resource, variant, items)}
        attach_requests(runs[variant], target.requests())
        check_present(target, resource, n, variant)
        if variant == 'bulk':
            if runs['bulk']['changed'] != 1:
                raise RuntimeError('%s bulk N=%d reported no change on a fresh site' % (resource, n))
            target.mark()
            runs['rerun'] = self.playbook(target, resource, 'bulk', items)
            attach_requests(runs['rerun'], target.requests())
            if runs['rerun']['changed'] != 0:
                raise RuntimeError('%s rerun N=%d reported a change' % (resource, n))
            if runs['rerun']['writes']:
                raise RuntimeError('%s rerun N=%d made %d write request(s)' % (resource, n, runs['rerun']['writes']))
        return runs


def read_rss_log(path):
    """(peak KiB, seconds summed) of the interpreter runs rsswrap.py recorded."""
    peak, seconds = 0, 0.0
    if os.path.exists(path):
        with open(path) as handle:
            for line in handle:
                if line.strip():
                    kib, run_seconds = line.split()
                    peak = max(peak, int(kib))
                    seconds += float(run_seconds)
    return peak, seconds


def check_present(target, resource, n, variant):
    found = target.count(resource, n)
    if found != n:
        raise RuntimeError('%s %s N=%d: %d of %d present afterwards' % (resource, variant, n, found, n))


def attach_requests(run, entries):
    run['requests'] = len(entries)
    run['writes'] = sum(1 for e in entries if e.get('write'))
    run['functions'] = sorted(set(e['wsfunction'] for e in entries if e.get('wsfunction')))
    errors = sorted(set(e['error'] for e in entries if e.get('error')))
    if errors:
        raise RuntimeError('the site answered request(s) with an error: %s' % ', '.join(errors))
    if run.get('self_counted_requests') not in (None, len(entries)):
        raise RuntimeError('floor.py sent %d requests, the site logged %d' % (run['self_counted_requests'], len(entries)))


# ---------------------------------------------------------------------------- bookkeeping
class Results:
    def __init__(self):
        self.cells = {}   # (plugin, resource, n, variant) -> {'runs': [...], 'status': ..., 'note': ...}

    def cell(self, plugin, resource, n, variant):
        return self.cells.setdefault((plugin, resource, n, variant), {'runs': [], 'status': 'not run', 'note': ''})

    def add(self, plugin, resource, n, runs):
        for variant, run in runs.items():
            cell = self.cell(plugin, resource, n, variant)
            cell['runs'].append(run)
            cell['status'] = 'measured'

    def mark(self, plugin, resource, n, variant, status, note):
        cell = self.cell(plugin, resource, n, variant)
        if not cell['runs']:
            cell['status'] = status
        cell['note'] = note

    def count(self, plugin, resource, n, variant):
        return len(self.cells.get((plugin, resource, n, variant), {}).get('runs', []))

    def summary(self, plugin, resource, n, variant):
        cell = self.cells.get((plugin, resource, n, variant))
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
            'functions': sorted(set(f for r in runs for f in r.get('functions') or [])),
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


# -------------------------------------------------------------------------- one site's plan
class SiteBench:
    """Everything measured on one target, in priority order, within the target's time budget."""

    def __init__(self, target, runner, args, resources):
        self.target = target
        self.runner = runner
        self.args = args
        self.resources = resources
        self.results = Results()
        self.budget = args.budget if args.budget is not None else DEFAULT_BUDGET[target.kind]
        self.started = time.perf_counter()
        self.load_start = load_average()
        self.sizes = args.sizes
        # A real site's largest N takes minutes a run: once, after the rest, while the budget lasts.
        self.once_sizes = [n for n in self.sizes if target.kind == 'moodle' and n >= args.once_n]
        self.fast_sizes = [n for n in self.sizes if n not in self.once_sizes]
        self.slow_sizes = [n for n in args.slow_sizes if n in self.sizes]
        self.slow_variants = ('uri', 'loop') if target.kind == 'emulator' or args.loop_on_sites else ('uri',)

    def elapsed(self):
        """Seconds spent on this site, not counting the waits for the shared site lock."""
        return time.perf_counter() - self.started - self.target.waited

    def attempt(self, resource, n, variant, plugin):
        label = '%-9s %-6s %-11s N=%-5d %-5s' % (self.target.name, plugin, resource, n, variant)
        try:
            runs = self.runner.measure(self.target, resource, n, variant, plugin)
        except (RuntimeError, requests.RequestException, ValueError, KeyError) as error:
            self.results.mark(plugin, resource, n, variant, 'failed', str(error).splitlines()[0][:300])
            if variant == 'bulk':
                self.results.mark(plugin, resource, n, 'rerun', 'failed', 'the bulk run before it failed')
            log('%s FAILED: %s' % (label, error))
            return None
        self.results.add(plugin, resource, n, runs)
        log('%s %s' % (label, '  '.join('%s %.2fs%s %s req %.0f MiB' % (
            v, r['seconds'], ' (module %.2fs)' % r['module_seconds'] if 'module_seconds' in r else '',
            r.get('requests'), r['peak_kib'] / 1024.0) for v, r in runs.items())))
        return runs

    def estimate(self, resource, n, variant, plugin):
        """Seconds one more run of this variant is likely to take (bulk: with its rerun)."""
        plugin = 'core' if variant in SHARED else plugin
        variants = ('bulk', 'rerun') if variant == 'bulk' else (variant,)
        smaller = [m for m in self.sizes if m < n and self.results.summary(plugin, resource, m, variant)]
        if smaller:
            m = max(smaller)
            return sum(self.results.summary(plugin, resource, m, v)['seconds'] for v in variants
                       if self.results.summary(plugin, resource, m, v)) * n / m * 1.1 + 5
        per_item = PRIOR_SLOW_ITEM_SECONDS if variant in SLOW else PRIOR_ITEM_SECONDS[self.target.kind]
        return n * per_item * len(variants) + 5

    def fits(self, resource, n, variant, plugin, first):
        if not self.budget:
            return True
        guess = self.estimate(resource, n, variant, plugin)
        left = self.budget - self.elapsed()
        if guess <= left:
            return True
        if first and self.results.cell(plugin, resource, n, variant)['status'] != 'skipped':
            note = 'skipped: about %.0f s estimated, %.0f s of the %.0f s budget left (BENCH_BUDGET=0 runs it)' % (
                guess, max(left, 0), self.budget)
            self.results.mark(plugin, resource, n, variant, 'skipped', note)
            if variant == 'bulk':
                self.results.mark(plugin, resource, n, 'rerun', 'skipped', note)
            log('%-9s %-6s %-11s N=%-5d %-5s %s' % (self.target.name, plugin, resource, n, variant, note))
        return False

    def run(self):
        variants = self.target.variants
        for resource in self.resources:
            for n in self.sizes:
                for plugin in variants:
                    for variant in VARIANTS:
                        if plugin != 'core' and variant in SHARED:
                            continue
                        if variant in SLOW and (n not in self.slow_sizes or variant not in self.slow_variants):
                            why = ('measured at N=%s and extrapolated' % ','.join(map(str, self.slow_sizes))
                                   if variant == 'uri' else 'measured on the emulator only (Ansible\'s per-item cost)'
                                   if variant not in self.slow_variants else 'measured at N=%s only'
                                   % ','.join(map(str, self.slow_sizes)))
                            self.results.mark(plugin, resource, n, variant, 'not applicable', why)
        # 1. the fast variants, every repetition
        for n in self.fast_sizes:
            for resource in self.resources:
                self.group(resource, n, self.args.reps, ('floor', 'bulk'), first=True)
        # 2. the slow variants at N=100, once
        for n in self.slow_sizes:
            for resource in self.resources:
                self.group(resource, n, 1, self.slow_variants, first=True)
        # 3. a real site's largest N, once
        for n in self.once_sizes:
            for resource in self.resources:
                self.group(resource, n, 1, ('floor', 'bulk'), first=True)
        # 4. more runs of the slow variants while the budget lasts
        for dummy in range(self.args.reps - 1):
            for n in self.slow_sizes:
                for resource in self.resources:
                    self.group(resource, n, 1, self.slow_variants, first=False)

    def group(self, resource, n, reps, variants, first):
        """Measure `variants` `reps` times for one resource and size, in one seeding (and one hold) of the site."""
        wanted = [(variant, plugin) for dummy in range(reps) for variant in variants
                  for plugin in (('core',) if variant in SHARED or variant in SLOW else self.target.variants)]

        def fits(variant, plugin):
            return self.fits(resource, n, variant, plugin, first and not self.results.count(plugin, resource, n, variant))

        if not wanted or not fits(*wanted[0]):
            for variant, plugin in wanted[1:]:
                fits(variant, plugin)
            return
        entered, waited = time.perf_counter(), self.target.waited
        with self.target.group(resource, n):
            log('%-9s        %-11s N=%-5d starting state ready in %.1f s (and %.0f s waiting for the site lock)' % (
                self.target.name, resource, n, time.perf_counter() - entered - (self.target.waited - waited),
                self.target.waited - waited))
            for variant, plugin in wanted:
                if fits(variant, plugin):
                    self.attempt(resource, n, variant, plugin)

    def report(self):
        rows = []
        for resource in self.resources:
            for n in self.sizes:
                for plugin in self.target.variants:
                    rows.append(self.row(resource, n, plugin))
        slow_note = 'ran %d time(s), not %d: the time budget'
        for row in rows:
            for variant, entry in row['variants'].items():
                if entry.get('repetitions') and entry['repetitions'] < self.args.reps and not entry['note']:
                    entry['note'] = slow_note % (entry['repetitions'], self.args.reps)
        return {
            'site': self.target.name, 'kind': self.target.kind, 'description': self.target.description,
            'plugin_variants': list(self.target.variants), 'max_input_vars': self.target.max_input_vars,
            'budget_seconds': self.budget, 'runtime_seconds': round(self.elapsed(), 1),
            'lock_wait_seconds': round(self.target.waited, 1),
            'load_start': self.load_start, 'load_end': load_average(), 'rows': rows,
        }

    def row(self, resource, n, plugin):
        row = {'resource': resource, 'n': n, 'plugin': plugin, 'variants': {}}
        for variant in VARIANTS:
            source = 'core' if variant in SHARED else plugin
            cell = self.results.cells.get((source, resource, n, variant), {'status': 'not run', 'note': '', 'runs': []})
            entry = {'status': cell['status'], 'note': cell['note']}
            summary = self.results.summary(source, resource, n, variant)
            if summary:
                entry.update(summary)
                entry['repetitions'] = len(cell['runs'])
                if summary['requests'] is not None:
                    entry['requests_per_1000'] = round(summary['requests'] * 1000.0 / n, 1)
            elif variant == 'uri':
                entry.update(self.extrapolated(resource, n))
            row['variants'][variant] = entry
        sec = dict((v, e.get('seconds')) for v, e in row['variants'].items())
        row['ratios'] = {'bulk/floor': ratio(sec['bulk'], sec['floor']), 'rerun/bulk': ratio(sec['rerun'], sec['bulk']),
                         'uri/bulk': ratio(sec['uri'], sec['bulk']), 'loop/bulk': ratio(sec['loop'], sec['bulk'])}
        return row

    def extrapolated(self, resource, n):
        measured = [m for m in self.slow_sizes if self.results.summary('core', resource, m, 'uri')]
        if not measured:
            return {}
        m = max(measured)
        seconds = self.results.summary('core', resource, m, 'uri')['seconds'] * n / m
        return {'seconds': seconds, 'status': 'extrapolated', 'extrapolated_from': m,
                'note': 'extrapolated linearly from the N=%d run' % m}


# ------------------------------------------------------------------------------------ main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--sites', default=os.environ.get('BENCH_SITES', 'emulator,5.1,4.5'),
                        help='emulator and/or real Moodle versions, comma-separated')
    parser.add_argument('--n', default=os.environ.get('BENCH_N', '100,1000,10000'), help='sizes, comma-separated')
    parser.add_argument('--slow-n', default=os.environ.get('BENCH_SLOW_N', '100'), help='sizes for uri and loop')
    parser.add_argument('--once-n', type=int, default=int(os.environ.get('BENCH_ONCE_N', '10000')),
                        help='on a real site, sizes from this one up run once, after the rest')
    parser.add_argument('--resources', default=os.environ.get('BENCH_RESOURCES', ','.join(RESOURCES)))
    parser.add_argument('--reps', type=int, default=int(os.environ.get('BENCH_REPS', '3')))
    parser.add_argument('--budget', type=float, default=float(os.environ['BENCH_BUDGET']) if os.environ.get('BENCH_BUDGET')
                        else None, help='seconds per site (default: %s; 0: none)' % ', '.join(
                            '%s %d' % item for item in sorted(DEFAULT_BUDGET.items())))
    parser.add_argument('--loop-on-sites', action='store_true', default=os.environ.get('BENCH_LOOP') == '1',
                        help='measure the loop variant on real sites too')
    parser.add_argument('--lock', default=os.environ.get('BENCH_SITE_LOCK', targets.DEFAULT_LOCK),
                        help='a lock file held while a real site is in use ("" for none)')
    parser.add_argument('--no-write', action='store_true', help='print only; write no JSON and no chart')
    parser.add_argument('--profile', metavar='RESOURCE:N[:rerun]',
                        help='profile the bulk module run (or its rerun) on the emulator (cProfile) and exit')
    parser.add_argument('--output', metavar='NAME', help='write bench/results/NAME.json only (not latest.json, the docs or the chart)')
    parser.add_argument('--render', metavar='JSON', help='measure nothing: print, document and chart a results file')
    args = parser.parse_args(argv)
    args.sizes = [int(v) for v in args.n.split(',') if v]
    args.slow_sizes = [int(v) for v in args.slow_n.split(',') if v]
    return args


def open_target(name, lock):
    """(target, None) or (None, why it cannot be measured here)."""
    if name == 'emulator':
        return targets.EmulatorTarget(), None
    problem = targets.real_site_problem(name)
    if problem:
        return None, problem
    try:
        return targets.RealTarget(name, lock), None
    except SystemExit as error:
        return None, str(error)


def stop(signum, frame):
    raise KeyboardInterrupt('signal %d' % signum)


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, stop)
    if args.render:
        return render(args.render.split(','))
    started = time.perf_counter()
    resources = [r for r in args.resources.split(',') if r]
    missing = [r for r in resources if not module_available(MODULES[r])]
    if missing:
        sys.exit('the installed collection lacks %s: run `make build` first (ANSIBLE_COLLECTIONS_PATH=%s)'
                 % (', '.join('lmsops.moodle.%s' % MODULES[r] for r in missing), os.environ.get('ANSIBLE_COLLECTIONS_PATH', '')))
    workdir = tempfile.mkdtemp(prefix='lmsops-bench-')
    runner = Runner(workdir)
    report = {'generated': None, 'machine': machine(), 'sites': [], 'not_measured': {},
              'settings': {'repetitions': args.reps, 'sizes': args.sizes, 'uri_loop_sizes': args.slow_sizes,
                           'once_n': args.once_n, 'budget_seconds': args.budget}}
    try:
        if args.profile:
            target = targets.EmulatorTarget()
            try:
                return profile(runner, target, args.profile)
            finally:
                target.close()
        startup = statistics.median(runner.startup() for dummy in range(args.reps))
        report['reference'] = {'ansible_playbook_one_ping_task_seconds': round(startup, 3)}
        log('Reference: ansible-playbook with one ping task takes %.2fs (median of %d)' % (startup, args.reps))
        log('Work folder (items, playbook output): %s' % workdir)
        bench_sites(report, runner, args, resources)
        report['generated'] = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
        report['runtime_seconds'] = round(time.perf_counter() - started, 1)
        print_table(report)
        save(report, args)
        return 0
    finally:
        if os.environ.get('BENCH_KEEP') != '1':
            shutil.rmtree(workdir, ignore_errors=True)


def render(paths):
    """--render: merge result files, print the table, update docs/performance.md and the chart."""
    report = merge_reports(paths)
    print_table(report)
    if len(paths) > 1:
        write_json(report)
    if update_docs(report, DOC):
        log('Updated the figures in %s' % os.path.relpath(DOC, ROOT))
    draw_chart(report, CHART)
    log('Drew %s' % os.path.relpath(CHART, ROOT))
    return 0


def bench_sites(report, runner, args, resources):
    """Measure every site named, one after the other, into ``report``; a site that cannot be measured is said."""
    for name in [s.strip() for s in args.sites.split(',') if s.strip()]:
        target, problem = open_target(name, args.lock)
        if problem:
            log('%s: not measured: %s' % (name, problem))
            report['not_measured'][name] = problem
            continue
        try:
            site, interrupted = bench_site(name, target, runner, args, resources)
            report['sites'].append(site)
        finally:
            target.close()
        if interrupted:
            break


def bench_site(name, target, runner, args, resources):
    """(the site's report, whether it was stopped by hand: Ctrl-C or SIGTERM keep what was measured)."""
    bench = SiteBench(target, runner, args, resources)
    log('Benchmark against %s; N = %s; %d repetitions; budget %s' % (
        target.description, ', '.join(map(str, args.sizes)), args.reps,
        '%d s' % bench.budget if bench.budget else 'none'))
    interrupted = False
    try:
        bench.run()
    except KeyboardInterrupt:
        interrupted = True
        log('%s: interrupted after %.0f s; writing what was measured' % (name, bench.elapsed()))
    return dict(bench.report(), interrupted=interrupted), interrupted


def save(report, args):
    """--output NAME: bench/results/NAME.json; else the latest results and the docs (unless --no-write)."""
    if args.output:
        os.makedirs(RESULTS, exist_ok=True)
        with open(os.path.join(RESULTS, args.output + '.json'), 'w') as handle:
            handle.write(json.dumps(report, indent=1, sort_keys=True) + '\n')
        log('Wrote bench/results/%s.json' % args.output)
    elif not args.no_write:
        write_report(report)


def profile(runner, target, spec):
    """Run the bulk task (RESOURCE:N) or its rerun (RESOURCE:N:rerun) once under cProfile on the emulator
    and print where the module's time goes."""
    import pstats
    resource, n, variant = (spec.split(':') + ['bulk'])[:3]
    n = int(n)
    if variant not in ('bulk', 'rerun'):
        sys.exit('--profile RESOURCE:N[:rerun]: %r is neither bulk nor rerun' % variant)
    items = items_for(resource, n)
    with target.group(resource, n):
        target.reset('core')
        if variant == 'rerun':
            runner.playbook(target, resource, 'bulk', items)
        stats_file = os.path.join(runner.workdir, 'module.prof')
        run = runner.playbook(target, resource, 'bulk', items, profile=stats_file)
    log('%s %s N=%d under cProfile: %.2fs wall (profiling slows it down)' % (variant, resource, n, run['seconds']))
    stats = pstats.Stats(stats_file)
    stats.sort_stats('cumulative').print_stats(25)
    stats.sort_stats('tottime').print_stats(15)
    return 0


# ------------------------------------------------------------------------------- reporting
def fmt(value, pattern='%.2f'):
    return '-' if value is None else pattern % value


def cell_text(entry, reps, markdown_cells=True):
    """A variant's seconds as a table shows them: `*` fewer runs than asked, `~` extrapolated."""
    if entry.get('seconds') is None:
        if markdown_cells:
            return {'not applicable': '', 'skipped': 'skipped', 'failed': 'failed', 'not run': ''}.get(
                entry['status'], entry['status'])
        return {'not applicable': '', 'skipped': 'skip', 'failed': 'FAIL', 'not run': ''}.get(entry['status'], '?')
    if entry.get('status') == 'extrapolated':
        return '~%.0f' % entry['seconds']
    return '%.2f%s' % (entry['seconds'], '*' if entry.get('repetitions', reps) < reps else '')


def ordered_rows(report):
    """(site report, row) for every row, resource by resource and N by N, the sites side by side."""
    found = [(site, row) for site in report['sites'] for row in site['rows']]
    order = dict((s['site'], i) for i, s in enumerate(report['sites']))
    return sorted(found, key=lambda pair: (RESOURCES.index(pair[1]['resource']), pair[1]['n'], order[pair[0]['site']],
                                           pair[1]['plugin'] != 'core'))


def requests_text(row, separator):
    v = row['variants']
    return separator.join(fmt(v[variant].get('requests'), '%d') if v[variant].get('requests') is not None else '-'
                          for variant in ('floor', 'bulk', 'rerun'))


def row_label(site, row):
    if len(site['plugin_variants']) < 2 and site['kind'] == 'moodle':
        return '%s core' % site['site']
    return '%s %s' % (site['site'], row['plugin'])


def print_table(report):
    reps = report['settings']['repetitions']
    log('')
    log('Wall seconds (median of %d; start-up included; * fewer runs, ~ extrapolated from N=%s), requests floor|bulk|rerun'
        % (reps, ','.join(map(str, report['settings']['uri_loop_sizes']))))
    header = '%-36s %-20s %6s %8s %8s %8s %8s %8s  %6s %6s %6s  %s' % (
        'resource', 'site', 'N', 'floor', 'bulk', 'rerun', 'uri', 'loop', 'b/f', 'rr/b', 'uri/b', 'requests f|b|rr')
    log(header)
    log('-' * len(header))
    for site, row in ordered_rows(report):
        v, r = row['variants'], row['ratios']
        log('%-36s %-20s %6d %8s %8s %8s %8s %8s  %6s %6s %6s  %s' % (
            TITLES[row['resource']], row_label(site, row), row['n'],
            *[cell_text(v[variant], reps, False) for variant in ('floor', 'bulk', 'rerun', 'uri', 'loop')],
            fmt(r['bulk/floor']), fmt(r['rerun/bulk']), fmt(r['uri/bulk'], '%.0f'), requests_text(row, '|')))
    notes = set()
    for site, row in ordered_rows(report):
        for variant, entry in row['variants'].items():
            if entry['note'] and entry['status'] in ('skipped', 'failed'):
                notes.add('%s, %s N=%d %s: %s' % (row_label(site, row), TITLES[row['resource']], row['n'], variant, entry['note']))
    for note in sorted(notes):
        log('  ' + note)
    for name, problem in sorted(report.get('not_measured', {}).items()):
        log('  %s: not measured: %s' % (name, problem))
    m = report['machine']
    log('Machine: %s CPU(s), %s; Python %s; ansible-core %s. Benchmark took %.0f s.' % (
        m['nproc'], m['cpu'], m['python'], m['ansible_core'], report.get('runtime_seconds') or 0))
    for site in report['sites']:
        log('  %s: %s; %.0f s of a %s budget; load average %s at the start, %s at the end' % (
            site['site'], site['description'], site['runtime_seconds'],
            '%d s' % site['budget_seconds'] if site['budget_seconds'] else 'no', site['load_start'], site['load_end']))
    checks = targets_lines(report)
    if checks:
        log('Targets on real sites:')
        for line in checks:
            log('  ' + line)


# The targets the collection is held to on a real site (issue 17): (resource, plugin variant, what, limit).
# "bulk/floor" and "rerun/bulk" are ratios at N = TARGET_N; "rerun s" is the whole rerun in seconds at TARGET_N;
# "x10" is, for every variant measured at both, the time at 10 x TARGET_N over the time at TARGET_N.
TARGET_N = 1000
TARGETS = (
    ('users', 'core', 'bulk/floor', 1.15), ('users', 'core', 'rerun/bulk', 0.3),
    ('enrolments', 'core', 'bulk/floor', 1.5), ('enrolments', 'core', 'rerun/bulk', 0.35),
    ('users', 'plugin', 'rerun s', 1.5), ('enrolments', 'plugin', 'rerun s', 1.5),
    ('enrolments', 'plugin', 'bulk/floor', 1.2),
)
LINEAR_LIMIT = 12.0


def target_checks(report):
    """[(site, resource, plugin, what, limit, value or None, met)] for every real site measured."""
    checks = []
    for site in report['sites']:
        if site['kind'] != 'moodle':
            continue
        rows = dict(((row['resource'], row['plugin'], row['n']), row) for row in site['rows'])
        for resource, plugin, what, limit in TARGETS:
            row = rows.get((resource, plugin, TARGET_N))
            if row is None:
                continue
            value = row['variants']['rerun'].get('seconds') if what == 'rerun s' else row['ratios'].get(what)
            checks.append((site['site'], resource, plugin, what, limit, value, value is not None and value <= limit))
        for (resource, plugin, n), row in sorted(rows.items()):
            larger = rows.get((resource, plugin, n * 10))
            if n != TARGET_N or larger is None:
                continue
            for variant in ('floor', 'bulk', 'rerun'):
                small, big = row['variants'][variant].get('seconds'), larger['variants'][variant].get('seconds')
                if small and big and not (variant == 'floor' and plugin != 'core'):
                    value = big / small
                    checks.append((site['site'], resource, plugin, '%s x10' % variant, LINEAR_LIMIT, value,
                                   value <= LINEAR_LIMIT))
    return checks


def targets_lines(report):
    """The target checks as lines of text (Markdown list items)."""
    lines = []
    checks = target_checks(report)
    floors = dict(((site, resource), value) for site, resource, dummy, what, dummy2, value, dummy3 in checks
                  if what == 'floor x10')
    for site, resource, plugin, what, limit, value, met in checks:
        shown = '-' if value is None else ('%.2f s' % value if what == 'rerun s' else '%.2f' % value)
        line = '%s %s %s, %s at N = %d: %s (target <= %s%s): %s' % (
            site, TITLES[resource], plugin, what, TARGET_N, shown, limit, ' s' if what == 'rerun s' else '',
            'met' if met else 'NOT MET')
        floor = floors.get((site, resource))
        if what == 'bulk x10' and not met and floor and floor > limit:
            line += ' (the floor itself grows x%.2f: Moodle\'s own cost; bulk/floor %s)' % (
                floor, 'falls' if value <= floor else 'grows')
        lines.append(line)
    return lines


def merge_reports(paths):
    """One report from results files of separate runs (e.g. the emulator and a real site measured apart)."""
    reports = []
    for path in paths:
        with open(path) as handle:
            reports.append(json.load(handle))
    merged = json.loads(json.dumps(reports[0]))
    for other in reports[1:]:
        names = set(site['site'] for site in merged['sites'])
        merged['sites'] += [site for site in other['sites'] if site['site'] not in names]
        merged['not_measured'].update(other.get('not_measured') or {})
        merged['generated'] = max(merged['generated'], other['generated'])
        merged['runtime_seconds'] = round(merged['runtime_seconds'] + other['runtime_seconds'], 1)
    measured = set(site['site'].replace('moodle ', '') for site in merged['sites'])
    merged['not_measured'] = dict((k, v) for k, v in merged['not_measured'].items() if k not in measured)
    return merged


def write_json(report):
    os.makedirs(RESULTS, exist_ok=True)
    stamp = report['generated'].replace(':', '').replace('-', '')
    text = json.dumps(report, indent=1, sort_keys=True) + '\n'
    for name in ('%s.json' % stamp, 'latest.json'):
        with open(os.path.join(RESULTS, name), 'w') as handle:
            handle.write(text)
    log('Wrote bench/results/%s.json and bench/results/latest.json' % stamp)


def write_report(report):
    write_json(report)
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
    lines = ['Run of %s on %s CPU(s) (%s), %s, Python %s, ansible-core %s, requests %s; the run took %.0f s. '
             'ansible-playbook with a single `ansible.builtin.ping` task takes %.2f s on this machine: the fixed cost '
             'every variant except the floor pays.' % (
                 report['generated'], m['nproc'], m['cpu'], m['os'], m['python'], m['ansible_core'], m['requests'],
                 report['runtime_seconds'], report['reference']['ansible_playbook_one_ping_task_seconds']), '', 'Sites:', '']
    for site in report['sites']:
        lines.append('- **%s**: %s. Took %.0f s of a %s budget; 1-minute load average %s at the start, %s at the end.' % (
            site['site'], site['description'], site['runtime_seconds'],
            '%d s' % site['budget_seconds'] if site['budget_seconds'] else 'no', site['load_start'], site['load_end']))
        if site.get('interrupted'):
            lines.append('  The run on %s was stopped by hand after %.0f s (the deadline of this pass): the cells left '
                         'empty were not measured.' % (site['site'], site['runtime_seconds']))
    for name, problem in sorted(report.get('not_measured', {}).items()):
        lines.append('- **%s**: not measured: %s' % (name, problem))
    lines += ['', 'Wall seconds, median of %d runs (`*`: fewer runs, see below; `~`: extrapolated linearly from the '
              '`uri` loop at N = %s); requests as Moodle (or the emulator) logged them. `core`: the token\'s service '
              'without the companion plugin\'s functions; `plugin`: with them.' % (
                  reps, ', '.join(map(str, report['settings']['uri_loop_sizes']))), '',
              '| resource | N | site | floor | bulk | rerun | uri | loop | bulk/floor | rerun/bulk | uri/bulk '
              '| requests floor / bulk / rerun | bulk: module s, peak MiB |',
              '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|']
    notes = []
    for site, row in ordered_rows(report):
        v, r = row['variants'], row['ratios']
        for variant in VARIANTS:
            entry = v[variant]
            if entry['status'] in ('skipped', 'failed') and entry['note']:
                notes.append('%s, %s, N=%d, %s: %s' % (row_label(site, row), TITLES[row['resource']], row['n'], variant,
                                                       entry['note']))
            elif entry.get('repetitions') and entry['repetitions'] < reps:
                notes.append('%s, %s, N=%d, %s: %d run(s) of %d (%s)' % (
                    row_label(site, row), TITLES[row['resource']], row['n'], variant, entry['repetitions'], reps,
                    'a run of minutes: once' if site['kind'] == 'moodle' and row['n'] >= report['settings']['once_n']
                    else 'time budget'))
        bulk = v['bulk']
        lines.append('| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
            TITLES[row['resource']], row['n'], row_label(site, row),
            *[cell_text(v[variant], reps) for variant in ('floor', 'bulk', 'rerun', 'uri', 'loop')],
            fmt(r['bulk/floor']), fmt(r['rerun/bulk']), fmt(r['uri/bulk'], '%.0f'), requests_text(row, ' / '),
            '%s s, %s MiB' % (fmt(bulk.get('module_seconds')), fmt(bulk.get('peak_mib'), '%.0f'))
            if bulk.get('seconds') is not None else '-'))
    checks = targets_lines(report)
    if checks:
        lines += ['', 'Targets on real sites (`rerun s`: the whole rerun; `x10`: time at 10 x N over time at N, at most '
                  '%d):' % LINEAR_LIMIT, ''] + ['- %s' % line for line in checks]
    if notes:
        lines += ['', 'Measured fewer times, skipped or failed:', ''] + ['- %s' % note for note in sorted(set(notes))]
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
    """Three panels (one per resource), bulk (solid) and rerun (dashed) against N, one colour per site and variant."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    colours = ['tab:blue', 'tab:orange', 'tab:green', 'tab:red', 'tab:purple', 'tab:brown', 'tab:pink', 'tab:gray']
    series = []
    for site in report['sites']:
        for plugin in site['plugin_variants']:
            series.append((site, plugin))
    fig, axes = plt.subplots(1, len(RESOURCES), figsize=(16, 5.2), squeeze=False, sharey=True)
    for axis, resource in zip(axes[0], RESOURCES):
        drawn = False
        for index, (site, plugin) in enumerate(series):
            rows = [row for row in site['rows'] if row['resource'] == resource and row['plugin'] == plugin]
            label = row_label(site, rows[0]) if rows else site['site']
            for variant, style in (('bulk', '-'), ('rerun', '--'), ('floor', ':')):
                if variant == 'floor' and plugin != 'core':
                    continue
                points = [(row['n'], row['variants'][variant]['seconds']) for row in rows
                          if row['variants'][variant].get('seconds') is not None]
                if points:
                    axis.plot([p[0] for p in points], [p[1] for p in points], color=colours[index % len(colours)],
                              linestyle=style, marker='o', markersize=3, label='%s %s' % (label, variant))
                    drawn = True
        axis.set_xscale('log')
        axis.set_yscale('log')
        axis.set_title(TITLES[resource], fontsize=10)
        axis.set_xlabel('items (N)')
        axis.grid(True, which='both', alpha=0.3)
        if drawn:
            axis.legend(fontsize=6)
    axes[0][0].set_ylabel('wall seconds (median; log scale)')
    m = report['machine']
    fig.suptitle('lmsops.moodle: bulk (solid), rerun (dashed), floor (dotted) - %s CPU(s), Python %s, ansible-core %s (%s)' % (
        m['nproc'], m['python'], m['ansible_core'], (report.get('generated') or '')[:10]), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


if __name__ == '__main__':
    sys.exit(main())
