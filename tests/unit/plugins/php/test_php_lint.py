"""PHP checks for the setup role's files: `php -l` on every PHP file, then the plain-PHP unit tests.

Needs php-cli on PATH (the CI installs it); skipped, with the reason, only when `php` is missing.
Paths come from this file's location, so the test also runs from a built copy of the collection
(.build/ansible_collections/lmsops/moodle).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

COLLECTION_ROOT = Path(__file__).resolve().parents[4]
PHP_FILES_DIR = COLLECTION_ROOT / "roles" / "setup" / "files"
PHP_TESTS_DIR = COLLECTION_ROOT / "tests" / "unit" / "php"
PHP = shutil.which("php")

pytestmark = pytest.mark.skipif(PHP is None, reason="php (php-cli) is not on PATH; install php-cli to run the PHP checks")


def _php_files() -> list[Path]:
    files = sorted(PHP_FILES_DIR.rglob("*.php")) + sorted(PHP_TESTS_DIR.rglob("*.php"))
    return files


def test_php_files_exist() -> None:
    names = {p.relative_to(PHP_FILES_DIR).as_posix() for p in PHP_FILES_DIR.rglob("*.php")}
    for expected in (
        "lmsops_configure.php",
        "lmsops_configure_lib.php",
        "local_lmsops/version.php",
        "local_lmsops/db/services.php",
        "local_lmsops/lang/en/local_lmsops.php",
        "local_lmsops/classes/privacy/provider.php",
        "local_lmsops/classes/external/get_roles.php",
        "local_lmsops/classes/external/get_role_assignments.php",
        "local_lmsops/classes/external/get_user_enrolments.php",
        "local_lmsops/classes/external/get_access_information.php",
        "local_lmsops/classes/local/access.php",
    ):
        assert expected in names, f"missing {expected} under {PHP_FILES_DIR}"


@pytest.mark.parametrize("path", _php_files(), ids=lambda p: p.relative_to(COLLECTION_ROOT).as_posix())
def test_php_lint(path: Path) -> None:
    result = subprocess.run([PHP, "-l", str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"php -l {path}:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("name", ["test_configure_lib.php", "test_access.php"])
def test_plain_php_unit_tests(name: str) -> None:
    script = PHP_TESTS_DIR / name
    result = subprocess.run([PHP, str(script)], capture_output=True, text=True, timeout=120, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"php {script} failed:\n{output}"
    assert " passed, 0 failed" in result.stdout, output
