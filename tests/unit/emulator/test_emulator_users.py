# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""core_user_create_users and core_user_update_users as Moodle's PHP has them (4.5.5+ and 5.1+ trees):
the refusals of update and their order, the authentication plugins each release has, and which of them need a
password."""

from __future__ import annotations

import pytest

MANAGER_TOKEN = 'c' * 32
ADMIN2_TOKEN = 'd' * 32
INVALID_PASSWORD = 'Invalid password: you must provide a password, or set createpassword.'


def new_user(name, **extra):
    params = {'users[0][username]': name, 'users[0][firstname]': name.title(), 'users[0][lastname]': 'Test',
              'users[0][email]': '%s@example.com' % name}
    params.update({'users[0][%s]' % key: value for key, value in extra.items()})
    return params


def warnings_of(ws, token='full', **fields):
    params = {'users[0][%s]' % key: str(value) for key, value in fields.items()}
    return ws('core_user_update_users', params, token=token).json()['warnings']


@pytest.fixture
def site_with_manager(emulator):
    """The recordings site plus a non-admin token user (manager, id 3), a second site admin (admin2, id 4) and bob (5)."""
    emulator.reseed({
        'extends': 'recordings',
        'users': [{'id': 3, 'username': 'manager', 'firstname': 'Man', 'lastname': 'Ager', 'email': 'm@x.test'},
                  {'id': 4, 'username': 'admin2', 'firstname': 'Ad', 'lastname': 'Two', 'email': 'a2@x.test',
                   'siteadmin': True},
                  {'id': 5, 'username': 'bob', 'firstname': 'Bob', 'lastname': 'B', 'email': 'bob@x.test'}],
        'tokens': [{'name': 'manager', 'token': MANAGER_TOKEN, 'user': 'manager', 'service': 'lmsops_full'},
                   {'name': 'admin2', 'token': ADMIN2_TOKEN, 'user': 'admin2', 'service': 'lmsops_full'}]})
    return emulator


# --------------------------------------------------------------------------- update: admins
def test_a_non_admin_token_user_cannot_update_a_site_admin(ws, site_with_manager):
    # user/externallib.php update_users (5.1 public/ l.582-585, 4.5 l.574-577):
    # $existinguser->id != $USER->id and is_siteadmin($existinguser) and !is_siteadmin($USER) => usernotupdatedadmin,
    # whose string is lang/en/error.php 'Cannot update admin accounts'.
    site = site_with_manager.state
    for target in (2, 4):
        assert warnings_of(ws, MANAGER_TOKEN, id=target, city='Nowhere') == [
            {'item': 'user', 'itemid': target, 'warningcode': 'usernotupdatedadmin',
             'message': 'Cannot update admin accounts'}]
        assert site.users[target]['city'] != 'Nowhere'
    # The same message with developer debugging (recordings: invaliduserid's message carries no debuginfo either).
    site_with_manager.set(debug=True)
    assert warnings_of(ws, MANAGER_TOKEN, id=2, city='X')[0]['message'] == 'Cannot update admin accounts'


def test_a_non_admin_may_update_itself_and_other_users_and_an_admin_may_update_admins(ws, site_with_manager):
    site = site_with_manager.state
    assert warnings_of(ws, MANAGER_TOKEN, id=3, city='Self') == []
    assert warnings_of(ws, MANAGER_TOKEN, id=5, city='Other') == []
    assert warnings_of(ws, 'full', id=4, city='Admin2') == []         # admin updating another admin
    assert warnings_of(ws, ADMIN2_TOKEN, id=4, city='Me') == []       # an admin updating itself
    assert [site.users[uid]['city'] for uid in (3, 5, 4)] == ['Self', 'Other', 'Me']


def test_the_admin_check_comes_before_the_email_checks(ws, site_with_manager):
    # 5.1 public/user/externallib.php l.582 (admin) precedes l.600-617 (email).
    assert warnings_of(ws, MANAGER_TOKEN, id=2, email='not an address')[0]['warningcode'] == 'usernotupdatedadmin'


# --------------------------------------------------------------------------- update: codes and messages
def test_update_refusals_carry_moodles_codes_and_messages(ws, emulator):
    # user/externallib.php update_users (5.1 public/ l.586-606, 4.5 l.578-598): usernotupdateddeleted,
    # usernotupdatedguest and useremailinvalid have no string in lang/en/error.php, so moodle_exception's message
    # is 'error/<code>' (lib/classes/exception/moodle_exception.php); useremailduplicate has 'Duplicate address'.
    answer = ws('core_user_create_users', {**new_user('alice', password='Secret#123'),
                                           'users[1][username]': 'bob', 'users[1][password]': 'Secret#123',
                                           'users[1][firstname]': 'Bob', 'users[1][lastname]': 'B',
                                           'users[1][email]': 'bob@example.com'}).json()
    alice, bob = answer[0]['id'], answer[1]['id']
    ws('core_user_delete_users', {'userids[0]': str(bob)})
    for debug in (False, True):
        emulator.set(debug=debug)
        assert warnings_of(ws, id=bob, city='X') == [
            {'item': 'user', 'itemid': bob, 'warningcode': 'usernotupdateddeleted',
             'message': 'error/usernotupdateddeleted'}]
        assert warnings_of(ws, id=1, city='X') == [
            {'item': 'user', 'itemid': 1, 'warningcode': 'usernotupdatedguest', 'message': 'error/usernotupdatedguest'}]
        assert warnings_of(ws, id=alice, email='not an address') == [
            {'item': 'user', 'itemid': alice, 'warningcode': 'useremailinvalid', 'message': 'error/useremailinvalid'}]
        assert warnings_of(ws, id=alice, email='Admin@Moodle.Example.test') == [
            {'item': 'user', 'itemid': alice, 'warningcode': 'useremailduplicate', 'message': 'Duplicate address'}]
    # Order: deleted before guest and e-mail checks.
    assert warnings_of(ws, id=bob, email='not an address')[0]['warningcode'] == 'usernotupdateddeleted'


# --------------------------------------------------------------------------- auth plugins per release
@pytest.mark.parametrize('seed, installed', [
    ('recordings', ('db', 'email', 'ldap', 'lti', 'manual', 'nologin', 'none', 'oauth2', 'shibboleth', 'webservice')),
    ('recordings-4.5', ('cas', 'db', 'email', 'ldap', 'lti', 'manual', 'mnet', 'nologin', 'none', 'oauth2',
                        'shibboleth', 'webservice'))])
def test_each_release_has_its_own_auth_plugins(emulator, seed, installed):
    # ls /work/shared/moodle trees: 4.5.5+ auth/ has cas and mnet, 5.1+ public/auth/ has neither.
    emulator.reseed(seed)
    assert emulator.state.auth_plugins() == installed


def test_cas_and_mnet_are_no_parameter_value_on_51(ws, emulator):
    # PARAM_AUTH is '' unless exists_auth_plugin() (lib/classes/param.php:1220), so validate_parameters() refuses the
    # value before the function runs, for create and update alike.
    emulator.set(debug=True)
    for auth in ('cas', 'mnet'):
        answer = ws('core_user_create_users', new_user('carol', auth=auth, password='Secret#123')).json()
        assert answer['errorcode'] == 'invalidparameter'
        assert answer['debuginfo'] == (
            'users => Invalid parameter value detected: auth => Invalid parameter value detected: Invalid external api '
            'parameter: the value is "%s", the server was expecting "auth" type' % auth)
        answer = ws('core_user_update_users', {'users[0][id]': '2', 'users[0][auth]': auth}).json()
        assert answer['errorcode'] == 'invalidparameter'
    assert 'carol' not in emulator.state.user_by_username


def test_cas_is_created_on_45_and_mnet_and_webservice_are_refused_by_create(ws, emulator):
    # user/externallib.php create_users l.143-145 (4.5 and 5.1): get_plugin_list('auth') without mnet and webservice.
    emulator.reseed('recordings-4.5')
    answer = ws('core_user_create_users', new_user('carol', auth='cas')).json()
    assert answer == [{'id': 3, 'username': 'carol'}]
    assert emulator.state.users[3]['password'] == 'not cached'      # cas is not internal: AUTH_PASSWORD_NOT_CACHED
    emulator.set(debug=True)
    for auth in ('mnet', 'webservice'):
        answer = ws('core_user_create_users', new_user('dave', auth=auth, password='Secret#123')).json()
        assert answer['errorcode'] == 'invalidparameter'
        assert answer['debuginfo'] == 'Invalid authentication type: ' + auth
    emulator.reseed('recordings')
    emulator.set(debug=True)
    answer = ws('core_user_create_users', new_user('dave', auth='webservice', password='Secret#123')).json()
    assert answer['debuginfo'] == 'Invalid authentication type: webservice'


# --------------------------------------------------------------------------- internal plugins
@pytest.mark.parametrize('seed', ['recordings', 'recordings-4.5'])
def test_which_plugins_need_a_password_on_create(ws, emulator, seed):
    # create_users: $authplugin->is_internal() && empty(password) && empty(createpassword) => refused (4.5 l.186,
    # 5.1 l.188). is_internal(): auth_plugin_base true (lib/authlib.php:204), kept by manual, email, nologin, none
    # and lti (no override); false for ldap, shibboleth, oauth2 (auth/oauth2/classes/auth.php:103) and db on an
    # installed site (auth/db/auth.php:628, passtype 'plaintext' by default: auth/db/settings.php:99).
    emulator.reseed(seed)
    emulator.set(debug=True)
    for auth in ('manual', 'email', 'nologin', 'none', 'lti'):
        answer = ws('core_user_create_users', new_user('u' + auth, auth=auth)).json()
        assert answer.get('debuginfo') == INVALID_PASSWORD, auth
        # internal: the password policy applies (user_create_user(), user/lib.php) ...
        answer = ws('core_user_create_users', new_user('u' + auth, auth=auth, password='weak')).json()
        assert answer['errorcode'].startswith('<div>Passwords must be at least 8 characters long.</div>'), auth
        answer = ws('core_user_create_users', new_user('u' + auth, auth=auth, password='Secret#123')).json()
        assert answer[0]['username'] == 'u' + auth
        assert emulator.state.check_password('u' + auth, 'Secret#123'), auth
    for auth in ('db', 'ldap', 'oauth2', 'shibboleth'):
        # ... not internal: no password needed, none checked or kept (AUTH_PASSWORD_NOT_CACHED).
        answer = ws('core_user_create_users', new_user('u' + auth, auth=auth, password='weak')).json()
        assert answer[0]['username'] == 'u' + auth, auth
        uid = answer[0]['id']
        assert emulator.state.users[uid]['password'] == 'not cached'


def test_update_changes_the_stored_password_only_where_the_plugin_can_change_it(ws, emulator):
    # user_update_user() (user/lib.php): $authplugin->can_change_password() then user_update_password(); manual, email
    # and none write the site's hash; nologin, webservice, lti and oauth2 cannot change passwords.
    for auth in ('manual', 'email', 'none', 'nologin', 'lti', 'oauth2'):
        uid = ws('core_user_create_users', new_user('u' + auth, auth=auth, password='Secret#123')).json()[0]['id']
        before = emulator.state.users[uid]['password']
        assert warnings_of(ws, id=uid, password='Other#987') == []
        changed = emulator.state.users[uid]['password'] != before
        assert changed == (auth in ('manual', 'email', 'none')), auth
    uid = emulator.state.user_by_username['umanual']
    assert warnings_of(ws, id=uid, auth='webservice', password='Third#654') == []
    assert emulator.state.check_password('umanual', 'Other#987')


def test_update_checks_the_password_policy_for_every_auth_plugin(ws, emulator):
    # user_update_user($user, true, false) (user/lib.php, 4.5 and 5.1): check_password_policy() fails =>
    # moodle_exception($errmsg): code = the HTML list, message 'error/' + it (as recorded for create:
    # recordings/*/user_create_weak_password); nothing of that user is written.
    errmsg = '<div>Passwords must have at least 1 digit(s).</div>'
    for auth in ('manual', 'oauth2'):
        uid = ws('core_user_create_users', new_user('u' + auth, auth=auth, password='Secret#123')).json()[0]['id']
        before = dict(emulator.state.users[uid])
        assert warnings_of(ws, id=uid, password='Secret#abc', city='Paris') == [
            {'item': 'user', 'itemid': uid, 'warningcode': errmsg, 'message': 'error/' + errmsg}]
        assert emulator.state.users[uid] == before
