# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Python interpreter Ansible runs modules with during the benchmark.

bench/run.py copies this file into its work folder with a shebang naming the real interpreter
and points ansible_python_interpreter at the copy.  It runs the real interpreter
(BENCH_REAL_PYTHON) as a child with the same arguments, standard input and output, waits for
it with wait4() and appends the child's peak resident memory (ru_maxrss, KiB) and its wall
seconds to the file named by BENCH_RSS_LOG.  With BENCH_PROFILE set, the child runs under cProfile and writes its
statistics there.
"""

import os
import sys
import time

# Under cProfile the module's AnsiballZ wrapper must still see itself as the main script.
PROFILE_BOOT = ('import cProfile, runpy, sys; out = sys.argv[1]; sys.argv = sys.argv[2:]; '
                'cProfile.run("runpy.run_path(sys.argv[0], run_name=\'__main__\')", out)')


def main():
    real = os.environ['BENCH_REAL_PYTHON']
    argv = [real]
    if os.environ.get('BENCH_PROFILE'):
        argv += ['-c', PROFILE_BOOT, os.environ['BENCH_PROFILE']]
    start = time.monotonic()
    pid = os.posix_spawn(real, argv + sys.argv[1:], os.environ)
    dummy, status, usage = os.wait4(pid, 0)
    seconds = time.monotonic() - start
    if os.environ.get('BENCH_RSS_LOG'):
        with open(os.environ['BENCH_RSS_LOG'], 'a') as handle:
            handle.write('%d %.4f\n' % (usage.ru_maxrss, seconds))
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == '__main__':
    main()
