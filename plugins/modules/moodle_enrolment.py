#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: moodle_enrolment
short_description: Enrol users in Moodle courses, change their role, status and dates, and unenrol them, in bulk
version_added: 1.0.0
description:
  - Makes Moodle's manual enrolments match what you describe, through Moodle's REST web services.
  - Resolves every course and user first (batched reads) and reads each course's enrolments once, compares, then
    enrols, re-enrols or unenrols only what differs, in batched calls kept under the site's C(max_input_vars). A second
    run with the same input makes no write call and reports C(changed=false).
  - Single form (top-level options, one enrolment) or bulk form (O(enrolments), a list of the same options). An
    enrolment is identified by its (course, user) pair.
  - In the bulk form, an option of the list given at the top level (O(course), O(role), O(state), dates...) is the
    default of every enrolment; an enrolment's own value wins.
  - Every item is checked before anything is written (unknown course or user, unknown role, a role that cannot be
    assigned in a course, bad dates, contradicting options); a bad item fails the run, naming it, and nothing is
    written.
  - Moodle enrols all-or-nothing per request. When it rejects a batch, the module re-reads the courses, sends the
    remaining enrolments again in halves until each rejected one is isolated, and fails naming each with Moodle's
    reason; the results say which enrolments were made.
  - "Moodle B(adds) a role given on an existing enrolment: the user keeps the roles they had (this module never
    removes a role). Such an enrolment is reported as V(updated) with V(role) in RV(enrolment.changed_fields)."
  - "Re-enrolling an enrolled user (which is how Moodle changes a role, the suspension or the dates) makes Moodle
    overwrite the enrolment's start date, end date and status with what is sent, and with 0, 0 and active when they
    are not sent. The module therefore always sends all three. With the companion plugin it reads the current values
    and sends them again for the ones you did not set. Without the plugin, core Moodle cannot read the dates: a
    re-enrolment is then only made when you give both O(timestart) and O(timeend) (V(0) for none), otherwise the run
    fails before any write and says so. See the notes."
extends_documentation_fragment:
  - lmsops.moodle.connection
  - lmsops.moodle.attributes
author:
  - lmsops.moodle contributors (@lmsops)
options:
  course:
    description:
      - The course, by its shortname, idnumber or id (see O(course_field)).
      - Required in the single form; in the bulk form, in each enrolment or once at the top level.
    type: raw
  course_field:
    description:
      - Which course field O(course) holds.
      - Default V(shortname).
    type: str
    choices: [shortname, idnumber, id]
  user:
    description:
      - The user, by username, e-mail address, idnumber or id (see O(user_field)).
      - Required in the single form; mutually exclusive with O(enrolments).
    type: raw
  user_field:
    description:
      - Which user field O(user) holds. E-mail addresses are compared case-insensitively; an address or idnumber
        that more than one user has fails the item.
      - Default V(username).
    type: str
    choices: [username, email, idnumber, id]
  role:
    description:
      - The role's shortname, for example V(student), V(teacher), V(editingteacher), V(manager).
      - When neither O(role) nor O(role_id) is given, a new enrolment gets V(student), and the roles of an existing
        enrolment are left as they are.
      - When given and the user is enrolled without this role, the role is B(added) (Moodle keeps the other roles).
      - Shortnames resolve to ids from the companion plugin when present, otherwise from Moodle's standard roles
        cross-checked against every role the course shows; a contradiction fails before any write.
      - Mutually exclusive with O(role_id).
    type: str
  role_id:
    description:
      - The role's id, for a custom role or a site whose role ids differ from the standard ones.
      - Mutually exclusive with O(role).
    type: int
  suspended:
    description:
      - Whether the enrolment is suspended (the user stays enrolled but cannot enter the course).
      - When not given, a new enrolment is active and an existing one keeps its status.
    type: bool
  timestart:
    description:
      - When the enrolment starts, as epoch seconds, an ISO 8601 date (V(2026-09-01), midnight UTC) or an ISO 8601
        date and time with its zone (V(2026-09-01T08:00:00+02:00)). V(0) means no start date.
      - A date and time without a zone is refused.
      - Results show dates as ISO 8601 in UTC.
      - When not given, a new enrolment has no start date. For an existing one see the notes.
    type: raw
  timeend:
    description:
      - When the enrolment ends, in the same forms as O(timestart). V(0) means no end date.
      - Must be after O(timestart) when both are set.
    type: raw
  state:
    description:
      - V(present) enrols the user (or changes the enrolment); V(absent) removes the user's manual enrolment.
      - Unenrolling a user who is not enrolled is not an error and reports C(changed=false).
      - Removing a user's last enrolment in a course also removes their roles in it (Moodle does this).
      - A user enrolled by another method (self enrolment, cohort sync, course meta link...) stays enrolled, and is
        reported V(unchanged) with a warning naming it; see the notes.
      - Default V(present).
    type: str
    choices: [present, absent]
  enrolments:
    description:
      - Bulk form, a list of enrolments with the options above (O(user) required in each, O(course) in each or at
        the top level).
      - An option given at the top level next to O(enrolments) is the default of every enrolment; an enrolment's own
        value wins (an enrolment's O(role_id) also drops a top-level O(role), and the reverse).
      - Mutually exclusive with O(user).
    type: list
    elements: dict
    suboptions:
      course:
        description: See O(course).
        type: raw
      course_field:
        description: See O(course_field).
        type: str
        choices: [shortname, idnumber, id]
      user:
        description: See O(user).
        type: raw
        required: true
      user_field:
        description: See O(user_field).
        type: str
        choices: [username, email, idnumber, id]
      role:
        description: See O(role).
        type: str
      role_id:
        description: See O(role_id).
        type: int
      suspended:
        description: See O(suspended).
        type: bool
      timestart:
        description: See O(timestart).
        type: raw
      timeend:
        description: See O(timeend).
        type: raw
      state:
        description: See O(state).
        type: str
        choices: [present, absent]
notes:
  - Needs these functions in the token's service - core_webservice_get_site_info, core_user_get_users_by_field,
    core_course_get_courses_by_field, core_enrol_get_enrolled_users, enrol_manual_enrol_users,
    enrol_manual_unenrol_users. The course needs an enabled manual enrolment instance.
  - Optional, the companion plugin local_lmsops (shipped with the collection, installed by the
    P(lmsops.moodle.setup#role) role) - when the service also offers local_lmsops_get_roles,
    local_lmsops_get_role_assignments and local_lmsops_get_user_enrolments, the module reads each enrolment's
    method, status, start and end dates exactly, and the site's real role list.
  - "Reads: each course once. Without the plugin, its enrolled users (id, roles and only the user field the items
    name users by) also resolve the users already enrolled, so a run that changes nothing reads no user profile;
    only the other users are looked up (core_user_get_users_by_field, or on a small site one read of the site's user
    list, id and that field only). A user found among the enrolled users by O(user_field=email) or
    O(user_field=idnumber), which several users may share, is looked up site-wide before anything is written for
    them, and an ambiguous value fails as before."
  - "Without the plugin, what is verified: whether the user is enrolled in the course (by any enrolment method), the
    user's roles in the course, and whether the enrolment is active now. What is not: the dates (core Moodle has no
    function that returns them) and whether a not-active enrolment is suspended or outside its dates. Dates given for
    an existing enrolment are then left as they are and a warning says they could not be verified; they are sent
    when the enrolment is created or re-enrolled."
  - "Without the plugin, a change that needs a re-enrolment of an existing enrolment (adding a role, suspending or
    reactivating it) is only made when both O(timestart) and O(timeend) are given (V(0) for none), because the
    re-enrolment overwrites the dates Moodle cannot show; otherwise the run fails before any write, naming the
    enrolments. It also needs to know the status to send - O(suspended), or an enrolment that is active now."
  - Only manual enrolments are managed. With the plugin, enrolments by other methods (self, cohort, guest...) are
    ignored - a user enrolled only by another method gets a manual enrolment for O(state=present), and is reported
    V(unchanged) with a warning for O(state=absent), without any write call. Without the plugin, an enrolment by any
    method counts as present, and O(state=absent) sends Moodle's manual unenrolment, which removes only a manual
    enrolment; the courses are then read again, and a user still enrolled is reported V(unchanged) with a warning
    saying another method enrols them (check mode, which writes nothing, cannot see this and predicts
    V(unenrolled)).
  - A role cannot be removed from an enrolment with this module; use M(lmsops.moodle.moodle_role_assignment).
