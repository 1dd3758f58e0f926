# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turning what people write (a username, a course shortname, a role shortname) into Moodle ids.

All look-ups are batched.  Roles cannot be listed through core Moodle web services, so
role shortnames resolve from the companion plugin when the service offers it, otherwise
from the standard roles a fresh install creates, cross-checked against every
(id, shortname) pair the site shows; a contradiction fails safe.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.lmsops.moodle.plugins.module_utils.client import MoodleError

# A fresh Moodle install creates these roles with these ids.
STANDARD_ROLES = {'manager': 1, 'coursecreator': 2, 'editingteacher': 3, 'teacher': 4, 'student': 5,
                  'guest': 6, 'user': 7, 'frontpage': 8}
# Where each standard role can be assigned by default (the module's context names).
STANDARD_ASSIGNABLE = {
    'manager': ('system', 'category', 'course'),
    'coursecreator': ('system', 'category'),
    'editingteacher': ('course', 'module'),
    'teacher': ('course', 'module'),
    'student': ('course', 'module'),
    'guest': (),
    'user': (),
    'frontpage': (),
}
# The plugin reports Moodle's context level names; the modules use friendlier ones.
MOODLE_LEVEL_TO_CONTEXT = {'system': 'system', 'coursecat': 'category', 'course': 'course', 'module': 'module',
                           'user': 'user', 'block': 'block'}

_DELETED_EMAIL = re.compile(r'^[0-9a-f]{32}$')


class Missing(str):
    """A look-up problem that means "there is no such object" (not ambiguous, not deleted).

    It reads as its message; ``what`` (``user with username``), ``value`` and ``hint`` (what follows them) let a
    module treat it apart: in check mode an earlier task of the same run may create the object.
    """

    def __new__(cls, what, value, hint=''):
        text = str.__new__(cls, 'no %s %r%s' % (what, value, hint))
        text.what = what
        text.value = value
        text.hint = hint
        return text


def is_deleted_user(user):
    """Moodle's soft delete renames a user (email.timestamp) and md5s the e-mail address."""
    return bool(_DELETED_EMAIL.match(user.get('email') or '')) and bool(re.search(r'\.\d{9,}$', user.get('username') or ''))


def resolve_users(api, field, values):
    """Map each value of ``field`` (username, email, idnumber, id) to its user.

    Returns ``(found, problems)``: found maps the value as given to the user dict, problems
    maps a value to why it did not resolve (unknown, deleted, ambiguous).
    """
    wanted = list(dict.fromkeys(values))
    key = (lambda v: str(v).lower()) if field == 'email' else str
    if field == 'id':
        lookup = [int(v) for v in wanted]
    elif field == 'email':
        # Moodle matches e-mail addresses exactly: ask for each as written and in lowercase.
        lookup = list(dict.fromkeys(e for v in wanted for e in (str(v), str(v).lower())))
    else:
        lookup = wanted
    by_key = {}
    for user in api.get_users_by_field(field, lookup):
        if user['id'] not in [u['id'] for u in by_key.get(key(user.get(field)), [])]:
            by_key.setdefault(key(user.get(field)), []).append(user)
    found, problems = {}, {}
    for value in wanted:
        users = by_key.get(key(value), [])
        if not users:
            problems[value] = Missing('user with %s' % field, value)
        elif len(users) > 1:
            problems[value] = '%d users have %s %r (%s); use user_field: username' % (
                len(users), field, value, ', '.join(u['username'] for u in users))
        elif is_deleted_user(users[0]):
            problems[value] = 'user id %s was deleted' % value
        else:
            found[value] = users[0]
    return found, problems


def resolve_courses(api, field, values):
    """Map each course value (shortname, idnumber, id) to its course; ``(found, problems)``."""
    wanted = list(dict.fromkeys(values))
    courses = api.get_courses('id' if field == 'id' else field, [int(v) for v in wanted] if field == 'id' else wanted)
    by_key = {}
    for course in courses:
        by_key.setdefault(str(course.get(field)), []).append(course)
    found, problems = {}, {}
    for value in wanted:
        matches = by_key.get(str(value), [])
        if not matches:
            problems[value] = Missing('course with %s' % field, value,
                                      ' (or the token user cannot see course idnumbers: it needs moodle/course:update)'
                                      if field == 'idnumber' else '')
        elif len(matches) > 1:
            problems[value] = '%d courses have %s %r; use course_field: shortname or id' % (len(matches), field, value)
        else:
            found[value] = matches[0]
    if problems and field == 'shortname':
        _suggest_shortnames(api, problems)
    return found, problems


