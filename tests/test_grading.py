"""`python -m grader grade` on classes with bad and hostile input, with nbgrader's real commands."""
import csv
import json
import re
import shutil
import zipfile

import nbformat
import pytest

from grader.assignments import ASSIGNMENTS
from grader.course import ROOT
from grader.grading import grade, grade_table, per_test_rows

pytestmark = pytest.mark.slow        # grades classes or runs notebooks: `make test`, not `make check`

A1 = "a1-mle-losses"
HOSTILE = ROOT / "tests" / "files" / "hostile"
HOSTILE_EXPECTED = json.loads((HOSTILE / "expected.json").read_text())
# Text of the hidden tests and the checks behind them; none of it may reach a student.
HIDDEN = ["BEGIN HIDDEN", "grader.checks", "check_softmax", "run_check", "_core.py"]


def test_a_class_with_bad_input_is_graded_and_every_problem_reported(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(ROOT / "solutions" / A1 / f"{A1}.ipynb", folder / f"ada_{A1}.ipynb")           # flat name
    (folder / "bob" / A1).mkdir(parents=True)                                                  # nbgrader layout,
    shutil.copy(ROOT / "tests" / "files" / "submissions" / f"slides-bce_{A1}.ipynb",          # renamed notebook
                folder / "bob" / A1 / "my work (1).ipynb")
    (folder / f"cy_{A1}.ipynb").write_text('{"cells": [ not json')                              # broken
    shutil.copy(ROOT / "assignments" / A1 / f"{A1}.ipynb", folder / "dee_a7-nothing.ipynb")    # unknown assignment
    (folder / "eve" / A1).mkdir(parents=True)                                                  # no notebook at all
    tampered = nbformat.read(ROOT / "assignments" / A1 / f"{A1}.ipynb", as_version=4)          # metadata edited
    tampered.cells[3].metadata["nbgrader"] = "mine now"                                        # by hand
    nbformat.write(tampered, folder / f"fay_{A1}.ipynb")
    edited = nbformat.read(ROOT / "solutions" / A1 / f"{A1}.ipynb", as_version=4)            # locked cell edited
    for cell in edited.cells:                                  # (an editor that ignores locks): its import is lost
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid == "setup":
            cell.source += "\nfrom scipy.special import logsumexp"
        elif gid == "softmax_cross_entropy":
            cell.source = ("def softmax_cross_entropy(Z, y):\n"
                           "    return float(np.mean(logsumexp(Z, axis=1) - Z[np.arange(len(y)), y]))")
    nbformat.write(edited, folder / f"gus_{A1}.ipynb")
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in folder.rglob("*"):
            z.write(p, p.relative_to(folder))
    course = tmp_path / "course"

    report = grade(archive, course, progress=False)
    assert sorted(report.graded) == [("ada", A1), ("bob", A1), ("fay", A1), ("gus", A1)]
    problems = "\n".join(report.problems)
    assert "cy/a1-mle-losses: not a readable notebook" in problems
    assert "unknown assignment 'a7-nothing'" in problems
    assert "eve/a1-mle-losses: no notebook" in problems
    assert "bob/a1-mle-losses: notebook renamed" in problems
    assert "fay/a1-mle-losses: nbgrader marks changed on cells 'cell 4' were put back" in problems
    assert "gus/a1-mle-losses: locked cells 'setup' were edited; they were run as the release has them" in problems
    assert report.failed.keys() == {("cy", A1), ("eve", A1)}
    table = dict(grade_table(course))
    assert table["cy"] == {A1: (0.0, 21.0)}    # a submission that could not be graded is one scored 0
    with open(course / "grades.csv") as f:
        rows = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(f)}
    assert rows[("cy", A1)]["status"] == "graded" and float(rows[("cy", A1)]["score"]) == 0.0
    assert rows[("cy", A1)]["hand_grading_pending"] == "0.0"
    assert rows[("ada", A1)]["hand_grading_pending"] == "2.0"   # the written answer, not graded yet
    assert float(rows[("eve", A1)]["score"]) == 0.0   # an empty folder was handed in: 0, not "not submitted"
    scores = {s: sc[A1][0] for s, sc in grade_table(course) if A1 in sc}
    assert scores["ada"] == 19.0           # everything autograded; the written answer waits for a person
    assert scores["bob"] == 17.0           # the slides' BCE costs exactly that cell's 2 points
    assert scores["fay"] == 0.0            # graded as the blank release it is
    assert scores["gus"] == 16.0           # the import the set-up cell lost costs softmax_cross_entropy's 3
    gus = (course / "feedback" / "gus" / A1 / f"{A1}.html").read_text()
    assert "it is one of the course&#39;s locked cells" in gus or "it is one of the course's locked cells" in gus
    assert (course / "grades.csv").is_file()
    with open(course / "tests.csv") as f:                  # the per-test table
        bob = {r["test"]: float(r["score"]) for r in csv.DictReader(f) if r["student"] == "bob"}
    assert bob["test_binary_cross_entropy"] == 0.0 and bob["test_softmax"] == 2.0 and len(bob) == 9
    feedback = (course / "feedback" / "bob" / A1 / f"{A1}.html").read_text()
    assert "missing its factor y" in feedback and "BEGIN HIDDEN TESTS" not in feedback

    again = grade(archive, course, progress=False)                 # restarted: nothing graded twice
    assert again.graded == [] and sorted(again.skipped) == [("ada", A1), ("bob", A1), ("fay", A1), ("gus", A1)]
    assert {s: sc[A1][0] for s, sc in grade_table(course) if A1 in sc} == scores


