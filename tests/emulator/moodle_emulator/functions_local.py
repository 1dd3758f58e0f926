# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The companion plugin local_lmsops: read-only functions core Moodle lacks.

They exist only while the setting ``companion_plugin`` is on; otherwise calling them answers
like any unknown function.
"""

from __future__ import annotations

from .errors import InvalidParameter, RequiredCapability
from .params import (PARAM_ALPHA, PARAM_ALPHANUMEXT, PARAM_BOOL, PARAM_INT, PARAM_NOTAGS, PARAM_RAW, PARAM_RAW_TRIMMED,
                     PARAM_USERNAME, VALUE_DEFAULT, Multiple, Single, Value, clean_param, php_str)
from .registry import external
from .state import CONTEXT_COURSE, CONTEXT_COURSECAT, CONTEXT_SYSTEM, CONTEXT_USER, LEVEL_BY_NAME, LEVEL_NAMES

LOCAL_FUNCTIONS = ('local_lmsops_get_roles', 'local_lmsops_get_role_assignments', 'local_lmsops_get_user_enrolments',
                   'local_lmsops_get_access_information', 'local_lmsops_get_users', 'local_lmsops_get_enrolments',
                   'local_lmsops_list_role_assignments')

# Plugin 1.2.0's paging (classes/local/paging.php): rows after an id cursor, at most MAX_LIMIT per call.
MAX_LIMIT = 5000
# The descriptions Moodle's nopermissions message names these capabilities by (lang/en/role.php).
CAPABILITY_NAMES = {
    'moodle/user:viewdetails': 'View user profiles',
    'moodle/user:viewalldetails': 'View user full information',
    'moodle/course:enrolreview': 'Review course enrolments',
    'moodle/course:viewparticipants': 'View participants',
    'moodle/role:review': 'Review permissions for others',
}
# core_user::get_property_type() of the fields local_lmsops_get_users searches.
USER_FIELD_TYPES = {'id': PARAM_INT, 'username': PARAM_USERNAME, 'email': PARAM_RAW_TRIMMED, 'idnumber': PARAM_RAW}


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


def _require(site, capability):
    """require_capability(): the emulator's token users lack only what missing_capabilities names."""
    if capability in site.settings['missing_capabilities']:
        raise RequiredCapability(CAPABILITY_NAMES[capability])


def _page_size(args):
    """paging::size(): negative afterid or limit is refused; 0 or more than the maximum means the maximum."""
    if args['afterid'] < 0 or args['limit'] < 0:
        raise InvalidParameter('afterid and limit must not be negative')
    return MAX_LIMIT if args['limit'] == 0 or args['limit'] > MAX_LIMIT else args['limit']


def _cut(rows, size):
    """paging::cut(): at most size rows, and the id the next page starts after (0: nothing more)."""
    if len(rows) <= size:
        return rows, 0
    rows = rows[:size]
    return rows, rows[-1]['id']


PAGING = [('afterid', Value(PARAM_INT, VALUE_DEFAULT, 0)), ('limit', Value(PARAM_INT, VALUE_DEFAULT, 0))]


def _cleaned_values(site, field, values):
    """get_users::cleaned_values(): core's cleaning and message; empty email/idnumber values match nobody."""
    wanted = []
    for value in values:
        cleaned = clean_param(value, USER_FIELD_TYPES[field], tuple(site.settings['langs']))
        if php_str(cleaned) != value:
            raise InvalidParameter("The field '%s' value is invalid: %s(cleaned value: %s)" % (field, value, php_str(cleaned)))
        if php_str(cleaned) == '' and field != 'id':
            continue
        if cleaned not in wanted:
            wanted.append(cleaned)
    return wanted


def _profile_empty(datatype, value):
    """Core's profile field is_empty() of stored data: checkbox never, datetime when empty(), others unless '0'."""
    if datatype == 'checkbox':
        return False
    text = php_str(value)
    if datatype == 'datetime':
        return text in ('', '0')
    return text == ''


def _light_user(site, user):
    """One user as local_lmsops_get_users answers it (the emulator hides no field: every key is there)."""
    customfields = []
    for shortname, field in site.profile_fields.items():
        value = user.get('customfields', {}).get(shortname)
        if value is not None and not _profile_empty(field['datatype'], value):
            customfields.append({'shortname': shortname, 'value': php_str(value)})
    lang = php_str(user['lang'])
    return {'id': user['id'], 'username': user['username'], 'firstname': php_str(user['firstname']),
            'lastname': php_str(user['lastname']), 'auth': php_str(user['auth']), 'idnumber': php_str(user['idnumber']),
            'lang': lang if lang in site.settings['langs'] else '', 'institution': php_str(user['institution']),
            'department': php_str(user['department']), 'customfields': customfields, 'city': php_str(user['city']),
            'country': php_str(user['country']), 'timezone': php_str(user['timezone']),
            'description': php_str(user['description']), 'suspended': bool(user['suspended']),
            'email': php_str(user['email'])}


@external('local_lmsops_get_users', Single([
    ('field', Value(PARAM_ALPHA)),
    ('values', Multiple(Value(PARAM_RAW), VALUE_DEFAULT, [])),
] + PAGING), component='local_lmsops')
def get_users(call, args):
    """Users by id, username, email or idnumber (all users when no value), paged by id, with the compared fields."""
    site = call.site
    field = args['field']
    if field not in USER_FIELD_TYPES:
        raise InvalidParameter('Invalid field = %s (id, username, email or idnumber)' % field)
    size = _page_size(args)
    wanted = _cleaned_values(site, field, args['values'])
    _require(site, 'moodle/user:viewdetails')
    _require(site, 'moodle/user:viewalldetails')
    if args['values'] and not wanted:
        return {'users': [], 'nextafterid': 0}
    matches = set(php_str(value) for value in wanted)
    rows = [user for uid, user in sorted(site.users.items())
            if not user['deleted'] and uid > args['afterid'] and (not wanted or php_str(user[field]) in matches)]
    rows, nextafterid = _cut(rows, size)
    return {'users': [_light_user(site, user) for user in rows], 'nextafterid': nextafterid}


