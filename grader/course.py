"""Run nbgrader's real commands on a course folder.

Shared by the Makefile targets, the grader's command line and the tests, so
they all drive nbgrader the same way: from the course root (where
nbgrader_config.py is), with its config. `nbgrader(...)` runs a command as a
process, with this Python's bin folder first on PATH (nbgrader runs `alembic` as
a command to create its gradebook, and fails with "No such file or directory:
'alembic'" when the virtual environment is not on PATH). `generate` and `export`
run the same apps in this process (`course_api`): starting an `nbgrader` command
costs ~2 s of CPU, and creating a gradebook ~2 s more, each time.
"""
import atexit
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .assignments import ASSIGNMENTS

ROOT = Path(__file__).resolve().parents[1]


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message holds the command and the end of its log."""


def _failed(command, root, log):
    """The NbgraderError for `nbgrader COMMAND` in `root`, with the end of its log."""
    tail = "\n".join(log.strip().splitlines()[-15:])
    return NbgraderError(f"`nbgrader {command}` failed in {root}:\n{tail}")


def _with_venv_bin(path):
    """PATH with this Python's bin folder first (nbgrader runs `alembic` by name)."""
    return str(Path(sys.executable).parent) + os.pathsep + path


def nbgrader(*args, root=ROOT, check=True, timeout=1800):
    """Run `nbgrader ARGS` in `root`. Returns the CompletedProcess; raises NbgraderError on failure."""
    env = dict(os.environ, PATH=_with_venv_bin(os.environ.get("PATH", "")))
    cmd = [sys.executable, "-m", "nbgrader", *map(str, args)]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise _failed(" ".join(map(str, args)), root, proc.stdout + proc.stderr)
    return proc


_EMPTY_GRADEBOOK = None       # in this process: a new, empty gradebook file, made once


def _new_gradebook(path):
    """An empty gradebook at `path`, as nbgrader makes it, without nbgrader's cost each time.

    Creating a gradebook runs `alembic heads` in a subprocess (about 2 s of CPU) to stamp
    its schema version. A process makes one, the first time, and copies that file for
    every later new course folder: the same empty tables and the same stamp."""
    global _EMPTY_GRADEBOOK
    from nbgrader.api import Gradebook

    if _EMPTY_GRADEBOOK is None or not os.path.isfile(_EMPTY_GRADEBOOK):
        folder = tempfile.mkdtemp(prefix="dlcourse-gradebook-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = os.path.join(folder, "gradebook.db")
        env_path = os.environ.get("PATH", "")
        os.environ["PATH"] = _with_venv_bin(env_path)
        try:
            Gradebook(f"sqlite:///{template}").close()
        finally:
            os.environ["PATH"] = env_path
        _EMPTY_GRADEBOOK = template
    shutil.copyfile(_EMPTY_GRADEBOOK, path)


def load_api(root):
    """nbgrader's own API (`NbGraderAPI`: the apps the command line runs) on the course folder
    `root`, with its nbgrader_config.py, in this process (a new gradebook if it has none). The
    config names the gradebook and folders relative to the folder: use it from there."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    root = Path(root).resolve()
    if not (root / "gradebook.db").exists():
        _new_gradebook(root / "gradebook.db")
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    return NbGraderAPI(coursedir=CourseDirectory(config=config, root=str(root)), config=config)


@contextlib.contextmanager
def course_api(root):
    """`load_api(root)`, run from the course folder. Saves the ~2 s of starting an `nbgrader`
    command each time."""
    api = load_api(root)
    here = os.getcwd()
    os.chdir(Path(root).resolve())
    try:
        yield api
    finally:
        os.chdir(here)


def generate(assignment, root=ROOT):
    """Create the assignment in the gradebook (if new) and write its student version:
    nbgrader's `generate_assignment --force`, in this process."""
    with course_api(root) as api:
        result = api.generate_assignment(assignment, force=True)
    if not result.get("success"):
        raise _failed(f"generate_assignment {assignment} --force", root, result.get("log", "") + result.get("error", ""))


def export(root, to="grades.csv"):
    """nbgrader's `export --to TO` in the course folder `root`, in this process: the export plugin
    the course's config names (grader.export.CourseGrades) writes `root/TO`."""
    from nbgrader.apps.exportapp import ExportApp
    from nbgrader.utils import capture_log

    with course_api(root) as api:
        app = ExportApp(coursedir=api.coursedir, parent=api, log=api.log)      # its log, not stderr
        app.config.ExportPlugin.to = str(Path(root).resolve() / to)
        result = capture_log(app)
    if not result.get("success"):
        raise _failed(f"export --to {to}", root, result.get("log", "") + result.get("error", ""))


def generate_all(root=ROOT):
    for assignment in ASSIGNMENTS:
        if (Path(root) / "solutions" / assignment).is_dir():
            generate(assignment, root=root)
