"""The grader's command line.

    python -m grader generate     regenerate assignments/ (the student versions) from solutions/
"""
import argparse
import sys

from .course import NbgraderError, generate_all


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m grader", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("generate", help="regenerate assignments/ from solutions/ with nbgrader generate_assignment")
    args = ap.parse_args(argv)
    try:
        if args.command == "generate":
            generate_all()
            print("assignments/ regenerated from solutions/")
    except NbgraderError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