def loose(text):
    """A shortname as a person remembers it: no case, no spaces or punctuation."""
    return re.sub(r'[\W_]+', '', str(text)).lower()


def _suggest_shortnames(api, problems):
    """For each missing shortname, the site's shortnames that differ only in case or punctuation (one read of every
    course, on this failure path only; Moodle compares shortnames exactly on PostgreSQL)."""
    missing = dict((loose(value), value) for value, problem in problems.items() if isinstance(problem, Missing))
    if not missing:
        return
    close = {}
    for course in api.get_courses_by_field('', ''):
        if course.get('format') == 'site':     # the front page is not a course anyone enrols in
            continue
        value = missing.get(loose(course.get('shortname') or ''))
        if value is not None and course.get('shortname') != value:
            close.setdefault(value, []).append(course['shortname'])
    for value, shortnames in close.items():
        problems[value] = Missing('course with shortname', value, ' (did you mean %s?)'
                                  % ' or '.join(repr(name) for name in sorted(shortnames)))


def resolve_categories(api, field, values):
    """Map each category value (id, idnumber) to its category; ``(found, problems)``."""
    found, problems = {}, {}
    for value in dict.fromkeys(values):
        matches = api.get_categories(field, value)
        matches = [c for c in matches if str(c.get(field)) == str(value)]
        if len(matches) == 1:
            found[value] = matches[0]
        elif matches:
            problems[value] = '%d categories have %s %r; use instance_field: id' % (len(matches), field, value)
        else:
            problems[value] = Missing('course category with %s' % field, value,
                                      ' (or the token user cannot see category idnumbers: it needs moodle/category:manage)'
                                      if field == 'idnumber' else '')
    return found, problems


class RoleCatalogue:
    """Role shortnames and ids, and where each role can be assigned.

    ``exact`` is true when the list comes from the site itself (the companion plugin);
    otherwise it is the standard roles of a fresh install, which every (id, shortname) pair
    the site shows is checked against with ``observe``.
    """

    def __init__(self, api):
        self.exact = api.plugin_available()
        self.by_shortname = {}
        self.by_id = {}
        self.levels = {}
        if self.exact:
            for role in api.plugin_get_roles():
                self.by_shortname[role['shortname']] = role['id']
                self.by_id[role['id']] = role['shortname']
                self.levels[role['id']] = set(MOODLE_LEVEL_TO_CONTEXT.get(level, level)
                                              for level in role.get('contextlevels') or [])
        else:
            for shortname, roleid in STANDARD_ROLES.items():
                self.by_shortname[shortname] = roleid
                self.by_id[roleid] = shortname
                self.levels[roleid] = set(STANDARD_ASSIGNABLE[shortname])
        self.contradictions = []

    def observe(self, roleid, shortname):
        """Check a pair the site showed (an enrolled user's role) against the catalogue."""
        known = self.by_id.get(roleid)
        if known is not None and known != shortname:
            self.contradictions.append('the site shows role id %s as %r, not %r' % (roleid, shortname, known))
        elif known is None and shortname in self.by_shortname:
            self.contradictions.append('the site shows %r with id %s, not %s'
                                       % (shortname, roleid, self.by_shortname[shortname]))
        elif known is None:
            self.by_id[roleid] = shortname
            self.by_shortname[shortname] = roleid

    def check(self):
        """Fail safe: refuse to write when the site contradicts the assumed role ids."""
        if self.contradictions:
            raise MoodleError(
                'Role ids on this site differ from the standard ones (%s); refusing to guess which role is meant'
                % '; '.join(sorted(set(self.contradictions))), kind='role_mismatch',
                hint='Give role_id explicitly, or install the companion plugin local_lmsops and add its functions to '
                     'the service so roles are read from the site')

    def role_id(self, shortname):
        """The id of a role shortname, or None when unknown."""
        return self.by_shortname.get(shortname)

    def shortname(self, roleid):
        return self.by_id.get(roleid)

    def assignable(self, roleid, context):
        """True/False when known, None when the role is not in the catalogue (role_id of a custom role)."""
        if roleid not in self.levels:
            return None
        return context in self.levels[roleid]
