"""Grade a class: nbgrader's real commands, one submission at a time, with a report.

    python -m grader grade --submissions FOLDER_OR_ZIP [--course DIR] [--force]
    python -m grader grade --sample            (the bundled sample class)

Submissions come either in nbgrader's layout, FOLDER/<student>/<assignment>/<notebook>.ipynb,
or as files named <student>_<assignment>.ipynb in a folder or a zip (as learning
platforms export them). Each submission is checked, then autograded on its own, so a
broken one costs its student only its own points and the rest of the class is graded.
Deleted cells are put back, duplicated ones reduced to their last copy, old notebook
formats upgraded; a cell that kills the kernel, loops past the time limit or floods
the output costs only itself (grader/preprocessors.py). Every problem becomes one line
of the report. Each notebook runs sandboxed (grader/sandbox.py; the report's first line
says which isolation this machine gives) and is judged in this process. A submission
whose grading finished, and which has not changed since, is not graded again; one
whose grading was interrupted is graded again (an interrupted run can simply be restarted).

Written in the course folder (--course): grades.csv (nbgrader export), tests.csv (one
row per student and graded cell), feedback/<student>/<assignment>/<assignment>.html.
"""
import copy
import csv
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.corpus.words import generate_corpus_id as random_cell_id
from tqdm.auto import tqdm

from .assignments import ASSIGNMENTS
from . import sandbox
from .course import ROOT, generate, nbgrader
from .preprocessors import LINES_CUT, STOPPED, TRUNCATED, WHY

FLAT_NAME = re.compile(r"^(?P<student>[A-Za-z0-9][\w.-]*?)_(?P<assignment>a\d+-[a-z0-9-]+)\.ipynb$")
MAX_BYTES = 50 * 1024 * 1024
FEEDBACK_FAILED = re.compile(r"error processing assignment '[^']+' for student '([^']+)'")


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
    failed: dict = field(default_factory=dict)      # (student, assignment) -> why it scored 0
    seconds: float = 0.0
    isolation: str = ""                             # one line: how student code was confined

    def fail(self, student, assignment, why):
        self.failed[(student, assignment)] = why
        self.problems.append(f"{student}/{assignment}: {why}; scored 0")


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
        if entry.is_symlink():       # a link could point at anything the grader can read (a solution...)
            report.problems.append(f"{entry.name}: a link, not a file or folder; not graded")
            continue
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
                if adir.is_symlink():
                    report.problems.append(f"{entry.name}/{adir.name}: a link, not a folder; not graded")
                    continue
                if adir.name not in ASSIGNMENTS:
                    report.problems.append(f"{entry.name}/{adir.name}: unknown assignment; not graded")
                    continue
                links = sorted(p.name for p in adir.glob("*.ipynb") if p.is_symlink())
                if links:
                    report.problems.append(f"{entry.name}/{adir.name}: {', '.join(links)} is a link, not a file; "
                                           "not graded")
                notebooks = sorted(p for p in adir.glob("*.ipynb") if not p.is_symlink())
                named = adir / f"{adir.name}.ipynb"
                if named in notebooks:
                    found.append(Submission(entry.name, adir.name, named))
                elif len(notebooks) == 1:
                    found.append(Submission(entry.name, adir.name, notebooks[0],
                                            f"notebook renamed to {notebooks[0].name}; graded as {adir.name}.ipynb"))
                else:
                    what = ("no notebook" if not notebooks else
                            f"{len(notebooks)} notebooks, none named {adir.name}.ipynb")
                    report.problems.append(f"{entry.name}/{adir.name}: {what}; scored 0")
    return found


