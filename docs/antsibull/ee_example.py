#!/usr/bin/env python
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write out the files that docs/execution-environment.md tells users to create, for `make ee`.

    ee_example.py GUIDE.md DEST_DIR

Every fenced block in the guide whose info string names a file (```yaml title="NAME"```)
is written to DEST_DIR/NAME, so `ansible-builder create` checks exactly what the guide shows.
"""

import os
import re
import sys

BLOCK = re.compile(r'^```[a-z]*\s+title="([^"]+)"\s*\n(.*?)^```\s*$', re.MULTILINE | re.DOTALL)


def main():
    guide, dest = sys.argv[1], sys.argv[2]
    with open(guide) as handle:
        text = handle.read()
    blocks = BLOCK.findall(text)
    if not any(name == 'execution-environment.yml' for name, dummy in blocks):
        sys.exit('%s shows no ```yaml title="execution-environment.yml"``` block' % guide)
    for name, body in blocks:
        path = os.path.join(dest, name)
        os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
        with open(path, 'w') as handle:
            handle.write(body)
        print('wrote %s from %s' % (path, guide))


if __name__ == '__main__':
    main()
