# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Attributes of the modules that change a Moodle site."""

    DOCUMENTATION = r'''
attributes:
  check_mode:
    support: full
    description: Reads only and reports exactly what a real run would do.
  diff_mode:
    support: full
    description: Shows, per object, the fields that change, before and after; secrets are masked.
  action_group:
    support: full
    membership:
      - lmsops.moodle.moodle
    description: Use C(group/lmsops.moodle.moodle) in C(module_defaults) to set the connection options once.
'''

    READ_ONLY = r'''
attributes:
  check_mode:
    support: full
    description: The module only reads, so it runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
  action_group:
    support: full
    membership:
      - lmsops.moodle.moodle
    description: Use C(group/lmsops.moodle.moodle) in C(module_defaults) to set the connection options once.
'''
