# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_user's comparison, normalisation and validation, without a site."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import unicodedata

from ansible_collections.lmsops.moodle.plugins.module_utils.client import MoodleError
from ansible_collections.lmsops.moodle.plugins.modules.moodle_user import (
    MoodleUserModule, compare, moodle_payload, user_fields, wanted_fields)
from ansible_collections.lmsops.moodle.tests.unit.plugins.module_args import build_module, run_module

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


def validator():
    return build_module(MoodleUserModule, FakeSite(), {})


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
    before, after = compare(user_fields(dict(ALICE, suspended=1)), wanted_fields(item(username='alice', suspended=False)))
    assert (before, after) == ({'suspended': True}, {'suspended': False})


def test_customfields_compare_per_shortname_and_as_text():
    wanted = wanted_fields(item(username='alice', customfields={'desk': 'D42', 'floor': 3}))
    before, after = compare(user_fields(ALICE), wanted)
    assert before == {'customfields': {'floor': ''}} and after == {'customfields': {'floor': '3'}}


def test_payload_encodes_customfields_and_keeps_the_email_as_written():
    fields = wanted_fields(item(username='alice', email='Alice@Example.com', customfields={'desk': 'D1'}))
    payload = moodle_payload(item(username='alice', email='Alice@Example.com'), fields)
    assert payload == {'email': 'Alice@Example.com', 'customfields': [{'type': 'desk', 'value': 'D1'}]}


def test_create_payload_never_carries_suspended_and_uses_createpassword():
    module = validator()
    payload = module._create_payload(item(username='sid', firstname='S', lastname='D', email='s@x.org',
                                          create_password=True, suspended=True))
    assert 'suspended' not in payload and payload['createpassword'] is True and 'password' not in payload


def test_validation_names_each_problem_and_its_fix():
    module = validator()
    assert any("use 'alice'" in p for p in module.validate_item(item(username='Alice')))
    assert any('lowercase letters, digits' in p for p in module.validate_item(item(username='al ice')))
    assert any('e-mail' in p for p in module.validate_item(item(username='a', email='not-an-email')))
    assert any('two-letter' in p for p in module.validate_item(item(username='a', country='England')))
    assert any('state=absent' in p for p in module.validate_item(item(username='a', state='absent', city='x')))
    assert module.validate_item(item(username='a.b-c_d@e', email='a.b+c@example.org', country='gb')) == []


def test_passwords_become_secrets_of_the_client():
    module = validator()
    module.validate_item(item(username='a', password='Sup3r#secret'))
    assert module.client.redact('x Sup3r#secret y') == 'x ******** y'


def test_creation_needs_names_email_and_a_password():
    problems = MoodleUserModule._creation_problems(item(username='a', email='a@x.org'))
    assert problems[0] == 'firstname, lastname required to create the user'
    assert problems[1].startswith('a new user with auth manual needs password or create_password: true')
    assert MoodleUserModule._creation_problems(item(username='a', firstname='A', lastname='B', email='a@x.org',
                                                    auth='ldap')) == []
    # nologin, none, oauth2... are internal for Moodle (is_internal() true): it refuses them without a password
    for auth in ('nologin', 'oauth2', 'email'):
        assert 'needs password' in MoodleUserModule._creation_problems(item(
            username='a', firstname='A', lastname='B', email='a@x.org', auth=auth))[0]


