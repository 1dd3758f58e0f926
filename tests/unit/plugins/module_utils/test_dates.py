# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Date parsing and ISO formatting for enrolment dates."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

import pytest

from ansible_collections.lmsops.moodle.plugins.module_utils.dates import DateError, format_date, parse_date

SEPT_1 = 1788220800  # 2026-09-01T00:00:00Z


@pytest.mark.parametrize('value, expected', [
    (SEPT_1, SEPT_1),
    (str(SEPT_1), SEPT_1),
    (' %d ' % SEPT_1, SEPT_1),
    (0, 0),
    ('0', 0),
    (float(SEPT_1), SEPT_1),
    ('2026-09-01', SEPT_1),
    ('2026-09-01T00:00:00Z', SEPT_1),
    ('2026-09-01T00:00Z', SEPT_1),
    ('2026-09-01 00:00:00+00:00', SEPT_1),
    ('2026-09-01T02:00:00+02:00', SEPT_1),
    ('2026-09-01T02:00:00+0200', SEPT_1),
    ('2026-08-31T19:00:00-05:00', SEPT_1),
    ('2026-09-01T00:00:00.750Z', SEPT_1),
    (datetime.date(2026, 9, 1), SEPT_1),
    (datetime.datetime(2026, 9, 1, 2, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2))), SEPT_1),
    ('1970-01-01', 0),
    ('2024-02-29', 1709164800),
])
def test_accepted_forms(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize('value, words', [
    ('2026-09-01T08:00:00', 'no zone'),
    (datetime.datetime(2026, 9, 1, 8, 0), 'no zone'),
    ('next monday', 'not a date'),
    ('2026-13-01', 'month'),
    ('2025-02-29', 'day'),
    ('2026-09-01T25:00:00Z', 'out of range'),
    ('2026-09-01T10:00:00+25:00', 'out of range'),
    (-5, 'before 1970'),
    ('1969-12-31', 'before 1970'),
    (True, 'not a date'),
    ('', 'not a date'),
    (1.5, 'whole number'),
    (10 ** 13, '9999'),
])
def test_refused_forms_say_why(value, words):
    with pytest.raises(DateError) as error:
        parse_date(value)
    assert words in str(error.value)


def test_refusal_says_which_forms_are_accepted():
    with pytest.raises(DateError) as error:
        parse_date('01/09/2026')
    assert 'ISO date' in str(error.value) and 'epoch seconds' in str(error.value)


def test_format_is_iso_utc_and_zero_is_no_date():
    assert format_date(SEPT_1) == '2026-09-01T00:00:00Z'
    assert format_date(SEPT_1 + 3661) == '2026-09-01T01:01:01Z'
    assert format_date(0) is None
    assert format_date(None) is None


def test_round_trip():
    for seconds in (1, 86399, 951782400, SEPT_1, 4102444800):
        assert parse_date(format_date(seconds)) == seconds
