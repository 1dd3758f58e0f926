#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: moodle_role_assignment
short_description: Assign and unassign Moodle roles in any context, one or thousands at a time
version_added: 1.0.0
description:
  - Makes Moodle role assignments match what you describe, through Moodle's REST web services - a role given to a
    user in the system context, a course category, a course, a course module (activity), another user's context or
    a block.
  - Single form (top-level options, one assignment) or bulk form (O(assignments), a list of the same options). Users,
    courses and categories are looked up in batches; assignments and unassignments are sent in batched calls kept
    under the site's C(max_input_vars).
  - Every item is checked before anything is written; a bad item (unknown user, course, category or role, a role
    that cannot be assigned at that context level, options that contradict each other) fails the run, naming it,
    and nothing is written.
  - B(What can be read.) Core Moodle web services cannot read role assignments, except the course roles of users
    B(enrolled) in a course. Those are compared exactly, and a repeated run makes no write call and reports
    C(changed=false). Everywhere else (system, category, module, user and block contexts, and users not enrolled
    in the course) the module cannot know whether the assignment exists, so it sends the assign (or unassign)
    anyway - Moodle ignores a repeated one, so the site converges - reports the item as V(assigned) (or
    V(unassigned)) with RV(assignment.verified=false) and C(changed=true), and warns once. Check mode then
    predicts the call that would be sent, not whether the site would differ. See the notes.
  - When the companion plugin C(local_lmsops) is installed and its functions are in the token's service, the module
    reads roles and role assignments from the site in every context - V(changed), check mode and diff are then exact
    everywhere and the warnings disappear.
  - Moodle assigns roles all-or-nothing per request. When it rejects a batch, the module re-reads what it can, sends
    the rest again in halves until each rejected assignment is isolated, and fails naming each one with Moodle's
    reason.
extends_documentation_fragment:
  - lmsops.moodle.connection
  - lmsops.moodle.attributes
author:
  - lmsops.moodle contributors (@lmsops)
options:
  user:
    description:
      - The user who gets (or loses) the role, identified by O(user_field).
      - Required in the single form; mutually exclusive with O(assignments).
    type: raw
  user_field:
    description:
      - Which user field O(user) is.
      - Default V(username).
    type: str
    choices: [username, email, idnumber, id]
  role:
    description:
      - The role's shortname, for example V(manager), V(coursecreator), V(editingteacher), V(teacher), V(student).
      - Without the companion plugin, shortnames resolve to the ids a fresh Moodle install gives the standard roles
        (manager 1 to frontpage 8), cross-checked against every role id and shortname the site shows in the courses
        read; a contradiction fails the run before anything is written. With the plugin, the site's own roles are
        read.
      - Without the plugin, outside a course (system, category, module, user and block contexts) nothing can confirm
        a shortname's id, so a shortname there fails the run before any write, asking for O(role_id), unless a
        course read in the same run showed that shortname's id.
      - Exactly one of O(role) and O(role_id) is required.
    type: str
  role_id:
    description:
      - The role's id, used as it is (for a custom role on a site without the companion plugin, say).
      - Exactly one of O(role) and O(role_id) is required.
    type: int
  context:
    description:
      - Where the role is assigned. V(system) is the whole site (no O(instance)); V(category) a course category;
        V(course) a course; V(module) a course module (an activity or resource); V(user) another user's context (a
        parent or mentor role, say); V(block) a block instance.
      - Default V(course).
    type: str
    choices: [system, category, course, module, user, block]
  instance:
    description:
      - Which category, course, module, user or block, identified by O(instance_field). Not allowed for
        O(context=system), required for every other context.
      - A course by shortname, idnumber or id; a category by id or idnumber; a user by username, email, idnumber or
        id; a course module by its id (the C(id) in C(/mod/forum/view.php?id=12)); a block by its instance id.
      - Course module and block ids cannot be checked through core Moodle web services; an id that does not exist is
        named by Moodle's error when the assignment is sent (with the companion plugin it is found before any write).
    type: raw
  instance_field:
    description:
      - Which field O(instance) is. Defaults to V(shortname) for courses, V(id) for categories, modules and blocks,
        and V(username) for users.
      - Allowed - course V(shortname), V(idnumber), V(id); category V(id), V(idnumber); user V(username), V(email),
        V(idnumber), V(id); module and block V(id) only.
    type: str
    choices: [shortname, idnumber, id, username, email]
  state:
    description:
      - V(present) assigns the role; V(absent) unassigns it.
      - Only manual role assignments (those C(core_role_assign_roles) makes) are managed. A role a user holds through
        an enrolment plugin (cohort sync, course meta link) cannot be removed here; the module reports it
        V(unchanged) with a warning instead of reporting it removed. Without the companion plugin it finds this out
        by reading the course again after the unassign (check mode, which writes nothing, predicts V(unassigned)).
      - Default V(present).
    type: str
    choices: [present, absent]
  assignments:
    description:
      - Bulk form, a list of assignments with the options above (O(user) required in each).
      - An option given at the top level next to O(assignments) is the default of every assignment; an assignment's
        own value wins. An assignment's O(role_id) drops a top-level O(role) (and the reverse), and an assignment
        whose O(context) differs from the top-level one drops the top-level O(instance) and O(instance_field).
      - Mutually exclusive with O(user).
    type: list
    elements: dict
    suboptions:
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
      context:
        description: See O(context).
        type: str
        choices: [system, category, course, module, user, block]
      instance:
        description: See O(instance).
        type: raw
      instance_field:
        description: See O(instance_field).
        type: str
        choices: [shortname, idnumber, id, username, email]
      state:
        description: See O(state).
        type: str
        choices: [present, absent]
