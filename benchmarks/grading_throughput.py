"""A class graded by `python -m grader grade --jobs N` against plain, serial nbgrader, in one run.

The class is synthetic: `--students` students (default 100) x 5 assignments, each notebook
drawn (seeded) from the corpus: the solutions, the blank releases and the mistake corpus
(tests/files/submissions/). It is graded three ways, on the same files:

1. the course's grader, `grade --jobs N` (sandboxed kernels, trusted verdicts, feedback,
   grades.csv, the summary): the time an instructor waits;
2. plain nbgrader, serially, as a course without this grader would: `nbgrader autograde A`
   once per assignment (all students in one command, its fastest use) with nbgrader's own
   Execute step, no sandbox and no verdicts, then `nbgrader generate_feedback A`. The hidden
   cells only record under the grader, so here they call nothing: this leaves out the calls
   the checks make, and favours plain nbgrader;
3. the students' own code alone: each distinct notebook executed once by nbclient, unconfined,
   as grading runs it (NBGRADER_EXECUTION=autograde), its time counted as often as it appears
   in the class.

It prints the three times, notebooks per minute, the ratio of (2) to (1), and the grader's
overhead per notebook beyond the students' own code: (1) x N / notebooks - (3) / notebooks,
CPU-seconds of a worker per notebook. Targets on a 2-core machine: ratio >= 2, overhead <= 1 s.

    python benchmarks/grading_throughput.py [--students 100] [--jobs N] [--seed 0]

It takes long at full size (about an hour on 2 cores); --students 10 gives a first look.
"""
import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from grader import workers
from grader.assignments import ASSIGNMENTS, schedule
from grader.course import ROOT, generate, nbgrader
from grader.grading import grade, prepare_course

CORPUS = ROOT / "tests" / "files" / "submissions"


def pool(a):
    """The notebooks a student of assignment `a` may hand in, drawn from the corpus."""
    return ([ROOT / "solutions" / a / f"{a}.ipynb", ROOT / "assignments" / a / f"{a}.ipynb"]
            + sorted(CORPUS.glob(f"*_{a}.ipynb")))


def build_class(dest, students, seed):
    rng = random.Random(seed)
    drawn = {}
    for i in range(students):
        for a in ASSIGNMENTS:
            src = rng.choice(pool(a))
            (dest / f"s{i:03d}" / a).mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dest / f"s{i:03d}" / a / f"{a}.ipynb")
            drawn[src] = drawn.get(src, 0) + 1
    return drawn


def plain_nbgrader(class_dir, work):
    """nbgrader with its own pipeline, serially: one autograde and one feedback command per assignment."""
    course = work / "plain"
    course.mkdir()
    config = (ROOT / "nbgrader_config.py").read_text()
    keep = config.split("c.GenerateFeedback.preprocessors")[0]        # nbgrader's own pipelines from here on
    (course / "nbgrader_config.py").write_text(keep)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    for a in ASSIGNMENTS:
        generate(a, root=course)
    shutil.copytree(class_dir, course / "submitted")
    start = time.perf_counter()
    for a in ASSIGNMENTS:
        nbgrader("autograde", a, "--create", "--force", root=course, check=False, timeout=24 * 3600)
        nbgrader("generate_feedback", a, "--force", root=course, check=False, timeout=24 * 3600)
    return time.perf_counter() - start


def own_code(drawn):
    """Seconds the students' code takes, unconfined: each distinct notebook run once, times its count."""
    total = 0.0
    # as graded: NBGRADER_EXECUTION=autograde makes the notebooks skip their demonstration training
    env = {**os.environ, "NBGRADER_EXECUTION": "autograde"}
    for path, count in drawn.items():
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute(env=env)
        total += (time.perf_counter() - start) * count
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=workers.default_jobs())
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        drawn = build_class(work / "class", args.students, args.seed)
        n = args.students * len(ASSIGNMENTS)
        print(f"{args.students} students x {len(ASSIGNMENTS)} assignments = {n} notebooks, "
              f"drawn from {len(drawn)} distinct ones; {args.jobs} workers", flush=True)

        prepare_course(work / "course", due=schedule()[0])      # generation is not timed (nor for nbgrader)
        report = grade(work / "class", work / "course", progress=True, jobs=args.jobs)
        ours = report.seconds
        bad = len(report.failed)
        print(f"grade --jobs {args.jobs}: {ours:8.1f} s  ({n / ours * 60:6.1f} notebooks/min)"
              + (f"; {bad} could not be graded" if bad else ""), flush=True)

        plain = plain_nbgrader(work / "class", work)
        print(f"plain serial nbgrader: {plain:8.1f} s  ({n / plain * 60:6.1f} notebooks/min)", flush=True)

        student = own_code(drawn)
        print(f"students' own code:    {student:8.1f} s  ({student / n:.2f} s a notebook, unconfined)")
        overhead = (ours * args.jobs - student) / n
        print(f"\nspeed-up over plain serial nbgrader: {plain / ours:.2f}x (target >= 2)")
        print(f"grader overhead beyond the students' code: {overhead:.2f} s a notebook "
              f"(worker time: {ours:.0f} s x {args.jobs} workers, less {student:.0f} s, over {n}; target <= 1 s)")
        return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
