# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""field_rules: the table matches Moodle's source (4.5 and 5.1), and each rule refuses what Moodle refuses."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import importlib.util
import os
import unicodedata
import warnings

import pytest

from ansible_collections.lmsops.moodle.plugins.module_utils import field_rules
from ansible_collections.lmsops.moodle.plugins.module_utils.field_rules import (
    check, check_auth, check_choice, check_email, check_lang, version_of)

COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))))


def generator():
    spec = importlib.util.spec_from_file_location('field_rules_generator',
                                                  os.path.join(COLLECTION, 'hacking', 'field_rules.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the table against Moodle's source --------------------------------------------------------------------
def test_the_table_is_what_moodle_4_5_and_5_1_source_gives():
    """Regenerates the table from the 4.5 and 5.1 trees and compares it with the one the modules use.

    The sources are found as hacking/moodle_site.py finds them (MOODLE_SOURCE, MOODLE_SOURCE_CACHE, a shared/moodle
    folder beside the checkout or a folder above it: the CI machine has one). Without them the test is NOT RUN,
    and says so."""
    gen = generator()
    sources = gen.find_sources(gen.VERSIONS, start=COLLECTION)
    missing = [v for v in gen.VERSIONS if v not in sources]
    if missing:
        message = ('NOT RUN - the field rules table was not checked against Moodle %s: no source found (set '
                   'MOODLE_SOURCE to the tarballs or trees, or keep moodle-VERSION*.tar.gz in a shared/moodle folder '
                   'beside the checkout)' % ', '.join(missing))
        warnings.warn(message)
        pytest.skip(message)
    readings = [gen.read_tree(gen.Tree(sources[v])) for v in gen.VERSIONS]
    with open(os.path.join(COLLECTION, 'plugins', 'module_utils', 'field_rules.py')) as handle:
        current = gen.generated_block(handle.read())
    assert current == gen.render(readings), (
        'plugins/module_utils/field_rules.py differs from Moodle\'s source: run hacking/field_rules.py %s'
        % ' '.join(sources[v] for v in gen.VERSIONS))
    assert sorted(field_rules.SOURCES) == list(gen.VERSIONS)


def test_the_generator_reads_the_rules_from_the_php_it_is_given(tmp_path):
    """Without Moodle's source: a minimal tree in each layout, read as the generator reads the real ones."""
    gen = generator()
    for layout in ('', 'public/'):
        root = tmp_path / ('tree' + layout.strip('/'))
        files = {
            'version.php': "<?php\n$version  = 2025100600.02;\n$release  = '5.1+ (Build: 20251017)';\n",
            'user/externallib.php': """<?php
class core_user_external {
    public static function create_users_parameters() {
        $userfields = [
            'username' => new external_value(core_user::get_property_type('username'), 'Username'),
            'firstname' => new external_value(core_user::get_property_type('firstname'), 'The first name(s)'),
            'customfields' => new external_multiple_structure(
                new external_single_structure(
                    [
                        'type'  => new external_value(PARAM_ALPHANUMEXT, 'The name of the custom field'),
                        'value' => new external_value(PARAM_RAW, 'The value of the custom field')
                    ]
                ), 'User custom fields', VALUE_OPTIONAL),
        ];
        return new external_function_parameters(['users' => new external_multiple_structure(
            new external_single_structure($userfields))]);
    }
}
""",
            'lib/classes/user.php': """<?php
class core_user {
    protected static function fill_properties_cache() {
        $fields['username'] = ['type' => PARAM_USERNAME, 'null' => NULL_NOT_ALLOWED];
        $fields['firstname'] = [
            // A comment.
            'type' => PARAM_NOTAGS, 'null' => NULL_NOT_ALLOWED];
    }
}
""",
            'lib/db/install.xml': '<XMLDB><TABLES><TABLE NAME="user"><FIELDS>'
                                  '<FIELD NAME="username" TYPE="char" LENGTH="100"/>'
                                  '<FIELD NAME="firstname" TYPE="char" LENGTH="100"/>'
                                  '</FIELDS></TABLE></TABLES></XMLDB>',
        }
        for name, text in files.items():
            path = root / layout / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        (root / layout / 'auth' / 'manual').mkdir(parents=True)
        (root / layout / 'auth' / 'manual' / 'auth.php').write_text('<?php')
        tree = gen.Tree(str(root))
        assert tree.version == '5.1' and tree.auth == {'manual'}
        gen.USER_FUNCTIONS = {'core_user_create_users': ('create_users_parameters',
                                                         ('username', 'firstname', 'customfields.type'))}
        assert gen.user_rules(tree) == {
            'username': {'type': 'PARAM_USERNAME', 'max_length': 100},
            'firstname': {'type': 'PARAM_NOTAGS', 'max_length': 100},
            'customfields.type': {'type': 'PARAM_ALPHANUMEXT', 'max_length': None}}


def test_the_table_holds_what_the_module_sends():
    for field in ('username', 'firstname', 'lastname', 'email', 'auth', 'idnumber', 'password', 'city', 'country',
                  'lang', 'timezone', 'institution', 'department', 'description', 'customfields.type',
                  'customfields.value', 'suspended', 'createpassword', 'id'):
        assert field in field_rules.USER_FIELDS, field
    assert field_rules.USER_FIELDS['firstname'] == {'type': 'PARAM_NOTAGS', 'max_length': 100}
    assert field_rules.USER_FIELDS['city'] == {'type': 'PARAM_TEXT', 'max_length': 120}
    assert field_rules.USER_FIELDS['idnumber'] == {'type': 'PARAM_RAW', 'max_length': 255}
    assert 'GB' in field_rules.COUNTRIES and 'Europe/London' in field_rules.TIMEZONES
    assert 'cas' in field_rules.AUTH_PLUGINS['4.5'] and 'cas' not in field_rules.AUTH_PLUGINS['5.1']


# -- each rule --------------------------------------------------------------------------------------------
@pytest.mark.parametrize('field', ['firstname', 'lastname', 'city', 'institution', 'department'])
def test_html_in_a_plain_text_field_is_named_with_its_rule(field):
    problem = check(field, '<b>Paris</b>')
    assert problem.startswith("%s '<b>Paris</b>': Moodle removes HTML tags" % field)
    assert 'PARAM_' in problem and 'refuses a value its cleaning would change' in problem


def test_what_strip_tags_keeps_passes():
    # strip_tags() leaves a '<' followed by a space, and a lone '>'
    for value in ('a < b', 'x > y', 'Zoë', u'王小明', 'O\'Brien & Sons', ''):
        assert check('firstname', value) is None, value
    for value in ('a<b', 'trailing <', '<!-- comment -->x'):
        assert check('firstname', value) is not None, value


def test_multilang_tags_pass_in_text_fields_only():
    multilang = '<span lang="en" class="multilang">Paris</span><span lang="fr" class="multilang">Paris</span>'
    assert check('city', multilang) is None
    assert check('city', '<lang lang="en">Paris</lang>') is None
    assert check('firstname', multilang) is not None                 # PARAM_NOTAGS strips every tag
    assert check('city', '<span lang="en" class="multilang">Paris') is not None      # unbalanced
    assert check('city', '<span lang="en" class="multilang"><b>Paris</b></span>') is not None


def test_lengths_are_the_columns():
    assert check('firstname', 'x' * 100) is None
    problem = check('firstname', 'x' * 120)
    assert 'firstname' in problem and 'is 120 characters long; Moodle stores at most 100' in problem
    assert '(120 characters)' in problem                # the value is shortened in the message
    assert 'at most 255' in check('idnumber', '1' * 256)
    # characters, not bytes: what PostgreSQL's varchar counts
    assert check('lastname', u'王' * 100) is None
    assert check('description', 'x' * 5000) is None    # a text column


def test_characters_moodle_removes_are_refused_even_in_raw_fields():
    assert 'NUL' in check('idnumber', 'a\x00b')
    assert 'NUL' in check('description', u'a\ufffeb')


def test_a_password_is_never_shown():
    problem = check('password', 'Secret\x00#1', secret=True)
    assert 'Secret' not in problem and 'hidden' in problem


def test_country_timezone_and_email():
    assert check_choice('country', 'GB') is None and check_choice('country', 'gb') is None
    assert "country 'XX' is not a country code Moodle knows" in check_choice('country', 'XX')
    assert check_choice('timezone', '99') is None and check_choice('timezone', 'America/New_York') is None
    assert "timezone 'Mars/Olympus' is not a time zone Moodle lists" in check_choice('timezone', 'Mars/Olympus')
    assert "use 'Europe/London'" in check_choice('timezone', 'europe/london')
    # PHP's other names for UTC are not in Moodle's list: UTC is suggested.
    assert "timezone 'Etc/UTC' is not a time zone Moodle lists" in check_choice('timezone', 'Etc/UTC')
    assert "use 'UTC'" in check_choice('timezone', 'Etc/UTC') and "use 'UTC'" in check_choice('timezone', 'GMT')
    assert check_email('a.b+c@example.org') is None
    assert 'email' in check_email('not-an-email') and 'validate_email' in check_email('a@b@c')


def test_auth_plugins_depend_on_the_version():
    assert check_auth('manual', '5.1') is None and check_auth('cas', '4.5') is None
    assert "auth 'cas' is not an authentication plugin of Moodle 5.1" in check_auth('cas', '5.1')
    assert 'core_user_create_users does not create users' in check_auth('mnet', '4.5', create=True)
    assert check_auth('mnet', '4.5') is None                              # an update keeps it
    assert 'extra_auth_plugins' in check_auth('saml2', '5.1')
    assert check_auth('saml2', '5.1', extra=['saml2']) is None
    assert check_auth('cas') is None            # no version known: any known version's plugins
    assert 'not a plugin name' in check('auth', 'Manual')
    assert version_of({'release': '5.1+ (Build: 20251017)'}) == '5.1'
    assert version_of({'release': '4.5.5+ (Build: 20250613)'}) == '4.5'
    assert version_of({'release': '3.9'}) is None and version_of({}) is None


def test_languages_as_far_as_known_before_a_write():
    assert check_lang('en') is None
    assert check_lang('fr') is None and check_lang('pt_br') is None and check_lang('ca_valencia') is None
    assert check_lang('kmr', installed=['kmr']) is None and check_lang('kmr', extra=['kmr']) is None
    problem = check_lang('xx')
    assert "lang 'xx' is not a language code Moodle knows" in problem and 'known installed: en' in problem
    assert 'not a language code' in check('lang', 'fr FR')
    assert 'at most 30' in check('lang', 'a' * 31)


def test_unicode_is_counted_as_moodle_counts_it():
    nfd = unicodedata.normalize('NFD', u'Zoë Ångström')
    assert len(nfd) > len(unicodedata.normalize('NFC', nfd))
    assert check('firstname', nfd) is None
    assert check('firstname', unicodedata.normalize('NFD', u'é' * 60)) is not None   # 120 code points


def test_sources_are_found_beside_the_checkout_or_a_folder_above_it(tmp_path, monkeypatch):
    monkeypatch.delenv('MOODLE_SOURCE', raising=False)
    monkeypatch.delenv('MOODLE_SOURCE_CACHE', raising=False)
    gen = generator()
    collection = tmp_path / 'ci' / 'clone' / '.build' / 'ansible_collections' / 'lmsops' / 'moodle'
    collection.mkdir(parents=True)
    assert gen.find_sources(start=str(collection)) == {}          # the test then says NOT RUN
    cache = tmp_path / 'ci' / 'shared' / 'moodle'
    cache.mkdir(parents=True)
    (cache / 'moodle-4.5.5plus.tar.gz').write_text('')
    (cache / 'moodle-5.1plus.tar.gz').write_text('')
    expected = {'4.5': str(cache / 'moodle-4.5.5plus.tar.gz'), '5.1': str(cache / 'moodle-5.1plus.tar.gz')}
    assert gen.find_sources(start=str(collection)) == expected
    monkeypatch.setenv('MOODLE_SOURCE_CACHE', str(tmp_path / 'elsewhere'))
    (tmp_path / 'elsewhere').mkdir()
    (tmp_path / 'elsewhere' / 'moodle-5.1.2.tar.gz').write_text('')
    assert gen.find_sources(start=str(collection))['5.1'] == str(tmp_path / 'elsewhere' / 'moodle-5.1.2.tar.gz')
