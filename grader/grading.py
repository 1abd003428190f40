"""Grade a class with nbgrader's own apps, several submissions at once, with a report.

    python -m grader grade --submissions FOLDER_OR_ZIP [--course DIR] [--force] [--jobs N]
    python -m grader grade --sample            (the bundled sample class)
    python -m grader feedback [--course DIR]   (after hand grading: feedback and grades again)

Submissions come in nbgrader's layout, FOLDER/<student>/<assignment>/<notebook>.ipynb, or as
files named as people and learning platforms name them (grader/intake.py: Canvas, Moodle,
Blackboard, browser copies), in a folder or a zip. Each submission is checked, then autograded
on its own by one of --jobs isolated workers (grader/workers.py), so a broken one costs its
student only its own points and the rest of the class is graded.
Deleted cells are put back, duplicated ones reduced to their last copy, old notebook
formats upgraded; a cell that kills the kernel, loops past the time limit or floods
the output costs only itself (grader/preprocessors.py). Every problem becomes one line
of the report. Each notebook runs sandboxed (grader/sandbox.py; the report's first line
says which isolation this machine gives) and is judged in this process. A submission
whose grading finished, and which has not changed since, is not graded again; one
whose grading was interrupted is graded again (an interrupted run can simply be restarted).

Written in the course folder (--course): grades.csv (nbgrader export with grader/export.py's
columns; times in UTC, as nbgrader stores them), tests.csv (one row per student and graded
cell), feedback/<student>/<assignment>/<assignment>.html, and summary.html (for staff).
"""
import contextlib
import copy
import csv
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import stat
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.corpus.words import generate_corpus_id as random_cell_id
from sqlalchemy.exc import SAWarning
from tqdm.auto import tqdm

from .assignments import ASSIGNMENTS, schedule
from . import sandbox, workers
from .checks._core import REWRITES
from .course import ROOT, NbgraderError, course_api, generate
from .course import export as export_grades
from .intake import Submission, collect  # noqa: F401  (Submission: for callers that build one)
from .preprocessors import LINES_CUT, STOPPED, TRUNCATED, WHY

MAX_BYTES = 50 * 1024 * 1024


@dataclass
class Report:
    graded: list = field(default_factory=list)      # (student, assignment)
    skipped: list = field(default_factory=list)     # already graded, unchanged
    problems: list = field(default_factory=list)    # one line each
    failed: dict = field(default_factory=dict)      # (student, assignment) -> why it scored 0
    late: list = field(default_factory=list)        # this run's late submissions, a line each (late_lines)
    timings: dict = field(default_factory=dict)     # (student, assignment) -> seconds its worker took
    unpacked: list = field(default_factory=list)    # temporary folders a zip was unpacked into
    peak_mb: float = 0.0                            # the largest a grading worker process grew to
    seconds: float = 0.0
    jobs: int = 1
    isolation: str = ""                             # one line: how student code was confined
    action: str = "graded"                          # what this run did ("graded", "feedback rebuilt for")

    def fail(self, student, assignment, why):
        self.failed[(student, assignment)] = why
        self.problems.append(f"{student}/{assignment}: {why}; scored 0")


def read_submission(sub):
    """The submission as a version-4 notebook, or raise ValueError with one readable line."""
    if sub.path is None:
        raise ValueError(sub.note)
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
            # the release's marks and nothing else (a key nbgrader does not know, such as "score",
            # failed the whole submission); the student's checksum is nbgrader's to judge
            fixed = {k: v for k, v in marks[gid].items() if k != "checksum"}
            if isinstance(meta.get("checksum"), str):
                fixed["checksum"] = meta["checksum"]
            if set(meta) - set(fixed) - {"checksum"}:
                changed.append(f"{gid} (unknown keys)")
            if any(bool(meta.get(k)) != bool(fixed.get(k)) for k in ("grade", "solution", "locked", "task")) \
                    or (fixed.get("grade") and meta.get("points") != fixed.get("points")):
                changed.append(gid)
            cell.metadata["nbgrader"] = fixed
        else:
            del cell.metadata["nbgrader"]
            if meta.get("grade") or meta.get("solution") or meta.get("locked"):
                changed.append(str(gid) if isinstance(gid, str) else f"cell {i + 1}")
    return changed


