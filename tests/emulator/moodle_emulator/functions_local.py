# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The companion plugin local_lmsops: read-only functions core Moodle lacks.

They exist only while the setting ``companion_plugin`` is on; otherwise calling them answers
like any unknown function.
"""

from __future__ import annotations

from .errors import InvalidParameter
from .params import PARAM_ALPHA, PARAM_ALPHANUMEXT, PARAM_INT, PARAM_NOTAGS, VALUE_DEFAULT, Multiple, Single, Value
from .registry import external
from .state import CONTEXT_COURSE, CONTEXT_COURSECAT, CONTEXT_SYSTEM, CONTEXT_USER, LEVEL_BY_NAME, LEVEL_NAMES

LOCAL_FUNCTIONS = ('local_lmsops_get_roles', 'local_lmsops_get_role_assignments', 'local_lmsops_get_user_enrolments',
                   'local_lmsops_get_access_information')


@external('local_lmsops_get_roles', Single({}), component='local_lmsops')
def get_roles(call, args):
    """All roles with their assignable context levels."""
    del args
    roles = sorted(call.site.roles.values(), key=lambda r: (r['sortorder'], r['id']))
    return {'roles': [{'id': r['id'], 'shortname': r['shortname'], 'name': r['name'], 'archetype': r['archetype'],
                       'contextlevels': [LEVEL_NAMES[level] for level in r['contextlevels']]} for r in roles]}


@external('local_lmsops_get_role_assignments', Single([
    ('contexts', Multiple(Single([('contextlevel', Value(PARAM_ALPHA)), ('instanceid', Value(PARAM_INT))]))),
    ('userids', Multiple(Value(PARAM_INT), VALUE_DEFAULT, [])),
    ('roleids', Multiple(Value(PARAM_INT), VALUE_DEFAULT, [])),
]), component='local_lmsops')
def get_role_assignments(call, args):
    """Role assignments in the given contexts, optionally filtered by users and roles."""
    site = call.site
    userids = set(args['userids'])
    roleids = set(args['roleids'])
    result = []
    seen = set()
    for item in args['contexts']:
        level = LEVEL_BY_NAME.get(item['contextlevel'])
        if level is None:
            raise InvalidParameter('Invalid context level = ' + item['contextlevel'])
        if level == CONTEXT_SYSTEM:
            ctx = 1
        else:
            ctx = site.context_id(level, item['instanceid'])
            if level == CONTEXT_USER and ctx is not None and site.users[item['instanceid']]['deleted']:
                ctx = None
        if ctx is None:
            raise InvalidParameter('Context does not exist: %s %d' % (item['contextlevel'], item['instanceid']))
        if ctx in seen:
            continue
        seen.add(ctx)
        context = site.contexts[ctx]
        for raid in sorted(site.ra_by_context.get(ctx, ())):
            ra = site.role_assignments[raid]
            if (userids and ra['userid'] not in userids) or (roleids and ra['roleid'] not in roleids):
                continue
            result.append({'id': ra['id'], 'roleid': ra['roleid'], 'userid': ra['userid'], 'contextid': ctx,
                           'contextlevel': LEVEL_NAMES[context['contextlevel']], 'instanceid': context['instanceid'],
                           'component': ra['component'], 'itemid': ra['itemid']})
    return {'assignments': result}


@external('local_lmsops_get_user_enrolments', Single([
    ('courseid', Value(PARAM_INT)),
    ('userids', Multiple(Value(PARAM_INT), VALUE_DEFAULT, [])),
]), component='local_lmsops')
def get_user_enrolments(call, args):
    """A course's enrolments with method, status, times and course-context roles."""
    site = call.site
    course = site.courses.get(args['courseid'])
    if course is None:
        raise InvalidParameter('Course does not exist: %d' % args['courseid'])
    ctx = site.context_id(CONTEXT_COURSE, course['id'])
    userids = set(args['userids'])
    result = []
    for ue in sorted(site.course_enrolments(course['id']), key=lambda e: (e['userid'], e['enrolid'])):
        if userids and ue['userid'] not in userids:
            continue
        roleids = {ra['roleid'] for ra in site.user_roles_in_context(ue['userid'], ctx) if ra['roleid'] in site.roles}
        ordered = sorted((site.roles[rid] for rid in roleids), key=lambda r: (r['sortorder'], r['id']))
        roles = [{'roleid': role['id'], 'shortname': role['shortname']} for role in ordered]
        result.append({'userid': ue['userid'], 'enrolid': ue['enrolid'], 'enrol': site.enrol_instances[ue['enrolid']]['enrol'],
                       'status': ue['status'], 'timestart': ue['timestart'], 'timeend': ue['timeend'], 'roles': roles})
    return {'enrolments': result}


