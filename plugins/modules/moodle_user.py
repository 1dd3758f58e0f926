#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: moodle_user
short_description: Create, update, suspend and delete Moodle users, one or thousands at a time
version_added: 1.0.0
description:
  - Makes Moodle users match what you describe, through Moodle's REST web services.
  - Reads the users first (in batches), compares only the fields you set, then creates, updates or deletes only
    what differs, in batched calls kept under the site's C(max_input_vars). A second run with the same input makes
    no write call and reports C(changed=false).
  - Single form (top-level options, one user) or bulk form (O(users), a list of the same options). A bulk run
    reads and writes in batches and reports each user's action.
  - In the bulk form, an option of the list given at the top level (O(state), O(auth), O(city)...) is the default of
    every user; a user's own value wins.
  - Every item is checked before anything is written; a bad item fails the run, naming it, and nothing is written.
  - The checks include Moodle's own rules for each field, read from Moodle's source (4.5 and 5.1) - its parameter type
    (HTML tags in a plain-text field such as O(firstname) or O(city), which Moodle's web service refuses without
    saying which value while debugging is off), its maximum length (the database column), and its allowed values
    (country codes, time zones, the authentication plugins of the site's Moodle version, language codes). The
    failure names the field, the value (never a password), the rule and what is accepted.
  - Surrounding spaces are trimmed before a value is checked, compared and sent, so a name given with spaces stays
    V(unchanged) on the next run; O(email) and O(country) are compared without case, as Moodle does.
  - An e-mail address that another account already has (Moodle compares them without case) fails the run before
    any write, naming both users, unless O(allow_duplicate_emails=true).
  - Moodle creates users all-or-nothing per request. When it still rejects a batch (a weak password, an address
    taken meanwhile), the module re-reads the site, sends the remaining users again in halves until each rejected
    user is isolated, and fails naming each rejected user with Moodle's reason; the results say which users were
    created.
extends_documentation_fragment:
  - lmsops.moodle.connection
  - lmsops.moodle.attributes
author:
  - lmsops.moodle contributors (@lmsops)
options:
  username:
    description:
      - The user's login name, their identity. Lowercase letters, digits and C(_ - @ .) only, as Moodle requires.
      - Required in the single form; mutually exclusive with O(users).
    type: str
  state:
    description:
      - V(present) creates or updates the user; V(absent) deletes it (Moodle's soft delete).
      - Deleting a user who does not exist is not an error and reports C(changed=false).
      - Default V(present) (in the bulk form, the top-level value when given).
    type: str
    choices: [present, absent]
  firstname:
    description: First name. Required to create a user. Plain text without HTML tags, at most 100 characters.
    type: str
  lastname:
    description: Last name. Required to create a user. Plain text without HTML tags, at most 100 characters.
    type: str
  email:
    description:
      - E-mail address. Required to create a user. Compared case-insensitively, as Moodle does. At most 100 characters.
    type: str
  auth:
    description:
      - Authentication plugin, for example V(manual), V(ldap), V(oauth2), V(nologin). Moodle's default is V(manual).
      - Checked against the standard plugins of the site's Moodle version (Moodle 5.1 has no V(cas) and no V(mnet));
        core_user_create_users creates no V(mnet) or V(webservice) users. An add-on plugin needs O(extra_auth_plugins).
    type: str
  idnumber:
    description: The user's ID number (an external identifier), at most 255 characters.
    type: str
  password:
    description:
      - The user's password, used when creating the user, and on every run when O(update_password=always).
      - Moodle stores only a hash, so a password can never be compared; it is never returned, logged or shown in diffs.
      - Moodle's password policy applies (by default at least 8 characters with a digit, a lowercase and an uppercase
        letter and a special character).
      - A new user needs O(password) or O(create_password=true) unless its O(auth) is external (V(ldap), V(cas),
        V(shibboleth), V(mnet), V(webservice)); Moodle refuses it otherwise, V(nologin) included.
    type: str
  update_password:
    description:
      - V(on_create) sets O(password) only when the user is created.
      - V(always) sends O(password) on every run; since it cannot be compared, the user is then always reported as
        updated.
      - Default V(on_create).
    type: str
    choices: [on_create, always]
  create_password:
    description:
      - Let Moodle generate a password and e-mail it to the new user. Only used when the user is created.
      - Mutually exclusive with O(password).
      - Default V(false).
    type: bool
  suspended:
    description:
      - Whether the account is suspended. A user created suspended is created, then suspended (Moodle cannot create
        suspended users). If Moodle refuses that second step, the user is reported V(created) and the run fails
        saying it is NOT suspended.
    type: bool
  city:
    description: City. Plain text without HTML tags (multilang C(<span lang>) tags aside), at most 120 characters.
    type: str
  country:
    description:
      - Two-letter ISO 3166 country code Moodle lists, for example V(GB). Compared case-insensitively. (Moodle would
        silently store the site's default country instead of a code it does not know.)
    type: str
  lang:
    description:
      - Preferred language code, for example V(en). Moodle accepts only a language pack the site has installed.
      - Before writing, the module accepts V(en), the languages the site shows (the token user's, the users read),
        O(extra_languages), and a code that starts with an ISO 639 code Moodle knows (V(fr), V(pt_br)); the site may
        still lack that pack, and Moodle then refuses the user while writing (the failure names O(lang) as the likely
        cause).
    type: str
  timezone:
    description:
      - Timezone, for example V(Europe/London), or V(99) for the site's default. One of the names Moodle lists (the
        time zones PHP knows), spelt with their capitals.
    type: str
  institution:
    description: Institution. Plain text without HTML tags (multilang tags aside), at most 255 characters.
    type: str
  department:
    description: Department. Plain text without HTML tags (multilang tags aside), at most 255 characters.
    type: str
  description:
    description: Profile description.
    type: str
  customfields:
    description:
      - Custom profile fields, as a mapping of the field's shortname to its value. Only the fields given are compared
        and set.
    type: dict
  allow_admin_changes:
    description:
      - Allow changes that can lock the automation or the site's administration out, refused before any write
        otherwise - changing the token's own user's O(suspended), O(auth) or O(password), and changing or deleting a
        site administrator.
      - Core Moodle only says whether the token's own user is an administrator; the module also protects user id 2,
        the administrator Moodle's installer creates.
      - Moodle itself refuses changes to an administrator when the token's user is not one.
    type: bool
    default: false
  allow_duplicate_emails:
    description:
      - Skip the check that no other account has the e-mail address a user is created or updated with.
      - Set it only on sites where C(allowaccountssameemail) is on (Site administration > Plugins > Authentication
        > Manage authentication > Allow accounts with same email); elsewhere Moodle refuses the duplicate anyway.
      - "Without it, the addresses are read in one batched call before any write. Core Moodle's look-up is exact,
        so the module asks for each address as given and in lowercase: an account whose address is stored with
        other capitals (V(Bob@Example.org) for V(bob@example.org)) is only found when Moodle refuses the user
        while writing; the module then names it (see the description)."
    type: bool
    default: false
  extra_auth_plugins:
    description:
      - Authentication plugins the site has beyond Moodle's standard ones (add-ons installed under C(auth/), for
        example V(saml2) or V(oidc)). O(auth) accepts them; without this the module refuses an O(auth) it does not
        know before any write.
    type: list
    elements: str
    default: []
  extra_languages:
    description:
      - Language packs the site has whose code the module does not recognise (one that does not start with an ISO 639
        code Moodle knows). O(lang) accepts them.
    type: list
    elements: str
    default: []
  users:
    description:
      - Bulk form, a list of users with the options above (O(username) required in each).
      - An option given at the top level next to O(users) is the default of every user; a user's own value wins
        (a user's O(password) also drops a top-level O(create_password), and the reverse).
      - Mutually exclusive with O(username).
    type: list
    elements: dict
    suboptions:
      username:
        description: See O(username).
        type: str
        required: true
      state:
        description: See O(state).
        type: str
        choices: [present, absent]
      firstname:
        description: See O(firstname).
        type: str
      lastname:
        description: See O(lastname).
        type: str
      email:
        description: See O(email).
        type: str
      auth:
        description: See O(auth).
        type: str
      idnumber:
        description: See O(idnumber).
        type: str
      password:
        description: See O(password).
        type: str
      update_password:
        description: See O(update_password).
        type: str
        choices: [on_create, always]
      create_password:
        description: See O(create_password).
        type: bool
      suspended:
        description: See O(suspended).
        type: bool
      city:
        description: See O(city).
        type: str
      country:
        description: See O(country).
        type: str
      lang:
        description: See O(lang).
        type: str
      timezone:
        description: See O(timezone).
        type: str
      institution:
        description: See O(institution).
        type: str
      department:
        description: See O(department).
        type: str
      description:
        description: See O(description).
        type: str
      customfields:
        description: See O(customfields).
        type: dict
notes:
  - Needs these functions in the token's service - core_webservice_get_site_info, core_user_get_users_by_field,
    core_user_create_users, core_user_update_users, core_user_delete_users.
  - Moodle refuses to delete site administrators and the token's own user; the module says so before writing anything
    for the token's own user.
  - Renaming a user is not supported (the username is the identity).
seealso:
  - module: lmsops.moodle.moodle_enrolment
  - module: lmsops.moodle.moodle_site_info
'''

EXAMPLES = r'''
- name: Create or update one user
  lmsops.moodle.moodle_user:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    username: alice
    firstname: Alice
    lastname: Liddell
    email: alice@example.org
    password: "{{ alice_password }}"
    city: Oxford
    country: GB

- name: Provision many users in one task (module_defaults carries the connection)
  module_defaults:
    group/lmsops.moodle.moodle:
      url: https://moodle.example.org
      token: "{{ moodle_token }}"
      max_input_vars: 5000
  block:
    - name: Create the cohort (options next to users are every user's defaults)
      lmsops.moodle.moodle_user:
        create_password: true
        institution: Example College
        users: "{{ students }}"
      vars:
        students:
          - {username: s1001, firstname: Sam, lastname: One, email: s1001@example.org}
          - {username: s1002, firstname: Sue, lastname: Two, email: s1002@example.org}

- name: Suspend a user
  lmsops.moodle.moodle_user:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    username: bob
    suspended: true

- name: Remove several users (state given once for all of them)
  lmsops.moodle.moodle_user:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    state: absent
    users:
      - username: s1001
      - username: s1002

- name: Remove a user (no error if already gone)
  lmsops.moodle.moodle_user:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    username: mallory
    state: absent
'''

RETURN = r'''
user:
  description: The user, in the single form.
  returned: when O(username) is given
  type: dict
  contains:
    username:
      description: The username.
      type: str
      sample: alice
    id:
      description: Moodle's user id; null when the user does not exist (absent, or only predicted in check mode).
      type: int
      sample: 3
    action:
      description:
        - What was done (or, in check mode, what would be done) - V(created), V(updated), V(deleted), V(unchanged),
          or V(failed).
      type: str
      sample: created
    changed_fields:
      description: The options whose values changed (V(password) when a password was sent).
      type: list
      elements: str
      sample: [city, suspended]
    failed:
      description: Why this user failed, in Moodle's words.
      type: str
      returned: when the user failed
users:
  description: Every user of the bulk form, in the order given, each as described for RV(user).
  returned: when O(users) is given
  type: list
  elements: dict
  sample:
    - {username: alice, id: 3, action: created, changed_fields: [city, email, firstname, lastname, password]}
    - {username: bob, id: 4, action: unchanged, changed_fields: []}
summary:
  description: How many users got each action.
  returned: always
  type: dict
  sample: {created: 998, unchanged: 2}
'''

import re

from ansible_collections.lmsops.moodle.plugins.module_utils.api import REQUIRED_FUNCTIONS
from ansible_collections.lmsops.moodle.plugins.module_utils.client import MASK, MoodleError
from ansible_collections.lmsops.moodle.plugins.module_utils import field_rules
from ansible_collections.lmsops.moodle.plugins.module_utils.module_base import Change, MoodleModule, as_text
from ansible_collections.lmsops.moodle.plugins.module_utils.resolve import SITE_LIST_MIN, is_deleted_user, read_site_list

# The text fields compared as they are (after trimming) and sent under the same name.
TEXT_FIELDS = ('firstname', 'lastname', 'auth', 'idnumber', 'city', 'lang', 'timezone', 'institution', 'department',
               'description')
USERNAME = re.compile(r'^[a-z0-9_.@-]+$')
# The fields checked against Moodle's rules (plugins/module_utils/field_rules.py), as they are sent.
CHECKED_FIELDS = ('username', 'firstname', 'lastname', 'email', 'auth', 'idnumber', 'city', 'country', 'lang',
                  'timezone', 'institution', 'department', 'description')
# What the token's own user keeps unless allow_admin_changes: changing them can end the token's use.
OWN_USER_LOCKED = ('suspended', 'auth', 'password')
# Compared fields the site's user list (core_enrol_get_enrolled_users on the front page) returns as
# core_user_get_users_by_field does (both through user_get_user_details); it cannot return auth, lang, timezone or
# suspended, and description and custom fields are shown per context. A list answers a run whose items compare only
# these; the list costs per user about what is asked.
LIST_FIELDS = ('firstname', 'lastname', 'email', 'idnumber', 'city', 'country', 'institution', 'department')
# Of those, left out of a record only when the token may not see them (not when empty): a record without one is
# looked up in full instead. The list is read when the site has at most this many users per username to look up.
LIST_HIDDEN_ONLY = ('firstname', 'lastname', 'email')
LIST_FACTOR = 2
# The administrator Moodle's installer creates (the first of $CFG->siteadmins on a standard install).
MAIN_ADMIN_ID = 2
# Authentication plugins whose is_internal() is false (Moodle 4.5/5.1 auth/*/auth.php): only their new users may
# come without a password. oauth2 is external; db is unless its password type is set to "internal" (the installed
# default is plaintext), so it is let through and Moodle decides. Every other plugin (manual, email, nologin, none,
# lti...) is internal, and core_user_create_users refuses a new user of it without password or createpassword.
EXTERNAL_AUTH = ('cas', 'db', 'ldap', 'mnet', 'oauth2', 'shibboleth', 'webservice')


def user_fields(user):
    """A Moodle user record as the comparable fields of this module."""
    fields = dict((name, as_text(user.get(name))) for name in TEXT_FIELDS)
    fields['email'] = as_text(user.get('email')).lower()
    fields['country'] = as_text(user.get('country')).upper()
    fields['suspended'] = bool(user.get('suspended'))
    fields['customfields'] = dict((f.get('shortname'), as_text(f.get('value'))) for f in user.get('customfields') or [])
    return fields


def wanted_fields(item):
    """The fields an item sets, normalised like user_fields()."""
    fields = {}
    for name in TEXT_FIELDS:
        if item.get(name) is not None:
            fields[name] = as_text(item[name])
    if item.get('email') is not None:
        fields['email'] = as_text(item['email']).lower()
    if item.get('country') is not None:
        fields['country'] = as_text(item['country']).upper()
    if item.get('suspended') is not None:
        fields['suspended'] = bool(item['suspended'])
    if item.get('customfields') is not None:
        fields['customfields'] = dict((k, as_text(v)) for k, v in item['customfields'].items())
    return fields


def compare(current, wanted):
    """(before, after) restricted to the fields that differ; customfields compared per shortname."""
    before, after = {}, {}
    for name, value in wanted.items():
        if name == 'customfields':
            have = current.get('customfields', {})
            differ = dict((k, v) for k, v in value.items() if have.get(k, '') != v)
            if differ:
                before[name] = dict((k, have.get(k, '')) for k in differ)
                after[name] = differ
        elif current.get(name) != value:
            before[name] = current.get(name)
            after[name] = value
    return before, after


def moodle_payload(item, fields):
    """What core_user_create_users / core_user_update_users take for these fields."""
    payload = {}
    for name, value in fields.items():
        if name == 'customfields':
            payload['customfields'] = [{'type': k, 'value': v} for k, v in sorted(value.items())]
        elif name == 'email':
            payload['email'] = as_text(item['email'])
        elif name == 'suspended':
            payload['suspended'] = value
        elif name != 'password':
            payload[name] = value
    return payload


RACED_SAME = ('another writer created these users between this run\'s read and its write, with the values asked: '
              'reported unchanged')
RACED_UPDATED = ('another writer created these users between this run\'s read and its write, with other values: the '
                 'fields that differ were updated once, from a new read (a password is only sent to them with '
                 'update_password: always, as to any existing user)')


def update_refused(change, why):
    """Moodle answered an update of this user with a warning: the item failed, in Moodle's words."""
    change.failed = why
    change.action = 'failed'


def not_suspended(change, why):
    """A user created but left active: report what happened (created, not suspended) and fail the item."""
    change.after.pop('suspended', None)
    change.failed = ('created, but NOT suspended: the user can log in. Moodle answered the suspension with: %s. '
                     'Suspend it in Site administration > Users, or run again' % why)


def without(fields, *names):
    """``fields`` without ``names``."""
    return dict((key, value) for key, value in fields.items() if key not in names)


def created_verdict(change, user):
    """A user this run created, found on the site after a failed write: in place (with its id), another writer's
    with other values (a failure), or created but left active when the item asked for a suspended user."""
    change.id = user['id']
    differ = compare(user_fields(user), without(change.after, 'password', 'suspended'))[1]
    if differ:
        return 'the user exists with other %s than asked: another writer created it meanwhile' % ', '.join(sorted(differ))
    if change.item.get('suspended') and not user.get('suspended') and not change.failed:
        not_suspended(change, 'no answer (the suspension call failed, see msg)')
    return True


def duplicate_email(address, owner):
    """Why Moodle refuses this address, and the fix."""
    return ('the e-mail address %s is already used by user %r: Moodle refuses two accounts with one address (compared '
            'without case) unless allowaccountssameemail is on; give another address, or set allow_duplicate_emails: '
            'true on a site that allows it' % (address, owner))


class MoodleUserModule(MoodleModule):
    resource = 'user'
    list_option = 'users'
    single_option = 'username'
    required_functions = tuple(REQUIRED_FUNCTIONS['moodle_user'])
    item_options = dict(
        username=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        firstname=dict(type='str'),
        lastname=dict(type='str'),
        email=dict(type='str'),
        auth=dict(type='str'),
        idnumber=dict(type='str'),
        password=dict(type='str', no_log=True),
        update_password=dict(type='str', default='on_create', choices=['on_create', 'always'], no_log=False),
        create_password=dict(type='bool', default=False, no_log=False),
        suspended=dict(type='bool'),
        city=dict(type='str'),
        country=dict(type='str'),
        lang=dict(type='str'),
        timezone=dict(type='str'),
        institution=dict(type='str'),
        department=dict(type='str'),
        description=dict(type='str'),
        customfields=dict(type='dict'),
    )
    item_mutually_exclusive = [('password', 'create_password')]
    module_options = dict(allow_duplicate_emails=dict(type='bool', default=False),
                          allow_admin_changes=dict(type='bool', default=False),
                          extra_auth_plugins=dict(type='list', elements='str', default=[]),
                          extra_languages=dict(type='list', elements='str', default=[]))

    def __init__(self, module=None, api=None):
        super(MoodleUserModule, self).__init__(module, api)
        self._created_ids = {}      # username -> id of the users this run created
        self._version = None        # the site's Moodle version, read once
        self._languages = set()     # language packs the site has, read once

    def validate_item(self, item):
        problems = []
        username = item['username'] or ''
        if username != username.lower():
            problems.append('username %r must be lowercase: Moodle rejects uppercase usernames (use %r)'
                            % (username, username.lower()))
        elif not USERNAME.match(username):
            problems.append('username %r may only contain lowercase letters, digits and _ - @ .' % username)
        problems.extend(self._rule_problems(item))
        if item['state'] == 'absent':
            set_fields = [k for k, v in item.items() if k not in ('username', 'state') and v not in (None, False)
                          and v != self.item_options[k].get('default')]
            if set_fields:
                problems.append('state=absent deletes the user; remove %s or use state=present' % ', '.join(sorted(set_fields)))
        if item.get('password'):
            self.client.add_secret(item['password'])
        return problems

    def _rule_problems(self, item):
        """Moodle's rules for each field (field_rules): a value its parameter type would change, one longer than its
        column, one outside its list (country, timezone; auth of any known version; lang by its shape), each
        checked as it would be sent (trimmed)."""
        problems = []
        extra_auth = (getattr(self, 'params', None) or {}).get('extra_auth_plugins') or ()
        for name in CHECKED_FIELDS:
            if item.get(name) is None:
                continue
            value = as_text(item[name])
            if name in ('country', 'timezone'):     # a list of Moodle's: it says more than the type and length
                problem = field_rules.check_choice(name, value)
            else:
                problem = field_rules.check(name, value)
            if problem is None and name == 'email':
                problem = field_rules.check_email(value)
            elif problem is None and name == 'auth':
                problem = field_rules.check_auth(value, extra=extra_auth)
            if problem:
                problems.append(problem)
        if item.get('password'):
            problem = field_rules.check('password', item['password'], secret=True)
            if problem:
                problems.append(problem)
        for shortname, value in sorted((item.get('customfields') or {}).items()):
            problems.extend(p for p in (
                field_rules.check('customfields.type', shortname, what_field='customfields key'),
                field_rules.check('customfields.value', as_text(value), what_field='customfields[%s]' % shortname))
                if p)
        return problems

    def _site_problems(self, item, creating):
        """The rules that depend on the site: the auth plugins of its Moodle version (and those
        core_user_create_users refuses), the languages it is known to have."""
        problems = []
        if item.get('auth') is not None and as_text(item['auth']):
            problem = field_rules.check_auth(as_text(item['auth']), version=self._version, create=creating,
                                             extra=self.params.get('extra_auth_plugins') or ())
            if problem:
                problems.append(problem)
        if item.get('lang') is not None:
            problem = field_rules.check_lang(as_text(item['lang']), installed=self._languages,
                                             extra=self.params.get('extra_languages') or ())
            if problem:
                problems.append(problem)
        return problems

    def plan(self, items):
        current = self._read_users(items)
        info = self.api.site_info()
        own_id = info.get('userid')
        self._version = field_rules.version_of(info)
        # Languages the site shows it has: the token user's, and every language a user read has (Moodle answers
        # a user's lang only when PARAM_LANG accepts it, that is when its pack is installed).
        self._languages = set(lang for lang in [info.get('lang')] + [u.get('lang') for u in current.values()] if lang)
        changes = []
        for label, item in items:
            user = current.get(item['username'])
            change = Change(item, label, item['username'], obj_id=user['id'] if user else None)
            if item['state'] == 'absent':
                self._plan_deletion(change, user, own_id)
            else:
                for problem in self._site_problems(item, creating=user is None):
                    self.input_error(label, problem)
                if user is None:
                    self._plan_creation(change)
                else:
                    self._plan_update(change, user)
            changes.append(change)
        if not self.params.get('allow_duplicate_emails'):
            self._check_emails(changes)
        if not self.params.get('allow_admin_changes'):
            self._guard_admins(changes, own_id, bool(info.get('userissiteadmin')))
        return changes

    def _plan_deletion(self, change, user, own_id):
        if not user:
            return
        if user['id'] == own_id:
            self.input_error(change.label, 'this is the token\'s own user; Moodle refuses to delete it')
        change.action = 'deleted'
        change.before = dict(username=user['username'], email=user.get('email'), firstname=user.get('firstname'),
                             lastname=user.get('lastname'))

    def _plan_creation(self, change):
        item = change.item
        for problem in self._creation_problems(item):
            self.input_error(change.label, problem)
        change.action = 'created'
        change.before = {}
        change.after = wanted_fields(item)
        if item.get('password'):
            change.after['password'] = MASK

    @staticmethod
    def _plan_update(change, user):
        """Compare only what the item sets; a password is compared never, sent on update_password: always."""
        item = change.item
        change.before, change.after = compare(user_fields(user), wanted_fields(item))
        if item.get('password') and item['update_password'] == 'always':
            change.before['password'] = MASK
            change.after['password'] = MASK + ' (new)'
        if change.after:
            change.action = 'updated'

    def _read_users(self, items):
        """{username: user} of the users the items name, with what the comparison needs, each read once.

        Core builds a full profile of each user core_user_get_users_by_field returns (about 3-4 ms a user on 5.1).
        When the items compare only fields the site's user list carries, and the site is small compared with the
        items, that list is read instead with those fields only; users it does not answer are looked up as before.
        (With the companion plugin's local_lmsops_get_users, the look-up is light already.)
        """
        usernames = [item['username'] for dummy, item in items]
        compared = set(LIST_HIDDEN_ONLY)
        for dummy, item in items:
            compared.update(wanted_fields(item) if item['state'] == 'present' else ())
        current = {}
        light = self.api.offers('local_lmsops_get_users')     # get_users_by_field reads through the plugin then
        if not light and compared <= set(LIST_FIELDS) and len(usernames) >= SITE_LIST_MIN:
            wanted = set(usernames)
            listed = read_site_list(self.api, ('id', 'username') + tuple(sorted(compared)), len(usernames), LIST_FACTOR)
            for user in listed or ():
                if (user.get('username') in wanted and not is_deleted_user(user)
                        and all(name in user for name in LIST_HIDDEN_ONLY)):
                    current[user['username']] = user
        rest = [username for username in usernames if username not in current]
        if rest:
            current.update((user['username'], user) for user in self.api.get_users_by_field('username', rest))
        return current

    def _guard_admins(self, changes, own_id, token_user_is_admin):
        """Before any write: refuse what can lock the automation or the site's administrators out.

        The token's own user keeps its suspended, auth and password (changing them can end the token's use).
        Site administrators, as far as core Moodle lets us tell (the token's user when get_site_info says it is
        one, and the administrator the installer creates, user id 2), are not changed or deleted at all.
        """
        for change in changes:
            if change.action not in ('updated', 'deleted') or change.id is None:
                continue
            own = change.id == own_id
            if own and change.action == 'deleted':
                continue        # refused in plan already: Moodle never deletes the token's own user
            if change.id == MAIN_ADMIN_ID or own and token_user_is_admin:
                what = 'deleting it' if change.action == 'deleted' else 'changing its %s' % ', '.join(
                    change.changed_fields())
                self.input_error(change.label, 'user %s (id %s) is a site administrator (%s): %s can lock the '
                                 'site\'s administration out; set allow_admin_changes: true to do it anyway'
                                 % (change.key, change.id, 'the token\'s own user' if own else
                                    'the administrator Moodle\'s installer creates', what))
            elif own and set(change.after or {}) & set(OWN_USER_LOCKED):
                self.input_error(change.label, 'this is the token\'s own user: changing its %s can stop the token '
                                 'from working; set allow_admin_changes: true to do it anyway'
                                 % ', '.join(sorted(set(change.after) & set(OWN_USER_LOCKED))))

    # -- e-mail addresses ------------------------------------------------------------------
    def _check_emails(self, changes):
        """Before any write: an address a user would get that another account has (or gets) is an input error.

        Moodle compares addresses case-insensitively and refuses a duplicate unless allowaccountssameemail is on;
        it finds that out only while writing, after the rest of the batch is written. One batched read of the
        addresses (as given and in lowercase: core Moodle's look-up is exact) finds the accounts using them.
        """
        taking = [c for c in changes if c.action in ('created', 'updated') and 'email' in (c.after or {})]
        if not taking:
            return
        leaving = set(c.id for c in changes if c.id and (c.action == 'deleted' or c in taking))
        owners = self._email_owners([c.item['email'].strip() for c in taking])
        claimed = {}
        for change in taking:
            address = change.after['email']
            others = [u for u in owners.get(address, []) if u['id'] != change.id and u['id'] not in leaving]
            if others:
                self.input_error(change.label, duplicate_email(change.item['email'], others[0]['username']))
            elif address in claimed:
                self.input_error(change.label, 'the e-mail address %s is also given to %s; Moodle refuses two accounts '
                                 'with one address unless allowaccountssameemail is on (then set '
                                 'allow_duplicate_emails: true)' % (change.item['email'], claimed[address]))
            else:
                claimed[address] = change.label

    def _email_owners(self, addresses):
        """{lowercase address: [users]} for these addresses, from one batched exact look-up of two spellings."""
        owners = {}
        spellings = [spelling for address in addresses for spelling in (address, address.lower())]
        for user in self.api.get_users_by_field('email', spellings):
            owners.setdefault((user.get('email') or '').strip().lower(), []).append(user)
        return owners

    @staticmethod
    def _creation_problems(item):
        missing = [name for name in ('firstname', 'lastname', 'email') if not item.get(name)]
        problems = ['%s required to create the user' % ', '.join(missing)] if missing else []
        auth = item.get('auth') or 'manual'
        if auth not in EXTERNAL_AUTH and not item.get('password') and not item.get('create_password'):
            problems.append('a new user with auth %s needs password or create_password: true (Moodle refuses it '
                            'otherwise; only external authentication such as ldap or cas needs none)' % auth)
        return problems

    # -- writes ---------------------------------------------------------------------------
    def apply(self, changes):
        deletes = [c for c in changes if c.action == 'deleted']
        if deletes:
            self.bisect_write([(c, c.id) for c in deletes], self.api.delete_users, self._settled_deletions)
        updates = [c for c in changes if c.action == 'updated']
        if updates:
            self._update([(c, self._update_payload(c)) for c in updates])
        creates = [c for c in changes if c.action == 'created']
        if creates:
            self.bisect_write([(c, self._create_payload(c.item)) for c in creates], self._create, self._settled_creations)
            self._settle_raced([c for c in creates if c.raced is not None])
            for change in creates:
                change.id = change.id or self._created_ids.get(change.key)
            self._explain_rejected_emails([c for c in creates if c.action == 'failed'])
            for change in creates:
                if change.action == 'failed':
                    self._explain_hidden_rejection(change, self._create_payload(change.item))
            self._suspend_created([c for c in creates if c.action == 'created' and c.item.get('suspended')])

    def _suspend_created(self, changes):
        """core_user_create_users has no suspended: suspend the new users with a follow-up update."""
        if changes:
            self._update([(c, {'id': c.id, 'suspended': True}) for c in changes], refused=not_suspended)

    def _explain_rejected_emails(self, rejected):
        """With debugging off Moodle does not say why it rejected a user: name an e-mail address in use first."""
        emails = [c.item['email'].strip() for c in rejected if c.item.get('email')]
        if not emails:
            return
        owners = self._email_owners(emails)
        for change in rejected:
            found = owners.get((change.item.get('email') or '').strip().lower())
            if found:
                answer = change.error.message if change.error is not None else change.failed
                reason = duplicate_email(change.item['email'], found[0]['username'])
                change.failed = '%s (Moodle answered: %s)' % (reason, answer.rstrip('.'))

    def _explain_hidden_rejection(self, change, payload):
        """A user Moodle rejected alone (``payload`` sent) without saying why (debugging off), though every field
        passed the rules known before the write: say what was sent and which rules it passed, and name a language
        the site is not known to have, the one check that cannot be made before writing."""
        error = change.error
        if error is not None and error.errorcode == 'invalidparameter' and not error.debuginfo and \
                (change.failed or '').startswith(str(error)):
            identity = 'username' if 'username' in payload else 'id'
            sent = sorted(name for name in payload if name not in ('username', 'id'))
            lang = as_text(payload.get('lang'))
            suspect = ''
            if lang and lang not in set(field_rules.LANGUAGES_INSTALLED) | self._languages | set(
                    self.params.get('extra_languages') or ()):
                suspect = (' The likely cause: lang %r, a language the site is not known to have (known: %s); Moodle '
                           'refuses a language whose pack is not installed (Site administration > Language > Language '
                           'packs)' % (lang, ', '.join(sorted(set(field_rules.LANGUAGES_INSTALLED) | self._languages))))
            change.failed = ('%s. Moodle did not say which value it refused (debugging is off); this user was sent '
                             'alone with %s, %s, and each value passed the module\'s checks of Moodle\'s rules '
                             '(parameter type, length, allowed values: plugins/module_utils/field_rules.py).%s'
                             % (str(error).rstrip('.'), identity, ', '.join(sent), suspect))

    def _create(self, payloads):
        """Create these users; the ids of every user this run created are kept, also when a later chunk fails."""
        try:
            created = self.api.create_users(payloads)
        except MoodleError as error:
            for dummy, answer in error.done or []:
                self._created_ids.update((u['username'], u['id']) for u in answer or [])
            raise
        self._created_ids.update((u['username'], u['id']) for u in created)

    def _create_payload(self, item):
        payload = moodle_payload(item, wanted_fields(item))
        payload.pop('suspended', None)    # core_user_create_users has no suspended: set after creation
        payload['username'] = item['username']
        if item.get('password'):
            payload['password'] = item['password']
        elif item.get('create_password'):
            payload['createpassword'] = True
        return payload

    def _update_payload(self, change):
        payload = moodle_payload(change.item, change.after)
        payload['id'] = change.id
        if 'password' in change.after:
            payload['password'] = change.item['password']
        return payload

    def _update(self, pairs, refused=update_refused):
        """Send ``[(change, payload)]``; Moodle's per-user warnings go to ``refused(change, why)`` (default: the
        change failed).

        core_user_update_users writes each user in its own transaction, but validates the whole call first: a value
        it refuses there ("Invalid parameter value detected", nothing written) is narrowed down by sending the
        users again in halves until the refused user is alone; it goes to ``refused`` with what was sent."""
        try:
            warnings = self.api.update_users([payload for dummy, payload in pairs])
        except MoodleError as error:
            # Its per-user failures come back as warnings: an exception with this code is validate_parameters()'s,
            # raised before any user is written (user/externallib.php update_users), whatever the client must assume.
            if error.errorcode != 'invalidparameter':
                raise
            if len(pairs) > 1:
                middle = len(pairs) // 2
                self._update(pairs[:middle], refused)
                self._update(pairs[middle:], refused)
                return
            change, payload = pairs[0]
            change.error = error
            change.failed = str(error)
            self._explain_hidden_rejection(change, payload)
            refused(change, change.failed)
            return
        by_id = dict((payload['id'], change) for change, payload in pairs)
        for warning in warnings:
            change = by_id.get(warning.get('itemid'))
            if change is not None:
                refused(change, '%s (%s)' % (warning.get('message'), warning.get('warningcode')))

    def _settled_creations(self, changes):
        """The changes whose users exist now (after a rejected create): not to be created again.

        A user this run did not create was made by another writer between our read and our write: its record is
        kept in ``change.raced`` for :meth:`_settle_raced` (Moodle refuses the whole rejected call, so a user of it
        that exists now is never ours).
        """
        found = dict((u['username'], u) for u in self.api.get_users_by_field('username', [c.key for c in changes]))
        done = set()
        for change in changes:
            user = found.get(change.key)
            if user is None:
                continue
            change.id = user['id']
            if change.key not in self._created_ids:
                change.raced = user
            done.add(change)
        return done

    def _settle_raced(self, changes):
        """Users another writer created meanwhile: re-plan each as an update, send it once, report what is true."""
        updates = []
        for change in changes:
            wanted = without(change.after, 'password')
            before, after = compare(user_fields(change.raced), wanted)
            if not after:
                change.action = 'unchanged'
                change.before = change.after = None
                self.warn(RACED_SAME, change.label)
                continue
            if change.item.get('password') and change.item['update_password'] == 'always':
                before['password'], after['password'] = MASK, MASK + ' (new)'
            change.action, change.before, change.after = 'updated', before, after
            self.warn(RACED_UPDATED, change.label)
            updates.append((change, self._update_payload(change)))
        if updates:
            self._update(updates)
            for change, dummy in updates:
                if change.failed:
                    change.failed = ('another writer created this user first, with %s differing from what was asked; '
                                     'updating them failed: %s' % (', '.join(change.changed_fields()), change.failed))

    def _settled_deletions(self, changes):
        """The changes whose users are gone now (after a delete)."""
        found = set(u['username'] for u in self.api.get_users_by_field('username', [c.key for c in changes]))
        return set(c for c in changes if c.key not in found)

    def in_place(self, changes):
        """What the site shows of each change now, read by username."""
        found = dict((u['username'], u) for u in
                     self.api.get_users_by_field('username', [c.key for c in changes]))
        return dict((change, self._verdict(change, found.get(change.key))) for change in changes)

    @staticmethod
    def _verdict(change, user):
        if change.action == 'deleted':
            return user is None
        if user is None:
            return False
        if change.action == 'created':
            return created_verdict(change, user)
        differ = compare(user_fields(user), without(change.after, 'password'))[1]
        if differ:
            return ('not applied: the site has other %s than asked (not sent yet, refused, or changed by another '
                    'writer meanwhile)' % ', '.join(sorted(differ)))
        return True


def main():
    MoodleUserModule().run()


if __name__ == '__main__':
    main()
