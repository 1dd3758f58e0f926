# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base: what a module learns about its connection options before the first request (client_from_params), how
items are named and how what they name is resolved."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.lmsops.moodle.plugins.module_utils.masking import MaskingModule
from ansible_collections.lmsops.moodle.plugins.module_utils.module_base import (
    Change, MoodleModule, client_from_params, connection_argument_spec)
from ansible_collections.lmsops.moodle.plugins.module_utils.resolve import Missing

from ansible_collections.lmsops.moodle.tests.unit.plugins.module_args import build_module, patch_module_args

TOKEN = 'f00dfacecafe0123456789abcdef0123'


@pytest.fixture
def connect(monkeypatch):
    """connect(url): a module with these connection options, its client, and the warnings it gave (as masked by
    MaskingModule.warn, collected where AnsibleModule.warn would take them)."""
    warnings = []
    monkeypatch.setattr(AnsibleModule, 'warn', lambda self, warning, *args, **kwargs: warnings.append(warning))

    def connect_to(url):
        with patch_module_args(dict(url=url, token=TOKEN)):
            module = MaskingModule(argument_spec=connection_argument_spec())
        return module, client_from_params(module), warnings
    return connect_to


@pytest.mark.parametrize('url', ['http://moodle.example.org', 'HTTP://moodle.example.org/moodle/'])
def test_an_http_url_is_warned_about(connect, url):
    dummy, dummy, warnings = connect(url)
    assert len(warnings) == 1
    assert 'token' in warnings[0] and 'in clear' in warnings[0] and 'https://' in warnings[0]


@pytest.mark.parametrize('url', ['https://moodle.example.org', 'http://127.0.0.1:8080', 'http://localhost/moodle',
                                 'http://[::1]:8080'])
def test_https_and_the_loopback_are_not_warned_about(connect, url):
    """On the loopback the token never crosses a network."""
    assert connect(url)[2] == []


def test_credentials_in_url_are_masked_in_warnings_and_results(connect, capsys):
    url = 'http://alice:S3cr3tPw@moodle.example.org'
    with patch_module_args(dict(url=url, token=TOKEN)):
        module, client, warnings = connect(url)
        with pytest.raises(SystemExit):
            module.exit_json(changed=False, shown=client.base_url, given=module.params['url'],
                             echoed='login alice:S3cr3tPw')
    assert warnings and 'S3cr3tPw' not in warnings[0]
    assert 'http://alice:********@moodle.example.org' in warnings[0]
    output = capsys.readouterr().out
    result = json.loads(output)
    assert 'S3cr3tPw' not in output and TOKEN not in output
    assert result['shown'] == result['given'] == 'http://alice:********@moodle.example.org'
    assert result['echoed'] == 'login alice:********'
    # ansible-core 2.21 returns the invocation only when asked to
    assert result.get('invocation', {'module_args': {'url': result['given']}})['module_args']['url'] == result['given']


@pytest.mark.parametrize('given, named', [
    (dict(token=TOKEN), ['url', 'MOODLE_URL']),
    (dict(url='https://moodle.example.org'), ['token', 'MOODLE_TOKEN']),
    ({}, ['url and token', 'MOODLE_URL, MOODLE_TOKEN'])])
def test_a_missing_url_or_token_names_the_option_module_defaults_and_the_environment(monkeypatch, capsys, given, named):
    for variable in ('MOODLE_URL', 'MOODLE_TOKEN'):
        monkeypatch.delenv(variable, raising=False)
    with patch_module_args(given):
        module = MaskingModule(argument_spec=connection_argument_spec())
        with pytest.raises(SystemExit):
            client_from_params(module)
    result = json.loads(capsys.readouterr().out)
    assert result['failed'] and result['msg'].startswith('missing required arguments: ')
    assert all(word in result['msg'] for word in named) and 'module_defaults' in result['msg']
    assert TOKEN not in result['msg']


def test_url_and_token_come_from_the_environment(monkeypatch):
    monkeypatch.setenv('MOODLE_URL', 'https://moodle.example.org')
    monkeypatch.setenv('MOODLE_TOKEN', TOKEN)
    with patch_module_args({}):
        module = MaskingModule(argument_spec=connection_argument_spec())
    assert client_from_params(module).base_url == 'https://moodle.example.org'


# -- the base's shared steps, on a module built the way main() builds it (module and API injected) -----------------


