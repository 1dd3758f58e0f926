# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_user: its comparison, normalisation and validation (pure functions), then its plan, apply and bisected
writes, run as main() runs them against the emulator (conftest.py): a Moodle 5.1 site served in this process."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import unicodedata

import pytest

from ansible_collections.lmsops.moodle.plugins.module_utils.api import MoodleAPI
from ansible_collections.lmsops.moodle.plugins.module_utils.client import MoodleClient
from ansible_collections.lmsops.moodle.plugins.modules.moodle_user import (
    MoodleUserModule, compare, moodle_payload, user_fields, wanted_fields)
from ansible_collections.lmsops.moodle.tests.unit.plugins.module_args import build_module
from ansible_collections.lmsops.moodle.tests.unit.plugins.modules.conftest import writes

# A user as core_user_get_users_by_field returns it (recorded on Moodle 5.1): empty fields are absent.
ALICE = {'id': 3, 'username': 'alice', 'firstname': 'Alice', 'lastname': 'Liddell', 'fullname': 'Alice Liddell',
         'email': 'alice@example.com', 'department': '', 'idnumber': 'A-1', 'auth': 'manual', 'suspended': False,
         'confirmed': True, 'lang': 'en', 'theme': '', 'timezone': '99', 'mailformat': 1, 'city': 'Oxford',
         'country': 'GB',
         'customfields': [{'type': 'text', 'value': 'D42', 'name': 'Desk', 'shortname': 'desk'}]}


def item(**options):
    base = dict((name, spec.get('default')) for name, spec in MoodleUserModule.item_options.items())
    base.update(options)
    return base


@pytest.fixture(name='validator')
def validator_fixture(emulator):
    """The module built for one step, with the real API and client on the emulator (nothing is read here)."""
    api = MoodleAPI(MoodleClient(emulator.url, emulator.tokens['full']))
    return build_module(MoodleUserModule, api, {})


def test_same_values_in_other_case_are_unchanged():
    before, after = compare(user_fields(ALICE), wanted_fields(item(username='alice', email='ALICE@Example.COM',
                                                                   country='gb', firstname='Alice ')))
    assert before == {} and after == {}


def test_only_fields_set_are_compared():
    before, after = compare(user_fields(ALICE), wanted_fields(item(username='alice', city='London')))
    assert (before, after) == ({'city': 'Oxford'}, {'city': 'London'})


def test_missing_fields_compare_as_empty():
    before, after = compare(user_fields(ALICE), wanted_fields(item(username='alice', institution='', description='x')))
    assert before == {'description': ''} and after == {'description': 'x'}


def test_booleans_are_normalised():
    assert compare(user_fields(ALICE), wanted_fields(item(username='alice', suspended=False))) == ({}, {})
    before, after = compare(user_fields(dict(ALICE, suspended=1)),
                            wanted_fields(item(username='alice', suspended=False)))
    assert (before, after) == ({'suspended': True}, {'suspended': False})


def test_customfields_compare_per_shortname_and_as_text():
    wanted = wanted_fields(item(username='alice', customfields={'desk': 'D42', 'floor': 3}))
    before, after = compare(user_fields(ALICE), wanted)
    assert before == {'customfields': {'floor': ''}} and after == {'customfields': {'floor': '3'}}


def test_payload_encodes_customfields_and_keeps_the_email_as_written():
    fields = wanted_fields(item(username='alice', email='Alice@Example.com', customfields={'desk': 'D1'}))
    payload = moodle_payload(item(username='alice', email='Alice@Example.com'), fields)
    assert payload == {'email': 'Alice@Example.com', 'customfields': [{'type': 'desk', 'value': 'D1'}]}


def test_create_payload_never_carries_suspended_and_uses_createpassword(validator):
    module = validator
    payload = module._create_payload(item(username='sid', firstname='S', lastname='D', email='s@x.org',
                                          create_password=True, suspended=True))
    assert 'suspended' not in payload and payload['createpassword'] is True and 'password' not in payload


def test_validation_names_each_problem_and_its_fix(validator):
    module = validator
    assert any("use 'alice'" in p for p in module.validate_item(item(username='Alice')))
    assert any('lowercase letters, digits' in p for p in module.validate_item(item(username='al ice')))
    assert any('e-mail' in p for p in module.validate_item(item(username='a', email='not-an-email')))
    assert any('two-letter' in p for p in module.validate_item(item(username='a', country='England')))
    assert any('state=absent' in p for p in module.validate_item(item(username='a', state='absent', city='x')))
    assert module.validate_item(item(username='a.b-c_d@e', email='a.b+c@example.org', country='gb')) == []


def test_passwords_become_secrets_of_the_client(validator):
    module = validator
    module.validate_item(item(username='a', password='Sup3r#secret'))
    assert module.client.redact('x Sup3r#secret y') == 'x ******** y'


