# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_enrolment run as main() runs it against the emulator (conftest.py), with and without the companion plugin."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.lmsops.moodle.plugins.modules.moodle_enrolment import MoodleEnrolmentModule
from ansible_collections.lmsops.moodle.plugins.modules.moodle_user import MoodleUserModule
from ansible_collections.lmsops.moodle.tests.unit.plugins.modules.conftest import writes

NAMES = ('ann', 'ben', 'cat')


@pytest.fixture(params=['core', 'plugin'])
def site(request, emulator, run_on_emulator):
    """The emulator with three users, with the companion plugin or without it."""
    run_on_emulator(MoodleUserModule, users=[dict(username=name, firstname=name.title(), lastname='Tester',
                                                  email='%s@example.org' % name, create_password=True)
                                             for name in NAMES])
    emulator.set(companion_plugin=request.param == 'plugin')
    return emulator


def enrolled(emulator, course):
    with emulator.lock:
        state = emulator.state
        courseid = [c['id'] for c in state.courses.values() if c['shortname'] == course][0]
        ids = dict((u['id'], u['username']) for u in state.users.values())
        return sorted(ids[ue['userid']] for ue in state.user_enrolments.values()
                      if state.enrol_instances[ue['enrolid']]['courseid'] == courseid)


def test_enrolments_are_made_in_one_write_and_a_rerun_reads_only(site, run_on_emulator):
    wanted = [dict(user=name) for name in NAMES]
    result = run_on_emulator(MoodleEnrolmentModule, course='PHYS101', enrolments=wanted)
    assert result['changed'] and result['summary'] == {'enrolled': 3}
    assert writes(site) == [('enrol_manual_enrol_users', None)]
    assert enrolled(site, 'PHYS101') == list(NAMES)
    again = run_on_emulator(MoodleEnrolmentModule, course='PHYS101', enrolments=wanted)
    assert not again['changed'] and again['summary'] == {'unchanged': 3} and writes(site) == []


def test_check_mode_predicts_the_real_run(site, run_on_emulator):
    run_on_emulator(MoodleEnrolmentModule, course='PHYS101', enrolments=[dict(user='ann')])
    wanted = [dict(user='ann', state='absent'), dict(user='ben', role='editingteacher'), dict(user='cat')]
    predicted = run_on_emulator(MoodleEnrolmentModule, check_mode=True, diff=True, course='PHYS101', enrolments=wanted)
    assert writes(site) == [] and enrolled(site, 'PHYS101') == ['ann']
    done = run_on_emulator(MoodleEnrolmentModule, diff=True, course='PHYS101', enrolments=wanted)
    assert [e['action'] for e in predicted['enrolments']] == [e['action'] for e in done['enrolments']] == [
        'unenrolled', 'enrolled', 'enrolled']
    assert predicted['diff'] == done['diff']
    assert enrolled(site, 'PHYS101') == ['ben', 'cat']


def test_an_unknown_user_and_role_fail_before_any_write_naming_the_items(site, run_on_emulator):
    result = run_on_emulator(MoodleEnrolmentModule, course='PHYS101', enrolments=[
        dict(user='ann'), dict(user='zed'), dict(user='ben', role='wizard')])
    assert result['failed'] and writes(site) == []
    assert "enrolments[1] (zed in PHYS101): no user with username 'zed'" in result['msg']
    assert "enrolments[2] (ben in PHYS101): no role with shortname 'wizard'" in result['msg']
