# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""client_from_params: what a module learns about its connection options before the first request."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.lmsops.moodle.plugins.module_utils.masking import MaskingModule
from ansible_collections.lmsops.moodle.plugins.module_utils.module_base import (
    client_from_params, connection_argument_spec)

from ansible_collections.lmsops.moodle.tests.unit.plugins.module_args import patch_module_args

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
