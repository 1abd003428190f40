"""Grade a class: nbgrader's real commands, one submission at a time, with a report.

    python -m grader grade --submissions FOLDER_OR_ZIP [--course DIR] [--force]
    python -m grader grade --sample            (the bundled sample class)

Submissions come either in nbgrader's layout, FOLDER/<student>/<assignment>/<notebook>.ipynb,
or as files named <student>_<assignment>.ipynb in a folder or a zip (as learning
platforms export them). Each submission is checked, then autograded on its own, so a
broken one costs its student only its own points and the rest of the class is graded.
Every problem becomes one line of the report. A submission already autograded, and
not changed since, is not graded again (an interrupted run can simply be restarted).
"""
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from tqdm.auto import tqdm

from .assignments import ASSIGNMENTS
from .course import ROOT, generate_all, nbgrader

FLAT_NAME = re.compile(r"^(?P<student>[A-Za-z0-9][\w.-]*?)_(?P<assignment>a\d+-[a-z0-9-]+)\.ipynb$")
MAX_BYTES = 50 * 1024 * 1024


@dataclass
class Submission:
    student: str
    assignment: str
    path: Path
    note: str = ""


@dataclass
class Report:
    graded: list = field(default_factory=list)      # (student, assignment)
    skipped: list = field(default_factory=list)     # already graded, unchanged
    problems: list = field(default_factory=list)    # one line each
    seconds: float = 0.0


def collect(source, report):
    """Submissions found in a folder or zip, in either layout; problems go to the report."""
    source = Path(source)
    if source.is_file() and zipfile.is_zipfile(source):
        tmp = Path(tempfile.mkdtemp(prefix="submissions-"))
        with zipfile.ZipFile(source) as z:
            for member in z.namelist():          # no absolute paths or .. escapes
                if member.startswith("/") or ".." in Path(member).parts:
                    report.problems.append(f"{source.name}: skipped unsafe path {member!r} in the zip")
                    continue
                z.extract(member, tmp)
        source = tmp
    if not source.is_dir():
        raise FileNotFoundError(f"no submissions folder or zip at {source}")
    found = []
    for entry in sorted(source.iterdir()):
        if entry.is_file() and entry.suffix == ".ipynb":
            m = FLAT_NAME.match(entry.name)
            if not m:
                report.problems.append(f"{entry.name}: name is not <student>_<assignment>.ipynb; not graded")
            elif m["assignment"] not in ASSIGNMENTS:
                report.problems.append(f"{entry.name}: unknown assignment {m['assignment']!r}; not graded")
            else:
                found.append(Submission(m["student"], m["assignment"], entry))
        elif entry.is_dir() and not entry.name.startswith("."):
            for adir in sorted(p for p in entry.iterdir() if p.is_dir() and not p.name.startswith(".")):
                if adir.name not in ASSIGNMENTS:
                    report.problems.append(f"{entry.name}/{adir.name}: unknown assignment; not graded")
                    continue
                expected = adir / f"{adir.name}.ipynb"
                notebooks = sorted(p for p in adir.glob("*.ipynb"))
                if expected.is_file():
                    found.append(Submission(entry.name, adir.name, expected))
                elif len(notebooks) == 1:
                    found.append(Submission(entry.name, adir.name, notebooks[0],
                                            f"notebook renamed to {notebooks[0].name}; graded as {expected.name}"))
                else:
                    what = "no notebook" if not notebooks else f"{len(notebooks)} notebooks, none named {expected.name}"
                    report.problems.append(f"{entry.name}/{adir.name}: {what}; scored 0")
    return found


def read_submission(sub):
    """The submission as a version-4 notebook, or raise ValueError with one readable line."""
    size = sub.path.stat().st_size
    if size > MAX_BYTES:
        raise ValueError(f"notebook is {size / 2**20:.0f} MB (limit {MAX_BYTES / 2**20:.0f} MB)")
    try:
        nb = nbformat.read(sub.path, as_version=4)       # also upgrades old (v3) notebooks
    except Exception as exc:                             # nbformat raises several kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"not a readable notebook ({first[:120]})") from None
    if not isinstance(nb.get("cells"), list):
        raise ValueError("not a readable notebook (no cells)")
    return nb


def prepare_course(course):
    """A course folder next to nothing of the student's: the config and solutions, every assignment generated."""
    course = Path(course)
    course.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    if (course / "solutions").exists():
        shutil.rmtree(course / "solutions")
    shutil.copytree(ROOT / "solutions", course / "solutions")
    generate_all(root=course)
    return course


