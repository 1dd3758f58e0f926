# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: csv_to_list
short_description: Turn CSV text into the list of dictionaries the bulk options take
version_added: 1.0.0
author:
  - lmsops.moodle contributors (@lmsops)
description:
  - Parses CSV text (for example a file read with P(ansible.builtin.file#lookup)) into a list with one dictionary
    per row, keyed by the header row, ready for O(lmsops.moodle.moodle_user#module:users),
    O(lmsops.moodle.moodle_enrolment#module:enrolments) or O(lmsops.moodle.moodle_role_assignment#module:assignments).
  - Empty cells are left out of each row's dictionary, so an empty cell means "leave this field as it is", not
    "clear it". Set O(keep_empty=true) to keep them as empty strings.
  - Values stay strings; the modules convert V(true)/V(false), V(yes)/V(no), V(1)/V(0) and numbers to the types
    their options need.
  - Blank lines are skipped; a UTF-8 byte order mark (as spreadsheet programs write it) is ignored.
  - A row with more cells than there are columns, or a header with an empty or repeated column name, fails the
    task and names the line.
options:
  _input:
    description: The CSV text. The first row names the columns unless O(fieldnames) is given.
    type: str
    required: true
  delimiter:
    description: The character between cells, for example V(;) for spreadsheets saved in some locales.
    type: str
    default: ','
  fieldnames:
    description:
      - Column names, for CSV text without a header row. When given, the first row is data.
    type: list
    elements: str
  rename:
    description:
      - "Rename columns, as a mapping of the CSV's column name to the name wanted, for example
        V({'Email address': 'email'}) for a spreadsheet export, or V({'username': 'user'}) to turn a list of people
        into enrolments. Applied before O(columns)."
    type: dict
  columns:
    description:
      - Keep only these columns (named after O(rename)) and drop the others. Every name given must be a column.
    type: list
    elements: str
  keep_empty:
    description:
      - Keep empty cells (and missing cells of short rows) as empty strings instead of leaving them out.
    type: bool
    default: false
  strip:
    description:
      - Remove spaces around each cell and each column name.
    type: bool
    default: true
seealso:
  - module: lmsops.moodle.moodle_user
  - module: lmsops.moodle.moodle_enrolment
  - module: lmsops.moodle.moodle_role_assignment
'''

EXAMPLES = r'''
- name: Create the users listed in people.csv (username,firstname,lastname,email,...)
  lmsops.moodle.moodle_user:
    users: "{{ lookup('ansible.builtin.file', 'people.csv') | lmsops.moodle.csv_to_list }}"

- name: Enrol the rows of a semicolon-separated export that has no header row
  lmsops.moodle.moodle_enrolment:
    enrolments: "{{ lookup('ansible.builtin.file', 'enrol.csv')
                    | lmsops.moodle.csv_to_list(delimiter=';', fieldnames=['course', 'user', 'role']) }}"

- name: Add a value every row needs
  lmsops.moodle.moodle_user:
    users: "{{ lookup('ansible.builtin.file', 'people.csv') | lmsops.moodle.csv_to_list
               | map('combine', {'auth': 'manual', 'create_password': true}) | list }}"

- name: Enrol each person in the course named in their row (columns username,...,course)
  lmsops.moodle.moodle_enrolment:
    enrolments: "{{ lookup('ansible.builtin.file', 'people.csv')
                    | lmsops.moodle.csv_to_list(rename={'username': 'user'}, columns=['user', 'course'])
                    | selectattr('course', 'defined') | list }}"
'''

RETURN = r'''
_value:
  description: One dictionary per data row, in file order, with the column names as keys.
  type: list
  elements: dict
  sample:
    - {username: s1001, firstname: Sam, lastname: One, email: s1001@example.org}
    - {username: s1002, firstname: Sue, lastname: Two, email: s1002@example.org, suspended: 'true'}
'''

import csv
import io

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

BOM = u'\ufeff'


def csv_to_list(data, delimiter=',', fieldnames=None, keep_empty=False, strip=True, rename=None, columns=None):
    """Parse CSV text into a list of dicts keyed by the header row (or ``fieldnames``)."""
    clean = (lambda value: value.strip()) if strip else (lambda value: value)
    rows = _rows(data, delimiter)
    if fieldnames is not None:
        header, header_line = [clean(to_text(name)) for name in fieldnames], None
    elif rows:
        header_line, header = rows[0][0], [clean(name) for name in rows[0][1]]
        rows = rows[1:]
    else:
        return []
    where = 'fieldnames' if header_line is None else 'the header (line %d)' % header_line
    if not header or any(not name for name in header):
        raise AnsibleFilterError('csv_to_list: %s has an empty column name: %r' % (where, header))
    header = _renamed(header, rename)
    repeated = sorted(set(name for name in header if header.count(name) > 1))
    if repeated:
        raise AnsibleFilterError('csv_to_list: %s names column(s) more than once: %s' % (where, ', '.join(repeated)))
    keep = _kept(header, columns)
    return [_record(line, row, header, keep, clean, keep_empty) for line, row in rows]


def _rows(data, delimiter):
    """[(line number, cells)] of the rows with any text, the BOM dropped."""
    if not isinstance(data, str):
        raise AnsibleFilterError('csv_to_list expects CSV text (a string), got %s' % type(data).__name__)
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise AnsibleFilterError('csv_to_list: delimiter must be a single character, got %r' % (delimiter,))
    text = to_text(data)
    if text.startswith(BOM):
        text = text[len(BOM):]
    try:
        reader = csv.reader(io.StringIO(text), delimiter=to_text(delimiter), strict=True)
        return [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise AnsibleFilterError('csv_to_list: the CSV text is malformed: %s' % error)


def _renamed(header, rename):
    if rename is None:
        return header
    if not isinstance(rename, dict):
        raise AnsibleFilterError('csv_to_list: rename must be a mapping of column names, got %r' % (rename,))
    unknown = sorted(to_text(name) for name in rename if to_text(name) not in header)
    if unknown:
        raise AnsibleFilterError('csv_to_list: rename names no column %s; the columns are: %s'
                                 % (', '.join(unknown), ', '.join(header)))
    return [to_text(rename.get(name, name)) for name in header]


def _kept(header, columns):
    """The set of columns to keep (None: all)."""
    if columns is None:
        return None
    if isinstance(columns, str) or not isinstance(columns, (list, tuple)):
        raise AnsibleFilterError('csv_to_list: columns must be a list of column names, got %r' % (columns,))
    keep = set(to_text(name) for name in columns)
    unknown = sorted(keep - set(header))
    if unknown:
        raise AnsibleFilterError('csv_to_list: columns names no column %s; the columns are: %s'
                                 % (', '.join(unknown), ', '.join(header)))
    return keep


def _record(line, row, header, keep, clean, keep_empty):
    if len(row) > len(header):
        raise AnsibleFilterError('csv_to_list: line %d has %d cells but there are %d columns (%s); quote cells '
                                 'that contain the delimiter' % (line, len(row), len(header), ', '.join(header)))
    record = {}
    for index, name in enumerate(header):
        if keep is not None and name not in keep:
            continue
        value = clean(row[index]) if index < len(row) else u''
        if value != u'' or keep_empty:
            record[name] = value
    return record


class FilterModule(object):
    """lmsops.moodle filters."""

    def filters(self):
        return {'csv_to_list': csv_to_list}
