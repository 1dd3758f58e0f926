# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dates as people write them, and as Moodle stores them (seconds since the epoch, 0 = none).

Accepted: epoch seconds (an integer, or a string of digits), an ISO 8601 date
(``2026-09-01``, taken as midnight UTC), or an ISO 8601 date and time **with** a zone
(``2026-09-01T08:30:00Z``, ``2026-09-01 08:30+02:00``).  A date and time without a zone is
refused: it could mean any of 24 instants.  YAML turns unquoted dates into date/datetime
objects; those are accepted too (a datetime must carry its zone).

FOR INTERNAL USE OF THE lmsops.moodle COLLECTION ONLY: module_utils are not a public API; they change in any
release without notice (see docs/architecture.md).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import calendar
import datetime
import re

_DATE = re.compile(r'^(\d{4})-(\d{2})-(\d{2})$')
_DATETIME = re.compile(
    r'^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$')
# Moodle keeps dates in signed 64-bit integers, but PHP's date functions stop making sense past year 9999.
MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z
_EPOCH = datetime.datetime(1970, 1, 1)


class DateError(ValueError):
    """A value that is not a date this collection accepts; the message says what is."""


def _epoch(year, month, day, hour=0, minute=0, second=0, offset_minutes=0):
    try:
        datetime.datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise DateError(str(exc))
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) - offset_minutes * 60


def _offset(zone):
    if zone in ('Z', 'z'):
        return 0
    sign = -1 if zone[0] == '-' else 1
    digits = zone[1:].replace(':', '')
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise DateError('zone offset %s is out of range' % zone)
    return sign * (hours * 60 + minutes)


HINT = ('use epoch seconds, an ISO date (2026-09-01) or an ISO date and time with its zone '
        '(2026-09-01T08:30:00Z, 2026-09-01T08:30:00+02:00)')


def parse_date(value):
    """Return ``value`` as epoch seconds (int, 0 meaning "no date"), or raise DateError."""
    if isinstance(value, bool) or value is None:
        raise DateError('%r is not a date: %s' % (value, HINT))
    if isinstance(value, datetime.datetime):
        seconds = _datetime_seconds(value)
    elif isinstance(value, datetime.date):
        seconds = calendar.timegm((value.year, value.month, value.day, 0, 0, 0, 0, 0, 0))
    elif isinstance(value, (int, float)):
        seconds = _number_seconds(value)
    else:
        seconds = _text_seconds(value)
    if seconds < 0:
        raise DateError('%r is before 1970: Moodle stores dates as seconds since 1970-01-01 (0 means no date)' % value)
    if seconds > MAX_EPOCH:
        raise DateError('%r is after the year 9999' % value)
    return seconds


def _datetime_seconds(value):
    if value.tzinfo is None or value.utcoffset() is None:
        raise DateError('%s has no zone: add one (Z for UTC, or +02:00...)' % value.isoformat())
    return calendar.timegm(value.utctimetuple())


def _number_seconds(value):
    if value != int(value):
        raise DateError('%r: epoch seconds must be a whole number' % value)
    return int(value)


def _text_seconds(value):
    """Epoch seconds as text, an ISO date, or an ISO date and time with its zone."""
    text = str(value).strip()
    if re.match(r'^-?\d+$', text):
        return int(text)
    match = _DATE.match(text)
    if match:
        return _epoch(*[int(part) for part in match.groups()])
    match = _DATETIME.match(text)
    if not match:
        raise DateError('%r is not a date: %s' % (value, HINT))
    year, month, day, hour, minute, second, dummy, zone = match.groups()
    if zone is None:
        raise DateError('%r has no zone: add one (Z for UTC, or +02:00...)' % value)
    if int(hour) > 23 or int(minute) > 59 or int(second or 0) > 59:
        raise DateError('%r: the time of day is out of range' % value)
    return _epoch(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), _offset(zone))


def format_date(seconds):
    """Epoch seconds as ISO 8601 in UTC (``2026-09-01T08:30:00Z``); None for 0 ("no date") or None."""
    if not seconds:
        return None
    return (_EPOCH + datetime.timedelta(seconds=int(seconds))).strftime('%Y-%m-%dT%H:%M:%SZ')