def test_creation_needs_names_email_and_a_password():
    problems = MoodleUserModule._creation_problems(item(username='a', email='a@x.org'))
    assert problems[0] == 'firstname, lastname required to create the user'
    assert problems[1].startswith('a new user with auth manual needs password or create_password: true')
    # is_internal() false (auth/oauth2/classes/auth.php; auth/db/auth.php with its installed plaintext passtype)
    for auth in ('ldap', 'oauth2', 'db'):
        assert MoodleUserModule._creation_problems(item(username='a', firstname='A', lastname='B', email='a@x.org',
                                                        auth=auth)) == []
    # nologin, none, lti... are internal for Moodle (is_internal() true): it refuses them without a password
    for auth in ('nologin', 'lti', 'email'):
        assert 'needs password' in MoodleUserModule._creation_problems(item(
            username='a', firstname='A', lastname='B', email='a@x.org', auth=auth))[0]


# -- whole runs against the emulator ------------------------------------------------------------------------
NEW = dict(firstname='New', lastname='User', password='Secret#2026')
# Users a seed adds to the recordings' site (guest 1, admin 2, the token's user): ids 3, 4...
ALICE_SEED = dict(username='alice', firstname='Alice', lastname='Liddell', email='alice@example.com',
                  password='Alice#2026')
BOB_SEED = dict(username='bob', firstname='Bob', lastname='Builder', email='Bob@Example.org', password='Bob#20266')


def person(name, **fields):
    return dict(dict(username=name, firstname=name.title(), lastname='Tester', email='%s@example.org' % name,
                     password='Secret#%s1' % name.title()), **fields)


PEOPLE = [person('ann'), person('ben'), person('cat')]


def seed(emulator, *users, **settings):
    """The recordings' site with these users (seed fields) and settings."""
    emulator.reseed({'extends': 'recordings', 'users': list(users), 'settings': settings})


def site_users(emulator, *names):
    """{username: record} of the site's live users with these usernames."""
    with emulator.lock:
        return dict((user['username'], dict(user)) for user in emulator.state.users.values()
                    if not user.get('deleted') and user['username'] in names)


def site_user(emulator, name):
    return site_users(emulator, name)[name]


def calls(emulator):
    """Every function the last run called, in order."""
    return [entry['wsfunction'] for entry in emulator.requests]


def token_user(emulator, username):
    """Give the token named full to another user (a least-privilege automation account, or back to admin)."""
    with emulator.lock:
        emulator.state.tokens[emulator.tokens['full']]['userid'] = emulator.state.user_by_username[username]


def run(run_on_emulator, **options):
    return run_on_emulator(MoodleUserModule, **options)


# -- plan and apply ---------------------------------------------------------------------------------------------
def test_users_are_created_in_one_write_and_a_rerun_reads_only(emulator, run_on_emulator):
    result = run(run_on_emulator, users=PEOPLE)
    assert result['changed'] and [u['action'] for u in result['users']] == ['created'] * 3
    assert writes(emulator) == [('core_user_create_users', None)]
    assert sorted(site_users(emulator, 'ann', 'ben', 'cat')) == ['ann', 'ben', 'cat']
    assert emulator.state.check_password('ann', 'Secret#Ann1')
    again = run(run_on_emulator, users=PEOPLE)
    assert not again['changed'] and again['summary'] == {'unchanged': 3}
    assert writes(emulator) == []
    assert 'Secret#Ann1' not in str(again)


def test_check_mode_predicts_the_real_run_and_writes_nothing(emulator, run_on_emulator):
    run(run_on_emulator, users=PEOPLE[:2])
    wanted = [person('ann', city='Leeds'), PEOPLE[1], PEOPLE[2], dict(username='nobody', state='absent')]
    predicted = run_on_emulator(MoodleUserModule, check_mode=True, diff=True, users=wanted)
    assert writes(emulator) == [] and 'cat' not in site_users(emulator, 'cat')
    done = run_on_emulator(MoodleUserModule, diff=True, users=wanted)
    assert [u['action'] for u in predicted['users']] == [u['action'] for u in done['users']] == [
        'updated', 'unchanged', 'created', 'unchanged']
    assert predicted['diff'] == done['diff']
    assert predicted['diff'][0] == dict(before_header='user ann', after_header='user ann', before={'city': ''},
                                        after={'city': 'Leeds'})
    assert site_user(emulator, 'ann')['city'] == 'Leeds' and 'cat' in site_users(emulator, 'cat')


def test_an_update_sends_only_what_differs(emulator, run_on_emulator):
    run(run_on_emulator, users=PEOPLE)
    result = run(run_on_emulator, users=[person('ben', city='York', department='Physics')])
    assert result['users'][0]['changed_fields'] == ['city', 'department']
    update = [entry for entry in emulator.requests if entry.get('write')]
    # users[0][id], [city], [department]: the names, e-mail and password given are the same, so not sent
    assert [(entry['wsfunction'], entry['fields']) for entry in update] == [('core_user_update_users', 3 + 3)]
    assert site_user(emulator, 'ben')['city'] == 'York'


