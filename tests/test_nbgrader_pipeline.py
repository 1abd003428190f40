"""nbgrader end to end, with its real gradebook: the committed student versions are exactly
what generation makes; autograding a solution gives full marks, autograding an untouched
student version gives zero, and the corpus of wrong submissions exactly its expected points.
Every assignment goes through `python -m grader grade` (one class: the corpus, the solutions
and the blank versions); one through nbgrader's own commands as well."""
import csv
import filecmp
import json
import re
import shutil

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader.assignments import ASSIGNMENTS
from grader.grading import grade, grading_notes
from grader.course import ROOT, nbgrader

pytestmark = pytest.mark.slow        # grades classes or runs notebooks: `make test`, not `make check`

ASSIGNMENT_IDS = [a for a in ASSIGNMENTS if (ROOT / "solutions" / a).is_dir()]


A1 = "a1-mle-losses"


def _same_release(fresh, assignment):
    committed = ROOT / "assignments" / assignment
    cmp = filecmp.dircmp(fresh, committed)
    differ = cmp.left_only + cmp.right_only + [f for f in cmp.common_files
                                               if (fresh / f).read_bytes() != (committed / f).read_bytes()]
    assert not differ, (f"assignments/{assignment} is out of date ({', '.join(differ)}): "
                        "regenerate it with `make assignments` and commit the result")


@pytest.mark.parametrize("assignment", ASSIGNMENT_IDS)
def test_committed_release_equals_a_fresh_generation(graded_corpus, assignment):
    """The course folder `grade` made generated every assignment from the solutions, as
    `make assignments` does (nbgrader's GenerateAssignment, grader.course.generate)."""
    _, course = graded_corpus
    _same_release(course / "assignments" / assignment, assignment)


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """nbgrader's own commands, as the README gives them for grading without `python -m grader`,
    in a fresh course folder (the config and solutions): `nbgrader generate_assignment`, the
    solution and the untouched student version submitted, `nbgrader autograde --create` (both at
    once), `nbgrader export`. One assignment: every assignment is graded the same way, by the same
    nbgrader app, in `graded_corpus`. Returns (course folder, grades.csv rows by (student, assignment))."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    nbgrader("generate_assignment", A1, root=course)
    for student, path in (("solution", course / "solutions" / A1 / f"{A1}.ipynb"),
                          ("blank", ROOT / "assignments" / A1 / f"{A1}.ipynb")):
        (course / "submitted" / student / A1).mkdir(parents=True)
        shutil.copy(path, course / "submitted" / student / A1 / f"{A1}.ipynb")
    nbgrader("autograde", A1, "--create", "--force", root=course)
    nbgrader("export", root=course)
    with open(course / "grades.csv", newline="", encoding="utf-8") as f:
        exported = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(f)}
    return course, exported


def _code_score(course, assignment, student):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission(assignment, student)
        return sub.code_score, sub.max_code_score


def test_nbgrader_own_commands_generate_grade_and_export(plain):
    course, exported = plain
    _same_release(course / "assignments" / A1, A1)
    autograded = sum(p for gid, p in ASSIGNMENTS[A1].items() if gid.startswith("test_"))
    assert _code_score(course, A1, "solution") == (autograded, autograded)
    assert _code_score(course, A1, "blank") == (0, autograded)
    # `nbgrader export` writes the course's grades.csv (grader.export, named in nbgrader_config.py)
    row = exported["solution", A1]
    assert row["status"] == "graded" and float(row["raw_score"]) == autograded
    assert float(row["hand_grading_pending"]) == sum(p for g, p in ASSIGNMENTS[A1].items() if g.startswith("answer_"))
    assert exported["blank", A1]["status"] == "graded" and float(exported["blank", A1]["raw_score"]) == 0


@pytest.mark.parametrize("assignment", ASSIGNMENT_IDS)
def test_solution_gets_full_marks(graded_corpus, assignment):
    _, course = graded_corpus
    score, max_score = _code_score(course, assignment, "solution")
    expected = sum(p for gid, p in ASSIGNMENTS[assignment].items() if gid.startswith("test_"))
    assert max_score == expected
    assert score == max_score
    # The grader's output cap leaves an ordinary notebook alone: figures and text intact.
    graded = course / "autograded" / "solution" / assignment / f"{assignment}.ipynb"
    assert grading_notes(graded) == []
    if assignment in ("a2-regularization", "a3-optimizers"):      # a4 and a5 skip their figures while grading
        assert '"image/png"' in graded.read_text()


@pytest.mark.parametrize("assignment", ASSIGNMENT_IDS)
def test_untouched_student_version_gets_zero(graded_corpus, assignment):
    _, course = graded_corpus
    score, max_score = _code_score(course, assignment, "blank")
    assert max_score > 0 and score == 0


@pytest.mark.parametrize("assignment", ASSIGNMENT_IDS)
def test_notebook_points_are_the_declared_points(assignment):
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    graded = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"]
              for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert graded == ASSIGNMENTS[assignment]


@pytest.mark.parametrize("assignment", ASSIGNMENT_IDS)
def test_release_holds_no_hidden_or_solution_text(assignment):
    text = (ROOT / "assignments" / assignment / f"{assignment}.ipynb").read_text()
    for marker in ("BEGIN HIDDEN TESTS", "BEGIN SOLUTION", "MARK SCHEME"):
        assert marker not in text, marker
    assert not re.search(r"\bgrader\.", text), "the release mentions the hidden grader package"


CORPUS = ROOT / "tests" / "files" / "submissions"


@pytest.fixture(scope="module")
def graded_corpus(tmp_path_factory):
    """Every realistic wrong submission, and each assignment's solution ("solution") and untouched
    student version ("blank"), graded as one class by `python -m grader grade` (nbgrader's
    Autograde and GenerateFeedback apps in parallel workers), in a course folder it generates.
    Returns (expected for the corpus, course folder)."""
    expected = json.loads((CORPUS / "expected.json").read_text())
    base = tmp_path_factory.mktemp("corpus")
    sources = {tuple(key.split("/")): CORPUS / "{}_{}.ipynb".format(*key.split("/")) for key in expected}
    for a in ASSIGNMENT_IDS:
        sources["solution", a] = ROOT / "solutions" / a / f"{a}.ipynb"
        sources["blank", a] = ROOT / "assignments" / a / f"{a}.ipynb"
    for (student, assignment), src in sources.items():
        (base / "class" / student / assignment).mkdir(parents=True)
        shutil.copy(src, base / "class" / student / assignment / f"{assignment}.ipynb")
    report = grade(base / "class", base / "course", progress=False)
    assert not report.failed and len(report.graded) == len(sources), report.problems
    return expected, base / "course"


def test_corpus_notebooks_look_like_student_work():
    """Written from the solutions, they must have lost every nbgrader marker a student never sees."""
    for path in sorted(CORPUS.glob("*.ipynb")) + sorted((CORPUS.parent / "hostile").glob("*.ipynb")):
        text = path.read_text()
        assert not [m for m in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS") if m in text], path.name


def test_corpus_gets_exactly_the_expected_points_and_diagnosis(graded_corpus):
    graded_corpus, course = graded_corpus
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for key, exp in graded_corpus.items():
            student, assignment = key.split("/")
            nb = gb.find_submission(assignment, student).notebooks[0]
            lost = {g.name: g.score for g in nb.grades
                    if g.name.startswith("test_") and g.score != g.max_score}
            assert lost == pytest.approx(exp["cells"]), key
            graded_nb = nbformat.read(course / "autograded" / student / assignment / f"{assignment}.ipynb",
                                      as_version=4)
            out = "".join(o.get("text", "") + o.get("evalue", "") for c in graded_nb.cells for o in c.get("outputs", []))
            assert exp["message"] in out, key


def test_feedback_shows_the_diagnosis_but_no_hidden_test_code(graded_corpus):
    """nbgrader's default feedback leaks hidden tests (#917, #1363); ours must not."""
    graded_corpus, course = graded_corpus
    for key, exp in graded_corpus.items():
        student, assignment = key.split("/")
        html = (course / "feedback" / student / assignment / f"{assignment}.html").read_text()
        assert exp["message"].replace("'", "&#39;").replace("<", "&lt;").replace(">", "&gt;") in html \
            or exp["message"] in html, key
        assert "Written answer" in html, key              # the question, above the student's answer
        for hidden in ("BEGIN HIDDEN TESTS", "grader.checks", "check_"):
            assert hidden not in html.replace("check_gradient", ""), (key, hidden)


