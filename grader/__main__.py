"""The grader's command line.

    python -m grader generate     regenerate assignments/ (the student versions) from solutions/
    python -m grader grade        autograde a class, write feedback and grades (see --help)
"""
import argparse
import sys

from pathlib import Path

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
    args = ap.parse_args(argv)
    try:
        if args.command == "generate":
            generate_all()
            print("assignments/ regenerated from solutions/")
        elif args.command == "grade":
            from .grading import build_sample_class, grade, print_report
            source = build_sample_class(ROOT / "build" / "sample_class") if args.sample else args.submissions
            report = grade(source, args.course, force=args.force, progress=not args.no_progress)
            print_report(report, args.course)
    except (NbgraderError, FileNotFoundError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
