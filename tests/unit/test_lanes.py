# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hacking/lanes.py, which runs `make test`'s layers in two lanes: side by side, logs unmixed, failures kept."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
LANES = os.path.join(ROOT, 'hacking', 'lanes.py')

# Stands in for make. Each argument is a step: NAME:CODE prints two lines and stops the lane at a non-zero code;
# mark:FLAG creates the file FLAG, wait:FLAG waits (10 s at most, else fails) until it exists.
FAKE_MAKE = '''#!/bin/sh
shift  # --no-print-directory
for step in "$@"; do
  case "$step" in
    mark:*) touch "$FLAGS/${step#mark:}"; echo "marked ${step#mark:}" ;;
    wait:*) n=0; until [ -e "$FLAGS/${step#wait:}" ]; do n=$((n + 1)); [ $n -gt 100 ] && exit 9; sleep 0.1; done
            echo "saw ${step#wait:}" ;;
    *) echo "${step%%:*} begins"; echo "${step%%:*} ends"; [ "${step#*:}" = 0 ] || exit "${step#*:}" ;;
  esac
done
'''


@pytest.fixture
def fake_make(tmp_path):
    if not os.path.exists(LANES):
        pytest.skip('hacking/lanes.py is not in this copy of the collection')
    path = tmp_path / 'make'
    path.write_text(FAKE_MAKE)
    path.chmod(0o755)
    return str(path)


def run_lanes(fake_make, tmp_path, *lanes):
    argv = [sys.executable, LANES, '--make', fake_make, '--log-dir', str(tmp_path / 'logs')]
    for lane in lanes:
        argv += ['--lane', lane]
    env = dict(os.environ, FLAGS=str(tmp_path))
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=60,
                          check=False, env=env)


def test_lanes_run_side_by_side_and_print_each_log_whole(fake_make, tmp_path):
    # Each lane waits for what the other marks: one after the other, the first lane would wait in vain and fail.
    proc = run_lanes(fake_make, tmp_path, 'a1:0 mark:x wait:y a2:0', 'wait:x b1:0 mark:y')
    assert proc.returncode == 0, proc.stdout
    out = proc.stdout
    # Each lane's output comes whole, between its own header and footer: never mixed with the other's.
    for number, lines in ((1, ['a1 begins', 'a1 ends', 'marked x', 'saw y', 'a2 begins', 'a2 ends']),
                          (2, ['saw x', 'b1 begins', 'b1 ends', 'marked y'])):
        start = out.index('===== lane %d (make ' % number)
        block = out[start:out.index('===== end of lane %d' % number)]
        assert [line for line in block.splitlines()[1:] if line] == lines
        assert 'passed in' in block.splitlines()[0]
        assert (tmp_path / 'logs' / ('lane-%d.log' % number)).read_text().splitlines() == lines


def test_a_failing_lane_stops_itself_not_the_other_and_fails_the_run(fake_make, tmp_path):
    proc = run_lanes(fake_make, tmp_path, 'a1:3 a2:0', 'b1:0 b2:0')
    assert proc.returncode == 1
    lane_a = (tmp_path / 'logs' / 'lane-1.log').read_text()
    assert 'a1 ends' in lane_a and 'a2 begins' not in lane_a
    assert (tmp_path / 'logs' / 'lane-2.log').read_text().splitlines()[-1] == 'b2 ends'
    assert 'FAILED (exit code 3)' in proc.stdout
    # The closing lines give every lane's verdict.
    closing = proc.stdout.splitlines()[-2:]
    assert 'lane 1 (make a1:3 a2:0): FAILED (exit code 3)' in closing[0]
    assert 'lane 2 (make b1:0 b2:0): passed' in closing[1]
