# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared base of the lmsops.moodle modules.

A module declares its resource (``user``), its list option (``users``), the option of its single form
and its per-item options; it implements three steps: ``plan`` (batched reads, then one
:class:`Change` per item), ``apply`` (batched writes of the planned changes) and
``settled`` (what is in place after a failed write; the base's ``reread`` uses it).  The base owns the rest: the
argument spec (connection options, single form and bulk form), validation before any
write, check mode, diff, per-item results, warnings and error reporting.

FOR INTERNAL USE OF THE lmsops.moodle COLLECTION ONLY: module_utils are not a public API; they change in any
release without notice (see docs/architecture.md).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import re

from ansible.module_utils.basic import env_fallback, missing_required_lib
from ansible_collections.lmsops.moodle.plugins.module_utils.client import (
    MASK, REQUESTS_IMPORT_ERROR, MoodleClient, MoodleError)
from ansible_collections.lmsops.moodle.plugins.module_utils.api import MoodleAPI
from ansible_collections.lmsops.moodle.plugins.module_utils.masking import MaskingModule
from ansible_collections.lmsops.moodle.plugins.module_utils.resolve import Missing

# What each action is called in results; "unchanged" covers "already absent" too.
CHANGING_ACTIONS = ('created', 'updated', 'deleted', 'enrolled', 'unenrolled', 'assigned', 'unassigned')
# Errors that concern an item of a batch (so the batch can be narrowed down), not the site or the token.
ITEM_ERROR_KINDS = ('invalid_parameter', 'moodle')


def connection_argument_spec():
    """The connection options every module takes (documented in the ``connection`` doc fragment)."""
    return dict(
        # Required, but checked by client_from_params: Ansible's own message would not name the environment variables.
        url=dict(type='str', fallback=(env_fallback, ['MOODLE_URL'])),
        token=dict(type='str', no_log=True, fallback=(env_fallback, ['MOODLE_TOKEN'])),
        validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['MOODLE_VALIDATE_CERTS'])),
        ca_path=dict(type='path'),
        timeout=dict(type='int', default=30),
        max_input_vars=dict(type='int', default=1000, fallback=(env_fallback, ['MOODLE_MAX_INPUT_VARS'])),
        retries=dict(type='int', default=3),
    )


def client_options(module):
    """MoodleClient's arguments from a module's connection options."""
    params = module.params
    return dict(url=params['url'], token=params['token'], validate_certs=params['validate_certs'],
                ca_path=params['ca_path'], timeout=params['timeout'], max_input_vars=params['max_input_vars'],
                retries=params['retries'], log=module.debug)


def client_from_params(module):
    """Build the client from a module's connection options, failing cleanly without requests."""
    if REQUESTS_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
    params = module.params
    unset = [name for name in ('url', 'token') if not params[name]]
    if unset:
        module.fail_json(msg='%s: set %s on the task, once per play with module_defaults (group/lmsops.moodle.moodle), '
                             'or in the environment (%s)' % (
                                 'missing required arguments: ' + ', '.join(unset), ' and '.join(unset),
                                 ', '.join('MOODLE_%s' % name.upper() for name in unset)))
    if params['max_input_vars'] < 10:
        module.fail_json(msg='max_input_vars must be at least 10 (PHP\'s default is 1000), got %s' % params['max_input_vars'])
    client = MoodleClient(**client_options(module))
    # A password written into url (https://user:password@host) is masked wherever the module reports url.
    module.no_log_values.update(client.url_secrets)
    if client.in_clear:
        module.warn('url %s is plain http://: the token, and every password the task sends, travel in clear over the '
                    'network; use https://' % client.base_url)
    return client


def as_text(value):
    """An option's value as text, trimmed ('' for None): YAML gives 42 for an id, people leave spaces."""
    return '' if value is None else str(value).strip()


class ItemProblem(str):
    """A problem with one item: reads as ``label: cause``, keeps both so that many items with one cause group."""

    def __new__(cls, label, cause):
        text = str.__new__(cls, '%s: %s' % (label, cause))
        text.label = label
        text.cause = cause
        return text


