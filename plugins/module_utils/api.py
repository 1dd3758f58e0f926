# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One place per Moodle web-service function: its parameters, batching and answer checks.

Modules never build request parameters themselves; they call these methods, which know
each function's list key, whether it writes, and how to check that an answer covers what
was sent.

FOR INTERNAL USE OF THE lmsops.moodle COLLECTION ONLY: module_utils are not a public API; they change in any
release without notice (see docs/architecture.md).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.lmsops.moodle.plugins.module_utils.client import (
    ADMIN_SERVICE_FUNCTIONS, MoodleError, incomplete_answer)

PLUGIN_FUNCTIONS = ('local_lmsops_get_roles', 'local_lmsops_get_role_assignments', 'local_lmsops_get_user_enrolments')
# The companion plugin's light bulk reads (local_lmsops 1.2.0): each used when the service offers it.
PLUGIN_BULK_FUNCTIONS = ('local_lmsops_get_users', 'local_lmsops_get_enrolments', 'local_lmsops_list_role_assignments')

# Options of an enrol_manual_enrol_users item that Moodle reads as 0 when they are not sent.
ENROL_ZERO_DEFAULTS = ('timestart', 'timeend', 'suspend')

# Context level names as core_role_assign_roles expects them (numbers are rejected).
CONTEXT_LEVELS = {
    'system': 'system',
    'category': 'coursecat',
    'course': 'course',
    'module': 'module',
    'user': 'user',
    'block': 'block',
}

# The functions each module needs in the token's service.
REQUIRED_FUNCTIONS = {
    'moodle_site_info': ['core_webservice_get_site_info'],
    'moodle_user': ['core_webservice_get_site_info', 'core_user_get_users_by_field', 'core_user_create_users',
                    'core_user_update_users', 'core_user_delete_users'],
    'moodle_enrolment': ['core_webservice_get_site_info', 'core_user_get_users_by_field',
                         'core_course_get_courses_by_field', 'core_enrol_get_enrolled_users',
                         'enrol_manual_enrol_users', 'enrol_manual_unenrol_users'],
    'moodle_course_category': ['core_webservice_get_site_info', 'core_course_get_categories',
                               'core_course_get_courses_by_field', 'core_course_create_categories',
                               'core_course_update_categories', 'core_course_delete_categories'],
    'moodle_role_assignment': ['core_webservice_get_site_info', 'core_user_get_users_by_field',
                               'core_course_get_courses_by_field', 'core_course_get_categories',
                               'core_enrol_get_enrolled_users', 'core_role_assign_roles', 'core_role_unassign_roles'],
}


