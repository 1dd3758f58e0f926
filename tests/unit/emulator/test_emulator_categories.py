# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Course categories and course updates/deletes as Moodle 4.5 and 5.1 do them (PHP references: 5.1's public/ tree;
4.5 has the same lines under course/ without public/)."""

from __future__ import annotations

import pytest


def cats(key, items):
    params = {}
    for index, item in enumerate(items):
        for name, value in item.items():
            params['%s[%d][%s]' % (key, index, name)] = str(value)
    return params


def get_all(ws):
    return {c['id']: c for c in ws('core_course_get_categories').json()}


@pytest.fixture
def tree(ws):
    """Science (2) > Physics (3) > Quantum (4); Arts (5) at the top."""
    answer = ws('core_course_create_categories', cats('categories', [
        {'name': 'Science', 'idnumber': 'sci'}, {'name': 'Physics', 'parent': 2, 'idnumber': 'phys'},
        {'name': 'Quantum', 'parent': 3}, {'name': 'Arts', 'idnumber': 'arts', 'theme': 'boost'}])).json()
    assert [c['id'] for c in answer] == [2, 3, 4, 5]
    return answer


def error(answer):
    body = answer.json()
    return body['errorcode'], body['message']


def test_create_fields_and_sortorder(ws, tree):
    """core_course_category::create() (course/classes/category.php:455-545): idnumber NULL when not sent, theme ignored
    while allowcategorythemes is off (admin/settings/appearance.php:315: default 0), path/depth from the parent;
    fix_course_sortorder() (lib/datalib.php:835) numbers the tree depth-first, 10000 apart."""
    found = get_all(ws)
    assert found[4]['idnumber'] is None and found[4]['path'] == '/2/3/4' and found[4]['depth'] == 3
    assert found[5]['theme'] == ''
    assert [found[i]['sortorder'] for i in (1, 2, 3, 4, 5)] == [10000, 20000, 30000, 40000, 50000]


def test_create_theme_kept_when_allowed(emulator, ws):
    """category.php:486: the theme is stored only with $CFG->allowcategorythemes."""
    emulator.set(allowcategorythemes=True)
    ws('core_course_create_categories', cats('categories', [{'name': 'Themed', 'theme': 'boost'}]))
    assert get_all(ws)[2]['theme'] == 'boost'


def test_create_errors(ws, tree):
    """externallib.php:2173-2176 'unknowcategory'; category.php:469-484 name (PHP empty(): '0' too) and idnumber."""
    assert error(ws('core_course_create_categories', cats('categories', [{'name': 'X', 'parent': 99}]))) == (
        'unknowcategory', 'Category not known!')
    assert error(ws('core_course_create_categories', cats('categories', [{'name': '0'}])))[0] == 'categorynamerequired'
    assert error(ws('core_course_create_categories', cats('categories', [{'name': 'X', 'idnumber': 'sci'}]))) == (
        'categoryidnumbertaken', 'ID number is already used for another category')
    assert error(ws('core_course_create_categories', cats('categories', [{'name': 'x' * 256}])))[0] == 'categorytoolong'
    assert error(ws('core_course_create_categories', cats('categories', [{'name': 'X', 'idnumber': 'i' * 101}])))[0] == \
        'idnumbertoolong'


def test_create_batch_rolled_back_keeps_the_id_used(ws, tree):
    """externallib.php:2168 one delegated transaction; the PostgreSQL sequence keeps the id of the rolled-back row."""
    answer = ws('core_course_create_categories', cats('categories', [{'name': 'Tmp'}, {'name': 'Dup', 'idnumber': 'sci'}]))
    assert error(answer)[0] == 'categoryidnumbertaken'
    assert 6 not in get_all(ws)
    assert ws('core_course_create_categories', cats('categories', [{'name': 'Next'}])).json() == [{'id': 7, 'name': 'Next'}]


def test_update_fields(ws, tree):
    """update() (category.php:567-664): name/idnumber/description; descriptionformat (VALUE_DEFAULT 1) always written;
    its own idnumber is no clash (category.php:603); answers null."""
    answer = ws('core_course_update_categories', cats('categories', [
        {'id': 3, 'name': 'Physics and Astronomy', 'idnumber': 'physastro', 'description': 'Stars'}]))
    assert answer.text == 'null'
    ws('core_course_update_categories', cats('categories', [{'id': 2, 'idnumber': 'sci', 'descriptionformat': 0}]))
    found = get_all(ws)
    assert (found[3]['name'], found[3]['idnumber'], found[3]['description']) == ('Physics and Astronomy', 'physastro', 'Stars')
    assert found[2]['descriptionformat'] == 0
    ws('core_course_update_categories', cats('categories', [{'id': 2, 'name': 'Science'}]))
    assert get_all(ws)[2]['descriptionformat'] == 1


def test_update_errors(ws, tree):
    """unknown id: core_course_category::get() MUST_EXIST (category.php:276) 'unknowncategory'; unknown parent:
    context_coursecat::instance() (lib/classes/context/coursecat.php:173) missing record; under itself or a descendant:
    change_parent_raw() (category.php:2334-2337) 'cannotmovecategory'; 'visible' is no parameter."""
    assert error(ws('core_course_update_categories', cats('categories', [{'id': 99, 'name': 'X'}]))) == (
        'unknowncategory', 'Unknown category with category ID number "99"')
    assert error(ws('core_course_update_categories', cats('categories', [{'id': 3, 'parent': 99}])))[0] == 'invalidrecordunknown'
    assert error(ws('core_course_update_categories', cats('categories', [{'id': 2, 'parent': 2}]))) == (
        'cannotmovecategory', 'Cannot move category')
    assert error(ws('core_course_update_categories', cats('categories', [{'id': 3, 'idnumber': 'sci'}])))[0] == \
        'categoryidnumbertaken'
    assert error(ws('core_course_update_categories', cats('categories', [{'id': 3, 'name': ''}])))[0] == 'categorynamerequired'
    assert error(ws('core_course_update_categories', cats('categories', [{'id': 3, 'visible': 0}])))[0] == 'invalidparameter'


def test_update_all_or_nothing(ws, tree):
    """externallib.php:2257 one transaction: the rename of 5 is undone when moving 2 under its descendant 4 fails."""
    answer = ws('core_course_update_categories', cats('categories', [{'id': 5, 'name': 'Arts renamed'}, {'id': 2, 'parent': 4}]))
    assert error(answer)[0] == 'cannotmovecategory'
    assert get_all(ws)[5]['name'] == 'Arts'


def test_update_move_subtree(ws, tree):
    """change_parent_raw() puts the category last, fix_course_sortorder() rewrites path/depth below it
    (lib/datalib.php:1051-1080)."""
    ws('core_course_update_categories', cats('categories', [{'id': 3, 'parent': 5}]))
    found = get_all(ws)
    assert (found[3]['path'], found[3]['depth'], found[4]['path'], found[4]['depth']) == ('/5/3', 2, '/5/3/4', 3)
    assert [c['id'] for c in ws('core_course_get_categories').json()] == [1, 2, 5, 3, 4]
    ws('core_course_update_categories', cats('categories', [{'id': 4, 'parent': 0}]))
    assert (get_all(ws)[4]['path'], get_all(ws)[4]['depth'], get_all(ws)[4]['parent']) == ('/4', 1, 0)


def test_delete_to_root_refused_even_when_empty(ws, tree):
    """externallib.php:2358-2366: no newparent and a top-level category: 'movecatcontentstoroot', content or not."""
    ws('core_course_create_categories', cats('categories', [{'name': 'Empty'}]))
    for catid in (5, 6):
        assert error(ws('core_course_delete_categories', cats('categories', [{'id': catid}])))[0] == 'movecatcontentstoroot'


def test_delete_moves_content_to_parent_or_newparent(emulator, ws, tree):
    """delete_move() (category.php:2185-2282): subcategories and courses move, the category and its context go."""
    ws('core_course_create_courses', cats('courses', [{'fullname': 'Q', 'shortname': 'Q1', 'categoryid': 3}]))
    assert ws('core_course_delete_categories', cats('categories', [{'id': 3}])).text == 'null'
    found = get_all(ws)
    assert 3 not in found and found[4]['parent'] == 2 and found[4]['path'] == '/2/4' and found[2]['coursecount'] == 1
    assert emulator.state.context_id(40, 3) is None
    ws('core_course_delete_categories', cats('categories', [{'id': 2, 'newparent': 5}]))
    found = get_all(ws)
    assert found[4]['path'] == '/5/4' and found[5]['coursecount'] == 1


def test_delete_into_own_child_fails(ws, tree):
    """The child cannot move under itself: change_parent_raw() 'cannotmovecategory' (category.php:2334-2337)."""
    assert error(ws('core_course_delete_categories', cats('categories', [{'id': 2, 'newparent': 3}])))[0] == 'cannotmovecategory'
    assert 2 in get_all(ws)


def test_delete_recursive_deletes_courses(emulator, ws, tree):
    """delete_full() (category.php:2022-2097): subcategories and their courses, with enrolments and role assignments."""
    course = ws('core_course_create_courses', cats('courses', [{'fullname': 'Q', 'shortname': 'Q1', 'categoryid': 4}])).json()[0]
    ws('enrol_manual_enrol_users', {
        'enrolments[0][roleid]': '5', 'enrolments[0][userid]': '2', 'enrolments[0][courseid]': str(course['id'])})
    ctx = emulator.state.context_id(50, course['id'])
    assert ws('core_course_delete_categories', cats('categories', [{'id': 2, 'recursive': 1}])).text == 'null'
    assert set(get_all(ws)) == {1, 5}
    assert course['id'] not in emulator.state.courses and ctx not in emulator.state.contexts
    assert not emulator.state.ra_by_context.get(ctx) and not emulator.state.ue_by_user.get(2)


def test_delete_unknown_and_all_or_nothing(ws, tree):
    """externallib.php:2343 get() MUST_EXIST; one transaction for the batch."""
    answer = ws('core_course_delete_categories', cats('categories', [{'id': 4, 'recursive': 1}, {'id': 99}]))
    assert error(answer) == ('unknowncategory', 'Unknown category with category ID number "99"')
    assert 4 in get_all(ws)
    assert error(ws('core_course_delete_categories', cats('categories', [{'id': 4, 'newparent': 99}])))[0] == 'unknowncategory'


def test_get_criteria(ws, tree):
    """get_categories (course/externallib.php:1859-2000): ids, subcategories, NULL idnumber/theme never match, unknown
    id: empty list, unknown key: 'criteriaerror'."""
    def get(*pairs, sub=None):
        params = {}
        for index, (key, value) in enumerate(pairs):
            params['criteria[%d][key]' % index] = key
            params['criteria[%d][value]' % index] = value
        if sub is not None:
            params['addsubcategories'] = str(sub)
        return ws('core_course_get_categories', params).json()
    assert [c['id'] for c in get(('id', '2'))] == [2, 3, 4]
    assert [c['id'] for c in get(('id', '2'), sub=0)] == [2]
    assert [c['id'] for c in get(('ids', '3,5,99'), sub=0)] == [3, 5]
    assert [c['id'] for c in get(('idnumber', 'phys'))] == [3, 4]
    assert get(('idnumber', '')) == [] and get(('theme', '')) == [] and get(('id', '99')) == []
    assert [c['id'] for c in get(('parent', '0'), sub=0)] == [1, 2, 5]
    assert [c['id'] for c in get(('name', 'Arts'), ('name', 'Science'))] == [5]
    assert get(('foo', '1'))['errorcode'] == 'criteriaerror'


def test_update_and_delete_courses_warnings(ws):
    """update_courses (externallib.php:1157-1300): per-course warnings; delete_courses (externallib.php:1330-1385):
    an unknown id is the warning 'unknowncourseidnumber'."""
    answer = ws('core_course_update_courses', cats('courses', [
        {'id': 2, 'fullname': 'Physics (new)'}, {'id': 99, 'fullname': 'X'}, {'id': 3, 'shortname': 'PHYS101'},
        {'id': 4, 'idnumber': 'phys101'}, {'id': 4, 'fullname': ' '}, {'id': 1, 'fullname': 'Front'}])).json()
    assert [(w['itemid'], w['warningcode']) for w in answer['warnings']] == [
        (99, 'invalidrecordunknown'), (3, 'shortnametaken'), (4, 'courseidnumbertaken'), (4, 'errorinvalidparam'),
        (1, 'invalidcourse')]
    courses = ws('core_course_get_courses_by_field', {'field': 'id', 'value': '2'}).json()['courses']
    assert courses[0]['fullname'] == 'Physics (new)'
    answer = ws('core_course_delete_courses', {'courseids[0]': '99', 'courseids[1]': '3'}).json()
    assert answer == {'warnings': [{'item': 'course', 'itemid': 99, 'warningcode': 'unknowncourseidnumber',
                                    'message': 'Unknown course ID 99'}]}
    assert ws('core_course_get_courses_by_field', {'field': 'id', 'value': '3'}).json()['courses'] == []
    remaining = ws('core_course_get_courses_by_field', {'field': 'category', 'value': '1'}).json()['courses']
    assert sorted(c['sortorder'] for c in remaining) == [10001, 10002]