def test_state_given_next_to_the_list_applies_to_every_user(emulator, run_on_emulator):
    seed(emulator, dict(username='sm1', firstname='S', lastname='M', email='sm1@example.com'))
    result = run(run_on_emulator, state='absent',
                 users=[{'username': 'sm1'}, dict(NEW, username='sm2', email='sm2@x.org')])
    assert result['failed'] and 'users[1] (sm2): state=absent deletes the user' in result['msg']
    assert writes(emulator) == [] and 'sm1' in site_users(emulator, 'sm1')
    result = run(run_on_emulator, state='absent', users=[{'username': 'sm1'}, {'username': 'sm2'}])
    assert [u['action'] for u in result['users']] == ['deleted', 'unchanged']
    assert writes(emulator) == [('core_user_delete_users', None)] and site_users(emulator, 'sm1') == {}


def test_options_given_next_to_the_list_are_defaults_and_an_item_s_own_value_wins(emulator, run_on_emulator):
    result = run(run_on_emulator, city='Paris', create_password=True, firstname='F', lastname='L',
                 users=[{'username': 'u1', 'email': 'u1@x.org'},
                        {'username': 'u2', 'email': 'u2@x.org', 'password': 'Secret#2026'}])
    assert not result.get('failed'), result['msg']
    assert [u['changed_fields'] for u in result['users']] == [
        ['city', 'email', 'firstname', 'lastname'], ['city', 'email', 'firstname', 'lastname', 'password']]
    users = site_users(emulator, 'u1', 'u2')
    assert [(users[name]['city'], users[name]['firstname']) for name in ('u1', 'u2')] == [('Paris', 'F')] * 2
    # u1: a password Moodle generated (createpassword); u2: its own password, the top-level create_password dropped
    assert users['u1']['password'] and not emulator.state.check_password('u1', 'Secret#2026')
    assert emulator.state.check_password('u2', 'Secret#2026')


# -- e-mail addresses -------------------------------------------------------------------------------------------
def test_an_address_in_use_fails_the_run_before_any_write_naming_both_accounts(emulator, run_on_emulator):
    seed(emulator, ALICE_SEED)
    result = run(run_on_emulator, users=[dict(NEW, username='ok1', email='ok1@example.com'),
                                         dict(NEW, username='dup', email='Alice@Example.com')])
    assert result['failed'] and writes(emulator) == [] and site_users(emulator, 'ok1') == {}
    assert "users[1] (dup): the e-mail address Alice@Example.com is already used by user 'alice'" in result['msg']
    assert 'debugging' not in result['msg']


def test_the_same_new_address_twice_and_an_e_mail_change_onto_another_account(emulator, run_on_emulator):
    seed(emulator, ALICE_SEED)
    result = run(run_on_emulator, users=[dict(NEW, username='n1', email='same@x.org'),
                                         dict(NEW, username='n2', email='SAME@x.org'),
                                         dict(username='admin', email='ALICE@example.COM')])
    assert result['failed'] and writes(emulator) == []
    assert "users[1] (n2): the e-mail address SAME@x.org is also given to users[0] (n1)" in result['msg']
    assert "users[2] (admin): the e-mail address ALICE@example.COM is already used by user 'alice'" in result['msg']
    assert site_user(emulator, 'admin')['email'] == 'admin@moodle.example.test'


def test_an_address_freed_in_the_same_run_is_not_a_duplicate(emulator, run_on_emulator):
    seed(emulator, ALICE_SEED)
    result = run(run_on_emulator, users=[dict(username='alice', state='absent'),
                                         dict(NEW, username='alice2', email='alice@example.com')])
    assert not result.get('failed'), result['msg']
    assert [u['action'] for u in result['users']] == ['deleted', 'created']
    # the deletion goes first: Moodle's delete_user() replaces the address, so the create finds it free
    assert writes(emulator) == [('core_user_delete_users', None), ('core_user_create_users', None)]
    assert site_users(emulator, 'alice', 'alice2').keys() == {'alice2'}
    assert site_user(emulator, 'alice2')['email'] == 'alice@example.com'


def test_allow_duplicate_emails_skips_the_check_for_sites_that_allow_them(emulator, run_on_emulator):
    seed(emulator, ALICE_SEED, allowaccountssameemail=True)
    result = run(run_on_emulator, allow_duplicate_emails=True,
                 users=[dict(NEW, username='dup', email='alice@example.com')])
    assert result['users'][0]['action'] == 'created'
    assert writes(emulator) == [('core_user_create_users', None)]
    # the usernames were read; no look-up of the address was made
    assert calls(emulator).count('core_user_get_users_by_field') == 1
    assert site_user(emulator, 'dup')['email'] == site_user(emulator, 'alice')['email'] == 'alice@example.com'


