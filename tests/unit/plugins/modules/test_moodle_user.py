# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_user's comparison, normalisation and validation, without a site."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.lmsops.moodle.plugins.module_utils.client import MoodleClient
from ansible_collections.lmsops.moodle.plugins.modules.moodle_user import (
    MoodleUserModule, compare, moodle_payload, user_fields, wanted_fields)

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
    module = MoodleUserModule.__new__(MoodleUserModule)
    module.client = MoodleClient('http://127.0.0.1:9', 'token')
    return module


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
    assert problems == ['firstname, lastname required to create the user',
                        'a new user needs password or create_password: true']
    assert MoodleUserModule._creation_problems(item(username='a', firstname='A', lastname='B', email='a@x.org',
                                                    auth='ldap')) == []