# -- whole runs against an in-memory site ----------------------------------------------------------
class FakeSite:
    """Just enough of MoodleAPI for moodle_user, behaving like Moodle 4.5/5.1 (user/externallib.php):

    core_user_get_users_by_field matches exactly (PostgreSQL: an e-mail address in other case is not found);
    core_user_create_users is all-or-nothing and refuses an address another account has, compared without case,
    unless allowaccountssameemail; core_user_update_users answers problems as per-user warnings.
    """

    def __init__(self):
        self.users = {2: dict(id=2, username='admin', email='admin@example.com', suspended=False),
                      3: dict(id=3, username='alice', email='alice@example.com', suspended=False),
                      4: dict(id=4, username='bob', email='Bob@Example.org', suspended=False)}
        self.next_id = 10
        self.writes = []
        self.allowaccountssameemail = False
        self.update_warning = None      # userid -> (code, message): update_users answers a warning for it
        self.on_create = None           # called before each create: another run's writes
        self.token_user = 2             # the token's own user (2: the site administrator)
        self.reads = []

    def require(self, functions):
        pass

    def site_course_id(self):
        return 1

    def offers(self, *names):
        """Only the plugin 1.1 reads (when on): never its light user read."""
        return False

    def get_enrolled_users(self, courseid, fields=('id', 'roles'), limitfrom=0, limitnumber=0):
        """The site course only: every user, with the fields asked for (names and addresses always, like Moodle's
        user_get_user_details for a token that may see them; the others when not empty)."""
        assert courseid == 1
        self.reads.append(('site list', limitnumber))
        listed = []
        for uid, user in sorted(self.users.items()):
            shown = ('id', 'username', 'firstname', 'lastname', 'email')
            record = dict((name, user.get(name) or '') for name in fields if name in shown)
            record.update((name, user[name]) for name in fields if user.get(name) and name not in record)
            listed.append(record)
        return listed[limitfrom:limitfrom + limitnumber] if limitnumber else listed

    def site_info(self):
        return {'userid': self.token_user, 'userissiteadmin': self.token_user == 2}

    def get_users_by_field(self, field, values):
        self.reads.append(('users', field, len(values)))
        wanted = set(str(v) for v in values)
        return [dict(u) for u in self.users.values() if str(u.get(field)) in wanted]

    def _email_taken(self, email, userid=None):
        return not self.allowaccountssameemail and any(
            u['email'].lower() == email.lower() and u['id'] != userid for u in self.users.values())

    def create_users(self, users):
        self.writes.append(('core_user_create_users', [u['username'] for u in users]))
        if self.on_create:
            self.on_create()
        added = []
        for user in users:     # one transaction: a refusal undoes the users added before it
            taken = any(u['username'] == user['username'] for u in self.users.values())
            if taken or self._email_taken(user['email']):
                for record in added:
                    del self.users[record['id']]
                raise MoodleError('Invalid parameter value detected', kind='invalid_parameter',
                                  function='core_user_create_users', errorcode='invalidparameter',
                                  hint='Moodle hides which value it rejected while debugging is off; set debugging')
            record = dict(id=self.next_id, username=user['username'], email=user['email'], suspended=False,
                          firstname=user.get('firstname'), lastname=user.get('lastname'))
            self.next_id += 1
            self.users[record['id']] = record
            added.append(record)
        return [dict(id=r['id'], username=r['username']) for r in added]

    def update_users(self, users):
        self.writes.append(('core_user_update_users', [u['id'] for u in users]))
        warnings = []
        for user in users:
            if self.update_warning and user['id'] in self.update_warning:
                code, message = self.update_warning[user['id']]
                warnings.append(dict(item='user', itemid=user['id'], warningcode=code, message=message))
            elif 'email' in user and self._email_taken(user['email'], user['id']):
                warnings.append(dict(item='user', itemid=user['id'], warningcode='useremailduplicate',
                                     message='Duplicate email address'))
            else:
                self.users[user['id']].update((k, v) for k, v in user.items() if k != 'id')
        return warnings

    def delete_users(self, ids):
        self.writes.append(('core_user_delete_users', list(ids)))
        for userid in ids:
            self.users.pop(userid, None)


def run(capsys, site, **args):
    """The real module, argument spec included, with these options on the fake site; its JSON result."""
    return run_module(capsys, MoodleUserModule, site, **args)


NEW = dict(firstname='New', lastname='User', password='Secret#2026')


def test_state_given_next_to_the_list_applies_to_every_user(capsys):
    site = FakeSite()
    site.users[5] = dict(id=5, username='sm1', email='sm1@example.com', suspended=False)
    result = run(capsys, site, state='absent', users=[{'username': 'sm1'}, dict(NEW, username='sm2', email='sm2@x.org')])
    assert result['failed'] and 'users[1] (sm2): state=absent deletes the user' in result['msg']
    assert site.writes == [] and 5 in site.users
    result = run(capsys, site, state='absent', users=[{'username': 'sm1'}, {'username': 'sm2'}])
    assert [u['action'] for u in result['users']] == ['deleted', 'unchanged'] and 5 not in site.users


