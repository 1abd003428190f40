"""Submissions that attack the grader, graded as one class with honest students.

tests/files/adversarial/ (written by tests/files/make_adversarial.py) holds one notebook per
attack: an honest content whose points are known (the blank release, or a wrong answer of
tests/files/submissions/) plus code that tries to call the hidden reference, fake or patch
the grader, forge or corrupt the records, reach the gradebook, survive its notebook, change
the grader's source, leak hidden material, reach the network or other processes, or exhaust
the machine. The class is graded once, with the real nbgrader pipeline and sandbox, and then:

- every attacker scores exactly what its honest content scores, cell by cell;
- honest students (graded last) score exactly what they should;
- nobody set a manual score or comment in the gradebook, and no cell's points changed;
- the grader's files (grader/, dlcourse/, solutions/, the editable install) are byte-identical;
- no PROBE marker exists outside the sandbox, and no attack reported a success ("-HIT");
- no process of the sandbox's uid outlives grading;
- no feedback page, report line or table shows hidden text (checks, reference, solutions);
- the grader's memory, the graded notebooks and the feedback pages stay bounded;
- no student-written script runs in a feedback page;
- through Gradescope's run_autograder, the daemon and a forger score their honest points, the
  daemon is gone 5 s later (results.json unchanged; it writes every 0.5 s while alive), and a submission that is a symlink to the
  autograder's own solution notebook earns nothing.

A failing test here names an attack that worked: see the attack in make_adversarial.py.
(test_the_grader_files_are_unchanged also fails if someone edits the grader while it runs: its
message gives each file's modification time.) After changing a solution notebook, the release or
the corpus, run tests/files/make_adversarial.py again.
"""
import hashlib
import html
import json
import os
import py_compile
import re
import resource
import secrets
import sysconfig
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from grader.assignments import ASSIGNMENTS
from grader.course import ROOT
from grader.grading import grade, per_test_rows
from grader.sandbox import SANDBOX_UID

pytestmark = pytest.mark.slow        # grades classes or runs notebooks: `make test`, not `make check`

A1, A3 = "a1-mle-losses", "a3-optimizers"
ADV = ROOT / "tests" / "files" / "adversarial"
EXPECTED = json.loads((ADV / "expected.json").read_text())
CORPUS = ROOT / "tests" / "files" / "submissions"
CORPUS_EXPECTED = json.loads((CORPUS / "expected.json").read_text())
# Each run gives the attacks' markers a tag of its own (the notebooks are copied with ADVPROBE
# replaced), so that another run of the same corpus at the same time (tests/test_sandbox.py grades
# some of it in the weaker "uid" mode, where /tmp is shared) cannot be taken for this one's.
PROBE = "ADVPROBE"
RUN = PROBE + secrets.token_hex(3)
HIT = re.compile(RUN + r"-[\w-]+?-HIT")
TIMEOUT = 10                   # seconds per cell, as `python -m grader grade --timeout 10`
# No attack may make grading hang: a notebook's grading is bounded by its cells' time limit (each
# cell at most TIMEOUT, plus the interrupt's grace and a kernel restart) and a fixed allowance for
# starting kernels and writing feedback, whatever the machine's speed.
NOTEBOOK_ALLOWANCE = 120       # seconds beyond the cells' own limits
MEMORY_GROWTH = 512 * 2**20    # bytes the grading process may grow by, whatever the kernels print
NOTEBOOK_BYTES = 10 * 2**20    # largest graded notebook (a submission may be 50 MB; these are ~40 kB)
FEEDBACK_BYTES = 8 * 2**20     # largest feedback page (outputs are capped at 6 MB a notebook)


def _tests(assignment):
    return {g: p for g, p in ASSIGNMENTS[assignment].items() if g.startswith("test_")}


def _blank(assignment):
    return {g: 0.0 for g in _tests(assignment)}


