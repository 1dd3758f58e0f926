#!/usr/bin/env python
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run `make` invocations side by side, one per lane, so that `make test` uses both cores of a CI machine.

    lanes.py --log-dir DIR --lane "sanity units integration" --lane "test-newest integration-moodle BUILD=.build/b"

Each lane is one `make` invocation (its targets run in order and it stops at its first failure, as `make` does).
While lanes run, one line says when each starts and ends; a lane's whole output is kept in DIR/lane-N.log
and printed, unmixed with the others, when the lane ends. The exit code is 0 only when every lane passed.
A lane holds work that never shares a build folder, a virtualenv or a Moodle site with another lane.
"""

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--log-dir', required=True, help='where each lane writes lane-N.log')
    parser.add_argument('--lane', action='append', required=True, help='the arguments of one make invocation')
    parser.add_argument('--make', default=os.environ.get('MAKE', 'make'), help='the make to run')
    return parser.parse_args(argv)


def say(text):
    sys.stdout.write('lanes %s: %s\n' % (time.strftime('%H:%M:%S'), text))
    sys.stdout.flush()


class Lane(object):
    """One make invocation, its log and its timing."""

    def __init__(self, number, args, log_dir, make):
        self.number = number
        self.args = shlex.split(args)
        self.command = [make, '--no-print-directory'] + self.args
        self.log_path = os.path.join(log_dir, 'lane-%d.log' % number)
        self.process = None
        self.started = None
        self.seconds = None
        self.returncode = None

    @property
    def name(self):
        return 'lane %d (make %s)' % (self.number, ' '.join(self.args))

    def start(self):
        self.started = time.time()
        with open(self.log_path, 'wb') as log:
            # Its own process group, so that an interrupted run stops everything the lane started.
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        say('%s started, output in %s' % (self.name, self.log_path))

    def poll(self):
        """True once the lane has ended (its timing and exit code kept)."""
        if self.returncode is None and self.process.poll() is not None:
            self.returncode = self.process.returncode
            self.seconds = int(time.time() - self.started)
        return self.returncode is not None

    def stop(self):
        if self.process is not None and self.returncode is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except OSError:
                pass

    def verdict(self):
        return 'passed' if self.returncode == 0 else 'FAILED (exit code %s)' % self.returncode

    def print_log(self):
        sys.stdout.write('\n===== %s: %s in %d s; its output follows =====\n' % (self.name, self.verdict(), self.seconds))
        sys.stdout.flush()
        with open(self.log_path, 'rb') as log:
            for chunk in iter(lambda: log.read(65536), b''):
                sys.stdout.buffer.write(chunk)
        sys.stdout.write('===== end of lane %d =====\n\n' % self.number)
        sys.stdout.flush()


def run(lanes):
    for lane in lanes:
        lane.start()
    waiting = list(lanes)
    while waiting:
        time.sleep(1)
        for lane in [lane for lane in waiting if lane.poll()]:
            waiting.remove(lane)
            say('%s %s in %d s' % (lane.name, lane.verdict(), lane.seconds))
            lane.print_log()
    for lane in lanes:
        say('%s: %s in %d s' % (lane.name, lane.verdict(), lane.seconds))
    return 0 if all(lane.returncode == 0 for lane in lanes) else 1


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.makedirs(args.log_dir, exist_ok=True)
    lanes = [Lane(number, lane, args.log_dir, args.make) for number, lane in enumerate(args.lane, 1)]

    def interrupted(signum, _frame):
        for lane in lanes:
            lane.stop()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    return run(lanes)


if __name__ == '__main__':
    sys.exit(main())