def test_allow_duplicate_emails_on_a_site_that_refuses_them_fails_naming_the_owner(emulator, run_on_emulator):
    seed(emulator, ALICE_SEED)
    result = run(run_on_emulator, allow_duplicate_emails=True,
                 users=[dict(NEW, username='dup', email='alice@example.com')])
    # allowaccountssameemail is off here: Moodle refuses the create (the module was told not to check)
    assert result['failed'] and result['users'][0]['action'] == 'failed'
    assert writes(emulator) == [('core_user_create_users', 'invalidparameter')]
    assert result['users'][0]['failed'].startswith(
        "the e-mail address alice@example.com is already used by user 'alice'")
    assert site_users(emulator, 'dup') == {}


def test_an_address_taken_after_the_check_is_named_first_when_moodle_refuses_it(emulator, run_on_emulator):
    # Another run creates alice, with the address, between this run's check and its create.
    emulator.faults(functions=['core_user_create_users'], concurrent={'users': [ALICE_SEED]})
    result = run(run_on_emulator, users=[dict(NEW, username='dup', email='alice@example.com')])
    entry = result['users'][0]
    assert result['failed'] and entry['action'] == 'failed' and entry['failed'].startswith(
        "the e-mail address alice@example.com is already used by user 'alice'")
    assert 'debugging' not in entry['failed'] and 'Invalid parameter value detected' in entry['failed']
    assert writes(emulator) == [('core_user_create_users', 'invalidparameter')]
    assert site_users(emulator, 'dup') == {}


def test_core_moodle_cannot_find_an_address_stored_in_other_case_before_writing(emulator, run_on_emulator):
    # core_user_get_users_by_field is an exact match: Bob@Example.org is not found from bob@example.org, Moodle
    # refuses the batch while writing (its check ignores case), and the rejected user is isolated by bisection
    # (the documented limit of core Moodle).
    seed(emulator, BOB_SEED)
    result = run(run_on_emulator, users=[dict(NEW, username='ok1', email='ok1@example.com'),
                                         dict(NEW, username='dup', email='bob@example.org')])
    assert [u['action'] for u in result['users']] == ['created', 'failed']
    assert result['users'][1]['failed'].startswith('core_user_create_users: Invalid parameter value detected')
    # the pair refused whole, then each user alone: ok1 created, dup refused
    assert writes(emulator) == [('core_user_create_users', 'invalidparameter'), ('core_user_create_users', None),
                                ('core_user_create_users', 'invalidparameter')]
    assert sorted(site_users(emulator, 'ok1', 'dup')) == ['ok1']


# -- suspension, the token's own user and site administrators -----------------------------------------------
def test_a_new_user_left_active_by_a_refused_suspension_is_reported_created_and_fails(emulator, run_on_emulator):
    # Moodle creates users active; the suspension is a second call (core_user_update_users). Its answer is forced:
    # a warning for s1 (id 3), as Moodle 5.1 words it for a user deleted meanwhile (usernotupdateddeleted has no
    # language string: the message is "error/<code>" while debugging is off), which the emulator cannot be driven to.
    emulator.faults(functions=['core_user_update_users'], answer={'warnings': [dict(
        item='user', itemid=3, warningcode='usernotupdateddeleted', message='error/usernotupdateddeleted')]})
    result = run(run_on_emulator, users=[dict(NEW, username='s1', email='s1@x.org', suspended=True),
                                         dict(NEW, username='s2', email='s2@x.org', suspended=True)])
    assert result['failed'] and result['changed']
    first, second = result['users']
    assert first['id'] == 3 and second['id'] == 4
    assert first['action'] == 'created' and 'NOT suspended' in first['failed']
    assert 'Moodle answered the suspension with: error/usernotupdateddeleted (usernotupdateddeleted)' in first['failed']
    assert 'suspended' not in first['changed_fields'] and 'suspended' in second['changed_fields']
    assert second['action'] == 'created' and 'failed' not in second
    assert result['summary'] == {'created': 2}
    assert writes(emulator) == [('core_user_create_users', None), ('core_user_update_users', None)]
    # the forced answer stands for the call: nothing was written by it
    assert not site_user(emulator, 's1')['suspended'] and not site_user(emulator, 's2')['suspended']


def test_new_users_asked_suspended_are_created_then_suspended(emulator, run_on_emulator):
    result = run(run_on_emulator, users=[dict(NEW, username='s1', email='s1@x.org', suspended=True),
                                         dict(NEW, username='s2', email='s2@x.org')])
    assert not result.get('failed'), result['msg']
    assert [u['action'] for u in result['users']] == ['created', 'created']
    assert 'suspended' in result['users'][0]['changed_fields']
    # core_user_create_users has no suspended (Moodle refuses an unexpected key): a follow-up update suspends s1
    assert writes(emulator) == [('core_user_create_users', None), ('core_user_update_users', None)]
    assert site_user(emulator, 's1')['suspended'] and not site_user(emulator, 's2')['suspended']
    assert not run(run_on_emulator, users=[dict(NEW, username='s1', email='s1@x.org', suspended=True)])['changed']