LOCKED_NOTE = ("Note from the grader: the cell above was changed in your submission, but it is one of the "
               "course's locked cells, so it was run exactly as released and your changes to it were not run. "
               "Put your own code (imports too) in the cells marked for your answers.")


def _code_lines(source):
    """A cell's lines as nbgrader's release has them: no hidden-test block, no blank lines."""
    source = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", source, flags=re.S)
    return [line.rstrip() for line in source.splitlines() if line.strip()]


def revert_locked(nb, release):
    """Find the locked cells of the course (set-up, visible and hidden tests) whose source the
    student changed (an editor other than JupyterLab lets one), and put a note after each saying
    that nbgrader runs them as released; return their ids. A change there is silently undone by
    nbgrader otherwise, and what the student wrote there (an import, say) is missing later."""
    sources = {_grade_id(c): c.source for c in release.cells
               if _grade_id(c) is not None and c.cell_type == "code" and c.metadata["nbgrader"].get("locked")
               and not c.metadata["nbgrader"].get("solution")}
    edited = []
    for i in range(len(nb.cells) - 1, -1, -1):
        cell = nb.cells[i]
        gid = _grade_id(cell)
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        if gid in sources and cell.cell_type == "code" and _code_lines(source) != _code_lines(sources[gid]):
            edited.append(gid)
            note = nbformat.v4.new_markdown_cell(LOCKED_NOTE)
            if nb.get("nbformat_minor", 0) < 5:       # cell ids only from format 4.5 on
                note.pop("id", None)
            nb.cells.insert(i + 1, note)
    return edited[::-1]


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
        kinds = set()                      # a cell may have printed too much and then been interrupted
        for out in cell.get("outputs", []):
            reason = next((k for k, v in WHY.items() if v == out.get("evalue")), None)
            text = out.get("text", "") or out.get("data", {}).get("text/plain", "")
            if out.get("ename") == STOPPED and reason in ("not run", "out of time"):
                notes.append(f"{cell_name(cell, i)} and every cell after it were not run "
                             + ("(too many cells stopped the kernel)" if reason == "not run" else
                                "(the notebook used up its grading time)"))
                break
            kind = (reason if out.get("ename") == STOPPED else
                    "interrupted" if out.get("ename") == "CellTimeoutError" else
                    "cut" if TRUNCATED in text or LINES_CUT in text else None)
            if kind and kind not in kinds:
                kinds.add(kind)
                cells[kind].append(cell_name(cell, i))
        if notes:
            break
    lines = [f"{', '.join(names)}: {NOTES[kind]}" for kind, names in cells.items() if names]
    return lines + notes + _trust_notes(nb)


def _trust_notes(nb):
    """Where the notebook's code reached the recording (its autograded cells scored 0) or tried to run code
    it wrote itself (refused): said in the report, so that an instructor sees it (and a false alarm)."""
    rewrites, refused = None, []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.get("output_type") == "stream" else \
                out.get("evalue", "") if out.get("output_type") == "error" else ""
            found = re.search(re.escape(REWRITES) + r" \((.{1,300}?)\), so what", text)
            if found and rewrites is None:
                rewrites = found.group(1)
            if out.get("output_type") == "error" and GUARD_REFUSAL in text:
                refused.append(cell_name(cell, i))
    notes = []
    if rewrites:
        notes.append(f"the notebook rewrites code or names while it runs ({rewrites}): its autograded cells "
                     "scored 0; the student's feedback says why (if this is ordinary code, the reading in "
                     "grader/checks/_static.py needs a fix)")
    if refused:
        notes.append(f"{', '.join(refused)}: tried to run code the notebook wrote itself (refused)")
    return notes


#: The words of dlcourse.graded_kernel's refusal.
GUARD_REFUSAL = "code is only read from where it was installed"


