# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moodle exceptions as the web-service layer reports them."""

from __future__ import annotations


def php_export(value):
    """Render a scalar like PHP's var_export()."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if value is None:
        return 'NULL'
    if isinstance(value, int):
        return str(value)
    text = str(value).replace('\\', '\\\\').replace("'", "\\'")
    return "'" + text + "'"


def php_array_export(values):
    """Render a list like PHP's var_export() of an indexed array."""
    lines = ['array (']
    for index, value in enumerate(values):
        lines.append('  %d => %s,' % (index, php_export(value)))
    lines.append(')')
    return '\n'.join(lines)


class MoodleError(Exception):
    """Base for every error that Moodle answers as {exception, errorcode, message}."""

    exception_class = 'core\\exception\\moodle_exception'

    def __init__(self, errorcode, message, debuginfo=None, exception_class=None):
        super().__init__(message)
        self.errorcode = errorcode
        self.message = message
        self.debuginfo = debuginfo
        if exception_class:
            self.exception_class = exception_class

    def render(self, debug, hides_missing_records=True):  # pylint: disable=unused-argument
        """Return (exception class, errorcode, message, debuginfo or None).

        hides_missing_records: the site's release hides which record was missing while debugging is off
        (5.1 does; 4.5 names it and only drops the debuginfo)."""
        return self.exception_class, self.errorcode, self.message, (self.debuginfo if debug else None)


class PhpError(MoodleError):
    """A PHP Error (not a Moodle exception) caught by the web-service layer: {"exception": "Error",
    "message": ...} with no errorcode and no debuginfo, debugging on or off (recorded on 4.5 and 5.1:
    course_get_ids_with_missing)."""

    exception_class = 'Error'

    def __init__(self, message):
        super().__init__(None, message)


class InvalidParameter(MoodleError):
    """core\\exception\\invalid_parameter_exception."""

    exception_class = 'core\\exception\\invalid_parameter_exception'

    def __init__(self, debuginfo=''):
        super().__init__('invalidparameter', 'Invalid parameter value detected', debuginfo)


class CodingError(MoodleError):
    """core\\exception\\coding_exception."""

    exception_class = 'core\\exception\\coding_exception'

    def __init__(self, hint, debuginfo=None):
        super().__init__('codingerror', 'Coding error detected, it must be fixed by a programmer: ' + hint, debuginfo)


class AccessException(MoodleError):
    """webservice_access_exception."""

    exception_class = 'webservice_access_exception'

    def __init__(self, debuginfo):
        super().__init__('accessexception', 'Access control exception', debuginfo)


class RequiredCapability(MoodleError):
    """required_capability_exception: the token user lacks a capability; Moodle names it by its description."""

    exception_class = 'core\\exception\\required_capability_exception'

    def __init__(self, description):
        super().__init__('nopermissions', 'Sorry, but you do not currently have permissions to do that (%s).' % description)


class DmlWriteError(MoodleError):
    """dml_write_exception (a unique index refused the write)."""

    exception_class = 'dml_write_exception'

    def __init__(self, debuginfo):
        super().__init__('dmlwriteexception', 'Error writing to database', debuginfo)


class DmlMissingRecord(MoodleError):
    """dml_missing_record_exception: a MUST_EXIST read found nothing.

    With debugging off Moodle 5.1 hides the table (errorcode invalidrecordunknown); 4.5 answers as with
    debugging on, without the debuginfo (recordings/4.5 and 5.1: prereq_unknown_function,
    enrol_unknown_user, user_delete_missing).
    """

    exception_class = 'dml_missing_record_exception'

    def __init__(self, table, sql, params):
        self.table = table
        self.sql = sql
        self.params = list(params)
        super().__init__('invalidrecord', "Can't find data record in database table %s." % table)

    def render(self, debug, hides_missing_records=True):
        if not debug and hides_missing_records:
            return self.exception_class, 'invalidrecordunknown', "Can't find data record in database.", None
        if self.table == 'user':
            code, message = 'invaliduser', 'Invalid user'
        elif self.table == 'course_modules':
            code, message = 'invalidcoursemodule', 'Invalid course module ID'
        else:
            code, message = 'invalidrecord', "Can't find data record in database table %s." % self.table
        debuginfo = self.sql + '\n[' + php_array_export(self.params) + ']'
        return self.exception_class, code, message, (debuginfo if debug else None)


def moodle_exception(errorcode, message=None, debuginfo=None, module='error'):
    """A plain moodle_exception; an unknown string renders as module/errorcode like Moodle."""
    if message is None:
        message = module + '/' + errorcode
    return MoodleError(errorcode, message, debuginfo)