def _check_course(site, userfields):
    """get_enrolments::check_course(): enrolreview, and with the users' fields what core_enrol_get_enrolled_users asks."""
    _require(site, 'moodle/course:enrolreview')
    if userfields:
        # course_require_view_participants(): viewparticipants or enrolreview (held, or the line above refused).
        _require(site, 'moodle/user:viewdetails')
        _require(site, 'moodle/user:viewalldetails')


def _course_roles(site, userid, courseid):
    """The user's roles in the course context, each once, by role sortorder (then assignment id)."""
    ctx = site.context_id(CONTEXT_COURSE, courseid)
    assignments = sorted((ra for ra in site.user_roles_in_context(userid, ctx) if ra['roleid'] in site.roles),
                         key=lambda ra: (site.roles[ra['roleid']]['sortorder'], ra['id']))
    roles = {}
    for ra in assignments:
        roles.setdefault(ra['roleid'], {'roleid': ra['roleid'], 'shortname': site.roles[ra['roleid']]['shortname']})
    return list(roles.values())


@external('local_lmsops_get_enrolments', Single([
    ('courseids', Multiple(Value(PARAM_INT), VALUE_DEFAULT, [])),
    ('userids', Multiple(Value(PARAM_INT), VALUE_DEFAULT, [])),
    ('userfields', Value(PARAM_BOOL, VALUE_DEFAULT, False)),
] + PAGING), component='local_lmsops')
def get_enrolments(call, args):
    """User enrolments of some courses and/or users, paged by user enrolment id, with the course roles."""
    site = call.site
    size = _page_size(args)
    courseids = list(dict.fromkeys(args['courseids']))
    userids = set(args['userids'])
    if not courseids and not userids:
        raise InvalidParameter('courseids or userids is required')
    for courseid in courseids:
        if courseid not in site.courses:
            raise InvalidParameter('Course not found: courseid=%d' % courseid)
        _check_course(site, args['userfields'])
    rows = []
    for ueid, ue in sorted(site.user_enrolments.items()):
        courseid = site.enrol_instances[ue['enrolid']]['courseid']
        user = site.users.get(ue['userid'])
        if (ueid <= args['afterid'] or user is None or user['deleted'] or (courseids and courseid not in courseids)
                or (userids and ue['userid'] not in userids)):
            continue
        rows.append(dict(ue, id=ueid, courseid=courseid))
    rows, nextafterid = _cut(rows, size)
    if not courseids and rows:
        _check_course(site, args['userfields'])
    enrolments = []
    for row in rows:
        enrolment = {'id': row['id'], 'courseid': row['courseid'], 'userid': row['userid'], 'enrolid': row['enrolid'],
                     'enrol': site.enrol_instances[row['enrolid']]['enrol'], 'status': row['status'],
                     'timestart': row['timestart'], 'timeend': row['timeend'],
                     'roles': _course_roles(site, row['userid'], row['courseid'])}
        if args['userfields']:
            user = site.users[row['userid']]
            enrolment.update(username=user['username'], email=php_str(user['email']), idnumber=php_str(user['idnumber']))
        enrolments.append(enrolment)
    return {'enrolments': enrolments, 'nextafterid': nextafterid}


@external('local_lmsops_list_role_assignments', Single([
    ('contexts', Multiple(Single([('contextlevel', Value(PARAM_ALPHA)), ('instanceid', Value(PARAM_INT))]),
                          VALUE_DEFAULT, [])),
    ('userids', Multiple(Value(PARAM_INT), VALUE_DEFAULT, [])),
    ('roleids', Multiple(Value(PARAM_INT), VALUE_DEFAULT, [])),
] + PAGING), component='local_lmsops')
def list_role_assignments(call, args):
    """Role assignments made in some contexts and/or held by some users, paged by role assignment id."""
    site = call.site
    size = _page_size(args)
    if not args['contexts'] and not args['userids']:
        raise InvalidParameter('contexts or userids is required')
    contextids = set()
    for item in args['contexts']:
        contextids.add(_resolve_context(site, item))
        _require(site, 'moodle/role:review')
    userids, roleids = set(args['userids']), set(args['roleids'])
    rows = [dict(ra, id=raid) for raid, ra in sorted(site.role_assignments.items())
            if raid > args['afterid'] and (not contextids or ra['contextid'] in contextids)
            and (not userids or ra['userid'] in userids) and (not roleids or ra['roleid'] in roleids)]
    rows, nextafterid = _cut(rows, size)
    if rows and not contextids:
        _require(site, 'moodle/role:review')
    assignments = []
    for ra in rows:
        context = site.contexts[ra['contextid']]
        if context['contextlevel'] not in LEVEL_NAMES:
            continue
        assignments.append({'id': ra['id'], 'roleid': ra['roleid'], 'userid': ra['userid'], 'contextid': ra['contextid'],
                            'contextlevel': LEVEL_NAMES[context['contextlevel']], 'instanceid': context['instanceid'],
                            'component': ra['component'], 'itemid': ra['itemid']})
    return {'assignments': assignments, 'nextafterid': nextafterid}