def prepare_course(course, timeout=None, assignments=None, due=None, notebook_timeout=None):
    """A course folder next to nothing of the student's: the config, and the source and generated
    release of each assignment to grade (`assignments`, default all), nothing else.

    `timeout` (seconds) replaces the config's per-cell time limit for this course folder; `due`
    ({assignment: aware datetime or None}) sets the due dates in the gradebook. An assignment
    whose source and config have not changed since the folder last generated it is not
    generated again. The folder is private to the grader's user (0700): it holds the gradebook
    and the sources.
    """
    from nbgrader.api import Gradebook

    course = Path(course)
    course.mkdir(parents=True, exist_ok=True)
    os.chmod(course, 0o700)
    base = config = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    if timeout is not None:
        config += f"\n# Set by `python -m grader grade --timeout`.\nc.Execute.timeout = {int(timeout)}\n"
    if notebook_timeout is not None:
        config += (f"\n# Set by `python -m grader grade --notebook-timeout`.\n"
                   f"c.ResilientExecute.notebook_timeout = {int(notebook_timeout)}\n")
    (course / "nbgrader_config.py").write_text(config, encoding="utf-8")
    wanted = list(ASSIGNMENTS) if assignments is None else sorted(assignments)
    stamp = course / ".generated.json"
    try:
        generated = json.loads(stamp.read_text())
    except (OSError, ValueError):
        generated = {}
    for a in sorted(set(p.name for p in (course / "solutions").glob("*")) - set(wanted)):
        shutil.rmtree(course / "solutions" / a)               # only what is graded now is in the folder
    for a in wanted:
        # time limits do not change what generation writes: a course graded with other limits keeps it
        digest = _digest(base + (ROOT / "solutions" / a / f"{a}.ipynb").read_text(encoding="utf-8"))
        release = course / "assignments" / a / f"{a}.ipynb"
        if generated.get(a) == digest and release.is_file() and (course / "solutions" / a).is_dir():
            continue
        if (course / "solutions" / a).exists():
            shutil.rmtree(course / "solutions" / a)
        shutil.copytree(ROOT / "solutions" / a, course / "solutions" / a)
        generate(a, root=course)
        generated[a] = digest
        stamp.write_text(json.dumps(generated), encoding="utf-8")
    if due is not None:
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            for a in wanted:
                when = due.get(a)
                gb.update_or_create_assignment(a, duedate=when.astimezone(dt.timezone.utc).replace(tzinfo=None)
                                               if when else None)
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


def record_zero(gb, student, assignment):
    """A submission that could not be graded scores 0 in the gradebook (so in the table and in
    grades.csv, where "not submitted" stays empty), as nbgrader scores a missing notebook."""
    with quiet_gradebook():
        gb.update_or_create_student(student)
        sub = gb.update_or_create_submission(assignment, student)
        for nb in sub.notebooks:
            for grade in nb.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gb.db.commit()


