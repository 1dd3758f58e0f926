#!/usr/bin/env python
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Re-record the conformance exchanges from a real Moodle site into the emulator's fixtures.

    record_conformance.py VERSION [--out DIR]

Brings the real site of VERSION up (hacking/moodle_site.py), puts it back to the state the recordings
start from (a fresh install with the three test courses, admin's tokens for the services
lmsops_full and lmsops_limited), then replays every request of the sequence named in
tests/unit/emulator/recordings/<VERSION>/<folder>/INDEX.json (or, for a new version, the 5.1 one),
once with debugging off and once with developer debugging on, switching web services and REST off
for the first two calls as the sequence says. Each answer is written over the fixture: the site's
URL as https://moodle.example.test, the tokens as <FULL_TOKEN>/<LIMITED_TOKEN>, private keys as
<PRIVATE_KEY>. The site is left in its provisioned state afterwards.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import moodle_site  # noqa: E402  pylint: disable=wrong-import-position

RECORDINGS = os.path.join(ROOT, 'tests', 'unit', 'emulator', 'recordings')
RECORDED_SITE = 'https://moodle.example.test'
FOLDERS = ('debug-off', 'debug-on')
# The services of the recording site (tests/emulator/moodle_emulator/seeds/recordings.yaml says the same).
SERVICES = [
    {'shortname': 'lmsops_full', 'name': 'LMS Ops (full)', 'token': 'full', 'functions': [
        'core_webservice_get_site_info', 'core_user_get_users_by_field', 'core_user_get_users',
        'core_user_create_users', 'core_user_update_users', 'core_user_delete_users',
        'core_course_get_courses_by_field', 'core_course_get_categories', 'enrol_manual_enrol_users',
        'enrol_manual_unenrol_users', 'core_enrol_get_enrolled_users', 'core_enrol_get_course_enrolment_methods',
        'core_enrol_get_users_courses', 'core_role_assign_roles', 'core_role_unassign_roles',
        'core_course_create_courses', 'core_course_create_categories', 'core_course_update_categories',
        'core_course_delete_categories', 'core_course_update_courses', 'core_course_delete_courses',
        'core_cohort_create_cohorts',
        'core_cohort_add_cohort_members', 'core_group_create_groups', 'core_group_add_group_members']},
    {'shortname': 'lmsops_limited', 'name': 'LMS Ops (limited)', 'token': 'limited', 'functions': [
        'core_webservice_get_site_info', 'core_user_get_users_by_field']},
]
# Web services and REST for the first calls of the sequence: (enablewebservices, webserviceprotocols).
SWITCHES = {0: ('0', 'rest'), 1: ('1', ''), 2: ('1', 'rest')}


