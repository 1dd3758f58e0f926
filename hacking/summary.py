#!/usr/bin/env python
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print one closing line for `make test`: what ran in each layer, from ansible-test's JUnit files.

    summary.py STAGE [REAL_SITES_RECORD_DIR]

Fails when a layer ran no test at all, so an empty suite never passes.
"""

import glob
import os
import sys
import xml.etree.ElementTree as ET


def junit_counts(pattern):
    tests = failures = skipped = 0
    for path in glob.glob(pattern):
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == 'testsuite' else root.findall('testsuite')
        for suite in suites:
            tests += int(suite.get('tests', 0))
            failures += int(suite.get('failures', 0)) + int(suite.get('errors', 0))
            skipped += int(suite.get('skipped', 0))
    return tests, failures, skipped


def integration_targets(stage):
    targets = []
    for path in sorted(glob.glob(os.path.join(stage, 'tests', 'integration', 'targets', '*', 'aliases'))):
        with open(path) as handle:
            aliases = handle.read().split()
        if 'disabled' not in aliases and 'hidden' not in aliases:
            targets.append(os.path.basename(os.path.dirname(path)))
    return targets


def real_sites(record_dir):
    """The real Moodle versions `make integration-moodle` passed (real-site-VERSION.passed; none when it did not run)."""
    names = [os.path.basename(path) for path in glob.glob(os.path.join(record_dir, 'real-site-*.passed'))]
    return sorted(name[len('real-site-'):-len('.passed')] for name in names)


def main():
    stage = sys.argv[1]
    record_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(stage, 'tests', 'output')
    junit = os.path.join(stage, 'tests', 'output', 'junit')
    units = junit_counts(os.path.join(junit, '*units*.xml'))
    sanity = junit_counts(os.path.join(junit, 'ansible-test-sanity*.xml'))
    targets = integration_targets(stage)
    print('sanity: %d tests, %d failed' % (sanity[0], sanity[1]))
    print('units (client, modules, emulator conformance): %d tests, %d failed, %d skipped' % units)
    print('integration: %d targets passed: %s' % (len(targets), ', '.join(targets)))
    real = real_sites(record_dir)
    for version in real:
        print('integration against a real Moodle %s: %d targets passed' % (version, len(targets)))
    passed = (units[0] - units[1] - units[2]) + (sanity[0] - sanity[1]) + len(targets) * (1 + len(real))
    failed = units[1] + sanity[1]
    if units[0] == 0 or not targets:
        print('make test: a layer ran no test')
        sys.exit(1)
    print('make test: %d passed, %d failed' % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