@contextlib.contextmanager
def quiet_gradebook():
    """nbgrader's add_submission builds its rows outside the session, and SQLAlchemy warns about it
    (an SAWarning, which is a RuntimeWarning: an error wherever those are errors, as in the tests);
    nbgrader's own commands run with the same warning. Silence it, and only it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        yield


def _stage(sub, course, report, force):
    """Check and repair one submission and put it in submitted/. Returns what is graded (the
    notebook and its time, as text) when it is to be autograded, else False."""
    label = f"{sub.student}/{sub.assignment}"
    try:
        nb = read_submission(sub)
    except ValueError as exc:
        report.fail(sub.student, sub.assignment, str(exc))
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            record_zero(gb, sub.student, sub.assignment)
        return False
    notes = [sub.note] if sub.note else []
    release_nb = nbformat.read(course / "assignments" / sub.assignment / f"{sub.assignment}.ipynb", as_version=4)
    changed = reset_metadata(nb, release_nb)
    if changed:
        notes.append(f"nbgrader marks changed on cells {', '.join(map(repr, changed))} were put back "
                     "as the release has them")
    notes += [f"cell {gid!r} appears more than once; the last copy was graded" for gid in deduplicate(nb)]
    edited = revert_locked(nb, release_nb)
    if edited:
        notes.append(f"locked cells {', '.join(map(repr, edited))} were edited; they were run as the "
                     "release has them (the student was told so in the feedback)")
    restored = restore_missing(nb, release_nb)
    if restored:
        notes.append(f"deleted cells {', '.join(map(repr, restored))} were put back "
                     "from the release (a deleted answer is graded as blank)")
    folder = course / "submitted" / sub.student / sub.assignment
    dest = folder / f"{sub.assignment}.ipynb"
    graded_nb = course / "autograded" / sub.student / sub.assignment / f"{sub.assignment}.ipynb"
    text = nbformat.writes(nb)
    when = sub.timestamp.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC") if sub.timestamp else ""
    unchanged = dest.is_file() and dest.read_text(encoding="utf-8") == text
    marker = done_marker(course, sub.student, sub.assignment)
    if unchanged and finished(marker, graded_nb, text + when) and not force:
        report.skipped.append((sub.student, sub.assignment))
        return False
    if unchanged and not marker.is_file() and not force:
        notes.append("its grading did not finish last time (interrupted?); graded again")
    marker.unlink(missing_ok=True)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    dest.write_text(text, encoding="utf-8")
    if when:
        (folder / "timestamp.txt").write_text(when, encoding="utf-8")     # nbgrader's own convention
    report.problems.extend(f"{label}: {note}" for note in notes)
    return text + when


def _finish(gb, course, student, assignment, result, text, report):
    """Take a worker's result into the course: autograded notebook, gradebook, feedback, marker.
    Returns True when the feedback must be made again from the course's gradebook (a grade given
    by hand before this submission was graded again, which the worker's gradebook does not hold)."""
    label = f"{student}/{assignment}"
    if not result.get("success"):
        log = (result.get("log", "") + "\n" + result.get("error", "")).strip()
        last = ([l for l in log.splitlines() if "ERROR" in l or "Error" in l] or log.splitlines() or ["no log"])[-1]
        record_zero(gb, student, assignment)
        report.fail(student, assignment, f"autograding failed ({last.strip()[:160]}); see `nbgrader autograde "
                                         f"{assignment} --student {student}` in {course}")
        return False
    for name, src in (("autograded", result["folder"]), ("feedback", result.get("feedback"))):
        dest = course / name / student / assignment
        if dest.exists():
            shutil.rmtree(dest)
        if src:
            shutil.copytree(src, dest)
    workers.merge(gb, student, assignment, result)
    report.timings[(student, assignment)] = result.get("seconds", 0.0)
    report.peak_mb = max(report.peak_mb, result.get("peak_mb", 0.0))
    sub = gb.find_submission(assignment, student)
    again = any(g.manual_score is not None for nb in sub.notebooks for g in nb.grades) or not result.get("feedback")
    graded_nb = course / "autograded" / student / assignment / f"{assignment}.ipynb"
    report.graded.append((student, assignment))
    report.problems.extend(f"{label}: {note}" for note in grading_notes(graded_nb))
    marker = done_marker(course, student, assignment)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"sha256": _digest(text)}), encoding="utf-8")
    return again


def late_lines(rows):
    """One line per late submission of the class (rows: class_rows), as the report prints them."""
    return [f"{student}/{a}: {_duration(float(r['seconds_late']))} late (submitted {str(r['timestamp'])[:16]} UTC, "
            f"due {str(r['duedate'])[:16]} UTC); penalty {float(r['late_submission_penalty']):g} points"
            for student, scores in rows for a, r in scores.items() if r["seconds_late"]]


def _duration(seconds):
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    return (f"{days} d {hours} h" if days else f"{hours} h {rest // 60} min" if hours else
            f"{rest // 60} min {rest % 60} s")


def regenerate_feedback(course, pairs, report):
    """Feedback pages from the course's gradebook (hand grades included), in this process."""
    if not pairs:
        return
    course = Path(course).resolve()
    with course_api(course) as api:
        for student, assignment in sorted(pairs):
            result = api.generate_feedback(assignment, student, force=True)
            if not result.get("success"):
                report.problems.append(f"{student}/{assignment}: feedback failed; see `nbgrader "
                                       f"generate_feedback {assignment} --student {student}` in {course}")


