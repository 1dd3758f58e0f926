# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replay every exchange recorded on each real Moodle version against a fresh emulator told to be that
version, over real HTTP, and compare (hacking/record_conformance.py re-records them)."""

from __future__ import annotations

import json
import os
import re

import pytest
import requests

from moodle_emulator import Emulator  # pylint: disable=import-error

RECORDINGS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'recordings')

FOLDERS = ('debug-off', 'debug-on')
# Each recorded version and the emulator seed that makes the emulator that version.
VERSIONS = {'4.5': 'recordings-4.5', '5.1': 'recordings'}
RECORDED_SITE = 'https://moodle.example.test'

# The values the recordings README lists as differing from one site or run to the next.
VOLATILE_KEYS = ('timemodified', 'timecreated', 'cacherev', 'userprivateaccesskey', 'version')
THEME_REV = re.compile(r'(/theme/image\.php/boost/core/)\d+(/)')
DELETED_USERNAME = re.compile(r'^(.+)\.\d{9,}$')
MD5 = re.compile(r'^[0-9a-f]{32}$')
XML_VOLATILE = re.compile(r'(<KEY name="(?:%s)">)<VALUE>[^<]*</VALUE>' % '|'.join(VOLATILE_KEYS))


def _index(folder):
    """folder is VERSION/debug-off or VERSION/debug-on."""
    with open(os.path.join(RECORDINGS_DIR, folder, 'INDEX.json'), encoding='utf-8') as handle:
        return [entry['name'] for entry in json.load(handle)]


def _recording(folder, name):
    with open(os.path.join(RECORDINGS_DIR, folder, name + '.json'), encoding='utf-8') as handle:
        return json.load(handle)


CASES = [(version + '/' + folder, position, name) for version in sorted(VERSIONS) for folder in FOLDERS
         for position, name in enumerate(_index(version + '/' + folder))]


def normalise(value, site_url):
    """Blank out the volatile values; the emulator's URL stands for the recorded site URL."""
    if isinstance(value, dict):
        result = {}
        for key, sub in value.items():
            if key in VOLATILE_KEYS:
                result[key] = '<VOLATILE>'
            elif key == 'email' and isinstance(sub, str) and MD5.match(sub):
                result[key] = '<MD5>'
            elif key == 'username' and isinstance(sub, str) and DELETED_USERNAME.match(sub):
                result[key] = DELETED_USERNAME.sub(r'\1.<TIMESTAMP>', sub)
            else:
                result[key] = normalise(sub, site_url)
        return result
    if isinstance(value, list):
        return [normalise(sub, site_url) for sub in value]
    if isinstance(value, str):
        return THEME_REV.sub(r'\1<REV>\2', value.replace(site_url, RECORDED_SITE))
    return value


def normalise_xml(body, site_url):
    """The same for XML bodies."""
    body = body.replace(site_url, RECORDED_SITE)
    body = XML_VOLATILE.sub(r'\1<VALUE><VOLATILE></VALUE>', body)
    return THEME_REV.sub(r'\1<REV>\2', body)


class Replay:
    """One emulator per folder, advanced through the recordings in order."""

    def __init__(self, folder):
        self.folder = folder
        self.seed = VERSIONS[folder.split('/')[0]]
        self.emulator = Emulator(seed=self.seed).start()
        self.session = requests.Session()
        self.position = None

    def control(self, route, body):
        """POST to the control API."""
        answer = self.session.post(self.emulator.control_url + '/' + route, json=body, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def reset(self):
        """Fresh site for the start of the sequence."""
        self.control('reseed', {'seed': self.seed})
        self.control('settings', {'debug': self.folder.endswith('debug-on')})
        self.position = 0

    def prepare(self, position):
        """The site switches of the recorded sequence: web services off, then REST off, then both on."""
        if position == 0:
            self.control('settings', {'enablewebservices': False, 'rest_enabled': True})
        elif position == 1:
            self.control('settings', {'enablewebservices': True, 'rest_enabled': False})
        elif position == 2:
            self.control('settings', {'enablewebservices': True, 'rest_enabled': True})

    def send(self, recording):
        """Send a recorded request as recorded."""
        request = recording['request']
        tokens = self.emulator.tokens
        token = {'<FULL_TOKEN>': tokens['full'], '<LIMITED_TOKEN>': tokens['limited']}.get(request['wstoken'], request['wstoken'])
        fields = [('wstoken', token), ('wsfunction', request['wsfunction'])]
        if request.get('moodlewsrestformat'):
            fields.append(('moodlewsrestformat', request['moodlewsrestformat']))
        fields.extend(request['params'].items())
        url = self.emulator.url + '/webservice/rest/server.php'
        if request['method'] == 'GET':
            return self.session.get(url, params=fields, timeout=30)
        return self.session.post(url, data=fields, timeout=30)

    def advance_to(self, position, names):
        """Replay everything before position (when a test is run on its own)."""
        if self.position is None or self.position > position:
            self.reset()
        while self.position < position:
            self.prepare(self.position)
            self.send(_recording(self.folder, names[self.position]))
            self.position += 1
        self.prepare(position)


@pytest.fixture(name='replays', scope='module')
def fixture_replays():
    """Per-folder replays shared by the module's tests."""
    created = {}
    yield created
    for replay in created.values():
        replay.session.close()
        replay.emulator.stop()


@pytest.mark.parametrize('folder,position,name', CASES, ids=['%s/%02d-%s' % c for c in CASES])
def test_recording(replays, folder, position, name):
    """The emulator answers this recorded call exactly as the real site did."""
    if folder not in replays:
        replays[folder] = Replay(folder)
    replay = replays[folder]
    names = _index(folder)
    replay.advance_to(position, names)
    recording = _recording(folder, name)
    answer = replay.send(recording)
    replay.position = position + 1
    expected = recording['response']
    site_url = replay.emulator.url
    assert answer.status_code == expected['status']
    assert answer.headers.get('Content-Type') == expected['content_type']
    if expected['content_type'].startswith('application/json'):
        recorded = json.loads(expected['body']) if expected.get('body') is not None else expected['json']
        assert normalise(answer.json(), site_url) == normalise(recorded, site_url)
    elif expected['content_type'].startswith('application/xml'):
        assert normalise_xml(answer.text, site_url) == normalise_xml(expected['body'], site_url)
    else:
        assert answer.text == expected['body']
