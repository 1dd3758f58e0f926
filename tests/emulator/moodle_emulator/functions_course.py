# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Course and category creation (in the recordings' full service; handy for demos)."""

from __future__ import annotations

from .errors import DmlMissingRecord, MoodleError, moodle_exception
from .params import (
    PARAM_ALPHANUMEXT, PARAM_BOOL, PARAM_INT, PARAM_PLUGIN, PARAM_RAW, PARAM_SAFEDIR, PARAM_TEXT, PARAM_THEME, VALUE_DEFAULT,
    VALUE_OPTIONAL, Multiple, Single, Value)
from .registry import external
from .functions_core import external_string
from .state import MAX_COURSE_CATEGORIES, MAX_COURSES_IN_CATEGORY


# The course columns a web-service course carries, with create_courses' defaults (course/externallib.php:
# create_courses_parameters; moodlecourse defaults of a fresh install).
COURSE_FIELDS = ('summaryformat', 'showgrades', 'newsitems', 'maxbytes', 'showreports', 'groupmode', 'groupmodeforce',
                 'defaultgroupingid', 'enablecompletion', 'completionnotify', 'theme')
DATE_ERRORS = {'enddatebeforestartdate': 'The course end date must be after the start date.',
               'nostartdatenoenddate': 'A course end date can only be set if a start date is also set.'}
THEMES = ('boost', 'classic')


def course_validate_dates(startdate, enddate):
    """course_validate_dates() (course/lib.php:3430-3444)."""
    if startdate and enddate and enddate < startdate:
        return 'enddatebeforestartdate'
    if not startdate and enddate:
        return 'nostartdatenoenddate'
    return None


def invalid_param(name):
    """moodle_exception('errorinvalidparam', 'webservice', '', $name)."""
    return moodle_exception('errorinvalidparam', 'The param "%s" is invalid.' % name)


