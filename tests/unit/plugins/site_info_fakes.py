# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stand-ins moodle_site_info's unit tests run SiteInfo with: a module that keeps its result, a scripted client."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.lmsops.moodle.plugins.module_utils.client import MoodleError
from ansible_collections.lmsops.moodle.plugins.modules.moodle_site_info import MODULES


class Exit(Exception):
    """exit_json or fail_json was called."""


class FakeModule:
    """The options moodle_site_info's argument spec gives by default, with ``params`` on top; keeps its result."""

    def __init__(self, **params):
        self.params = dict(url='https://moodle.example.org', token='t0ken', validate_certs=True, ca_path=None,
                           timeout=30, max_input_vars=1000, retries=0, modules=list(MODULES), check_permissions=True,
                           check_course=None, probe_max_input_vars=False, probe_max_fields=100000,
                           fail_on_problems=False, assign_roles=['student', 'teacher', 'editingteacher'],
                           token_access=None)
        self.params.update(params)
        self.result = None

    def exit_json(self, **result):
        self.result = dict(result, failed=False)
        raise Exit()

    def fail_json(self, **result):
        self.result = dict(result, failed=True)
        raise Exit()

    def debug(self, text):
        pass


class ScriptedSite:
    """A client whose answers are scripted per function: a value, a function of the call's parameters, or a
    MoodleError to raise. ``calls`` keeps (function, params) of every call."""

    base_url = 'https://moodle.example.org'

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def call(self, function, params=None, write=False):
        self.calls.append((function, params))
        answer = self.answers[function]
        if isinstance(answer, MoodleError):
            raise answer
        return answer(params) if callable(answer) else answer

    def call_batched(self, function, list_key, items, extra=None, write=False, verify=None):
        params = dict(extra or {})
        params[list_key] = items
        return [(items, self.call(function, params, write))]
