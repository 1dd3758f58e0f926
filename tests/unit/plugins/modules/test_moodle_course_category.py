# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_course_category run as main() runs it against the emulator (conftest.py); the category tree on its own."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.lmsops.moodle.plugins.module_utils.categories import CategoryTree, split_path
from ansible_collections.lmsops.moodle.plugins.modules.moodle_course_category import MoodleCourseCategoryModule
from ansible_collections.lmsops.moodle.tests.unit.plugins.modules.conftest import writes

TREE = [dict(path='Science', idnumber='SCI'), dict(path='Science/Physics', idnumber='SCI-PHYS'),
        dict(path='Science/Physics/Optics'), dict(path='Arts')]


def categories(emulator):
    """{path: category} of the emulator's categories."""
    with emulator.lock:
        nodes = dict((c['id'], dict(c)) for c in emulator.state.categories.values())
    tree = CategoryTree(nodes.values())
    return dict(('/'.join(tree.path(catid)), node) for catid, node in nodes.items())


def test_paths_split_on_the_separator_and_ignore_spaces_around_names():
    assert split_path(' Science / Physics ', '/') == ('Science', 'Physics')
    assert split_path('Arts > Art/Design', ' > ') == ('Arts', 'Art/Design')
    assert split_path('', '/') == () and split_path('/', '/') == ()


def test_the_tree_finds_by_path_idnumber_and_id_and_knows_ancestors():
    tree = CategoryTree([dict(id=1, name='A', parent=0, idnumber='a'), dict(id=2, name='B', parent=1),
                         dict(id=3, name='B', parent=0), dict(id=4, name='C', parent=2)])
    assert tree.find('path', 'A/B/C') == (4, None)
    assert tree.find('idnumber', 'a') == (1, None) and tree.find('id', '3') == (3, None)
    assert tree.find('path', 'Z') == (None, None) and tree.find('path', '') == (0, None)
    assert tree.is_below(4, 1) and not tree.is_below(3, 1)
    assert tree.subtree(1) == [1, 2, 4]


def test_a_tree_is_created_one_request_per_level_and_a_rerun_only_reads(emulator, run_on_emulator):
    result = run_on_emulator(MoodleCourseCategoryModule, categories=TREE)
    assert result['summary'] == {'created': 4}
    assert writes(emulator) == [('core_course_create_categories', None)] * 3
    site = categories(emulator)
    assert site['Science/Physics/Optics']['parent'] == site['Science/Physics']['id']
    assert site['Science/Physics']['idnumber'] == 'SCI-PHYS'
    again = run_on_emulator(MoodleCourseCategoryModule, categories=TREE)
    assert not again['changed'] and again['summary'] == {'unchanged': 4} and writes(emulator) == []


def test_a_child_named_before_its_parent_is_refused_before_any_write(emulator, run_on_emulator):
    result = run_on_emulator(MoodleCourseCategoryModule, categories=[TREE[1], TREE[0]])
    assert result['failed'] and writes(emulator) == []
    assert "categories[0] (Science/Physics): parent: no category with path 'Science'" in result['msg']


def test_an_idnumber_taken_from_one_category_cannot_go_to_another_in_the_same_run(emulator, run_on_emulator):
    run_on_emulator(MoodleCourseCategoryModule, categories=TREE)
    result = run_on_emulator(MoodleCourseCategoryModule, categories=[
        dict(path='Science/Physics', state='absent'), dict(path='Arts', idnumber='SCI-PHYS')])
    assert result['failed'] and writes(emulator) == []
    assert "categories[1] (Arts): idnumber 'SCI-PHYS' is taken away from another category by categories[0]" in \
        result['msg']


def test_a_theme_the_site_does_not_store_fails_the_item_naming_the_setting(emulator, run_on_emulator):
    result = run_on_emulator(MoodleCourseCategoryModule, path='Themed', theme='boost')
    assert result['failed'] and result['category']['action'] == 'created'
    assert 'Allow category themes' in result['category']['failed']
    assert 'Themed' in categories(emulator)


def test_a_category_whose_create_answer_is_lost_is_found_again_and_not_created_twice(emulator, run_on_emulator):
    emulator.faults(functions=['core_course_create_categories'], drop='after')
    result = run_on_emulator(MoodleCourseCategoryModule, categories=TREE[:2])
    assert result['failed'] and 'Re-read the site' in result['msg']
    assert [c['action'] for c in result['categories']] == ['created', 'failed']
    assert [function for function, dummy in writes(emulator)] == ['core_course_create_categories']
    assert sorted(categories(emulator)) == ['Category 1', 'Science']
    again = run_on_emulator(MoodleCourseCategoryModule, categories=TREE[:2])
    assert [c['action'] for c in again['categories']] == ['unchanged', 'created']


def test_an_update_keeps_the_description_format_moodle_would_reset(emulator, run_on_emulator):
    run_on_emulator(MoodleCourseCategoryModule, path='Notes', idnumber='N', description='*x*',
                    description_format='markdown')
    result = run_on_emulator(MoodleCourseCategoryModule, idnumber='N', name='Notes 2')
    assert result['category']['changed_fields'] == ['name']
    again = run_on_emulator(MoodleCourseCategoryModule, idnumber='N', name='Notes 2', description='*x*',
                            description_format='markdown')
    assert not again['changed']


def test_check_mode_moves_content_to_a_category_an_earlier_task_would_create(emulator, run_on_emulator):
    run_on_emulator(MoodleCourseCategoryModule, categories=TREE)
    result = run_on_emulator(MoodleCourseCategoryModule, check_mode=True, path='Science/Physics', state='absent',
                             content_to='Archive')
    assert not result.get('failed'), result.get('msg')
    assert result['category']['action'] == 'deleted'
    assert result['category']['content'] == 'moved to Archive'
    assert 'deleted_courses' not in result['category'] and writes(emulator) == []
