#!/usr/bin/env python
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a command with a Moodle emulator (or a real Moodle site) serving on 127.0.0.1.

    with_emulator.py [--seed SEED] [--config FILE] -- COMMAND ARGS...
    with_emulator.py --site VERSION [--config FILE] -- COMMAND ARGS...

The command gets MOODLE_URL, MOODLE_TOKEN (the full token), MOODLE_LIMITED_TOKEN and
MOODLE_EMULATOR_CONTROL in its environment; with --config the same values, the site's kind
(emulator or moodle), version, PHP max_input_vars and whether the companion plugin is there are
also written as an ansible-test integration_config.yml.  With --site, a real Moodle of that
version is brought up (or reset) by hacking/moodle_site.py and its test control API served for
the run.  When MOODLE_URL and MOODLE_TOKEN are already set (a site of your own), nothing is
started and the command runs against that site.
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def start_emulator(seed, extra):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, 'tests', 'emulator'))
    proc = subprocess.Popen([sys.executable, '-m', 'moodle_emulator', '--port', '0', '--seed', seed] + extra,
                            stdout=subprocess.PIPE, env=env, text=True)
    deadline = time.time() + 20
    line = proc.stdout.readline()
    if not line or time.time() > deadline:
        proc.kill()
        sys.exit('the emulator did not start')
    return proc, json.loads(line)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--seed', default='recordings')
    parser.add_argument('--config', help='write an ansible-test integration_config.yml here')
    parser.add_argument('--emulator-arg', action='append', default=[])
    parser.add_argument('--site', help='a real Moodle site of this version (hacking/moodle_site.py)')
    parser.add_argument('command', nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ['--'] else args.command
    proc = server = None
    site = {'site_kind': 'emulator', 'version': None, 'max_input_vars': None, 'companion_plugin': False}
    if args.site:
        sys.path.insert(0, HERE)
        import moodle_site  # pylint: disable=import-outside-toplevel
        real = moodle_site.Site(args.site)
        info = real.up()
        server, control = moodle_site.serve_control(real)
        values = {'url': info['url'], 'token': info['tokens']['full'], 'limited': info['tokens']['limited'],
                  'control': control}
        site.update((key, info[key]) for key in site)
        print('Moodle %s (%s) serving at %s' % (args.site, info['release'], values['url']), flush=True)
    elif os.environ.get('MOODLE_URL') and os.environ.get('MOODLE_TOKEN'):
        values = {'url': os.environ['MOODLE_URL'], 'token': os.environ['MOODLE_TOKEN'], 'limited': '', 'control': ''}
        site['site_kind'] = 'moodle'
        print('Using the Moodle site at %s' % values['url'], flush=True)
    else:
        proc, info = start_emulator(args.seed, args.emulator_arg)
        values = {'url': info['url'], 'token': info['tokens']['full'], 'limited': info['tokens'].get('limited', ''),
                  'control': info['control']}
        print('Moodle emulator serving at %s' % values['url'], flush=True)
    env = dict(os.environ, MOODLE_URL=values['url'], MOODLE_TOKEN=values['token'],
               MOODLE_LIMITED_TOKEN=values['limited'], MOODLE_EMULATOR_CONTROL=values['control'])
    if site['max_input_vars']:
        env['MOODLE_MAX_INPUT_VARS'] = str(site['max_input_vars'])
    if args.config:
        with open(args.config, 'w') as handle:
            handle.write('# written by hacking/with_emulator.py for this run only\n')
            for key in ('url', 'token', 'limited', 'control'):
                handle.write('moodle_%s: %s\n' % ('limited_token' if key == 'limited' else key, json.dumps(values[key])))
            for key, value in site.items():
                handle.write('moodle_%s: %s\n' % (key, json.dumps(value)))
    try:
        code = subprocess.call(command, env=env)
    finally:
        if server:
            server.shutdown()
        if proc:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    sys.exit(code)


if __name__ == '__main__':
    main()
