#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: moodle_course_category
short_description: Create, rename, move and delete Moodle course categories, a whole tree in one task
version_added: 1.1.0
description:
  - Makes Moodle course categories match what you describe, through Moodle's REST web services.
  - A category is found by O(path) (its names from the top, C(Science/Physics)), by O(idnumber), or by O(id). One
    read of the site's categories resolves every item; a second run with the same input makes no write call and
    reports C(changed=false).
  - Single form (top-level options, one category) or bulk form (O(categories), a list of the same options). The items
    are applied in the order given, as a playbook would - a path or parent names the site as the items before it
    leave it, so a parent comes before its children. The writes are batched all the same - new categories one
    request per tree level (a child needs its parent's id), every rename and move in one request, every deletion in
    one request.
  - Every item is checked before anything is written; a bad item (an unknown parent, a category that would become
    its own ancestor, an idnumber another category holds, content with nowhere to go) fails the run, naming it, and
    nothing is written.
  - Deleting a category never deletes its content unless O(delete_content=true) - its courses and subcategories move
    to O(content_to), by default its parent. Check mode and diff show where they go, or which courses would be
    deleted.
extends_documentation_fragment:
  - lmsops.moodle.connection
  - lmsops.moodle.attributes
author:
  - lmsops.moodle contributors (@lmsops)
options:
  path:
    description:
      - The category's names from the top level down, separated by O(path_separator) - V(Science) is a top-level
        category, V(Science/Physics) the category Physics inside it. Spaces around each name are ignored.
      - Identifies the category unless O(idnumber) or O(id) is given; then it says where that category must be
        (its name and parent), so that it is renamed or moved there.
      - A category that is not found is created with the last name, inside the category the rest of the path names
        (which must exist, or be created by an earlier item of the same task).
      - Moodle allows two categories with the same name in the same parent; such a path cannot be told apart and
        fails the run - name the category by O(idnumber) or O(id).
      - One of O(path), O(idnumber) and O(id) is required in the single form and in each item.
    type: str
  idnumber:
    description:
      - The category's ID number (unique on the site, at most 100 characters). Identifies the category unless O(id)
        is given; a category with this idnumber that is not found is created (O(name) or O(path) then names it).
      - With O(path) or O(id) as the identity, the idnumber the category must have.
    type: str
  id:
    description:
      - The category's Moodle id. Identifies an existing category (a category cannot be created with a chosen id).
    type: int
  name:
    description:
      - The category's name (at most 255 characters). With O(idnumber) or O(id) as the identity, a different name
        renames the category.
      - With O(path), the name is the path's last name; a different O(name) is refused (the next run would not find
        the category again).
    type: str
  parent:
    description:
      - The category this one is (or is moved) inside, named by O(parent_field); V('') (path) or V(0) (id) is the
        top level.
      - Not given - a new category is created at the top level (or where O(path) says), an existing one stays where
        it is.
      - Not allowed together with O(path), which already says where the category is.
    type: raw
  parent_field:
    description:
      - What O(parent) is - a V(path) of names, an V(idnumber) or an V(id).
      - Default V(path).
    type: str
    choices: [path, idnumber, id]
  description:
    description:
      - The category's description, compared and sent as given (Moodle's raw text, not the page's rendering).
    type: str
  description_format:
    description:
      - The format of O(description) - V(html), V(moodle) (Moodle auto-format), V(plain) or V(markdown).
      - Not given - V(html) for a new category, unchanged for an existing one.
    type: str
    choices: [html, moodle, plain, markdown]
  theme:
    description:
      - The category's theme (a theme's name, for example V(boost)). Moodle stores it only when the site allows
        category themes (Site administration > Appearance > Advanced theme settings > Allow category themes);
        otherwise the item fails after the write, saying so.
    type: str
  visible:
    description:
      - Whether the category must be visible. Core Moodle's web services cannot show or hide a category (a new one
        takes its parent's visibility), so this is a check - a category whose visibility differs fails the run
        before any write, saying where to change it (Site administration > Courses > Manage courses and
        categories).
    type: bool
  state:
    description:
      - V(present) creates or updates the category; V(absent) deletes it.
      - Deleting a category that does not exist is not an error and reports C(changed=false).
      - Default V(present).
    type: str
    choices: [present, absent]
  content_to:
    description:
      - With O(state=absent), the category that receives the deleted category's courses and subcategories, named
        by O(content_to_field). Default - its parent.
      - A top-level category's content cannot move to the top level (Moodle refuses it) - give O(content_to), or
        O(delete_content=true). An empty top-level category needs neither.
    type: raw
  content_to_field:
    description:
      - What O(content_to) is - a V(path), an V(idnumber) or an V(id).
      - Default V(path).
    type: str
    choices: [path, idnumber, id]
  delete_content:
    description:
      - With O(state=absent), delete the category's courses and subcategories with it (Moodle's C(recursive)).
        Irreversible; check mode and diff list the courses that would be deleted.
      - Default V(false) - the content moves (see O(content_to)).
    type: bool
  path_separator:
    description:
      - What separates the names in O(path), O(parent) and O(content_to) paths. Change it when a category name
        contains C(/), for example to V(' > ').
    type: str
    default: /
  categories:
    description:
      - Bulk form, a list of categories with the options above (one of O(path), O(idnumber), O(id) in each).
      - An option given at the top level next to O(categories) (O(parent), O(description_format), O(state)...) is
        the default of every item; an item's own value wins, and an item's own O(parent) or O(content_to) drops the
        top-level O(parent_field) or O(content_to_field).
      - Mutually exclusive with O(path), O(idnumber) and O(id).
    type: list
    elements: dict
    suboptions:
      path:
        description: See O(path).
        type: str
      idnumber:
        description: See O(idnumber).
        type: str
      id:
        description: See O(id).
        type: int
      name:
        description: See O(name).
        type: str
      parent:
        description: See O(parent).
        type: raw
      parent_field:
        description: See O(parent_field).
        type: str
        choices: [path, idnumber, id]
      description:
        description: See O(description).
        type: str
      description_format:
        description: See O(description_format).
        type: str
        choices: [html, moodle, plain, markdown]
      theme:
        description: See O(theme).
        type: str
      visible:
        description: See O(visible).
        type: bool
      state:
        description: See O(state).
        type: str
        choices: [present, absent]
      content_to:
        description: See O(content_to).
        type: raw
      content_to_field:
        description: See O(content_to_field).
        type: str
        choices: [path, idnumber, id]
      delete_content:
        description: See O(delete_content).
        type: bool
