# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark harness's own logic (no timing is asserted anywhere): floor batching, the order and
budget of the measurements on a site, ratios, extrapolation and the docs table."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import os
import sys

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))), 'bench')
sys.path.insert(0, BENCH)

import floor  # noqa: E402 pylint: disable=wrong-import-position
import run  # noqa: E402 pylint: disable=wrong-import-position


class CountingSite(floor.Site):
    def __init__(self, max_input_vars):
        floor.Site.__init__(self, 'http://127.0.0.1:9', 'token', max_input_vars)
        self.sent = []

    def call(self, function, fields, write=False):
        self.requests += 1
        self.writes += int(write)
        self.sent.append((function, len(fields) + 3, fields))
        return []


def test_floor_batches_stay_under_max_input_vars():
    site = CountingSite(5000)
    users = [run.user_record(i) for i in range(1, 1001)]
    floor.floor_users(site, users)
    # 1000 users x 5 fields + 3 fixed fields = 5003: two requests, each under 5000 fields.
    assert [count < 5000 for dummy, count, dummy2 in site.sent] == [True, True]
    assert sum(len(fields) for dummy, dummy2, fields in site.sent) == 5000
    first = site.sent[0][2]
    assert first[:5] == [('users[0][username]', 'bench_u00001'), ('users[0][firstname]', 'Bench'),
                         ('users[0][lastname]', 'User 00001'), ('users[0][email]', 'bench_u00001@bench.example.org'),
                         ('users[0][password]', 'Bench#00001pw')]
    assert site.sent[1][2][0] == ('users[0][username]', 'bench_u01000')


def test_floor_sends_only_the_writes_with_ids():
    site = CountingSite(1000)
    items = [{'userid': 10 + i, 'courseid': 2 + i % 10, 'roleid': 4} for i in range(600)]
    assert floor.floor_assignments(site, items) == 600
    # 4 fields an assignment: 249 fit under 1000 with the 3 fixed ones; no read is ever sent.
    assert [function for function, dummy, dummy2 in site.sent] == ['core_role_assign_roles'] * 3
    assert site.writes == 3
    assert site.sent[0][2][:4] == [('assignments[0][roleid]', '4'), ('assignments[0][userid]', '10'),
                                   ('assignments[0][contextlevel]', 'course'), ('assignments[0][instanceid]', '2')]
    site = CountingSite(5000)
    floor.floor_enrolments(site, items[:2])
    assert site.sent == [('enrol_manual_enrol_users', 9, [
        ('enrolments[0][roleid]', '4'), ('enrolments[0][userid]', '10'), ('enrolments[0][courseid]', '2'),
        ('enrolments[1][roleid]', '4'), ('enrolments[1][userid]', '11'), ('enrolments[1][courseid]', '3')])]


def test_floor_scalar_lists_and_fixed_fields():
    site = CountingSite(10)
    site.batched('core_user_get_users_by_field', 'values', ['a', 'b', 'c', 'd', 'e', 'f', 'g'], fixed=[('field', 'username')])
    assert [count for dummy, count, dummy2 in site.sent] == [9, 6]
    assert site.sent[1][2] == [('field', 'username'), ('values[0]', 'f'), ('values[1]', 'g')]


def test_items_spread_over_ten_courses():
    items = run.items_for('enrolments', 20)
    assert [i['course'] for i in items[:11]] == run.COURSES + ['bench_c01']
    assignments = run.items_for('assignments', 3)
    assert assignments[2] == {'user': 'bench_u00003', 'role': 'teacher', 'context': 'course', 'instance': 'bench_c03'}


class FakeTarget:
    """A site that records what is asked of it; groups are logged so the order can be checked."""

    def __init__(self, kind='moodle', variants=('core', 'plugin')):
        self.kind = kind
        self.name = 'moodle 5.1' if kind == 'moodle' else 'emulator'
        self.variants = variants
        self.description = 'a fake site'
        self.max_input_vars = 5000
        self.events = []
        self.waited = 0.0

    @contextlib.contextmanager
    def group(self, resource, n):
        self.events.append(('group', resource, n))
        yield self


class FakeRunner:
    """Every run takes `per_item` seconds an item (a 'clock' the budget reads)."""

    def __init__(self, bench_clock, per_item=0.01):
        self.clock = bench_clock
        self.per_item = per_item
        self.measured = []

    def measure(self, target, resource, n, variant, plugin):
        self.measured.append((plugin, resource, n, variant))
        runs = {variant: {'seconds': n * self.per_item, 'peak_kib': 2048, 'requests': 2, 'writes': 1}}
        if variant == 'bulk':
            runs['rerun'] = {'seconds': n * self.per_item / 2, 'peak_kib': 2048, 'requests': 1, 'writes': 0}
        self.clock[0] += sum(r['seconds'] for r in runs.values())
        return runs


