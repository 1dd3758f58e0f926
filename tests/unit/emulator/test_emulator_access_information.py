# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The companion plugin's local_lmsops_get_access_information, as the emulator answers it (issue 20)."""

from __future__ import annotations

FUNCTION = 'local_lmsops_get_access_information'


def ask(ws, capabilities=(), contexts=(), roles=()):
    params = {}
    for index, capability in enumerate(capabilities):
        params['capabilities[%d]' % index] = capability
    for index, (level, instanceid) in enumerate(contexts):
        params['contexts[%d][contextlevel]' % index] = level
        params['contexts[%d][instanceid]' % index] = str(instanceid)
    for index, role in enumerate(roles):
        params['roles[%d]' % index] = role
    return ws(FUNCTION, params).json()


def test_off_without_the_plugin(ws):
    assert ws(FUNCTION).json()['errorcode'] == 'invalidrecordunknown'


def test_the_system_context_by_default_for_a_site_administrator(ws, emulator):
    emulator.set(companion_plugin=True)
    answer = ask(ws)
    assert answer['userid'] == 2 and answer['siteadmin'] is True
    [system] = answer['contexts']
    assert system['contextlevel'] == 'system' and system['instanceid'] == 0
    assert system['missingcapabilities'] == [] and system['heldroles'] == []
    assert system['allowedroles'][:5] == ['manager', 'coursecreator', 'editingteacher', 'teacher', 'student']
    # get_assignable_roles() at system level: the roles that can be assigned there.
    assert system['assignableroles'] == ['manager', 'coursecreator']
    assert answer['roles'] == [] and answer['unknowncapabilities'] == [] and answer['unknownroles'] == []


def test_a_course_the_roles_asked_about_and_the_missing_capabilities_switch(ws, emulator):
    emulator.set(companion_plugin=True, missing_capabilities=['moodle/role:assign'])
    answer = ask(ws, ['moodle/user:create', 'moodle/role:assign'], [('system', 0), ('course', 2)],
                 ['student', 'coursecreator', 'nosuchrole'])
    system, course = answer['contexts']
    assert course['contextlevel'] == 'course' and course['instanceid'] == 2
    assert system['missingcapabilities'] == course['missingcapabilities'] == ['moodle/role:assign']
    assert course['assignableroles'] == []
    assert answer['roles'] == [{'shortname': 'student', 'contextlevels': ['course', 'module']},
                               {'shortname': 'coursecreator', 'contextlevels': ['system', 'coursecat']}]
    assert answer['unknownroles'] == ['nosuchrole']
    emulator.set(missing_capabilities=[])
    assert ask(ws, contexts=[('course', 2)])['contexts'][0]['assignableroles'] == [
        'manager', 'editingteacher', 'teacher', 'student']


def test_held_roles_come_from_the_context_and_its_parents(ws, emulator):
    emulator.set(companion_plugin=True)
    ws('core_role_assign_roles', {'assignments[0][roleid]': '1', 'assignments[0][userid]': '2',
                                  'assignments[0][contextlevel]': 'system', 'assignments[0][instanceid]': '0'})
    [course] = ask(ws, contexts=[('course', 2)])['contexts']
    assert course['heldroles'] == [{'shortname': 'manager', 'contextlevel': 'system', 'instanceid': 0}]


def test_a_context_that_does_not_exist_is_an_invalid_parameter(ws, emulator):
    emulator.set(companion_plugin=True, debug=True)
    answer = ask(ws, contexts=[('course', 77)])
    assert answer['errorcode'] == 'invalidparameter'
