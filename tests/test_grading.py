"""`python -m grader grade` on a small class with bad input, with nbgrader's real commands."""
import shutil
import zipfile

from grader.course import ROOT
from grader.grading import grade, grade_table

A1 = "a1-mle-losses"


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
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in folder.rglob("*"):
            z.write(p, p.relative_to(folder))
    course = tmp_path / "course"

    report = grade(archive, course, progress=False)
    assert sorted(report.graded) == [("ada", A1), ("bob", A1)]
    problems = "\n".join(report.problems)
    assert "cy/a1-mle-losses: not a readable notebook" in problems
    assert "unknown assignment 'a7-nothing'" in problems
    assert "eve/a1-mle-losses: no notebook" in problems
    assert "bob/a1-mle-losses: notebook renamed" in problems
    scores = {s: sc[A1][0] for s, sc in grade_table(course)}
    assert scores["ada"] == 19.0           # everything autograded; the written answer waits for a person
    assert scores["bob"] == 17.0           # the slides' BCE costs exactly that cell's 2 points
    assert (course / "grades.csv").is_file()
    feedback = (course / "feedback" / "bob" / A1 / f"{A1}.html").read_text()
    assert "missing its factor y" in feedback and "BEGIN HIDDEN TESTS" not in feedback

    again = grade(archive, course, progress=False)                 # restarted: nothing graded twice
    assert again.graded == [] and sorted(again.skipped) == [("ada", A1), ("bob", A1)]
    assert {s: sc[A1][0] for s, sc in grade_table(course)} == scores