seealso:
  - module: lmsops.moodle.moodle_user
  - module: lmsops.moodle.moodle_role_assignment
  - module: lmsops.moodle.moodle_site_info
'''

EXAMPLES = r'''
- name: Enrol alice as a student in PHYS101
  lmsops.moodle.moodle_enrolment:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    course: PHYS101
    user: alice

- name: Enrol bob as a teacher for the autumn term (dates as ISO date, ISO date and time, or epoch seconds)
  lmsops.moodle.moodle_enrolment:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    course: PHYS101
    user: bob@example.org
    user_field: email
    role: editingteacher
    timestart: "2026-09-01"
    timeend: "2027-01-31T23:59:59Z"

- name: Enrol a group of students in one course (course and role given once, for every enrolment)
  lmsops.moodle.moodle_enrolment:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    course: PHYS101
    role: student
    enrolments:
      - user: alice
      - user: bob@example.org
        user_field: email
      - user: carol
        role: teacher

- name: Suspend alice's enrolment, keeping it without dates (needed without the companion plugin)
  lmsops.moodle.moodle_enrolment:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    course: PHYS101
    user: alice
    suspended: true
    timestart: 0
    timeend: 0

- name: Enrol several users in several courses in one task
  lmsops.moodle.moodle_enrolment:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    max_input_vars: 5000
    enrolments: "{{ enrolments_yaml | from_yaml }}"
  vars:
    enrolments_yaml: |
      {% for course in ['PHYS101', 'CHEM201'] %}
      {% for student in ['s1001', 's1002', 's1003'] %}
      - {course: {{ course }}, user: {{ student }}}
      {% endfor %}
      {% endfor %}
      - {course: PHYS101, user: bob, role: editingteacher}

- name: Unenrol mallory (no error if not enrolled)
  lmsops.moodle.moodle_enrolment:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    course: 2
    course_field: id
    user: mallory
    state: absent
