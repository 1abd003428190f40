"""Run nbgrader's real commands on a course folder.

Shared by the Makefile targets, the grader's command line and the tests, so
they all drive nbgrader the same way: from the course root (where
nbgrader_config.py is), with this Python's bin folder first on PATH (nbgrader
runs `alembic` as a command to create its gradebook, and fails with
"No such file or directory: 'alembic'" when the virtual environment is not on PATH).
"""
import os
import subprocess
import sys
from pathlib import Path

from .assignments import ASSIGNMENTS

ROOT = Path(__file__).resolve().parents[1]


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message holds the command and the end of its log."""


def nbgrader(*args, root=ROOT, check=True, timeout=1800):
    """Run `nbgrader ARGS` in `root`. Returns the CompletedProcess; raises NbgraderError on failure."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    cmd = [sys.executable, "-m", "nbgrader", *map(str, args)]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise NbgraderError(f"`nbgrader {' '.join(map(str, args))}` failed in {root}:\n{tail}")
    return proc


def generate(assignment, root=ROOT):
    """Create the assignment in the gradebook (if new) and write its student version."""
    nbgrader("db", "assignment", "add", assignment, root=root)
    nbgrader("generate_assignment", assignment, "--force", root=root)


def generate_all(root=ROOT):
    for assignment in ASSIGNMENTS:
        if (Path(root) / "solutions" / assignment).is_dir():
            generate(assignment, root=root)
