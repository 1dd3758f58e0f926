# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_user's plan, apply and bisected writes, run as main() runs them against the emulator (conftest.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.lmsops.moodle.plugins.modules.moodle_user import MoodleUserModule
from ansible_collections.lmsops.moodle.tests.unit.plugins.modules.conftest import writes


def person(name, **fields):
    return dict(dict(username=name, firstname=name.title(), lastname='Tester', email='%s@example.org' % name,
                     password='Secret#%s1' % name.title()), **fields)


PEOPLE = [person('ann'), person('ben'), person('cat')]


def site_users(emulator, *names):
    with emulator.lock:
        return dict((user['username'], dict(user)) for user in emulator.state.users.values()
                    if not user.get('deleted') and user['username'] in names)


def test_users_are_created_in_one_write_and_a_rerun_reads_only(emulator, run_on_emulator):
    result = run_on_emulator(MoodleUserModule, users=PEOPLE)
    assert result['changed'] and [u['action'] for u in result['users']] == ['created'] * 3
    assert writes(emulator) == [('core_user_create_users', None)]
    assert sorted(site_users(emulator, 'ann', 'ben', 'cat')) == ['ann', 'ben', 'cat']
    again = run_on_emulator(MoodleUserModule, users=PEOPLE)
    assert not again['changed'] and again['summary'] == {'unchanged': 3}
    assert writes(emulator) == []
    assert 'Secret#Ann1' not in str(again)


def test_check_mode_predicts_the_real_run_and_writes_nothing(emulator, run_on_emulator):
    run_on_emulator(MoodleUserModule, users=PEOPLE[:2])
    wanted = [person('ann', city='Leeds'), PEOPLE[1], PEOPLE[2], dict(username='nobody', state='absent')]
    predicted = run_on_emulator(MoodleUserModule, check_mode=True, diff=True, users=wanted)
    assert writes(emulator) == [] and 'cat' not in site_users(emulator, 'cat')
    done = run_on_emulator(MoodleUserModule, diff=True, users=wanted)
    assert [u['action'] for u in predicted['users']] == [u['action'] for u in done['users']] == [
        'updated', 'unchanged', 'created', 'unchanged']
    assert predicted['diff'] == done['diff']
    assert predicted['diff'][0] == dict(before_header='user ann', after_header='user ann', before={'city': ''},
                                        after={'city': 'Leeds'})


def test_an_update_sends_only_what_differs(emulator, run_on_emulator):
    run_on_emulator(MoodleUserModule, users=PEOPLE)
    result = run_on_emulator(MoodleUserModule, users=[person('ben', city='York', department='Physics')])
    assert result['users'][0]['changed_fields'] == ['city', 'department']
    update = [entry for entry in emulator.requests if entry.get('write')]
    # users[0][id], [city], [department]: the names, e-mail and password given are the same, so not sent
    assert [(entry['wsfunction'], entry['fields']) for entry in update] == [('core_user_update_users', 3 + 3)]
    assert site_users(emulator, 'ben')['ben']['city'] == 'York'


def test_a_user_another_writer_creates_meanwhile_is_settled_and_the_rest_sent_again_once(emulator, run_on_emulator):
    # Between this run's read and its create, another writer creates ben with the same values.
    emulator.faults(functions=['core_user_create_users'], concurrent={'users': [
        dict(username='ben', firstname='Ben', lastname='Tester', email='ben@example.org')]})
    result = run_on_emulator(MoodleUserModule, users=PEOPLE)
    assert not result.get('failed'), result.get('msg')
    assert dict((u['username'], u['action']) for u in result['users']) == dict(ann='created', ben='unchanged',
                                                                               cat='created')
    # Moodle refused the first create as a whole (ben's username was taken); ann and cat were sent once more.
    assert writes(emulator) == [
        ('core_user_create_users', 'invalidparameter'), ('core_user_create_users', None)]
    assert any('another writer' in warning for warning in result['warnings'])


def test_a_lost_answer_is_read_again_and_what_was_done_is_reported(emulator, run_on_emulator):
    emulator.faults(functions=['core_user_create_users'], drop='after')
    result = run_on_emulator(MoodleUserModule, users=PEOPLE[:2])
    assert result['failed'] and 'Re-read the site' in result['msg']
    # The create ran before the answer was lost: the re-read finds both users, and nothing is sent twice.
    assert [u['action'] for u in result['users']] == ['created', 'created']
    assert [function for function, dummy in writes(emulator)] == ['core_user_create_users']
    assert sorted(site_users(emulator, 'ann', 'ben')) == ['ann', 'ben']