def test_options_given_next_to_the_list_are_defaults_and_an_item_s_own_value_wins(capsys):
    site = FakeSite()
    result = run(capsys, site, city='Paris', create_password=True, firstname='F', lastname='L',
                 users=[{'username': 'u1', 'email': 'u1@x.org'},
                        {'username': 'u2', 'email': 'u2@x.org', 'password': 'Secret#2026'}])
    assert not result.get('failed'), result['msg']
    assert [u['changed_fields'] for u in result['users']] == [
        ['city', 'email', 'firstname', 'lastname'], ['city', 'email', 'firstname', 'lastname', 'password']]


def test_an_address_in_use_fails_the_run_before_any_write_naming_both_accounts(capsys):
    site = FakeSite()
    result = run(capsys, site, users=[dict(NEW, username='ok1', email='ok1@example.com'),
                                      dict(NEW, username='dup', email='Alice@Example.com')])
    assert result['failed'] and site.writes == [] and 'ok1' not in [u['username'] for u in site.users.values()]
    assert "users[1] (dup): the e-mail address Alice@Example.com is already used by user 'alice'" in result['msg']
    assert 'debugging' not in result['msg']


def test_the_same_new_address_twice_and_an_e_mail_change_onto_another_account(capsys):
    site = FakeSite()
    result = run(capsys, site, users=[dict(NEW, username='n1', email='same@x.org'),
                                      dict(NEW, username='n2', email='SAME@x.org'),
                                      dict(username='admin', email='ALICE@example.COM')])
    assert result['failed'] and site.writes == []
    assert "users[1] (n2): the e-mail address SAME@x.org is also given to users[0] (n1)" in result['msg']
    assert "users[2] (admin): the e-mail address ALICE@example.COM is already used by user 'alice'" in result['msg']


def test_an_address_freed_in_the_same_run_is_not_a_duplicate(capsys):
    site = FakeSite()
    result = run(capsys, site, users=[dict(username='alice', state='absent'),
                                      dict(NEW, username='alice2', email='alice@example.com')])
    assert not result.get('failed'), result['msg']
    assert [u['action'] for u in result['users']] == ['deleted', 'created']


def test_allow_duplicate_emails_skips_the_check_for_sites_that_allow_them(capsys):
    site = FakeSite()
    site.allowaccountssameemail = True
    result = run(capsys, site, allow_duplicate_emails=True, users=[dict(NEW, username='dup', email='alice@example.com')])
    assert result['users'][0]['action'] == 'created'


def test_an_address_taken_after_the_check_is_named_first_when_moodle_refuses_it(capsys):
    site = FakeSite()
    site.users.pop(3)
    site.on_create = lambda: site.users.setdefault(3, dict(id=3, username='alice', email='alice@example.com',
                                                           suspended=False))    # another run, just before ours
    result = run(capsys, site, users=[dict(NEW, username='dup', email='alice@example.com')])
    entry = result['users'][0]
    assert entry['action'] == 'failed' and entry['failed'].startswith(
        "the e-mail address alice@example.com is already used by user 'alice'")
    assert 'debugging' not in entry['failed'] and 'Invalid parameter value detected' in entry['failed']


def test_core_moodle_cannot_find_an_address_stored_in_other_case_before_writing(capsys):
    # core_user_get_users_by_field is an exact match: Bob@Example.org is not found from bob@example.org, Moodle
    # refuses the user while writing, and the rejected user is isolated (the documented limit of core Moodle).
    site = FakeSite()
    result = run(capsys, site, users=[dict(NEW, username='ok1', email='ok1@example.com'),
                                      dict(NEW, username='dup', email='bob@example.org')])
    assert [u['action'] for u in result['users']] == ['created', 'failed']
    assert 'Invalid parameter value detected' in result['users'][1]['failed']


def test_a_new_user_left_active_by_a_refused_suspension_is_reported_created_and_fails(capsys):
    site = FakeSite()
    site.update_warning = {10: ('usernotupdateddeleted', 'User is a deleted user')}
    result = run(capsys, site, users=[dict(NEW, username='s1', email='s1@x.org', suspended=True),
                                      dict(NEW, username='s2', email='s2@x.org', suspended=True)])
    assert result['failed'] and result['changed']
    first, second = result['users']
    assert first['action'] == 'created' and 'NOT suspended' in first['failed'] and 'User is a deleted user' in first['failed']
    assert 'suspended' not in first['changed_fields'] and 'suspended' in second['changed_fields']
    assert second['action'] == 'created' and 'failed' not in second and site.users[11]['suspended'] is True
    assert result['summary'] == {'created': 2}


