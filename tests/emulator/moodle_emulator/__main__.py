# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CLI: ``python -m moodle_emulator --port 0 --seed recordings``; prints one JSON line, serves until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from .server import Emulator


def main(argv=None):
    """Start the emulator and block until asked to stop."""
    parser = argparse.ArgumentParser(prog='moodle_emulator', description='Moodle REST web-service emulator')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--seed', default='recordings', help='"recordings" or a path to a YAML/JSON seed file')
    parser.add_argument('--debug', action='store_true', help='developer debugging on (errors carry debuginfo)')
    parser.add_argument('--max-input-vars', type=int, default=None, help="PHP's max_input_vars (default: unlimited)")
    parser.add_argument('--companion-plugin', action='store_true', help='install the local_lmsops companion plugin')
    args = parser.parse_args(argv)
    settings = {}
    if args.debug:
        settings['debug'] = True
    if args.max_input_vars is not None:
        settings['max_input_vars'] = args.max_input_vars
    if args.companion_plugin:
        settings['companion_plugin'] = True
    emulator = Emulator(seed=args.seed, host=args.host, port=args.port, settings=settings).start()
    stop = threading.Event()

    def _stop(signum, frame):
        del signum, frame
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sys.stdout.write(json.dumps({'url': emulator.url, 'control': emulator.control_url, 'tokens': emulator.tokens}) + '\n')
    sys.stdout.flush()
    while not stop.wait(3600):
        pass
    emulator.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
