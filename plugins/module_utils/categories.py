# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# FOR INTERNAL COLLECTION USE ONLY: not a public API of lmsops.moodle; it changes in any release.
"""The course category tree of a site, read once, and references to its categories by path, idnumber or id.

The tree can be changed in memory as a run plans its writes (a category created, renamed, moved or deleted), so
each item's references are resolved against the site as the items before it leave it: the order of a playbook.
Categories planned but not created yet have negative ids."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.lmsops.moodle.plugins.module_utils.module_base import as_text

# Moodle's text formats (FORMAT_MOODLE 0, FORMAT_HTML 1, FORMAT_PLAIN 2, FORMAT_MARKDOWN 4).
TEXT_FORMATS = {'moodle': 0, 'html': 1, 'plain': 2, 'markdown': 4}
FORMAT_NAMES = dict((number, name) for name, number in TEXT_FORMATS.items())


def split_path(text, separator):
    """'Science/Physics' -> ('Science', 'Physics'), each name trimmed; '' or the separator alone -> () (the top)."""
    text = as_text(text)
    if text in ('', separator):
        return ()
    return tuple(name.strip() for name in text.strip(separator).split(separator))


class CategoryTree:
    """{id: category} of the site, with each category's path of names from the top."""

    def __init__(self, categories):
        self.nodes = {}
        for category in categories:
            self.nodes[int(category['id'])] = dict(
                id=int(category['id']), name=as_text(category.get('name')), idnumber=as_text(category.get('idnumber')),
                parent=int(category.get('parent') or 0), description=as_text(category.get('description')),
                descriptionformat=int(category.get('descriptionformat') or 0), theme=as_text(category.get('theme')),
                visible=bool(int(category.get('visible', 1) or 0)), coursecount=int(category.get('coursecount') or 0))
        self._next_new = -1

    # -- reading ----------------------------------------------------------------------
    def path(self, catid):
        """The names from the top down to this category: ('Science', 'Physics'); () for the top (id 0)."""
        names = []
        seen = set()
        while catid and catid in self.nodes and catid not in seen:
            seen.add(catid)
            names.append(self.nodes[catid]['name'])
            catid = self.nodes[catid]['parent']
        return tuple(reversed(names))

    def children(self, catid):
        return [node['id'] for node in self.nodes.values() if node['parent'] == catid]

    def subtree(self, catid):
        """This category and every category below it, parents first."""
        found, todo = [], [catid]
        while todo:
            current = todo.pop(0)
            found.append(current)
            todo.extend(sorted(self.children(current)))
        return found

    def is_below(self, catid, ancestor):
        """Is ``catid`` ``ancestor`` itself or inside it?"""
        seen = set()
        while catid and catid not in seen:
            if catid == ancestor:
                return True
            seen.add(catid)
            catid = self.nodes[catid]['parent'] if catid in self.nodes else 0
        return False

    def visible(self, catid):
        return catid == 0 or self.nodes[catid]['visible']

    def find(self, field, value, separator='/'):
        """(category id, problem): the category named by ``field`` (path, idnumber, id) and ``value``; the top is 0
        (path '' or id 0). A category that is not there is (None, None); one that cannot be told apart is a problem."""
        if field == 'id':
            text = as_text(value)
            if not text.isdigit():
                return None, 'category id %r is not a number' % (value,)
            catid = int(text)
            return (catid, None) if catid == 0 or catid in self.nodes else (None, None)
        if field == 'idnumber':
            matches = [n['id'] for n in self.nodes.values() if value is not None and n['idnumber'] == as_text(value)]
        else:
            names = split_path(value, separator)
            if not names:
                return 0, None
            matches = [catid for catid in self.nodes if self.path(catid) == names]
        if len(matches) > 1:
            return None, ('%d categories are at %s %r; name it by idnumber or id' % (len(matches), field, value))
        return (matches[0], None) if matches else (None, None)

    # -- planning ---------------------------------------------------------------------
    def add(self, fields):
        """A category this run will create: its placeholder id (negative)."""
        catid = self._next_new
        self._next_new -= 1
        self.nodes[catid] = dict(dict(id=catid, name='', idnumber='', parent=0, description='', descriptionformat=1,
                                      theme='', coursecount=0), **fields)
        self.nodes[catid]['visible'] = self.visible(self.nodes[catid]['parent'])
        return catid

    def change(self, catid, fields):
        self.nodes[catid].update(fields)

    def remove(self, catid, content_to):
        """Delete a category: its subcategories and courses go to ``content_to`` (None: deleted with it)."""
        for child in self.children(catid):
            if content_to is None:
                self.remove(child, None)
            else:
                self.nodes[child]['parent'] = content_to
        if content_to is not None and content_to in self.nodes:
            self.nodes[content_to]['coursecount'] += self.nodes[catid]['coursecount']
        del self.nodes[catid]