def test_the_token_s_own_user_keeps_what_the_token_needs(emulator, run_on_emulator):
    seed(emulator, ALICE_SEED)
    token_user(emulator, 'alice')      # a least-privilege token user
    refused = run(run_on_emulator, users=[dict(username='alice', suspended=True),
                                          dict(username='alice2', state='absent')])
    assert refused['failed'] and writes(emulator) == []
    assert "users[0] (alice): this is the token's own user: changing its suspended" in refused['msg']
    assert 'allow_admin_changes: true' in refused['msg']
    assert run(run_on_emulator, username='alice', city='Oxford')['user']['action'] == 'updated'
    assert site_user(emulator, 'alice')['city'] == 'Oxford' and not site_user(emulator, 'alice')['suspended']
    allowed = run(run_on_emulator, username='alice', suspended=True, allow_admin_changes=True)
    assert allowed['user']['action'] == 'updated' and site_user(emulator, 'alice')['suspended']
    assert writes(emulator) == [('core_user_update_users', None)]


def test_site_administrators_are_not_changed_or_deleted_without_allow_admin_changes(emulator, run_on_emulator):
    seed(emulator, ALICE_SEED)
    token_user(emulator, 'alice')
    changed = run(run_on_emulator, username='admin', email='x@example.org')
    assert writes(emulator) == []
    deleted = run(run_on_emulator, username='admin', state='absent')
    assert changed['failed'] and deleted['failed'] and writes(emulator) == []
    assert 'site administrator (the administrator Moodle\'s installer creates): changing its email' in changed['msg']
    assert 'deleting it' in deleted['msg']
    token_user(emulator, 'admin')
    own_admin = run(run_on_emulator, username='admin', city='Lisbon')
    assert "site administrator (the token's own user): changing its city" in own_admin['msg']
    assert writes(emulator) == [] and site_user(emulator, 'admin')['city'] == ''
    allowed = run(run_on_emulator, username='admin', city='Lisbon', allow_admin_changes=True)
    assert allowed['user']['action'] == 'updated' and site_user(emulator, 'admin')['city'] == 'Lisbon'


def test_a_deletion_moodle_refuses_for_one_user_is_narrowed_to_it_and_the_rest_deleted(emulator, run_on_emulator):
    # boss is a site administrator core Moodle does not show as one (only the token's own user's status is told):
    # Moodle refuses the whole core_user_delete_users call (useradminodelete); the module halves it down to boss.
    seed(emulator, person('ann'), dict(person('boss'), siteadmin=True), person('cat'))
    result = run(run_on_emulator, state='absent', users=[{'username': 'ann'}, {'username': 'boss'},
                                                         {'username': 'cat'}])
    assert result['failed'] and [u['action'] for u in result['users']] == ['deleted', 'failed', 'deleted']
    assert 'Administrator accounts cannot be deleted' in result['users'][1]['failed']
    assert writes(emulator) == [('core_user_delete_users', 'useradminodelete'), ('core_user_delete_users', None),
                                ('core_user_delete_users', 'useradminodelete'),
                                ('core_user_delete_users', 'useradminodelete'), ('core_user_delete_users', None)]
    assert sorted(site_users(emulator, 'ann', 'boss', 'cat')) == ['boss']


# -- another writer between the read and the write ---------------------------------------------------------
def another_writer(emulator, **users):
    """Just before our create, another run creates these users (username -> firstname), with our other values."""
    emulator.faults(functions=['core_user_create_users'], concurrent={'users': [
        dict(username=name, firstname=firstname, lastname='User', email='%s@x.org' % name)
        for name, firstname in users.items()]})


def test_a_user_another_writer_created_with_our_values_is_unchanged_not_created(emulator, run_on_emulator):
    another_writer(emulator, racer='New')
    result = run(run_on_emulator, users=[dict(NEW, username='racer', email='racer@x.org'),
                                         dict(NEW, username='fresh', email='fresh@x.org')])
    assert not result.get('failed'), result['msg']
    assert [(u['username'], u['action']) for u in result['users']] == [('racer', 'unchanged'), ('fresh', 'created')]
    assert any('another writer created these users' in w and 'values asked' in w for w in result['warnings'])
    assert not any('Moodle applied the write' in w for w in result['warnings'])
    # Moodle refused the pair (racer's username was taken); fresh alone was sent once more
    assert writes(emulator) == [('core_user_create_users', 'invalidparameter'), ('core_user_create_users', None)]
    assert sorted(site_users(emulator, 'racer', 'fresh')) == ['fresh', 'racer']


def test_a_user_another_writer_created_with_other_values_is_updated_once_and_said(emulator, run_on_emulator):
    another_writer(emulator, racer='Alpha')
    result = run(run_on_emulator, users=[dict(NEW, username='racer', firstname='Beta', email='racer@x.org')])
    assert not result.get('failed'), result['msg']
    assert result['users'][0]['action'] == 'updated' and result['users'][0]['changed_fields'] == ['firstname']
    assert writes(emulator) == [('core_user_create_users', 'invalidparameter'), ('core_user_update_users', None)]
    assert site_user(emulator, 'racer')['firstname'] == 'Beta'
    assert any('with other values' in w for w in result['warnings'])
    again = run(run_on_emulator, users=[dict(NEW, username='racer', firstname='Beta', email='racer@x.org')])
    assert not again['changed'] and again['users'][0]['action'] == 'unchanged' and writes(emulator) == []


