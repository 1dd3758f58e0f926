#!/usr/bin/env python
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The floor of the benchmark: the fewest requests a correct script needs, and nothing else.

    floor.py --resource users|enrolments|assignments --items FILE.json [--max-input-vars 5000]

Talks to MOODLE_URL with MOODLE_TOKEN through `requests` directly (not the collection's client).
It reads what it must (users by username; for enrolments and role assignments also each
course by shortname and each course's enrolled users, which core Moodle only offers one
course at a time), then writes only what is missing, in batches kept under max_input_vars.
It checks no answer beyond "is it an exception", does no validation, no diff, no retries.
Prints one JSON line: {"requests": N, "writes": N, "written": N}.
"""

import argparse
import json
import os
import sys

import requests

ROLE_IDS = {'student': 5, 'teacher': 4, 'editingteacher': 3, 'manager': 1}


class Site:
    def __init__(self, url, token, max_input_vars):
        self.endpoint = url.rstrip('/') + '/webservice/rest/server.php'
        self.token = token
        self.budget = max_input_vars - 1     # a request must carry fewer than max_input_vars fields
        self.session = requests.Session()
        self.requests = 0
        self.writes = 0

    def call(self, function, fields, write=False):
        data = [('wstoken', self.token), ('wsfunction', function), ('moodlewsrestformat', 'json')] + fields
        self.requests += 1
        self.writes += int(write)
        answer = self.session.post(self.endpoint, data=data, timeout=300).json()
        if isinstance(answer, dict) and 'exception' in answer:
            sys.exit('%s failed: %s' % (function, answer.get('message')))
        return answer

    def batched(self, function, list_key, rows, fixed=(), write=False):
        """rows: a list of dicts (or scalars) sent as list_key[i][k] (or list_key[i])."""
        answers, chunk, used = [], [], 3 + len(fixed)
        for row in rows:
            size = len(row) if isinstance(row, dict) else 1
            if chunk and used + size > self.budget:
                answers.append(self.call(function, list(fixed) + encode(list_key, chunk), write))
                chunk, used = [], 3 + len(fixed)
            chunk.append(row)
            used += size
        if chunk:
            answers.append(self.call(function, list(fixed) + encode(list_key, chunk), write))
        return answers


def encode(list_key, rows):
    fields = []
    for index, row in enumerate(rows):
        if isinstance(row, dict):
            fields.extend(('%s[%d][%s]' % (list_key, index, key), str(value)) for key, value in row.items())
        else:
            fields.append(('%s[%d]' % (list_key, index), str(row)))
    return fields


def user_ids(site, usernames):
    found = {}
    for answer in site.batched('core_user_get_users_by_field', 'values', usernames, fixed=[('field', 'username')]):
        found.update((user['username'], user['id']) for user in answer)
    return found


def course_ids(site, shortnames):
    found = {}
    for shortname in sorted(set(shortnames)):
        answer = site.call('core_course_get_courses_by_field', [('field', 'shortname'), ('value', shortname)])
        found[shortname] = answer['courses'][0]['id']
    return found


def enrolled(site, courseid):
    """{userid: set of role ids} for one course."""
    fields = [('courseid', str(courseid)), ('options[0][name]', 'userfields'), ('options[0][value]', 'id,roles')]
    answer = site.call('core_enrol_get_enrolled_users', fields)
    return dict((user['id'], set(role['roleid'] for role in user.get('roles') or [])) for user in answer)


def floor_users(site, items):
    existing = user_ids(site, [item['username'] for item in items])
    missing = [dict(item) for item in items if item['username'] not in existing]
    site.batched('core_user_create_users', 'users', missing, write=True)
    return len(missing)


def floor_enrolments(site, items):
    users = user_ids(site, [item['user'] for item in items])
    courses = course_ids(site, [item['course'] for item in items])
    current = dict((courseid, enrolled(site, courseid)) for courseid in courses.values())
    rows = []
    for item in items:
        userid, courseid = users[item['user']], courses[item['course']]
        if userid not in current[courseid]:
            rows.append({'roleid': ROLE_IDS[item.get('role', 'student')], 'userid': userid, 'courseid': courseid})
    site.batched('enrol_manual_enrol_users', 'enrolments', rows, write=True)
    return len(rows)


def floor_assignments(site, items):
    users = user_ids(site, [item['user'] for item in items])
    courses = course_ids(site, [item['instance'] for item in items])
    current = dict((courseid, enrolled(site, courseid)) for courseid in courses.values())
    rows = []
    for item in items:
        userid, courseid, roleid = users[item['user']], courses[item['instance']], ROLE_IDS[item['role']]
        if roleid not in current[courseid].get(userid, ()):
            rows.append({'roleid': roleid, 'userid': userid, 'contextlevel': 'course', 'instanceid': courseid})
    site.batched('core_role_assign_roles', 'assignments', rows, write=True)
    return len(rows)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--resource', required=True, choices=('users', 'enrolments', 'assignments'))
    parser.add_argument('--items', required=True)
    parser.add_argument('--max-input-vars', type=int, default=5000)
    args = parser.parse_args()
    with open(args.items) as handle:
        items = json.load(handle)
    site = Site(os.environ['MOODLE_URL'], os.environ['MOODLE_TOKEN'], args.max_input_vars)
    written = {'users': floor_users, 'enrolments': floor_enrolments, 'assignments': floor_assignments}[args.resource](
        site, items)
    print(json.dumps({'requests': site.requests, 'writes': site.writes, 'written': written}))


if __name__ == '__main__':
    main()