class Recorder:
    """Replays one folder's sequence on the real site and keeps the answers."""

    def __init__(self, site, info):
        self.site = site
        self.url = info['url']
        self.session = requests.Session()
        self.tokens = {}

    def cfg(self, name, value):
        self.site.php(['admin/cli/cfg.php', '--name=' + name, '--set=' + value])

    def start(self, debug):
        self.site.reset('fresh')
        with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as handle:
            json.dump({'services': SERVICES}, handle)
        try:
            os.chmod(handle.name, 0o644)
            out = self.site.php([self.site.tool('recording_tokens.php'),
                                 '--moodle-dir=' + self.site.code, '--spec=' + handle.name])
        finally:
            os.unlink(handle.name)
        self.tokens = json.loads(out.strip().splitlines()[-1])
        self.cfg('debug', '32767' if debug else '0')

    def send(self, request):
        token = {'<FULL_TOKEN>': self.tokens['full'], '<LIMITED_TOKEN>': self.tokens['limited']}.get(
            request['wstoken'], request['wstoken'])
        fields = [('wstoken', token), ('wsfunction', request['wsfunction'])]
        if request.get('moodlewsrestformat'):
            fields.append(('moodlewsrestformat', request['moodlewsrestformat']))
        fields.extend(request['params'].items())
        endpoint = self.url + '/webservice/rest/server.php'
        started = time.time()
        if request['method'] == 'GET':
            answer = self.session.get(endpoint, params=fields, timeout=120)
        else:
            answer = self.session.post(endpoint, data=fields, timeout=120)
        return answer, round(time.time() - started, 3)

    def scrub(self, value):
        """The site's URL and secrets as the fixtures write them."""
        if isinstance(value, dict):
            return {key: '<PRIVATE_KEY>' if key == 'userprivateaccesskey' else self.scrub(sub)
                    for key, sub in value.items()}
        if isinstance(value, list):
            return [self.scrub(sub) for sub in value]
        if isinstance(value, str):
            for token, placeholder in ((self.tokens['full'], '<FULL_TOKEN>'), (self.tokens['limited'], '<LIMITED_TOKEN>')):
                value = value.replace(token, placeholder)
            return value.replace(self.url, RECORDED_SITE)
        return value

    def record(self, recording, position):
        if position in SWITCHES:
            enabled, protocols = SWITCHES[position]
            self.cfg('enablewebservices', enabled)
            self.cfg('webserviceprotocols', protocols)
        answer, elapsed = self.send(recording['request'])
        ctype = answer.headers.get('Content-Type')
        response = {'status': answer.status_code, 'content_type': ctype, 'body': None, 'json': None}
        parsed = answer.json() if ctype and ctype.startswith('application/json') and answer.text else None
        if parsed is not None:
            response['json'] = self.scrub(parsed)
        else:
            # Not JSON, or JSON's literal null (functions without a return value): kept as the raw body.
            response['body'] = self.scrub(answer.text)
        return dict(recording, response=response, elapsed_s=elapsed)


def sequence(version, folder):
    """The INDEX of this version's folder, or of the 5.1 recordings for a version not recorded yet."""
    for base in (os.path.join(RECORDINGS, version, folder), os.path.join(RECORDINGS, '5.1', folder)):
        if os.path.exists(os.path.join(base, 'INDEX.json')):
            with open(os.path.join(base, 'INDEX.json')) as handle:
                return base, json.load(handle)
    raise SystemExit('record_conformance: no INDEX.json to replay for %s/%s' % (version, folder))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('version', choices=sorted(moodle_site.PROFILES))
    parser.add_argument('--out', help='where to write (default tests/unit/emulator/recordings/VERSION)')
    args = parser.parse_args()
    site = moodle_site.Site(args.version)
    info = site.up()
    out = args.out or os.path.join(RECORDINGS, args.version)
    recorder = Recorder(site, info)
    try:
        for folder in FOLDERS:
            source, index = sequence(args.version, folder)
            recorder.start(debug=folder == 'debug-on')
            target = os.path.join(out, folder)
            os.makedirs(target, exist_ok=True)
            written = []
            for position, entry in enumerate(index):
                with open(os.path.join(source, entry['name'] + '.json')) as handle:
                    recorded = recorder.record(json.load(handle), position)
                with open(os.path.join(target, entry['name'] + '.json'), 'w') as handle:
                    json.dump(recorded, handle, indent=1, ensure_ascii=False)
                    handle.write('\n')
                written.append({'name': entry['name'], 'wsfunction': entry['wsfunction'],
                                'status': recorded['response']['status'], 'note': entry.get('note', '')})
            with open(os.path.join(target, 'INDEX.json'), 'w') as handle:
                json.dump(written, handle, indent=1)
                handle.write('\n')
            print('record_conformance: %d exchanges from Moodle %s (%s) into %s' % (
                len(written), args.version, info['release'], os.path.relpath(target, ROOT)), flush=True)
    finally:
        site.reset()
    subprocess.run(['git', '-C', ROOT, 'status', '--short', '--', out], check=False)


if __name__ == '__main__':
    main()