def test_a_refused_update_after_a_race_fails_naming_the_fields(emulator, run_on_emulator):
    another_writer(emulator, racer='Alpha')
    # racer takes the next id (3); the update of it is answered with a warning Moodle gives for, e.g., an
    # administrator the token's user may not change
    emulator.faults(functions=['core_user_update_users'], answer={'warnings': [dict(
        item='user', itemid=3, warningcode='usernotupdatedadmin', message='Cannot update admin accounts')]})
    result = run(run_on_emulator, users=[dict(NEW, username='racer', firstname='Beta', email='racer@x.org')])
    assert result['failed'] and result['users'][0]['action'] == 'failed' and result['users'][0]['id'] == 3
    assert 'another writer created this user first, with firstname differing' in result['users'][0]['failed']
    assert 'Cannot update admin accounts (usernotupdatedadmin)' in result['users'][0]['failed']
    assert writes(emulator) == [('core_user_create_users', 'invalidparameter'), ('core_user_update_users', None)]
    assert site_user(emulator, 'racer')['firstname'] == 'Alpha'


def test_a_user_another_writer_creates_meanwhile_is_settled_and_the_rest_sent_again_once(emulator, run_on_emulator):
    # Between this run's read and its create, another writer creates ben with the same values.
    emulator.faults(functions=['core_user_create_users'], concurrent={'users': [
        dict(username='ben', firstname='Ben', lastname='Tester', email='ben@example.org')]})
    result = run(run_on_emulator, users=PEOPLE)
    assert not result.get('failed'), result.get('msg')
    assert dict((u['username'], u['action']) for u in result['users']) == dict(ann='created', ben='unchanged',
                                                                               cat='created')
    # Moodle refused the first create as a whole (ben's username was taken); ann and cat were sent once more.
    assert writes(emulator) == [
        ('core_user_create_users', 'invalidparameter'), ('core_user_create_users', None)]
    assert any('another writer' in warning for warning in result['warnings'])


def test_a_lost_answer_is_read_again_and_what_was_done_is_reported(emulator, run_on_emulator):
    emulator.faults(functions=['core_user_create_users'], drop='after')
    result = run(run_on_emulator, users=PEOPLE[:2])
    assert result['failed'] and 'Re-read the site' in result['msg']
    # The create ran before the answer was lost: the re-read finds both users, and nothing is sent twice.
    assert [u['action'] for u in result['users']] == ['created', 'created']
    assert [function for function, dummy in writes(emulator)] == ['core_user_create_users']
    assert sorted(site_users(emulator, 'ann', 'ben')) == ['ann', 'ben']


# -- Moodle's field rules (plugins/module_utils/field_rules.py) -----------------------------------------------
def test_each_value_moodle_would_refuse_fails_the_run_before_any_write_naming_field_and_rule(emulator,
                                                                                             run_on_emulator):
    bad = [dict(NEW, username='h1', email='h1@x.org', city='<b>Paris</b>'),
           dict(NEW, username='h2', email='h2@x.org', institution='<i>Uni</i>'),
           dict(NEW, username='h3', email='h3@x.org', department='<script>x</script>Dept'),
           dict(NEW, username='h4', email='h4@x.org', firstname='<b>Al</b>'),
           dict(NEW, username='h5', email='h5@x.org', firstname='F' * 120),
           dict(NEW, username='h6', email='h6@x.org', idnumber='9' * 256),
           dict(NEW, username='h7', email='h7@x.org', country='XX'),
           dict(NEW, username='h8', email='h8@x.org', lang='xx'),
           dict(NEW, username='h9', email='h9@x.org', timezone='Mars/Olympus'),
           dict(NEW, username='h10', email='h10@x.org', auth='nosuchplugin'),
           dict(NEW, username='h11', email='not an address'),
           dict(NEW, username='ok', email='ok@x.org')]
    result = run(run_on_emulator, users=bad)
    assert result['failed'] and writes(emulator) == []
    assert result['msg'].startswith('11 problem(s) in the input; nothing was changed')
    expected = ["users[0] (h1): city '<b>Paris</b>': Moodle removes HTML tags", 'PARAM_TEXT',
                "users[1] (h2): institution '<i>Uni</i>'", "users[2] (h3): department",
                "users[3] (h4): firstname '<b>Al</b>'", 'PARAM_NOTAGS',
                'users[4] (h5): firstname', 'is 120 characters long; Moodle stores at most 100',
                'users[5] (h6): idnumber', 'is 256 characters long; Moodle stores at most 255',
                "users[6] (h7): country 'XX' is not a country code Moodle knows",
                "users[7] (h8): lang 'xx' is not a language code Moodle knows",
                "users[8] (h9): timezone 'Mars/Olympus' is not a time zone Moodle lists",
                "users[9] (h10): auth 'nosuchplugin' is not an authentication plugin of Moodle",
                "users[10] (h11): email 'not an address' is not an e-mail address Moodle accepts"]
    for text in expected:
        assert text in result['msg'], text
    assert 'users[11]' not in result['msg'] and site_users(emulator, 'ok') == {}