def grade(source, course, force=False, progress=True, timeout=None, jobs=None, assignment=None,
          schedule_file=None, notebook_timeout=None):
    """Grade every submission in `source` inside the course folder `course`. Returns a Report.

    `jobs` workers autograde at once (default: one per core); `assignment` says which assignment
    an export is for when its file names do not; `schedule_file` replaces schedule.toml.
    """
    start = time.perf_counter()
    jobs = jobs or workers.default_jobs()
    sandbox.sweep_stale_scratch()                # what an earlier, killed run left mounted
    report = Report(isolation=sandbox.describe(), jobs=jobs)
    due, zone = schedule(schedule_file)
    try:
        return _grade(source, course, report, start, force=force, progress=progress, timeout=timeout,
                      notebook_timeout=notebook_timeout, jobs=jobs, assignment=assignment, due=due, zone=zone)
    finally:
        for folder in report.unpacked:           # a zip's members, unpacked for this run
            shutil.rmtree(folder, ignore_errors=True)


def _grade(source, course, report, start, force, progress, timeout, notebook_timeout, jobs, assignment, due, zone):
    from nbgrader.api import Gradebook

    subs = collect(source, report, assignment=assignment, zone=zone)
    course = prepare_course(course, timeout=timeout, assignments={s.assignment for s in subs}, due=due,
                            notebook_timeout=notebook_timeout)
    changed = protect_grader(course)
    if changed:
        report.problems.append("made unreadable to other users, for the sandbox's sake: " + ", ".join(changed))
    staged = {}
    for sub in subs:
        try:
            text = _stage(sub, course, report, force)
        except Exception as exc:          # a bug or an nbgrader surprise: this submission only
            report.fail(sub.student, sub.assignment, _grader_failed(exc))
            continue
        if text:
            staged[(sub.student, sub.assignment)] = text
    redo = set()
    bar = tqdm(total=len(staged), desc=f"grading ({jobs} at once)", disable=not progress)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb, quiet_gradebook():
        def done(student, a, result):
            try:
                if _finish(gb, course, student, a, result, staged[(student, a)], report):
                    redo.add((student, a))
            except Exception as exc:      # a bug or an nbgrader surprise: this submission only
                gb.db.rollback()
                report.fail(student, a, _grader_failed(exc))
                record_zero(gb, student, a)
            bar.update()
        workers.run(course, jobs, list(staged), done)
    bar.close()
    flagged = [s for s in subs if s.late_flag and (s.student, s.assignment) in report.graded]
    if flagged:
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            for s in flagged:
                sub = gb.find_submission(s.assignment, s.student)
                if sub.total_seconds_late:
                    continue
                why = (f"its time, {s.timestamp:%Y-%m-%d %H:%M} UTC, is not after the due date, "
                       f"{sub.duedate:%Y-%m-%d %H:%M} UTC" if sub.duedate else "schedule.toml sets no due date")
                report.problems.append(f"{s.student}/{s.assignment}: the platform marked it late (LATE_ in its "
                                       f"name), but {why}; check schedule.toml (the due date, and the zone the "
                                       "export's times are read in)")
    regenerate_feedback(course, redo, report)
    graded = set(report.graded)
    report.late = late_lines([(s, {a: r for a, r in scores.items() if (s, a) in graded})
                              for s, scores in class_rows(course)])
    export(course, report)
    report.seconds = time.perf_counter() - start
    return report


def _grader_failed(exc):
    first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
    return f"the grader failed ({type(exc).__name__}: {first}); please report it"


def export(course, report):
    """grades.csv (nbgrader export, with grader.export's columns), tests.csv and summary.html.
    An export that fails costs grades.csv alone, and is a problem in the report."""
    try:
        export_grades(course)
    except NbgraderError as exc:
        report.problems.append(f"grades.csv was not written: {exc}")
    write_test_table(course)
    from .summary import build

    build(course)


def grade_table(course):
    """Rows (student, {assignment: (score, max)}) from the gradebook: every student, and each
    assignment they submitted (a submission that could not be graded is there with 0)."""
    return [(student, {a: (r["score"], r["max_score"]) for a, r in scores.items()})
            for student, scores in class_rows(course)]


def class_rows(course):
    """Rows (student, {assignment: row}) from the gradebook, row as in grades.csv (grader.export)."""
    from nbgrader.api import Gradebook

    from .export import rows as export_rows

    table = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        for row in export_rows(gb):
            if row["status"] == "graded" and row["assignment"] in ASSIGNMENTS:
                table.setdefault(row["student_id"], {})[row["assignment"]] = row
            else:
                table.setdefault(row["student_id"], {})
    return sorted(table.items())


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