notes:
  - Needs these functions in the token's service - core_webservice_get_site_info, core_user_get_users_by_field,
    core_course_get_courses_by_field, core_course_get_categories, core_enrol_get_enrolled_users,
    core_role_assign_roles, core_role_unassign_roles. The token user needs moodle/role:assign in each context, and
    Moodle's "Allow role assignments" must let its role assign the target roles.
  - "Reads: each course, category and user named once. Without the plugin, each course's enrolled users (id, roles
    and only the user field the items name users by) also resolve the users already enrolled; only the other users
    are looked up (core_user_get_users_by_field, or on a small site one read of the site's user list, id and that
    field only). A user found among the enrolled users by O(user_field=email) or O(user_field=idnumber), which several
    users may share, is looked up site-wide before anything is written for them, and an ambiguous value fails as
    before."
  - Optional, for exact reads everywhere - the companion plugin's local_lmsops_get_roles,
    local_lmsops_get_role_assignments and local_lmsops_get_user_enrolments (all three must be offered).
  - B(Verified without the plugin) - course roles of users enrolled in the course (read with
    core_enrol_get_enrolled_users), the users, courses and categories named, and the standard role ids against every
    (id, shortname) pair those courses show.
  - B(Not verified without the plugin) - assignments in system, category, module, user and block contexts and those
    of users not enrolled in the course (RV(assignment.verified=false); C(changed=true) means the call was sent, not
    that the site differed); course module and block ids; and role ids no enrolled user in the courses read holds
    (the module warns when it writes with such an id, since a site whose roles were recreated would get the wrong
    role).
  - Without the plugin, the role a user holds in a course through an enrolment plugin looks like a manual one - it
    counts as present, and an unassign that leaves it in place fails naming it.
  - Without the plugin, where the standard roles can be assigned is taken from Moodle's defaults (system and
    category - manager, coursecreator; course - manager, editingteacher, teacher, student; module - editingteacher,
    teacher, student; user and block - none). A site that allows more needs role_id (not checked) or the plugin.
seealso:
  - module: lmsops.moodle.moodle_enrolment
  - module: lmsops.moodle.moodle_user
  - module: lmsops.moodle.moodle_site_info
'''

EXAMPLES = r'''
- name: Make alice a non-editing teacher in PHYS101 (she is enrolled there, so this is read and compared exactly)
  lmsops.moodle.moodle_role_assignment:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    user: alice
    role: teacher
    context: course
    instance: PHYS101

- name: Remove the teachers of last term from PHYS101 (role, course and state given once)
  lmsops.moodle.moodle_role_assignment:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    role: teacher
    instance: PHYS101
    state: absent
    assignments:
      - user: dave
      - user: erin

- name: Make bob a course creator for the whole site (a role shortname outside courses needs the companion plugin)
  lmsops.moodle.moodle_role_assignment:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    user: bob
    role: coursecreator
    context: system

- name: The same on a site without the companion plugin, by the role's id (Define roles shows it)
  lmsops.moodle.moodle_role_assignment:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    user: bob
    role_id: 2
    context: system

- name: Make carol (found by e-mail) manager of the category with idnumber SCIENCE
  lmsops.moodle.moodle_role_assignment:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    user: carol@example.org
    user_field: email
    role: manager
    context: category
    instance: SCIENCE
    instance_field: idnumber

- name: Many assignments in one task (module_defaults carries the connection)
  module_defaults:
    group/lmsops.moodle.moodle:
      url: https://moodle.example.org
      token: "{{ moodle_token }}"
      max_input_vars: 5000
  block:
    - name: Teachers of the autumn courses
      lmsops.moodle.moodle_role_assignment:
        assignments:
          - {user: alice, role: editingteacher, instance: PHYS101}
          - {user: dave, role: teacher, instance: phys101, instance_field: idnumber}
          - {user: erin, role: teacher, instance: 4, instance_field: id}
          - {user: frank, role_id: 5, context: module, instance: 12}
          - {user: alice, role_id: 9, context: system}
      register: autumn

    - name: Show what was only sent, not read
      ansible.builtin.debug:
        msg: "{{ autumn.assignments | rejectattr('verified') | map(attribute='user') | list }}"

