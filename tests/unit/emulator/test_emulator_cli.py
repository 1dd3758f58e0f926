# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The command line: one JSON line on stdout, serves until SIGTERM."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import requests

EMULATOR_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'emulator'))


def start(*args):
    env = dict(os.environ, PYTHONPATH=EMULATOR_DIR)
    started = time.monotonic()
    process = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, '-m', 'moodle_emulator', '--port', '0', *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    line = process.stdout.readline()
    return process, json.loads(line), time.monotonic() - started


def test_cli_starts_fast_and_serves(tmp_path):
    process, info, elapsed = start('--seed', 'recordings')
    try:
        assert elapsed < 1.0
        assert info['url'].startswith('http://127.0.0.1:')
        assert info['control'] == info['url'] + '/__emulator__'
        assert set(info['tokens']) == {'full', 'limited'}
        answer = requests.post(info['url'] + '/webservice/rest/server.php', timeout=10, data={
            'wstoken': info['tokens']['full'], 'wsfunction': 'core_webservice_get_site_info', 'moodlewsrestformat': 'json'})
        assert answer.json()['siteurl'] == info['url']
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0
        process.stdout.close()
        process.stderr.close()
    del tmp_path


def test_cli_debug_limit_and_seed_file(tmp_path):
    seed = tmp_path / 'seed.json'
    seed.write_text(json.dumps({
        'users': [{'id': 2, 'username': 'admin', 'firstname': 'A', 'lastname': 'U', 'email': 'a@x.test', 'siteadmin': True}],
        'services': [{'shortname': 's', 'functions': ['core_webservice_get_site_info']}],
        'tokens': [{'name': 'full', 'token': 'c' * 32, 'user': 'admin', 'service': 's'}]}))
    process, info, _elapsed = start('--seed', str(seed), '--debug', '--max-input-vars', '1000')
    try:
        assert info['tokens'] == {'full': 'c' * 32}
        settings = requests.get(info['control'] + '/settings', timeout=10).json()
        assert (settings['debug'], settings['max_input_vars']) == (True, 1000)
    finally:
        process.terminate()
        process.wait(timeout=5)
        process.stdout.close()
        process.stderr.close()