def test_auth_plugins_follow_the_site_s_version(emulator, run_on_emulator):
    result = run(run_on_emulator, users=[dict(NEW, username='c1', email='c1@x.org', auth='cas')])
    assert result['failed'] and "auth 'cas' is not an authentication plugin of Moodle 5.1" in result['msg']
    assert writes(emulator) == []
    result = run(run_on_emulator, users=[dict(NEW, username='w1', email='w1@x.org', auth='webservice')])
    assert result['failed'] and 'does not create users of the webservice plugin' in result['msg']
    assert writes(emulator) == []
    emulator.reseed('recordings-4.5')
    result = run(run_on_emulator, users=[dict(NEW, username='c1', email='c1@x.org', auth='cas')])
    assert not result.get('failed'), result['msg']
    assert writes(emulator) == [('core_user_create_users', None)] and site_user(emulator, 'c1')['auth'] == 'cas'


def test_extra_auth_plugins_lets_an_add_on_plugin_through_to_moodle(emulator, run_on_emulator):
    saml = [dict(NEW, username='s1', email='s1@x.org', auth='saml2')]
    refused = run(run_on_emulator, users=saml)
    assert refused['failed'] and "auth 'saml2' is not an authentication plugin" in refused['msg']
    assert 'extra_auth_plugins' in refused['msg'] and writes(emulator) == []
    predicted = run_on_emulator(MoodleUserModule, check_mode=True, extra_auth_plugins=['saml2'], users=saml)
    assert not predicted.get('failed'), predicted['msg']
    assert predicted['users'][0]['action'] == 'created' and writes(emulator) == []
    # Declared, the user is sent: Moodle decides. This site has no auth/saml2 installed, so Moodle refuses it
    # (core_user_create_users: "Invalid authentication type", hidden while debugging is off).
    sent = run(run_on_emulator, extra_auth_plugins=['saml2'], users=saml)
    assert writes(emulator) == [('core_user_create_users', 'invalidparameter')]
    assert sent['users'][0]['action'] == 'failed' and 'sent alone with username, auth' in sent['users'][0]['failed']


def test_a_password_moodle_would_change_is_refused_without_showing_it(emulator, run_on_emulator):
    result = run(run_on_emulator, username='p1', firstname='P', lastname='One', email='p1@x.org',
                 password='Se\x00cret#1')
    assert result['failed'] and writes(emulator) == []
    assert 'password (the value is hidden)' in result['msg'] and 'cret#1' not in json.dumps(result)


def test_unicode_and_spaced_names_are_idempotent(emulator, run_on_emulator):
    users = [dict(NEW, username='nfc', email='nfc@x.org', firstname=unicodedata.normalize('NFC', u'Zoë'),
                  lastname=u'Ångström', city=u'Zürich'),
             dict(NEW, username='nfd', email='nfd@x.org', firstname=unicodedata.normalize('NFD', u'Zoë'),
                  lastname=unicodedata.normalize('NFD', u'Ångström')),
             dict(NEW, username='cjk', email='cjk@x.org', firstname=u'小明', lastname=u'王', city=u'東京'),
             dict(NEW, username='spaced', email=' Spaced@X.org ', firstname='  Ann ', lastname=' Lee  ',
                  city=' Paris ', country=' gb ')]
    first = run(run_on_emulator, users=users)
    assert not first.get('failed'), first['msg']
    assert [u['action'] for u in first['users']] == ['created'] * 4
    spaced = site_user(emulator, 'spaced')
    assert (spaced['firstname'], spaced['lastname'], spaced['city'], spaced['country'], spaced['email']) == (
        'Ann', 'Lee', 'Paris', 'GB', 'Spaced@X.org')
    assert site_user(emulator, 'cjk')['city'] == u'東京'
    second = run(run_on_emulator, users=users)
    assert [u['action'] for u in second['users']] == ['unchanged'] * 4, second['users']
    assert writes(emulator) == []


