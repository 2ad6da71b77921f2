"""The test suite follows the package's layers (issue #11).

Every test file lives in one folder named after what it tests: ``stats/`` (array kernels),
``analyses/`` (one public verb each), ``cli/``, ``instruments/`` (instrument files, scoring,
norms), ``io/`` (reading, writing, the input layer), ``reporting/`` and ``project/``
(repository-wide checks: architecture, docs, packaging). ``reference/``, ``data/`` and
``corpus/`` hold inputs, ``support/`` the shared helper module; none of them holds tests.
"""

from __future__ import annotations

from testkit import TEST_FOLDERS, TESTS

NON_TEST_FOLDERS = ("reference", "data", "corpus", "support")


def _test_files():
    return sorted(p.relative_to(TESTS) for p in TESTS.rglob("test_*.py"))


def test_there_are_test_files():
    assert len(_test_files()) > 40


def test_every_test_file_lives_in_a_layer_folder():
    misplaced = [str(p) for p in _test_files()
                 if len(p.parts) != 2 or p.parts[0] not in TEST_FOLDERS]
    assert not misplaced, (
        f"test files outside {', '.join(f'tests/{d}/' for d in TEST_FOLDERS)}: {misplaced}; "
        "move each into the folder of the layer it tests (git mv)")


def test_every_layer_folder_has_tests():
    empty = [d for d in TEST_FOLDERS if not list((TESTS / d).glob("test_*.py"))]
    assert not empty


def test_no_other_folders():
    folders = {p.name for p in TESTS.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))}
    assert folders <= set(TEST_FOLDERS) | set(NON_TEST_FOLDERS), folders - set(TEST_FOLDERS) - set(NON_TEST_FOLDERS)
