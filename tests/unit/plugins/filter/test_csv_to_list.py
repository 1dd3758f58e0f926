# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lmsops.moodle.csv_to_list: CSV text to the list of dicts the bulk options take."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import subprocess
import sys
import textwrap

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.lmsops.moodle.plugins.filter.csv_to_list import FilterModule, csv_to_list

PEOPLE = textwrap.dedent('''\
    username,firstname,lastname,email,suspended,idnumber
    s1001,Sam,One,s1001@example.org,,A-1
    s1002, Sue ,Two,s1002@example.org,true,
    ''')


def test_rows_become_dicts_keyed_by_the_header():
    assert csv_to_list(PEOPLE) == [
        {'username': 's1001', 'firstname': 'Sam', 'lastname': 'One', 'email': 's1001@example.org', 'idnumber': 'A-1'},
        {'username': 's1002', 'firstname': 'Sue', 'lastname': 'Two', 'email': 's1002@example.org', 'suspended': 'true'},
    ]


def test_empty_cells_are_kept_on_request():
    rows = csv_to_list(PEOPLE, keep_empty=True)
    assert rows[0]['suspended'] == '' and rows[1]['idnumber'] == ''


def test_short_rows_miss_the_trailing_columns():
    assert csv_to_list('a,b,c\n1\n') == [{'a': '1'}]
    assert csv_to_list('a,b,c\n1\n', keep_empty=True) == [{'a': '1', 'b': '', 'c': ''}]


def test_spaces_are_kept_when_strip_is_off():
    assert csv_to_list('name\n  x  \n', strip=False) == [{'name': '  x  '}]


def test_quoted_cells_keep_delimiters_quotes_and_newlines():
    text = 'username,description\nu1,"Teaches maths, physics"\nu2,"Says ""hi"""\nu3,"two\nlines"\n'
    assert [r['description'] for r in csv_to_list(text)] == ['Teaches maths, physics', 'Says "hi"', 'two\nlines']


def test_other_delimiter_and_no_header_row():
    rows = csv_to_list('MATH101;s1001;student\nMATH101;t2001;editingteacher\n', delimiter=';',
                       fieldnames=['course', 'user', 'role'])
    assert rows == [{'course': 'MATH101', 'user': 's1001', 'role': 'student'},
                    {'course': 'MATH101', 'user': 't2001', 'role': 'editingteacher'}]


def test_byte_order_mark_blank_lines_and_crlf_are_ignored():
    text = u'\ufeffusername,city\r\n\r\nalice,Oxford\r\n   \r\nbob,Leeds\r\n'
    assert csv_to_list(text) == [{'username': 'alice', 'city': 'Oxford'}, {'username': 'bob', 'city': 'Leeds'}]


def test_empty_text_and_header_only_give_no_rows():
    assert csv_to_list('') == []
    assert csv_to_list('username,email\n') == []


def test_unicode_is_kept():
    assert csv_to_list(u'firstname,lastname\nZoë,Ångström\n') == [{'firstname': u'Zoë', 'lastname': u'Ångström'}]


def test_rename_then_keep_some_columns_turns_people_into_enrolments():
    text = 'username,email,course\ns1001,s1001@example.org,PHYS101\ns1002,s1002@example.org,\n'
    rows = csv_to_list(text, rename={'username': 'user'}, columns=['user', 'course'])
    assert rows == [{'user': 's1001', 'course': 'PHYS101'}, {'user': 's1002'}]


def test_rename_a_spreadsheet_header():
    rows = csv_to_list('User name,Email address\nalice,a@example.org\n',
                       rename={'User name': 'username', 'Email address': 'email'})
    assert rows == [{'username': 'alice', 'email': 'a@example.org'}]


@pytest.mark.parametrize('options, message', [
    ({'rename': {'mail': 'email'}}, 'rename names no column mail; the columns are: username, email'),
    ({'rename': ['email']}, 'rename must be a mapping'),
    ({'rename': {'username': 'email'}}, 'more than once: email'),
    ({'columns': ['username', 'city']}, 'columns names no column city'),
    ({'columns': 'username'}, 'columns must be a list'),
])
def test_bad_rename_or_columns_fail(options, message):
    with pytest.raises(AnsibleFilterError, match=message):
        csv_to_list('username,email\nalice,a@example.org\n', **options)


def test_too_many_cells_names_the_line():
    with pytest.raises(AnsibleFilterError, match=r'line 3 has 3 cells but there are 2 columns \(username, email\)'):
        csv_to_list('username,email\nalice,a@example.org\nbob,Bob Smith,b@example.org\n')


@pytest.mark.parametrize('header, message', [
    ('username,,email', 'empty column name'),
    ('username,email,username', 'more than once: username'),
])
def test_bad_headers_fail(header, message):
    with pytest.raises(AnsibleFilterError, match=message):
        csv_to_list(header + '\nalice,a@example.org,x\n')


@pytest.mark.parametrize('data, delimiter, message', [
    (['a', 'b'], ',', 'expects CSV text'),
    (None, ',', 'expects CSV text'),
    ('a,b\n', ';;', 'single character'),
])
def test_bad_arguments_fail(data, delimiter, message):
    with pytest.raises(AnsibleFilterError, match=message):
        csv_to_list(data, delimiter=delimiter)


def test_malformed_quoting_fails():
    with pytest.raises(AnsibleFilterError, match='malformed'):
        csv_to_list('a,b\n"x"y,z\n')


def test_registered_under_its_name():
    assert FilterModule().filters()['csv_to_list'] is csv_to_list


def test_works_in_a_playbook(tmp_path):
    """The guide's pattern through ansible-playbook: a file lookup piped into the FQCN filter."""
    here = os.path.dirname(os.path.abspath(__file__))
    collection_root = os.path.abspath(os.path.join(here, '..', '..', '..', '..'))
    collections_path = os.path.abspath(os.path.join(collection_root, '..', '..', '..'))
    if os.path.basename(os.path.dirname(os.path.dirname(collection_root))) != 'ansible_collections':
        pytest.skip('the collection is not inside an ansible_collections tree')
    (tmp_path / 'people.csv').write_text(PEOPLE)
    (tmp_path / 'play.yml').write_text(textwrap.dedent('''\
        - hosts: localhost
          gather_facts: false
          tasks:
            - ansible.builtin.assert:
                that:
                  - rows | length == 2
                  - rows[1].firstname == 'Sue'
                  - "'suspended' not in rows[0]"
              vars:
                rows: "{{ lookup('ansible.builtin.file', 'people.csv') | lmsops.moodle.csv_to_list }}"
        '''))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    proc = subprocess.run([sys.executable, '-m', 'ansible.cli.playbook', str(tmp_path / 'play.yml')],
                          cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stdout
    assert 'ok=1' in proc.stdout