def read_submission(sub):
    """The submission as a version-4 notebook, or raise ValueError with one readable line."""
    try:                                                 # never through a link, never a device or a FIFO
        fd = os.open(sub.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        raise ValueError("not a plain file (a link?)") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a plain file")
        if info.st_size > MAX_BYTES:
            raise ValueError(f"notebook is {info.st_size / 2**20:.0f} MB (limit {MAX_BYTES / 2**20:.0f} MB)")
        raw = f.read(MAX_BYTES + 1)
    try:
        original = nbformat.reads(raw.decode("utf-8"), as_version=nbformat.NO_CONVERT)
        version = original.get("nbformat")
        nb = nbformat.convert(original, 4)               # old (v3) notebooks are upgraded (in place)
    except Exception as exc:                             # nbformat raises several kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"not a readable notebook ({first[:120]})") from None
    if not isinstance(nb.get("cells"), list):
        raise ValueError("not a readable notebook (no cells)")
    if version != 4:
        sub.note = "; ".join(filter(None, [sub.note, f"notebook format {version} upgraded to 4"]))
    return nb


def deduplicate(nb):
    """Keep nbgrader's marks on the last copy of each duplicated cell only; return the duplicated ids.

    A student who copies a graded or answer cell makes two cells with one grade_id.
    nbgrader's DeduplicateIds then leaves the earlier copy with empty nbgrader metadata,
    which its OverwriteCells (add_missing_cells) trips over with a KeyError, failing the
    whole submission. The last copy is the one nbgrader means to keep, and the one
    whose definitions Python keeps too. Earlier copies of the student's own cells stay
    as ordinary cells; earlier copies of read-only cells (tests, set-up) are dropped.
    """
    seen, dups, keep = set(), [], []
    for cell in reversed(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id")
        if gid is not None and gid in seen:
            if gid not in dups:
                dups.append(gid)
            if meta.get("locked") and not meta.get("solution"):
                continue
            del cell.metadata["nbgrader"]
        seen.add(gid)
        keep.append(cell)
    nb.cells = keep[::-1]
    return dups[::-1]


def _grade_id(cell):
    meta = cell.get("metadata")
    marks = meta.get("nbgrader") if isinstance(meta, dict) else None
    return marks.get("grade_id") if isinstance(marks, dict) else None


def reset_metadata(nb, release):
    """Give every cell the nbgrader marks the release gives it; return the ids (or cell numbers) changed.

    nbgrader restores a locked cell's source and points, but not whether a cell is graded or
    a solution: a test cell re-marked as a solution would wait for hand grading instead of
    being judged, and a cell marked graded under a new id stops nbgrader for the whole
    notebook. The release decides: marks for ids it has are copied from it, others removed.
    """
    marks = {_grade_id(c): c.metadata["nbgrader"] for c in release.cells if _grade_id(c) is not None}
    kinds = {_grade_id(c): c.cell_type for c in release.cells if _grade_id(c) is not None}
    changed = []
    for i, cell in enumerate(list(nb.cells)):
        gid = _grade_id(cell)
        if gid in kinds and cell.cell_type != kinds[gid]:
            # An answer cell turned into code (Jupyter's "y" key) or the reverse: nbgrader's own repair
            # fails on a notebook of format 4.4 and with it the whole submission; the release decides.
            fixed = (nbformat.v4.new_markdown_cell if kinds[gid] == "markdown" else nbformat.v4.new_code_cell)(
                cell.source if isinstance(cell.source, str) else "".join(cell.source))
            fixed.metadata = cell.metadata
            if "id" in cell:
                fixed.id = cell.id
            else:
                fixed.pop("id", None)
            nb.cells[i] = cell = fixed
            changed.append(f"{gid} (cell type)")
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = nbformat.NotebookNode()
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue
        if not isinstance(meta, dict):          # edited by hand into something else
            del cell.metadata["nbgrader"]
            changed.append(f"cell {i + 1}")
            continue
        gid = meta.get("grade_id")
        if gid in marks:
            fixed = {**meta, **{k: v for k, v in marks[gid].items() if k != "checksum"}}
            if any(bool(meta.get(k)) != bool(fixed.get(k)) for k in ("grade", "solution", "locked", "task")) \
                    or (fixed.get("grade") and meta.get("points") != fixed.get("points")):
                changed.append(gid)
            cell.metadata["nbgrader"] = fixed
        else:
            del cell.metadata["nbgrader"]
            if meta.get("grade") or meta.get("solution") or meta.get("locked"):
                changed.append(str(gid) if isinstance(gid, str) else f"cell {i + 1}")
    return changed


def restore_missing(nb, release):
    """Put back every nbgrader cell of the release that the student deleted; return their ids.

    nbgrader's own add_missing_cells crashes with a KeyError when the cell before the
    deleted one is a plain read-only cell, as every visible-test cell here is, and it
    does not bring back answer cells at all. A deleted cell comes back, from the
    release, after the nearest earlier cell that is still there: a test runs as usual,
    a deleted answer is graded as the blank stub it was.
    """
    present = {_grade_id(c) for c in nb.cells} - {None}
    restored = []
    for k, cell in enumerate(release.cells):
        gid = _grade_id(cell)
        if gid is None or gid in present:
            continue
        earlier = [_grade_id(c) for c in release.cells[:k]]
        anchor = next((g for g in reversed(earlier) if g in present), None)
        pos = 0 if anchor is None else 1 + next(i for i, c in enumerate(nb.cells) if _grade_id(c) == anchor)
        nb.cells.insert(pos, nbformat.from_dict(copy.deepcopy(cell)))
        present.add(gid)
        restored.append(gid)
    ids = set()
    for cell in nb.cells:                  # copied cells share an id, which nbformat rejects
        if "id" in cell and cell.id in ids:
            cell.id = random_cell_id()
        ids.add(cell.get("id"))
    return restored


def cell_name(cell, index):
    gid = _grade_id(cell)
    return f"cell {index + 1} ({gid})" if gid else f"cell {index + 1}"


NOTES = {   # what happened to a cell -> how the report says it
    "died": "stopped the kernel; skipped, and the rest graded",
    "timeout": "ran past the time limit and ignored the interrupt; skipped, and the rest graded",
    "interrupted": "ran past the time limit and was interrupted",
    "cut": "printed too much; the output was cut",
}


def grading_notes(path):
    """What the grader's autograde steps did to a graded notebook: a line per kind of event."""
    nb = nbformat.read(path, as_version=4)
    cells = {kind: [] for kind in NOTES}
    notes = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            reason = next((k for k, v in WHY.items() if v == out.get("evalue")), None)
            text = out.get("text", "") or out.get("data", {}).get("text/plain", "")
            if out.get("ename") == STOPPED and reason == "not run":
                notes.append(f"{cell_name(cell, i)} and every cell after it were not run "
                             "(too many cells stopped the kernel)")
                break
            kind = (reason if out.get("ename") == STOPPED else
                    "interrupted" if out.get("ename") == "CellTimeoutError" else
                    "cut" if TRUNCATED in text or LINES_CUT in text else None)
            if kind:
                cells[kind].append(cell_name(cell, i))
                break
        if notes:
            break
    lines = [f"{', '.join(names)}: {NOTES[kind]}" for kind, names in cells.items() if names]
    return lines + notes


def prepare_course(course, timeout=None, assignments=None):
    """A course folder next to nothing of the student's: the config, and the source and generated
    release of each assignment to grade (`assignments`, default all), nothing else.

    `timeout` (seconds) replaces the config's per-cell time limit for this course folder.
    The folder is private to the grader's user (0700): it holds the gradebook and the sources.
    """
    course = Path(course)
    course.mkdir(parents=True, exist_ok=True)
    os.chmod(course, 0o700)
    config = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    if timeout is not None:
        config += f"\n# Set by `python -m grader grade --timeout`.\nc.Execute.timeout = {int(timeout)}\n"
    (course / "nbgrader_config.py").write_text(config, encoding="utf-8")
    wanted = list(ASSIGNMENTS) if assignments is None else sorted(assignments)
    if (course / "solutions").exists():
        shutil.rmtree(course / "solutions")
    for a in wanted:
        shutil.copytree(ROOT / "solutions" / a, course / "solutions" / a)
        generate(a, root=course)
    return course


def protect_grader(course):
    """Where the sandbox is only a separate uid, make the grader's own folders unreadable to it."""
    if sandbox.isolation() != "uid":
        return []
    return sandbox.protect(ROOT / "grader", ROOT / "solutions", ROOT / "build", ROOT / "dist", course)


def _digest(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def done_marker(course, student, assignment):
    """Written once a submission's grading has finished: the hash of what was graded."""
    return Path(course) / ".graded" / student / f"{assignment}.json"


def finished(marker, graded_nb, text):
    """True if `text` (the submission as graded) was graded to the end before."""
    try:
        return graded_nb.is_file() and json.loads(marker.read_text())["sha256"] == _digest(text)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _grade_one(sub, course, report, force):
    """Check, repair and autograde one submission; everything that happens goes into the report."""
    label = f"{sub.student}/{sub.assignment}"
    try:
        nb = read_submission(sub)
    except ValueError as exc:
        report.fail(sub.student, sub.assignment, str(exc))
        nbgrader("db", "student", "add", sub.student, root=course)   # in the table and grades.csv, with 0
        return
    notes = [sub.note] if sub.note else []
    release_nb = nbformat.read(course / "assignments" / sub.assignment / f"{sub.assignment}.ipynb", as_version=4)
    changed = reset_metadata(nb, release_nb)
    if changed:
        notes.append(f"nbgrader marks changed on cells {', '.join(map(repr, changed))} were put back "
                     "as the release has them")
    notes += [f"cell {gid!r} appears more than once; the last copy was graded" for gid in deduplicate(nb)]
    restored = restore_missing(nb, release_nb)
    if restored:
        notes.append(f"deleted cells {', '.join(map(repr, restored))} were put back "
                     "from the release (a deleted answer is graded as blank)")
    dest = course / "submitted" / sub.student / sub.assignment / f"{sub.assignment}.ipynb"
    graded_nb = course / "autograded" / sub.student / sub.assignment / f"{sub.assignment}.ipynb"
    text = nbformat.writes(nb)
    unchanged = dest.is_file() and dest.read_text(encoding="utf-8") == text
    marker = done_marker(course, sub.student, sub.assignment)
    if unchanged and finished(marker, graded_nb, text) and not force:
        report.skipped.append((sub.student, sub.assignment))
        return
    if unchanged and graded_nb.parent.is_dir() and not marker.is_file() and not force:
        notes.append("its grading did not finish last time (interrupted?); graded again")
    marker.unlink(missing_ok=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")
    report.problems.extend(f"{label}: {note}" for note in notes)
    nbgrader("db", "student", "add", sub.student, root=course)
    proc = nbgrader("autograde", sub.assignment, "--student", sub.student, "--force", root=course, check=False)
    if proc.returncode != 0 or not graded_nb.is_file():
        lines = [l for l in (proc.stdout + proc.stderr).splitlines() if "ERROR" in l or "Error" in l]
        report.fail(sub.student, sub.assignment,
                    f"autograding failed ({(lines or ['no log'])[-1].strip()[:160]}); "
                    f"see `nbgrader autograde {sub.assignment} --student {sub.student}` in {course}")
        return
    report.graded.append((sub.student, sub.assignment))
    report.problems.extend(f"{label}: {note}" for note in grading_notes(graded_nb))
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"sha256": _digest(text)}), encoding="utf-8")


def grade(source, course, force=False, progress=True, timeout=None):
    """Grade every submission in `source` inside the course folder `course`. Returns a Report."""
    start = time.perf_counter()
    report = Report(isolation=sandbox.describe())
    subs = collect(source, report)
    course = prepare_course(course, timeout=timeout, assignments={s.assignment for s in subs})
    changed = protect_grader(course)
    if changed:
        report.problems.append("made unreadable to other users, for the sandbox's sake: " + ", ".join(changed))
    for sub in tqdm(subs, desc="grading", disable=not progress):
        try:
            _grade_one(sub, course, report, force)
        except Exception as exc:          # a bug or an nbgrader surprise: this submission only
            report.fail(sub.student, sub.assignment, f"the grader failed ({type(exc).__name__}: "
                        f"{str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ''}); please report it")
    for a in sorted({a for _, a in report.graded}):
        proc = nbgrader("generate_feedback", a, "--force", root=course, check=False)
        if proc.returncode != 0:
            who = sorted(set(FEEDBACK_FAILED.findall(proc.stdout + proc.stderr))) or ["(see the log)"]
            report.problems.append(f"feedback for {a} failed for {', '.join(who)}; "
                                   f"see `nbgrader generate_feedback {a} --student ...` in {course}")
    nbgrader("export", "--to", "grades.csv", root=course, check=False)
    write_test_table(course)
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


def per_test_rows(course):
    """One row per student, assignment and graded cell: the per-test table, from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        for student in sorted(s.id for s in gb.students):
            for a in ASSIGNMENTS:
                try:
                    sub = gb.find_submission(a, student)
                except MissingEntry:
                    continue
                for nb in sub.notebooks:
                    for g in sorted(nb.grades, key=lambda g: g.cell.cell_type + g.name):
                        rows.append({"student": student, "assignment": a, "test": g.name,
                                     "score": g.score, "max_score": g.max_score,
                                     "needs_manual_grade": g.needs_manual_grade})
    return rows


def write_test_table(course):
    rows = per_test_rows(course)
    with open(Path(course) / "tests.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, ["student", "assignment", "test", "score", "max_score", "needs_manual_grade"])
        w.writeheader()
        w.writerows(rows)


def print_report(report, course):
    course = Path(course)
    rows = grade_table(course)
    print(report.isolation)
    names = [a.split("-")[0] for a in ASSIGNMENTS]
    print(f"\n{'student':<24s}" + "".join(f"{n:>10s}" for n in names) + f"{'total':>10s}")
    for student, scores in rows:
        cells = [f"{scores[a][0]:.1f}/{scores[a][1]:g}" if a in scores
                 else "0 !" if (student, a) in report.failed else "-" for a in ASSIGNMENTS]
        total = sum(s for s, _ in scores.values())
        print(f"{student:<24s}" + "".join(f"{c:>10s}" for c in cells) + f"{total:>10.1f}")
    if report.failed:
        print("(! a submission that could not be graded: see the problems below; - no submission)")
    print(f"\ngraded {len(report.graded)}, already graded and unchanged {len(report.skipped)}, "
          f"could not be graded {len(report.failed)}, problems {len(report.problems)}, in {report.seconds:.0f} s")
    for line in report.problems:
        print(f"  - {line}")
    print(f"\ngrades:    {course / 'grades.csv'}\nper test:  {course / 'tests.csv'}"
          f"\nfeedback:  {course / 'feedback'}/<student>/<assignment>/"
          "\n(written answers still need grading by hand: nbgrader formgrader, or the gradebook)")


def build_sample_class(dest):
    """A small class in nbgrader's layout: complete, partly wrong, blank, hostile and broken submissions."""
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
    eli = dest / "eli" / "a1-mle-losses"         # a cell that kills the kernel: costs that cell's points only
    eli.mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "files" / "hostile" / "kernel-exit_a1-mle-losses.ipynb", eli / "a1-mle-losses.ipynb")
    (dest / "dana" / "a1-mle-losses").mkdir(parents=True)
    (dest / "dana" / "a1-mle-losses" / "a1-mle-losses.ipynb").write_text('{"cells": [ this is not JSON')
    (dest / "dana" / "a9-unknown").mkdir(parents=True)
    return dest
