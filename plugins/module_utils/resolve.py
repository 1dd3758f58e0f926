# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turning what people write (a username, a course shortname, a role shortname) into Moodle ids.

All look-ups are batched.  Roles cannot be listed through core Moodle web services, so
role shortnames resolve from the companion plugin when the service offers it, otherwise
from the standard roles a fresh install creates, cross-checked against every
(id, shortname) pair the site shows; a contradiction fails safe.

FOR INTERNAL USE OF THE lmsops.moodle COLLECTION ONLY: module_utils are not a public API; they change in any
release without notice (see docs/architecture.md).
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


# Fields a user list read for another purpose can answer a look-up by: each names one user. E-mail addresses and
# idnumbers may be shared, so a list's match on them is only taken where nothing is written (see UserDirectory).
UNIQUE_USER_FIELDS = ('id', 'username')
SHARED_USER_FIELDS = ('email', 'idnumber')
# Read the whole site's user list (the front page's enrolled users, id and one field: about 0.6 ms a user on 5.1)
# instead of looking users up by field (a full profile each: about 3-4 ms a user) when at least this many
# values are left and the site has at most SITE_LIST_FACTOR users per value left.
SITE_LIST_MIN = 50
SITE_LIST_FACTOR = 4


def _spellings(field, value):
    """The stored values a look-up value matches, as core_user_get_users_by_field matches them (exactly; an e-mail
    address is asked as written and in lowercase, see resolve_users)."""
    if field == 'email':
        return list(dict.fromkeys((str(value), str(value).lower())))
    return [str(value)]


class UserDirectory:
    """Resolves users from what the run has already read, and looks up only the rest, each value once.

    The enrolled users a module reads anyway (a course's) are fed to :meth:`learn`; a look-up by id or username they
    answer needs no request. A match by e-mail or idnumber is *provisional* (another user may share the value): it is
    good for a comparison, and :meth:`confirm` checks it site-wide before anything is written for it. Values left
    over are looked up with core_user_get_users_by_field (the plugin's light read when offered), or, without the
    plugin, when many are left on a small site, answered by one read of the site's user list.
    """

    def __init__(self, api):
        self.api = api
        self.index = dict((field, {}) for field in UNIQUE_USER_FIELDS + SHARED_USER_FIELDS)  # field -> value -> {id: user}
        self.provisional = set()    # (field, value) resolved from a list by a field users may share
        self.answered = {}          # (field, value) -> (user, problem) of a site-wide look-up

    def learn(self, users):
        """Keep the identity of each user record read (a course's enrolled users, the site's users)."""
        for user in users:
            if is_deleted_user(user):
                continue
            identity = dict((field, user[field]) for field in self.index if user.get(field) not in (None, ''))
            for field, value in identity.items():
                self.index[field].setdefault(str(value), {}).setdefault(user['id'], {}).update(identity)

    def known(self, field, value):
        """The one user already read that this value names, or None (none, or several)."""
        users = {}
        for spelling in _spellings(field, value):
            users.update(self.index[field].get(spelling, {}))
        return list(users.values())[0] if len(users) == 1 else None

    def resolve(self, field, values):
        """Like :func:`resolve_users` (``(found, problems)``), answering from the users already read first."""
        values = list(dict.fromkeys(values))
        found = self._from_known(field, values)
        rest = [value for value in values if value not in found]
        if (field in UNIQUE_USER_FIELDS and len(rest) >= SITE_LIST_MIN and not self.api.offers('local_lmsops_get_users')
                and self._read_site_list(field, len(rest))):
            found.update(self._from_known(field, rest))
            rest = [value for value in values if value not in found]
        more, problems = self._look_up(field, rest)
        found.update(more)
        return found, problems

    def _from_known(self, field, values):
        found = {}
        for value in values:
            user = self.known(field, value)
            if user is not None:
                found[value] = user
                if field in SHARED_USER_FIELDS:
                    self.provisional.add((field, value))
        return found

    def confirm(self, field, values):
        """{value: problem} for provisional matches that a site-wide look-up does not give to the same one user
        (ambiguous: the problem resolve_users reports)."""
        values = [value for value in dict.fromkeys(values) if (field, value) in self.provisional]
        found, problems = self._look_up(field, values)
        for value in values:
            if value not in problems and found[value]['id'] != self.known(field, value)['id']:
                problems[value] = 'user with %s %r changed during the run; run again' % (field, value)
        return problems

    def confirm_named(self, named):
        """:meth:`confirm` for ``(label, field, value, prefix)`` entries of several fields: ``[(label, prefix +
        problem)]`` in the order of the fields, then of the entries."""
        found = []
        for field in sorted(set(entry[1] for entry in named)):
            problems = self.confirm(field, [value for dummy, name, value, dummy2 in named if name == field])
            found.extend((label, prefix + problems[value]) for label, name, value, prefix in named
                         if name == field and value in problems)
        return found

    def _look_up(self, field, values):
        """core_user_get_users_by_field, in one batched read, for the values not asked yet in this run."""
        ask = [value for value in values if (field, value) not in self.answered]
        if ask:
            found, problems = resolve_users(self.api, field, ask)
            for value in ask:
                self.answered[(field, value)] = (found.get(value), problems.get(value))
        found, problems = {}, {}
        for value in values:
            user, problem = self.answered[(field, value)]
            if user is not None:
                found[value] = user
            else:
                problems[value] = problem
        return found, problems

    def _read_site_list(self, field, left):
        """Learn every user of a small site (id and ``field``) in one read; False when it would not pay."""
        users = read_site_list(self.api, tuple(dict.fromkeys(('id', field))), left)
        self.learn(users or [])
        return users is not None


