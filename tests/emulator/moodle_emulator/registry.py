# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The table of emulated web-service functions (Moodle's external_functions)."""

from __future__ import annotations

import time

FUNCTIONS = {}


class OmitInJson:
    """A value that JSON answers leave out but XML answers show as null (optional keys)."""

    def __repr__(self):
        return 'OMIT'


OMIT = OmitInJson()


class Function:
    """One external function."""

    def __init__(self, name, component, params, impl, write):
        self.name = name
        self.component = component
        self.params = params
        self.impl = impl
        self.write = write


def external(name, params, write=False, component='core'):
    """Register an implementation: ``impl(call, args) -> result``."""
    def decorator(impl):
        FUNCTIONS[name] = Function(name, component, params, impl, write)
        return impl
    return decorator


class Call:
    """What an implementation gets: the site, the token's user, the clock."""

    def __init__(self, site, userid, token=None, raw=False):
        self.site = site
        self.userid = userid
        self.token = token
        self.now = int(time.time())
        # moodlewssettingraw (webservice/lib.php set_web_service_call_settings): text fields as stored, not through
        # format_string()/format_text() (core_external\util)
        self.raw = raw
