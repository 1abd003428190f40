"""How long nbgrader takes to autograde one submission of each assignment, and what the sandbox costs.

Builds a throw-away course folder, generates every assignment, submits the solution
and the untouched student version of each, and times `nbgrader autograde ASSIGNMENT
--student S` alone for each (kernel start and the trusted verdict included): once in
this machine's sandbox (grader/sandbox.py) and once with DLCOURSE_SANDBOX=none (the
same pipeline, the kernel unconfined), best of `--repeat` runs each. The difference
is the isolation's cost per notebook. The course's target: under 60 s a notebook on a
2-core machine.

    python benchmarks/autograde_time.py [--repeat 2]
"""
import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from grader import sandbox
from grader.assignments import ASSIGNMENTS
from grader.course import ROOT, generate, nbgrader


def _time(course, a, student, mode, repeat):
    saved = os.environ.get("DLCOURSE_SANDBOX")
    if mode is not None:
        os.environ["DLCOURSE_SANDBOX"] = mode
    try:
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            nbgrader("autograde", a, "--student", student, "--force", root=course)
            best = min(best, time.perf_counter() - t)
        return best
    finally:
        if saved is None:
            os.environ.pop("DLCOURSE_SANDBOX", None)
        else:
            os.environ["DLCOURSE_SANDBOX"] = saved


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=2, help="runs of each measurement; the best is kept")
    args = ap.parse_args()
    mode = sandbox.isolation()
    print(sandbox.describe())
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        shutil.copytree(ROOT / "solutions", course / "solutions")
        print(f"\n{'assignment':<24s} {'solution':>10s} {'unconfined':>11s} {'isolation':>10s} {'blank':>8s}")
        costs = []
        for a in ASSIGNMENTS:
            generate(a, root=course)
            for student, source in (("solution", course / "solutions" / a / f"{a}.ipynb"),
                                    ("blank", course / "assignments" / a / f"{a}.ipynb")):
                dest = course / "submitted" / student / a
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, dest / f"{a}.ipynb")
                nbgrader("db", "student", "add", student, root=course)
            boxed = _time(course, a, "solution", None, args.repeat)
            free = _time(course, a, "solution", "none", args.repeat)
            blank = _time(course, a, "blank", None, args.repeat)
            costs.append(boxed - free)
            print(f"{a:<24s} {boxed:9.1f}s {free:10.1f}s {boxed - free:+9.2f}s {blank:7.1f}s")
        print(f"\nisolation ({mode}) costs {sum(costs) / len(costs):+.2f} s a notebook on average")


if __name__ == "__main__":
    main()