def test_the_token_s_own_user_keeps_what_the_token_needs(capsys):
    site = FakeSite()
    site.token_user = 3          # a least-privilege token user, alice
    refused = run(capsys, site, users=[dict(username='alice', suspended=True), dict(username='alice2', state='absent')])
    assert refused['failed'] and site.writes == []
    assert "users[0] (alice): this is the token's own user: changing its suspended" in refused['msg']
    assert 'allow_admin_changes: true' in refused['msg']
    assert run(capsys, site, username='alice', city='Oxford')['user']['action'] == 'updated'
    allowed = run(capsys, site, username='alice', suspended=True, allow_admin_changes=True)
    assert allowed['user']['action'] == 'updated' and site.users[3]['suspended'] is True


def test_site_administrators_are_not_changed_or_deleted_without_allow_admin_changes(capsys):
    site = FakeSite()
    site.token_user = 3
    changed = run(capsys, site, username='admin', email='x@example.org')
    deleted = run(capsys, site, username='admin', state='absent')
    assert changed['failed'] and deleted['failed'] and site.writes == []
    assert 'site administrator (the administrator Moodle\'s installer creates): changing its email' in changed['msg']
    assert 'deleting it' in deleted['msg']
    site.token_user = 2
    own_admin = run(capsys, site, username='admin', city='Lisbon')
    assert "site administrator (the token's own user): changing its city" in own_admin['msg']
    assert run(capsys, site, username='admin', city='Lisbon', allow_admin_changes=True)['user']['action'] == 'updated'


def another_writer(site, **users):
    """Before our create: another run creates these users (username -> firstname), with our other values."""
    def write():
        for username, firstname in users.items():
            if not any(u['username'] == username for u in site.users.values()):
                site.users[site.next_id] = dict(id=site.next_id, username=username, firstname=firstname,
                                                lastname='User', email='%s@x.org' % username, suspended=False)
                site.next_id += 1
    site.on_create = write


def test_a_user_another_writer_created_with_our_values_is_unchanged_not_created(capsys):
    site = FakeSite()
    another_writer(site, racer='New')
    result = run(capsys, site, users=[dict(NEW, username='racer', email='racer@x.org'),
                                      dict(NEW, username='fresh', email='fresh@x.org')])
    assert not result.get('failed'), result['msg']
    assert [(u['username'], u['action']) for u in result['users']] == [('racer', 'unchanged'), ('fresh', 'created')]
    assert any('another writer created these users' in w and 'values asked' in w for w in result['warnings'])
    assert not any('Moodle applied the write' in w for w in result['warnings'])


def test_a_user_another_writer_created_with_other_values_is_updated_once_and_said(capsys):
    site = FakeSite()
    another_writer(site, racer='Alpha')
    result = run(capsys, site, users=[dict(NEW, username='racer', firstname='Beta', email='racer@x.org')])
    assert not result.get('failed'), result['msg']
    assert result['users'][0]['action'] == 'updated' and result['users'][0]['changed_fields'] == ['firstname']
    assert [w[0] for w in site.writes] == ['core_user_create_users', 'core_user_update_users']
    assert [u['firstname'] for u in site.users.values() if u['username'] == 'racer'] == ['Beta']
    assert any('with other values' in w for w in result['warnings'])
    again = run(capsys, site, users=[dict(NEW, username='racer', firstname='Beta', email='racer@x.org')])
    assert not again['changed'] and again['users'][0]['action'] == 'unchanged'


def test_a_refused_update_after_a_race_fails_naming_the_fields(capsys):
    site = FakeSite()
    another_writer(site, racer='Alpha')
    site.update_warning = {10: ('usernotupdatedadmin', 'Cannot update admin accounts')}
    result = run(capsys, site, users=[dict(NEW, username='racer', firstname='Beta', email='racer@x.org')])
    assert result['failed'] and result['users'][0]['action'] == 'failed'
    assert 'another writer created this user first, with firstname differing' in result['users'][0]['failed']


