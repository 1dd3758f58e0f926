#!/usr/bin/env python
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The floor of the benchmark: the least the server must do, asked for in the fewest requests.

    floor.py --resource users|enrolments|assignments --items FILE.json [--max-input-vars 5000]

A plain script with `requests` (not the collection's client) that knows every id beforehand
(bench/run.py looks them up, untimed) and knows nothing exists yet: it sends only the writes,
core_user_create_users, enrol_manual_enrol_users or core_role_assign_roles, in as few requests
as max_input_vars allows. It reads nothing, checks no answer beyond "is it an exception", does
no validation, no diff, no retries. Items: users as user records; enrolments as
{roleid, userid, courseid}; role assignments as {roleid, userid, courseid} (course contexts).
Prints one JSON line: {"requests": N, "writes": N, "written": N}.
"""

import argparse
import json
import os
import sys

import requests


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
        answer = self.session.post(self.endpoint, data=data, timeout=900).json()
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


def floor_users(site, items):
    site.batched('core_user_create_users', 'users', items, write=True)
    return len(items)


def floor_enrolments(site, items):
    rows = [{'roleid': item['roleid'], 'userid': item['userid'], 'courseid': item['courseid']} for item in items]
    site.batched('enrol_manual_enrol_users', 'enrolments', rows, write=True)
    return len(rows)


def floor_assignments(site, items):
    rows = [{'roleid': item['roleid'], 'userid': item['userid'], 'contextlevel': 'course', 'instanceid': item['courseid']}
            for item in items]
    site.batched('core_role_assign_roles', 'assignments', rows, write=True)
    return len(rows)


FLOORS = {'users': floor_users, 'enrolments': floor_enrolments, 'assignments': floor_assignments}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--resource', required=True, choices=sorted(FLOORS))
    parser.add_argument('--items', required=True)
    parser.add_argument('--max-input-vars', type=int, default=5000)
    args = parser.parse_args()
    with open(args.items) as handle:
        items = json.load(handle)
    site = Site(os.environ['MOODLE_URL'], os.environ['MOODLE_TOKEN'], args.max_input_vars)
    written = FLOORS[args.resource](site, items)
    print(json.dumps({'requests': site.requests, 'writes': site.writes, 'written': written}))


if __name__ == '__main__':
    main()
