"""`make release`: the student bundle holds nothing of the hidden side, and runs on its own.

The bundle is installed the way its README says (pip install -e) into an environment
that has the third-party packages but not this repository, then its lectures and its
blank assignments are executed there with a real kernel.
"""
import ast
import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile

import nbformat
import pytest

from grader.assignments import ASSIGNMENTS
from grader.course import ROOT
from grader.release import build
from conftest import bare_venv

pytestmark = pytest.mark.slow        # grades classes or runs notebooks: `make test`, not `make check`

MARKERS = ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN MARK SCHEME",
           "grader.", "import grader", "from grader"]
# The hidden tests' entry points: the check_* functions of grader/checks/.
CHECKS = {n for p in (ROOT / "grader" / "checks").glob("*.py")
          for n in re.findall(r"^def (check_\w+)\(", p.read_text(), re.M)}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return build(tmp_path_factory.mktemp("dist"))


def solution_lines():
    """Lines of code that only the solutions contain: what students write themselves."""
    lines = set()
    for a in ASSIGNMENTS:
        sol = nbformat.read(ROOT / "solutions" / a / f"{a}.ipynb", as_version=4)
        rel = nbformat.read(ROOT / "assignments" / a / f"{a}.ipynb", as_version=4)
        released = "\n".join(c.source for c in rel.cells)
        for cell in sol.cells:
            for block in re.findall(r"### BEGIN (?:SOLUTION|HIDDEN TESTS)\n(.*?)### END", cell.source, re.S):
                lines |= {l.strip() for l in block.splitlines() if len(l.strip()) >= 20
                          and l.strip() not in released}
    return lines


# Reference lines students may see, each for a reason: boilerplate, input validation, and
# the weight initialisation that a4 and a5 hand to students (it is not graded).
SHARED_ON_PURPOSE = {
    "rng = np.random.default_rng(seed)",
    "if not isinstance(params, dict) or not params:",
    "r = np.sqrt(6.0 / (n_visible + n_hidden + 1))",
}


def reference_lines():
    """Statement lines of the reference library's functions (docstrings and comments left out)."""
    lines = set()
    for path in (ROOT / "grader" / "reference").glob("*.py"):
        text = path.read_text()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef):
                body = node.body[1:] if ast.get_docstring(node) else node.body
                for stmt in body:
                    for l in ast.get_source_segment(text, stmt).splitlines():
                        l = l.strip()
                        if len(l) >= 30 and not l.startswith(("#", '"', "raise ValueError")):
                            lines.add(l)
    return lines - SHARED_ON_PURPOSE


def test_the_bundle_has_only_what_students_need(bundle):
    folder, archive = bundle
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    tops = {f.split("/")[0] for f in files}
    assert tops == {"lectures", "assignments", "dlcourse", "README.md", "requirements.txt", "pyproject.toml"}
    assert {f"assignments/{a}/{a}.ipynb" for a in ASSIGNMENTS} <= files
    lectures = {f"lectures/{p.name}" for p in (ROOT / "lectures").glob("*.ipynb")}
    assert {f for f in files if f.startswith("lectures/")} == lectures and lectures
    readme = (folder / "README.md").read_text()
    assert all(f"`{f}`" in readme for f in lectures) and all(f"`assignments/{a}/{a}.ipynb`" in readme
                                                             for a in ASSIGNMENTS)
    with zipfile.ZipFile(archive) as z:
        assert sorted(z.namelist()) == sorted(f"dl-course/{f}" for f in files)
    reqs = (folder / "requirements.txt").read_text()
    assert "nbgrader" not in reqs and "pytest" not in reqs and "numpy" in reqs


def test_nothing_hidden_is_in_the_bundle(bundle):
    folder, _ = bundle
    texts = {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()}
    solution, reference = solution_lines(), reference_lines()
    answers = {l.strip() for p in (ROOT / "instructors").rglob("*.md") for l in p.read_text().splitlines()
               if len(l.strip()) >= 40 and not l.startswith("#")}        # the exercises' worked answers
    assert len(solution) > 100 and len(reference) > 50 and answers   # the search has something to find
    for name, text in texts.items():
        assert not [m for m in MARKERS if m in text], name
        assert not [c for c in CHECKS if re.search(rf"\b{c}\b", text)], name
        assert not [l for l in solution if l in text], name
        assert not [l for l in reference if l in text], name
        assert not [l for l in answers if l in text], name


@pytest.fixture(scope="module")
def student_python(bundle, tmp_path_factory):
    """A fresh environment: third-party packages only, then the bundle installed as its README says."""
    folder, _ = bundle
    python, site = bare_venv(tmp_path_factory.mktemp("student-venv") / "v")
    # The README's own step (pip builds the editable install with the setuptools pyproject asks for).
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "-e", str(folder)], check=True)
    probe = subprocess.run([str(python), "-c", "import dlcourse; print(dlcourse.__file__); import grader"],
                           capture_output=True, text=True, cwd=folder.parent)
    assert probe.stdout.startswith(str(folder)), probe.stdout + probe.stderr
    assert "No module named 'grader'" in probe.stderr
    return python


RUN = textwrap.dedent("""
    import json, sys, nbformat
    from nbclient import NotebookClient
    path = sys.argv[1]
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": sys.argv[2]}}).execute()
    errors = [(i, o.ename, o.evalue) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    print(json.dumps(errors))
""")


def execute(python, notebook, cwd):
    """Run a notebook with the environment's own kernel; return [(cell, ename, evalue)] of its errors."""
    proc = subprocess.run([str(python), "-c", RUN, str(notebook), str(cwd)], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "MPLBACKEND": "Agg"}, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("lecture", sorted(p.name for p in (ROOT / "lectures").glob("*.ipynb")))
def test_the_bundles_lectures_pass_nbval_in_a_fresh_environment(bundle, student_python, lecture):
    """Each lecture, as the bundle ships it, executed top to bottom by nbval in the students'
    environment (not the grader's). This is the lectures' nbval run: pytest's testpaths leave
    lectures/ out so that each lecture runs once per suite, here, where students run it."""
    folder, _ = bundle
    assert (folder / "lectures" / lecture).read_bytes() == (ROOT / "lectures" / lecture).read_bytes()
    proc = subprocess.run([str(student_python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                           "--nbval-lax", "--nbval-current-env", str(folder / "lectures" / lecture)],
                          capture_output=True, text=True, cwd=folder / "lectures",
                          env={**os.environ, "MPLBACKEND": "Agg"}, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", proc.stdout) and " failed" not in proc.stdout, proc.stdout[-2000:]


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_a_blank_assignment_runs_and_fails_only_where_the_student_has_work_to_do(bundle, student_python, assignment):
    folder, _ = bundle
    path = folder / "assignments" / assignment / f"{assignment}.ipynb"
    errors = execute(student_python, path, path.parent)
    assert errors, "a blank assignment whose visible tests all pass tests nothing"
    nb = nbformat.read(path, as_version=4)
    setup = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "setup"]
    assert setup and not [e for e in errors if e[0] in setup]           # imports and data load work
    assert {e[1] for e in errors} <= {"NotImplementedError", "NameError"}, errors
