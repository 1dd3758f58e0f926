#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: moodle_site_info
short_description: Check a Moodle site's web-service prerequisites and report what the token can do
version_added: 1.0.0
description:
  - Reads the site's release and version, the token's user, and the functions the token's external service offers,
    through C(core_webservice_get_site_info).
  - Lists the functions each module of this collection needs that the service does not offer
    (RV(missing_functions)), and whether the companion plugin C(local_lmsops) is offered (RV(companion_plugin)).
  - With O(check_permissions=true) (the default) it also makes one harmless read with each offered function the
    chosen O(modules) need, so that a token user without the capabilities, or not authorised for the service, is
    found before a real run.
  - With O(probe_max_input_vars=true) it measures the site's effective PHP C(max_input_vars) with a few harmless
    reads (RV(max_input_vars)).
  - Every failure to reach or use the site is turned into a diagnosis - what is wrong and the Moodle admin path that
    fixes it - never a traceback. With O(fail_on_problems=false) the module does not fail but returns every problem
    found in RV(problems), so that a play (the P(lmsops.moodle.setup#role) role) can report them all at once.
  - The module only reads; it never changes the site.
extends_documentation_fragment:
  - lmsops.moodle.connection
  - lmsops.moodle.attributes.READ_ONLY
author:
  - lmsops.moodle contributors (@lmsops)
options:
  modules:
    description:
      - The modules of this collection you intend to use with this token. Their functions must be in the service, and
        the permission checks exercise them. RV(missing_functions) always lists every module.
      - M(lmsops.moodle.moodle_course_category) is checked only when listed (it needs capabilities to manage
        categories and courses that a token should have only when it uses them).
    type: list
    elements: str
    choices: [moodle_user, moodle_enrolment, moodle_role_assignment, moodle_course_category, moodle_site_info]
    default: [moodle_user, moodle_enrolment, moodle_role_assignment, moodle_site_info]
  check_permissions:
    description:
      - Make one harmless read with each offered function the chosen O(modules) need (the token user's own record,
        a few courses, one category, one enrolled user of a course, the companion plugin's roles), and report each that
        Moodle refuses (a missing capability, a user not authorised for the service).
      - Then it reads what the token user may do, for what the chosen modules' writes need and no read shows - its
        capabilities at system level (and in the course it reads), and the roles of O(assign_roles) it may give - with
        the companion plugin's C(local_lmsops_get_access_information) when the service offers it (plugin 1.1.0 and
        later), else from O(token_access). Each thing missing is a problem naming the admin page that fixes it
        (RV(access)).
      - Without either, and for a token user that is not a site administrator, this cannot be read without writing, so
        RV(notes) says so and lists what to verify by hand, without claiming anything is missing.
    type: bool
    default: true
  check_course:
    description:
      - Id of a course to read one enrolled user of, for the C(core_enrol_get_enrolled_users) check.
      - By default course id 2 is used, the first course of a site (id 1 is the front page); the check is skipped
        when it does not exist.
    type: int
  assign_roles:
    description:
      - The roles (shortnames) that M(lmsops.moodle.moodle_enrolment) will enrol with and
        M(lmsops.moodle.moodle_role_assignment) will assign, for the permission checks; used only when O(modules) holds
        one of them.
      - Moodle gives a role only when the token user may assign it there - C(moodle/role:assign), a role it holds whose
        C(Allow role assignments) entries list the role (a site administrator needs none), and the role assignable at that
        context level (a role C(moodle_enrolment) enrols with must be assignable in courses) - else
        C(enrol_manual_enrol_users) answers C(You don't have the permission to assign this role). Each is checked.
    type: list
    elements: str
    default: [student, teacher, editingteacher]
  token_access:
    description:
      - What the token user may do, as read on the Moodle host - the same data as the companion plugin's
        C(local_lmsops_get_access_information) answers. The P(lmsops.moodle.setup#role) role's configure step reads it
        and passes it on; there is no need to set it by hand.
      - Used by the permission checks when the service does not offer that function, and only when it describes the
        token's own user (its C(userid)).
    type: dict
  probe_max_input_vars:
    description:
      - Measure the site's effective PHP C(max_input_vars) and return it as RV(max_input_vars).
      - Sends C(core_user_get_users_by_field) reads of growing size whose last value is the token user's own id, padded
        with ids that match nobody; the user comes back only when the site kept the last field. A search over likely
        limits then a bisection finds the exact cut-off, in about 7 requests for usual limits and at most about 24.
      - The largest request sent carries O(probe_max_fields) fields (about 20 bytes each).
    type: bool
    default: false
  probe_max_fields:
    description:
      - The largest request the probe sends, in form fields. A site that keeps that many reports
        RV(max_input_vars_probe.at_least=true).
    type: int
    default: 100000
  fail_on_problems:
    description:
      - V(true) fails the task when a problem is found, with every problem and its fix in the message.
      - V(false) never fails because of the site; the problems are returned in RV(problems) and RV(ok) is V(false).
    type: bool
    default: true
notes:
  - Needs only C(core_webservice_get_site_info) in the token's service; the permission checks and the probe use
    functions only when the service offers them (the probe needs C(core_user_get_users_by_field)).
  - In Moodle, depending on the release, the web-service admin pages are under Site administration > Plugins > Web
    services or Site administration > Server > Web services; the admin search box finds them by name.
seealso:
  - module: lmsops.moodle.moodle_user
  - name: The lmsops.moodle.setup role
    description: Validates the prerequisites with this module and, on the Moodle host, can set them up.
    link: https://github.com/lmsops/moodle/tree/main/roles/setup
  - name: Preparing a Moodle site
    description: The prerequisites by hand and with the role, and what each error means.
    link: https://github.com/lmsops/moodle/blob/main/docs/preparing-moodle.md
'''

EXAMPLES = r'''
- name: Check the site and the token
  lmsops.moodle.moodle_site_info:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
  register: site

- name: Show what is missing for moodle_user
  ansible.builtin.debug:
    var: site.missing_functions.moodle_user

- name: Measure max_input_vars once, then use it for every module
  lmsops.moodle.moodle_site_info:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    probe_max_input_vars: true
  register: probed

- name: Provision users in as few requests as the site allows
  lmsops.moodle.moodle_user:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    max_input_vars: "{{ probed.max_input_vars }}"
    users: "{{ students }}"

- name: Collect every problem without failing, only for the modules used here
  lmsops.moodle.moodle_site_info:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    modules: [moodle_user, moodle_enrolment]
    fail_on_problems: false
  register: check

- name: Fail once, listing what to fix
  ansible.builtin.fail:
    msg: "{{ check.problems | map(attribute='what') | zip(check.problems | map(attribute='fix')) | map('join', ' Fix: ') | list }}"
  when: not check.ok
'''

RETURN = r'''
ok:
  description: Whether no problem was found.
  returned: always
  type: bool
  sample: true
problems:
  description:
    - Every problem found, in the order found. Empty when RV(ok) is true.
    - When the site cannot be reached or rejects the token, this is the only problem (nothing else can be read).
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description:
        - What sort of problem - V(connection), V(timeout), V(tls), V(not_moodle), V(http), V(redirect),
          V(webservices_disabled),
          V(invalid_token), V(access), V(missing_function), V(permission), V(role), V(account), V(probe) or V(moodle).
        - V(permission) - a capability the token user lacks; V(role) - a role the modules give that it may not assign,
          that cannot be assigned where they give it, or that the site does not have.
      type: str
      sample: missing_function
    what:
      description: What is wrong, in words.
      type: str
      sample: The token's service does not offer core_user_create_users (needed by moodle_user)
    fix:
      description: How to fix it, with the Moodle admin path.
      type: str
      sample: Add it at Site administration > Plugins > Web services > External services > (your service) > Functions
    function:
      description: The web-service function concerned, when there is one.
      type: str
      sample: core_user_create_users
  sample:
    - kind: webservices_disabled
      what: Moodle answered HTTP 403 with an empty body - web services are disabled or the REST protocol is not enabled
      fix: >-
        Enable both - Site administration > Advanced features > Enable web services; and Site administration >
        Plugins > Web services > Manage protocols > REST (enable it)
      function: core_webservice_get_site_info
notes:
  description:
    - Things worth knowing that are not problems - for example, for a token user that is not a site administrator when
      what it may do could not be read, what to verify by hand.
  returned: always
  type: list
  elements: str
  sample: []
access:
  description:
    - What the token user may do, for the chosen modules' writes, and where it was read.
  returned: when the site answered and O(check_permissions=true)
  type: dict
  contains:
    checked:
      description: Whether it could be read (the companion plugin's function offered, or O(token_access) given).
      type: bool
      sample: true
    source:
      description: Where it was read - V(companion plugin) or V(setup role, on the Moodle host); null when not checked.
      type: str
      sample: companion plugin
    site_admin:
      description: Whether the token user is a site administrator (who has every capability and may assign any role).
      type: bool
      returned: when checked
    context:
      description: Where the roles were checked - a course (V(course id 2)), or V(system level) when no course was read.
      type: str
      returned: when checked
    held_roles:
      description: The roles the token user holds there, each with where it is assigned.
      type: list
      elements: str
      returned: when checked
      sample: [lmsops_ws (system level)]
    missing_capabilities:
      description: The capabilities the chosen modules need that it lacks (at system level, then in the course).
      type: list
      elements: str
      returned: when checked
      sample: []
    assignable_roles:
      description: The roles of O(assign_roles) it may give.
      type: list
      elements: str
      returned: when checked
      sample: [student, teacher, editingteacher]
    unassignable_roles:
      description: The roles of O(assign_roles) it may not give (each has a problem saying why).
      type: list
      elements: str
      returned: when checked
      sample: []
sitename:
  description: The site's full name.
  returned: when the site answered
  type: str
  sample: Moodle Test Site
siteurl:
  description: The site's URL as Moodle knows it (C($CFG->wwwroot)).
  returned: when the site answered
  type: str
  sample: https://moodle.example.org
release:
  description: Moodle's release string.
  returned: when the site answered
  type: str
  sample: "5.1+ (Build: 20251017)"
version:
  description: Moodle's version number (C($CFG->version)), as a string.
  returned: when the site answered
  type: str
  sample: "2025100600.02"
token_user:
  description: The user the token belongs to.
  returned: when the site answered
  type: dict
  contains:
    id:
      description: User id.
      type: int
      sample: 2
    username:
      description: Username.
      type: str
      sample: admin
    fullname:
      description: Full name.
      type: str
      sample: Admin User
    is_site_admin:
      description: Whether the user is a site administrator (who has every capability).
      type: bool
      sample: true
functions:
  description: The functions the token's service offers, sorted.
  returned: when the site answered
  type: list
  elements: str
  sample: [core_user_get_users_by_field, core_webservice_get_site_info]
missing_functions:
  description:
    - For each module of the collection, the functions it needs that the service does not offer (an empty list when it
      has all of them), and under V(all) every missing function of every module.
  returned: when the site answered
  type: dict
  sample:
    moodle_user: [core_user_create_users, core_user_delete_users, core_user_update_users]
    moodle_enrolment: [core_course_get_courses_by_field, core_enrol_get_enrolled_users]
    moodle_role_assignment: [core_role_assign_roles]
    moodle_site_info: []
    all: [core_course_get_courses_by_field, core_enrol_get_enrolled_users, core_role_assign_roles]
companion_plugin:
  description:
    - Whether the service offers all the functions of the companion plugin C(local_lmsops), which the modules then use
      for exact reads.
  returned: when the site answered
  type: bool
  sample: false
checks:
  description: The permission checks made, each with its outcome.
  returned: when the site answered
  type: list
  elements: dict
  contains:
    function:
      description: The function called.
      type: str
    result:
      description: V(ok), V(failed) or V(skipped).
      type: str
    detail:
      description: What the check shows, or why it failed or was skipped.
      type: str
  sample:
    - {function: core_user_get_users_by_field, result: ok, detail: read the token user's own record}
max_input_vars:
  description:
    - The site's effective PHP C(max_input_vars), as the O(max_input_vars) option of every module of this collection
      expects it. The modules keep each request under this many fields, which the site keeps whole.
    - It is one less than the largest request that arrived whole (RV(max_input_vars_probe.kept_fields)) - PHP keeps one
      field more than its setting in a form-encoded POST body, so on PHP this is exactly the site's setting. A site
      that kept no extra field gets a value one lower, which is still safe.
  returned: when O(probe_max_input_vars=true) and the probe succeeded
  type: int
  sample: 5000
max_input_vars_probe:
  description: How the probe went.
  returned: when O(probe_max_input_vars=true) and the probe succeeded
  type: dict
  contains:
    kept_fields:
      description: The largest number of form fields (all counted, C(wstoken) included) of a request the site kept whole.
      type: int
      sample: 5001
    requests:
      description: How many probe requests were sent.
      type: int
      sample: 7
    at_least:
      description: True when even the largest request (O(probe_max_fields)) was kept whole, so the real limit may be higher.
      type: bool
      sample: false
'''

import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.lmsops.moodle.plugins.module_utils.api import (
    PLUGIN_FUNCTIONS, REQUIRED_FUNCTIONS, MoodleAPI, probe_keeps_fields, sample_enrolled_users)
from ansible_collections.lmsops.moodle.plugins.module_utils.client import (
    ADMIN_ALLOW_ASSIGN, ADMIN_ASSIGN_SYSTEM_ROLES, ADMIN_DEFINE_ROLES, ADMIN_SERVICE_FUNCTIONS, MoodleClient, MoodleError)
from ansible_collections.lmsops.moodle.plugins.module_utils.module_base import (
    client_from_params, client_options, connection_argument_spec)

MODULES = ['moodle_user', 'moodle_enrolment', 'moodle_role_assignment', 'moodle_course_category', 'moodle_site_info']
# What the checks cover unless told (the setup role's default moodle_setup_modules): the modules that manage categories
# and courses need capabilities (moodle/category:manage, moodle/course:create, moodle/course:delete) a token should get
# only when they are used, so they are checked when named.
DEFAULT_MODULES = ['moodle_user', 'moodle_enrolment', 'moodle_role_assignment', 'moodle_site_info']

# The probe's smallest request: a site keeping fewer fields cannot run this collection.
PROBE_MIN_FIELDS = 100
# PHP max_input_vars values seen in the wild; the probe tries the cut-offs they produce first.
COMMON_LIMITS = (1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000, 10000, 12000, 15000, 20000, 25000, 30000,
                 40000, 50000, 60000, 75000, 80000, 100000, 150000, 200000)
# A client for the probe: the probe is the one place that sends more fields than the site may keep.
UNLIMITED_FIELDS = 10 ** 9


# The capabilities each module needs the token user's role to allow, at system level: the capabilities the functions
# it calls check in Moodle 4.5 and 5.1 (require_capability/has_capability in each function; the setup role's README
# gives the reason for each). roles/setup/vars/main.yml moodle_setup_module_capabilities holds the same lists (a unit
# test keeps them equal). A site administrator has every capability.
BASE_CAPABILITIES = ['webservice/rest:use']
MODULE_CAPABILITIES = {
    'moodle_site_info': [],
    'moodle_user': ['moodle/user:viewdetails', 'moodle/user:viewalldetails', 'moodle/user:viewhiddendetails',
                    'moodle/site:viewuseridentity', 'moodle/user:create', 'moodle/user:update', 'moodle/user:delete'],
    'moodle_enrolment': ['moodle/user:viewdetails', 'moodle/user:viewalldetails', 'moodle/site:viewuseridentity',
                         'moodle/course:view', 'moodle/course:viewhiddencourses', 'moodle/course:enrolreview',
                         'enrol/manual:enrol', 'enrol/manual:unenrol', 'moodle/role:assign'],
    'moodle_role_assignment': ['moodle/user:viewdetails', 'moodle/user:viewalldetails', 'moodle/site:viewuseridentity',
                               'moodle/course:view', 'moodle/course:viewhiddencourses',
                               'moodle/category:viewhiddencategories', 'moodle/course:viewparticipants',
                               'moodle/role:assign'],
    'moodle_course_category': ['moodle/category:manage', 'moodle/course:create', 'moodle/course:delete',
                               'moodle/category:viewhiddencategories', 'moodle/course:viewhiddencourses'],
}
# With the companion plugin's functions in the service: its role reads.
PLUGIN_CAPABILITIES = ['moodle/role:review']
# The companion plugin's read of what the calling user may do (local_lmsops 1.1.0 and later).
ACCESS_FUNCTION = 'local_lmsops_get_access_information'
# The modules that give roles: enrol_manual_enrol_users and core_role_assign_roles give only the roles Moodle's
# get_assignable_roles() returns for the token user in the context - moodle/role:assign there, a role it holds whose
# "Allow role assignments" entries list the role, and the role assignable at that context level.
ASSIGNING_MODULES = ('moodle_enrolment', 'moodle_role_assignment')
DEFAULT_ASSIGN_ROLES = ['student', 'teacher', 'editingteacher']
ROLE_SHORTNAME = re.compile(r'^[A-Za-z0-9_-]+$')

# Per error kind: the problem kind reported.
PROBLEM_KINDS = {
    'connection': 'connection', 'timeout': 'timeout', 'tls': 'tls', 'not_moodle': 'not_moodle', 'http': 'http',
    'redirect': 'redirect',
    'webservices_disabled': 'webservices_disabled', 'invalid_token': 'invalid_token', 'access': 'access',
    'permission': 'permission', 'missing_library': 'moodle',
}


# -- the probe's search ---------------------------------------------------------------------
def probe_ladder(low, high):
    """The request sizes tried first: low, high, and each common limit's cut-offs (L, L+1, L+2)."""
    points = set([low, high])
    for limit in COMMON_LIMITS:
        for size in (limit, limit + 1, limit + 2):
            if low < size < high:
                points.add(size)
    return sorted(points)


def find_kept_fields(keeps, low=PROBE_MIN_FIELDS, high=100000):
    """The largest request size in [low, high] that ``keeps(size)`` (monotone: True up to a cut-off).

    Returns ``(kept, requests, at_least)``: ``kept`` is None when even ``low`` is not kept;
    ``at_least`` is True when ``high`` is kept (the real cut-off may be higher).  The sizes that
    common PHP settings produce are searched first (binary search over them), then the gap
    between the two neighbours found is bisected, so usual limits take about seven requests.
    """
    if high < low:
        raise ValueError('high (%d) must not be below low (%d)' % (high, low))
    seen = {}

    def test(size):
        if size not in seen:
            seen[size] = bool(keeps(size))
        return seen[size]

    if not test(low):
        return None, len(seen), False
    ladder = probe_ladder(low, high)
    # Invariant: ladder[good] is kept; ladder[bad] is not (bad == len(ladder): past high, assumed not kept).
    good, bad = 0, len(ladder)
    while bad - good > 1:
        middle = (good + bad) // 2
        if test(ladder[middle]):
            good = middle
        else:
            bad = middle
    if bad == len(ladder):
        return ladder[good], len(seen), True
    kept, dropped = ladder[good], ladder[bad]
    while dropped - kept > 1:
        middle = (kept + dropped) // 2
        if test(middle):
            kept = middle
        else:
            dropped = middle
    return kept, len(seen), False


def probe_function(client, userid, refused):
    """``keeps(size)`` for find_kept_fields: one probe request of ``size`` fields.

    A site can refuse a large request outright rather than truncate it: a proxy's body size limit
    (HTTP 413), PHP's post_max_size (the body is discarded, so the token is missing), a database
    limit on the number of values in one query.  Past the first (smallest) request such a refusal
    counts as "not kept whole", recorded in ``refused``: the size reported is then the largest one
    the site really took, which is still safe.  Connection, timeout and TLS errors are raised.
    """
    def keeps(size):
        try:
            return probe_keeps_fields(client, userid, size)
        except MoodleError as error:
            if size <= PROBE_MIN_FIELDS or error.kind in ('connection', 'timeout', 'tls'):
                raise
            refused.append((size, error))
            return False
    return keeps


def safe_max_input_vars(kept_fields):
    """The max_input_vars option value for a site that kept ``kept_fields`` fields of a POST.

    PHP keeps max_input_vars + 1 fields of a form-encoded body, so this is the site's setting;
    the client sends fewer fields than it, all of which the site keeps.
    """
    return kept_fields - 1


# -- problems -------------------------------------------------------------------------------
def problem(kind, what, fix, function=None):
    return dict(kind=kind, what=what.rstrip('.'), fix=fix.rstrip('.') if fix else fix, function=function)


def problem_from_error(error):
    """A MoodleError as a problem: its diagnosis and the fix the client found for it."""
    kind = PROBLEM_KINDS.get(error.kind, 'moodle')
    what = error.diagnosis()
    fix = error.hint
    if error.errorcode in ('usernotfullysetup', 'forcepasswordchangenotice') or (error.errorcode or '').startswith('wsaccessuser'):
        kind = 'account'
    if kind == 'permission':
        fix = ('Allow the capability named above in the token user\'s role, at system level (%s), and assign that '
               'role to the token user at system level' % ADMIN_DEFINE_ROLES)
    if not fix:
        fix = 'See the message; Moodle\'s own words are quoted'
    return problem(kind, what, fix, error.function)


def missing_function_problems(offered, modules):
    """One problem per function the chosen modules need and the service does not offer."""
    needed_by = {}
    for module in modules:
        for function in REQUIRED_FUNCTIONS.get(module, []):
            if function not in offered:
                needed_by.setdefault(function, []).append(module)
    problems = []
    for function in sorted(needed_by):
        problems.append(problem(
            'missing_function',
            'The token\'s service does not offer %s (needed by %s)' % (function, ', '.join(needed_by[function])),
            'Add %s at %s' % (function, ADMIN_SERVICE_FUNCTIONS), function))
    return problems


def missing_functions(offered):
    """Per module (every module) the functions it needs that are not offered, and ``all``."""
    result, every = {}, set()
    for module, functions in REQUIRED_FUNCTIONS.items():
        result[module] = sorted(set(f for f in functions if f not in offered))
        every.update(result[module])
    result['all'] = sorted(every)
    return result


def format_problems(problems):
    return '; '.join('(%d) %s. Fix: %s' % (index, p['what'].rstrip('.'), p['fix']) for index, p in enumerate(problems, 1))


# -- what the writes need -------------------------------------------------------------------
def needed_capabilities(modules, plugin=False):
    """Capability -> the chosen modules that need it (in the order of MODULE_CAPABILITIES)."""
    needed = {}
    for capability in BASE_CAPABILITIES:
        needed[capability] = ['all modules']
    for module in MODULES:
        if module in modules:
            for capability in MODULE_CAPABILITIES[module]:
                needed.setdefault(capability, []).append(module)
    if plugin:
        for capability in PLUGIN_CAPABILITIES:
            needed.setdefault(capability, []).append('the companion plugin\'s reads')
    return needed


def describe_needs(capabilities, names):
    return ', '.join('%s (%s)' % (name, ', '.join(capabilities.get(name) or [])) for name in names)


def unchecked_access_note(username, capabilities, roles, assigning):
    """The note for a token user whose access cannot be read: what to verify by hand, claiming nothing is missing."""
    text = ('The token user %s is not a site administrator, and what its writes need could not be read: that takes the '
            'companion plugin local_lmsops 1.1.0 or later with %s in the token\'s service (the setup role installs it '
            'and adds it with moodle_setup_install_plugin: true; its configure mode also reads it on the Moodle host). '
            'Nothing here says anything is missing. Verify by hand, once, at %s: its role allows, at system level, %s'
            % (username, ACCESS_FUNCTION, ADMIN_DEFINE_ROLES, ', '.join(capabilities)))
    if assigning and roles:
        text += ('; and, for %s, a role it holds may assign %s (%s), each of which may be assigned in courses (%s > '
                 '(role) > Context types where this role may be assigned)'
                 % (' and '.join(assigning), ', '.join(roles), ADMIN_ALLOW_ASSIGN, ADMIN_DEFINE_ROLES))
    return text


def _names(value):
    return [str(item) for item in value or [] if isinstance(item, (str, int))]


def _context_label(context):
    if context.get('contextlevel') == 'system':
        return 'system level'
    return '%s id %s' % ('category' if context.get('contextlevel') == 'coursecat' else context.get('contextlevel'),
                         context.get('instanceid'))


def evaluate_access(access, capabilities, roles, modules, username):
    """What the chosen modules' writes need that ``access`` (local_lmsops_get_access_information's answer, or the same
    read by the setup role on the Moodle host) shows the token user lacks.

    Returns the RV(access) dict with two extra keys, ``problems`` and ``notes``, for the caller to take out.
    """
    contexts = _dicts(access.get('contexts'))
    system = next((c for c in contexts if c.get('contextlevel') == 'system'), {})
    course = next((c for c in contexts if c.get('contextlevel') == 'course'), None)
    where = course or system
    siteadmin = bool(access.get('siteadmin'))
    held_system = sorted(set(str(r.get('shortname')) for r in _dicts(system.get('heldroles'))
                             if r.get('contextlevel') == 'system'))
    missing_system = [c for c in _names(system.get('missingcapabilities')) if c in capabilities]
    missing_course = [c for c in _names((course or {}).get('missingcapabilities'))
                      if c in capabilities and c not in missing_system]
    problems = [] if siteadmin else _capability_problems(username, capabilities, missing_system, missing_course,
                                                         held_system, course)
    unknown = [c for c in _names(access.get('unknowncapabilities')) if c in capabilities]
    notes = ['This site does not know the capabilities %s: the modules that need them may fail' % ', '.join(unknown)
             ] if unknown else []
    assigning = [m for m in modules if m in ASSIGNING_MODULES]
    can_assign = 'moodle/role:assign' not in missing_system + missing_course
    sorted_roles = _sort_roles(access, roles, assigning, course, where, siteadmin, can_assign)
    holders = held_system or sorted(set(str(r.get('shortname')) for r in _dicts(where.get('heldroles'))))
    problems.extend(_role_problems(username, sorted_roles, holders, assigning, course))
    return dict(
        checked=True, site_admin=siteadmin, context=_context_label(where),
        held_roles=sorted(set('%s (%s)' % (r.get('shortname'), _context_label(r)) for r in _dicts(where.get('heldroles')))),
        missing_capabilities=missing_system + missing_course,
        assignable_roles=sorted_roles['ok'],
        unassignable_roles=sorted(set(sorted_roles['not_allowed'] + sorted_roles['refused'] + sorted_roles['unknown']
                                      + [entry[0] for entry in sorted_roles['no_level']])),
        problems=problems, notes=notes)


def _dicts(value):
    return [item for item in value or [] if isinstance(item, dict)]


def _capability_problems(username, capabilities, missing_system, missing_course, held_system, course):
    """The capabilities the token user lacks at system level, and those an override takes away in the course read."""
    problems = []
    if missing_system:
        if held_system:
            fix = 'Allow them in its role%s %s at %s > %s' % (
                's' if len(held_system) > 1 else '', ', '.join(held_system), ADMIN_DEFINE_ROLES, held_system[0])
        else:
            held_elsewhere = sorted(set('%s (%s)' % (r.get('shortname'), _context_label(r)) for r in
                                        _dicts((course or {}).get('heldroles')) if r.get('contextlevel') != 'system'))
            fix = ('It holds no role at system level%s: give it a role that allows them at %s (a role is offered '
                   'there only when it may be assigned at system level: %s > (role) > Context types where this role '
                   'may be assigned)' % ((' (only %s)' % ', '.join(held_elsewhere)) if held_elsewhere else '',
                                         ADMIN_ASSIGN_SYSTEM_ROLES, ADMIN_DEFINE_ROLES))
        problems.append(problem('permission', 'The token user %s lacks, at system level, what the chosen modules need: %s'
                                % (username, describe_needs(capabilities, missing_system)), fix))
    if missing_course:
        problems.append(problem(
            'permission', 'The token user %s lacks, in %s, what its role allows at system level: %s'
            % (username, _context_label(course), describe_needs(capabilities, missing_course)),
            'A permission override in that course or one of its categories prevents them: remove it (the course\'s '
            'Participants > Permissions, the category\'s Permissions), or check them where the modules will work'))
    return problems


def _sort_roles(access, roles, assigning, course, where, siteadmin, can_assign):
    """The roles the modules give, sorted: unknown to the site, not assignable at the levels needed (no_level:
    (role, what, level to tick)), missing from the token user's Allow role assignments (not_allowed), left out by
    get_assignable_roles() in the course read (refused), and ok."""
    levels = dict((str(role['shortname']), _names(role.get('contextlevels'))) for role in _dicts(access.get('roles'))
                  if role.get('shortname') is not None)
    allowed = set(_names(where.get('allowedroles')))
    assignable = set(_names((course or {}).get('assignableroles')))
    found = dict(unknown=[r for r in _names(access.get('unknownroles')) if r in roles], no_level=[], not_allowed=[],
                 refused=[], ok=[])
    for role in roles:
        if role in found['unknown'] or role not in levels:
            continue
        bad = False
        if assigning == ['moodle_enrolment'] and 'course' not in levels[role]:
            found['no_level'].append((role, 'in courses, so moodle_enrolment cannot enrol with it', 'Course'))
            bad = True
        elif not levels[role]:
            found['no_level'].append((role, 'in any context', 'the levels %s will give it at' % ' and '.join(assigning)))
            bad = True
        if not siteadmin and role not in allowed:
            found['not_allowed'].append(role)
            bad = True
        elif course is not None and can_assign and 'course' in levels[role] and role not in assignable:
            found['refused'].append(role)
            bad = True
        if not bad:
            found['ok'].append(role)
    return found


def _role_problems(username, sorted_roles, holders, assigning, course):
    """One problem per reason the token user cannot give the roles the modules give, each with its fix."""
    problems = []
    if sorted_roles['unknown']:
        problems.append(problem(
            'role', 'This site has no role %s (assign_roles)' % ', '.join(sorted_roles['unknown']),
            'Name roles by their shortname, as %s lists them (moodle_setup_role_allow_assign with the setup role)'
            % ADMIN_DEFINE_ROLES))
    for role, what, level in sorted_roles['no_level']:
        problems.append(problem('role', 'The role %s cannot be assigned %s' % (role, what),
                                'Tick %s under Context types where this role may be assigned at %s > %s > Edit'
                                % (level, ADMIN_DEFINE_ROLES, role)))
    not_allowed = sorted_roles['not_allowed']
    if not_allowed:
        them = 'them' if len(not_allowed) > 1 else 'it'
        problems.append(problem(
            'role', 'The token user %s may not assign %s: no role it holds%s lists %s in its Allow role assignments, '
            'so Moodle refuses %s to %s' % (username, ', '.join(not_allowed),
                                            (' (%s)' % ', '.join(holders)) if holders else '', them, them,
                                            ' and '.join(assigning)),
            'At %s, tick %s in the row of %s (with the setup role: moodle_setup_role_allow_assign)'
            % (ADMIN_ALLOW_ASSIGN, ', '.join(not_allowed), ', '.join(holders) if holders else 'the token user\'s role')))
    refused = sorted_roles['refused']
    if refused:
        them = 'them' if len(refused) > 1 else 'it'
        problems.append(problem(
            'role', 'The token user %s may not assign %s in %s, although its role may assign %s there: Moodle\'s '
            'get_assignable_roles() leaves %s out' % (username, ', '.join(refused), _context_label(course), them, them),
            'Check the permission overrides of moodle/role:assign in that course and its categories, and that the '
            'token user\'s role is assigned at system level (%s)' % ADMIN_ASSIGN_SYSTEM_ROLES))
    return problems


# -- the module -----------------------------------------------------------------------------
class SiteInfo:
    """The module. Like the other modules' classes, it builds its AnsibleModule and its API from the task's
    arguments unless they are given (tests give the API of a site they serve)."""

    def __init__(self, module=None, api=None):
        self.module = module or self.ansible_module()
        self.params = self.module.params
        self.api = api or MoodleAPI(client_from_params(self.module))
        self.client = self.api.client
        self.problems = []
        self.notes = []
        self.checks = []
        self.access = None

    @staticmethod
    def ansible_module():
        module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
        check_input(module)
        return module

    def run(self):
        result = dict(changed=False)
        try:
            info = self.api.site_info()
        except MoodleError as error:
            self.problems.append(problem_from_error(error))
            return self.finish(result)
        if not isinstance(info, dict):
            self.problems.append(problem('not_moodle', 'core_webservice_get_site_info answered %r, not the site\'s details'
                                         % (info,), 'Check url points at the Moodle site root'))
            return self.finish(result)
        offered = sorted(set(f.get('name') for f in info.get('functions') or [] if isinstance(f, dict)))
        user = dict(id=info.get('userid'), username=info.get('username'), fullname=info.get('fullname'),
                    is_site_admin=bool(info.get('userissiteadmin')))
        result.update(sitename=info.get('sitename'), siteurl=info.get('siteurl'), release=info.get('release'),
                      version=None if info.get('version') is None else str(info.get('version')), token_user=user,
                      functions=offered, missing_functions=missing_functions(set(offered)),
                      companion_plugin=all(name in offered for name in PLUGIN_FUNCTIONS), checks=self.checks)
        modules = self.params['modules']
        self.problems.extend(missing_function_problems(set(offered), modules))
        if self.params['check_permissions']:
            self.check_permissions(set(offered), modules, user, result['companion_plugin'])
        if self.access is not None:
            result['access'] = self.access
        if self.params['probe_max_input_vars']:
            result.update(self.probe(set(offered), user))
        return self.finish(result)

    def finish(self, result):
        result.update(ok=not self.problems, problems=self.problems, notes=self.notes)
        if self.problems and self.params['fail_on_problems']:
            self.module.fail_json(msg='%d problem(s) with the Moodle site %s: %s'
                                  % (len(self.problems), self.client.base_url, format_problems(self.problems)), **result)
        self.module.exit_json(**result)

    # -- permission checks --------------------------------------------------------------
    def needed(self, modules):
        needed = set()
        for module in modules:
            needed.update(REQUIRED_FUNCTIONS.get(module, []))
        return needed

    def check(self, function, detail, call):
        """Run one harmless read; record its outcome, and a problem when Moodle refuses it."""
        try:
            answer = call()
        except MoodleError as error:
            self.checks.append(dict(function=function, result='failed', detail=str(error)))
            self.problems.append(problem_from_error(error))
            return None
        self.checks.append(dict(function=function, result='ok', detail=detail))
        return answer

    def skip(self, function, why):
        self.checks.append(dict(function=function, result='skipped', detail=why))

    def check_permissions(self, offered, modules, user, plugin):
        needed = self.needed(modules)

        def usable(function):
            return function in needed and function in offered

        if usable('core_user_get_users_by_field') and user['id']:
            self.check('core_user_get_users_by_field', 'read the token user\'s own record',
                       lambda: self.api.get_users_by_field('id', [user['id']]))
        course = None
        if usable('core_course_get_courses_by_field'):
            if self.params['check_course']:
                courses = self.check('core_course_get_courses_by_field', 'read course id %d' % self.params['check_course'],
                                     lambda: self.api.get_courses('id', [self.params['check_course']]))
            else:
                # One 'id' read: an 'ids' read that names a missing course fails inside Moodle (a PHP Error).
                courses = self.check('core_course_get_courses_by_field', 'read course id 2 (the first course of a site)',
                                     lambda: self.api.get_courses_by_field('id', 2))
            ids = sorted(c.get('id') for c in courses or [] if isinstance(c, dict) and c.get('id') not in (None, 1))
            course = ids[0] if ids else None
        if usable('core_course_get_categories'):
            self.check('core_course_get_categories', 'read category id 1',
                       lambda: self.api.get_categories('id', 1))
        if usable('core_enrol_get_enrolled_users'):
            course = self.params['check_course'] or course
            if course:
                self.check('core_enrol_get_enrolled_users', 'read one enrolled user of course id %d' % course,
                           lambda: sample_enrolled_users(self.client, course))
            else:
                self.skip('core_enrol_get_enrolled_users', 'no course to read (set check_course)')
        if plugin:
            self.check('local_lmsops_get_roles', 'read the site\'s roles through the companion plugin',
                       self.api.plugin_get_roles)
        self.check_access(offered, modules, user, plugin, self.params['check_course'] or course)

    # -- what the writes need: capabilities and roles the token user may assign ---------------
    def check_access(self, offered, modules, user, plugin, course):
        """Read what the token user may do (companion plugin, or the setup role's read on the host) and report what the
        chosen modules' writes need and it lacks; without a way to read it, say what to verify by hand."""
        capabilities = needed_capabilities(modules, plugin)
        assigning = [m for m in modules if m in ASSIGNING_MODULES]
        roles = list(self.params['assign_roles']) if assigning else []
        contexts = [dict(contextlevel='system', instanceid=0)]
        if course and assigning:
            contexts.append(dict(contextlevel='course', instanceid=course))
        access, source = None, None
        if ACCESS_FUNCTION in offered:
            answer = self.check(ACCESS_FUNCTION, 'read what the token user may do (capabilities, roles it may assign)',
                                lambda: self.client.call(ACCESS_FUNCTION, dict(
                                    capabilities=sorted(capabilities), contexts=contexts, roles=roles)))
            if answer is None:
                return
            access, source = answer, 'companion plugin'
        elif self.params['token_access']:
            given = self.params['token_access']
            if given.get('userid') == user['id']:
                access, source = given, 'setup role, on the Moodle host'
            else:
                self.notes.append('token_access describes user id %s, not the token\'s user (id %s): not used'
                                  % (given.get('userid'), user['id']))
        if access is None:
            self.access = dict(checked=False, source=None)
            if not user['is_site_admin']:
                self.notes.append(unchecked_access_note(user['username'], capabilities, roles, assigning))
            return
        self.access = evaluate_access(access, capabilities, roles, modules, user['username'])
        self.access['source'] = source
        self.problems.extend(self.access.pop('problems'))
        self.notes.extend(self.access.pop('notes'))

    # -- max_input_vars probe -----------------------------------------------------------
    def probe(self, offered, user):
        if 'core_user_get_users_by_field' not in offered:
            self.problems.append(problem(
                'probe', 'Cannot probe max_input_vars: the token\'s service does not offer core_user_get_users_by_field',
                'Add core_user_get_users_by_field at %s' % ADMIN_SERVICE_FUNCTIONS, 'core_user_get_users_by_field'))
            return {}
        high = self.params['probe_max_fields']
        if high < PROBE_MIN_FIELDS:
            self.module.fail_json(msg='probe_max_fields must be at least %d, got %d' % (PROBE_MIN_FIELDS, high))
        options = client_options(self.module)
        options['max_input_vars'] = UNLIMITED_FIELDS
        client = MoodleClient(**options)
        refused = []
        try:
            kept, requests, at_least = find_kept_fields(probe_function(client, user['id'], refused),
                                                        PROBE_MIN_FIELDS, high)
        except MoodleError as error:
            self.problems.append(problem_from_error(error))
            return {}
        if kept is None:
            self.problems.append(problem(
                'probe', 'The site dropped fields of a request of only %d form fields: its PHP max_input_vars is far too '
                'low, or core_user_get_users_by_field does not return the token user' % PROBE_MIN_FIELDS,
                'Raise max_input_vars in the web server\'s php.ini (Moodle asks for at least 5000) and reload PHP',
                'core_user_get_users_by_field'))
            return {}
        if refused:
            size, error = min(refused, key=lambda pair: pair[0])
            self.notes.append('The site refused a probe request of %d form fields instead of truncating it (%s); '
                              'max_input_vars is the largest request it took whole, which is safe, but requests that '
                              'large may fail' % (size, error))
        if at_least:
            self.notes.append('The site kept every field of the largest probe (%d fields): its max_input_vars is at least '
                              'that; raise probe_max_fields to measure higher' % kept)
        return dict(max_input_vars=safe_max_input_vars(kept),
                    max_input_vars_probe=dict(kept_fields=kept, requests=requests, at_least=at_least))


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        modules=dict(type='list', elements='str', choices=MODULES, default=list(DEFAULT_MODULES)),
        check_permissions=dict(type='bool', default=True),
        check_course=dict(type='int'),
        assign_roles=dict(type='list', elements='str', default=list(DEFAULT_ASSIGN_ROLES)),
        token_access=dict(type='dict', no_log=False),
        probe_max_input_vars=dict(type='bool', default=False),
        probe_max_fields=dict(type='int', default=100000),
        fail_on_problems=dict(type='bool', default=True),
    )
    return spec


def check_input(module):
    """Refuse options the checks cannot use, naming the fix."""
    bad = [role for role in module.params['assign_roles'] if not ROLE_SHORTNAME.match(role or '')]
    if bad:
        module.fail_json(msg='assign_roles takes role shortnames (letters, digits, _ and -, as Site administration > '
                             'Users > Permissions > Define roles shows them), got: %s' % ', '.join(repr(r) for r in bad))
    given = module.params['token_access']
    if given is not None and not (isinstance(given.get('userid'), int) and isinstance(given.get('contexts'), list)):
        module.fail_json(msg='token_access must be what the setup role\'s configure step read on the Moodle host (a '
                             'dict with userid and contexts, as local_lmsops_get_access_information answers); leave '
                             'it unset otherwise')


def main():
    SiteInfo().run()


if __name__ == '__main__':
    main()
