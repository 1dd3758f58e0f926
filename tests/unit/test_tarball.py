# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection tarball carries what users need and nothing else.

Builds the tarball with ansible-galaxy (as `make build` does) from this copy of the
collection and checks its file list: every plugin, role and metadata file is in it, and
no test, tool, cache, virtualenv, build output or developer file is.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch
import json
import os
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

# Top-level entries a user's installed collection may hold.
ALLOWED_TOP = {'MANIFEST.json', 'FILES.json', 'README.md', 'LICENSE', 'CHANGELOG.rst', 'requirements.txt',
               'bindep.txt', 'meta', 'plugins', 'roles', 'docs', 'changelogs'}
# Files that must be there whatever else changes.
REQUIRED = ['MANIFEST.json', 'FILES.json', 'README.md', 'LICENSE', 'requirements.txt', 'meta/runtime.yml',
            'meta/execution-environment.yml', 'changelogs/config.yaml',
            'plugins/module_utils/client.py', 'plugins/module_utils/module_base.py',
            'plugins/doc_fragments/connection.py', 'plugins/modules/moodle_user.py', 'plugins/filter/csv_to_list.py']
# Never in the tarball, at any depth.
FORBIDDEN = ['tests', 'tests/*', 'hacking', 'hacking/*', 'bench', 'bench/*', '.ci', '.ci/*', 'Makefile',
             'CONTRIBUTING.md', '.ansible-lint', '.gitignore', '.git', '.git/*', 'galaxy.yml',
             '.venv*', '.build*', 'docs/build', 'docs/build/*', 'docs/antsibull', 'docs/antsibull/*',
             'changelogs/fragments', 'changelogs/fragments/*', 'changelogs/.plugin-cache.yaml',
             '*__pycache__*', '*.pyc', '*.pytest_cache*', '*.tar.gz', '*integration_config.yml', '*.retry',
             '*.tmp', '*.orig', '*.rej', '*~', '*.swp']
# Files that ship whenever the source tree has them (CHANGELOG.rst and changelog.yaml exist from the first release).
SHIPPED_IF_PRESENT = ['CHANGELOG.rst', 'bindep.txt', 'changelogs/changelog.yaml', 'docs/docsite/links.yml']
# Source folders whose every file ships.
SHIPPED_TREES = ['plugins', 'roles', 'meta']


@pytest.fixture(scope='module')
def members(tmp_path_factory):
    if not os.path.isfile(os.path.join(ROOT, 'galaxy.yml')):
        pytest.skip('not a collection source tree')
    out = str(tmp_path_factory.mktemp('dist'))
    proc = subprocess.run([sys.executable, '-m', 'ansible.cli.galaxy', 'collection', 'build', '--force',
                           '--output-path', out, ROOT],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stdout
    assert '[WARNING]' not in proc.stdout, proc.stdout
    tarballs = [name for name in os.listdir(out) if name.endswith('.tar.gz')]
    assert len(tarballs) == 1, tarballs
    with tarfile.open(os.path.join(out, tarballs[0])) as tar:
        names = dict((member.name.rstrip('/'), member) for member in tar.getmembers())
        files = json.load(tar.extractfile('FILES.json'))
    return names, files


def source_files(tree):
    found = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, tree)):
        dirnames[:] = [d for d in dirnames if d not in ('__pycache__', '.pytest_cache')]
        for name in filenames:
            if not name.endswith('.pyc'):
                found.append(os.path.relpath(os.path.join(dirpath, name), ROOT).replace(os.sep, '/'))
    return found


def test_only_user_facing_top_level_entries(members):
    names, dummy = members
    stray = sorted(set(name.split('/')[0] for name in names) - ALLOWED_TOP)
    assert not stray, 'unexpected top-level entries in the tarball: %s' % stray


def test_nothing_forbidden(members):
    names, dummy = members
    stray = sorted(name for name in names if any(fnmatch.fnmatch(name, pattern) for pattern in FORBIDDEN))
    assert not stray, 'files users do not need are in the tarball: %s' % stray[:30]


def test_required_files_are_present(members):
    names, dummy = members
    missing = [name for name in REQUIRED if name not in names]
    missing += [name for name in SHIPPED_IF_PRESENT if os.path.isfile(os.path.join(ROOT, name)) and name not in names]
    assert not missing, missing


@pytest.mark.parametrize('tree', SHIPPED_TREES)
def test_every_plugin_role_and_meta_file_ships(members, tree):
    names, dummy = members
    missing = [name for name in source_files(tree) if name not in names]
    assert not missing, 'left out of the tarball: %s' % missing


def test_user_docs_ship(members):
    names, dummy = members
    guides = [name for name in os.listdir(os.path.join(ROOT, 'docs')) if name.endswith('.md')]
    missing = ['docs/' + name for name in guides if 'docs/' + name not in names]
    assert not missing, missing


def test_files_json_matches_the_archive(members):
    names, files = members
    listed = set(entry['name'] for entry in files['files'] if entry['name'] != '.')
    assert listed == set(names) - {'MANIFEST.json', 'FILES.json'}


def test_no_symlinks_or_special_files(members):
    names, dummy = members
    odd = sorted(name for name, member in names.items() if not (member.isfile() or member.isdir()))
    assert not odd, odd