class Things(MoodleModule):
    resource = 'thing'
    list_option = 'things'
    single_option = 'name'
    item_options = dict(name=dict(type='str', required=True), owner=dict(type='str'),
                        place=dict(type='str', default='shelf'))

    def describe_item(self, item):
        return '%s of %s' % (item['name'], item.get('owner'))


class NoSite:
    client = None


def things(check_mode=False, **params):
    full = dict(name=None, owner=None, place=None, things=None)
    full.update(params)
    return build_module(Things, NoSite(), full, check_mode=check_mode)


def test_items_are_named_by_the_description_hook_in_both_forms():
    assert things(name='box', owner='ann').items() == [('box of ann', dict(name='box', owner='ann', place='shelf'))]
    labels = [label for label, dummy in things(owner='bob', things=[dict(name='a'), dict(name='b', owner='cy')]).items()]
    assert labels == ['things[0] (a of bob)', 'things[1] (b of cy)']


def resolver(calls, known):
    def resolve(field, values):
        calls.append((field, list(values)))
        return (dict((v, {'id': known[v]}) for v in values if v in known),
                dict((v, Missing('user with %s' % field, v)) for v in values if v not in known))
    return resolve


def references(item):
    refs = [('user', 'username', item['name'], '')]
    if item.get('owner'):
        refs.append(('user', 'username', item['owner'], 'owner: '))
    return refs


def test_references_resolve_once_per_kind_and_field_and_problems_name_the_item():
    module = things()
    items = [('things[0]', dict(name='ann', owner='bob')), ('things[1]', dict(name='cy', owner='ann'))]
    calls = []
    records, errors = module.resolve_references(items, references, {'user': resolver(calls, {'ann': 1, 'bob': 2})})
    assert calls == [('username', ['ann', 'bob', 'cy', 'ann'])]
    assert records == {('user', 'username', 'ann'): {'id': 1}, ('user', 'username', 'bob'): {'id': 2}}
    assert [(e.label, str(e.cause)) for e in errors] == [('things[1]', str(Missing('user with username', 'cy')))]
    assert module.not_found == {}


def test_in_check_mode_what_does_not_exist_yet_is_deferred_not_an_error():
    module = things(check_mode=True)
    items = [('things[0]', dict(name='ann', owner='zed'))]
    records, errors = module.resolve_references(items, references, {'user': resolver([], {'ann': 1})})
    assert errors == [] and list(module.not_found) == ['things[0]']
    # A real run: the same reference is the item's problem, with its prefix.
    records, errors = things().resolve_references(items, references, {'user': resolver([], {'ann': 1})})
    assert [str(e) for e in errors] == ['things[0]: owner: %s' % Missing('user with username', 'zed')]


class Shelf(Things):
    """Things whose re-read says: box in place, jar not applied, cup gone with a reason, lid unknown."""

    VERDICTS = dict(box=True, jar=False, cup='taken by another writer', lid=None)

    def in_place(self, changes):
        return dict((change, self.VERDICTS[change.key]) for change in changes)


def test_a_re_read_gives_each_planned_change_the_action_the_site_shows():
    module = build_module(Shelf, NoSite(), dict(name=None, owner=None, place=None, things=None))
    changes = [Change({}, 't[%d]' % index, key, action='created') for index, key in enumerate(('box', 'jar', 'cup', 'lid'))]
    untouched = Change({}, 't[4]', 'pot', action='unchanged')
    module.reread(changes + [untouched])
    assert [(c.key, c.action, c.failed) for c in changes + [untouched]] == [
        ('box', 'created', None), ('jar', 'failed', 'not applied'), ('cup', 'failed', 'taken by another writer'),
        ('lid', 'unknown', None), ('pot', 'unchanged', None)]


def test_the_default_re_read_is_built_on_settled():
    class Settling(Things):
        def settled(self, changes):
            return set(change for change in changes if change.key == 'box')

    module = build_module(Settling, NoSite(), dict(name=None, owner=None, place=None, things=None))
    box, jar = Change({}, 't[0]', 'box', action='created'), Change({}, 't[1]', 'jar', action='created')
    jar.failed = 'Moodle said no'
    assert module.in_place([box, jar]) == {box: True, jar: False}
    module.reread([box, jar])
    # a failure the change already carries (Moodle's own words) is kept
    assert (box.action, jar.action, jar.failed) == ('created', 'failed', 'Moodle said no')