- name: Remove bob's course creator role
  lmsops.moodle.moodle_role_assignment:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    user: bob
    role: coursecreator
    context: system
    state: absent
'''

RETURN = r'''
assignment:
  description: The assignment, in the single form.
  returned: when O(user) is given
  type: dict
  contains:
    user:
      description: The user as given in O(user).
      type: str
      sample: alice
    userid:
      description: The user's Moodle id; null when the user could not be resolved.
      type: int
      sample: 3
    role:
      description: The role's shortname (as given, or the site's name for O(role_id); null when unknown).
      type: str
      sample: teacher
    roleid:
      description: The role id sent to Moodle.
      type: int
      sample: 4
    context:
      description: The context as given in O(context).
      type: str
      sample: course
    instance:
      description: The instance as given in O(instance); null for the system context.
      type: str
      sample: PHYS101
    contextlevel:
      description: The context level as Moodle names it (V(coursecat) for a category).
      type: str
      sample: course
    instanceid:
      description: The instance id sent to Moodle (0 for the system context).
      type: int
      sample: 2
    action:
      description:
        - What was done (or, in check mode, what would be done) - V(assigned), V(unassigned), V(unchanged),
          V(failed), or V(unknown) (a write failed and its effect could not be read back).
        - With RV(assignment.verified=false), V(assigned) and V(unassigned) mean the call was (or would be) sent
          without knowing whether the site already matched.
      type: str
      sample: assigned
    verified:
      description:
        - Whether the state before the run was read from the site exactly. False where core Moodle cannot read it
          (see the notes); always true with the companion plugin.
      type: bool
      sample: true
    failed:
      description: Why this assignment failed, in Moodle's words.
      type: str
      returned: when the assignment failed
assignments:
  description: Every assignment of the bulk form, in the order given, each as described for RV(assignment).
  returned: when O(assignments) is given
  type: list
  elements: dict
  sample:
    - {user: alice, userid: 3, role: teacher, roleid: 4, context: course, instance: PHYS101, contextlevel: course,
       instanceid: 2, action: assigned, verified: true}
    - {user: bob, userid: 4, role: coursecreator, roleid: 2, context: system, instance: null, contextlevel: system,
       instanceid: 0, action: assigned, verified: false}
summary:
  description: How many assignments got each action.
  returned: always
  type: dict
  sample: {assigned: 998, unchanged: 2}
diff:
  description: Before and after of each assignment that changes (or would change), when diff mode is on.
  returned: when diff mode is on and something changes
  type: list
  elements: dict
  sample:
    - before_header: "assignment alice: teacher in course PHYS101"
      after_header: "assignment alice: teacher in course PHYS101"
      before: {assigned: false}
      after: {assigned: true}