# -- Moodle's field rules (plugins/module_utils/field_rules.py) -----------------------------------------------
class RulesSite(FakeSite):
    """A site of a given release that, like Moodle, refuses a language pack it does not have (PARAM_LANG) with the
    generic answer of debugging off, and keeps the text fields it is sent."""

    def __init__(self, release='5.1+ (Build: 20251017)', langs=('en',)):
        super(RulesSite, self).__init__()
        self.release = release
        self.langs = langs

    def site_info(self):
        return dict(super(RulesSite, self).site_info(), release=self.release, lang='en')

    def create_users(self, users):
        for user in users:
            if user.get('lang') and user['lang'] not in self.langs:
                self.writes.append(('core_user_create_users', [u['username'] for u in users]))
                raise MoodleError('Invalid parameter value detected', kind='invalid_parameter',
                                  function='core_user_create_users', errorcode='invalidparameter',
                                  hint='Moodle hides which value it rejected while debugging is off; set debugging')
        created = super(RulesSite, self).create_users(users)
        for user in users:
            record = [u for u in self.users.values() if u['username'] == user['username']][0]
            record.update((k, v) for k, v in user.items() if k not in ('password', 'createpassword'))
        return created

    def update_users(self, users):
        # validate_parameters() checks the whole call before any user is written
        if any(user.get('lang') and user['lang'] not in self.langs for user in users):
            self.writes.append(('core_user_update_users', [u['id'] for u in users]))
            raise MoodleError('Invalid parameter value detected', kind='invalid_parameter',
                              function='core_user_update_users', errorcode='invalidparameter', outcome_unknown=True,
                              hint='Moodle hides which value it rejected while debugging is off; set debugging')
        return super(RulesSite, self).update_users(users)


def test_each_value_moodle_would_refuse_fails_the_run_before_any_write_naming_field_and_rule(capsys):
    site = RulesSite()
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
    result = run(capsys, site, users=bad)
    assert result['failed'] and site.writes == []
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
    assert 'users[11]' not in result['msg']


def test_auth_plugins_follow_the_site_s_version_and_extra_auth_plugins(capsys):
    result = run(capsys, RulesSite(), users=[dict(NEW, username='c1', email='c1@x.org', auth='cas')])
    assert result['failed'] and "auth 'cas' is not an authentication plugin of Moodle 5.1" in result['msg']
    site = RulesSite(release='4.5.5+ (Build: 20250613)')
    result = run(capsys, site, users=[dict(NEW, username='c1', email='c1@x.org', auth='cas')])
    assert not result.get('failed'), result['msg']
    result = run(capsys, RulesSite(), users=[dict(NEW, username='w1', email='w1@x.org', auth='webservice')])
    assert result['failed'] and 'does not create users of the webservice plugin' in result['msg']
    site = RulesSite()
    result = run(capsys, site, extra_auth_plugins=['saml2'], users=[dict(NEW, username='s1', email='s1@x.org',
                                                                         auth='saml2')])
    assert not result.get('failed'), result['msg']


def test_a_password_moodle_would_change_is_refused_without_showing_it(capsys):
    site = RulesSite()
    result = run(capsys, site, username='p1', firstname='P', lastname='One', email='p1@x.org', password='Se\x00cret#1')
    assert result['failed'] and site.writes == []
    assert 'password (the value is hidden)' in result['msg'] and 'cret#1' not in json.dumps(result)


def test_unicode_and_spaced_names_are_idempotent(capsys):
    site = RulesSite()
    users = [dict(NEW, username='nfc', email='nfc@x.org', firstname=unicodedata.normalize('NFC', u'Zoë'),
                  lastname=u'Ångström', city=u'Zürich'),
             dict(NEW, username='nfd', email='nfd@x.org', firstname=unicodedata.normalize('NFD', u'Zoë'),
                  lastname=unicodedata.normalize('NFD', u'Ångström')),
             dict(NEW, username='cjk', email='cjk@x.org', firstname=u'小明', lastname=u'王', city=u'東京'),
             dict(NEW, username='spaced', email=' Spaced@X.org ', firstname='  Ann ', lastname=' Lee  ',
                  city=' Paris ', country=' gb ')]
    first = run(capsys, site, users=users)
    assert not first.get('failed'), first['msg']
    assert [u['action'] for u in first['users']] == ['created'] * 4
    spaced = [u for u in site.users.values() if u['username'] == 'spaced'][0]
    assert spaced['firstname'] == 'Ann' and spaced['city'] == 'Paris' and spaced['country'] == 'GB'
    second = run(capsys, site, users=users)
    assert [u['action'] for u in second['users']] == ['unchanged'] * 4, second['users']


