"""Grade on Gradescope's fleet: an autograder zip per assignment, and the results.json it writes.

    python -m grader gradescope [--out dist/gradescope]      build one zip per assignment
    python -m grader gradescope-run ASSIGNMENT [--root /autograder]   (what run_autograder calls)

The zip holds what grading one notebook needs and nothing of other assignments:
setup.sh (installs Python and the course's requirements once, when Gradescope builds
the image), run_autograder (runs for every submission), the grader and its reference
library, the helper package, the nbgrader config, and this assignment's source
notebook (nbgrader builds its gradebook from it). It is uploaded by instructors and
never reaches students.

run_autograder grades /autograder/submission/<assignment>.ipynb (or the only notebook
there) with the same nbgrader commands and the same sandbox as `python -m grader grade`
(Gradescope runs it as root: bubblewrap where the container allows namespaces, else a
separate uid with the grader's folders made unreadable to it; its stdout, which only
staff see, says which), and writes
/autograder/results/results.json in Gradescope's format: one test per graded cell, with
the checks' report as its output (what the feedback page shows: no hidden test code).
Written answers are graded by hand, so they are listed in the output, not as tests.
"""
import json
import os
import shutil
import stat
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat

from .assignments import ASSIGNMENTS
from .course import ROOT
from .preprocessors import short_error

# What goes into every zip, relative to the repository root (plus solutions/<assignment>/).
PACKAGES = ["grader", "dlcourse"]
FILES = ["pyproject.toml", "requirements.txt", "nbgrader_config.py", "schedule.toml", "README.md"]

SETUP_SH = """\
#!/usr/bin/env bash
# Runs once, as root, when Gradescope builds the autograder image (base image: Ubuntu 22.04).
set -euo pipefail
PY=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        PY="$candidate"; break
    fi
done
if [ -z "$PY" ]; then
    apt-get update
    apt-get install -y python3.11 python3.11-venv
    PY=python3.11
fi
"$PY" -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --upgrade pip
/autograder/venv/bin/python -m pip install -r /autograder/source/requirements.txt
/autograder/venv/bin/python -m pip install --no-deps -e /autograder/source
"""

PREPARE = """\
# Generate the assignment and its gradebook now, once, rather than for every submission.
cd /autograder/source
/autograder/venv/bin/python -m grader gradescope-run {assignment} --root /autograder --prepare-only
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Runs for every submission. AUTOGRADER_ROOT and AUTOGRADER_PYTHON exist for testing
# this script outside Gradescope; on Gradescope they keep their defaults.
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PY="${{AUTOGRADER_PYTHON:-/autograder/venv/bin/python}}"
export PATH="$(dirname "$PY"):$PATH"
cd "$ROOT/source"
exec "$PY" -m grader gradescope-run {assignment} --root "$ROOT"
"""


def build(assignment, out):
    """Write out/<assignment>.zip, Gradescope's autograder for one assignment. Returns its path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{assignment}.zip"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)
        for name in PACKAGES:
            shutil.copytree(ROOT / name, src / name, ignore=ignore)
        for name in FILES:
            shutil.copy(ROOT / name, src / name)
        shutil.copytree(ROOT / "solutions" / assignment, src / "solutions" / assignment, ignore=ignore)
        (src / "setup.sh").write_text(SETUP_SH + PREPARE.format(assignment=assignment))
        (src / "run_autograder").write_text(RUN_AUTOGRADER.format(assignment=assignment))
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(src.rglob("*")):
                if f.is_file():
                    info = zipfile.ZipInfo.from_file(f, f.relative_to(src).as_posix())
                    if f.name in ("setup.sh", "run_autograder"):       # executable, whatever the umask
                        info.external_attr = (0o755 | stat.S_IFREG) << 16
                    z.writestr(info, f.read_bytes(), zipfile.ZIP_DEFLATED)
    return path


def build_all(out):
    return [build(a, out) for a in ASSIGNMENTS]


def _cell_text(cell):
    """What a student may see of a graded cell's outputs: the checks' report and short errors."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "error":
            parts.append(short_error(out) + "\n")
    return "".join(parts).strip()