def shorten(names, limit=8):
    """``a, b, c and 5 more``."""
    names = list(names)
    return ', '.join(names[:limit]) + (' and %d more' % (len(names) - limit) if len(names) > limit else '')


def group_problems(problems):
    """Problems of many items in few words, in the order given: items with the same cause are one entry, and items
    that name objects the site does not have are one entry per kind of object (``no user with username: 'b3001',
    'b3002' (2 items)``). Each problem stays whole in the per-item results."""
    groups, order = {}, []
    for index, problem in enumerate(problems):
        cause = getattr(problem, 'cause', None)
        if isinstance(cause, Missing):
            key = ('missing', cause.what, cause.hint)
        elif cause is not None:
            key = ('cause', cause)
        else:
            key = ('alone', index)      # a plain text: not known to share its cause
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(problem)
    lines = []
    for key in order:
        members = groups[key]
        if len(members) == 1:
            lines.append(str(members[0]))
        elif key[0] == 'missing':
            values = list(dict.fromkeys(repr(member.cause.value) for member in members))
            lines.append('no %s: %s%s (%d items)' % (key[1], shorten(values, 10), key[2], len(members)))
        else:
            lines.append('%s (%s)' % (key[1], shorten(member.label for member in members)))
    return lines


def committed_before(error):
    """Does Moodle raise this error after committing the write? Its messages (a welcome or notification e-mail) are
    sent after the commit, and a processor that fails raises "Message was not sent." (lib/classes/message/manager.php).
    """
    return 'Message was not sent' in '%s %s' % (error.errorcode or '', error)


def applied_with_error(error):
    """The warning for a write Moodle applied (the re-read shows it) and still answered with an error."""
    if committed_before(error):
        return ('Moodle made the change (the module re-read the site and verified it), then failed to send the '
                'message it sends about it, a welcome or notification e-mail (%s): the error comes from the site\'s '
                'messaging or outgoing mail set-up, not from the write. Fix mail at Site administration > Server > '
                'Email > Outgoing mail configuration, or turn the message off (Site administration > General > '
                'Messaging > Notification settings; for enrolments, the course\'s Manual enrolments > Send course '
                'welcome message)' % error)
    return 'Moodle applied the write (the module re-read the site and verified it) but answered with an error (%s)' % error


def fail_with_error(module, error, **extra):
    """Report a MoodleError: its diagnosis as msg, its parts as return values."""
    result = dict(extra)
    result.update(error.as_dict())
    module.fail_json(msg=str(error), **result)


def record_verdict(change, verdict):
    """Set a change's action from what a re-read says of it (:meth:`MoodleModule.in_place`); a failure the change
    already carries is kept."""
    if verdict is True:
        return
    if verdict is None:
        change.action = 'unknown'
        return
    change.failed = change.failed or (verdict if isinstance(verdict, str) else 'not applied')
    change.action = 'failed'


class PlanData:
    """A module's planning data for one item: the names it declares in ``fields`` (each None until set), nothing
    else (a misspelt name fails at once instead of reading as None)."""

    fields = ()
    __slots__ = ()

    def __init__(self, **values):
        for name in self.fields:
            setattr(self, name, None)
        self.update(**values)

    def update(self, **values):
        for name, value in values.items():
            if name not in self.fields:
                raise AttributeError('%s has no field %r (its fields: %s)'
                                     % (type(self).__name__, name, ', '.join(self.fields)))
            setattr(self, name, value)


class Change:
    """What one item needs: its action, the compared fields before and after, and its outcome."""

    def __init__(self, item, label, key, action='unchanged', before=None, after=None, obj_id=None):
        self.item = item            # the wanted item, as validated
        self.label = label          # how messages name it: users[3] (alice)
        self.key = key              # its identity value
        self.action = action        # created, updated, deleted, ... or unchanged
        self.before = before        # compared fields as they are (None: does not exist)
        self.after = after          # compared fields as they will be (None: will not exist)
        self.id = obj_id
        self.data = None            # the module's own planning data (a PlanData: ids, request payloads)
        self.failed = None          # a failure message for this item
        self.error = None           # the MoodleError Moodle answered for this item alone, if any
        self.raced = None           # what another writer made of this item between our read and our write
        self.warnings = []

    @property
    def changed(self):
        return self.action in CHANGING_ACTIONS

    def changed_fields(self):
        before, after = self.before or {}, self.after or {}
        return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