def site_bench(monkeypatch, argv, kind='moodle', variants=('core', 'plugin'), per_item=0.01):
    clock = [0.0]
    monkeypatch.setattr(run.time, 'perf_counter', lambda: clock[0])
    args = run.parse_args(argv)
    target = FakeTarget(kind, variants)
    runner = FakeRunner(clock, per_item)
    bench = run.SiteBench(target, runner, args, ['users', 'enrolments'])
    bench.run()
    return bench, runner, target


def test_real_site_plan_largest_n_once_after_the_rest(monkeypatch):
    bench, runner, dummy = site_bench(monkeypatch, ['--n', '100,1000,10000', '--reps', '3', '--budget', '0'])
    measured = runner.measured
    # floor and uri call no plugin function: measured in the core variant only.
    assert not [m for m in measured if m[0] == 'plugin' and m[3] in ('floor', 'uri')]
    assert measured.count(('core', 'users', 1000, 'floor')) == 3
    assert measured.count(('plugin', 'enrolments', 1000, 'bulk')) == 3
    assert measured.count(('core', 'users', 10000, 'bulk')) == 1
    assert measured.count(('plugin', 'users', 10000, 'bulk')) == 1
    # The uri loop runs at N=100 only (3 times: the budget is off), loop not on a real site by default.
    assert [m for m in measured if m[3] == 'uri'] == [('core', 'users', 100, 'uri'), ('core', 'enrolments', 100, 'uri')] * 3
    assert not [m for m in measured if m[3] == 'loop']
    first_10000 = min(i for i, m in enumerate(measured) if m[2] == 10000)
    assert max(i for i, m in enumerate(measured) if m[2] == 1000) < first_10000


def test_budget_skips_and_says_so(monkeypatch):
    bench, runner, dummy = site_bench(monkeypatch, ['--n', '100,1000,10000', '--reps', '3', '--budget', '300'])
    report = bench.report()
    rows = dict(((row['resource'], row['n'], row['plugin']), row) for row in report['rows'])
    big = rows[('users', 10000, 'core')]['variants']
    # At 0.01 s an item, N=100 and 1000 take about 265 s; the N=10000 runs (about 100 s each, estimated from
    # N=1000) and the uri loop (50 s before any is measured) no longer fit in what is left of 300 s.
    assert big['bulk']['status'] == 'skipped' and 'budget' in big['bulk']['note']
    assert big['rerun']['status'] == 'skipped'
    assert rows[('enrolments', 1000, 'plugin')]['variants']['bulk']['repetitions'] == 3
    assert rows[('users', 100, 'core')]['variants']['uri']['status'] == 'skipped'
    assert report['budget_seconds'] == 300


def test_report_rows_ratios_and_extrapolation(monkeypatch):
    bench, dummy, dummy2 = site_bench(monkeypatch, ['--n', '100,1000', '--reps', '1', '--budget', '0'])
    report = bench.report()
    rows = dict(((row['resource'], row['n'], row['plugin']), row) for row in report['rows'])
    plugin_1000 = rows[('users', 1000, 'plugin')]
    # The plugin row shows the core floor (the same script); bulk 10 s, rerun 5 s, floor 10 s.
    assert plugin_1000['variants']['floor']['seconds'] == 10.0
    assert plugin_1000['ratios']['bulk/floor'] == 1.0 and plugin_1000['ratios']['rerun/bulk'] == 0.5
    uri = plugin_1000['variants']['uri']
    assert uri['status'] == 'extrapolated' and uri['extrapolated_from'] == 100 and uri['seconds'] == 10.0
    assert rows[('users', 100, 'core')]['variants']['uri']['status'] == 'measured'


def full_report(monkeypatch):
    bench, dummy, dummy2 = site_bench(monkeypatch, ['--n', '100,1000', '--reps', '3', '--budget', '0'])
    return {'generated': '2026-11-30T07:00:00Z', 'runtime_seconds': 12.0, 'machine': run.machine(),
            'reference': {'ansible_playbook_one_ping_task_seconds': 1.2}, 'not_measured': {'4.5': 'needs root'},
            'settings': {'repetitions': 3, 'sizes': [100, 1000], 'uri_loop_sizes': [100], 'once_n': 10000,
                         'budget_seconds': 0},
            'sites': [bench.report()]}


def test_markdown_and_docs(monkeypatch, tmp_path):
    report = full_report(monkeypatch)
    text = run.markdown(report)
    assert '| users | 1000 | moodle 5.1 plugin | 10.00 | 10.00 | 5.00 | ~10 |  | 1.00 | 0.50 | 1 | 2 / 2 / 1 |' in text
    assert '| users | 100 | moodle 5.1 core | 1.00 | 1.00 | 0.50 | 1.00 |' in text
    assert '- **4.5**: not measured: needs root' in text
    doc = tmp_path / 'performance.md'
    doc.write_text('head\n<!-- bench:start -->\nold\n<!-- bench:end -->\ntail\n')
    assert run.update_docs(report, str(doc))
    written = doc.read_text()
    assert written.startswith('head\n<!-- bench:start -->\nRun of ') and written.endswith('<!-- bench:end -->\ntail\n')
    assert 'old' not in written