def test_a_refusal_the_rules_did_not_foresee_names_what_was_sent_and_the_likely_cause(capsys):
    site = RulesSite()
    result = run(capsys, site, users=[dict(NEW, username='ok1', email='ok1@x.org'),
                                      dict(NEW, username='fr1', email='fr1@x.org', lang='fr', city='Lyon')])
    assert result['failed']
    assert [u['action'] for u in result['users']] == ['created', 'failed']
    failed = result['users'][1]['failed']
    assert failed.startswith('core_user_create_users: Invalid parameter value detected')
    assert 'this user was sent alone with username, city, email, firstname, lang, lastname, password' in failed
    assert "each value passed the module's checks of Moodle's rules" in failed
    assert "The likely cause: lang 'fr', a language the site is not known to have (known: en)" in failed
    assert 'Secret#2026' not in json.dumps(result)


def test_languages_the_site_shows_are_accepted(capsys):
    site = RulesSite(langs=('en', 'kmr'))
    site.users[5] = dict(id=5, username='kurd', email='kurd@x.org', suspended=False, lang='kmr')
    result = run(capsys, site, users=[dict(NEW, username='k2', email='k2@x.org', lang='kmr')])
    assert result['failed'] and "lang 'kmr' is not a language code Moodle knows" in result['msg']
    result = run(capsys, site, users=[{'username': 'kurd'}, dict(NEW, username='k2', email='k2@x.org', lang='kmr')])
    assert not result.get('failed'), result['msg']
    result = run(capsys, site, extra_languages=['kmr'], users=[dict(NEW, username='k3', email='k3@x.org', lang='kmr')])
    assert not result.get('failed'), result['msg']


def test_a_refusal_moodle_explains_itself_is_left_as_moodle_said_it(capsys):
    site = RulesSite()

    def weak(users):
        site.writes.append(('core_user_create_users', [u['username'] for u in users]))
        raise MoodleError('Passwords must be at least 8 characters long.', kind='invalid_parameter',
                          function='core_user_create_users',
                          errorcode='<div>Passwords must be at least 8 characters long.</div>')
    site.create_users = weak
    result = run(capsys, site, username='w1', firstname='W', lastname='One', email='w1@x.org', password='Weak')
    assert result['failed'] and 'Passwords must be at least 8 characters long' in result['user']['failed']
    assert 'did not say which value' not in result['user']['failed']


def test_an_update_moodle_refuses_whole_is_narrowed_to_the_user_and_the_rest_is_updated(capsys):
    site = RulesSite()
    for userid, name in ((5, 'u5'), (6, 'u6'), (7, 'u7')):
        site.users[userid] = dict(id=userid, username=name, email='%s@x.org' % name, suspended=False, city='Old')
    result = run(capsys, site, city='New', users=[{'username': 'u5'}, {'username': 'u6', 'lang': 'fr'},
                                                  {'username': 'u7'}])
    assert result['failed']
    assert [u['action'] for u in result['users']] == ['updated', 'failed', 'updated']
    assert site.users[5]['city'] == 'New' and site.users[7]['city'] == 'New' and site.users[6]['city'] == 'Old'
    failed = result['users'][1]['failed']
    assert failed.startswith('core_user_update_users: Invalid parameter value detected')
    assert 'this user was sent alone with id, city, lang' in failed
    assert "The likely cause: lang 'fr'" in failed


def test_many_users_comparing_listed_fields_are_read_from_the_site_list_not_one_profile_each(capsys):
    site = FakeSite()
    people = [dict(username='p%02d' % n, firstname='P', lastname='N%d' % n, email='p%d@x.org' % n, city='Paris')
              for n in range(60)]
    for n, person in enumerate(people):
        site.users[100 + n] = dict(person, id=100 + n, suspended=False)
    site.users[100]['city'] = 'Lyon'
    result = run(capsys, site, users=people)
    assert result['summary'] == {'updated': 1, 'unchanged': 59} and result['users'][0]['changed_fields'] == ['city']
    # the probe, the list; no user looked up by username
    assert site.reads == [('site list', 1), ('site list', 0)]
    site.reads = []
    site.users[159]['lang'] = 'en'
    result = run(capsys, site, users=people[:59] + [dict(people[59], lang='en')])
    # lang is not in the list: every user is looked up as before
    assert result['summary'] == {'unchanged': 60} and site.reads == [('users', 'username', 60)]