class MoodleAPI:
    """Typed access to the web-service functions the collection uses."""

    def __init__(self, client):
        self.client = client
        self._site_info = None

    # -- site -------------------------------------------------------------------------
    def site_info(self):
        if self._site_info is None:
            self._site_info = self.client.call('core_webservice_get_site_info')
        return self._site_info

    def offered_functions(self):
        return set(f.get('name') for f in self.site_info().get('functions') or [])

    def offers(self, *functions):
        offered = self.offered_functions()
        return all(name in offered for name in functions)

    def plugin_available(self):
        return self.offers(*PLUGIN_FUNCTIONS)

    def require(self, functions):
        """Fail before any other call when the service lacks a function the module needs."""
        missing = [name for name in functions if name not in self.offered_functions()]
        if missing:
            raise MoodleError(
                'The token\'s web service does not offer %s' % ', '.join(missing), kind='access',
                hint='Add them to the service at %s' % ADMIN_SERVICE_FUNCTIONS)

    # -- users ------------------------------------------------------------------------
    def get_users_by_field(self, field, values):
        """Users whose ``field`` (id, idnumber, username, email) is one of ``values``; missing ones are absent.

        With the companion plugin's local_lmsops_get_users, one light read of the compared fields (core builds a
        full profile of each user: about 3-4 ms a user on 5.1); core_user_get_users_by_field otherwise, or when the
        token user lacks the capabilities the plugin asks for all at once (core skips what it may not see).
        """
        values = [v for v in dict.fromkeys(values) if v not in (None, '')]
        if not values:
            return []
        if self.offers('local_lmsops_get_users'):
            try:
                return self._plugin_pages('local_lmsops_get_users', 'users', 'values', values, {'field': field})
            except MoodleError as error:
                if error.kind != 'permission':
                    raise
        found = []
        for dummy, answer in self.client.call_batched('core_user_get_users_by_field', 'values', values,
                                                      extra={'field': field}):
            found.extend(answer or [])
        return found

    def create_users(self, users):
        """Create users; returns [{id, username}] and checks every username sent came back."""
        def verify(chunk, answer):
            sent = [u['username'] for u in chunk]
            received = [u.get('username') for u in answer or []]
            if sorted(sent) != sorted(received):
                raise incomplete_answer('core_user_create_users', sent, received, 'users')
        created = []
        for dummy, answer in self.client.call_batched('core_user_create_users', 'users', users, write=True,
                                                      verify=verify):
            created.extend(answer)
        return created

    def update_users(self, users):
        """Update users (each dict carries ``id``); returns Moodle's per-item warnings."""
        warnings = []
        for dummy, answer in self.client.call_batched('core_user_update_users', 'users', users, write=True):
            warnings.extend((answer or {}).get('warnings') or [])
        return warnings

    def delete_users(self, userids):
        self.client.call_batched('core_user_delete_users', 'userids', list(userids), write=True)

    # -- courses and categories --------------------------------------------------------
    def get_courses_by_field(self, field, value):
        answer = self.client.call('core_course_get_courses_by_field', {'field': field, 'value': value})
        return (answer or {}).get('courses') or []

    def _courses_by_ids(self, ids):
        """One 'ids' read; Moodle 4.5 and 5.1 fail it with a PHP Error when one id has no course, so
        then each id is read on its own (a missing one simply returns nothing)."""
        try:
            return self.get_courses_by_field('ids', ','.join(str(v) for v in ids))
        except MoodleError as error:
            if error.kind != 'php_error':
                raise
        courses = []
        for value in ids:
            courses.extend(self.get_courses_by_field('id', value))
        return courses

    def get_courses(self, field, values):
        """Courses by id, shortname or idnumber; ids go in one call, the others one call each."""
        values = list(dict.fromkeys(values))
        if not values:
            return []
        if field == 'id':
            courses = []
            # 'ids' takes a comma-separated list in a single field.
            for start in range(0, len(values), 500):
                courses.extend(self._courses_by_ids(values[start:start + 500]))
            return courses
        courses = []
        for value in values:
            courses.extend(self.get_courses_by_field(field, value))
        return courses

    def get_categories(self, key, value):
        criteria = [{'key': key, 'value': value}]
        return self.client.call('core_course_get_categories', {'criteria': criteria, 'addsubcategories': False}) or []

    def get_all_categories(self):
        """Every course category the token user can see, in one read (no criteria)."""
        # moodlewssettingraw: names and descriptions as stored, not run through format_string()/format_text() (which
        # escape '&' and wrap descriptions in HTML), so that they compare with what is sent.
        return self.client.call('core_course_get_categories', {'addsubcategories': False, 'moodlewssettingraw': True}) or []

    def create_categories(self, categories):
        """Create categories (Moodle makes them in the order sent); returns [{id, name}] in that order."""
        def verify(chunk, answer):
            if len(answer or []) != len(chunk):
                raise incomplete_answer('core_course_create_categories', [c['name'] for c in chunk],
                                        [c.get('name') for c in answer or []], 'categories')
        created = []
        for dummy, answer in self.client.call_batched('core_course_create_categories', 'categories', categories,
                                                      write=True, verify=verify):
            created.extend(answer)
        return created

    def update_categories(self, categories):
        """Update categories (each dict carries ``id`` and only what changes); Moodle answers nothing."""
        self.client.call_batched('core_course_update_categories', 'categories', categories, write=True)

    def delete_categories(self, categories):
        """Delete categories: each {id, newparent (where the content goes) or recursive}; Moodle answers nothing."""
        self.client.call_batched('core_course_delete_categories', 'categories', categories, write=True)

    # -- enrolments ----------------------------------------------------------------------
    def get_enrolled_users(self, courseid, fields=('id', 'roles'), onlysuspended=False, limitfrom=0, limitnumber=0):
        """The users enrolled in a course, each with only ``fields`` (Moodle's ``userfields``; it adds fullname).

        Every field costs server time for each user (on 5.1 with 1000 users: id 0.4 s, id,username,roles 0.8 s,
        id,username,email,idnumber,roles 2.1 s, all fields 4.6 s), so callers ask only for what they compare.
        On the site course (the front page) Moodle lists every user of the site.
        """
        options = [{'name': 'userfields', 'value': ','.join(fields)}]
        if onlysuspended:
            options.append({'name': 'onlysuspended', 'value': 1})
        if limitfrom or limitnumber:
            options.extend([{'name': 'limitfrom', 'value': int(limitfrom)}, {'name': 'limitnumber', 'value': int(limitnumber)}])
        return self.client.call('core_enrol_get_enrolled_users', {'courseid': courseid, 'options': options}) or []

    def site_course_id(self):
        """The id of the site course (the front page), whose enrolled users are all the site's users."""
        return int(self.site_info().get('siteid') or 1)

    def enrol_users(self, enrolments):
        """Manual enrolments: each {roleid, userid, courseid, timestart, timeend, suspend}.

        enrol_manual_enrol_users reads a missing timestart, timeend or suspend as 0 (enrol/manual/externallib.php), so
        the zero ones are left out: the same write in half the form fields, so in fewer requests.
        """
        compact = [dict((key, value) for key, value in enrolment.items()
                        if key not in ENROL_ZERO_DEFAULTS or value) for enrolment in enrolments]
        self.client.call_batched('enrol_manual_enrol_users', 'enrolments', compact, write=True)

    def unenrol_users(self, enrolments):
        self.client.call_batched('enrol_manual_unenrol_users', 'enrolments', enrolments, write=True)

    # -- roles ---------------------------------------------------------------------------
    def assign_roles(self, assignments):
        """Each {roleid, userid, contextlevel (a name), instanceid} or {roleid, userid, contextid}."""
        self.client.call_batched('core_role_assign_roles', 'assignments', assignments, write=True)

    def unassign_roles(self, assignments):
        """Same items as assign_roles; Moodle's list key for this function is ``unassignments``."""
        self.client.call_batched('core_role_unassign_roles', 'unassignments', assignments, write=True)

    # -- companion plugin (local_lmsops) ----------------------------------------------------
    def plugin_get_roles(self):
        return (self.client.call('local_lmsops_get_roles') or {}).get('roles') or []

    def plugin_get_role_assignments(self, contexts, userids=None, roleids=None):
        """Manual and component role assignments made in these contexts (filtered by user and role when given):
        local_lmsops_list_role_assignments page by page when offered (plugin 1.2), else the 1.1 read."""
        extra = {'userids': list(userids or []), 'roleids': list(roleids or [])}
        if self.offers('local_lmsops_list_role_assignments'):
            return self._plugin_pages('local_lmsops_list_role_assignments', 'assignments', 'contexts', contexts, extra)
        found = []
        for dummy, answer in self.client.call_batched('local_lmsops_get_role_assignments', 'contexts', contexts,
                                                      extra=extra):
            found.extend((answer or {}).get('assignments') or [])
        return found

    def _plugin_pages(self, function, answer_key, list_key, values, extra):
        """Every row of a paged local_lmsops read: ``values`` sent in requests kept under max_input_vars, each
        followed page by page (``afterid`` = the ``nextafterid`` of the answer before) until nextafterid is 0."""
        rows = []
        extra = dict(extra, afterid=0)      # counted in each request's size: the next pages send it
        for chunk, answer in self.client.call_batched(function, list_key, values, extra=extra):
            while True:
                rows.extend((answer or {}).get(answer_key) or [])
                after = int((answer or {}).get('nextafterid') or 0)
                if not after:
                    break
                params = dict(extra, afterid=after)
                params[list_key] = chunk
                answer = self.client.call(function, params)
        return rows

    def plugin_get_enrolments(self, courseids, userfields=False):
        """local_lmsops_get_enrolments: every enrolment (any method) of these courses, with status, dates and course
        roles, and with ``userfields`` the username, email and idnumber of each user."""
        return self._plugin_pages('local_lmsops_get_enrolments', 'enrolments', 'courseids', list(courseids),
                                  {'userfields': bool(userfields)})

    def plugin_get_user_enrolments(self, courseid, userids=None):
        found = []
        userids = list(userids or [])
        if not userids:
            answer = self.client.call('local_lmsops_get_user_enrolments', {'courseid': courseid})
            return (answer or {}).get('enrolments') or []
        for dummy, answer in self.client.call_batched('local_lmsops_get_user_enrolments', 'userids', userids,
                                                      extra={'courseid': courseid}):
            found.extend((answer or {}).get('enrolments') or [])
        return found