class MoodleModule:
    """Base class: subclasses declare their options and implement plan, apply and settled (or reread)."""

    resource = None            # singular name in results: 'user'
    list_option = None         # bulk option: 'users'
    # The option that names the one item of the single form ('username'; 'user' in moodle_enrolment, whose items
    # are known by course and user): mutually exclusive with list_option, required in each item of the list.
    single_option = None
    # Options any of which names the one item of the single form, when one option alone cannot (a category is
    # found by id, idnumber or path): each mutually exclusive with list_option. Default: (single_option,).
    identity_options = ()
    item_options = {}          # per-item options (suboptions of list_option, top-level in single form)
    item_mutually_exclusive = []
    item_required_together = []
    # {option: (options that belong to its value)}: not inherited by an item whose own value of the option
    # differs from the top level's (context -> instance)
    item_scoped = {}
    required_functions = ()    # functions the token's service must offer
    module_options = {}        # options that are not per item

    def __init__(self, module=None, api=None):
        """``module`` (an AnsibleModule) and ``api`` (a MoodleAPI) are built from the task's arguments unless given:
        tests build a module the way main() does, with their own Ansible stand-in and site."""
        self.module = module or self.ansible_module()
        self.params = self.module.params
        self.api = api or MoodleAPI(client_from_params(self.module))
        self.client = self.api.client
        self._warnings = {}
        self.not_found = {}
        self.input_errors = []

    @classmethod
    def ansible_module(cls):
        naming = tuple(cls.identity_options) or (cls.single_option,)
        return MaskingModule(argument_spec=cls.argument_spec(), supports_check_mode=True,
                             mutually_exclusive=[(cls.list_option, name) for name in naming] + cls.item_mutually_exclusive,
                             required_one_of=[(cls.list_option,) + naming])

    # -- argument spec ----------------------------------------------------------------
    @classmethod
    def argument_spec(cls):
        """Connection options, module options, the per-item options (single form) and the list (bulk form).

        Per-item options carry no default in the spec: an option given next to the list is the default of
        every item, so "not given" must stay visible; :meth:`items` applies the documented defaults.
        """
        spec = connection_argument_spec()
        spec.update(copy.deepcopy(cls.module_options))
        suboptions = {}
        for name, option in cls.item_options.items():
            single = copy.deepcopy(option)
            single.pop('required', None)
            single.pop('default', None)
            spec[name] = single
            sub = copy.deepcopy(option)
            sub.pop('default', None)
            if name != cls.single_option:        # may come from the top level
                sub.pop('required', None)
            suboptions[name] = sub
        spec[cls.list_option] = dict(type='list', elements='dict', options=suboptions,
                                     mutually_exclusive=cls.item_mutually_exclusive,
                                     required_together=cls.item_required_together)
        return spec

    @classmethod
    def item_defaults(cls):
        """{option: documented default} of the per-item options."""
        return dict((name, option.get('default')) for name, option in cls.item_options.items())

    # -- items ------------------------------------------------------------------------
    def items(self):
        """[(label, item)] in the order given, single form or bulk form, each with every per-item option set.

        In the bulk form a per-item option given at the top level is the default of every item; an item's own
        value wins, and so does an item's value of a mutually exclusive option (``role_id`` in an item drops a
        top-level ``role``) or of an option that scopes others (an item's own ``context`` drops a top-level
        ``instance``).  Options nobody gave get their documented default.
        """
        top = dict((name, self.params.get(name)) for name in self.item_options if name != self.single_option)
        if self.params[self.list_option] is None:
            item = self.with_defaults(dict(top, **{self.single_option: self.params.get(self.single_option)}))
            return [(self.describe_item(item), item)]
        items = [self.with_defaults(self.inherit(item, top)) for item in self.params[self.list_option]]
        return [('%s[%d] (%s)' % (self.list_option, index, self.describe_item(item)), item)
                for index, item in enumerate(items)]

    def describe_item(self, item):
        """How messages name an item (``alice``; the bulk form adds its place: ``users[3] (alice)``)."""
        return str(item.get(self.single_option))

    def inherit(self, item, top):
        """An item of the bulk form completed with the top-level per-item options it does not set itself."""
        merged = dict(item)
        scoped_out = set(scoped for option, options in self.item_scoped.items() for scoped in options
                         if item.get(option) is not None and item.get(option) != top.get(option))
        for name, value in top.items():
            if value is None or merged.get(name) is not None or name in scoped_out:
                continue
            partners = [other for group in self.item_mutually_exclusive if name in group for other in group]
            if any(merged.get(other) is not None for other in partners if other != name):
                continue
            merged[name] = value
        return merged

    def with_defaults(self, item):
        """The item with each option it leaves unset at its documented default."""
        return dict((name, default if item.get(name) is None else item[name])
                    for name, default in self.item_defaults().items())

    def item_key(self, item):
        """What makes two items the same (duplicates are refused); modules whose items are known by several options
        override it."""
        return item[self.single_option]

    def validate_item(self, item):
        """Return a list of problems with one item (strings); empty when valid."""
        return []

    def input_error(self, label, problem):
        """Record a problem with an item; the run fails before any write, listing them all."""
        self.input_errors.append(ItemProblem(label, problem))

    def validate(self, items):
        """Check every item without reading the site; return the items that passed."""
        valid, seen = [], {}
        for label, item in items:
            problems = self.validate_item(item)
            for problem in problems:
                self.input_error(label, problem)
            key = self.item_key(item)
            if key in seen:
                self.input_error(label, 'same %s as %s; give each once' % (self.resource, seen[key]))
            else:
                seen[key] = label
                if not problems:
                    valid.append((label, item))
        return valid

    def item_index(self, problem):
        """Where a problem's item is in the bulk list (problems start with its label: users[3] (...)); -1 if none."""
        match = re.match(r'^%s\[(\d+)\]' % re.escape(self.list_option or ''), problem)
        return int(match.group(1)) if match else -1

    def fail_on_input_errors(self, more=None):
        """Fail, before any write, naming every problem found so far (and ``more``, a list this empties), in the
        order the items were given."""
        if more:
            self.input_errors.extend(more)
            del more[:]
        if self.input_errors:
            errors = sorted(self.input_errors, key=self.item_index)
            self._emit_warnings()
            self.module.fail_json(msg='%d problem(s) in the input; nothing was changed: %s'
                                  % (len(errors), '; '.join(group_problems(errors))),
                                  errors=[str(error) for error in errors], changed=False)

    def defer_missing(self, label, problem):
        """Check mode only: ``problem`` says that an object the item ``label`` refers to does not exist (a user, a
        course, a category), and an earlier task of the same run may create it.  Then it is no problem: it is kept
        in ``self.not_found`` ({label: [problems]}) for the item's warnings and one grouped warning, and True is
        returned (the module plans the item as it would be done once the object exists); otherwise False (the
        problem stands: a real run fails before any write)."""
        if not (self.module.check_mode and isinstance(problem, Missing)):
            return False
        self.not_found.setdefault(label, []).append(problem)
        return True

    def resolve_references(self, items, references, resolvers):
        """Look up what the items name on the site: one resolver call per kind of object and field.

        ``references(item)`` lists what one item names, as ``(kind, field, value, prefix)``: the kind of object
        (``user``, ``course``, ``category``: a key of ``resolvers``), the field it is named by, the value, and how a
        problem with it starts in messages (``'instance: '`` or ``''``).  ``resolvers[kind](field, values)`` answers
        ``(found {value: record}, problems {value: why})``.

        Returns ``(records, errors)``: ``records`` maps each ``(kind, field, value)`` found to its record; ``errors``
        are the items' problems, in item order.  An object that does not exist is no problem in check mode (an
        earlier task may create it): the item is kept in ``self.not_found`` instead (:meth:`defer_missing`).
        """
        wanted = {}
        for dummy, item in items:
            for kind, field, value, dummy_prefix in references(item):
                wanted.setdefault((kind, field), []).append(value)
        records, problems = {}, {}
        for (kind, field), values in wanted.items():
            found, missing = resolvers[kind](field, values)
            records.update(((kind, field, value), record) for value, record in found.items())
            problems.update(((kind, field, value), why) for value, why in missing.items())
        errors = []
        for label, item in items:
            for kind, field, value, prefix in references(item):
                key = (kind, field, value)
                if key in records:
                    continue
                problem = problems.get(key, 'no %s %r' % (kind, value))
                if not self.defer_missing(label, problem):
                    errors.append(ItemProblem(label, prefix + problem if prefix else problem))
        return records, errors

    def note_not_found(self, change):
        """The item's own warnings about what check mode found missing."""
        change.warnings.extend('check mode: %s yet' % problem for problem in self.not_found.get(change.label, ()))

    # -- steps the modules implement ------------------------------------------------------
    def plan(self, items):
        """Read the site in batches and return one Change per item."""
        raise NotImplementedError

    def apply(self, changes):
        """Make the planned changes with batched writes."""
        raise NotImplementedError

    def settled(self, changes):
        """The changes the site shows in place now (a set), read again after a write failed or lost its answer."""
        raise NotImplementedError

    def in_place(self, changes):
        """{change: verdict} for planned changes read again after a write failed: True (the site shows it in place),
        False (not applied), a text (not applied, and why), None (cannot be known: reported ``unknown``).

        Default: what :meth:`settled` answers. Modules whose state core Moodle cannot always read, or that can say
        more than "not applied", override this (never :meth:`reread`)."""
        done = self.settled(changes)
        return dict((change, change in done) for change in changes)

    def reread(self, changes):
        """After a failed write: each planned change gets the action the site shows (:meth:`in_place`)."""
        pending = [c for c in changes if c.changed]
        if pending:
            verdicts = self.in_place(pending)
            for change in pending:
                record_verdict(change, verdicts.get(change, False))

    def result_entry(self, change):
        """One item of the results; modules may add fields."""
        entry = {self.single_option: change.key, 'id': change.id, 'action': change.action,
                 'changed_fields': change.changed_fields() if change.changed else []}
        if change.failed:
            entry['failed'] = change.failed
        if change.warnings:
            entry['warnings'] = change.warnings
        return entry

    # -- warnings -------------------------------------------------------------------------
    def warn(self, text, label=None):
        """A warning, aggregated: one line per text with the items it concerns."""
        self._warnings.setdefault(text, [])
        if label:
            self._warnings[text].append(label)

    def report_unchanged(self, change, why):
        """A planned change the site shows was not this module's to make (another enrolment method, a component):
        the item is unchanged, with ``why`` as its warning."""
        change.action = 'unchanged'
        change.before = change.after = None
        self.warn(why, change.label)
        change.warnings.append(why)

    def _emit_warnings(self):
        not_yet = {}            # what -> the values, each once, in the order the items named them
        for problems in self.not_found.values():
            for problem in problems:
                not_yet.setdefault(problem.what, {})[repr(problem.value)] = True
        if not_yet:
            missing = '; '.join('%s %s' % (what, shorten(values, 10)) for what, values in not_yet.items())
            self.module.warn(
                'Check mode: not on the site yet: %s. The items that refer to them are shown as they would be done '
                'once they exist (an earlier task of this run may create them); a real run fails before any write if '
                'they still do not exist' % missing)
        for text, labels in self._warnings.items():
            if labels:
                shown = shorten(labels, 5)
                text = '%s (%s)' % (text, shown)
            self.module.warn(text)

    # -- the run -----------------------------------------------------------------------
    def run(self):
        self.input_errors = []
        self.not_found = {}         # check mode: {label: [problems]} of objects the items refer to, not on the site yet
        items = self.validate(self.items())
        try:
            self.api.require(self.required_functions)
            # Items with problems found so far are left out of the plan, whose own checks
            # (against what the site holds) add to the same list: one failure names them all.
            changes = self.plan(items)
        except MoodleError as error:
            fail_with_error(self.module, error, changed=False)
        self.fail_on_input_errors()
        if not self.module.check_mode and any(c.changed for c in changes):
            try:
                self.apply(changes)
            except MoodleError as error:
                self._fail_after_write(changes, error)
        failed = [c for c in changes if c.failed]
        if failed:
            self._emit_warnings()
            reasons = '; '.join(group_problems(ItemProblem(c.label, c.failed) for c in failed))
            self.module.fail_json(msg='%d %s(s) failed: %s' % (len(failed), self.resource, reasons),
                                  **self.results(changes))
        self._emit_warnings()
        self.module.exit_json(**self.results(changes))

    def _fail_after_write(self, changes, error):
        """A write failed or its answer was lost: report the state found by re-reading."""
        try:
            self.reread(changes)
            state = 'Re-read the site: each item\'s action below is what it really is now'
        except MoodleError as reread_error:
            state = 'Re-reading the site failed too (%s): the state of the items is unknown' % reread_error
            for change in changes:
                if change.changed:
                    change.action = 'unknown'
        applied = sum(1 for c in changes if c.changed)
        result = self.results(changes)
        result.update(error.as_dict())
        self._emit_warnings()
        self.module.fail_json(msg='%s. %d of the planned changes were applied before the failure. %s.'
                              % (str(error).rstrip('.'), applied, state), **result)

    def results(self, changes):
        entries = [self.result_entry(c) for c in changes]
        summary = {}
        for change in changes:
            summary[change.action] = summary.get(change.action, 0) + 1
        result = dict(changed=any(c.changed for c in changes), summary=summary)
        if self.params[self.list_option] is None:
            result[self.resource] = entries[0]
        else:
            result[self.list_option] = entries
        if self.module._diff:
            result['diff'] = [self.diff_entry(c) for c in changes if c.changed]
        return result

    def bisect_write(self, pairs, send, applied):
        """Send ``[(change, payload)]`` with ``send(payloads)``; isolate items Moodle rejects.

        Moodle rejects create, delete and enrol batches as a whole when one item is bad,
        and a write may also succeed and still raise.  So after an item-level rejection the
        batch is re-read with ``applied(changes)`` (the changes now settled: in place, or made
        by another writer meanwhile, which ``applied`` records in ``change.raced`` for the
        module to settle): those are not sent again, and the rest is sent again in halves
        until each rejected item is alone and marked failed with Moodle's own message.
        Errors that are not about an item (token, access, network) are raised unchanged.
        """
        try:
            send([payload for dummy, payload in pairs])
            return
        except MoodleError as error:
            if error.kind not in ITEM_ERROR_KINDS:
                raise
            done = applied([change for change, dummy in pairs])
            remaining = [pair for pair in pairs if pair[0] not in done]
            if not remaining:
                if any(change.raced is None for change in done):
                    self.warn(applied_with_error(error))
                return
            if done:
                # The rejection may have been the settled items' (a user another writer created meanwhile): the
                # rest, never applied (Moodle rolled the call back), is sent again as one.
                self.bisect_write(remaining, send, applied)
                return
            if len(remaining) == 1:
                change = remaining[0][0]
                change.failed = str(error)
                change.error = error
                change.action = 'failed'
                return
            middle = len(remaining) // 2
            self.bisect_write(remaining[:middle], send, applied)
            self.bisect_write(remaining[middle:], send, applied)

    def diff_entry(self, change):
        return dict(before_header='%s %s' % (self.resource, change.key), after_header='%s %s' % (self.resource, change.key),
                    before=mask(change.before) or {}, after=mask(change.after) or {})


def mask(fields):
    """Copy of a compared-fields dict with secrets hidden."""
    if fields is None:
        return None
    return dict((k, v if k != 'password' or v is None or str(v).startswith(MASK) else MASK) for k, v in fields.items())
