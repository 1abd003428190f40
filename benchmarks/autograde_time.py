"""How long nbgrader takes to autograde one submission of each assignment.

Builds a throw-away course folder, generates every assignment, submits the
solution and the untouched student version of each, and times
`nbgrader autograde ASSIGNMENT --student S` alone for each (kernel start
included). The course's target: under 60 s a notebook on a 2-core machine.

    python benchmarks/autograde_time.py
"""
import shutil
import tempfile
import time
from pathlib import Path

from grader.assignments import ASSIGNMENTS
from grader.course import ROOT, generate, nbgrader


def main():
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        shutil.copytree(ROOT / "solutions", course / "solutions")
        print(f"{'assignment':<26s} {'solution':>10s} {'blank':>10s}")
        for a in ASSIGNMENTS:
            generate(a, root=course)
            times = []
            for student, source in (("solution", course / "solutions" / a / f"{a}.ipynb"),
                                    ("blank", course / "assignments" / a / f"{a}.ipynb")):
                dest = course / "submitted" / student / a
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, dest / f"{a}.ipynb")
                nbgrader("db", "student", "add", student, root=course)
                t = time.perf_counter()
                nbgrader("autograde", a, "--student", student, "--force", root=course)
                times.append(time.perf_counter() - t)
            print(f"{a:<26s} {times[0]:9.1f}s {times[1]:9.1f}s")


if __name__ == "__main__":
    main()