'''

from ansible_collections.lmsops.moodle.plugins.module_utils.api import CONTEXT_LEVELS, REQUIRED_FUNCTIONS
from ansible_collections.lmsops.moodle.plugins.module_utils.client import ADMIN_DEFINE_ROLES, MoodleError
from ansible_collections.lmsops.moodle.plugins.module_utils.module_base import (
    Change, ItemProblem, MoodleModule, PlanData, as_text)
from ansible_collections.lmsops.moodle.plugins.module_utils.resolve import (
    RoleCatalogue, UserDirectory, resolve_categories, resolve_courses)

# For each context: the instance fields allowed (the first is the default).
INSTANCE_FIELDS = {
    'system': (),
    'category': ('id', 'idnumber'),
    'course': ('shortname', 'idnumber', 'id'),
    'module': ('id',),
    'user': ('username', 'email', 'idnumber', 'id'),
    'block': ('id',),
}
INSTANCE_HELP = {
    'category': 'a course category id, or its idnumber with instance_field: idnumber',
    'course': 'a course shortname, or its idnumber or id with instance_field',
    'module': 'a course module id',
    'user': 'a username, or an email, idnumber or id with instance_field',
    'block': 'a block instance id',
}
# Where core Moodle can read the state (course contexts of enrolled users only).
NOT_READABLE = ('The prior state of these role assignments cannot be read through core Moodle web services '
                '(only the course roles of enrolled users can), so the assign or unassign call %s without knowing '
                'whether it was needed (Moodle ignores a repeated one); they are reported as changed, with '
                'verified=false. Install the companion plugin local_lmsops and add its functions to the service to '
                'make this exact')
NOT_ENROLLED = ('These users are not enrolled in the course, so their course roles cannot be read through core '
                'Moodle web services; the call %s unverified (verified=false)')
ASSUMED_ROLE_IDS = ('Role ids were taken from the standard roles of a fresh Moodle install, not read from the site '
                    '(core Moodle cannot list roles, and no enrolled user in the courses read holds them): %s. If this '
                    'site\'s roles were recreated with other ids, the wrong role is assigned: give role_id, or install '
                    'the companion plugin local_lmsops')
GUESSED_ROLE_ID = ('role %r in the %s context: core Moodle cannot read this site\'s role ids, and none of the courses '
                   'read shows this role, so its id (%s on a standard install) would be a guess nothing can check; '
                   'give role_id (' + ADMIN_DEFINE_ROLES + ', the id in the role\'s link), or install the companion '
                   'plugin local_lmsops, which reads the roles')
COMPONENT_HELD = ('the user still holds this role in the course after the unassign, so through an enrolment plugin '
                  '(cohort sync, course meta link...) or another component, which this module does not manage: only '
                  'that plugin can remove it. Core Moodle cannot show the component (a manual assignment of the same '
                  'role is gone now); the companion plugin local_lmsops lets the module read it before writing')
PLUGIN_OWNED = ('These users also hold the role through an enrolment plugin or another component (%s), which this '
                'module does not manage: it only assigns and unassigns manual role assignments')
RACED_SAME = ('another writer %s these roles between this run\'s read and its write (Moodle refused this run\'s call as '
              'a whole, for another item, and the re-read shows them as asked): reported unchanged')


def _is_id(value):
    text = as_text(value)
    return text.isdigit() and int(text) > 0


def instance_field(item):
    """The instance field of an item: as given, or the default of its context (None for system)."""
    fields = INSTANCE_FIELDS.get(item.get('context'), ())
    if item.get('instance_field'):
        return item['instance_field']
    return fields[0] if fields else None


def ref_value(field, value):
    """A user, course or category reference as look-ups use it (ids as plain digits, the rest trimmed)."""
    text = as_text(value)
    if field == 'id' and text.isdigit():
        return str(int(text))
    return text


def user_references(item):
    """What an item names that is a user: the assignee, and the instance of a user context."""
    references = [('user', item['user_field'], ref_value(item['user_field'], item['user']), '')]
    if item['context'] == 'user':
        field = instance_field(item)
        references.append(('user', field, ref_value(field, item['instance']), 'instance: '))
    return references


def instance_references(item):
    """What an item names that is a course or a category (the instances looked up by a field)."""
    if item['context'] in ('course', 'category'):
        field = instance_field(item)
        return [(item['context'], field, ref_value(field, item['instance']), '')]
    return []


def describe(item):
    """How messages name an item: alice: teacher in course PHYS101."""
    if item.get('role'):
        role = item['role']
    else:
        role = 'role_id %s' % item['role_id'] if item.get('role_id') is not None else 'no role'
    instance = as_text(item.get('instance'))
    where = '%s %s' % (item.get('context'), instance) if instance and item.get('context') != 'system' else item.get('context')
    if item.get('state') == 'absent':
        return '%s: no %s in %s' % (as_text(item.get('user')), role, where)
    return '%s: %s in %s' % (as_text(item.get('user')), role, where)


class AssignmentPlan(PlanData):
    """One role assignment as planned: the ids it is sent with, the role's shortname for results, whether its
    current state was read (verified) and what it is (current: True/False, None when unknown), and the components
    that also give the role (owners)."""

    fields = ('userid', 'contextlevel', 'instanceid', 'roleid', 'role', 'verified', 'current', 'owners')
    __slots__ = fields


class MoodleRoleAssignmentModule(MoodleModule):
    resource = 'assignment'
    list_option = 'assignments'
    single_option = 'user'
    required_functions = tuple(REQUIRED_FUNCTIONS['moodle_role_assignment'])
    item_options = dict(
        user=dict(type='raw', required=True),
        user_field=dict(type='str', default='username', choices=['username', 'email', 'idnumber', 'id']),
        role=dict(type='str'),
        role_id=dict(type='int'),
        context=dict(type='str', default='course', choices=['system', 'category', 'course', 'module', 'user', 'block']),
        instance=dict(type='raw'),
        instance_field=dict(type='str', choices=['shortname', 'idnumber', 'id', 'username', 'email']),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    item_mutually_exclusive = [('role', 'role_id')]
    item_scoped = {'context': ('instance', 'instance_field')}

    def __init__(self, module=None, api=None):
        super(MoodleRoleAssignmentModule, self).__init__(module, api)
        self.catalogue = None           # RoleCatalogue of the run
        self.exact = False              # the companion plugin's reads: every context, components told apart
        self.observed = {}              # role id -> shortname, as the courses read show them
        self.directory = None           # UserDirectory of the run
        self._course_roles = {}         # core: course id -> {user id: role ids held in the course}
        self._sent = {}                 # change -> 'sent', 'rejected' or 'uncertain': what each write did, for in_place()

    # -- input ------------------------------------------------------------------------------
    def describe_item(self, item):
        return describe(item)

    def item_key(self, item):
        """(user, role, context, instance) as given; the same assignment given twice differently is caught in plan."""
        ufield = item.get('user_field')
        user = ref_value(ufield, item.get('user'))
        ifield = instance_field(item)
        instance = ref_value(ifield, item.get('instance'))
        if ufield == 'email':
            user = user.lower()
        if ifield == 'email':
            instance = instance.lower()
        role = ('role', item['role']) if item.get('role') else ('role_id', item.get('role_id'))
        return (ufield, user, role, item.get('context'), ifield, instance)

    def validate_item(self, item):
        problems = []
        ufield = item['user_field']
        user = as_text(item.get('user'))
        if not user:
            problems.append('user is required')
        elif ufield == 'id' and not _is_id(user):
            problems.append('user %r is not a user id (user_field: id)' % user)
        elif ufield == 'username' and user != user.lower():
            problems.append('username %r must be lowercase: Moodle stores usernames in lowercase (use %r)'
                            % (user, user.lower()))
        if not item.get('role') and item.get('role_id') is None:
            problems.append('give role (a role shortname such as editingteacher) or role_id')
        elif item.get('role_id') is not None and item['role_id'] <= 0:
            problems.append('role_id must be a positive role id, got %s' % item['role_id'])
        context = item['context']
        instance = item.get('instance')
        if context == 'system':
            if instance is not None and as_text(instance) != '':
                problems.append('context=system has no instance (got %r); remove instance' % instance)
            if item.get('instance_field'):
                problems.append('context=system has no instance; remove instance_field')
            return problems
        allowed = INSTANCE_FIELDS[context]
        field = instance_field(item)
        if instance is None or as_text(instance) == '':
            problems.append('context=%s needs instance: %s' % (context, INSTANCE_HELP[context]))
        elif field not in allowed:
            problems.append('instance_field=%s does not identify a %s; use %s' % (
                field, context, ' or '.join(allowed)))
        elif field == 'id' and not _is_id(instance):
            problems.append('instance %r is not a %s id (instance_field: id)' % (as_text(instance), context))
        elif context == 'user' and field == 'username' and as_text(instance) != as_text(instance).lower():
            problems.append('instance %r must be a lowercase username' % as_text(instance))
        return problems

    # -- reading ------------------------------------------------------------------------------
    def plan(self, items):
        if not items:       # every item had a problem the base's validation reported
            return []
        self.catalogue = RoleCatalogue(self.api)
        self.exact = self.catalogue.exact
        self.observed = {}
        self.directory = UserDirectory(self.api)
        errors = []
        instances = self._resolve_instances(items, errors)
        if not self.exact:
            self._read_courses(items, instances)
        users = self._resolve_users(items, errors)
        instances.update(self._user_instances(items, users))
        changes = [self._new_change(label, item, users, instances) for label, item in items]
        self._resolve_roles(changes, errors)
        self._find_duplicates(changes, errors)
        if self.catalogue.contradictions and any(c.item.get('role') for c in changes):
            self.fail_on_input_errors(errors)           # problems with the input first, then the site's contradiction
            self.catalogue.check()
        # Only items that resolved completely are read and compared; the others already have a problem.
        resolved = [c for c in changes if None not in self._key(c)]
        if self.exact and resolved:
            self._read_plugin(resolved, errors)
        for change in resolved:
            self._decide(change, errors)
        self._confirm_users([change for change in resolved if change.changed], errors)
        for change in changes:
            if change.label in self.not_found and change.data.roleid is not None:
                self._decide_pending(change, errors)
        self.fail_on_input_errors(errors)
        self._plan_warnings(changes)
        return changes

    @staticmethod
    def _new_change(label, item, users, instances):
        """The item's Change, with the ids resolved (None where a look-up failed) and nothing read yet."""
        change = Change(item, label, as_text(item['user']))
        field = instance_field(item)
        instanceid = 0 if item['context'] == 'system' else instances.get(
            (item['context'], field, ref_value(field, item['instance'])))
        change.data = AssignmentPlan(
            userid=users.get((item['user_field'], ref_value(item['user_field'], item['user']))),
            contextlevel=CONTEXT_LEVELS[item['context']], instanceid=instanceid, roleid=item.get('role_id'),
            role=item.get('role'), verified=False, current=None, owners=[])
        change.id = change.data.userid
        return change

    def _resolve_users(self, items, errors):
        """(field, value) -> user id for every user named, as an assignee or as a user-context instance."""
        records, problems = self.resolve_references(items, user_references, {'user': self.directory.resolve})
        errors.extend(problems)
        return dict((key[1:], user['id']) for key, user in records.items())

    def _resolve_instances(self, items, errors):
        """(context, field, value) -> instance id for categories, courses, modules and blocks (user instances resolve
        with the assignees: see _user_instances)."""
        records, problems = self.resolve_references(items, instance_references, {
            'course': lambda field, values: resolve_courses(self.api, field, values),
            'category': lambda field, values: resolve_categories(self.api, field, values)})
        errors.extend(problems)
        ids = dict((key, record['id']) for key, record in records.items())
        for dummy, item in items:
            if item['context'] in ('module', 'block'):
                field = instance_field(item)
                ids[(item['context'], field, ref_value(field, item['instance']))] = int(as_text(item['instance']))
        return ids

    @staticmethod
    def _user_instances(items, users):
        """(context, field, value) -> user id for the user-context instances, from the users resolved."""
        ids = {}
        for dummy, item in items:
            if item['context'] == 'user':
                key = (instance_field(item), ref_value(instance_field(item), item['instance']))
                if key in users:
                    ids[('user',) + key] = users[key]
        return ids

    def _read_courses(self, items, instances):
        """Core only: each course named is read once (its enrolled users with id, roles and the user fields the items
        name users by): their course roles, and users the look-ups need not ask for again."""
        fields = ('id', 'roles') + tuple(sorted(set(item['user_field'] for dummy, item in items) - set(['id'])))
        self._course_roles = {}
        for key, courseid in instances.items():
            if key[0] == 'course' and courseid not in self._course_roles:
                users = self.api.get_enrolled_users(courseid, fields=fields)
                self.directory.learn(users)
                self._course_roles[courseid] = self._course_user_roles(users)

    def _course_user_roles(self, users):
        roles = {}
        for user in users:
            held = roles.setdefault(user['id'], set())
            for role in user.get('roles') or []:
                held.add(role['roleid'])
                self.observed.setdefault(role['roleid'], role.get('shortname'))
                self.catalogue.observe(role['roleid'], role.get('shortname'))
        return roles

    def _confirm_users(self, changes, errors):
        """Changes about to be written whose user (or user instance) was found among enrolled users by a value users
        may share (e-mail, idnumber): each such value is looked up site-wide first, and an ambiguous one fails."""
        named = []
        for change in changes:
            item = change.item
            named.append((change.label, item['user_field'], ref_value(item['user_field'], item['user']), ''))
            if item['context'] == 'user':
                field = instance_field(item)
                named.append((change.label, field, ref_value(field, item['instance']), 'instance: '))
        errors.extend(ItemProblem(label, problem) for label, problem in self.directory.confirm_named(named))

    def _resolve_roles(self, changes, errors):
        for change in changes:
            shortname = change.item.get('role')
            roleid, name, problem = self.catalogue.resolve(shortname=shortname, roleid=change.data.roleid)
            if problem:
                errors.append(ItemProblem(change.label, problem))
            elif shortname and self._guessed(change, roleid, shortname):
                errors.append(ItemProblem(change.label, GUESSED_ROLE_ID % (shortname, change.item['context'], roleid)))
            if shortname:
                change.data.roleid = roleid
            else:
                trusted = self.exact or not self.catalogue.contradictions
                change.data.role = self.observed.get(change.data.roleid) or (name if trusted else None)

    def _guessed(self, change, roleid, shortname):
        """Would this shortname's id be a guess where a wrong guess cannot be seen? (Core only, outside courses.)

        In a course the enrolled users' roles cross-check the standard ids; elsewhere nothing does, and a site whose
        roles were recreated with other ids would get the wrong role. An id the courses read showed is not a guess.
        """
        return (not self.exact and change.item['context'] != 'course'
                and self.observed.get(roleid) != shortname)

    def _find_duplicates(self, changes, errors):
        """The same assignment named twice in different ways (username and id, say)."""
        seen = {}
        for change in changes:
            key = self._key(change)
            if None in key:
                continue
            if key in seen:
                errors.append(ItemProblem(change.label, 'same assignment as %s; give each once' % seen[key]))
            else:
                seen[key] = change.label

    @staticmethod
    def _key(change):
        data = change.data
        return (data.userid, data.roleid, data.contextlevel, data.instanceid)

    def _read_plugin(self, changes, errors):
        """With the companion plugin: every context read exactly; only manual assignments count."""
        contexts = list(dict.fromkeys((c.data.contextlevel, c.data.instanceid) for c in changes))
        rows, bad = self._plugin_rows(changes, contexts)
        for change in changes:
            why = bad.get((change.data.contextlevel, change.data.instanceid))
            if why:
                errors.append(ItemProblem(change.label, 'no %s with id %s on this site (Moodle: %s)' % (
                    change.item['context'], change.data.instanceid, why)))
        self._apply_rows(changes, rows)

    def _plugin_rows(self, changes, contexts):
        """Read the assignments of these contexts; isolate contexts Moodle says do not exist."""
        userids = sorted(set(c.data.userid for c in changes))
        roleids = sorted(set(c.data.roleid for c in changes))
        budget = self.client.field_budget() // 2
        if len(userids) + len(roleids) + 10 > budget:
            userids = []   # too many to filter by: read everything in those contexts
            if len(roleids) + 10 > budget:
                roleids = []
        return self._plugin_read(contexts, userids, roleids)

    def _plugin_read(self, contexts, userids, roleids):
        payload = [{'contextlevel': level, 'instanceid': instanceid} for level, instanceid in contexts]
        try:
            return self.api.plugin_get_role_assignments(payload, userids, roleids), {}
        except MoodleError as error:
            if error.kind != 'invalid_parameter':
                raise
            if len(contexts) == 1:
                return [], {contexts[0]: error.debuginfo or error.diagnosis()}
        middle = len(contexts) // 2
        rows, bad = self._plugin_read(contexts[:middle], userids, roleids)
        more_rows, more_bad = self._plugin_read(contexts[middle:], userids, roleids)
        bad.update(more_bad)
        return rows + more_rows, bad

    def _apply_rows(self, changes, rows):
        manual, owners = set(), {}
        for row in rows:
            key = (row['userid'], row['roleid'], row['contextlevel'], row['instanceid'])
            if row.get('component'):
                owners.setdefault(key, []).append(row['component'])
            else:
                manual.add(key)
        for change in changes:
            key = self._key(change)
            change.data.current = key in manual
            change.data.owners = sorted(set(owners.get(key, [])))
            change.data.verified = True

    # -- deciding ------------------------------------------------------------------------------
    def _decide(self, change, errors):
        data, item = change.data, change.item
        if not self.exact and item['context'] == 'course':
            held = self._course_roles.get(data.instanceid, {}).get(data.userid)
            if held is not None:
                data.current = data.roleid in held
                data.verified = True
        present = item['state'] == 'present'
        current = data.current
        if current is None:
            change.action = 'assigned' if present else 'unassigned'
        elif current != present:
            change.action = 'assigned' if present else 'unassigned'
        else:
            change.action = 'unchanged'
        if change.changed:
            problem = self._not_assignable(change)
            if problem:
                errors.append(ItemProblem(change.label, problem))
        change.before = {'assigned': 'unknown' if current is None else current}
        change.after = {'assigned': present}

    def _decide_pending(self, change, errors):
        """Check mode: the user or the instance does not exist yet, so neither does the assignment."""
        change.data.update(current=False, verified=True)
        self._decide(change, errors)
        self.note_not_found(change)

    def _not_assignable(self, change):
        """Why the role cannot be (un)assigned at this level, or None when it can (or it is not known)."""
        if self.catalogue.contradictions and not self.exact:
            return None
        roleid, context = change.data.roleid, change.item['context']
        if self.catalogue.assignable(roleid, context) is not False:
            return None
        verb = 'assigned' if change.item['state'] == 'present' else 'unassigned'
        return 'role %s (id %s) cannot be %s at %s level: %s' % (
            change.data.role or change.item.get('role'), roleid, verb, context, self.catalogue.where_assignable(roleid))

    def _plan_warnings(self, changes):
        check = self.module.check_mode
        assumed = set()
        for change in changes:
            if change.data.owners and change.item['state'] == 'absent':
                self.warn(PLUGIN_OWNED % ', '.join(change.data.owners), change.label)
            if not change.changed or self.exact:
                continue
            if not change.data.verified:
                if change.item['context'] == 'course':
                    self.warn(NOT_ENROLLED % ('would be sent' if check else 'was sent'), change.label)
                else:
                    self.warn(NOT_READABLE % ('would be sent' if check else 'was sent'), change.label)
            shortname = change.item.get('role')
            if shortname and self.observed.get(change.data.roleid) != shortname:
                assumed.add('%s=%s' % (shortname, change.data.roleid))
        if assumed:
            self.warn(ASSUMED_ROLE_IDS % ', '.join(sorted(assumed)))

    # -- writing ------------------------------------------------------------------------------
    @staticmethod
    def _payload(change):
        data = change.data
        return {'roleid': data.roleid, 'userid': data.userid, 'contextlevel': data.contextlevel,
                'instanceid': data.instanceid}

    def apply(self, changes):
        self._sent = {}
        unassigns = [c for c in changes if c.action == 'unassigned']
        if unassigns:
            pairs = [(c, self._payload(c)) for c in unassigns]
            self.bisect_write(pairs, self._sender(pairs, self.api.unassign_roles), lambda cs: self._settled(cs, False))
        assigns = [c for c in changes if c.action == 'assigned']
        if assigns:
            pairs = [(c, self._payload(c)) for c in assigns]
            self.bisect_write(pairs, self._sender(pairs, self.api.assign_roles), lambda cs: self._settled(cs, True))
        for change in unassigns + assigns:
            if change.raced:
                self.report_unchanged(change, RACED_SAME % change.action)
        self._check_unassigned([c for c in unassigns if c.action == 'unassigned'])
        for change in changes:
            if change.failed and not change.data.verified and change.item['context'] in ('module', 'block'):
                change.failed = ('%s (core Moodle cannot check a %s id before writing: does %s %s exist?)'
                                 % (change.failed, change.item['context'], change.item['context'],
                                    change.data.instanceid))

    def _sender(self, pairs, function):
        """send(payloads) for bisect_write that records which changes Moodle took, for reread()."""
        by_payload = dict((id(payload), change) for change, payload in pairs)

        def send(payloads):
            try:
                function(payloads)
            except MoodleError as error:
                for chunk, dummy in error.done or []:
                    for payload in chunk:
                        self._sent[by_payload[id(payload)]] = 'sent'
                failed_chunk = error.failed_chunk
                if failed_chunk is None:    # not split by the client: the whole call is in doubt
                    failed_chunk = [p for p in payloads if self._sent.get(by_payload[id(p)]) != 'sent']
                for payload in failed_chunk:
                    self._sent[by_payload[id(payload)]] = 'uncertain' if error.outcome_unknown else 'rejected'
                raise
            for payload in payloads:
                self._sent[by_payload[id(payload)]] = 'sent'
        return send

    def _current(self, changes):
        """change -> True/False as read now, for the changes whose state can be read (others are absent)."""
        readable = [c for c in changes if c.data.verified]
        if not readable:
            return {}
        if self.exact:
            contexts = list(dict.fromkeys((c.data.contextlevel, c.data.instanceid) for c in readable))
            rows, dummy = self._plugin_rows(readable, contexts)
            manual = set((r['userid'], r['roleid'], r['contextlevel'], r['instanceid']) for r in rows
                         if not r.get('component'))
            return dict((c, self._key(c) in manual) for c in readable)
        courses = {}
        for courseid in dict.fromkeys(c.data.instanceid for c in readable):
            courses[courseid] = self._course_user_roles(self.api.get_enrolled_users(courseid))
        return dict((c, c.data.roleid in courses[c.data.instanceid].get(c.data.userid, set()))
                    for c in readable)

    def _settled(self, changes, assigned):
        """bisect_write's re-read after Moodle refused a call for an item: the changes now in place. Moodle rolls
        core_role_assign_roles and core_role_unassign_roles back as a whole, so these were made by another writer
        between our read and our write (marked ``raced``). Unreadable ones count as not done: Moodle's assign and
        unassign are idempotent, so sending them again is harmless."""
        done = set(change for change, now in self._current(changes).items() if now == assigned)
        for change in done:
            change.raced = True
        return done

    def _check_unassigned(self, changes):
        """Without the plugin, a course role held through a component survives core's unassign: not ours to remove.

        core_role_unassign_roles only removes manual assignments and answers success for the others, so a role still
        held after it comes from an enrolment plugin or another component: reported unchanged, with a warning.
        """
        readable = [c for c in changes if c.data.verified and not self.exact]
        for change, held in self._current(readable).items():
            if held:
                self.report_unchanged(change, COMPONENT_HELD)

    def in_place(self, changes):
        """Read what can be read; an assignment core cannot read is in place if Moodle took the call that sent it,
        unknown if the answer was lost, not applied if it was never sent or rejected."""
        now = self._current(changes)
        return dict((change, self._verdict(change, now)) for change in changes)

    def _verdict(self, change, now):
        if change in now:
            return now[change] == (change.action == 'assigned')
        sent = self._sent.get(change)
        if sent == 'sent':
            return True
        if sent == 'uncertain':
            return None
        return 'not applied (the run stopped before sending it, or Moodle rejected it)'

    # -- results ------------------------------------------------------------------------------
    def result_entry(self, change):
        data, item = change.data, change.item
        entry = dict(user=as_text(item['user']), userid=data.userid, role=data.role or item.get('role'),
                     roleid=data.roleid, context=item['context'],
                     instance=None if item['context'] == 'system' else as_text(item['instance']),
                     contextlevel=data.contextlevel, instanceid=data.instanceid, action=change.action,
                     verified=bool(data.verified))
        if change.failed:
            entry['failed'] = change.failed
        if change.warnings:
            entry['warnings'] = change.warnings
        return entry

    def diff_entry(self, change):
        header = 'assignment %s' % describe(change.item)
        return dict(before_header=header, after_header=header, before=change.before or {}, after=change.after or {})


def main():
    MoodleRoleAssignmentModule().run()


if __name__ == '__main__':
    main()
