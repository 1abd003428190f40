"""The Gradescope autograder zip, run the way Gradescope runs it, in an /autograder-shaped folder.

The zip is unpacked into <tmp>/autograder/source and its run_autograder is executed by
bash with a Python that sees the installed third-party packages but not this
repository's own `grader` and `dlcourse`: everything the course needs must come from
the zip (setup.sh's pip install is the one step not run here; it needs the network).
"""
import subprocess
import zipfile

import pytest

from grader.assignments import ASSIGNMENTS
from grader.course import ROOT
from grader.gradescope import build
from conftest import bare_venv
from conftest import run_autograder as run_shared

pytestmark = pytest.mark.slow        # grades classes or runs notebooks: `make test`, not `make check`

A1 = "a1-mle-losses"
HIDDEN = ["BEGIN HIDDEN", "grader.checks", "check_", "run_check", "_core.py"]


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    return build(A1, tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory, autograder_zip):
    """A virtual environment with the third-party packages only (no editable install of this repo)."""
    return bare_venv(tmp_path_factory.mktemp("venv") / "v")


def run_autograder(tmp_path, autograder_zip, bare_python, submission_files):
    result, path, stdout = run_shared(tmp_path, autograder_zip, bare_python, A1, files=submission_files)
    return result, path.read_text(), stdout


def test_the_zip_holds_what_grading_needs_and_only_this_assignment(autograder_zip):
    names = zipfile.ZipFile(autograder_zip).namelist()
    for needed in ("setup.sh", "run_autograder", "requirements.txt", "pyproject.toml", "nbgrader_config.py",
                   "grader/reference/losses.py", "grader/checks/a1.py", "dlcourse/data.py",
                   f"solutions/{A1}/{A1}.ipynb"):
        assert needed in names
    assert not [n for n in names if n.startswith("solutions/") and not n.startswith(f"solutions/{A1}/")]
    assert not [n for n in names if n.startswith(("tests/", "assignments/", "lectures/")) or "__pycache__" in n]


def test_the_zips_scripts_are_valid_bash(autograder_zip, tmp_path):
    """setup.sh needs Gradescope's image (apt, network) to run; here its syntax is checked."""
    with zipfile.ZipFile(autograder_zip) as z:
        z.extractall(tmp_path)
    for name in ("setup.sh", "run_autograder"):
        proc = subprocess.run(["bash", "-n", str(tmp_path / name)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_a_partly_wrong_submission_gets_gradescope_results(tmp_path, autograder_zip, bare_python):
    nb = (ROOT / "tests" / "files" / "submissions" / f"slides-bce_{A1}.ipynb").read_bytes()
    result, text, stdout = run_autograder(tmp_path, autograder_zip, bare_python, {f"{A1}.ipynb": nb})
    tests = {t["name"]: t for t in result["tests"]}
    autograded = {g: p for g, p in ASSIGNMENTS[A1].items() if g.startswith("test_")}
    assert set(tests) == set(autograded)
    for name, t in tests.items():
        assert set(t) == {"name", "score", "max_score", "status", "output", "visibility"}
        assert t["max_score"] == autograded[name]
        wrong = name == "test_binary_cross_entropy"
        assert (t["score"], t["status"]) == ((0.0, "failed") if wrong else (t["max_score"], "passed")), name
    assert "missing its factor y" in tests["test_binary_cross_entropy"]["output"]
    assert result["score"] == sum(autograded.values()) - 2
    assert isinstance(result["execution_time"], int)
    assert "answer_mse_is_mle (2 points)" in result["output"]        # graded by hand, said so
    assert not [h for h in HIDDEN if h in text]


def test_a_broken_or_misnamed_submission_gets_a_clear_zero(tmp_path, autograder_zip, bare_python):
    result, text, _ = run_autograder(tmp_path, autograder_zip, bare_python,
                                     {"homework.ipynb": b'{"cells": [ not json'})
    assert result["score"] == 0.0 and result["tests"] == []
    assert "could not be graded" in result["output"] and "not a readable notebook" in result["output"]
