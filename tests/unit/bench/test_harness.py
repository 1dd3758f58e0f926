# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark harness's own logic (no timing is asserted anywhere): floor batching, ratios, the docs table."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

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
        self.sent.append((function, len(fields) + 3, fields))
        return []


def test_floor_batches_stay_under_max_input_vars():
    site = CountingSite(5000)
    users = [run.user_record(i) for i in range(1, 1001)]
    site.batched('core_user_create_users', 'users', users, write=True)
    # 1000 users x 5 fields + 3 fixed fields = 5003: two requests, each under 5000 fields.
    assert [count < 5000 for dummy, count, dummy2 in site.sent] == [True, True]
    assert sum(len(fields) for dummy, dummy2, fields in site.sent) == 5000
    first = site.sent[0][2]
    assert first[:5] == [('users[0][username]', 'bench_u00001'), ('users[0][firstname]', 'Bench'),
                         ('users[0][lastname]', 'User 00001'), ('users[0][email]', 'bench_u00001@bench.example.org'),
                         ('users[0][password]', 'Bench#00001pw')]
    assert site.sent[1][2][0] == ('users[0][username]', 'bench_u01000')


def test_floor_scalar_lists_and_fixed_fields():
    site = CountingSite(10)
    site.batched('core_user_get_users_by_field', 'values', ['a', 'b', 'c', 'd', 'e', 'f', 'g'], fixed=[('field', 'username')])
    assert [count for dummy, count, dummy2 in site.sent] == [9, 6]
    assert site.sent[1][2] == [('field', 'username'), ('values[0]', 'f'), ('values[1]', 'g')]


def test_items_spread_over_ten_courses():
    items = run.items_for('enrolments', 20, run.COURSES)
    assert [i['course'] for i in items[:11]] == run.COURSES + ['bench_c01']
    assignments = run.items_for('assignments', 3, run.COURSES)
    assert assignments[2] == {'user': 'bench_u00003', 'role': 'teacher', 'context': 'course', 'instance': 'bench_c03'}


def report():
    results = run.Results()
    for variant, seconds in (('floor', 0.5), ('bulk', 2.0), ('rerun', 1.0), ('loop', 100.0), ('uri', 150.0)):
        results.add('users', 1000, {variant: {'seconds': seconds, 'peak_kib': 40960, 'requests': 4, 'writes': 2,
                                              'module_seconds': seconds / 2}})
    for variant in run.VARIANTS:
        results.mark('enrolments', 1000, variant, 'not measured', 'not yet measured: no module')

    class Args:
        reps = 3
        budget = 720
        max_input_vars = 5000
        slow_n = '100,1000'

    class FakeSite:
        emulator = True

    rep = run.build_report(results, ['users', 'enrolments'], [1000], Args, FakeSite, 12.3, [])
    rep['reference'] = {'ansible_playbook_one_ping_task_seconds': 1.2}
    return rep


def test_ratios_and_markdown(tmp_path):
    rep = report()
    users = rep['rows'][0]
    assert users['ratios'] == {'bulk/floor': 4.0, 'uri/bulk': 75.0, 'loop/bulk': 50.0, 'rerun/bulk': 0.5}
    assert users['variants']['bulk']['requests_per_1000'] == 4.0
    text = run.markdown(rep)
    assert '| users | 1000 | 0.50* | 2.00* | 1.00* | 100.00* | 150.00* | 4.00 | 75 | 50 | 0.50 |' in text
    assert '| enrolments (10 courses) | 1000 | not yet measured | not yet measured |' in text
    doc = tmp_path / 'performance.md'
    doc.write_text('head\n<!-- bench:start -->\nold\n<!-- bench:end -->\ntail\n')
    assert run.update_docs(rep, str(doc))
    written = doc.read_text()
    assert written.startswith('head\n<!-- bench:start -->\nRun of ') and written.endswith('<!-- bench:end -->\ntail\n')
    assert 'old' not in written