COURSE_ITEM = [
    ('fullname', Value(PARAM_TEXT)),
    ('shortname', Value(PARAM_TEXT)),
    ('categoryid', Value(PARAM_INT)),
    ('idnumber', Value(PARAM_RAW, VALUE_OPTIONAL)),
    ('summary', Value(PARAM_RAW, VALUE_OPTIONAL)),
    ('summaryformat', Value(PARAM_INT, VALUE_DEFAULT, 1)),
    ('format', Value(PARAM_PLUGIN, VALUE_DEFAULT, 'topics')),
    ('showgrades', Value(PARAM_INT, VALUE_DEFAULT, 1)),
    ('newsitems', Value(PARAM_INT, VALUE_DEFAULT, 5)),
    ('startdate', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('enddate', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('numsections', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('maxbytes', Value(PARAM_INT, VALUE_DEFAULT, 0)),
    ('showreports', Value(PARAM_INT, VALUE_DEFAULT, 0)),
    # 5.1: VALUE_DEFAULT $courseconfig->visible (1); 4.5: VALUE_OPTIONAL (then the category's visibility). The same
    # for every category a web service can make (all visible).
    ('visible', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('hiddensections', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('groupmode', Value(PARAM_INT, VALUE_DEFAULT, 0)),
    ('groupmodeforce', Value(PARAM_INT, VALUE_DEFAULT, 0)),
    ('defaultgroupingid', Value(PARAM_INT, VALUE_DEFAULT, 0)),
    ('enablecompletion', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('completionnotify', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('lang', Value(PARAM_SAFEDIR, VALUE_OPTIONAL)),
    ('forcetheme', Value(PARAM_PLUGIN, VALUE_OPTIONAL)),
    ('courseformatoptions', Multiple(Single({'name': Value(PARAM_ALPHANUMEXT), 'value': Value(PARAM_RAW)}), VALUE_OPTIONAL)),
    ('customfields', Multiple(Single({'shortname': Value(PARAM_ALPHANUMEXT), 'value': Value(PARAM_RAW)}), VALUE_OPTIONAL)),
]


@external('core_course_create_courses', Single({'courses': Multiple(Single(COURSE_ITEM))}), write=True)
def create_courses(call, args):
    """core_course_create_courses (course/externallib.php:950-1060, create_course() in course/lib.php): all-or-nothing.
    Per course: unknown category: 'errorcatcontextnotvalid'; blank (trimmed) fullname/shortname: 'errorinvalidparam';
    no startdate: today's midnight; a lang not installed: 'errorinvalidparam'; forcetheme only with allowcoursethemes
    (then an unknown theme: 'errorinvalidparam'); then 'shortnametaken', 'courseidnumbertaken', the dates. A new
    course goes first in its category (sortorder 0, then fix_course_sortorder())."""
    site = call.site
    result = []
    with site.transaction():
        for course in args['courses']:
            if course['categoryid'] not in site.categories:
                raise moodle_exception('errorcatcontextnotvalid', 'You cannot execute functions in the category context (category id:%d). '
                                       'The context error message was: Invalid parameter value detected' % course['categoryid'])
            if course['fullname'].strip() == '':
                raise invalid_param('fullname')
            if course['shortname'].strip() == '':
                raise invalid_param('shortname')
            startdate = course.get('startdate')
            if startdate is None:
                startdate = call.now - call.now % 86400
            enddate = course.get('enddate')
            if enddate is None:
                enddate = startdate + 365 * 86400
            if 'lang' in course and course['lang'] not in site.settings['langs']:
                raise invalid_param('lang')
            theme = ''
            if 'forcetheme' in course and site.settings['allowcoursethemes']:
                if course['forcetheme'] not in THEMES:
                    raise invalid_param('forcetheme')
                theme = course['forcetheme']
            validate_format(course['summaryformat'])
            category = site.categories[course['categoryid']]
            if course['shortname'] in site.course_by_shortname:
                raise moodle_exception('shortnametaken', 'Short name is already used for another course (%s)' % course['shortname'])
            idnumber = course.get('idnumber', '')
            if idnumber and idnumber in site.courses_by_idnumber and site.courses_by_idnumber[idnumber]:
                raise moodle_exception('courseidnumbertaken', 'ID number is already used for another course (%s)' % idnumber)
            error = course_validate_dates(startdate, enddate)
            if error:
                raise moodle_exception(error, DATE_ERRORS[error])
            record = {
                'id': site.next_id('course'), 'shortname': course['shortname'], 'fullname': course['fullname'],
                'idnumber': idnumber, 'category': category['id'], 'visible': course.get('visible', category['visible']),
                'sortorder': category['sortorder'] + 1, 'format': course['format'], 'startdate': startdate,
                'enddate': enddate, 'summary': course.get('summary', ''), 'lang': course.get('lang', ''),
                'timecreated': call.now, 'timemodified': call.now, 'cacherev': call.now, 'theme': theme,
                'enablecompletion': course.get('enablecompletion', 1), 'completionnotify': course.get('completionnotify', 0),
                # $courseconfig->showactivitydates (externallib.php create_courses; default 1 in a fresh install).
                'showactivitydates': 1}
            for key in COURSE_FIELDS:
                if key in course:
                    record[key] = course[key]
            site.add_course(record)
            result.append({'id': record['id'], 'shortname': record['shortname']})
    return result


@external('core_course_update_courses', Single({'courses': Multiple(Single([
    ('id', Value(PARAM_INT)),
    ('fullname', Value(PARAM_TEXT, VALUE_OPTIONAL)),
    ('shortname', Value(PARAM_TEXT, VALUE_OPTIONAL)),
    ('categoryid', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('idnumber', Value(PARAM_RAW, VALUE_OPTIONAL)),
    ('summary', Value(PARAM_RAW, VALUE_OPTIONAL)),
    ('summaryformat', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('format', Value(PARAM_PLUGIN, VALUE_OPTIONAL)),
    ('showgrades', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('newsitems', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('startdate', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('enddate', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('numsections', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('maxbytes', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('showreports', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('visible', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('hiddensections', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('groupmode', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('groupmodeforce', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('defaultgroupingid', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('enablecompletion', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('completionnotify', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('lang', Value(PARAM_SAFEDIR, VALUE_OPTIONAL)),
    ('forcetheme', Value(PARAM_PLUGIN, VALUE_OPTIONAL)),
    ('courseformatoptions', Multiple(Single({'name': Value(PARAM_ALPHANUMEXT), 'value': Value(PARAM_RAW)}), VALUE_OPTIONAL)),
    ('customfields', Multiple(Single({'shortname': Value(PARAM_ALPHANUMEXT), 'value': Value(PARAM_RAW)}), VALUE_OPTIONAL)),
]))}), write=True)
def update_courses(call, args):
    """core_course_update_courses (course/externallib.php:1157-1300, update_course() in course/lib.php). No transaction:
    each course is updated or answers one warning {item: 'course', itemid, warningcode: the exception's errorcode,
    message: its message}. In Moodle's order: unknown id: the missing-record error of context_course::instance()
    (5.1 debug off: 'invalidrecordunknown'; 4.5 or debug on: 'invalidrecord'); a changed fullname/shortname that is
    blank: 'errorinvalidparam'; a lang not installed: 'errorinvalidparam'; forcetheme only with allowcoursethemes;
    then update_course(): the site course: 'invalidcourse'; 'shortnametaken' / 'courseidnumbertaken' (another course);
    the dates. The answer is {warnings: [...]}."""
    site = call.site
    warnings = []
    for data in args['courses']:
        try:
            with site.transaction():
                _update_course(call, data)
        except MoodleError as exc:
            _cls, code, message, _debuginfo = exc.render(site.settings['debug'], site.hides_missing_records())
            warnings.append({'item': 'course', 'itemid': data['id'], 'warningcode': code, 'message': message})
    return {'warnings': warnings}


def _update_course(call, data):
    site = call.site
    courseid = data['id']
    if courseid != 1 and courseid not in site.courses:
        raise DmlMissingRecord('course', 'SELECT id,category FROM {course} WHERE id = ?', [courseid])
    old = site.courses.get(courseid, {})
    for key in ('fullname', 'shortname'):
        if key in data and data[key] != old.get(key) and data[key].strip() == '':
            raise invalid_param(key)
    if 'summaryformat' in data and data['summaryformat'] != old.get('summaryformat', 1):
        validate_format(data['summaryformat'])
    if 'lang' in data and data['lang'] != old.get('lang') and data['lang'] not in site.settings['langs']:
        raise invalid_param('lang')
    changes = {}
    if 'forcetheme' in data and site.settings['allowcoursethemes']:
        if data['forcetheme'] not in THEMES:
            raise invalid_param('forcetheme')
        changes['theme'] = data['forcetheme']
    if courseid == 1:
        raise moodle_exception('invalidcourse', 'Invalid course')
    if data.get('shortname') and data['shortname'] != old['shortname'] and data['shortname'] in site.course_by_shortname:
        raise moodle_exception('shortnametaken', 'Short name is already used for another course (%s)' % data['shortname'])
    if data.get('idnumber') and data['idnumber'] != old['idnumber'] and any(
            cid != courseid for cid in site.courses_by_idnumber.get(data['idnumber'], ())):
        raise moodle_exception('courseidnumbertaken', 'ID number is already used for another course (%s)' % data['idnumber'])
    error = course_validate_dates(data.get('startdate', old['startdate']), data.get('enddate', old['enddate']))
    if error:
        raise moodle_exception(error, DATE_ERRORS[error])
    movecat = bool(data.get('categoryid')) and data['categoryid'] != old['category']
    if movecat and data['categoryid'] not in site.categories:
        # Moodle writes the row, then fails in context_coursecat::instance() (a PHP warning first); not emulated further.
        raise DmlMissingRecord('course_categories', 'SELECT id,parent FROM {course_categories} WHERE id = ?', [data['categoryid']])
    for key in ('fullname', 'summary', 'format', 'startdate', 'enddate', 'visible', 'lang') + COURSE_FIELDS:
        if key in data and key != 'theme':
            changes[key] = data[key]
    if movecat:
        changes['category'] = data['categoryid']
        if not site.categories[data['categoryid']]['visible'] and 'visible' not in data:
            changes['visible'] = 0
    changes['timemodified'] = call.now
    if 'shortname' in data and data['shortname'] != old['shortname']:
        site.rename_course(courseid, shortname=data['shortname'])
    if 'idnumber' in data and data['idnumber'] != old['idnumber']:
        site.rename_course(courseid, idnumber=data['idnumber'])
    site.update_course(courseid, changes)
    if movecat:
        site.fix_course_sortorder()


@external('core_course_delete_courses', Single({'courseids': Multiple(Value(PARAM_INT))}), write=True)
def delete_courses(call, args):
    """core_course_delete_courses (course/externallib.php:1330-1385). No transaction; an unknown id is a warning
    {item: 'course', itemid, warningcode: 'unknowncourseidnumber', message: 'Unknown course ID <id>'}; a deleted course
    takes its enrolment instances and user enrolments, role assignments and contexts with it; then
    fix_course_sortorder(). Answers {warnings: [...]}."""
    site = call.site
    warnings = []
    for courseid in args['courseids']:
        if courseid not in site.courses:
            warnings.append({'item': 'course', 'itemid': courseid, 'warningcode': 'unknowncourseidnumber',
                             'message': 'Unknown course ID %d' % courseid})
            continue
        with site.transaction():
            site.delete_course(courseid)
    with site.transaction():
        site.fix_course_sortorder()
    return {'warnings': warnings}


# --------------------------------------------------------------------------- categories
def get_category_with_context(site, catid):
    """get_category(), then its context: core_course_category::get(0) is the top pseudo-category, which has none
    (context_coursecat::instance(0) fails as Moodle's does)."""
    cat = get_category(site, catid)
    if cat is None:
        category_context(site, 0)
    return cat


def get_category(site, catid):
    """core_course_category::get($id, MUST_EXIST) (course/classes/category.php:249-287): id 0 is the top pseudo-category
    (visible to an admin); an unknown id: moodle_exception('unknowncategory', a: $id), error.php
    'Unknown category with category ID number "{$a}"', with debugging off and on."""
    if not catid:
        return None
    if catid not in site.categories:
        raise moodle_exception('unknowncategory', 'Unknown category with category ID number "%s"' % catid)
    return site.categories[catid]


def category_context(site, catid):
    """context_coursecat::instance($id) (MUST_EXIST): an unknown id is a missing course_categories record
    (lib/classes/context/coursecat.php:173)."""
    if catid not in site.categories:
        raise DmlMissingRecord('course_categories', 'SELECT id,parent FROM {course_categories} WHERE id = ?', [catid])


def validate_format(fmt):
    """core_external\\util::validate_format() (lib/external/classes/util.php:607-619)."""
    if fmt not in (0, 1, 2, 4):
        raise moodle_exception('formatnotsupported', 'webservice/formatnotsupported',
                               debuginfo='The format with value=%s is not supported by this Moodle site' % fmt)


def php_empty(value):
    """PHP empty() of a string or number: '', '0', 0, None."""
    return value is None or value == '' or value == '0' or value == 0


def change_parent_raw(site, cat, newparent):
    """core_course_category::change_parent_raw() (course/classes/category.php:2324-2360): moving under itself or one of
    its descendants: 'cannotmovecategory' ("Cannot move category"); else the parent changes and the category goes last
    (sortorder MAX_COURSES_IN_CATEGORY * MAX_COURSE_CATEGORIES); fix_course_sortorder() then fixes path and depth of
    the whole subtree and renumbers. (No category can be hidden through the web services, so the hide-when-moved-
    into-a-hidden-category branch never applies.)"""
    if newparent:
        if newparent == cat['id'] or cat['id'] in site.category_parents(newparent):
            raise moodle_exception('cannotmovecategory', 'Cannot move category')
    site.update_category(cat['id'], {'parent': newparent, 'sortorder': MAX_COURSES_IN_CATEGORY * MAX_COURSE_CATEGORIES})


@external('core_course_create_categories', Single({'categories': Multiple(Single([
    ('name', Value(PARAM_TEXT)),
    ('parent', Value(PARAM_INT, VALUE_DEFAULT, 0)),
    ('idnumber', Value(PARAM_RAW, VALUE_OPTIONAL)),
    ('description', Value(PARAM_RAW, VALUE_OPTIONAL)),
    ('descriptionformat', Value(PARAM_INT, VALUE_DEFAULT, 1)),
    ('theme', Value(PARAM_THEME, VALUE_OPTIONAL)),
]))}), write=True)
def create_categories(call, args):
    """core_course_create_categories (course/externallib.php:2163-2200, core_course_category::create() at
    course/classes/category.php:455-545): all-or-nothing; an unknown parent: 'unknowcategory' ("Category not known!");
    then the description format; then name (PHP empty(): '' and '0' are 'categorynamerequired'), length (255
    characters, 'categorytoolong'), idnumber (100 characters, 'idnumbertoolong'; taken: 'categoryidnumbertaken');
    theme only with $CFG->allowcategorythemes. A category created without idnumber has idnumber NULL."""
    site = call.site
    result = []
    with site.transaction():
        for cat in args['categories']:
            parent = cat['parent']
            if parent and parent not in site.categories:
                raise moodle_exception('unknowcategory', 'Category not known!')
            validate_format(cat['descriptionformat'])
            if php_empty(cat['name']):
                raise moodle_exception('categorynamerequired', 'Category name is required')
            if len(cat['name']) > 255:
                raise moodle_exception('categorytoolong', 'Category name too long')
            idnumber = cat.get('idnumber')
            if idnumber is not None:
                if len(idnumber) > 100:
                    raise moodle_exception('idnumbertoolong', 'ID number is too long')
                if idnumber != '' and any(c['idnumber'] == idnumber for c in site.categories.values()):
                    raise moodle_exception('categoryidnumbertaken', 'ID number is already used for another category')
            theme = cat.get('theme') if site.settings['allowcategorythemes'] else None
            cid = site.next_id('category')
            parent_path = site.categories[parent]['path'] if parent else ''
            record = {
                'id': cid, 'name': cat['name'], 'idnumber': idnumber, 'description': cat.get('description', ''),
                'descriptionformat': cat['descriptionformat'], 'parent': parent, 'sortorder': 0,
                'visible': site.categories[parent]['visible'] if parent else 1, 'visibleold': 1, 'timemodified': call.now,
                'depth': parent_path.count('/') + 1, 'path': '%s/%d' % (parent_path, cid), 'theme': theme}
            site.add_category(record)
            site.fix_course_sortorder()
            result.append({'id': cid, 'name': external_string(call, record['name'])})
    return result


@external('core_course_update_categories', Single({'categories': Multiple(Single([
    ('id', Value(PARAM_INT)),
    ('name', Value(PARAM_TEXT, VALUE_OPTIONAL)),
    ('idnumber', Value(PARAM_RAW, VALUE_OPTIONAL)),
    ('parent', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('description', Value(PARAM_RAW, VALUE_OPTIONAL)),
    ('descriptionformat', Value(PARAM_INT, VALUE_DEFAULT, 1)),
    ('theme', Value(PARAM_THEME, VALUE_OPTIONAL)),
]))}), write=True)
def update_categories(call, args):
    """core_course_update_categories (course/externallib.php:2252-2287; core_course_category::update() at
    course/classes/category.php:567-664). All-or-nothing; answers null. Per category, in Moodle's order: unknown id:
    'unknowncategory'; a new parent's context (unknown: a missing course_categories record); the description format;
    name ('' or '0': 'categorynamerequired'; > 255: 'categorytoolong'); idnumber (> 100: 'idnumbertoolong'; used by
    another category: 'categoryidnumbertaken'; its own: fine); theme only with allowcategorythemes; the parent
    (itself or a descendant: 'cannotmovecategory'). descriptionformat (VALUE_DEFAULT 1) is always written: an update
    without it resets the format to 1. There is no 'visible' parameter (sending it fails validation)."""
    site = call.site
    with site.transaction():
        for data in args['categories']:
            cat = get_category_with_context(site, data['id'])
            if 'parent' in data and data['parent']:
                category_context(site, data['parent'])
            validate_format(data['descriptionformat'])
            changes = {'descriptionformat': data['descriptionformat']}
            if 'description' in data:
                changes['description'] = data['description']
            if 'name' in data and php_empty(data['name']):
                raise moodle_exception('categorynamerequired', 'Category name is required')
            if 'name' in data and data['name'] != cat['name']:
                if len(data['name']) > 255:
                    raise moodle_exception('categorytoolong', 'Category name too long')
                changes['name'] = data['name']
            if 'idnumber' in data and data['idnumber'] != cat['idnumber']:
                if len(data['idnumber']) > 100:
                    raise moodle_exception('idnumbertoolong', 'ID number is too long')
                if data['idnumber'] != '' and any(c['idnumber'] == data['idnumber'] and c['id'] != cat['id']
                                                  for c in site.categories.values()):
                    raise moodle_exception('categoryidnumbertaken', 'ID number is already used for another category')
                changes['idnumber'] = data['idnumber']
            if 'theme' in data and site.settings['allowcategorythemes']:
                changes['theme'] = data['theme']
            if 'parent' in data and data['parent'] != cat['parent']:
                get_category(site, data['parent'])
                change_parent_raw(site, cat, data['parent'])
                site.fix_course_sortorder()
            changes['timemodified'] = call.now
            site.update_category(cat['id'], changes)
            site.fix_course_sortorder()
    return None


def delete_full(call, cat):
    """core_course_category::delete_full() (course/classes/category.php:2022-2097): the subcategories first (in sortorder),
    then the courses (delete_course), then the category and its context."""
    site = call.site
    for child in sorted((c for c in site.categories.values() if c['parent'] == cat['id']), key=lambda c: c['sortorder']):
        delete_full(call, child)
    for course in sorted((c for c in site.courses.values() if c['category'] == cat['id']), key=lambda c: c['sortorder']):
        site.delete_course(course['id'])
    site.delete_category_row(cat['id'])


def move_courses(call, courseids, catid):
    """move_courses() (course/lib.php): the courses (given in sortorder) are placed, in reverse, at the end of the
    target's range, then fix_course_sortorder() renumbers them after the courses already there."""
    site = call.site
    target = site.categories[catid]
    for index, courseid in enumerate(sorted(reversed(courseids)), start=1):
        changes = {'category': catid, 'timemodified': call.now,
                   'sortorder': target['sortorder'] + MAX_COURSES_IN_CATEGORY - index}
        if not target['visible']:
            changes['visible'] = 0
        site.update_course(courseid, changes)
    site.fix_course_sortorder()


def delete_move(call, cat, newparent):
    """core_course_category::delete_move() (course/classes/category.php:2185-2282): the subcategories move under the new
    parent (change_parent_raw: 'cannotmovecategory' when it is one of them or below one), then the courses, then the
    category and its context go."""
    site = call.site
    children = sorted((c for c in site.categories.values() if c['parent'] == cat['id']), key=lambda c: c['sortorder'])
    incategory = [c for c in site.courses.values() if c['category'] == cat['id']]
    courseids = [c['id'] for c in sorted(incategory, key=lambda c: c['sortorder'])]
    if children:
        for child in children:
            change_parent_raw(site, child, newparent)
        site.fix_course_sortorder()
    if courseids:
        move_courses(call, courseids, newparent)
    site.delete_category_row(cat['id'])


@external('core_course_delete_categories', Single({'categories': Multiple(Single([
    ('id', Value(PARAM_INT)),
    ('newparent', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('recursive', Value(PARAM_BOOL, VALUE_DEFAULT, 0)),
]))}), write=True)
def delete_categories(call, args):
    """core_course_delete_categories (course/externallib.php:2330-2380). All-or-nothing; answers null. Unknown id (or
    unknown newparent): 'unknowncategory'. recursive=1: delete_full() (subcategories and their courses deleted; an
    admin can always). Otherwise the content goes to newparent, or to the parent; a top-level category without
    newparent fails with 'movecatcontentstoroot' even when it is empty (the check is on the target only)."""
    site = call.site
    with site.transaction():
        for item in args['categories']:
            cat = get_category_with_context(site, item['id'])
            if item['recursive']:
                delete_full(call, cat)
                continue
            target = get_category(site, item['newparent'] if not php_empty(item.get('newparent')) else cat['parent'])
            if target is None:
                raise moodle_exception('movecatcontentstoroot', 'Moving the category content to root is not allowed. '
                                       'You must move the contents to an existing category!')
            delete_move(call, cat, target['id'])
    return None
