# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No-log masking whose cost grows with the size of a result, not with result x secrets.

AnsibleModule hides every no_log value (here: each password of a bulk run) wherever it appears
in what the module returns, including ``invocation.module_args``.  Its ``remove_values()`` tries
every secret against every string, so a bulk run of N users with their own passwords costs about
N x (strings in the result and in the module arguments): quadratic, and most of the run time
past a few thousand users.  :class:`MaskingModule` does the same masking before handing the
result to AnsibleModule: a string is checked with one set look-up per substring of each length
some secret has, so the cost is linear in the size of the result.  Secrets are replaced exactly
as AnsibleModule would (the whole value equal to a secret becomes
``VALUE_SPECIFIED_IN_NO_LOG_PARAMETER``, a secret inside a string becomes ``********``, a number
containing one becomes the placeholder), then nothing is left for AnsibleModule to mask.
Warnings given through ``warn()`` are masked the same way.

FOR INTERNAL USE OF THE lmsops.moodle COLLECTION ONLY: module_utils are not a public API; they change in any
release without notice (see docs/architecture.md).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible.module_utils.six.moves.collections_abc import Mapping, Set

NO_LOG_PLACEHOLDER = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
STARS = '*' * 8


class SecretMasker:
    """Replace secrets inside strings and containers, in time linear in their size."""

    def __init__(self, secrets):
        self.secrets = frozenset(to_text(s, errors='surrogate_or_strict') for s in secrets if s not in (None, ''))
        self.lengths = sorted(set(len(s) for s in self.secrets), reverse=True)
        self.shortest = self.lengths[-1] if self.lengths else 0

    def found_in(self, text):
        """The secrets that occur in ``text``."""
        found = set()
        size = len(text)
        for length in self.lengths:
            for start in range(size - length + 1):
                piece = text[start:start + length]
                if piece in self.secrets:
                    found.add(piece)
        return found

    def text(self, value):
        if not self.secrets or len(value) < self.shortest:
            return value
        if value in self.secrets:
            return NO_LOG_PLACEHOLDER
        for secret in sorted(self.found_in(value), key=len, reverse=True):
            value = value.replace(secret, STARS)
        return value

    def mask(self, value):
        """A copy of ``value`` with every secret hidden (dict keys are kept, as AnsibleModule does)."""
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, type(u'')):
            return self.text(value)
        if isinstance(value, bytes):
            return to_bytes(self.text(to_text(value, errors='surrogate_or_strict')), errors='surrogate_then_replace')
        if isinstance(value, (int, float)):
            stringy = to_text(value)
            return NO_LOG_PLACEHOLDER if self.secrets and (stringy in self.secrets or self.found_in(stringy)) else value
        if isinstance(value, Mapping):
            return dict((key, self.mask(item)) for key, item in value.items())
        if isinstance(value, (list, tuple)):
            return [self.mask(item) for item in value]
        if isinstance(value, Set):
            return set(self.mask(item) for item in value)
        return value


class MaskingModule(AnsibleModule):
    """AnsibleModule that masks no_log values itself, in linear time, before exit_json and fail_json."""

    def __init__(self, *args, **kwargs):
        # (how many no_log values it was built for, SecretMasker); set first: AnsibleModule may warn while it starts
        self._lmsops_masker = None
        super(MaskingModule, self).__init__(*args, **kwargs)

    def _masker(self):
        cached = self._lmsops_masker
        if cached is None or cached[0] != len(self.no_log_values):
            cached = self._lmsops_masker = (len(self.no_log_values), SecretMasker(self.no_log_values))
        return cached[1]

    def _premask(self, kwargs):
        if not self.no_log_values:
            return kwargs
        if 'invocation' not in kwargs:
            kwargs['invocation'] = {'module_args': self.params}
        kwargs = self._masker().mask(kwargs)
        # Everything is masked now: spare AnsibleModule its quadratic pass over the same data.
        self.no_log_values = set()
        return kwargs

    def warn(self, warning, *args, **kwargs):
        if self.no_log_values:
            warning = self._masker().text(to_text(warning))
        return super(MaskingModule, self).warn(warning, *args, **kwargs)

    def exit_json(self, **kwargs):
        super(MaskingModule, self).exit_json(**self._premask(kwargs))

    def fail_json(self, msg, **kwargs):
        kwargs['msg'] = msg
        kwargs = self._premask(kwargs)
        msg = kwargs.pop('msg')
        super(MaskingModule, self).fail_json(msg, **kwargs)
