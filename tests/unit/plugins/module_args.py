# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way unit tests build a lmsops.moodle module: the way main() does.

``run_module``: the real module, argument spec included (``patch_module_args``, on every supported ansible-core),
talking to the site its options name (the emulator: tests/unit/plugins/modules/conftest.py); ``build_module``: the
same module class with an Ansible stand-in (:class:`FakeAnsible`, parameters given as validated) for tests of one
step, and :class:`Finished` for its end."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

try:
    from ansible.module_utils.testing import patch_module_args  # pylint: disable=unused-import
except ImportError:  # ansible-core before 2.19
    import contextlib
    from unittest import mock

    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    @contextlib.contextmanager
    def patch_module_args(args):
        with mock.patch.object(basic, '_ANSIBLE_ARGS', to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args}))):
            yield


def run_module(capsys, module_class, check_mode=False, diff=False, **args):
    """Run a lmsops.moodle module class as main() does, argument spec, API and client included, with these options
    (url and token of the site it talks to: the emulator); return its JSON result, with the module's warnings under
    ``warnings`` (always a list)."""
    if check_mode:
        args['_ansible_check_mode'] = True
    if diff:
        args['_ansible_diff'] = True
    warnings = []
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            instance = module_class()
            # Collect the module's warnings here: how ansible-core returns them differs between versions
            # (and, once controller code is imported in the same process, they go to the display instead).
            instance.module.warn = warnings.append
            instance.run()
    result = json.loads(capsys.readouterr().out)
    result['warnings'] = warnings
    return result


class Finished(Exception):
    """How a module built by build_module ends: exit_json or fail_json, with the result."""

    def __init__(self, result, failed):
        super(Finished, self).__init__(result.get('msg'))
        self.result = result
        self.failed = failed


class FakeAnsible:
    """What the modules use of AnsibleModule, with the parameters as validation would leave them."""

    def __init__(self, params=None, check_mode=False, diff=False):
        self.params = params or {}
        self.check_mode = check_mode
        self._diff = diff
        self.warnings = []
        self.no_log_values = set()

    def warn(self, text):
        self.warnings.append(text)

    def debug(self, text):
        pass

    def fail_json(self, **result):
        raise Finished(result, True)

    def exit_json(self, **result):
        raise Finished(result, False)


def build_module(module_class, api, params, check_mode=False, diff=False):
    """``module_class`` with an Ansible stand-in holding ``params`` (every option, as validated) and ``api`` (a
    MoodleAPI on the emulator, or for the base's own steps a stand-in that is never called), for tests of one step."""
    return module_class(module=FakeAnsible(params, check_mode, diff), api=api)