def _resolve_context(site, item):
    """A context id from {contextlevel, instanceid}, as local_lmsops's context_levels::resolve()."""
    level = LEVEL_BY_NAME.get(item['contextlevel'])
    if level is None:
        raise InvalidParameter('Invalid context level = ' + item['contextlevel'])
    if level == CONTEXT_SYSTEM:
        ctx = 1 if item['instanceid'] == 0 else None
    else:
        ctx = site.context_id(level, item['instanceid'])
        if level == CONTEXT_USER and ctx is not None and site.users[item['instanceid']]['deleted']:
            ctx = None
    if ctx is None:
        raise InvalidParameter('Context not found: contextlevel=%s instanceid=%d' % (item['contextlevel'], item['instanceid']))
    return ctx


def _parent_contexts(site, ctx):
    """The context and its parents (system, categories, course), as Moodle's context path."""
    context = site.contexts[ctx]
    ids = [ctx]
    category = None
    if context['contextlevel'] == CONTEXT_COURSE:
        category = site.courses[context['instanceid']]['category']
    elif context['contextlevel'] == CONTEXT_COURSECAT:
        category = site.categories[context['instanceid']]['parent']
    while category:
        parent = site.context_id(CONTEXT_COURSECAT, category)
        if parent is not None:
            ids.append(parent)
        category = site.categories[category]['parent']
    if 1 not in ids:
        ids.append(1)
    return ids


@external('local_lmsops_get_access_information', Single([
    ('capabilities', Multiple(Value(PARAM_NOTAGS), VALUE_DEFAULT, [])),
    ('contexts', Multiple(Single([('contextlevel', Value(PARAM_ALPHA)), ('instanceid', Value(PARAM_INT))]),
                          VALUE_DEFAULT, [])),
    ('roles', Multiple(Value(PARAM_ALPHANUMEXT), VALUE_DEFAULT, [])),
]), component='local_lmsops')
def get_access_information(call, args):
    """What the token's user may do. The emulator has no role definitions: a capability is missing when the
    missing_capabilities switch names it, and, as the emulator's writes do, every role may be assigned wherever its
    context levels allow (what Moodle does for a site administrator) unless moodle/role:assign is missing."""
    site = call.site
    missing = set(site.settings['missing_capabilities'])
    capabilities = list(dict.fromkeys(args['capabilities']))
    ordered = sorted(site.roles.values(), key=lambda r: (r['sortorder'], r['id']))
    contexts, seen = [], set()
    for item in args['contexts'] or [{'contextlevel': 'system', 'instanceid': 0}]:
        ctx = _resolve_context(site, item)
        if ctx in seen:
            continue
        seen.add(ctx)
        context = site.contexts[ctx]
        held = []
        for parent in reversed(_parent_contexts(site, ctx)):
            where = site.contexts[parent]
            for ra in site.user_roles_in_context(call.userid, parent):
                if ra['roleid'] in site.roles:
                    held.append({'shortname': site.roles[ra['roleid']]['shortname'],
                                 'contextlevel': LEVEL_NAMES[where['contextlevel']], 'instanceid': where['instanceid']})
        lacking = [c for c in capabilities if c in missing]
        assignable = [] if 'moodle/role:assign' in missing else [
            r['shortname'] for r in ordered if context['contextlevel'] in r['contextlevels']]
        contexts.append({'contextlevel': LEVEL_NAMES[context['contextlevel']], 'instanceid': context['instanceid'],
                         'missingcapabilities': lacking, 'heldroles': held,
                         'allowedroles': [r['shortname'] for r in ordered], 'assignableroles': assignable})
    by_shortname = {r['shortname']: r for r in ordered}
    asked = list(dict.fromkeys(args['roles']))
    return {'userid': call.userid, 'siteadmin': site.is_siteadmin(call.userid), 'contexts': contexts,
            'roles': [{'shortname': name, 'contextlevels': [LEVEL_NAMES[level] for level in sorted(by_shortname[name]['contextlevels'])]}
                      for name in asked if name in by_shortname],
            'unknowncapabilities': [], 'unknownroles': [name for name in asked if name not in by_shortname]}
