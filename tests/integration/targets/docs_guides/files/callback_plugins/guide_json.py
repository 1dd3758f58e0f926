# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docs_guides target's stdout callback: one JSON line per task result, and one for the recap.

The guides' playbooks run as written; only their output is read this way (ansible-core has no JSON callback
of its own), so that the target can see which tasks changed, warned or failed, and their summaries.
"""

from __future__ import annotations

import json

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: guide_json
type: stdout
short_description: One JSON line per task result (docs_guides integration target)
description:
  - Prints one JSON object per task result (task name, status, changed, warnings, summary, msg) and one for the recap.
'''


class CallbackModule(CallbackBase):
    """One JSON line per task result."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'guide_json'

    def _line(self, data):
        self._display.display(json.dumps(data, default=str, sort_keys=True))

    @staticmethod
    def _part(result, name):
        """A result's task, host or result: public on ansible-core 2.19+, private before."""
        value = getattr(result, name, None)
        return value if value is not None else getattr(result, '_' + name)

    def _result(self, status, result):
        data = self._part(result, 'result')
        self._line({'task': self._part(result, 'task').get_name(), 'host': self._part(result, 'host').get_name(),
                    'status': status, 'changed': bool(data.get('changed')), 'warnings': data.get('warnings') or [],
                    'summary': data.get('summary'), 'msg': data.get('msg')})

    def v2_runner_on_ok(self, result):
        self._result('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result('ignored' if ignore_errors else 'failed', result)

    def v2_runner_on_unreachable(self, result):
        self._result('unreachable', result)

    def v2_runner_on_skipped(self, result):
        self._result('skipped', result)

    def v2_playbook_on_stats(self, stats):
        self._line({'recap': {host: stats.summarize(host) for host in sorted(stats.processed)}})