def formgrader_command(course):
    """How to open nbgrader's formgrader on this course folder (to grade written answers by hand)."""
    course = Path(course).resolve()
    jupyter = Path(sys.executable).parent / "jupyter"
    root = " --allow-root" if os.geteuid() == 0 else ""
    return f"cd {course} && {jupyter} lab{root}   (then Nbgrader > Formgrader > Manual Grading)"


def print_report(report, course, out=None):
    """The class at a glance, then every problem, then where everything is."""
    out = out or sys.stdout
    course = Path(course)
    rows = class_rows(course)
    say = lambda *a: print(*a, file=out)        # noqa: E731
    if report.action == "graded":                # the sandbox matters only where notebooks ran
        say(report.isolation)
    names = [a.split("-")[0] for a in ASSIGNMENTS]
    say(f"\n{'student':<24s}" + "".join(f"{n:>11s}" for n in names) + f"{'total':>10s}{'by hand':>10s}")
    marks = set()
    for student, scores in rows:
        cells = []
        for a in ASSIGNMENTS:
            r = scores.get(a)
            if (student, a) in report.failed:
                cell, flags = "0 ", "!"
            elif r is None:
                cell, flags = "-", ""
            else:
                flags = ("*" if r["hand_grading_pending"] else "") + ("L" if r["seconds_late"] else "")
                cell = f"{r['score']:.1f}/{r['max_score']:g}"
            marks.update(flags)
            cells.append(cell + flags)
        total = sum(r["score"] for r in scores.values())
        waiting = sum(r["hand_grading_pending"] or 0 for r in scores.values())
        say(f"{student:<24s}" + "".join(f"{c:>11s}" for c in cells) + f"{total:>10.1f}"
            + (f"{f'+{waiting:g} ?':>10s}" if waiting else ""))
    legend = {"!": "! could not be graded (see the problems below)",
              "*": "* written answers not yet graded by hand, counted 0 until they are (by hand: their points)",
              "L": "L late (see below)"}
    say("(- no submission; " + "; ".join(legend[m] for m in "!*L" if m in marks) + ")" if marks else "(- no submission)")
    late = late_lines(rows)
    if report.action == "graded":
        say(f"\ngraded {len(report.graded)} with {report.jobs} worker{'s' * (report.jobs > 1)}, already graded and "
            f"unchanged {len(report.skipped)}, could not be graded {len(report.failed)}, late in the class "
            f"{len(late)}, problems {len(report.problems)}, in {report.seconds:.0f} s")
    else:
        say(f"\n{report.action} {len(report.graded)} submissions from the gradebook (nothing autograded again), "
            f"late in the class {len(late)}, problems {len(report.problems)}, in {report.seconds:.0f} s")
    for title, lines in (("late", late), ("problems", report.problems)):
        if lines:
            say(f"{title}:")
            for line in lines:
                say(f"  - {line}")
    say(f"\ngrades:    {course / 'grades.csv'}\nper test:  {course / 'tests.csv'}"
        f"\nsummary:   {course / 'summary.html'}"
        f"\nfeedback:  {course / 'feedback'}/<student>/<assignment>/"
        f"\n\nWritten answers are graded by hand in nbgrader's formgrader:\n  {formgrader_command(course)}"
        f"\nthen rebuild the feedback, grades.csv and summary with the hand grades in:"
        f"\n  {Path(sys.executable)} -m grader feedback --course {course}")


def refresh(course):
    """After hand grading: every student's feedback, grades.csv, tests.csv and the summary, again."""
    course = Path(course)
    if not (course / "gradebook.db").is_file():
        raise FileNotFoundError(f"no gradebook in {course}: grade the class first (python -m grader grade)")
    report = Report(isolation=sandbox.describe())
    start = time.perf_counter()
    pairs = [(p.parent.parent.name, p.parent.name) for p in sorted((course / "autograded").glob("*/*/*.ipynb"))
             if p.parent.name in ASSIGNMENTS and p.stem == p.parent.name]
    regenerate_feedback(course, pairs, report)
    export(course, report)
    report.graded = pairs
    report.action = "feedback rebuilt for"
    report.seconds = time.perf_counter() - start
    return report


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