@pytest.mark.parametrize("assignment", ASSIGNMENT_IDS)
def test_hidden_cells_only_record_and_every_test_has_a_check(assignment):
    """A hidden test cell runs in the student's kernel, so it holds one `record` call and no
    logic; the grader's CHECKS name the check for every autograded cell, and no other."""
    from grader.checks import CHECKS, hidden_cell_source

    autograded = [gid for gid in ASSIGNMENTS[assignment] if gid.startswith("test_")]
    assert sorted(CHECKS[assignment]) == sorted(autograded)
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in CHECKS[assignment]:
            hidden = cell.source.split("### BEGIN HIDDEN TESTS\n")[1].split("\n### END HIDDEN TESTS")[0]
            assert hidden == hidden_cell_source(gid, CHECKS[assignment][gid][1]), gid


@pytest.mark.parametrize("assignment", ASSIGNMENT_IDS)
def test_every_written_answer_has_its_question_above_it_in_the_release(assignment):
    """nbgrader replaces a solution markdown cell whole, so the question lives in a locked cell above."""
    nb = nbformat.read(ROOT / "assignments" / assignment / f"{assignment}.ipynb", as_version=4)
    answers = 0
    for before, cell in zip(nb.cells, nb.cells[1:]):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade") and cell.cell_type == "markdown":
            answers += 1
            q = before.metadata.get("nbgrader", {})
            assert before.cell_type == "markdown" and q.get("locked") and not q.get("solution"), meta["grade_id"]
            assert "Written answer" in before.source and f"({meta['points']} point" in before.source
    assert answers == sum(1 for g in ASSIGNMENTS[assignment] if g.startswith("answer_"))


@pytest.mark.parametrize("assignment", ASSIGNMENT_IDS)
def test_every_graded_cell_and_the_header_state_the_points(assignment):
    nb = nbformat.read(ROOT / "assignments" / assignment / f"{assignment}.ipynb", as_version=4)
    total = sum(ASSIGNMENTS[assignment].values())
    assert f"**Grading: {total} points.**" in nb.cells[0].source
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            assert f"({meta['points']} point" in cell.source, meta["grade_id"]