def results(assignment, course, student, report, seconds):
    """Gradescope's results.json content for one graded submission."""
    from .grading import per_test_rows

    rows = [r for r in per_test_rows(course) if r["student"] == student and r["assignment"] == assignment]
    graded = Path(course) / "autograded" / student / assignment / f"{assignment}.ipynb"
    problems = [p.split(": ", 1)[1].split("; see `")[0]             # the rest is for instructors
                for p in report.problems if p.startswith(f"{student}/{assignment}: ")]
    if not rows or not graded.is_file():
        why = report.failed.get((student, assignment)) or "; ".join(problems) or "no notebook was graded"
        why = why.split("; see `")[0]               # the rest is for instructors
        auto = sum(v for k, v in ASSIGNMENTS[assignment].items() if k.startswith("test_"))
        return {"score": 0.0, "execution_time": round(seconds),
                "output": f"Your submission could not be graded: {why}. Submit {assignment}.ipynb, "
                          f"the notebook from the assignment, saved from Jupyter. (0 / {auto} points)",
                "tests": []}
    nb = nbformat.read(graded, as_version=4)
    text = {c.metadata.get("nbgrader", {}).get("grade_id"): _cell_text(c) for c in nb.cells}
    tests, manual = [], []
    for r in rows:
        if r["needs_manual_grade"]:
            manual.append(f"{r['test']} ({r['max_score']:g} points)")
            continue
        full = r["score"] >= r["max_score"]
        tests.append({"name": r["test"], "score": r["score"], "max_score": r["max_score"],
                      "status": "passed" if full else "failed", "output": text.get(r["test"], ""),
                      "visibility": "visible"})
    order = list(ASSIGNMENTS[assignment])
    tests.sort(key=lambda t: order.index(t["name"]) if t["name"] in order else len(order))
    output = []
    if problems:
        output.append("Notes from the grader:\n" + "\n".join(f"- {p}" for p in problems))
    if manual:
        output.append("Graded by hand later, not included here: " + ", ".join(manual) + ".")
    return {"score": round(sum(t["score"] for t in tests), 4), "execution_time": round(seconds),
            "output": "\n\n".join(output), "tests": tests}


def submitted_notebooks(folder):
    """The notebooks in a submission folder, found without following links (a submission from git
    may hold a link to the autograder's own files, which must never be graded or read)."""
    found = []
    for here, dirs, files in os.walk(folder):          # os.walk does not enter linked folders
        dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints" and not os.path.islink(os.path.join(here, d))]
        found += [Path(here) / f for f in files if f.endswith(".ipynb") and not os.path.islink(os.path.join(here, f))]
    return sorted(found)


def prepare(assignment, root="/autograder"):
    """Generate the assignment in root/work/course (setup.sh runs this once, when Gradescope builds
    the image); `run` then finds it ready and only grades."""
    from .assignments import schedule
    from .grading import prepare_course

    return prepare_course(Path(root) / "work" / "course", assignments={assignment}, due=schedule()[0])


def run(assignment, root="/autograder"):
    """Grade root/submission and write root/results/results.json. Returns the results dict."""
    from .grading import grade

    start = time.perf_counter()
    root = Path(root)
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}")
    student = "student"
    inbox = root / "work" / "inbox"
    if inbox.exists():
        shutil.rmtree(inbox)
    notebooks = submitted_notebooks(root / "submission")
    exact = [p for p in notebooks if p.name == f"{assignment}.ipynb"]
    chosen = exact[:1] or (notebooks if len(notebooks) == 1 else [])
    (inbox / student / assignment).mkdir(parents=True)
    if chosen:
        shutil.copy(chosen[0], inbox / student / assignment / chosen[0].name)
    course = root / "work" / "course"
    try:
        report = grade(inbox, course, progress=False, force=True, jobs=1)
    except Exception:                     # nbgrader or the grader broke: say so, never leave no results
        import traceback

        traceback.print_exc()             # run_autograder's stdout, which only staff see
        result = {"score": 0.0, "execution_time": round(time.perf_counter() - start), "tests": [],
                  "output": "The autograder itself failed on this submission; your course staff "
                            "have the details. This is not a mark on your work."}
        (root / "results").mkdir(parents=True, exist_ok=True)
        (root / "results" / "results.json").write_text(json.dumps(result, indent=1))
        return result
    if not chosen:
        what = (f"no notebook found (the submission has {', '.join(p.name for p in notebooks)})"
                if notebooks else "no notebook found in the submission")
        report.failed[(student, assignment)] = what
    result = results(assignment, course, student, report, time.perf_counter() - start)
    (root / "results").mkdir(parents=True, exist_ok=True)
    (root / "results" / "results.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(report.isolation)               # the instructor sees run_autograder's stdout
    for line in report.problems:
        print(line)
    print(f"score {result['score']} in {result['execution_time']} s")
    return result