# student -> (assignment, notebook submitted, {graded cell: points when below full marks}).
# Named to be graded after every attacker: whatever an attacker left behind would reach them.
HONEST = {
    "zz-solution-a1": (A1, ROOT / "solutions" / A1 / f"{A1}.ipynb", {}),
    "zz-solution-a3": (A3, ROOT / "solutions" / A3 / f"{A3}.ipynb", {}),
    "zz-wrong-naive-softmax": (A1, CORPUS / f"naive-softmax_{A1}.ipynb",
                               CORPUS_EXPECTED[f"naive-softmax/{A1}"]["cells"]),
    "zz-wrong-nag-at-theta": (A3, CORPUS / f"nag-at-theta_{A3}.ipynb", CORPUS_EXPECTED[f"nag-at-theta/{A3}"]["cells"]),
    "zz-blank-a1": (A1, ROOT / "assignments" / A1 / f"{A1}.ipynb", _blank(A1)),
}
ATTACKERS = {stem.split("_", 1)[0]: info for stem, info in EXPECTED.items()}
EVERYONE = {**{s: (i["assignment"], ADV / f"{s}_{i['assignment']}.ipynb", i["cells"]) for s, i in ATTACKERS.items()},
            **HONEST}


# ---- what must not change, and what must not be found -----------------------------------------------

def _protected_files():
    files = [p for d in ("grader", "dlcourse", "solutions") for p in (ROOT / d).rglob("*")
             if p.is_file() or p.is_symlink()]
    return files + sorted(Path(sysconfig.get_paths()["purelib"]).glob("__editable__*"))


def _fingerprint():
    out = {}
    for p in _protected_files():
        try:
            out[str(p)] = ("link:" + os.readlink(p)) if p.is_symlink() else hashlib.sha256(p.read_bytes()).hexdigest()
        except OSError as exc:
            out[str(p)] = f"unreadable: {exc}"
    return out


def _fresh_cache(path):
    """True if `path` is a __pycache__ file identical to what Python compiles from its source now
    (the grader's own imports may write those; anything else in __pycache__ is tampering)."""
    path = Path(path)
    if path.parent.name != "__pycache__" or not path.name.endswith(".pyc"):
        return False
    source = path.parent.parent / (path.name.split(".")[0] + ".py")
    if not source.is_file():
        return False
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.pyc"
        py_compile.compile(str(source), cfile=str(fresh), doraise=True)
        return fresh.read_bytes() == path.read_bytes()


def _tagged(data):
    """A submission's bytes with this run's markers."""
    return data.replace(PROBE.encode(), RUN.encode())


def _marker_paths(roots):
    """Files and folders whose name holds this run's marker: /tmp's top level and its sandbox
    scratch folders, /root, /work, the site-packages, and every folder under `roots`."""
    found = []
    shallow = [Path("/tmp"), Path("/root"), Path("/work"), Path(sysconfig.get_paths()["purelib"])]
    for d in shallow:
        try:
            found += [str(p) for p in d.iterdir() if RUN in p.name]
        except OSError:
            pass
    deep = list(roots) + sorted(Path("/tmp").glob("dlc-*"))
    for root in deep:
        for base, dirs, files in os.walk(root):
            dirs[:] = [x for x in dirs if x not in (".git", ".venv", "node_modules")]
            found += [os.path.join(base, n) for n in dirs + files if RUN in n]
    return found


def _orphans():
    """Processes of the sandbox's uid that belong to no notebook being graded now: a notebook being
    graded has its scratch folder (named in the kernel's environment); a finished one has not."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            status = (d / "status").read_text()
            uid = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if uid != str(SANDBOX_UID):
            continue
        try:
            env = (d / "environ").read_bytes()
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ")[:200]
        except OSError:
            env, cmd = b"", b"?"
        m = re.search(rb"DLCOURSE_RECORD_DIR=([^\0]+)", env)
        if m and Path(m.group(1).decode(errors="replace")).exists():
            continue
        out.append((d.name, cmd))
    return out


def _wait_for_no_orphans(seconds=5):
    deadline = time.monotonic() + seconds
    while (left := _orphans()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _hidden_material():
    """(grader source lines >= 30 chars, solution lines >= 20 chars the release does not show,
    names of the checks): text that must never reach a student. Lines that the students have
    anyway (the releases, the helper package dlcourse) are not hidden."""
    public = "\n".join(c.source for a in ASSIGNMENTS
                       for c in nbformat.read(ROOT / "assignments" / a / f"{a}.ipynb", 4).cells)
    public += "\n".join(f.read_text() for f in sorted((ROOT / "dlcourse").glob("*.py")))
    source = [f for d in ("checks", "reference") for f in sorted((ROOT / "grader" / d).glob("*.py"))]
    grader_lines = {line.strip() for f in source for line in f.read_text().splitlines()
                    if len(line.strip()) >= 30 and line.strip() not in public}
    check_names = {n for f in source for n in re.findall(r"def (check_\w+)", f.read_text())}
    solution_lines = set()
    for a in ASSIGNMENTS:
        release = "\n".join(c.source for c in nbformat.read(ROOT / "assignments" / a / f"{a}.ipynb", 4).cells)
        for cell in nbformat.read(ROOT / "solutions" / a / f"{a}.ipynb", 4).cells:
            inside = False
            for line in cell.source.splitlines():
                if "### BEGIN SOLUTION" in line:
                    inside = True
                elif "### END SOLUTION" in line:
                    inside = False
                elif inside and len(line.strip()) >= 20 and line.strip() not in release:
                    solution_lines.add(line.strip())
    return grader_lines, solution_lines, check_names


def _visible_text(page):
    """A feedback page as the text a reader sees: tags removed, entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _leaks(text, own, hidden):
    """Hidden lines and names in `text` that the student's own submission (`own`) does not hold."""
    grader_lines, solution_lines, check_names = hidden
    return ([f"grader source: {line!r}" for line in grader_lines if line in text and line not in own]
            + [f"solution: {line!r}" for line in solution_lines if line in text and line not in own]
            + [f"check name: {name}" for name in check_names if name in text and name not in own])