def _said(expected):
    """What the report says of a hostile submission: one line, several, or none."""
    return [expected["report"]] if isinstance(expected["report"], str) else expected["report"]


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    """The hostile corpus (tests/files/hostile/), graded once with a 6 s limit per cell: short, for the
    submissions that run past it, and long enough for those that do not on a busy machine (with 3 s,
    the huge-output cell, 0.6 s here, once ran past it on CI)."""
    course = tmp_path_factory.mktemp("hostile") / "course"
    report = grade(HOSTILE, course, progress=False, timeout=6)
    return report, course


@pytest.mark.parametrize("key", sorted(HOSTILE_EXPECTED))
def test_a_hostile_submission_costs_only_the_points_it_affects(hostile_class, key):
    report, course = hostile_class
    student, assignment = key.split("/")
    expected = HOSTILE_EXPECTED[key]
    assert (student, assignment) in report.graded
    rows = [r for r in per_test_rows(course) if r["student"] == student and r["assignment"] == assignment]
    autograded = {r["test"]: r for r in rows if not r["needs_manual_grade"]}
    assert set(autograded) == {g for g in ASSIGNMENTS[assignment] if g.startswith("test_")}
    for name, r in autograded.items():          # the damaged tests score what is expected, all others full
        assert r["score"] == expected["cells"].get(name, r["max_score"]), name
    lines = [p for p in report.problems if p.startswith(f"{key}: ")]
    for said in _said(expected):
        assert any(said in line for line in lines), lines
    feedback = (course / "feedback" / student / assignment / f"{assignment}.html").read_text()
    assert not [h for h in HIDDEN if h in feedback]
    assert len(feedback) < 2_000_000             # a 30 MB print does not reach the feedback page
    if key.startswith("prints-history"):         # it did print (its own cells' history), just not the tests
        assert "HISTORY" in feedback and "record(" not in feedback


def test_every_line_of_the_hostile_class_report_says_what_that_student_did(hostile_class):
    report, _ = hostile_class
    assert not report.failed
    for line in report.problems:
        key = line.split(": ")[0]
        assert any(said in line for said in _said(HOSTILE_EXPECTED[key])), line
    assert "test_sigmoid' appears more than once" in "\n".join(report.problems)