'''

RETURN = r'''
enrolment:
  description: The enrolment, in the single form.
  returned: when O(user) is given
  type: dict
  contains:
    course:
      description: The course as given in O(course).
      type: raw
      sample: PHYS101
    user:
      description: The user as given in O(user).
      type: raw
      sample: alice
    courseid:
      description: Moodle's course id.
      type: int
      sample: 2
    userid:
      description: Moodle's user id.
      type: int
      sample: 3
    role:
      description:
        - The role's shortname - the role given, or the role sent when the module enrols or re-enrols (V(student) for
          a new enrolment given no role). Null for O(state=absent), and for an existing enrolment left as it is when
          the item gives no role.
      type: str
      sample: student
    action:
      description:
        - What was done (or, in check mode, what would be done) - V(enrolled), V(updated) (a role added, the
          suspension or the dates changed), V(unenrolled), V(unchanged), or V(failed).
      type: str
      sample: enrolled
    changed_fields:
      description:
        - The compared fields that changed - V(role) (a role was added), V(suspended), V(timestart), V(timeend).
      type: list
      elements: str
      sample: [role]
    suspended:
      description:
        - Whether the enrolment is suspended after the run, when known (sent by this run, or read through the
          companion plugin). Not returned when not known.
      type: bool
      returned: when known
      sample: false
    timestart:
      description:
        - The enrolment's start, ISO 8601 in UTC, or null for none, when known (sent by this run, or read through the
          companion plugin). Not returned when not known.
      type: str
      returned: when known
      sample: "2026-09-01T00:00:00Z"
    timeend:
      description: The enrolment's end, like RV(enrolment.timestart).
      type: str
      returned: when known
      sample: "2027-01-31T23:59:59Z"
    warnings:
      description: What could not be verified for this enrolment.
      type: list
      elements: str
      returned: when there is something to say
    failed:
      description: Why this enrolment failed, in Moodle's words.
      type: str
      returned: when the enrolment failed
enrolments:
  description: Every enrolment of the bulk form, in the order given, each as described for RV(enrolment).
  returned: when O(enrolments) is given
  type: list
  elements: dict
  sample:
    - {course: PHYS101, user: alice, courseid: 2, userid: 3, role: student, action: enrolled,
       changed_fields: [role, suspended], suspended: false, timestart: null, timeend: null}
    - {course: PHYS101, user: bob, courseid: 2, userid: 4, role: editingteacher, action: updated,
       changed_fields: [role], suspended: false, timestart: "2026-09-01T00:00:00Z", timeend: null}
summary:
  description: How many enrolments got each action.
  returned: always
  type: dict
  sample: {enrolled: 998, unchanged: 2}
diff:
  description: In diff mode, per changed enrolment, the compared fields before and after.
  returned: when diff mode is on and something changes
  type: list
  elements: dict
  sample:
    - before_header: enrolment alice in PHYS101
      after_header: enrolment alice in PHYS101
      before: {role: [student]}
      after: {role: [editingteacher, student]}