def _own_text(path):
    nb = nbformat.reads(_tagged(Path(path).read_bytes()).decode("utf-8"), as_version=nbformat.NO_CONVERT)
    return "\n".join("".join(c.source) if isinstance(c.source, list) else c.source for c in nb.cells)


# ---- the class, graded once ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("adversarial")
    folder = base / "class"
    folder.mkdir()
    for student, (assignment, src, _) in EVERYONE.items():
        (folder / f"{student}_{assignment}.ipynb").write_bytes(_tagged(src.read_bytes()))
    course = base / "course"
    before = _fingerprint()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.time()
    start = time.perf_counter()
    report = grade(folder, course, timeout=TIMEOUT, progress=False)
    seconds = time.perf_counter() - start
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss
    orphans = _wait_for_no_orphans()
    after = _fingerprint()
    print(f"\nadversarial class: {len(EVERYONE)} submissions graded in {seconds:.0f} s; "
          f"the grading process grew by {growth / 2**20:.0f} MB at its peak")
    rows = per_test_rows(course)
    return SimpleNamespace(report=report, course=course, folder=folder, seconds=seconds, growth=growth,
                           before=before, after=after, orphans=orphans, rows=rows, base=base, started=started)


def _feedback(graded, student):
    assignment = EVERYONE[student][0]
    path = graded.course / "feedback" / student / assignment / f"{assignment}.html"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _problems(graded, student):
    prefix = f"{student}/{EVERYONE[student][0]}: "
    return [p for p in graded.report.problems if p.startswith(prefix)]


def test_no_attack_makes_grading_hang(graded):
    """Each notebook's grading ends within what its cells' time limits allow."""
    slow = {}
    for (student, assignment), seconds in graded.report.timings.items():
        nb = nbformat.read(graded.course / "submitted" / student / assignment / f"{assignment}.ipynb", as_version=4)
        cells = sum(1 for c in nb.cells if c.cell_type == "code")
        bound = 2 * TIMEOUT * cells + NOTEBOOK_ALLOWANCE          # 2x: the interrupt's grace, a replay
        if seconds > bound:
            slow[student] = (round(seconds), bound)
    assert len(graded.report.timings) == len(graded.report.graded) > 0
    assert not slow, slow


def test_the_grader_files_are_unchanged(graded):
    changed = sorted(p for p in set(graded.before) | set(graded.after)
                     if graded.before.get(p) != graded.after.get(p) and not _fresh_cache(p))
    when = {p: time.strftime("%H:%M:%S", time.localtime(os.lstat(p).st_mtime)) if os.path.lexists(p) else "deleted"
            for p in changed}
    assert not changed, (f"grading ran {time.strftime('%H:%M:%S', time.localtime(graded.started))} to "
                         f"{time.strftime('%H:%M:%S', time.localtime(graded.started + graded.seconds))}", when)