def test_a_refusal_the_rules_did_not_foresee_names_what_was_sent_and_the_likely_cause(emulator, run_on_emulator):
    # The site has no French language pack: Moodle's PARAM_LANG refuses 'fr', and the whole create with it.
    result = run(run_on_emulator, users=[dict(NEW, username='ok1', email='ok1@x.org'),
                                         dict(NEW, username='fr1', email='fr1@x.org', lang='fr', city='Lyon')])
    assert result['failed']
    assert [u['action'] for u in result['users']] == ['created', 'failed']
    failed = result['users'][1]['failed']
    assert failed.startswith('core_user_create_users: Invalid parameter value detected')
    assert 'this user was sent alone with username, city, email, firstname, lang, lastname, password' in failed
    assert "each value passed the module's checks of Moodle's rules" in failed
    assert "The likely cause: lang 'fr', a language the site is not known to have (known: en)" in failed
    assert 'Secret#2026' not in json.dumps(result)
    # bisected: the pair refused, then each alone
    assert writes(emulator) == [('core_user_create_users', 'invalidparameter'), ('core_user_create_users', None),
                                ('core_user_create_users', 'invalidparameter')]
    assert sorted(site_users(emulator, 'ok1', 'fr1')) == ['ok1']


def test_languages_the_site_shows_are_accepted(emulator, run_on_emulator):
    seed(emulator, dict(username='kurd', firstname='K', lastname='D', email='kurd@x.org', lang='kmr'),
         langs=['en', 'kmr'])
    result = run(run_on_emulator, users=[dict(NEW, username='k2', email='k2@x.org', lang='kmr')])
    assert result['failed'] and "lang 'kmr' is not a language code Moodle knows" in result['msg']
    assert writes(emulator) == []
    # kurd's record shows the site has the pack
    result = run(run_on_emulator, users=[{'username': 'kurd'}, dict(NEW, username='k2', email='k2@x.org', lang='kmr')])
    assert not result.get('failed'), result['msg']
    result = run(run_on_emulator, extra_languages=['kmr'],
                 users=[dict(NEW, username='k3', email='k3@x.org', lang='kmr')])
    assert not result.get('failed'), result['msg']
    assert [site_user(emulator, name)['lang'] for name in ('k2', 'k3')] == ['kmr', 'kmr']


def test_a_refusal_moodle_explains_itself_is_left_as_moodle_said_it(emulator, run_on_emulator):
    # Moodle's password policy (check_password_policy) is not checked before writing: its refusal says why.
    result = run(run_on_emulator, username='w1', firstname='W', lastname='One', email='w1@x.org', password='Weak')
    assert result['failed'] and 'Passwords must be at least 8 characters long' in result['user']['failed']
    assert 'did not say which value' not in result['user']['failed']
    assert result['user']['action'] == 'failed' and site_users(emulator, 'w1') == {}
    assert len(writes(emulator)) == 1 and writes(emulator)[0][1].startswith('<div>Passwords must be at least 8')


def test_an_update_moodle_refuses_whole_is_narrowed_to_the_user_and_the_rest_is_updated(emulator, run_on_emulator):
    seed(emulator, *[dict(username=name, firstname='U', lastname=name, email='%s@x.org' % name, city='Old')
                     for name in ('u5', 'u6', 'u7')])
    result = run(run_on_emulator, city='New', users=[{'username': 'u5'}, {'username': 'u6', 'lang': 'fr'},
                                                     {'username': 'u7'}])
    assert result['failed']
    assert [u['action'] for u in result['users']] == ['updated', 'failed', 'updated']
    users = site_users(emulator, 'u5', 'u6', 'u7')
    assert [users[name]['city'] for name in ('u5', 'u6', 'u7')] == ['New', 'Old', 'New']
    failed = result['users'][1]['failed']
    assert failed.startswith('core_user_update_users: Invalid parameter value detected')
    assert 'this user was sent alone with id, city, lang' in failed
    assert "The likely cause: lang 'fr'" in failed
    # validate_parameters() refuses the whole call before any user is written: halves until u6 is alone
    assert writes(emulator) == [('core_user_update_users', 'invalidparameter'), ('core_user_update_users', None),
                                ('core_user_update_users', 'invalidparameter'),
                                ('core_user_update_users', 'invalidparameter'), ('core_user_update_users', None)]


def test_many_users_comparing_listed_fields_are_read_from_the_site_list_not_one_profile_each(emulator,
                                                                                             run_on_emulator):
    people = [dict(username='p%02d' % n, firstname='P', lastname='N%d' % n, email='p%d@x.org' % n, city='Paris')
              for n in range(60)]
    seed(emulator, dict(people[0], city='Lyon'), *people[1:])
    result = run(run_on_emulator, users=people)
    assert result['summary'] == {'updated': 1, 'unchanged': 59} and result['users'][0]['changed_fields'] == ['city']
    # the probe past 2 users per username, the list; no user looked up by username
    assert calls(emulator) == ['core_webservice_get_site_info', 'core_enrol_get_enrolled_users',
                               'core_enrol_get_enrolled_users', 'core_user_update_users']
    assert site_user(emulator, 'p00')['city'] == 'Paris'
    result = run(run_on_emulator, users=people[:59] + [dict(people[59], lang='en')])
    # lang is not in the list: every user is looked up as before, in one call
    assert result['summary'] == {'unchanged': 60}
    assert calls(emulator) == ['core_webservice_get_site_info', 'core_user_get_users_by_field']
