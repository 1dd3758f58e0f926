# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Course and category creation (in the recordings' full service; handy for demos)."""

from __future__ import annotations

from .errors import InvalidParameter, moodle_exception
from .params import PARAM_INT, PARAM_PLUGIN, PARAM_RAW, PARAM_TEXT, PARAM_THEME, VALUE_DEFAULT, VALUE_OPTIONAL, Multiple, Single, Value
from .registry import external


@external('core_course_create_courses', Single({'courses': Multiple(Single([
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
    ('visible', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('hiddensections', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('groupmode', Value(PARAM_INT, VALUE_DEFAULT, 0)),
    ('groupmodeforce', Value(PARAM_INT, VALUE_DEFAULT, 0)),
    ('defaultgroupingid', Value(PARAM_INT, VALUE_DEFAULT, 0)),
    ('enablecompletion', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('completionnotify', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('lang', Value(PARAM_RAW, VALUE_OPTIONAL)),
    ('forcetheme', Value(PARAM_PLUGIN, VALUE_OPTIONAL)),
]))}), write=True)
def create_courses(call, args):
    """core_course_create_courses: all-or-nothing; a new course goes first in its category."""
    site = call.site
    result = []
    with site.transaction():
        for course in args['courses']:
            if course['categoryid'] not in site.categories:
                raise moodle_exception('errorcatcontextnotvalid', 'You cannot execute functions in the category context (category id:%d). '
                                       'The context error message was: Invalid parameter value detected' % course['categoryid'])
            if course['shortname'] in site.course_by_shortname:
                raise moodle_exception('shortnametaken', 'Short name is already used for another course (%s)' % course['shortname'])
            idnumber = course.get('idnumber', '')
            if idnumber and idnumber in site.courses_by_idnumber:
                raise moodle_exception('courseidnumbertaken', 'ID number is already used for another course (%s)' % idnumber)
            category = site.categories[course['categoryid']]
            record = {
                'id': site.next_id('course'), 'shortname': course['shortname'], 'fullname': course['fullname'],
                'idnumber': idnumber, 'category': category['id'], 'visible': course.get('visible', 1),
                'sortorder': category['sortorder'] + 1, 'format': course['format'], 'startdate': course.get('startdate', 0),
                'enddate': course.get('enddate', 0), 'summary': course.get('summary', ''), 'lang': course.get('lang', ''),
                'timecreated': call.now, 'timemodified': call.now, 'cacherev': call.now}
            site.add_course(record)
            result.append({'id': record['id'], 'shortname': record['shortname']})
    return result


@external('core_course_create_categories', Single({'categories': Multiple(Single([
    ('name', Value(PARAM_TEXT)),
    ('parent', Value(PARAM_INT, VALUE_DEFAULT, 0)),
    ('idnumber', Value(PARAM_RAW, VALUE_OPTIONAL)),
    ('description', Value(PARAM_RAW, VALUE_OPTIONAL)),
    ('descriptionformat', Value(PARAM_INT, VALUE_DEFAULT, 1)),
    ('theme', Value(PARAM_THEME, VALUE_OPTIONAL)),
]))}), write=True)
def create_categories(call, args):
    """core_course_create_categories: all-or-nothing."""
    site = call.site
    result = []
    with site.transaction():
        for cat in args['categories']:
            if cat['name'].strip() == '':
                raise moodle_exception('categorynamerequired', 'A category name is required.')
            parent = cat['parent']
            if parent and parent not in site.categories:
                raise InvalidParameter('Parent category does not exist: %d' % parent)
            idnumber = cat.get('idnumber') or None
            if idnumber and any(c['idnumber'] == idnumber for c in site.categories.values()):
                raise moodle_exception('categoryidnumbertaken', 'ID number is already used for another category')
            cid = site.next_id('category')
            parent_path = site.categories[parent]['path'] if parent else ''
            record = {
                'id': cid, 'name': cat['name'], 'idnumber': idnumber, 'description': cat.get('description', ''),
                'descriptionformat': cat['descriptionformat'], 'parent': parent,
                'sortorder': max([c['sortorder'] for c in site.categories.values()] + [0]) + 10000, 'visible': 1,
                'visibleold': 1, 'timemodified': call.now, 'depth': parent_path.count('/') + 1,
                'path': '%s/%d' % (parent_path, cid), 'theme': cat.get('theme', '')}
            site.add_category(record)
            result.append({'id': cid, 'name': record['name']})
    return result