def test_a_grading_killed_mid_notebook_is_redone_on_the_next_run(tmp_path):
    """nbgrader writes the unexecuted notebook into autograded/ before running it (in a worker's
    folder); a run killed there must not leave that student with 0 as 'already graded and unchanged'."""
    import os
    import signal
    import subprocess
    import sys
    import time

    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(ROOT / "solutions" / A1 / f"{A1}.ipynb", folder / f"ada_{A1}.ipynb")
    slow = nbformat.read(ROOT / "solutions" / A1 / f"{A1}.ipynb", as_version=4)
    slow.cells.insert(3, nbformat.v4.new_code_cell("import time\ntime.sleep(4)"))   # a slow student cell
    nbformat.write(slow, folder / f"bo_{A1}.ipynb")
    course = tmp_path / "course"
    proc = subprocess.Popen([sys.executable, "-m", "grader", "grade", "--submissions", str(folder),
                             "--course", str(course), "--no-progress", "--jobs", "1"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = course / ".workers" / "w0" / "autograded" / "bo" / A1 / f"{A1}.ipynb"
    deadline = time.time() + 120
    while not started.is_file() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    time.sleep(1.5)                                    # bo's notebook is running (in its sleep)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert started.is_file(), "the run ended before bo's notebook started"

    report = grade(folder, course, progress=False)
    scores = {s: sc[A1][0] for s, sc in grade_table(course) if A1 in sc}
    assert scores == {"ada": 19.0, "bo": 19.0}
    assert ("bo", A1) in report.graded and ("ada", A1) in report.skipped
    assert any(p.startswith(f"bo/{A1}: its grading did not finish last time") for p in report.problems)


def test_late_submissions_and_the_hand_grading_loop(tmp_path):
    """Due dates from a schedule file, lateness in the gradebook, grades.csv and the report; then a
    written answer graded by hand (as formgrader does: in the gradebook) reaches the feedback and
    grades.csv through `python -m grader feedback`, without autograding anyone again."""
    import datetime as dt
    import os
    import subprocess
    import sys

    from nbgrader.api import Gradebook

    due = dt.datetime(2027, 3, 8, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    plan = tmp_path / "schedule.toml"
    plan.write_text(f'timezone = "Asia/Shanghai"\n[due]\n{A1} = "2027-03-08T23:59:00"\n')
    folder = tmp_path / "export"
    folder.mkdir()
    for student, when in (("ada", due + dt.timedelta(hours=26)), ("bo", due - dt.timedelta(hours=1))):
        path = folder / f"{student}_{A1}.ipynb"
        shutil.copy(ROOT / "solutions" / A1 / f"{A1}.ipynb", path)
        os.utime(path, (when.timestamp(), when.timestamp()))
    course = tmp_path / "course"
    report = grade(folder, course, progress=False, schedule_file=plan)
    assert len(report.late) == 1 and report.late[0].startswith(f"ada/{A1}: 1 d 2 h late")

    def csv_rows():
        with open(course / "grades.csv", encoding="utf-8") as f:
            return {r["student_id"]: r for r in csv.DictReader(f)}

    rows = csv_rows()
    assert float(rows["ada"]["seconds_late"]) == 26 * 3600 and float(rows["bo"]["seconds_late"]) == 0
    assert rows["ada"]["duedate"].startswith("2027-03-08 15:59")          # stored in UTC, as nbgrader does
    assert rows["ada"]["score"] == "19.0" and rows["ada"]["hand_grading_pending"] == "2.0"
    feedback = course / "feedback" / "ada" / A1 / f"{A1}.html"
    assert "19.0" in feedback.read_text() and "21.0 / 21.0" not in feedback.read_text()
    assert "Not final yet:" in feedback.read_text() and "Submitted 26.0 hours after the due date" in feedback.read_text()
    assert "Not graded yet" in feedback.read_text()
    bo = (course / "feedback" / "bo" / A1 / f"{A1}.html").read_text()
    assert "Not final yet:" in bo and "after the due date" not in bo

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:           # what formgrader's form does
        g = gb.find_grade("answer_mse_is_mle", A1, A1, "ada")
        g.manual_score = 2.0
        g.needs_manual_grade = False
        gb.db.commit()
    graded_before = (course / "autograded" / "ada" / A1 / f"{A1}.ipynb").stat().st_mtime_ns
    proc = subprocess.run([sys.executable, "-m", "grader", "feedback", "--course", str(course)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "formgrader" in proc.stdout.lower() and "21.0/21" in proc.stdout
    assert "feedback rebuilt for 2 submissions" in proc.stdout and "isolation:" not in proc.stdout
    assert f"ada/{A1}: 1 d 2 h late" in proc.stdout            # the late list comes from the gradebook
    rows = csv_rows()
    assert rows["ada"]["score"] == "21.0" and rows["ada"]["hand_grading_pending"] == "0.0"
    assert "21.0 / 21.0" in feedback.read_text() or "21 / 21" in feedback.read_text()
    assert "Not final yet:" not in feedback.read_text() and "Not graded yet" not in feedback.read_text()
    assert (course / "autograded" / "ada" / A1 / f"{A1}.ipynb").stat().st_mtime_ns == graded_before
    assert "histogram" in (course / "summary.html").read_text()


def test_parallel_workers_grade_as_separate_sandbox_users(tmp_path):
    """--jobs 2: each worker's kernels run under a uid of their own (never the grader's, never
    the other worker's), and the class's one gradebook gets both students' scores."""
    import os

    from grader import sandbox

    if sandbox.isolation() not in ("bwrap", "uid"):
        pytest.skip("separate uids need root")
    folder = tmp_path / "export"
    folder.mkdir()
    for student in ("ada", "bo"):
        nb = nbformat.read(ROOT / "solutions" / A1 / f"{A1}.ipynb", as_version=4)
        nb.cells.insert(2, nbformat.v4.new_code_cell("import os\nprint('UID', os.getuid())"))
        nbformat.write(nb, folder / f"{student}_{A1}.ipynb")
    course = tmp_path / "course"
    report = grade(folder, course, progress=False, jobs=2)
    assert report.jobs == 2 and sorted(report.graded) == [("ada", A1), ("bo", A1)]
    uids = {}
    for student in ("ada", "bo"):
        nb = nbformat.read(course / "autograded" / student / A1 / f"{A1}.ipynb", as_version=4)
        text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        uids[student] = int(re.search(r"UID (\d+)", text)[1])
    assert len(set(uids.values())) == 2 and os.getuid() not in uids.values(), uids
    assert all((u - sandbox.SANDBOX_UID) % sandbox.UID_STRIDE == 0 and u > sandbox.SANDBOX_UID for u in uids.values())
    assert {s: sc[A1][0] for s, sc in grade_table(course)} == {"ada": 19.0, "bo": 19.0}
    assert not (course / ".workers").exists()            # the workers' folders are gone


def test_what_staff_open_is_inert_whatever_the_student_wrote(tmp_path):
    """The autograded notebook (what formgrader shows inside the instructor's Jupyter server) and the
    feedback page carry no live HTML or script from a submission: not from its markdown, a raw
    cell, an HTML/SVG/JavaScript output, output metadata (unquoted attributes) or a javascript: link;
    and the course's own scoring is unchanged by it."""
    nb = nbformat.read(ROOT / "solutions" / A1 / f"{A1}.ipynb", as_version=4)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "answer_mse_is_mle")
    answer.source += ('\n\n<script>fetch("/api/terminals")</script><img src=x onerror="alert(1)">'
                      "\n[click](javascript:alert(2)) [also](JAVASCRIPT:alert(3)) &#60;b&#62;")
    nb.cells.insert(2, nbformat.v4.new_raw_cell("<script>alert(4)</script>", metadata={"format": "text/html"}))
    nb.cells.insert(3, nbformat.v4.new_code_cell(
        "from IPython.display import display, HTML, Javascript\n"
        "display(HTML('<img src=x onerror=alert(5)>'))\n"
        "display(Javascript('alert(6)'))\n"
        "display({'image/png': 'iVBORw0KGgo=', 'text/plain': 'png'}, raw=True,\n"
        "        metadata={'image/png': {'width': '1 onerror=alert(7)'}})\n"
        "display({'image/svg+xml': '<svg onload=alert(8)></svg>'}, raw=True)"))
    folder = tmp_path / "export"
    folder.mkdir()
    nbformat.write(nb, folder / f"mal_{A1}.ipynb")
    course = tmp_path / "course"
    report = grade(folder, course, progress=False)
    assert report.graded == [("mal", A1)]
    assert {s: sc[A1][0] for s, sc in grade_table(course)} == {"mal": 19.0}
    graded = nbformat.read(course / "autograded" / "mal" / A1 / f"{A1}.ipynb", as_version=4)
    for cell in graded.cells:
        for out in cell.get("outputs", []):
            assert set(out.get("data", {})) <= {"text/plain", "image/png", "image/jpeg"} and not out.get("metadata")
        if cell.cell_type in ("markdown", "raw") and not cell.metadata.get("nbgrader", {}).get("locked"):
            assert "<" not in cell.source and "javascript:" not in cell.source.lower()
            assert "format" not in cell.metadata
    text = nbformat.writes(graded)
    assert "output removed by the grader" in text and "#blocked" in text
    feedback = (course / "feedback" / "mal" / A1 / f"{A1}.html").read_text()
    live = re.compile(r"<script>\s*(?:fetch|alert)|<img[^>]*onerror|<svg[^>]*onload|href=\"\s*javascript:|"
                      r"<iframe", re.I)
    assert not live.search(feedback), live.search(feedback)


def test_a_notebook_that_stalls_cell_after_cell_is_stopped_at_its_time_budget(tmp_path):
    """Each cell stays under the per-cell limit, but together they would hold a worker for long:
    past the notebook's budget the rest is not run (and scores 0), and the report says so."""
    nb = nbformat.read(ROOT / "solutions" / A1 / f"{A1}.ipynb", as_version=4)
    for i in range(6):
        nb.cells.insert(2, nbformat.v4.new_code_cell("import time\ntime.sleep(2.5)"))
    folder = tmp_path / "export"
    folder.mkdir()
    nbformat.write(nb, folder / f"slow_{A1}.ipynb")
    course = tmp_path / "course"
    report = grade(folder, course, progress=False, timeout=5, notebook_timeout=6)
    assert report.graded == [("slow", A1)]
    assert {s: sc[A1][0] for s, sc in grade_table(course)} == {"slow": 0.0}
    assert any("were not run (the notebook used up its grading time)" in p for p in report.problems), report.problems
    assert report.timings[("slow", A1)] < 60


def test_a_flood_of_output_never_piles_up_in_the_grading_worker(tmp_path):
    """Output is kept in the worker's memory (outside the sandbox's limits) only up to a cap per
    cell, and a message larger than the grader accepts closes the output channel, which is
    opened again for the next cell: 300 MB printed fast (the kernel sends it in messages of
    tens of MB, which before this grew the worker by more than 1.5 GB), then 240 MB of display
    updates and 240 MB of widget state, leave the worker small, the notebook graded as usual
    and the next cells' output intact."""
    nb = nbformat.read(ROOT / "solutions" / A1 / f"{A1}.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell("for i in range(150):\n    print('x' * 2_000_000)"))
    # output that does not come as output: display updates (nbclient replaces an earlier output's data
    # before any cap sees it) and widget state (nbclient keeps it; a malformed one failed the notebook)
    nb.cells.insert(3, nbformat.v4.new_code_cell(
        "from IPython.display import display, update_display\n"
        "import comm\n"
        "big = 'u' * 12_000_000\n"
        "for i in range(20):\n"
        "    display('small', display_id=f'd{i}')\n"
        "for i in range(20):\n"
        "    update_display({'text/plain': big}, raw=True, display_id=f'd{i}')\n"
        "for i in range(20):\n"
        "    comm.create_comm(target_name='jupyter.widget', data={'state': {'value': big}, 'buffer_paths': []})"))
    folder = tmp_path / "export"
    folder.mkdir()
    nbformat.write(nb, folder / f"flood_{A1}.ipynb")
    course = tmp_path / "course"
    report = grade(folder, course, progress=False, jobs=1)
    assert {s: sc[A1][0] for s, sc in grade_table(course)} == {"flood": 19.0}
    print(f"780 MB sent: the grading worker peaked at {report.peak_mb:.0f} MB")
    assert report.peak_mb < 600
    assert not [p for p in report.problems if "stopped the kernel" in p or "time limit" in p], report.problems
    path = course / "autograded" / "flood" / A1 / f"{A1}.ipynb"
    assert path.stat().st_size < 10 * 2**20
    graded = nbformat.read(path, as_version=4)
    flood = "".join(o.get("text", "") for o in graded.cells[2].outputs)
    assert "output was dropped" in flood or "dropped while the cell ran" in flood
    later = [o.get("text", "") for c in graded.cells[4:] if c.cell_type == "code" for o in c.outputs]
    assert any("visible tests passed" in t for t in later)      # the output channel works again
