# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_role_assignment run as main() runs it against the emulator (conftest.py), with and without the plugin."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.lmsops.moodle.plugins.modules.moodle_enrolment import MoodleEnrolmentModule
from ansible_collections.lmsops.moodle.plugins.modules.moodle_role_assignment import MoodleRoleAssignmentModule
from ansible_collections.lmsops.moodle.plugins.modules.moodle_user import MoodleUserModule
from ansible_collections.lmsops.moodle.tests.unit.plugins.modules.conftest import writes

NAMES = ('ann', 'ben')


@pytest.fixture(params=['core', 'plugin'])
def site(request, emulator, run_on_emulator):
    """The emulator with two users enrolled in PHYS101 as students, with the companion plugin or without it."""
    run_on_emulator(MoodleUserModule, users=[dict(username=name, firstname=name.title(), lastname='Tester',
                                                  email='%s@example.org' % name, create_password=True)
                                             for name in NAMES])
    run_on_emulator(MoodleEnrolmentModule, course='PHYS101', enrolments=[dict(user=name) for name in NAMES])
    emulator.set(companion_plugin=request.param == 'plugin')
    return emulator


def test_course_roles_are_assigned_in_one_write_verified_and_a_rerun_reads_only(site, run_on_emulator):
    wanted = [dict(user=name) for name in NAMES]
    result = run_on_emulator(MoodleRoleAssignmentModule, role='teacher', instance='PHYS101', assignments=wanted)
    assert result['summary'] == {'assigned': 2} and writes(site) == [('core_role_assign_roles', None)]
    assert all(a['verified'] for a in result['assignments'])
    again = run_on_emulator(MoodleRoleAssignmentModule, role='teacher', instance='PHYS101', assignments=wanted)
    assert not again['changed'] and again['summary'] == {'unchanged': 2} and writes(site) == []


def test_check_mode_predicts_the_real_run(site, run_on_emulator):
    run_on_emulator(MoodleRoleAssignmentModule, user='ann', role='teacher', instance='PHYS101')
    wanted = [dict(user='ann', state='absent'), dict(user='ben')]
    predicted = run_on_emulator(MoodleRoleAssignmentModule, check_mode=True, diff=True, role='teacher',
                                instance='PHYS101', assignments=wanted)
    assert writes(site) == []
    done = run_on_emulator(MoodleRoleAssignmentModule, diff=True, role='teacher', instance='PHYS101',
                           assignments=wanted)
    assert [a['action'] for a in predicted['assignments']] == [a['action'] for a in done['assignments']] == [
        'unassigned', 'assigned']
    assert predicted['diff'] == done['diff']


def test_a_role_not_assignable_there_fails_before_any_write(site, run_on_emulator):
    result = run_on_emulator(MoodleRoleAssignmentModule, user='ann', role='student', context='system')
    assert result['failed'] and writes(site) == []
    assert 'role student (id 5) cannot be assigned at system level' in result['msg']