notes:
  - Needs these functions in the token's service - core_webservice_get_site_info, core_course_get_categories,
    core_course_get_courses_by_field, core_course_create_categories, core_course_update_categories,
    core_course_delete_categories. The token user needs moodle/category:manage (in the categories and the parents
    they move to; Moodle shows idnumbers only with it) and moodle/category:viewhiddencategories (hidden categories
    are otherwise not read, and could be created twice); deleting content also needs what Moodle asks to delete
    each course (moodle/course:delete).
  - "Reads: all the site's categories in one call (with C(moodlewssettingraw), so names and descriptions compare as
    stored); the courses of the categories whose content O(delete_content) deletes, to list them."
seealso:
  - module: lmsops.moodle.moodle_site_info
  - module: lmsops.moodle.moodle_enrolment
'''

EXAMPLES = r'''
- name: A category tree in one task (parents before children)
  lmsops.moodle.moodle_course_category:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    categories:
      - path: Science
        idnumber: SCI
      - path: Science/Physics
        idnumber: SCI-PHYS
        description: Mechanics, optics and everything in between
      - path: Science/Chemistry
      - path: Humanities

- name: Rename and move the category with idnumber SCI-PHYS (found by idnumber, wherever it is)
  lmsops.moodle.moodle_course_category:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    idnumber: SCI-PHYS
    name: Physics and Astronomy
    parent: Science

- name: A name containing a slash
  lmsops.moodle.moodle_course_category:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    path: Humanities > Art/Design
    path_separator: " > "

- name: Delete Humanities; its courses and subcategories move to Science
  lmsops.moodle.moodle_course_category:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    path: Humanities
    state: absent
    content_to: Science

- name: Delete an old tree and every course in it (check mode first shows which courses go)
  lmsops.moodle.moodle_course_category:
    url: https://moodle.example.org
    token: "{{ moodle_token }}"
    idnumber: ARCHIVE-2019
    state: absent
    delete_content: true
