# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulated Moodle site: users, courses, contexts, roles, enrolments, services and tokens.

Every write goes through a primitive that also records how to undo it, so a function can
run inside ``site.transaction()`` and be rolled back completely, like Moodle's delegated
transactions. Ids taken inside a rolled-back transaction stay used, as with PostgreSQL
sequences. Lookups use dict indexes so 5000-user sites and batches stay fast.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import secrets
import time

import yaml

from .params import AUTH_PLUGINS_45, AUTH_PLUGINS_51

CONTEXT_SYSTEM = 10
CONTEXT_USER = 30
CONTEXT_COURSECAT = 40
CONTEXT_COURSE = 50
CONTEXT_MODULE = 70
CONTEXT_BLOCK = 80

LEVEL_NAMES = {
    CONTEXT_SYSTEM: 'system',
    CONTEXT_USER: 'user',
    CONTEXT_COURSECAT: 'coursecat',
    CONTEXT_COURSE: 'course',
    CONTEXT_MODULE: 'module',
    CONTEXT_BLOCK: 'block',
}
LEVEL_BY_NAME = {name: level for level, name in LEVEL_NAMES.items()}

DEFAULT_ROLES = [
    {'id': 1, 'shortname': 'manager', 'archetype': 'manager', 'contextlevels': ['system', 'coursecat', 'course']},
    {'id': 2, 'shortname': 'coursecreator', 'archetype': 'coursecreator', 'contextlevels': ['system', 'coursecat']},
    {'id': 3, 'shortname': 'editingteacher', 'archetype': 'editingteacher', 'contextlevels': ['course', 'module']},
    {'id': 4, 'shortname': 'teacher', 'archetype': 'teacher', 'contextlevels': ['course', 'module']},
    {'id': 5, 'shortname': 'student', 'archetype': 'student', 'contextlevels': ['course', 'module']},
    {'id': 6, 'shortname': 'guest', 'archetype': 'guest', 'contextlevels': []},
    {'id': 7, 'shortname': 'user', 'archetype': 'user', 'contextlevels': []},
    {'id': 8, 'shortname': 'frontpage', 'archetype': 'frontpage', 'contextlevels': []},
]

DEFAULT_SETTINGS = {
    'siteurl': None,
    'sitename': 'Moodle Test Site',
    'release': '5.1+ (Build: 20251017)',
    'version': '2025100600.02',
    'companion_version': '2026113000',
    'enablewebservices': True,
    'rest_enabled': True,
    'debug': False,
    'max_input_vars': None,
    'companion_plugin': False,
    'allowaccountssameemail': False,
    # Capabilities the token users lack (a test switch: the emulator has no role definitions).
    'missing_capabilities': [],
    'langs': ['en'],
    'themerev': None,
    'coursecontact_roles': [3],
    # $CFG->allowcategorythemes / allowcoursethemes: off in a fresh install (admin/settings/appearance.php:310-316, both
    # releases); while off, a category's or course's theme sent through the web services is silently ignored.
    'allowcategorythemes': False,
    'allowcoursethemes': False,
}

SETTING_KEYS = ('enablewebservices', 'rest_enabled', 'debug', 'max_input_vars', 'companion_plugin', 'allowaccountssameemail',
                'missing_capabilities', 'siteurl', 'sitename', 'release', 'version', 'companion_version', 'langs', 'themerev', 'coursecontact_roles',
                'allowcategorythemes', 'allowcoursethemes')

USER_DEFAULTS = {
    'auth': 'manual', 'idnumber': '', 'suspended': 0, 'confirmed': 1, 'deleted': 0, 'city': '', 'country': '',
    'lang': 'en', 'calendartype': 'gregorian', 'theme': '', 'timezone': '99', 'institution': '', 'department': '',
    'description': '', 'descriptionformat': 1, 'mailformat': 1, 'maildisplay': 2, 'trackforums': 0, 'firstaccess': 0,
    'lastaccess': 0, 'phone1': '', 'phone2': '', 'address': '', 'interests': '',
}

# Moodle's default $CFG->enrol_plugins_enabled, which both real test sites keep. A seed enrols by these methods only,
# as hacking/real_site/seed.php does on a real site (and guest never: enrol_guest_plugin::enrol_user() does nothing).
# lib/datalib.php:35-41.
MAX_COURSES_IN_CATEGORY = 10000
MAX_COURSE_CATEGORIES = 10000

ENROL_PLUGINS_ENABLED = ('manual', 'guest', 'self', 'cohort')
# The enrolment plugins whose roles_protected() is false: their enrol_user() assigns the role with component ''.
# Every other plugin assigns it with component 'enrol_<plugin>' and the instance's id as itemid.
ROLES_UNPROTECTED = ('manual', 'self', 'flatfile', 'paypal')

SEED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'seeds')


def password_hash(password):
    """A cheap, deterministic hash (never bcrypt: this is a test double)."""
    return hashlib.sha256(('lmsops-emulator:' + password).encode('utf-8')).hexdigest()


def load_seed(seed):
    """Turn 'recordings', a path to a YAML/JSON file or a dict into a seed dict."""
    if isinstance(seed, dict):
        return _extend(copy.deepcopy(seed))
    if seed is None or seed == 'recordings':
        path = os.path.join(SEED_DIR, 'recordings.yaml')
    elif os.path.exists(seed):
        path = seed
    elif os.path.exists(os.path.join(SEED_DIR, seed + '.yaml')):
        path = os.path.join(SEED_DIR, seed + '.yaml')
    else:
        raise ValueError('unknown seed %r: use "recordings" or a path to a YAML/JSON file' % (seed,))
    with open(path, encoding='utf-8') as handle:
        text = handle.read()
    if path.endswith('.json'):
        data = json.loads(text)
    else:
        data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError('seed %s is not a mapping' % path)
    return _extend(data)