# -- prerequisite checks and the max_input_vars probe (used by moodle_site_info) --------------
# Fields of a core_user_get_users_by_field request besides its values: wstoken, wsfunction,
# moodlewsrestformat and field.
PROBE_OVERHEAD_FIELDS = 4


def probe_keeps_fields(client, userid, total_fields):
    """Send one harmless read carrying exactly ``total_fields`` form fields; True when all arrived.

    The request is ``core_user_get_users_by_field`` on ``id`` with values that match nobody
    (``-1``) and the token user's own id *last*: the answer holds that user only if the site
    kept the last field.  ``client`` must allow requests this large (a client built with a huge
    ``max_input_vars``): the probe is the one place that sends more than the site may keep.
    A PHP warning about exceeded input variables printed into the answer counts as dropped.
    """
    count = int(total_fields) - PROBE_OVERHEAD_FIELDS
    if count < 1:
        raise ValueError('a probe request needs at least %d fields' % (PROBE_OVERHEAD_FIELDS + 1))
    values = [-1] * (count - 1) + [int(userid)]
    try:
        answer = client.call('core_user_get_users_by_field', {'field': 'id', 'values': values})
    except MoodleError as error:
        if error.kind == 'not_moodle' and 'input variables' in (error.message or '').lower():
            return False
        raise
    return any(isinstance(user, dict) and user.get('id') == int(userid) for user in answer or [])


def sample_enrolled_users(client, courseid):
    """core_enrol_get_enrolled_users limited to one user and its id: a cheap permission check."""
    options = [{'name': 'userfields', 'value': 'id'}, {'name': 'limitnumber', 'value': 1}]
    return client.call('core_enrol_get_enrolled_users', {'courseid': courseid, 'options': options}) or []
