# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SecretMasker hides no_log values exactly as AnsibleModule's remove_values() does, in linear time."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import random
import string

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.parameters import remove_values
from ansible_collections.lmsops.moodle.plugins.module_utils.masking import (
    NO_LOG_PLACEHOLDER, MaskingModule, SecretMasker)

from ansible_collections.lmsops.moodle.tests.unit.plugins.module_args import patch_module_args


def sample(count, seed=7):
    rng = random.Random(seed)
    secrets = sorted(set('Pw#%04d%s' % (i, ''.join(rng.choice(string.ascii_letters) for dummy in range(rng.randint(0, 9))))
                         for i in range(count)))
    data = {
        'changed': True, 'skipped': None, 'count': 12, 'ratio': 0.5,
        'msg': 'rejected %s and %s%s' % (secrets[1], secrets[2], secrets[3]),
        'users': [{'username': 'u%04d' % i, 'id': i, 'action': 'created', 'changed_fields': ['email', 'password'],
                   'failed': 'bad password %s!' % secrets[i] if i % 7 == 0 else None,
                   'password': secrets[i] if i % 5 == 0 else 'x', 'nested': {'set': set([secrets[i], 'ok']), 'tuple': (1, 'a')}}
                  for i in range(count)],
        'bytes': secrets[4].encode('utf-8') + b' end',
    }
    return secrets, data


@pytest.mark.parametrize('seed', [1, 2, 3])
def test_same_result_as_remove_values(seed):
    secrets, data = sample(60, seed)
    assert SecretMasker(secrets).mask(data) == remove_values(data, secrets)


def test_whole_values_numbers_and_no_secrets():
    masker = SecretMasker(['s3cret', '42', ''])
    assert masker.mask('s3cret') == NO_LOG_PLACEHOLDER
    assert masker.mask('my s3cret!') == 'my ********!'
    assert masker.mask(1423) == NO_LOG_PLACEHOLDER
    assert masker.mask(17) == 17
    assert masker.mask(True) is True
    assert SecretMasker([]).mask({'a': ['b']}) == {'a': ['b']}


def test_module_masks_invocation_and_results(monkeypatch):
    """What MaskingModule hands to AnsibleModule carries no secret, and leaves it nothing to mask."""
    seen = {}
    monkeypatch.setattr(AnsibleModule, 'exit_json', lambda self, **kwargs: seen.update(result=kwargs))
    monkeypatch.setattr(AnsibleModule, 'warn', lambda self, warning, *args, **kwargs: seen.update(warning=warning))
    spec = dict(users=dict(type='list', elements='dict', options=dict(
        username=dict(type='str'), password=dict(type='str', no_log=True))))
    users = [{'username': 'u%d' % i, 'password': 'Secret#%05d' % i} for i in range(50)]
    with patch_module_args({'users': users}):
        module = MaskingModule(argument_spec=spec)
    module.warn('weak password Secret#00003 for u3')
    module.exit_json(changed=True, note='u7 had Secret#00007')
    assert seen['warning'] == 'weak password ******** for u3'
    result = seen['result']
    assert 'Secret#' not in json.dumps(result)
    assert result['note'] == 'u7 had ********'
    assert result['invocation']['module_args']['users'][3] == {'username': 'u3', 'password': NO_LOG_PLACEHOLDER}
    assert not module.no_log_values