'''

RETURN = r'''
category:
  description: The category, in the single form.
  returned: when O(path), O(idnumber) or O(id) is given
  type: dict
  contains:
    id:
      description: The category's Moodle id (null in check mode for one that would be created).
      type: int
      sample: 7
    path:
      description: Where the category is after the run (or was, when deleted), its names from the top, joined with
        O(path_separator).
      type: str
      sample: Science/Physics
    idnumber:
      description: The category's ID number after the run.
      type: str
      sample: SCI-PHYS
    parent:
      description: The id of the category it is inside (0 - the top level; null for a parent still to be created).
      type: int
      sample: 6
    action:
      description: What was done (or, in check mode, would be done) - V(created), V(updated), V(deleted),
        V(unchanged), V(failed), or V(unknown) (a write failed and its effect could not be read back).
      type: str
      sample: created
    changed_fields:
      description: The fields that changed (name, idnumber, parent, description, description_format, theme).
      type: list
      elements: str
      sample: [name, parent]
    content:
      description: For a deleted category, where its courses and subcategories went - C(moved to PATH) or
        C(deleted), C(empty) when it had none.
      type: str
      returned: when the category is deleted
      sample: moved to Science
    deleted_courses:
      description: With O(delete_content=true), the shortnames of the courses deleted with the category.
      type: list
      elements: str
      returned: when O(delete_content=true) deletes courses
      sample: [PHYS2019, CHEM2019]
    failed:
      description: Why this category failed, in Moodle's words.
      type: str
      returned: when the category failed
categories:
  description: Every category of the bulk form, in the order given, each as described for RV(category).
  returned: when O(categories) is given
  type: list
  elements: dict
  sample:
    - {id: 6, path: Science, idnumber: SCI, parent: 0, action: created, changed_fields: [description_format, idnumber,
       name, parent]}
    - {id: 7, path: Science/Physics, idnumber: SCI-PHYS, parent: 6, action: unchanged, changed_fields: []}
summary:
  description: How many categories got each action.
  returned: always
  type: dict
  sample: {created: 3, unchanged: 1}
diff:
  description: Before and after of each category that changes (or would change), when diff mode is on.
  returned: when diff mode is on and something changes
  type: list
  elements: dict
  sample:
    - before_header: "category Science/Physics"
      after_header: "category Science/Physics"
      before: {name: Physics}
      after: {name: Physics and Astronomy}