@pytest.mark.parametrize("student", sorted(EVERYONE))
def test_every_student_scores_exactly_the_honest_content(graded, student):
    """An attacker scores what its honest content scores; an honest student what it should."""
    assignment, _, below_full = EVERYONE[student]
    rows = {r["test"]: r for r in graded.rows if r["student"] == student and r["assignment"] == assignment}
    got = {g: (rows[g]["score"] if g in rows else 0.0) for g in _tests(assignment)}
    want = {g: float(below_full.get(g, p)) for g, p in _tests(assignment).items()}
    why = graded.report.failed.get((student, assignment))
    assert got == pytest.approx(want, abs=1e-3), (why, _problems(graded, student))
    if student in HONEST:
        assert (student, assignment) in graded.report.graded, (why, _problems(graded, student))


def test_nobody_set_manual_scores_comments_or_points(graded):
    from nbgrader.api import Gradebook, MissingEntry

    bad = []
    with Gradebook(f"sqlite:///{graded.course / 'gradebook.db'}") as gb:
        for student in sorted(s.id for s in gb.students):
            for a in ASSIGNMENTS:
                try:
                    sub = gb.find_submission(a, student)
                except MissingEntry:
                    continue
                for nb in sub.notebooks:
                    names = {g.name for g in nb.grades}
                    if names != set(ASSIGNMENTS[a]):
                        bad.append((student, "graded cells", sorted(names ^ set(ASSIGNMENTS[a]))))
                    for g in nb.grades:
                        if g.manual_score is not None or g.extra_credit not in (None, 0):
                            bad.append((student, g.name, "manual score", g.manual_score, g.extra_credit))
                        if g.max_score != ASSIGNMENTS[a].get(g.name):
                            bad.append((student, g.name, "max score", g.max_score))
                    for c in nb.comments:
                        if c.manual_comment is not None:
                            bad.append((student, c.name, "comment", c.manual_comment[:80]))
    assert not bad, bad
    db = (graded.course / "gradebook.db").read_bytes()
    assert RUN.encode() not in db


def test_no_probe_marker_anywhere_and_no_attack_reports_success(graded):
    assert not _marker_paths([graded.course, graded.folder, ROOT])
    for name in ("grades.csv", "tests.csv"):
        assert RUN not in (graded.course / name).read_text()
    hits = []
    for student, (assignment, _, _) in EVERYONE.items():
        path = graded.course / "autograded" / student / assignment / f"{assignment}.ipynb"
        if path.is_file():
            for cell in nbformat.read(path, as_version=4).cells:
                for out in cell.get("outputs", []):
                    hits += [(student, m) for m in HIT.findall(json.dumps(out))]
        hits += [(student, m) for m in HIT.findall(_feedback(graded, student))]
    assert not hits, hits


def test_no_process_of_the_sandbox_outlives_grading(graded):
    assert not graded.orphans, graded.orphans
    assert not _orphans()


def test_no_hidden_material_reaches_feedback_reports_or_tables(graded):
    hidden = _hidden_material()
    leaks = []
    for student, (_, src, _) in EVERYONE.items():
        own = _own_text(src)
        leaks += [(student, "feedback", x) for x in _leaks(_visible_text(_feedback(graded, student)), own, hidden)]
        leaks += [(student, "report", x) for x in _leaks("\n".join(_problems(graded, student)), own, hidden)]
    for name in ("grades.csv", "tests.csv"):
        leaks += [(name, x) for x in _leaks((graded.course / name).read_text(), "", hidden)]
    leaks += [("report", x) for x in _leaks(graded.report.isolation, "", hidden)]
    assert not leaks, leaks[:20]


@pytest.mark.parametrize("student", sorted(s for s, i in ATTACKERS.items() if "report" in i or "report_absent" in i))
def test_the_report_says_what_happened(graded, student):
    info = ATTACKERS[student]
    lines = _problems(graded, student)
    text = "\n".join(lines) + "\n" + _visible_text(_feedback(graded, student))
    if "report" in info:
        assert info["report"] in text, lines
    if "report_absent" in info:       # nothing the student's code printed or raised becomes a grader's note
        assert not [line for line in lines if info["report_absent"] in line], lines


def test_kernel_output_does_not_grow_the_grader(graded):
    assert graded.growth < MEMORY_GROWTH, f"the grading process grew by {graded.growth / 2**20:.0f} MB"


