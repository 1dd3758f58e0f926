#!/usr/bin/env python
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo`: run the example playbook twice and show that the second run changes nothing."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYBOOK = os.path.join(ROOT, 'docs', 'examples', 'demo.yml')


def run(label):
    print('\n=== %s: ansible-playbook docs/examples/demo.yml' % label, flush=True)
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), PLAYBOOK], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, check=False)
    print(proc.stdout, flush=True)
    if proc.returncode != 0:
        sys.exit('%s failed (exit %d)' % (label, proc.returncode))
    recap = re.search(r'changed=(\d+)', proc.stdout.split('PLAY RECAP')[-1])
    return int(recap.group(1)) if recap else -1


def main():
    first = run('First run')
    second = run('Second run (same input)')
    print('Demo: first run changed %d task(s); second run changed %d.' % (first, second))
    if second != 0:
        sys.exit('The second run should change nothing')
    print('Idempotent: the second run made no change.')


if __name__ == '__main__':
    main()