'''

from ansible_collections.lmsops.moodle.plugins.module_utils.api import REQUIRED_FUNCTIONS
from ansible_collections.lmsops.moodle.plugins.module_utils.categories import (
    FORMAT_NAMES, TEXT_FORMATS, CategoryTree, split_path)
from ansible_collections.lmsops.moodle.plugins.module_utils.module_base import (
    Change, MoodleModule, PlanData, as_text)
from ansible_collections.lmsops.moodle.plugins.module_utils.resolve import Missing

ADMIN_CATEGORY_THEMES = 'Site administration > Appearance > Advanced theme settings > Allow category themes'
ADMIN_MANAGE_CATEGORIES = 'Site administration > Courses > Manage courses and categories'
# What a category item may set, and the name of each in results and diffs.
COMPARED = (('name', 'name'), ('idnumber', 'idnumber'), ('parent', 'parent'), ('description', 'description'),
            ('descriptionformat', 'description_format'), ('theme', 'theme'))
PRESENT_ONLY = ('name', 'parent', 'description', 'description_format', 'theme', 'visible')
NAME_MAX = 255          # course_categories.name
IDNUMBER_MAX = 100      # course_categories.idnumber


class CategoryPlan(PlanData):
    """One category as planned: its id (negative until created), what is sent, and for a deletion where the content
    goes (content_to: an id; recursive: deleted with it) and the courses deleted."""

    fields = ('catid', 'send', 'content_to', 'recursive', 'content', 'below', 'deleted_courses', 'path')
    __slots__ = fields


class MoodleCourseCategoryModule(MoodleModule):
    resource = 'category'
    list_option = 'categories'
    single_option = 'path'
    identity_options = ('path', 'idnumber', 'id')
    required_functions = tuple(REQUIRED_FUNCTIONS['moodle_course_category'])
    item_options = dict(
        path=dict(type='str'),
        idnumber=dict(type='str'),
        id=dict(type='int'),
        name=dict(type='str'),
        parent=dict(type='raw'),
        parent_field=dict(type='str', default='path', choices=['path', 'idnumber', 'id']),
        description=dict(type='str'),
        description_format=dict(type='str', choices=sorted(TEXT_FORMATS)),
        theme=dict(type='str'),
        visible=dict(type='bool'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        content_to=dict(type='raw'),
        content_to_field=dict(type='str', default='path', choices=['path', 'idnumber', 'id']),
        delete_content=dict(type='bool', default=False),
    )
    item_scoped = {'parent': ('parent_field',), 'content_to': ('content_to_field',)}
    module_options = dict(path_separator=dict(type='str', default='/'))

    def __init__(self, module=None, api=None):
        super(MoodleCourseCategoryModule, self).__init__(module, api)
        self.tree = None            # the site's categories as the items planned so far leave them
        self.freed = {}             # idnumber -> the item that takes it away (renamed or deleted) in this run
        self._created = {}          # placeholder id -> the id Moodle gave

    # -- items ----------------------------------------------------------------------------
    @property
    def separator(self):
        return self.params.get('path_separator') or '/'

    def identity(self, item):
        """(field, value) the item is found by: id, else idnumber, else path."""
        for field in ('id', 'idnumber', 'path'):
            if item.get(field) is not None:
                return field, item[field]
        return None, None

    def describe_item(self, item):
        """Its path when given (what people read best), else what identifies it."""
        if item.get('path') is not None:
            return as_text(item['path'])
        field, value = self.identity(item)
        return '%s %s' % (field, as_text(value)) if field else '?'

    def item_key(self, item):
        field, value = self.identity(item)
        return (field, split_path(value, self.separator) if field == 'path' else as_text(value))

    def validate_item(self, item):
        problems = []
        field, dummy = self.identity(item)
        if field is None:
            problems.append('give path, idnumber or id to name the category')
        problems.extend(self._path_problems(item))
        if len(as_text(item.get('name'))) > NAME_MAX:
            problems.append('name is longer than Moodle\'s %d characters' % NAME_MAX)
        if len(as_text(item.get('idnumber'))) > IDNUMBER_MAX:
            problems.append('idnumber is longer than Moodle\'s %d characters' % IDNUMBER_MAX)
        if item.get('name') is not None and not as_text(item['name']):
            problems.append('name is empty')
        problems.extend(self._state_problems(item))
        return problems

    def _path_problems(self, item):
        if item.get('path') is None:
            return []
        names = split_path(item['path'], self.separator)
        if not names:
            return ['path %r names no category (it is the top level)' % item['path']]
        if '' in names:
            return ['path %r has an empty name between two %r' % (item['path'], self.separator)]
        problems = []
        if item.get('parent') is not None:
            problems.append('path already says where the category is: leave out parent')
        if item.get('name') is not None and as_text(item['name']) != names[-1] and item.get('id') is None \
                and item.get('idnumber') is None:
            problems.append('name %r differs from the last name of path %r: the next run would not find the category '
                            'by this path; to rename it, name it by idnumber or id' % (item['name'], item['path']))
        return problems

    @staticmethod
    def _state_problems(item):
        if item['state'] == 'absent':
            given = [name for name in PRESENT_ONLY if item.get(name) is not None]
            problems = ['state=absent deletes the category; remove %s or use state=present' % ', '.join(given)] if given else []
            if item.get('content_to') is not None and item.get('delete_content'):
                problems.append('content_to moves the content, delete_content deletes it: give one of them')
            return problems
        given = [name for name in ('content_to', 'delete_content') if item.get(name)]
        return ['%s only applies to state=absent' % ', '.join(given)] if given else []

    # -- plan -----------------------------------------------------------------------------
    def plan(self, items):
        self.tree = CategoryTree(self.api.get_all_categories())
        changes = []
        for label, item in items:
            change = Change(item, label, self.describe_item(item))
            change.data = CategoryPlan(catid=None, send=None, content_to=None, recursive=False, content=None,
                                       below=[], deleted_courses=[], path=None)
            problem = self._plan_item(change)
            if problem:
                self.input_error(label, problem)
            changes.append(change)
        self._list_deleted_courses([c for c in changes if c.data.recursive and c.action == 'deleted'])
        return changes

    def _plan_item(self, change):
        """Plan one item against the tree as the items before it leave it; the problem, or None."""
        item = change.item
        field, value = self.identity(item)
        catid, problem = self.tree.find(field, value, self.separator)
        if problem:
            return problem
        if item['state'] == 'absent':
            return self._plan_deletion(change, catid) if catid is not None else None
        if catid is None:
            return self._plan_creation(change)
        return self._plan_update(change, catid)

    def _reference(self, change, value, field, what):
        """(category id, problem) of a parent or content_to reference; in check mode a category an earlier task may
        create is planned as found (its id unknown)."""
        catid, problem = self.tree.find(field, value, self.separator)
        if problem or catid is not None:
            return catid, problem and '%s: %s' % (what, problem)
        missing = Missing('category with %s' % field, as_text(value),
                          ' (not on the site, and not created by an earlier item of this task)')
        if self.defer_missing(change.label, missing):
            self.note_not_found(change)
            return None, None
        return None, '%s: %s' % (what, missing)

    def _wanted_parent(self, change):
        """(parent id, given, problem): where the item puts the category (path's parent, or parent); given False
        when the item does not say."""
        item = change.item
        if item.get('path') is not None:
            parent_path = self.separator.join(split_path(item['path'], self.separator)[:-1])
            catid, problem = self._reference(change, parent_path, 'path', 'parent')
            return catid, True, problem
        if item.get('parent') is not None:
            catid, problem = self._reference(change, item['parent'], item['parent_field'], 'parent')
            return catid, True, problem
        return 0, False, None

    def _wanted_fields(self, change):
        """{field: value} the item sets (name, idnumber, description, descriptionformat, theme; not parent)."""
        item = change.item
        wanted = {}
        name = item.get('name')
        if name is None and item.get('path') is not None:
            name = split_path(item['path'], self.separator)[-1]
        if name is not None:
            wanted['name'] = as_text(name)
        for option, field in (('idnumber', 'idnumber'), ('description', 'description'), ('theme', 'theme')):
            if item.get(option) is not None:
                wanted[field] = as_text(item[option]) if option != 'description' else item[option]
        if item.get('description_format') is not None:
            wanted['descriptionformat'] = TEXT_FORMATS[item['description_format']]
        return wanted

    def _plan_creation(self, change):
        item = change.item
        if item.get('id') is not None:
            return 'no category with id %s (a category is created by path or idnumber, not by id)' % item['id']
        parent, dummy, problem = self._wanted_parent(change)
        if problem:
            return problem
        wanted = self._wanted_fields(change)
        if 'name' not in wanted:
            return 'no category with idnumber %r, and to create it a name is needed: give name or path' % item['idnumber']
        problem = self._idnumber_problem(change, wanted.get('idnumber'), None) or self._visibility_problem(
            item, parent, None)
        if problem:
            return problem
        wanted.setdefault('descriptionformat', TEXT_FORMATS['html'])
        fields = dict(wanted, parent=parent if parent is not None else 0)
        catid = self.tree.add(fields)
        change.action = 'created'
        change.before = {}
        change.after = self._shown(fields)
        change.data.update(catid=catid, send=dict(wanted, parent=parent), path=self._path(catid))
        return None

    def _plan_update(self, change, catid):
        item = change.item
        parent, parent_given, problem = self._wanted_parent(change)
        if problem:
            return problem
        wanted = self._wanted_fields(change)
        if parent_given and parent is not None:
            if parent > 0 and self.tree.is_below(parent, catid):
                return ('parent %s is this category or inside it: a category cannot become its own ancestor'
                        % self._path(parent))
            wanted['parent'] = parent
        problem = self._idnumber_problem(change, wanted.get('idnumber'), catid) or self._visibility_problem(
            item, None, catid)
        if problem:
            return problem
        node = self.tree.nodes[catid]
        differ = dict((field, value) for field, value in wanted.items() if node[field] != value)
        change.id = catid if catid > 0 else None
        change.data.catid = catid
        if differ:
            if 'idnumber' in differ and node['idnumber']:
                self.freed[node['idnumber']] = change.label
            change.action = 'updated'
            change.before = self._shown(dict((field, node[field]) for field in differ))
            change.after = self._shown(differ)
            change.data.send = differ
            self.tree.change(catid, differ)
        change.data.path = self._path(catid)
        return None

    def _plan_deletion(self, change, catid):
        item = change.item
        node = self.tree.nodes.get(catid)
        if node is None or catid == 0:
            return 'the top level is not a category: it cannot be deleted'
        change.id = catid if catid > 0 else None
        change.data.update(catid=catid, path=self._path(catid))
        content = self._content(catid)
        if item['delete_content'] or not content:
            target, problem = None, None
        elif item.get('content_to') is not None:
            target, problem = self._reference(change, item['content_to'], item['content_to_field'], 'content_to')
        else:
            target, problem = node['parent'], None
            if target == 0:
                problem = ('a top-level category\'s content cannot move to the top level (Moodle refuses it) and this '
                           'one holds %s: give content_to (the category to move it to), or delete_content: true'
                           % content)
        if problem:
            return problem
        if target is not None and target > 0 and self.tree.is_below(target, catid):
            return 'content_to %s is inside the category being deleted' % self._path(target)
        change.action = 'deleted'
        change.before = self._shown(dict((field, node[field]) for field, dummy in COMPARED))
        change.after = {}
        delete_content = bool(item['delete_content'] and content)
        change.data.update(content_to=target, recursive=delete_content or not content,
                           content=self._content_outcome(item, content, target))
        if delete_content:
            change.data.below = [c for c in self.tree.subtree(catid) if c > 0 and self.tree.nodes[c]['coursecount']]
        if node['idnumber']:
            self.freed[node['idnumber']] = change.label
        self.tree.remove(catid, target)
        return None

    def _content_outcome(self, item, content, target):
        """Where a deleted category's content goes, in words (a content_to that check mode did not find yet is named
        as given)."""
        if not content:
            return 'empty'
        if item['delete_content']:
            return 'deleted'
        return 'moved to %s' % (self._path(target) if target is not None else as_text(item['content_to']))

    def _content(self, catid):
        """What a category holds, in words ('' when empty): its courses and subcategories, all levels down."""
        below = self.tree.subtree(catid)
        courses = sum(self.tree.nodes[c]['coursecount'] for c in below)
        parts = []
        if courses:
            parts.append('%d course(s)' % courses)
        if len(below) > 1:
            parts.append('%d subcategorie(s)' % (len(below) - 1))
        return ' and '.join(parts)

    def _idnumber_problem(self, change, idnumber, catid):
        if not idnumber:
            return None
        if idnumber in self.freed:
            return ('idnumber %r is taken away from another category by %s in this same task: Moodle would refuse to '
                    'give it again in the same run; set it in a later task' % (idnumber, self.freed[idnumber]))
        holder, dummy = self.tree.find('idnumber', idnumber)
        if holder is not None and holder != catid:
            return 'idnumber %r is held by category %s (id %s)' % (idnumber, self._path(holder), holder)
        return None

    def _visibility_problem(self, item, parent, catid):
        if item.get('visible') is None:
            return None
        if catid is not None:
            current = self.tree.nodes[catid]['visible']
        else:
            current = parent is None or self.tree.visible(parent)
        if current == item['visible']:
            return None
        return ('visible: the category %s %s, and core Moodle\'s web services cannot show or hide a category (a new '
                'one takes its parent\'s visibility): change it at %s, or leave visible out'
                % ('is' if catid is not None else 'would be', 'visible' if current else 'hidden', ADMIN_MANAGE_CATEGORIES))

    def _path(self, catid):
        return self.separator.join(self.tree.path(catid)) if catid is not None else None

    def _shown(self, fields):
        """Fields as results and diffs show them: the parent as its path, the format by name."""
        shown = {}
        for field, name in COMPARED:
            if field in fields:
                value = fields[field]
                if field == 'parent':
                    value = self._path(value) if value is not None else None
                elif field == 'descriptionformat':
                    value = FORMAT_NAMES.get(value, value)
                shown[name] = value
        return shown

    def _list_deleted_courses(self, changes):
        """The courses delete_content deletes, read before anything is written (each category of the subtree)."""
        for change in changes:
            change.data.deleted_courses = sorted(as_text(course.get('shortname')) for catid in change.data.below
                                                 for course in self.api.get_courses_by_field('category', catid))
            if change.data.deleted_courses:
                change.before['courses'] = change.data.deleted_courses

    # -- writes ---------------------------------------------------------------------------
    def apply(self, changes):
        self._create([c for c in changes if c.action == 'created'])
        updates = [c for c in changes if c.action == 'updated']
        if updates:
            self.bisect_write([(c, self._update_payload(c)) for c in updates], self.api.update_categories, self.settled)
        deletes = [c for c in changes if c.action == 'deleted']
        if deletes:
            self.bisect_write([(c, self._delete_payload(c)) for c in deletes], self.api.delete_categories, self.settled)
        self._check_themes([c for c in changes if c.action in ('created', 'updated') and 'theme' in (c.data.send or {})])

    def _create(self, changes):
        """One request per tree level: a category is sent once its parent has its Moodle id."""
        pending = list(changes)
        while pending:
            level = [c for c in pending if self._real(c.data.send['parent']) is not None]
            if not level:       # a parent failed: its children cannot be created
                for change in pending:
                    change.action, change.failed = 'failed', 'not created: its parent category was not created'
                return
            pending = [c for c in pending if c not in level]
            self.bisect_write([(c, self._create_payload(c)) for c in level], self._send_creations, self.settled)

    def _send_creations(self, payloads):
        """core_course_create_categories answers the new ids in the order sent: each placeholder gets its id."""
        created = self.api.create_categories([dict((k, v) for k, v in p.items() if k != '_placeholder')
                                              for p in payloads])
        for payload, answer in zip(payloads, created):
            self._created[payload['_placeholder']] = int(answer['id'])

    def _create_payload(self, change):
        send = change.data.send
        payload = dict((field, value) for field, value in send.items() if field != 'parent')
        payload['parent'] = self._real(send['parent'])
        payload['_placeholder'] = change.data.catid
        return payload

    def _real(self, catid):
        """The Moodle id of a category (a placeholder once created); None while it is not created."""
        if catid is None or catid >= 0:
            return catid
        return self._created.get(catid)

    def _update_payload(self, change):
        payload = dict(change.data.send, id=self._real(change.data.catid))
        if 'parent' in payload:
            payload['parent'] = self._real(payload['parent'])
        # core_course_update_categories sends descriptionformat HTML when it is not given, and
        # core_course_category::update() stores it: always send the format the category has (or gets).
        payload.setdefault('descriptionformat', self.tree.nodes[change.data.catid]['descriptionformat'])
        return payload

    def _delete_payload(self, change):
        if change.data.recursive:
            return {'id': change.data.catid, 'recursive': True}
        return {'id': change.data.catid, 'newparent': self._real(change.data.content_to), 'recursive': False}

    def settled(self, changes):
        """The changes the site shows in place now (read again after a write failed or lost its answer)."""
        site = CategoryTree(self.api.get_all_categories())
        return set(change for change in changes if self._in_site(change, site))

    def _in_site(self, change, site):
        real = self._real(change.data.catid)
        if change.action == 'deleted':
            return real not in site.nodes
        if change.action == 'created' and real is None:
            found, dummy = site.find('idnumber', change.data.send['idnumber']) if change.data.send.get('idnumber') \
                else site.find('path', change.data.path, self.separator)
            if found is None:
                return False
            self._created[change.data.catid] = found
            real = found
        node = site.nodes.get(real)
        return node is not None and all(node[field] == (self._real(value) if field == 'parent' else value)
                                        for field, value in change.data.send.items())

    def _check_themes(self, changes):
        """Moodle stores a category's theme only when the site allows category themes, and says nothing otherwise."""
        if not changes:
            return
        site = CategoryTree(self.api.get_all_categories())
        for change in changes:
            node = site.nodes.get(self._real(change.data.catid))
            if node is not None and node['theme'] != change.data.send['theme']:
                change.failed = ('%s, but Moodle did not store its theme %r: the site does not allow category themes '
                                 '(%s)' % (change.action, change.data.send['theme'], ADMIN_CATEGORY_THEMES))

    # -- results --------------------------------------------------------------------------
    def result_entry(self, change):
        real = self._real(change.data.catid)
        node = self.tree.nodes.get(change.data.catid) or {}
        entry = dict(id=real if real is None or real > 0 else None, path=change.data.path,
                     idnumber=node.get('idnumber', (change.before or {}).get('idnumber')),
                     parent=self._real(node['parent']) if node else None, action=change.action,
                     changed_fields=change.changed_fields() if change.changed else [])
        if change.action == 'deleted':
            entry['content'] = change.data.content
            if change.data.deleted_courses:
                entry['deleted_courses'] = change.data.deleted_courses
        if change.failed:
            entry['failed'] = change.failed
        if change.warnings:
            entry['warnings'] = change.warnings
        return entry

    def diff_entry(self, change):
        header = 'category %s' % (change.data.path or change.key)
        return dict(before_header=header, after_header=header, before=change.before or {}, after=change.after or {})


def main():
    MoodleCourseCategoryModule().run()


if __name__ == '__main__':
    main()
