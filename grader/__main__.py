"""The grader's command line.

    python -m grader generate         regenerate assignments/ (the student versions) from solutions/
    python -m grader grade            autograde a class, write feedback and grades (see --help)
    python -m grader feedback         after hand grading: feedback, grades.csv and summary again
    python -m grader gradescope       build Gradescope autograder zips, one per assignment
    python -m grader gradescope-run   grade one submission inside Gradescope (run_autograder calls it)
    python -m grader release          build the student bundle dist/student/ and its zip
"""
import argparse
import sys

from pathlib import Path

from .assignments import ASSIGNMENTS
from .course import ROOT, NbgraderError, generate_all


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m grader", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("generate", help="regenerate assignments/ from solutions/ with nbgrader generate_assignment")
    g = sub.add_parser("grade", help="autograde a class with nbgrader, write feedback and grades.csv",
                       description=__import__("grader.grading", fromlist=["x"]).__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    src = g.add_mutually_exclusive_group(required=True)
    src.add_argument("--submissions", type=Path,
                     help="folder (nbgrader layout, or <student>_<assignment>.ipynb files) or zip of them")
    src.add_argument("--sample", action="store_true", help="grade the bundled sample class")
    g.add_argument("--course", type=Path, default=ROOT / "build" / "course",
                   help="working folder for nbgrader: gradebook, autograded/, feedback/, grades.csv "
                        "(default: build/course)")
    g.add_argument("--force", action="store_true", help="grade again even what was graded and has not changed")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument("--timeout", type=int, default=None,
                   help="seconds a cell may run before it is interrupted (default: nbgrader_config.py's 60)")
    g.add_argument("--notebook-timeout", type=int, default=None,
                   help="seconds a whole notebook may take (default: nbgrader_config.py's 600)")
    g.add_argument("--jobs", "-j", type=int, default=None,
                   help="notebooks graded at once, each by an isolated worker (default: one per core)")
    g.add_argument("--assignment", choices=list(ASSIGNMENTS), default=None,
                   help="the assignment an export is for, when its file names do not say (e.g. a Canvas "
                        "or Moodle download of one assignment)")
    g.add_argument("--schedule", type=Path, default=None,
                   help="due dates file (default: schedule.toml in the course repository)")
    fb = sub.add_parser("feedback", help="after hand grading: rebuild feedback, grades.csv and the summary")
    fb.add_argument("--course", type=Path, default=ROOT / "build" / "course", help="default: build/course")
    gs = sub.add_parser("gradescope", help="build Gradescope autograder zips, one per assignment")
    gs.add_argument("--out", type=Path, default=ROOT / "dist" / "gradescope", help="default: dist/gradescope")
    gr = sub.add_parser("gradescope-run", help="grade /autograder/submission, write /autograder/results/results.json")
    gr.add_argument("assignment", choices=list(ASSIGNMENTS))
    gr.add_argument("--root", type=Path, default=Path("/autograder"), help="default: /autograder")
    gr.add_argument("--prepare-only", action="store_true",
                    help="only generate the assignment (setup.sh does this once, at image build time)")
    rl = sub.add_parser("release", help="build the student bundle: dist/student/ and dist/student.zip")
    rl.add_argument("--out", type=Path, default=ROOT / "dist", help="default: dist")
    args = ap.parse_args(argv)
    try:
        if args.command == "generate":
            generate_all()
            print("assignments/ regenerated from solutions/")
        elif args.command == "grade":
            from .grading import build_sample_class, grade, print_report
            source = build_sample_class(ROOT / "build" / "sample_class") if args.sample else args.submissions
            if args.jobs is not None and args.jobs < 1:
                ap.error("--jobs must be at least 1")
            report = grade(source, args.course, force=args.force, progress=not args.no_progress,
                           timeout=args.timeout, jobs=args.jobs, assignment=args.assignment,
                           schedule_file=args.schedule, notebook_timeout=args.notebook_timeout)
            print_report(report, args.course)
        elif args.command == "feedback":
            from .grading import print_report, refresh
            print_report(refresh(args.course), args.course)
        elif args.command == "gradescope":
            from .gradescope import build_all
            for path in build_all(args.out):
                print(f"wrote {path}")
            print("Upload each zip as the assignment's autograder (Gradescope: Configure Autograder, "
                  "Ubuntu 22.04 base image).")
        elif args.command == "gradescope-run":
            from .gradescope import prepare, run
            if args.prepare_only:
                print(f"prepared {prepare(args.assignment, args.root)}")
            else:
                run(args.assignment, args.root)
        elif args.command == "release":
            from .release import build
            folder, archive = build(args.out)
            print(f"wrote {folder}/ and {archive}")
    except (NbgraderError, FileNotFoundError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