def _extend(data):
    """``extends: recordings`` (or a path): start from that seed, add this one's lists, merge its settings."""
    base_name = data.pop('extends', None)
    if base_name is None:
        return data
    base = load_seed(base_name)
    for key, value in data.items():
        if key in ('settings', 'generate'):
            merged = dict(base.get(key) or {})
            merged.update(value or {})
            base[key] = merged
        elif isinstance(value, list):
            base[key] = list(base.get(key) or []) + value
        else:
            base[key] = value
    return base


class Site:
    """The whole emulated site."""

    def __init__(self, seed='recordings', server_url=None):
        self.server_url = server_url
        self._undo = None
        self.load(seed)

    # ------------------------------------------------------------------ seeding
    def load(self, seed):
        """Reset everything from a seed ('recordings', a path or a dict)."""
        data = load_seed(seed)
        now = int(time.time())
        self.settings = dict(DEFAULT_SETTINGS)
        self.settings['langs'] = list(DEFAULT_SETTINGS['langs'])
        for key, value in (data.get('settings') or {}).items():
            if key not in SETTING_KEYS:
                raise ValueError('unknown setting %r in seed' % key)
            self.settings[key] = value
        if self.settings['themerev'] is None:
            self.settings['themerev'] = now
        self.users = {}
        self.user_by_username = {}
        self.users_by_email = {}
        self.users_by_email_ci = {}
        self.users_by_idnumber = {}
        self.siteadmins = set()
        self.profile_fields = {}
        self.categories = {}
        self.courses = {}
        self.course_by_shortname = {}
        self.courses_by_idnumber = {}
        self.modules = {}
        self.blocks = {}
        self.contexts = {}
        self.context_index = {}
        self.roles = {}
        self.role_by_shortname = {}
        self.role_assignments = {}
        self.ra_by_key = {}
        self.ra_by_context = {}
        self.ra_by_user = {}
        self.enrol_instances = {}
        self.instances_by_course = {}
        self.user_enrolments = {}
        self.ue_by_key = {}
        self.ue_by_instance = {}
        self.ue_by_user = {}
        self.services = {}
        self.service_by_shortname = {}
        self.tokens = {}
        # Course 1 is the site course (the front page), as on Moodle: the courses a seed or a test adds start at 2.
        self.seq = {'user': 1, 'context': 1, 'course': 2, 'category': 1, 'ra': 1, 'ue': 1, 'enrol': 1, 'service': 1}
        self.now_at_seed = now

        self._add_context(CONTEXT_SYSTEM, 0, 1)
        self._add_context(CONTEXT_COURSE, 1, 2)  # the front page (site course)
        for field in data.get('profile_fields') or []:
            self.profile_fields[field['shortname']] = {
                'shortname': field['shortname'], 'name': field.get('name', field['shortname']),
                'datatype': field.get('datatype', 'text')}
        for role in data.get('roles') or DEFAULT_ROLES:
            self._seed_role(role)
        self._seed_users(data, now)
        categories = data.get('categories')
        if categories is None:
            categories = [{'id': 1, 'name': 'Category 1'}]
        for index, cat in enumerate(categories):
            self._seed_category(cat, index, now)
        courses = list(data.get('courses') or [])
        generate = data.get('generate') or {}
        courses.extend(self._generated_courses(generate))
        for index, course in enumerate(courses):
            self._seed_course(course, index, len(courses), now)
        for module in data.get('modules') or []:
            self.modules[int(module['id'])] = {'id': int(module['id']), 'course': int(module['course'])}
            self._add_context(CONTEXT_MODULE, int(module['id']), module.get('contextid'))
        for block in data.get('blocks') or []:
            self.blocks[int(block['id'])] = {'id': int(block['id']), 'parentcontextid': int(block.get('parentcontextid', 1))}
            self._add_context(CONTEXT_BLOCK, int(block['id']), block.get('contextid'))
        self._seed_generated_users(generate, now)
        for user in self.users.values():
            if (CONTEXT_USER, user['id']) not in self.context_index:
                self._add_context(CONTEXT_USER, user['id'], None)
        for ra in data.get('role_assignments') or []:
            self._seed_role_assignment(ra, now)
        for enrolment in data.get('enrolments') or []:
            self._seed_enrolment(enrolment, now)
        for service in data.get('services') or []:
            self._seed_service(service)
        for token in data.get('tokens') or []:
            self._seed_token(token)

    def _seed_role(self, role):
        rid = int(role['id'])
        levels = []
        for name in role.get('contextlevels', []):
            if name not in LEVEL_BY_NAME:
                raise ValueError('unknown context level %r for role %s' % (name, role['shortname']))
            levels.append(LEVEL_BY_NAME[name])
        self.roles[rid] = {
            'id': rid, 'shortname': role['shortname'], 'name': role.get('name', ''),
            'archetype': role.get('archetype', ''), 'sortorder': int(role.get('sortorder', rid)),
            'contextlevels': sorted(levels)}
        self.role_by_shortname[role['shortname']] = rid

    def _seed_users(self, data, now):
        users = data.get('users')
        if users is None:
            users = []
        if not any(int(u.get('id', 0)) == 1 or u.get('username') == 'guest' for u in users):
            users = [{'id': 1, 'username': 'guest', 'firstname': 'Guest user', 'lastname': ' ', 'email': 'root@localhost'}] + users
        explicit = [u for u in users if u.get('id')]
        self.seq['user'] = max([int(u['id']) + 1 for u in explicit] + [self.seq['user']])
        for user in explicit + [u for u in users if not u.get('id')]:
            record = self.new_user_record(user, now)
            record['id'] = int(user['id']) if user.get('id') else self.next_id('user')
            self.add_user(record)
            if user.get('siteadmin'):
                self.siteadmins.add(record['id'])
            if user.get('contextid'):
                self._add_context(CONTEXT_USER, record['id'], user['contextid'])

    def _seed_generated_users(self, generate, now):
        spec = generate.get('users')
        if not spec:
            return
        if isinstance(spec, int):
            spec = {'count': spec}
        count = int(spec['count'])
        prefix = spec.get('prefix', 'user')
        width = max(4, len(str(count)))
        for number in range(1, count + 1):
            username = '%s%0*d' % (prefix, width, number)
            record = self.new_user_record({
                'username': username, 'firstname': spec.get('firstname', 'User'), 'lastname': '%0*d' % (width, number),
                'email': '%s@example.test' % username, 'password': spec.get('password')}, now)
            record['id'] = self.next_id('user')
            self.add_user(record)

    def _generated_courses(self, generate):
        spec = generate.get('courses')
        if not spec:
            return []
        if isinstance(spec, int):
            spec = {'count': spec}
        count = int(spec['count'])
        width = max(3, len(str(count)))
        prefix = spec.get('prefix', 'C')
        result = []
        for number in range(1, count + 1):
            code = '%s%0*d' % (prefix, width, number)
            result.append({'shortname': code, 'idnumber': code, 'fullname': 'Course %s' % code, 'category': spec.get('category', 1)})
        return result

    def _seed_category(self, cat, index, now):
        cid = int(cat.get('id') or self.next_id('category'))
        self.seq['category'] = max(self.seq['category'], cid + 1)
        parent = int(cat.get('parent', 0))
        parent_path = self.categories[parent]['path'] if parent else ''
        self.categories[cid] = {
            'id': cid, 'name': cat['name'], 'idnumber': cat.get('idnumber'), 'description': cat.get('description', ''),
            'descriptionformat': 1, 'parent': parent, 'sortorder': int(cat.get('sortorder', 10000 * (index + 1))),
            'visible': int(cat.get('visible', 1)), 'visibleold': int(cat.get('visible', 1)),
            'timemodified': int(cat.get('timemodified', now)), 'depth': parent_path.count('/') + 1,
            'path': '%s/%d' % (parent_path, cid), 'theme': cat.get('theme')}
        self._add_context(CONTEXT_COURSECAT, cid, cat.get('contextid'))

    def _seed_course(self, course, index, total, now):
        cid = int(course.get('id') or self.next_id('course'))
        self.seq['course'] = max(self.seq['course'], cid + 1, 2)
        category = int(course.get('category', 1))
        if category not in self.categories:
            raise ValueError('course %s: unknown category %s' % (course.get('shortname'), category))
        record = {
            'id': cid, 'shortname': course['shortname'], 'fullname': course.get('fullname', course['shortname']),
            'idnumber': course.get('idnumber', '') or '', 'category': category, 'visible': int(course.get('visible', 1)),
            'sortorder': int(course.get('sortorder', self.categories[category]['sortorder'] + total - index)),
            'format': course.get('format', 'topics'), 'startdate': int(course.get('startdate', 0)),
            'enddate': int(course.get('enddate', 0)), 'summary': course.get('summary', ''), 'lang': course.get('lang', ''),
            'timecreated': int(course.get('timecreated', now)), 'timemodified': int(course.get('timemodified', now)),
            'cacherev': int(course.get('cacherev', now))}
        self.courses[cid] = record
        self.course_by_shortname[record['shortname']] = cid
        if record['idnumber']:
            self.courses_by_idnumber.setdefault(record['idnumber'], set()).add(cid)
        self._add_context(CONTEXT_COURSE, cid, course.get('contextid'))
        if course.get('manual_enrol', True):
            status = 0 if course.get('manual_enrol', True) is True or course.get('manual_enrol') == 'enabled' else 1
            self._add_instance(cid, 'manual', status)
        for method in course.get('enrol_methods') or []:
            self._check_enrol_method(method.get('enrol'), 'course %s enrol_methods' % course['shortname'])
            instance = self._method_instance(cid, method['enrol'], 1 if method.get('status') else 0)
            if method.get('name') is not None:
                instance['name'] = method['name']

    @staticmethod
    def _check_enrol_method(method, what):
        """A seed names only enrolment methods the real test sites have enabled (seed.php refuses the others)."""
        if method not in ENROL_PLUGINS_ENABLED:
            raise ValueError('%s: the enrolment plugin %r is not enabled on the test sites (enabled: %s)'
                             % (what, method, ','.join(ENROL_PLUGINS_ENABLED)))

    def _method_instance(self, courseid, enrol, status=0):
        """The instance of a method a seed enrols through (seed.php's rule): the course's first enabled one; else its
        first disabled one, enabled (a course Moodle creates has disabled self and guest instances); else a new one.
        With ``status=1`` (a seed's disabled ``enrol_methods`` entry) any instance will do, or a new disabled one."""
        instances = [self.enrol_instances[iid] for iid in self.instances_by_course.get(courseid, [])
                     if self.enrol_instances[iid]['enrol'] == enrol]
        for instance in instances:
            if instance['status'] == 0 or status:
                return instance
        if instances:
            instances[0]['status'] = 0
            return instances[0]
        return self.enrol_instances[self._add_instance(courseid, enrol, status)]

    def _add_instance(self, courseid, enrol, status, name=''):
        iid = self.next_id('enrol')
        self.enrol_instances[iid] = {'id': iid, 'courseid': courseid, 'enrol': enrol, 'status': status, 'roleid': 5, 'name': name}
        self.instances_by_course.setdefault(courseid, []).append(iid)
        self.ue_by_instance[iid] = set()

        def undo():
            del self.enrol_instances[iid]
            self.instances_by_course[courseid].remove(iid)
            del self.ue_by_instance[iid]
        self._log(undo)
        return iid

    def add_course(self, record):
        """Insert a course row with its context and an enabled manual instance; it goes first in its category."""
        for other in self.courses.values():
            if other['category'] == record['category']:
                self.update_course(other['id'], {'sortorder': other['sortorder'] + 1})
        self.courses[record['id']] = record
        self.course_by_shortname[record['shortname']] = record['id']
        if record['idnumber']:
            self.courses_by_idnumber.setdefault(record['idnumber'], set()).add(record['id'])

        def undo():
            del self.courses[record['id']]
            del self.course_by_shortname[record['shortname']]
            if record['idnumber']:
                self.courses_by_idnumber[record['idnumber']].discard(record['id'])
        self._log(undo)
        self._add_context(CONTEXT_COURSE, record['id'], None)
        self._add_instance(record['id'], 'manual', 0)

    def update_course(self, courseid, changes):
        """Change plain course fields (not shortname/idnumber)."""
        course = self.courses[courseid]
        old = {key: course[key] for key in changes}
        course.update(changes)
        self._log(lambda: course.update(old))

    def rename_course(self, courseid, shortname=None, idnumber=None):
        """Change a course's shortname or idnumber, keeping the indexes (with undo)."""
        course = self.courses[courseid]
        old = (course['shortname'], course['idnumber'])

        def apply(values):
            self.course_by_shortname.pop(course['shortname'], None)
            if course['idnumber']:
                self.courses_by_idnumber.get(course['idnumber'], set()).discard(courseid)
            course['shortname'], course['idnumber'] = values
            self.course_by_shortname[course['shortname']] = courseid
            if course['idnumber']:
                self.courses_by_idnumber.setdefault(course['idnumber'], set()).add(courseid)
        apply((old[0] if shortname is None else shortname, old[1] if idnumber is None else idnumber))
        self._log(lambda: apply(old))

    def add_category(self, record):
        """Insert a category row with its context."""
        self.categories[record['id']] = record
        self._log(lambda: self.categories.pop(record['id']))
        self._add_context(CONTEXT_COURSECAT, record['id'], None)

    def update_category(self, catid, changes):
        """Change fields of a category row (with undo)."""
        self._update_row(self.categories[catid], changes)

    def _update_row(self, row, changes):
        """Change fields of a row, logging how to undo it."""
        old = {key: row[key] for key in changes}
        row.update(changes)
        self._log(lambda: row.update(old))

    def delete_category_row(self, catid):
        """Remove a category row and its context (role assignments in it go too)."""
        record = self.categories.pop(catid)
        self._log(lambda: self.categories.__setitem__(catid, record))
        ctx = self.context_id(CONTEXT_COURSECAT, catid)
        if ctx is not None:
            for raid in sorted(self.ra_by_context.get(ctx, set())):
                self.delete_role_assignment(raid)
            self.remove_context(ctx)

    def category_parents(self, catid):
        """core_course_category::get_parents(): the ids on the path above the category."""
        return [int(part) for part in self.categories[catid]['path'].split('/')[1:-1]]

    def delete_course(self, courseid):
        """delete_course(): the course row, its enrolment instances and user enrolments, its context and the module and
        block contexts below it, and every role assignment in those contexts."""
        course = self.courses[courseid]
        ctx = self.context_id(CONTEXT_COURSE, courseid)
        contexts = [ctx] if ctx is not None else []
        for mid in [m for m, module in self.modules.items() if module['course'] == courseid]:
            module = self.modules.pop(mid)
            self._log(lambda mid=mid, module=module: self.modules.__setitem__(mid, module))
            sub = self.context_id(CONTEXT_MODULE, mid)
            if sub is not None:
                contexts.append(sub)
        for bid in [b for b, block in self.blocks.items() if block['parentcontextid'] in contexts]:
            block = self.blocks.pop(bid)
            self._log(lambda bid=bid, block=block: self.blocks.__setitem__(bid, block))
            sub = self.context_id(CONTEXT_BLOCK, bid)
            if sub is not None:
                contexts.append(sub)
        for iid in list(self.instances_by_course.get(courseid, [])):
            for ueid in sorted(self.ue_by_instance.get(iid, set())):
                self.delete_user_enrolment(ueid)
            instance = self.enrol_instances.pop(iid)
            self.instances_by_course[courseid].remove(iid)
            ues = self.ue_by_instance.pop(iid)

            def undo(iid=iid, instance=instance, ues=ues):
                self.enrol_instances[iid] = instance
                self.instances_by_course.setdefault(courseid, []).append(iid)
                self.instances_by_course[courseid].sort()
                self.ue_by_instance[iid] = ues
            self._log(undo)
        for sub in contexts:
            for raid in sorted(self.ra_by_context.get(sub, set())):
                self.delete_role_assignment(raid)
            self.remove_context(sub)
        del self.courses[courseid]
        del self.course_by_shortname[course['shortname']]
        if course['idnumber']:
            self.courses_by_idnumber[course['idnumber']].discard(courseid)

        def restore():
            self.courses[courseid] = course
            self.course_by_shortname[course['shortname']] = courseid
            if course['idnumber']:
                self.courses_by_idnumber.setdefault(course['idnumber'], set()).add(courseid)
        self._log(restore)

    def fix_course_sortorder(self):
        """fix_course_sortorder() (lib/datalib.php:835-1034, the same in 4.5 and 5.1): renumber the categories depth-first in
        (sortorder, id) order of each parent, 10000 apart (MAX_COURSES_IN_CATEGORY), fixing parent/depth/path on the way;
        then bring each category's courses into its range and close gaps."""
        maxcourses = MAX_COURSES_IN_CATEGORY
        for cat in list(self.categories.values()):
            if cat['sortorder'] == 0:
                self.update_category(cat['id'], {'sortorder': maxcourses * MAX_COURSE_CATEGORIES})
        children = {}
        for cat in sorted(self.categories.values(), key=lambda c: (c['sortorder'], c['id'])):
            parent = cat['parent'] if cat['parent'] in self.categories else 0
            children.setdefault(parent, []).append(cat['id'])
        counter = [0]

        def walk(parent, depth, path):
            for cid in children.get(parent, []):
                counter[0] += maxcourses
                cat = self.categories[cid]
                changes = {}
                wanted = {'parent': parent, 'depth': depth, 'path': '%s/%d' % (path, cid), 'sortorder': counter[0]}
                for key, value in wanted.items():
                    if cat[key] != value:
                        changes[key] = value
                if changes:
                    self.update_category(cid, changes)
                walk(cid, depth + 1, cat['path'])
        walk(0, 1, '')
        bycat = {}
        for course in self.courses.values():
            if course['category'] in self.categories:
                bycat.setdefault(course['category'], []).append(course)
        for catid, courses in bycat.items():
            base = self.categories[catid]['sortorder']
            if any(c['sortorder'] < base or c['sortorder'] > base + maxcourses for c in courses):
                for course in courses:
                    self.update_course(course['id'], {'sortorder': course['sortorder'] % maxcourses + base})
        sortorders = {}
        for course in self.courses.values():
            sortorders.setdefault(course['sortorder'], []).append(course)
        duplicates = {c['category'] for group in sortorders.values() if len(group) > 1 for c in group}
        for catid, courses in bycat.items():
            base, count = self.categories[catid]['sortorder'], len(courses)
            low, high = min(c['sortorder'] for c in courses), max(c['sortorder'] for c in courses)
            if high == base + count and low == base + 1 and catid not in duplicates:
                continue
            if catid not in duplicates and low == base and high == base + count - 1:
                for course in courses:
                    self.update_course(course['id'], {'sortorder': course['sortorder'] + 1})
                continue
            for index, course in enumerate(sorted(courses, key=lambda c: (c['sortorder'], -c['id'])), start=1):
                if course['sortorder'] != base + index:
                    self.update_course(course['id'], {'sortorder': base + index})

    def _seed_role_assignment(self, ra, now):
        """{user, role, contextlevel, instance (or contextid), component, itemid}: role_assign() with a component."""
        userid = self.resolve_user_ref(ra['user'])
        roleid = self.resolve_role_ref(ra['role'])
        component = ra.get('component') or ''
        itemid = int(ra.get('itemid') or 0)
        # role_assign()'s own rule (seed.php refuses the same).
        if component and '_' not in component:
            raise ValueError("role assignment %r: the component must be a plugin's frankenstyle name such as enrol_cohort" % (ra,))
        if itemid and not component:
            raise ValueError('role assignment %r: an itemid needs a component' % (ra,))
        ctx = ra.get('contextid')
        if ctx is None:
            level = LEVEL_BY_NAME.get(ra.get('contextlevel', 'system'))
            if level is None:
                raise ValueError('role assignment %r: unknown context level (%s)' % (ra, ', '.join(LEVEL_BY_NAME)))
            ctx = self.context_id(level, self._resolve_instance(level, ra.get('instance', 0)))
            if ctx is None:
                raise ValueError('role assignment %r: unknown context' % (ra,))
        self.add_role_assignment(roleid, userid, int(ctx), component, itemid, now)

    def _resolve_instance(self, level, ref):
        if level == CONTEXT_COURSE and isinstance(ref, str) and not ref.isdigit():
            return self.course_by_shortname[ref]
        if level == CONTEXT_USER and isinstance(ref, str) and not ref.isdigit():
            return self.user_by_username[ref]
        return int(ref)

    def enrol_as_seeded(self, enrolment, now):
        """An enrolment in the seed's format, made now (the emulator's concurrent writer)."""
        self._seed_enrolment(enrolment, now)

    def assign_as_seeded(self, assignment, now):
        """A role assignment in the seed's format, made now (the emulator's concurrent writer)."""
        self._seed_role_assignment(assignment, now)

    def _seed_enrolment(self, enrolment, now):
        """An enrolment by ``method`` (default manual), as seed.php makes it with the plugin's enrol_user()."""
        userid = self.resolve_user_ref(enrolment['user'])
        course = enrolment['course']
        courseid = self.course_by_shortname[course] if isinstance(course, str) and not course.isdigit() else int(course)
        method = enrolment.get('method', 'manual')
        if method == 'guest':
            raise ValueError("enrolment %r: the guest method holds no enrolments (enrol_guest_plugin::enrol_user() does "
                             "nothing); add a guest instance with the course's enrol_methods" % (enrolment,))
        self._check_enrol_method(method, 'enrolment %r' % (enrolment,))
        if method == 'manual':
            # Through the course's manual instance, enabled or not.
            instance = self.manual_instance(courseid, enabled_only=False)
            if instance is None:
                raise ValueError('enrolment %r: course has no manual instance' % (enrolment,))
        else:
            instance = self._method_instance(courseid, method)
        status = enrolment.get('status', 'active')
        status = 1 if status in ('suspended', 1, '1', True) or enrolment.get('suspended') else 0
        timestart, timeend = int(enrolment.get('timestart', 0)), int(enrolment.get('timeend', 0))
        ueid = self.ue_by_key.get((instance['id'], userid))
        if ueid is None:
            self.add_user_enrolment(instance['id'], userid, status, timestart, timeend, now)
        else:
            # enrol_user() again: the existing enrolment takes the new status and dates.
            self.update_user_enrolment(ueid, {'status': status, 'timestart': timestart, 'timeend': timeend})
        roles = enrolment.get('roles', [enrolment.get('role', 'student')])
        ctx = self.context_id(CONTEXT_COURSE, courseid)
        component, itemid = ('', 0) if method in ROLES_UNPROTECTED else ('enrol_' + method, instance['id'])
        for role in roles or []:
            self.add_role_assignment(self.resolve_role_ref(role), userid, ctx, component, itemid, now)

    def _seed_service(self, service):
        sid = int(service.get('id') or self.next_id('service'))
        self.seq['service'] = max(self.seq['service'], sid + 1)
        record = {'id': sid, 'shortname': service['shortname'], 'name': service.get('name', service['shortname']),
                  'functions': list(service.get('functions') or []), 'enabled': bool(service.get('enabled', True)),
                  'companion': service.get('companion')}
        self.services[sid] = record
        self.service_by_shortname[record['shortname']] = sid

    def _seed_token(self, token):
        userid = self.resolve_user_ref(token.get('user', 'admin'))
        service = token['service']
        sid = self.service_by_shortname[service] if isinstance(service, str) else int(service)
        value = token.get('token') or secrets.token_hex(16)
        self.tokens[value] = {'token': value, 'name': token.get('name', value[:8]), 'userid': userid, 'serviceid': sid}
        if self.services[sid]['companion'] is None:
            # The companion plugin's functions join the service of the token named "full"
            # unless the seed says otherwise with ``companion: true|false`` on a service.
            self.services[sid]['companion'] = token.get('name') == 'full'

    # ---------------------------------------------------------------- helpers
    def resolve_user_ref(self, ref):
        """A user given by id or username in a seed."""
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return int(ref)
        return self.user_by_username[ref]

    def resolve_role_ref(self, ref):
        """A role given by id or shortname in a seed."""
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return int(ref)
        return self.role_by_shortname[ref]

    def next_id(self, kind):
        """Take the next id of a sequence (never given back on rollback)."""
        value = self.seq[kind]
        self.seq[kind] = value + 1
        return value

    def new_user_record(self, user, now):
        """A full user row from partial data, with Moodle's defaults."""
        record = dict(USER_DEFAULTS)
        for key in ('username', 'firstname', 'lastname', 'email', 'auth', 'idnumber', 'city', 'country', 'lang', 'timezone',
                    'institution', 'department', 'description', 'calendartype', 'theme', 'mailformat', 'maildisplay',
                    'phone1', 'phone2', 'address', 'interests', 'firstaccess', 'lastaccess'):
            if user.get(key) is not None:
                record[key] = user[key]
        record['suspended'] = 1 if user.get('suspended') else 0
        record['customfields'] = {}
        for key, value in (user.get('customfields') or {}).items():
            record['customfields'][key] = value
        record['password'] = password_hash(user['password']) if user.get('password') else ''
        record['timecreated'] = int(user.get('timecreated', now))
        record['timemodified'] = int(user.get('timemodified', now))
        return record

    @property
    def siteurl(self):
        """The site URL answers show: the seed's, or the emulator's own."""
        return self.settings.get('siteurl') or self.server_url or 'http://127.0.0.1'

    def is_siteadmin(self, userid):
        """In $CFG->siteadmins."""
        return userid in self.siteadmins

    def manual_instance(self, courseid, enabled_only=True):
        """The first manual enrolment instance of a course."""
        for iid in self.instances_by_course.get(courseid, []):
            instance = self.enrol_instances[iid]
            if instance['enrol'] == 'manual' and (not enabled_only or instance['status'] == 0):
                return instance
        return None

    def context_id(self, level, instanceid):
        """Context id for (level, instance) or None."""
        if level == CONTEXT_SYSTEM:
            return 1
        return self.context_index.get((level, int(instanceid)))

    def is_active(self, ue, now=None):
        """An enrolment Moodle counts as active right now."""
        now = int(time.time()) if now is None else now
        instance = self.enrol_instances[ue['enrolid']]
        return (ue['status'] == 0 and instance['status'] == 0 and ue['timestart'] < now
                and (ue['timeend'] == 0 or ue['timeend'] > now))

    def course_enrolments(self, courseid):
        """All user enrolments in a course."""
        result = []
        for iid in self.instances_by_course.get(courseid, []):
            result.extend(self.user_enrolments[ueid] for ueid in self.ue_by_instance.get(iid, ()))
        return result

    def user_course_enrolments(self, userid, courseid):
        """One user's enrolments in one course."""
        return [self.user_enrolments[ueid] for ueid in self.ue_by_user.get(userid, ())
                if self.enrol_instances[self.user_enrolments[ueid]['enrolid']]['courseid'] == courseid]

    def user_roles_in_context(self, userid, contextid):
        """Role assignment rows of a user in exactly one context."""
        ids = self.ra_by_context.get(contextid, set()) & self.ra_by_user.get(userid, set())
        return [self.role_assignments[raid] for raid in sorted(ids)]

    def check_password(self, username, password):
        """For tests: does this user's stored password match."""
        uid = self.user_by_username.get(username)
        return uid is not None and self.users[uid]['password'] == password_hash(password)

    # ------------------------------------------------------------ transactions
    @contextlib.contextmanager
    def transaction(self):
        """All-or-nothing block (nested blocks join the outer one)."""
        if self._undo is not None:
            yield
            return
        self._undo = []
        try:
            yield
        except BaseException:
            undo, self._undo = self._undo, None
            for action in reversed(undo):
                action()
            raise
        self._undo = None

    def _log(self, action):
        if self._undo is not None:
            self._undo.append(action)

    # ------------------------------------------------------------- primitives
    def _add_context(self, level, instanceid, contextid):
        if contextid is None:
            contextid = self.next_id('context')
        contextid = int(contextid)
        self.seq['context'] = max(self.seq['context'], contextid + 1)
        self.contexts[contextid] = {'id': contextid, 'contextlevel': level, 'instanceid': int(instanceid)}
        self.context_index[(level, int(instanceid))] = contextid
        self._log(lambda: self._remove_context_raw(contextid))
        return contextid

    def _remove_context_raw(self, contextid):
        ctx = self.contexts.pop(contextid)
        self.context_index.pop((ctx['contextlevel'], ctx['instanceid']), None)
        return ctx

    def remove_context(self, contextid):
        """Delete a context (with undo)."""
        ctx = self._remove_context_raw(contextid)
        self._log(lambda: self._restore_context(ctx))

    def _restore_context(self, ctx):
        self.contexts[ctx['id']] = ctx
        self.context_index[(ctx['contextlevel'], ctx['instanceid'])] = ctx['id']

    def _index_user(self, user):
        uid = user['id']
        self.user_by_username[user['username']] = uid
        if user['email']:
            self.users_by_email.setdefault(user['email'], set()).add(uid)
            self.users_by_email_ci.setdefault(user['email'].lower(), set()).add(uid)
        if user['idnumber']:
            self.users_by_idnumber.setdefault(user['idnumber'], set()).add(uid)

    def _unindex_user(self, user):
        uid = user['id']
        if self.user_by_username.get(user['username']) == uid:
            del self.user_by_username[user['username']]
        for index, key in ((self.users_by_email, user['email']), (self.users_by_email_ci, user['email'].lower()),
                           (self.users_by_idnumber, user['idnumber'])):
            if key and key in index:
                index[key].discard(uid)
                if not index[key]:
                    del index[key]

    def add_user(self, record):
        """Insert a user row."""
        self.users[record['id']] = record
        self._index_user(record)
        self._log(lambda: self._remove_user_raw(record['id']))

    def _remove_user_raw(self, uid):
        user = self.users.pop(uid)
        self._unindex_user(user)

    def update_user(self, uid, changes):
        """Change user fields, keeping the indexes right."""
        user = self.users[uid]
        old = {key: copy.deepcopy(user.get(key)) for key in changes}
        self._unindex_user(user)
        user.update(changes)
        self._index_user(user)

        def undo():
            self._unindex_user(user)
            user.update(old)
            self._index_user(user)
        self._log(undo)

    def add_role_assignment(self, roleid, userid, contextid, component='', itemid=0, now=None):
        """role_assign(): an existing identical assignment is kept as is."""
        key = (roleid, userid, contextid, component, itemid)
        if key in self.ra_by_key:
            return self.ra_by_key[key]
        raid = self.next_id('ra')
        ra = {'id': raid, 'roleid': roleid, 'userid': userid, 'contextid': contextid, 'component': component,
              'itemid': itemid, 'timemodified': int(time.time()) if now is None else now, 'sortorder': 0}
        self._insert_ra(ra)
        self._log(lambda: self._delete_ra_raw(raid))
        return raid

    def _insert_ra(self, ra):
        self.role_assignments[ra['id']] = ra
        self.ra_by_key[(ra['roleid'], ra['userid'], ra['contextid'], ra['component'], ra['itemid'])] = ra['id']
        self.ra_by_context.setdefault(ra['contextid'], set()).add(ra['id'])
        self.ra_by_user.setdefault(ra['userid'], set()).add(ra['id'])

    def _delete_ra_raw(self, raid):
        ra = self.role_assignments.pop(raid)
        self.ra_by_key.pop((ra['roleid'], ra['userid'], ra['contextid'], ra['component'], ra['itemid']), None)
        self.ra_by_context.get(ra['contextid'], set()).discard(raid)
        self.ra_by_user.get(ra['userid'], set()).discard(raid)
        return ra

    def delete_role_assignment(self, raid):
        """Remove one role assignment."""
        ra = self._delete_ra_raw(raid)
        self._log(lambda: self._insert_ra(ra))

    def add_user_enrolment(self, enrolid, userid, status, timestart, timeend, now=None):
        """Insert a user_enrolments row."""
        ueid = self.next_id('ue')
        stamp = int(time.time()) if now is None else now
        ue = {'id': ueid, 'enrolid': enrolid, 'userid': userid, 'status': status, 'timestart': timestart,
              'timeend': timeend, 'timecreated': stamp, 'timemodified': stamp}
        self._insert_ue(ue)
        self._log(lambda: self._delete_ue_raw(ueid))
        return ueid

    def _insert_ue(self, ue):
        self.user_enrolments[ue['id']] = ue
        self.ue_by_key[(ue['enrolid'], ue['userid'])] = ue['id']
        self.ue_by_instance.setdefault(ue['enrolid'], set()).add(ue['id'])
        self.ue_by_user.setdefault(ue['userid'], set()).add(ue['id'])

    def _delete_ue_raw(self, ueid):
        ue = self.user_enrolments.pop(ueid)
        self.ue_by_key.pop((ue['enrolid'], ue['userid']), None)
        self.ue_by_instance.get(ue['enrolid'], set()).discard(ueid)
        self.ue_by_user.get(ue['userid'], set()).discard(ueid)
        return ue

    def delete_user_enrolment(self, ueid):
        """Remove one user enrolment."""
        ue = self._delete_ue_raw(ueid)
        self._log(lambda: self._insert_ue(ue))

    def update_user_enrolment(self, ueid, changes):
        """Change status/timestart/timeend of an enrolment."""
        self._update_row(self.user_enrolments[ueid], changes)

    def delete_token(self, value):
        """Remove a token."""
        token = self.tokens.pop(value)
        self._log(lambda: self.tokens.__setitem__(value, token))

    # ------------------------------------------------------------------ dumps
    def dump(self):
        """The whole state as JSON-ready data (GET /__emulator__/state)."""
        contexts = {cid: dict(ctx, contextlevel_name=LEVEL_NAMES[ctx['contextlevel']]) for cid, ctx in self.contexts.items()}
        users = []
        for uid in sorted(self.users):
            user = dict(self.users[uid])
            user['password_hash'] = user.pop('password')
            user['siteadmin'] = uid in self.siteadmins
            user['contextid'] = self.context_id(CONTEXT_USER, uid)
            users.append(user)
        courses = []
        for cid in sorted(self.courses):
            course = dict(self.courses[cid])
            course['contextid'] = self.context_id(CONTEXT_COURSE, cid)
            course['enrol_instances'] = [dict(self.enrol_instances[i]) for i in self.instances_by_course.get(cid, [])]
            courses.append(course)
        enrolments = []
        for ueid in sorted(self.user_enrolments):
            ue = dict(self.user_enrolments[ueid])
            instance = self.enrol_instances[ue['enrolid']]
            ue['courseid'] = instance['courseid']
            ue['enrol'] = instance['enrol']
            ue['active'] = self.is_active(ue)
            enrolments.append(ue)
        assignments = []
        for raid in sorted(self.role_assignments):
            ra = dict(self.role_assignments[raid])
            ctx = self.contexts.get(ra['contextid'])
            if ctx:
                ra['contextlevel'] = LEVEL_NAMES[ctx['contextlevel']]
                ra['instanceid'] = ctx['instanceid']
            ra['role'] = self.roles[ra['roleid']]['shortname'] if ra['roleid'] in self.roles else None
            assignments.append(ra)
        roles = []
        for rid in sorted(self.roles):
            role = dict(self.roles[rid])
            role['contextlevels'] = [LEVEL_NAMES[level] for level in role['contextlevels']]
            roles.append(role)
        return {
            'settings': dict(self.settings, siteurl=self.siteurl),
            'users': users,
            'categories': [dict(self.categories[c], contextid=self.context_id(CONTEXT_COURSECAT, c)) for c in sorted(self.categories)],
            'courses': courses,
            'modules': [dict(self.modules[m], contextid=self.context_id(CONTEXT_MODULE, m)) for m in sorted(self.modules)],
            'blocks': [dict(self.blocks[b], contextid=self.context_id(CONTEXT_BLOCK, b)) for b in sorted(self.blocks)],
            'contexts': [contexts[c] for c in sorted(contexts)],
            'roles': roles,
            'role_assignments': assignments,
            'enrolments': enrolments,
            'services': [dict(self.services[s]) for s in sorted(self.services)],
            'tokens': [{'name': t['name'], 'token': t['token'], 'userid': t['userid'],
                        'service': self.services[t['serviceid']]['shortname']} for t in self.tokens.values()],
            'profile_fields': list(self.profile_fields.values()),
        }

    def hides_missing_records(self):
        """Moodle 5.1 (version 2025...) hides a missing record's table while debugging is off; 4.5 does not
        (both recorded; the releases between them were not)."""
        return self.settings['version'] >= '2025'

    def auth_plugins(self):
        """The authentication plugins the site's release has installed: 4.5's tree has auth/cas and auth/mnet, 5.1's
        has neither (the releases between them are not modelled)."""
        return AUTH_PLUGINS_51 if self.settings['version'] >= '2025' else AUTH_PLUGINS_45

    def token_names(self):
        """name -> token value."""
        return {t['name']: t['token'] for t in self.tokens.values()}
