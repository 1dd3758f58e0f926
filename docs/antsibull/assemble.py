#!/usr/bin/env python
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lay the hand-written pages out next to the generated reference for `make docs`.

    assemble.py REPO_ROOT RST_DIR

Copies README.md, CONTRIBUTING.md, docs/*.md and roles/*/README.md into RST_DIR at the
same relative paths as in the repository, so the links between them work unchanged.
A link to any other file of the repository (an example playbook, a module's source) is
pointed at the repository on the web, since the site does not carry those files.  Then
writes RST_DIR/index.rst: the overview, the guides (known ones first, then any other
page in docs/, so new guides appear without editing this script), the role READMEs and
the generated reference.
"""

import glob
import os
import re
import shutil
import sys

import yaml

# The guides a reader wants first, in this order; every other docs/*.md follows, sorted.
GUIDE_ORDER = ['getting-started', 'preparing-moodle', 'course_categories', 'enrolments', 'role_assignments', 'bulk-provisioning-csv',
               'running-in-ci', 'troubleshooting', 'execution-environment', 'performance', 'architecture']
IMAGES = ('.png', '.jpg', '.jpeg', '.gif', '.svg')
LINK = re.compile(r'(\]\()([^)\s]+)(\))')
REFERENCE_LINK = re.compile(r'^(\[[^\]]+\]:\s*)(\S+)(.*)$', re.MULTILINE)
EXTERNAL = re.compile(r'^([a-z][a-z0-9+.-]*:|#|/)', re.IGNORECASE)


def site_pages(root):
    pages = []
    for name in ('README.md', 'CONTRIBUTING.md'):
        if os.path.isfile(os.path.join(root, name)):
            pages.append(name)
    pages += sorted(os.path.relpath(p, root) for p in glob.glob(os.path.join(root, 'docs', '*.md')))
    pages += sorted(os.path.relpath(p, root) for p in glob.glob(os.path.join(root, 'roles', '*', 'README.md')))
    return pages


def repository_url(root):
    with open(os.path.join(root, 'galaxy.yml')) as handle:
        galaxy = yaml.safe_load(handle)
    return (galaxy.get('repository') or '').rstrip('/')


def rewrite_links(text, page, pages, root, repo):
    """Keep links to pages of the site; point links to other repository files at the repository."""
    here = os.path.dirname(page)

    def target(link):
        if EXTERNAL.match(link):
            return link
        path, sep, anchor = link.partition('#')
        resolved = os.path.normpath(os.path.join(here, path))
        if resolved in pages or resolved.startswith('..') or (
                resolved.startswith('docs/') and os.path.splitext(resolved)[1].lower() in IMAGES):
            return link
        kind = 'tree' if os.path.isdir(os.path.join(root, resolved)) else 'blob'
        return '%s/%s/main/%s%s%s' % (repo, kind, resolved, sep, anchor)

    text = LINK.sub(lambda m: m.group(1) + target(m.group(2)) + m.group(3), text)
    return REFERENCE_LINK.sub(lambda m: m.group(1) + target(m.group(2)) + m.group(3), text)


def strip(entries):
    """Sphinx names documents without their suffix."""
    return [os.path.splitext(entry)[0] for entry in entries]


def toctree(caption, entries, maxdepth=1):
    if not entries:
        return ''
    lines = ['.. toctree::', '   :maxdepth: %d' % maxdepth, '   :caption: %s' % caption, '']
    lines += ['   %s' % entry for entry in entries]
    return '\n'.join(lines) + '\n\n'


def main():
    root, dest = sys.argv[1], sys.argv[2]
    repo = repository_url(root)
    shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'ansible-links.rst'), dest)
    pages = site_pages(root)
    for page in pages:
        with open(os.path.join(root, page)) as handle:
            text = handle.read()
        os.makedirs(os.path.join(dest, os.path.dirname(page)), exist_ok=True)
        with open(os.path.join(dest, page), 'w') as handle:
            handle.write(rewrite_links(text, page, pages, root, repo))

    # Pictures the guides show travel with them.
    for picture in sorted(glob.glob(os.path.join(root, 'docs', '*'))):
        if os.path.splitext(picture)[1].lower() in IMAGES:
            shutil.copy(picture, os.path.join(dest, 'docs'))

    guides = [p for p in pages if p.startswith('docs/')]
    names = dict((os.path.splitext(os.path.basename(p))[0], p) for p in guides)
    ordered = [names[n] for n in GUIDE_ORDER if n in names]
    ordered += sorted(p for p in guides if p not in ordered)
    roles = [p for p in pages if p.startswith('roles/')]

    index = ['.. The front page of the lmsops.moodle documentation, written by docs/antsibull/assemble.py.', '',
             '.. _docsite_root_index:', '',
             'lmsops.moodle documentation', '===========================', '',
             'Manage Moodle users, course enrolments and role assignments through Moodle\'s REST web services,',
             'idempotently and in bulk. The reference below is generated from the modules\' and the role\'s own',
             'documentation (the same text ``ansible-doc`` shows).', '', '']
    text = '\n'.join(index)
    text += toctree('Overview', strip([p for p in ('README.md',) if p in pages]))
    text += toctree('Guides', strip(ordered))
    text += toctree('Roles (README)', strip(roles))
    text += toctree('Reference', ['collections/index'], maxdepth=2)
    if os.path.exists(os.path.join(dest, 'collections', 'environment_variables.rst')):
        text += toctree('Reference indexes', ['collections/environment_variables'])
    text += toctree('Contributing', strip([p for p in ('CONTRIBUTING.md',) if p in pages]))
    with open(os.path.join(dest, 'index.rst'), 'w') as handle:
        handle.write(text)
    print('assembled %d pages (%d guides, %d role READMEs) into %s' % (len(pages), len(ordered), len(roles), dest))


if __name__ == '__main__':
    main()
