# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hacking/moodle_site.py: a site is provisioned by the setup role ansible-playbook will really run.

A real site is re-provisioned when the digest of its setup role changes. The digest used to be taken from the
source's roles/setup while ansible-playbook ran the INSTALLED collection's role: with a stale build, the site got
the old role (a service without the new functions) and was recorded as current."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import importlib.util
import os
import shutil

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


@pytest.fixture
def moodle_site(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location('moodle_site_under_test', os.path.join(ROOT, 'hacking', 'moodle_site.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    source = tmp_path / 'src'
    (source / 'roles' / 'setup' / 'tasks').mkdir(parents=True)
    (source / 'roles' / 'setup' / 'tasks' / 'main.yml').write_text('- name: new\n')
    (source / 'hacking' / 'real_site').mkdir(parents=True)
    (source / 'hacking' / 'real_site' / 'provision.yml').write_text('- hosts: localhost\n')
    monkeypatch.setattr(module, 'ROOT', str(source))
    monkeypatch.setattr(module, 'FILES', str(source / 'hacking' / 'real_site'))
    return module, source, tmp_path


def install(tmp_path, source, name):
    role = tmp_path / name / 'ansible_collections' / 'lmsops' / 'moodle' / 'roles' / 'setup'
    shutil.copytree(str(source / 'roles' / 'setup'), str(role))
    return tmp_path / name, role


def test_tree_digest_follows_names_and_contents(tmp_path, moodle_site):
    module, source, dummy = moodle_site
    top = source / 'roles' / 'setup'
    first = module.tree_digest(str(top))
    assert first == module.tree_digest(str(top))
    (top / 'tasks' / 'main.yml').write_text('- name: changed\n')
    second = module.tree_digest(str(top))
    assert second != first
    (top / 'tasks' / 'main.yml').rename(top / 'tasks' / 'other.yml')
    assert module.tree_digest(str(top)) not in (first, second)


def test_the_first_installed_collection_on_the_path_is_the_one_used(tmp_path, moodle_site, monkeypatch):
    module, source, dummy = moodle_site
    first, role = install(tmp_path, source, 'first')
    second, dummy_role = install(tmp_path, source, 'second')
    monkeypatch.setenv('ANSIBLE_COLLECTIONS_PATH', os.pathsep.join([str(tmp_path / 'none'), str(first), str(second)]))
    assert module.installed_setup_role() == str(role)
    monkeypatch.setenv('ANSIBLE_COLLECTIONS_PATH', str(tmp_path / 'none'))
    assert module.installed_setup_role() is None


def test_provisioning_digest_of_a_current_build(tmp_path, moodle_site, monkeypatch):
    module, source, dummy = moodle_site
    installed, dummy_role = install(tmp_path, source, 'build')
    monkeypatch.setenv('ANSIBLE_COLLECTIONS_PATH', str(installed))
    digest = module.Site.provisioning()
    assert len(digest) == 64
    (source / 'hacking' / 'real_site' / 'provision.yml').write_text('- hosts: all\n')
    assert module.Site.provisioning() != digest          # the seed counts too


def test_a_stale_build_is_refused_before_any_work(tmp_path, moodle_site, monkeypatch):
    module, source, dummy = moodle_site
    installed, dummy_role = install(tmp_path, source, 'build')
    (source / 'roles' / 'setup' / 'tasks' / 'main.yml').write_text('- name: newer than the build\n')
    monkeypatch.setenv('ANSIBLE_COLLECTIONS_PATH', str(installed))
    with pytest.raises(SystemExit, match='differs from .*make build'):
        module.Site.provisioning()


def test_no_installed_collection_is_refused(tmp_path, moodle_site, monkeypatch):
    module, dummy, dummy_tmp = moodle_site
    monkeypatch.setenv('ANSIBLE_COLLECTIONS_PATH', str(tmp_path / 'nothing'))
    with pytest.raises(SystemExit, match='not installed'):
        module.Site.provisioning()