def grade(source, course, force=False, progress=True):
    """Grade every submission in `source` inside the course folder `course`. Returns a Report."""
    start = time.perf_counter()
    report = Report()
    course = prepare_course(course)
    subs = collect(source, report)
    for sub in tqdm(subs, desc="grading", disable=not progress):
        label = f"{sub.student}/{sub.assignment}"
        try:
            nb = read_submission(sub)
        except ValueError as exc:
            report.problems.append(f"{label}: {exc}; scored 0")
            continue
        dest = course / "submitted" / sub.student / sub.assignment / f"{sub.assignment}.ipynb"
        graded_nb = course / "autograded" / sub.student / sub.assignment / f"{sub.assignment}.ipynb"
        text = nbformat.writes(nb)
        unchanged = dest.is_file() and dest.read_text(encoding="utf-8") == text
        if unchanged and graded_nb.is_file() and not force:
            report.skipped.append((sub.student, sub.assignment))
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
        if sub.note:
            report.problems.append(f"{label}: {sub.note}")
        nbgrader("db", "student", "add", sub.student, root=course)
        proc = nbgrader("autograde", sub.assignment, "--student", sub.student, "--force", root=course, check=False)
        if proc.returncode != 0 or not graded_nb.is_file():
            lines = [l for l in (proc.stdout + proc.stderr).splitlines() if "ERROR" in l or "Error" in l]
            report.problems.append(f"{label}: autograding failed ({(lines or ['no log'])[-1].strip()[:160]}); "
                                   "scored 0")
            continue
        report.graded.append((sub.student, sub.assignment))
    for a in sorted({a for _, a in report.graded}):
        proc = nbgrader("generate_feedback", a, "--force", root=course, check=False)
        if proc.returncode != 0:
            report.problems.append(f"feedback for {a} failed; see `nbgrader generate_feedback {a}` in {course}")
    nbgrader("export", "--to", "grades.csv", root=course, check=False)
    report.seconds = time.perf_counter() - start
    return report


def grade_table(course):
    """Rows (student, {assignment: (score, max)}) from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        for student in sorted(s.id for s in gb.students):
            scores = {}
            for a in ASSIGNMENTS:
                try:
                    sub = gb.find_submission(a, student)
                except MissingEntry:
                    continue
                scores[a] = (sub.score, sub.max_score)
            rows.append((student, scores))
    return rows


def print_report(report, course):
    course = Path(course)
    rows = grade_table(course)
    names = [a.split("-")[0] for a in ASSIGNMENTS]
    print(f"\n{'student':<24s}" + "".join(f"{n:>10s}" for n in names) + f"{'total':>10s}")
    for student, scores in rows:
        cells = [f"{scores[a][0]:.1f}/{scores[a][1]:g}" if a in scores else "-" for a in ASSIGNMENTS]
        total = sum(s for s, _ in scores.values())
        print(f"{student:<24s}" + "".join(f"{c:>10s}" for c in cells) + f"{total:>10.1f}")
    print(f"\ngraded {len(report.graded)}, already graded and unchanged {len(report.skipped)}, "
          f"problems {len(report.problems)}, in {report.seconds:.0f} s")
    for line in report.problems:
        print(f"  - {line}")
    print(f"\ngrades:   {course / 'grades.csv'}\nfeedback: {course / 'feedback'}/<student>/<assignment>/"
          "\n(written answers still need grading by hand: nbgrader formgrader, or the gradebook)")


def build_sample_class(dest):
    """A small class in nbgrader's layout: complete, partly wrong, blank and broken submissions."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    corpus = ROOT / "tests" / "files" / "submissions"
    for a in ASSIGNMENTS:
        for student, src in (("ada", ROOT / "solutions" / a / f"{a}.ipynb"),
                             ("blank-bo", ROOT / "assignments" / a / f"{a}.ipynb")):
            (dest / student / a).mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dest / student / a / f"{a}.ipynb")
    picks = {"a1-mle-losses": "slides-bce", "a2-regularization": "decayed-bias", "a3-optimizers": "adam-uncorrected",
             "a4-sparse-autoencoder": "kl-not-backpropagated", "a5-stacked-autoencoder": "decay-every-layer"}
    for a, mistake in picks.items():
        (dest / "chen" / a).mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus / f"{mistake}_{a}.ipynb", dest / "chen" / a / f"{a}.ipynb")
    (dest / "dana" / "a1-mle-losses").mkdir(parents=True)
    (dest / "dana" / "a1-mle-losses" / "a1-mle-losses.ipynb").write_text('{"cells": [ this is not JSON')
    (dest / "dana" / "a9-unknown").mkdir(parents=True)
    return dest
