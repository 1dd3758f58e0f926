# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""enrol_manual_enrol_users and enrol_manual_unenrol_users as Moodle 4.5 and 5.1 answer them, beyond the recordings.

The PHP cited is identical in both releases; paths are 4.5's (5.1 has them under public/).
enrol/manual/externallib.php: enrol_users() loops over the items inside one delegated transaction (:77, committed at :142) and checks
each in this order: the course context (:88-89), core_user::get_user(MUST_EXIST) and
core_user::require_active_user() (:94-95), the role (:98-105), the enabled manual instance (:108-120).
unenrol_users(): the course context (:196), any manual instance (:199-202), then the user (:203-204).
"""

from __future__ import annotations

import os

import pytest

from moodle_emulator.testing import create_users  # pylint: disable=import-error

SEED_45 = os.path.join(os.path.dirname(__file__), '..', '..', 'emulator', 'moodle_emulator', 'seeds', 'recordings-4.5.yaml')
MOODLE_EXCEPTION = 'core\\exception\\moodle_exception'
# lang/en/error.php:303 (4.5), :301 (5.1).
GUEST = {'exception': MOODLE_EXCEPTION, 'errorcode': 'guestsarenotallowed',
         'message': 'The guest user is not allowed to do this'}
# lib/classes/user.php:612-614: moodle_exception('userdeleted') looks the string up in error.php (the module '' becomes
# 'error', lib/classes/exception/moodle_exception.php:62-64), which has none (it is in moodle.php), so the message is
# 'error/userdeleted' (:71-77).
DELETED = {'exception': MOODLE_EXCEPTION, 'errorcode': 'userdeleted', 'message': 'error/userdeleted'}
# lib/classes/user.php:616-618: module 'moodle' also becomes 'error'; usernotconfirmed is only in moodle.php.
UNCONFIRMED = {'exception': MOODLE_EXCEPTION, 'errorcode': 'usernotconfirmed', 'message': 'error/usernotconfirmed'}
# lib/classes/user.php:608-610: is_real_user() refuses ids <= 0 (get_user() makes dummies for -10 and -20).
NOT_REAL = {'exception': MOODLE_EXCEPTION, 'errorcode': 'invaliduser', 'message': 'Invalid user'}


# admin and alice, and a course (2) without a manual enrolment instance.
NO_MANUAL_SITE = {
    'users': [{'id': 2, 'username': 'admin', 'firstname': 'A', 'lastname': 'U', 'email': 'a@x.test', 'siteadmin': True},
              {'id': 3, 'username': 'alice', 'firstname': 'A', 'lastname': 'L', 'email': 'al@x.test'}],
    'courses': [{'id': 2, 'shortname': 'NOMAN', 'manual_enrol': False}],
    'services': [{'shortname': 'all', 'functions': ['enrol_manual_enrol_users', 'enrol_manual_unenrol_users']}],
    'tokens': [{'name': 'full', 'token': 'f' * 32, 'user': 'admin', 'service': 'all'}]}


def enrol(ws, *items):
    params = {}
    for index, (roleid, userid, courseid) in enumerate(items):
        params.update({'enrolments[%d][roleid]' % index: str(roleid), 'enrolments[%d][userid]' % index: str(userid),
                       'enrolments[%d][courseid]' % index: str(courseid)})
    return ws('enrol_manual_enrol_users', params)


def unenrol(ws, *items):
    params = {}
    for index, (userid, courseid) in enumerate(items):
        params.update({'enrolments[%d][userid]' % index: str(userid), 'enrolments[%d][courseid]' % index: str(courseid)})
    return ws('enrol_manual_unenrol_users', params)


def create(ws, *names):
    """The ids of new users, in the order named."""
    made = create_users(ws, *names)
    return [made[name] for name in names]


def enrolled(emulator, userid, courseid):
    return len(emulator.state.user_course_enrolments(userid, courseid))


@pytest.mark.parametrize('debug', [False, True])
def test_guest_is_refused(ws, emulator, debug):
    # lib/classes/user.php:620-622: isguestuser($user) -> moodle_exception('guestsarenotallowed', 'error'); no debuginfo,
    # so debugging on or off answers the same (webservice/rest/locallib.php:182: debuginfo only when set).
    emulator.set(debug=debug)
    assert enrol(ws, (5, 1, 2)).json() == GUEST
    assert enrolled(emulator, 1, 2) == 0
    assert unenrol(ws, (1, 2)).json() == GUEST


@pytest.mark.parametrize('debug', [False, True])
def test_deleted_user_is_refused(ws, emulator, debug):
    # get_user() reads {user} without a deleted filter, then require_active_user() (lib/classes/user.php:612-614).
    uid, = create(ws, 'alice')
    assert enrol(ws, (5, uid, 2)).text == 'null'
    assert ws('core_user_delete_users', {'userids[0]': str(uid)}).text == 'null'
    emulator.set(debug=debug)
    assert enrol(ws, (5, uid, 3)).json() == DELETED
    assert unenrol(ws, (uid, 2)).json() == DELETED


def test_unconfirmed_user_is_refused(ws, emulator):
    # lib/classes/user.php:616-618: empty($user->confirmed).
    uid, = create(ws, 'alice')
    emulator.state.users[uid]['confirmed'] = 0
    assert enrol(ws, (5, uid, 2)).json() == UNCONFIRMED
    assert unenrol(ws, (uid, 2)).json() == UNCONFIRMED


def test_suspended_user_is_enrolled_and_unenrolled(ws, emulator):
    # require_active_user($user) with $checksuspended = false (externallib.php:95, 204; user.php:606, 624-626).
    uid, = create(ws, 'alice')
    assert ws('core_user_update_users', {'users[0][id]': str(uid), 'users[0][suspended]': '1'}).json() == {'warnings': []}
    assert enrol(ws, (5, uid, 2)).text == 'null'
    assert enrolled(emulator, uid, 2) == 1
    assert unenrol(ws, (uid, 2)).text == 'null'
    assert enrolled(emulator, uid, 2) == 0


@pytest.mark.parametrize('userid', [-10, -20])
def test_noreply_and_support_ids_are_not_real_users(ws, userid):
    # lib/classes/user.php:126-131: get_user() answers core_user::NOREPLY_USER (-10) and SUPPORT_USER (-20) with dummy
    # records ($CFG->noreplyuserid and supportuserid unset; the installer sets supportemail, lib/installlib.php:510-513),
    # which is_real_user() refuses (:572-576, 608-610).
    assert enrol(ws, (5, userid, 2)).json() == NOT_REAL
    assert unenrol(ws, (userid, 2)).json() == NOT_REAL


def test_unenrol_unknown_user_is_a_missing_record(ws, emulator):
    # externallib.php:203: get_user(..., MUST_EXIST) -> dml_missing_record_exception, as in enrol_users (recorded:
    # enrol_unknown_user): 5.1 hides the table with debugging off; with debugging on it names the user and the SQL.
    assert unenrol(ws, (999999, 2)).json() == {
        'exception': 'dml_missing_record_exception', 'errorcode': 'invalidrecordunknown',
        'message': "Can't find data record in database."}
    emulator.set(debug=True)
    assert unenrol(ws, (999999, 2)).json() == {
        'exception': 'dml_missing_record_exception', 'errorcode': 'invaliduser', 'message': 'Invalid user',
        'debuginfo': 'SELECT * FROM {user} WHERE id = ?\n[array (\n  0 => 999999,\n)]'}


def test_unenrol_unknown_user_on_45(ws, emulator):
    # 4.5 names the record with debugging off, without debuginfo (recordings/4.5/debug-off/enrol_unknown_user.json).
    emulator.reseed(SEED_45)
    assert unenrol(ws, (999999, 2)).json() == {
        'exception': 'dml_missing_record_exception', 'errorcode': 'invaliduser', 'message': 'Invalid user'}


def test_enrol_checks_the_user_before_the_role_and_the_instance(ws, emulator):
    # externallib.php:94-95 come before the role (:98-105): an unknown or guest user with a role not assignable in a
    # course (2 = coursecreator, system and category only) is refused for the user.
    emulator.set(debug=True)
    assert enrol(ws, (2, 999999, 2)).json()['errorcode'] == 'invaliduser'
    assert enrol(ws, (2, 1, 2)).json() == GUEST


def test_enrol_checks_the_user_before_the_instance(ws, emulator):
    emulator.reseed(NO_MANUAL_SITE)
    assert enrol(ws, (5, 1, 2)).json() == GUEST
    # ... and the role before the instance (:98-105, then :108-120).
    assert enrol(ws, (2, 3, 2)).json()['errorcode'] == 'wsusercannotassign'
    # unenrol_users() looks for the instance first (:199-202), then the user (:203-204).
    assert unenrol(ws, (1, 2)).json()['errorcode'] == 'wsnoinstance'


def test_wsusercannotassign_message(ws):
    # enrol/manual/lang/en/enrol_manual.php:84 (4.5), :86 (5.1): "... in this course ({$a->courseid})." with a space.
    uid, = create(ws, 'alice')
    assert enrol(ws, (2, uid, 3)).json() == {
        'exception': MOODLE_EXCEPTION, 'errorcode': 'wsusercannotassign',
        'message': "You don't have the permission to assign this role (2) to this user (%d) in this course (3)." % uid}


@pytest.mark.parametrize('debug', [False, True])
def test_wsnoinstance_message_is_filled_in(ws, emulator, debug):
    # enrol_manual.php:83 (4.5), :85 (5.1); get_string() replaces {$a->courseid} from the object (enrol_users, :117-119)
    # or the array (unenrol_users, :201) it is given (lib/classes/string_manager_standard.php:364-386).
    emulator.reseed(NO_MANUAL_SITE)
    emulator.set(debug=debug)
    expected = {'exception': MOODLE_EXCEPTION, 'errorcode': 'wsnoinstance',
                'message': "Manual enrolment plugin instance doesn't exist or is disabled for the course (id = 2)"}
    assert enrol(ws, (5, 3, 2)).json() == expected
    assert unenrol(ws, (3, 2)).json() == expected


def test_enrol_batch_with_a_refused_user_is_all_or_nothing(ws, emulator):
    # One delegated transaction around the loop (externallib.php:77, 142): the first item's enrolment is rolled back.
    uid, = create(ws, 'alice')
    assert enrol(ws, (5, uid, 2), (5, 1, 2)).json() == GUEST
    assert enrolled(emulator, uid, 2) == 0
    assert emulator.state.user_roles_in_context(uid, emulator.state.context_id(50, 2)) == []


def test_unenrol_batch_with_a_refused_user_is_all_or_nothing(ws, emulator):
    # One delegated transaction (externallib.php:189, 210): the first item's unenrolment is rolled back.
    alice, bob = create(ws, 'alice', 'bob')
    assert enrol(ws, (5, alice, 2), (5, bob, 2)).text == 'null'
    assert ws('core_user_delete_users', {'userids[0]': str(bob)}).text == 'null'
    assert unenrol(ws, (alice, 2), (bob, 2)).json() == DELETED
    assert enrolled(emulator, alice, 2) == 1
    assert [ra['roleid'] for ra in emulator.state.user_roles_in_context(alice, emulator.state.context_id(50, 2))] == [5]