def test_merge_reports_puts_separate_runs_side_by_side(monkeypatch, tmp_path):
    import json
    real = full_report(monkeypatch)
    emulator = json.loads(json.dumps(real))
    emulator['sites'][0]['site'] = 'emulator'
    emulator['generated'] = '2026-11-30T07:20:00Z'
    emulator['not_measured'] = {'5.1': 'not asked'}
    paths = []
    for name, report in (('real', real), ('emulator', emulator)):
        path = tmp_path / ('%s.json' % name)
        path.write_text(json.dumps(report))
        paths.append(str(path))
    merged = run.merge_reports(paths)
    assert [site['site'] for site in merged['sites']] == ['moodle 5.1', 'emulator']
    assert merged['generated'] == '2026-11-30T07:20:00Z' and merged['runtime_seconds'] == 24.0
    # A site measured in one run is no longer "not measured" because another run did not ask for it.
    assert merged['not_measured'] == {'4.5': 'needs root'}
    text = run.markdown(merged)
    assert text.index('| users | 100 | moodle 5.1 core |') < text.index('| users | 100 | emulator core |') < \
        text.index('| users | 1000 | moodle 5.1 core |')


def test_emulator_target_counts_only_bench_objects():
    import targets
    target = targets.EmulatorTarget.__new__(targets.EmulatorTarget)
    state = {
        'users': [{'id': 2, 'username': 'admin'}, {'id': 10, 'username': 'bench_u00001'},
                  {'id': 11, 'username': 'bench_u00002'}, {'id': 12, 'username': 'bench_u00003', 'deleted': True}],
        'courses': [{'id': 1, 'shortname': 'site'}, {'id': 5, 'shortname': 'bench_c01'}, {'id': 6, 'shortname': 'bench_c02'}],
        'enrolments': [{'userid': 10, 'courseid': 5}, {'userid': 11, 'courseid': 6}, {'userid': 2, 'courseid': 5},
                       {'userid': 11, 'courseid': 1}],
        'role_assignments': [{'userid': 10, 'contextlevel': 'course', 'instanceid': 5, 'role': 'teacher'},
                             {'userid': 11, 'contextlevel': 'course', 'instanceid': 6, 'role': 'student'},
                             {'userid': 11, 'contextlevel': 'system', 'instanceid': 0, 'role': 'teacher'}],
        'roles': [{'id': 4, 'shortname': 'teacher'}, {'id': 5, 'shortname': 'student'}],
    }
    target._state = lambda: state
    assert target.count('users', 3) == 2
    assert target.count('enrolments', 2) == 2
    assert target.count('assignments', 2) == 1
    assert target.course_ids() == {'bench_c01': 5, 'bench_c02': 6}
    assert target.role_ids() == {'teacher': 4, 'student': 5}


def test_targets_are_checked_on_real_sites_only_and_named(monkeypatch):
    bench, dummy, dummy2 = site_bench(monkeypatch, ['--n', '1000,10000', '--reps', '1', '--budget', '0'])
    report = dict(full_report(monkeypatch), sites=[bench.report()])
    checks = dict(((resource, plugin, what), (value, met)) for dummy_site, resource, plugin, what, limit, value, met
                  in run.target_checks(report))
    # The fake site: 0.01 s an item for floor and bulk, half that for the rerun.
    assert checks[('users', 'core', 'bulk/floor')] == (1.0, True)
    assert checks[('users', 'core', 'rerun/bulk')] == (0.5, False)
    assert checks[('enrolments', 'plugin', 'rerun s')] == (5.0, False)
    assert checks[('enrolments', 'plugin', 'bulk x10')] == (10.0, True)
    assert ('users', 'plugin', 'floor x10') not in checks      # the floor is the core variant's, checked once
    lines = run.targets_lines(report)
    assert 'moodle 5.1 users core, rerun/bulk at N = 1000: 0.50 (target <= 0.3): NOT MET' in lines
    assert 'moodle 5.1 enrolments (10 courses) plugin, rerun s at N = 1000: 5.00 s (target <= 1.5 s): NOT MET' in lines
    assert '- moodle 5.1 users core, bulk/floor at N = 1000: 1.00 (target <= 1.15): met' in run.markdown(report)
    emulator = dict(report, sites=[dict(report['sites'][0], kind='emulator')])
    assert run.target_checks(emulator) == []