def test_graded_notebooks_and_feedback_stay_small(graded):
    big = []
    for student, (assignment, _, _) in EVERYONE.items():
        nb = graded.course / "autograded" / student / assignment / f"{assignment}.ipynb"
        fb = graded.course / "feedback" / student / assignment / f"{assignment}.html"
        if nb.is_file() and nb.stat().st_size > NOTEBOOK_BYTES:
            big.append((student, "graded notebook", nb.stat().st_size))
        if fb.is_file() and fb.stat().st_size > FEEDBACK_BYTES:
            big.append((student, "feedback", fb.stat().st_size))
    assert not big, big


def test_no_student_script_runs_in_a_feedback_page(graded):
    active = []
    for student, info in ATTACKERS.items():
        if "xss" not in info:
            continue
        page = _feedback(graded, student)
        mark = re.escape(info["xss"].replace(PROBE, RUN))
        active += re.findall(r"<script\b[^>]*>(?:(?!</script>).)*?" + mark + r"[\w-]*", page, flags=re.S | re.I)
        active += re.findall(r"<[a-z][^<>]*\son\w+\s*=\s*[\"'][^\"']*" + mark + r"[\w-]*", page, flags=re.I)
        assert page, f"no feedback page for {student}"
    assert not active, [a[-120:] for a in active]


# ---- the same attacks through Gradescope's run_autograder ----------------------------------------------

@pytest.fixture(scope="module")
def gradescope_zip(tmp_path_factory):
    from grader.gradescope import build

    return build(A1, tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory):
    from conftest import bare_venv

    return bare_venv(tmp_path_factory.mktemp("venv") / "v")


def _run_autograder(tmp_path, autograder_zip, bare_python, files=None, links=None):
    from conftest import run_autograder

    return run_autograder(tmp_path, autograder_zip, bare_python, A1, files=files, links=links)


GRADESCOPE = ("daemon", "inputs-and-encode", "symlink-to-solution")


@pytest.fixture(scope="module")
def gradescope_runs(tmp_path_factory, gradescope_zip, bare_python):
    """run_autograder, one after the other, for: the daemon (it tries for 60 s to rewrite
    results.json and the gradebook), a forger (it changes what its kernel records), and a
    submission that is only a symlink to the autograder's own solution notebook."""
    base = tmp_path_factory.mktemp("gradescope")
    runs = {}
    for student in GRADESCOPE:
        if student == "symlink-to-solution":
            result, path, stdout = _run_autograder(base / student, gradescope_zip, bare_python, links={
                f"{A1}.ipynb": f"source/solutions/{A1}/{A1}.ipynb"})
        else:
            nb = _tagged((ADV / f"{student}_{A1}.ipynb").read_bytes())
            result, path, stdout = _run_autograder(base / student, gradescope_zip, bare_python,
                                                   files={f"{A1}.ipynb": nb})
        runs[student] = SimpleNamespace(result=result, path=path, text=path.read_text(), stdout=stdout,
                                        done=time.monotonic())
    return base, runs


@pytest.mark.parametrize("student", GRADESCOPE)
def test_gradescope_attackers_score_their_honest_points(gradescope_runs, student):
    """A symlink to the solution has no work of the student's in it: it is worth a blank notebook."""
    _, runs = gradescope_runs
    run = runs[student]
    cells = _blank(A1) if student == "symlink-to-solution" else ATTACKERS[student]["cells"]
    honest = {g: float(cells.get(g, p)) for g, p in _tests(A1).items()}
    got = {t["name"]: t["score"] for t in run.result["tests"]}
    assert {g: got.get(g, 0.0) for g in honest} == pytest.approx(honest, abs=1e-3), run.stdout[-3000:]
    assert run.result["score"] == pytest.approx(sum(honest.values()), abs=1e-3)
    assert RUN not in run.text and not HIT.search(run.text)


def test_gradescope_nothing_outlives_grading(gradescope_runs):
    """5 s after the daemon's run_autograder returned, its results.json is unchanged: the daemon
    died with its notebook (alive, it writes there every 0.5 s for a minute: ten rounds). No
    marker, no process of the sandbox's uid is left."""
    base, runs = gradescope_runs
    assert not _wait_for_no_orphans()
    daemon = runs["daemon"]
    time.sleep(max(0.0, 5 - (time.monotonic() - daemon.done)))
    assert daemon.path.read_text() == daemon.text
    assert not _marker_paths([base])
    assert not _orphans()