def read_site_list(api, fields, left, factor=SITE_LIST_FACTOR):
    """Every user of the site with only ``fields`` (core_enrol_get_enrolled_users on the site course), when the site
    has at most ``factor`` users per value ``left`` to look up (one probe read past that many users says); None when
    it is larger, or the token may not list the site's users (moodle/site:viewparticipants)."""
    siteid = api.site_course_id()
    try:
        if api.get_enrolled_users(siteid, fields=('id',), limitfrom=factor * left, limitnumber=1):
            return None
        return api.get_enrolled_users(siteid, fields=fields)
    except MoodleError as error:
        if error.kind != 'permission' and error.errorcode != 'errorcoursecontextnotvalid':
            raise
    return None


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

    def resolve(self, shortname=None, roleid=None):
        """(roleid, shortname, problem) of a role named by its shortname or its id. The shortname of an id is None
        when core Moodle cannot tell it (a custom role); an id the site does not have, or a shortname nobody knows,
        is a problem."""
        if roleid is not None:
            name = self.shortname(roleid)
            if name is None and self.exact:
                return None, None, 'no role with id %s on this site (its roles: %s)' % (roleid, ', '.join(
                    '%s=%s' % (known, rid) for known, rid in sorted(self.by_shortname.items())))
            return roleid, name, None
        found = self.role_id(shortname)
        if found is None:
            return None, None, self._unknown_shortname(shortname)
        return found, shortname, None

    def _unknown_shortname(self, shortname):
        known = ', '.join(sorted(self.by_shortname))
        if self.exact:
            return 'no role with shortname %r on this site (its roles: %s)' % (shortname, known)
        return ('no role with shortname %r: it is not a standard Moodle role and no enrolled user in the courses read '
                'holds it (known: %s); core Moodle cannot list roles: give role_id (Define roles shows it), or install '
                'the companion plugin local_lmsops' % (shortname, known))

    def where_assignable(self, roleid):
        """Where a role can be assigned, for messages: on this site (exact), or by Moodle's default settings."""
        levels = [name for name in ('system', 'category', 'course', 'module', 'user', 'block')
                  if name in self.levels.get(roleid, ())]
        where = ('it can be assigned in: %s' % ', '.join(levels)) if levels else 'it cannot be assigned in any context'
        if self.exact:
            return 'on this site %s' % where
        return ('by Moodle\'s default settings %s (a site that allows more: give role_id, or install the companion '
                'plugin local_lmsops so the site\'s own settings are read)' % where)