'''

import time

from ansible_collections.lmsops.moodle.plugins.module_utils.api import REQUIRED_FUNCTIONS
from ansible_collections.lmsops.moodle.plugins.module_utils.client import MoodleError
from ansible_collections.lmsops.moodle.plugins.module_utils.dates import DateError, format_date, parse_date
from ansible_collections.lmsops.moodle.plugins.module_utils.module_base import (
    ITEM_ERROR_KINDS, Change, ItemProblem, MoodleModule, PlanData, as_text, committed_before)
from ansible_collections.lmsops.moodle.plugins.module_utils.resolve import (
    RoleCatalogue, UserDirectory, resolve_courses)

DEFAULT_ROLE = 'student'
PLUGIN = 'the companion plugin local_lmsops'

DATES_UNVERIFIED = (
    'timestart/timeend could not be verified: core Moodle web services cannot read enrolment dates, so the dates of '
    'these existing enrolments were left as they are (dates are sent only when an enrolment is created or re-enrolled); '
    '%s makes this exact' % PLUGIN)
STATUS_UNVERIFIED = (
    'the suspension could not be verified: core Moodle only tells an active enrolment from a not-active one, and an '
    'enrolment outside its start/end dates is not active either; %s makes this exact' % PLUGIN)
STILL_ENROLLED = (
    'the user is still enrolled in the course after the manual unenrolment, so by another enrolment method (self '
    'enrolment, cohort sync, course meta link, guest access...), which this module does not manage: remove it on the '
    'course\'s Participants page or in that method\'s settings. Core Moodle cannot show the method (a manual '
    'enrolment the user also had is gone now); the companion plugin local_lmsops lets the module read it before '
    'writing')
OTHER_METHODS = 'the user is still enrolled through enrolment methods this module does not manage (%s)'
RACED_SAME = ('another writer enrolled these users between this run\'s read and its write, as asked: reported '
              'unchanged')
RACED_UPDATED = ('another writer enrolled these users between this run\'s read and its write, differently: the '
                 'enrolment was planned again from a new read and sent once (a re-enrolment: Moodle adds the role '
                 'and overwrites the status and dates with the ones sent)')
RACED_FAILED = 'another writer enrolled this user between this run\'s read and its write (%s); planned again: %s'


def describe(item):
    return '%s in %s' % tuple('?' if item.get(name) is None else item[name] for name in ('user', 'course'))


def wanted_dates(item):
    """(timestart, timeend) as epoch seconds or None when not given; raises DateError."""
    dates = []
    for name in ('timestart', 'timeend'):
        if item.get(name) is None:
            dates.append(None)
            continue
        try:
            dates.append(parse_date(item[name]))
        except DateError as error:
            raise DateError('%s: %s' % (name, error))
    return tuple(dates)


def in_window(timestart, timeend, now):
    """Whether an enrolment with these dates is within them at ``now`` (Moodle's definition of active)."""
    return (timestart or 0) < now and (not timeend or timeend > now)


def role_names(roles):
    return sorted(roles.values())


def plan_enrolment(wanted, current, now):
    """Compare one wanted enrolment with what the site has; pure, so it can be tested without a site.

    ``wanted``: state, roleid, role (shortname), role_given, suspended (None when not given), timestart and timeend
    (epoch seconds, None when not given).
    ``current``: None when the user has no enrolment, else enrolled (bool), roles ({id: shortname}), exact (read
    through the plugin), and either status/timestart/timeend (exact) or active (bool; None when not read).

    Returns a dict: action, before, after (compared fields only), send (the enrol_manual_enrol_users item without
    userid/courseid, or None), known (suspended/timestart/timeend known after the run), warnings (texts) and problem
    (why it cannot be done safely, or None).
    """
    result = dict(action='unchanged', before=None, after=None, send=None, known={}, warnings=[], problem=None)
    enrolled = bool(current and current.get('enrolled'))
    if wanted['state'] == 'absent':
        _plan_absent(result, current, enrolled)
    elif not enrolled:
        _plan_new(result, wanted)
    elif current.get('exact'):
        _plan_exact(result, wanted, current)
    else:
        _plan_core(result, wanted, current, now)
    return result


def _plan_absent(result, current, enrolled):
    """Unenrol a manual enrolment; say so when only another method's enrolment is there."""
    others = (current or {}).get('others') or []
    if enrolled:
        result['action'] = 'unenrolled'
        result['before'] = {'role': role_names(current['roles'])}
    elif others:
        result['warnings'].append(OTHER_METHODS % ', '.join(others))


def _plan_new(result, wanted):
    """A new enrolment: everything is sent, the dates and the status as given (none: 0, active)."""
    timestart, timeend = wanted['timestart'], wanted['timeend']
    send = dict(roleid=wanted['roleid'], timestart=timestart or 0, timeend=timeend or 0,
                suspend=bool(wanted['suspended']))
    after = {'role': [wanted['role']], 'suspended': send['suspend']}
    for name in ('timestart', 'timeend'):
        if send[name]:
            after[name] = format_date(send[name])
    result.update(action='enrolled', before={}, after=after, send=send, known=known_after(send))


def _plan_exact(result, wanted, current):
    """With the plugin: status and dates are read, so each is compared and what is not given is sent as it is."""
    timestart, timeend, suspended = wanted['timestart'], wanted['timeend'], wanted['suspended']
    roles = current['roles']
    before, after = {}, {}
    is_suspended = current['status'] == 1
    if suspended is not None and suspended != is_suspended:
        before['suspended'], after['suspended'] = is_suspended, suspended
    for name, value in (('timestart', timestart), ('timeend', timeend)):
        if value is not None and value != current[name]:
            before[name], after[name] = format_date(current[name]), format_date(value)
    send = dict(roleid=wanted['roleid'],
                timestart=current['timestart'] if timestart is None else timestart,
                timeend=current['timeend'] if timeend is None else timeend,
                suspend=is_suspended if suspended is None else suspended)
    if (wanted['role_given'] and wanted['roleid'] not in roles) or after:
        _role_change(result, wanted, roles, before, after)
        result.update(action='updated', before=before, after=after, send=send)
    result['known'] = known_after(send)


def _plan_core(result, wanted, current, now):
    """Core Moodle only: presence, roles, and whether the enrolment is active now."""
    before, after = {}, {}
    reasons = _core_reasons(result, wanted, current, now, before, after)
    if result['problem']:
        return
    if not reasons:
        if wanted['timestart'] is not None or wanted['timeend'] is not None:
            result['warnings'].append(DATES_UNVERIFIED)
        return
    _core_reenrolment(result, wanted, current, reasons, before, after)


def _core_reasons(result, wanted, current, now, before, after):
    """Why core Moodle's view of the enrolment needs a re-enrolment (texts); fills before/after and warnings."""
    timestart, timeend, suspended = wanted['timestart'], wanted['timeend'], wanted['suspended']
    active = current.get('active')
    dates_given = timestart is not None and timeend is not None
    reasons = []
    if wanted['role_given'] and wanted['roleid'] not in current['roles']:
        reasons.append('adding role %s' % wanted['role'])
    if suspended is None:
        return reasons
    if active is None:
        result['problem'] = 'internal error: the enrolment status was not read'
    elif active and suspended:
        before['suspended'], after['suspended'] = False, True
        reasons.append('suspending the enrolment')
    elif not active and not suspended:
        if dates_given and not in_window(timestart, timeend, now):
            # Not active is what these dates mean: whether it is also suspended cannot be told.
            result['warnings'].append(STATUS_UNVERIFIED)
        else:
            before['suspended'], after['suspended'] = True, False
            reasons.append('reactivating the enrolment (it is not active now: suspended, or outside its '
                           'dates, core Moodle cannot tell which)')
    elif not active and suspended and not (dates_given and in_window(timestart, timeend, now)):
        result['warnings'].append(STATUS_UNVERIFIED)
    return reasons


def _core_reenrolment(result, wanted, current, reasons, before, after):
    """A re-enrolment: Moodle overwrites timestart, timeend and status with what is sent, so all must be known."""
    timestart, timeend, suspended = wanted['timestart'], wanted['timeend'], wanted['suspended']
    active = current.get('active')
    if timestart is None or timeend is None:
        result['problem'] = (
            '%s needs a re-enrolment, and Moodle then overwrites the enrolment\'s start and end dates with the ones '
            'sent (none when not sent); core Moodle cannot read the current dates, so give both timestart and timeend '
            '(0 for none), or install %s so that the current dates are read and kept' % (' and '.join(reasons), PLUGIN))
        return
    if suspended is None:
        if not active:
            result['problem'] = (
                '%s needs a re-enrolment, which overwrites the enrolment\'s status, and the enrolment is not active now '
                '(suspended, or outside its dates: core Moodle cannot tell which); give suspended: true or false, or '
                'install %s' % (' and '.join(reasons), PLUGIN))
            return
        suspended = False
    send = dict(roleid=wanted['roleid'], timestart=timestart, timeend=timeend, suspend=suspended)
    _role_change(result, wanted, current['roles'], before, after)
    result.update(action='updated', before=before, after=after, send=send, known=known_after(send))


def _role_change(result, wanted, roles, before, after):
    """A re-enrolment sends a role: when the user does not have it yet, Moodle adds it."""
    if wanted['roleid'] not in roles:
        before['role'] = role_names(roles)
        after['role'] = sorted(role_names(roles) + [wanted['role']])


def known_after(send):
    return dict(suspended=bool(send['suspend']), timestart=format_date(send['timestart']),
                timeend=format_date(send['timeend']))


def describe_current(current):
    """How an enrolment read from the site looks, for messages."""
    parts = ['roles %s' % ', '.join(role_names(current['roles'])) if current.get('roles') else 'no role']
    if current.get('exact'):
        parts.append('suspended' if current['status'] == 1 else 'active')
        parts.extend('%s %s' % (name, format_date(current[name])) for name in ('timestart', 'timeend') if current[name])
    elif current.get('active') is not None:
        parts.append('active' if current['active'] else 'not active')
    return ', '.join(parts)


def in_place(change, current, now):
    """After a write: is this change's wanted state what the site has now?"""
    enrolled = bool(current and current.get('enrolled'))
    if change.action == 'unenrolled':
        return not enrolled
    send = change.data.send
    if not enrolled or send['roleid'] not in current['roles']:
        return False
    if current.get('exact'):
        return (current['status'] == (1 if send['suspend'] else 0) and current['timestart'] == send['timestart']
                and current['timeend'] == send['timeend'])
    active = current.get('active')
    if active is None:
        return True
    if send['suspend']:
        return not active
    return active or not in_window(send['timestart'], send['timeend'], now)


class EnrolmentPlan(PlanData):
    """One enrolment as planned: the course and user ids, what enrol_manual_enrol_users is sent (None: nothing), what
    is known after the run (suspended, dates), the role named in results, the wanted enrolment (plan_enrolment's
    input), and whether it is being sent again after another writer's change (settling)."""

    fields = ('courseid', 'userid', 'send', 'known', 'role', 'want', 'settling')
    __slots__ = fields


class MoodleEnrolmentModule(MoodleModule):
    resource = 'enrolment'
    list_option = 'enrolments'
    single_option = 'user'
    required_functions = tuple(REQUIRED_FUNCTIONS['moodle_enrolment'])
    item_options = dict(
        course=dict(type='raw', required=True),
        course_field=dict(type='str', default='shortname', choices=['shortname', 'idnumber', 'id']),
        user=dict(type='raw', required=True),
        user_field=dict(type='str', default='username', choices=['username', 'email', 'idnumber', 'id']),
        role=dict(type='str'),
        role_id=dict(type='int'),
        suspended=dict(type='bool'),
        timestart=dict(type='raw'),
        timeend=dict(type='raw'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    item_mutually_exclusive = [('role', 'role_id')]

    def __init__(self, module=None, api=None):
        super(MoodleEnrolmentModule, self).__init__(module, api)
        self.exact = False              # the companion plugin's reads: every enrolment method, status and dates
        self.catalogue = None           # RoleCatalogue of the run
        self.directory = None           # UserDirectory of the run
        self._write_error = None        # what the last enrol_manual_enrol_users answered, for settled()

    # -- items ----------------------------------------------------------------------------
    def describe_item(self, item):
        return describe(item)

    def item_key(self, item):
        user = as_text(item.get('user'))
        if item.get('user_field') == 'email':
            user = user.lower()
        return (item.get('course_field'), as_text(item.get('course')), item.get('user_field'), user)

    def validate_item(self, item):
        problems = []
        for name in ('course', 'user'):
            value = item.get(name)
            field = item.get('%s_field' % name)
            if value is None or (isinstance(value, str) and not value.strip()):
                problems.append('%s is required' % name)
            elif isinstance(value, bool) or not isinstance(value, (str, int)):
                problems.append('%s must be a %s, not %r' % (name, field, value))
            elif field == 'id' and not (as_text(value).isdigit() and int(as_text(value)) > 0):
                problems.append('%s %r is not an id (%s_field: id needs a positive number)' % (name, value, name))
        if item.get('role') is not None and not item['role'].strip():
            problems.append('role is empty')
        if item.get('role_id') is not None and item['role_id'] <= 0:
            problems.append('role_id %s is not a role id' % item['role_id'])
        try:
            timestart, timeend = wanted_dates(item)
        except DateError as error:
            problems.append(str(error))
        else:
            if timestart and timeend and timeend <= timestart:
                problems.append('timeend (%s) is not after timestart (%s)' % (format_date(timeend), format_date(timestart)))
        if item.get('state') == 'absent':
            set_options = [name for name in ('role', 'role_id', 'suspended', 'timestart', 'timeend')
                           if item.get(name) is not None]
            if set_options:
                problems.append('state=absent removes the enrolment; remove %s or use state=present'
                                % ', '.join(set_options))
        return problems

    # -- reading --------------------------------------------------------------------------
    def read_enrolments(self, course_users, status_courses=(), rosters=None):
        """{(courseid, userid): current} for the given {courseid: [userid]}.

        With the plugin: one read per course, exact. Without: core_enrol_get_enrolled_users per course (taken from
        ``rosters``, {courseid: enrolled users}, when the run has read it already), plus its onlysuspended read for the
        courses in ``status_courses``. Every (role id, shortname) seen is fed to the role catalogue.
        """
        found = {}
        for courseid, userids in course_users.items():
            if self.exact:
                rows = {}
                read = (rosters or {}).get(courseid)
                for row in self.api.plugin_get_user_enrolments(courseid, sorted(set(userids))) if read is None else read:
                    rows.setdefault(row['userid'], []).append(row)
                for userid, user_rows in rows.items():
                    roles = self._observed(user_rows[0].get('roles'))
                    manual = [row for row in user_rows if row.get('enrol') == 'manual']
                    current = dict(exact=True, enrolled=bool(manual), roles=roles,
                                   others=sorted(set(row.get('enrol') for row in user_rows if row.get('enrol') != 'manual')))
                    if manual:
                        current.update(status=int(manual[0].get('status') or 0),
                                       timestart=int(manual[0].get('timestart') or 0),
                                       timeend=int(manual[0].get('timeend') or 0))
                    found[(courseid, userid)] = current
            else:
                users = (rosters or {}).get(courseid)
                for user in self.api.get_enrolled_users(courseid) if users is None else users:
                    found[(courseid, user['id'])] = dict(exact=False, enrolled=True, active=None,
                                                         roles=self._observed(user.get('roles')))
        self.read_status(found, [c for c in status_courses if c in course_users])
        return found

    def read_status(self, found, courseids):
        """Core only: mark which enrolments of these courses are active now (one onlysuspended read per course)."""
        if self.exact:
            return
        for courseid in dict.fromkeys(courseids):
            suspended = self.api.get_enrolled_users(courseid, fields=('id',), onlysuspended=True)
            not_active = set(user['id'] for user in suspended)
            for (cid, userid), current in found.items():
                if cid == courseid:
                    current['active'] = userid not in not_active

    def _observed(self, roles):
        result = {}
        for role in roles or []:
            self.catalogue.observe(role['roleid'], role['shortname'])
            result[role['roleid']] = role['shortname']
        return result

    # -- plan ----------------------------------------------------------------------------
    def plan(self, items):
        """Resolve, read and compare every item; every problem found joins the base's list (one failure names all)."""
        self.exact = self.api.plugin_available()
        self.catalogue = RoleCatalogue(self.api)
        self.directory = UserDirectory(self.api)
        now = int(time.time())
        courses, users, rosters, errors = self._resolve_items(items)
        pending = [(label, item) for label, item in items if label in self.not_found]
        resolved = [(label, item) for label, item in items if label in courses and label in users]
        course_users = self._pair_up(resolved, courses, users, errors)
        found = self.read_enrolments(course_users, rosters=rosters)
        if self.catalogue.contradictions:
            self.fail_on_input_errors(errors)   # problems with the input first, then the site's contradiction
        self.catalogue.check()
        wanted = self._wanted(resolved + pending, errors)
        resolved = [(label, item) for label, item in resolved if label in wanted]
        self.read_status(found, self._status_courses(resolved, courses, users, wanted, found))
        planned = self._compare(resolved, courses, users, wanted, found, errors, now)
        errors.extend(self._confirm_users([(label, item) for label, item in resolved if planned[label].changed]))
        for label, item in pending:
            if label in wanted:
                planned[label] = self._pending_change(label, item, courses.get(label), users.get(label), wanted[label],
                                                      now)
        self.input_errors.extend(errors)
        return [planned[label] for label, dummy in items if label in planned]

    def _resolve_items(self, items):
        """({label: course}, {label: user}, rosters, errors): the courses first, then their rosters (one read each,
        which also tells the users they list), then the users."""
        courses, errors = self._resolved(items, 'course', lambda field, values: resolve_courses(self.api, field, values))
        rosters = self._read_rosters(items, courses)
        users, user_errors = self._resolved(items, 'user', self.directory.resolve)
        return courses, users, rosters, errors + user_errors

    def _resolved(self, items, kind, resolver):
        """({label: record}, errors) for the course or the user (``kind``) every item names."""
        def reference(item):
            return (kind, item['%s_field' % kind], as_text(item[kind]))
        records, errors = self.resolve_references(items, lambda item: [reference(item) + ('',)], {kind: resolver})
        named = [(label, reference(item)) for label, item in items]
        return dict((label, records[key]) for label, key in named if key in records), errors

    @staticmethod
    def _pair_up(items, courses, users, errors):
        """{courseid: [userid]} of the items; the same pair named twice (by username and by id, say) is a problem."""
        seen, course_users = {}, {}
        for label, dummy in items:
            pair = (courses[label]['id'], users[label]['id'])
            if pair in seen:
                errors.append(ItemProblem(label, 'same enrolment (course id %s, user id %s) as %s; give each once'
                                          % (pair[0], pair[1], seen[pair])))
            seen[pair] = label
            course_users.setdefault(pair[0], []).append(pair[1])
        return course_users

    def _wanted(self, items, errors):
        """{label: the wanted enrolment} (plan_enrolment's ``wanted``) of the items whose role resolves."""
        wanted = {}
        for label, item in items:
            roleid, role, problem = self._role(item)
            if problem:
                errors.append(ItemProblem(label, problem))
                continue
            timestart, timeend = wanted_dates(item)
            wanted[label] = dict(state=item['state'], roleid=roleid, role=role,
                                 role_given=item.get('role') is not None or item.get('role_id') is not None,
                                 suspended=item.get('suspended'), timestart=timestart, timeend=timeend)
        return wanted

    def _compare(self, items, courses, users, wanted, found, errors, now):
        """{label: Change} of the items, each compared with what was found (at ``now``)."""
        planned = {}
        for label, item in items:
            planned[label], problem = self._change(label, item, courses[label]['id'], users[label]['id'],
                                                   wanted[label], found, now)
            if problem:
                errors.append(ItemProblem(label, problem))
        return planned

    def _pending_change(self, label, item, course, user, want, now):
        """Check mode: an item whose user or course does not exist yet, planned as it would be once they exist (no
        enrolment to find)."""
        change, dummy = self._change(label, item, course and course['id'], user and user['id'], want, {}, now)
        self.note_not_found(change)
        return change

    def _status_courses(self, items, courses, users, wanted, found):
        """Courses whose active/not-active read is needed (core only); keeps an existing enrolment's roles when the
        item names none (a re-enrolment must send one of them)."""
        status_courses = []
        for label, item in items:
            want = wanted[label]
            current = found.get((courses[label]['id'], users[label]['id']))
            if want['state'] != 'present' or not current or not current.get('enrolled'):
                continue
            if not want['role_given'] and current['roles'] and want['roleid'] not in current['roles']:
                assignable = [rid for rid in sorted(current['roles'])
                              if self.catalogue.assignable(rid, 'course') is not False]
                if assignable:
                    want['roleid'] = assignable[0]
                    want['role'] = current['roles'][assignable[0]]
            if not current.get('exact') and (want['suspended'] is not None
                                             or want['role_given'] and want['roleid'] not in current['roles']):
                status_courses.append(courses[label]['id'])
        return status_courses

    def _change(self, label, item, courseid, userid, want, found, now):
        """(Change, problem or None) for one item, from plan_enrolment's comparison."""
        outcome = plan_enrolment(want, found.get((courseid, userid)), now)
        change = Change(item, label, describe(item), action=outcome['action'], before=outcome['before'],
                        after=outcome['after'])
        change.data = EnrolmentPlan(courseid=courseid, userid=userid, send=outcome['send'], known=outcome['known'],
                                    want=want)
        if outcome['send'] is not None:
            change.data.send = dict(outcome['send'], userid=userid, courseid=courseid)
            change.data.role = self.catalogue.shortname(outcome['send']['roleid']) or want['role']
        elif item['state'] == 'present' and want['role_given']:
            change.data.role = want['role']
        for text in outcome['warnings']:
            self.warn(text, label)
            change.warnings.append(text)
        return change, outcome['problem']

    def _read_rosters(self, items, courses):
        """{courseid: enrolled users, or with the plugin enrolment rows} of every course named, each read once, with
        the user fields the items name users by: the users read resolve the items that name them (UserDirectory).

        Core: core_enrol_get_enrolled_users per course, with id, roles and those fields only. Plugin: one
        local_lmsops_get_enrolments read of every course when the service offers it (else nothing here: the courses
        are read once the user ids are known).
        """
        courseids = list(dict.fromkeys(course['id'] for course in courses.values()))
        if self.exact:
            return self._plugin_rosters(items, courseids) if self.api.offers('local_lmsops_get_enrolments') else {}
        fields = ('id', 'roles') + tuple(sorted(set(item['user_field'] for dummy, item in items) - set(['id'])))
        rosters = {}
        for courseid in courseids:
            rosters[courseid] = self.api.get_enrolled_users(courseid, fields=fields)
            self.directory.learn(rosters[courseid])
        return rosters

    def _plugin_rosters(self, items, courseids):
        if not courseids:
            return {}
        userfields = any(item['user_field'] != 'id' for dummy, item in items)
        rows = self.api.plugin_get_enrolments(courseids, userfields=userfields)
        self.directory.learn([dict(id=row['userid'], username=row.get('username'), email=row.get('email'),
                                   idnumber=row.get('idnumber')) for row in rows])
        rosters = dict((courseid, []) for courseid in courseids)
        for row in rows:
            rosters[row['courseid']].append(row)
        return rosters

    def _confirm_users(self, items):
        """Problems of the items about to be written whose user was found among enrolled users by a value users may
        share (e-mail, idnumber): each such value is looked up site-wide first, and an ambiguous one fails."""
        named = [(label, item['user_field'], as_text(item['user']), '') for label, item in items]
        return [ItemProblem(label, problem) for label, problem in self.directory.confirm_named(named)]

    def _role(self, item):
        """(roleid, shortname, problem) for an item's role, checked against the catalogue."""
        if item['state'] == 'absent':
            return None, None, None
        given = item.get('role_id')
        roleid, shortname, problem = self.catalogue.resolve(
            shortname=None if given is not None else (item.get('role') or DEFAULT_ROLE).strip(), roleid=given)
        if problem:
            return None, None, problem
        shortname = shortname or 'role id %s' % roleid
        if self.catalogue.assignable(roleid, 'course') is False:
            return None, None, ('role %s cannot be assigned in a course, so it cannot be an enrolment role: %s'
                                % (shortname, self.catalogue.where_assignable(roleid)))
        return roleid, shortname, None

    # -- writes ---------------------------------------------------------------------------
    def apply(self, changes):
        self._write_error = None
        unenrol = [c for c in changes if c.action == 'unenrolled']
        if unenrol:
            self.bisect_write([(c, {'userid': c.data.userid, 'courseid': c.data.courseid}) for c in unenrol],
                              self.api.unenrol_users, self.settled)
            self._check_unenrolled([c for c in unenrol if c.action == 'unenrolled'])
        enrol = [c for c in changes if c.action in ('enrolled', 'updated')]
        if enrol:
            self.bisect_write([(c, c.data.send) for c in enrol], self._enrol, self.settled)
            self._settle_raced([c for c in enrol if c.raced is not None])

    def _enrol(self, payloads):
        """enrol_manual_enrol_users, keeping the error it answers for :meth:`settled`."""
        try:
            return self.api.enrol_users(payloads)
        except MoodleError as error:
            self._write_error = error
            raise

    def _check_unenrolled(self, changes):
        """Core only: enrol_manual_unenrol_users removes manual enrolments and answers success for the others.

        Re-read the courses: a user still enrolled is enrolled by another method, which this module does not
        manage; the change is reported unchanged with a warning instead of unenrolled.
        """
        if self.exact or not changes:
            return
        found = self._read_enrolments_of(changes)
        for change in changes:
            current = found.get((change.data.courseid, change.data.userid))
            if current and current.get('enrolled'):
                self.report_unchanged(change, STILL_ENROLLED)

    def _read_enrolments_of(self, changes):
        course_users, status_courses = {}, []
        for change in changes:
            course_users.setdefault(change.data.courseid, []).append(change.data.userid)
            if change.data.send is not None:
                status_courses.append(change.data.courseid)
        return self.read_enrolments(course_users, status_courses)

    def settled(self, changes):
        """The changes settled now, after a write Moodle rejected or answered with an error: not to be sent again.

        Settled is an enrolment in place as wanted, or a new one another writer made between our read and our
        write: Moodle rolls enrol_manual_enrol_users back as a whole when it rejects an item, so an enrolment of the
        rejected call that exists now is another writer's (its record is kept in ``change.raced`` for
        :meth:`_settle_raced`). An error Moodle raises after its commit (its messages) leaves our own, and after a
        lost answer the enrolment may be ours: then only "in place as wanted" counts.
        """
        found = self._read_enrolments_of(changes)
        now = int(time.time())
        error = self._write_error
        rolled_back = error is not None and error.kind in ITEM_ERROR_KINDS and not committed_before(error)
        done = set()
        for change in changes:
            current = found.get((change.data.courseid, change.data.userid))
            raced = change.action == 'enrolled' and rolled_back and bool(current and current.get('enrolled'))
            if raced and change.raced is None and not change.data.settling:
                change.raced = current
                done.add(change)
            elif in_place(change, current, now):
                done.add(change)
        return done

    def _settle_raced(self, changes):
        """Enrolments another writer made meanwhile: plan each again from the new read, send what differs once, and
        report what is true (never a second retry)."""
        now = int(time.time())
        resend = []
        for change in changes:
            outcome = plan_enrolment(change.data.want, change.raced, now)
            if outcome['problem']:
                change.action, change.failed = 'failed', RACED_FAILED % (describe_current(change.raced), outcome['problem'])
            elif outcome['action'] == 'unchanged':
                self.report_unchanged(change, RACED_SAME)
                change.data.known = outcome['known']
            else:
                change.action, change.before, change.after = outcome['action'], outcome['before'], outcome['after']
                change.data.update(send=dict(outcome['send'], userid=change.data.userid,
                                             courseid=change.data.courseid), known=outcome['known'], settling=True)
                self.warn(RACED_UPDATED, change.label)
                resend.append(change)
        if resend:
            self._write_error = None
            self.bisect_write([(c, c.data.send) for c in resend], self._enrol, self.settled)
            for change in resend:
                if change.failed:
                    change.failed = RACED_FAILED % (describe_current(change.raced), 'sending it failed: %s' % change.failed)

    # -- results --------------------------------------------------------------------------
    def result_entry(self, change):
        item = change.item
        entry = dict(course=item['course'], user=item['user'], courseid=change.data.courseid,
                     userid=change.data.userid, role=change.data.role, action=change.action,
                     changed_fields=change.changed_fields() if change.changed else [])
        if item['state'] == 'present' and change.action != 'failed':
            entry.update(change.data.known or {})
        if change.failed:
            entry['failed'] = change.failed
        if change.warnings:
            entry['warnings'] = change.warnings
        return entry

    def diff_entry(self, change):
        header = 'enrolment %s' % change.key
        return dict(before_header=header, after_header=header, before=change.before or {}, after=change.after or {})


def main():
    MoodleEnrolmentModule().run()


if __name__ == '__main__':
    main()
