"""Autograde many submissions at once: worker processes merged into the class's one gradebook.

Each worker is a process of its own with
- its own course folder, `<course>/.workers/w<N>/` (the config, the assignments' sources and
  releases, and a copy of the gradebook taken before grading starts), so that no two
  processes ever write one SQLite file: nbgrader's gradebook is not made for that;
- its own sandbox uid, claimed for the run (`sandbox.claim_uids`: no other worker and no other
  grading run on the machine has it meanwhile), so that killing "every process of the sandbox
  uid" after a notebook, the process limit and the /tmp sweep of one worker never touch
  another worker's student;
- nbgrader loaded once (its `NbGraderAPI.autograde`, the same `Autograde` app as the command
  line, with the course's nbgrader_config.py), which saves the ~2 s that starting
  `nbgrader autograde` costs for every notebook.

A worker autogrades one submission at a time and returns what nbgrader wrote: the scores
and comments of its gradebook entry, and the autograded folder, which the parent copies into
the course. The parent alone writes the course's gradebook (`merge`): the same fields
nbgrader's own autograde sets, with a manual grade given before kept and flagged for review,
as nbgrader does.

Workers are forked from multiprocessing's fork server (`_context`): a process started once per
grading process, with nothing of the parent's state, that has imported nbgrader (~2 s of CPU,
half of it jsonschema building a grammar) and forks a worker from there in milliseconds; a class
graded again, or a worker replaced, does not pay for the imports again. Each worker takes the
parent's environment as it is when the worker starts (the sandbox settings live there), and is
fed one task at a time by a thread of the parent over a pipe, so the fastest take the most. A
worker that dies (student code cannot make it: that runs in a sandboxed kernel, another
process) costs only the submission it held, which a fresh worker grades once more; if it dies
again, the submission is reported as not graded. Each worker's log is <course>/.workers/w<N>.log while it runs.
"""
import json
import os
import queue
import resource
import shutil
import sqlite3
import sys
import threading
import time
from pathlib import Path

from .course import _with_venv_bin


_api = None                  # in a worker: its NbGraderAPI
_course = None               # in a worker: its course folder


def default_jobs():
    """As many workers as cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                                 # macOS, Windows
        return max(1, os.cpu_count() or 1)


def prepare(course, jobs):
    """Worker course folders: config, sources, releases and a consistent copy of the gradebook."""
    course = Path(course)
    base = course / ".workers"
    if base.exists():
        shutil.rmtree(base)
    folders = []
    for n in range(jobs):
        w = base / f"w{n}"
        w.mkdir(parents=True)
        shutil.copy(course / "nbgrader_config.py", w / "nbgrader_config.py")
        for name in ("solutions", "assignments"):
            shutil.copytree(course / name, w / name)
        src, dst = sqlite3.connect(course / "gradebook.db"), sqlite3.connect(w / "gradebook.db")
        try:
            src.backup(dst)                                 # safe even if something holds the file open
        finally:
            src.close()
            dst.close()
        folders.append(w)
    return folders


_broken = ""                 # in a worker: why it could not start, if it could not


def _start(folder, uid):
    """In a new worker: take its sandbox uid, load nbgrader once for the worker's course folder."""
    global _api, _course
    os.environ["DLCOURSE_SANDBOX_UID"] = str(uid)
    from . import sandbox

    sandbox.SANDBOX_UID = uid
    from .course import load_api

    _course = Path(folder)
    os.chdir(_course)                   # nbgrader's config names folders relative to the course root
    _no_sync()
    _api = load_api(_course)


def _no_sync():
    """In a worker: its gradebook is written without waiting for the disk (SQLite's synchronous=OFF).

    nbgrader commits once per graded cell, and each commit waited for the disk: a worker's
    kernel sat idle for that. The worker's gradebook is a disposable copy, made again from the
    course's at the start of every run, and synchronous=OFF loses nothing when a process dies
    (only when the machine does, and then the run is restarted anyway). The course's own
    gradebook, which the parent writes (merge), keeps SQLite's safe default. A worker process
    opens no database other than its own copy."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


def _autograde(main_course, student, assignment, next_assignment=None):
    """In a worker: autograde main_course/submitted/<student>/<assignment> in this worker's folder.
    `next_assignment`: what the parent expects this worker to grade next (its kernel is started
    ahead, grader.preprocessors.ResilientExecute._start_ahead), or None."""
    from nbgrader.api import Gradebook

    if _api is None:
        return {"success": False, "log": "", "error": f"the grading worker could not start ({_broken})"}
    src = Path(main_course) / "submitted" / student / assignment
    for name in ("submitted", "autograded", "feedback"):
        mine = _course / name / student / assignment
        if mine.exists():
            shutil.rmtree(mine)
    shutil.copytree(src, _course / "submitted" / student / assignment)
    started = time.perf_counter()
    from . import preprocessors

    preprocessors.NEXT_ASSIGNMENT = next_assignment       # its kernel starts while this one is judged
    result = _api.autograde(assignment, student, force=True, create=True)
    out = {"success": bool(result.get("success")), "log": result.get("log") or "",
           "error": result.get("error") or "", "folder": str(_course / "autograded" / student / assignment)}
    if not out["success"]:
        return out
    with Gradebook(f"sqlite:///{_course / 'gradebook.db'}") as gb:
        sub = gb.find_submission(assignment, student)
        out["timestamp"] = sub.timestamp
        out["notebooks"] = {
            nb.name: {"late_submission_penalty": nb.late_submission_penalty,
                      "grades": {g.name: g.auto_score for g in nb.grades},
                      "comments": {c.name: c.auto_comment for c in nb.comments}}
            for nb in sub.notebooks}
    feedback = _api.generate_feedback(assignment, student, force=True)
    out["feedback"] = str(_course / "feedback" / student / assignment) if feedback.get("success") else None
    out["seconds"] = time.perf_counter() - started
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024     # this worker's, so far
    return out


def merge(gb, student, assignment, out):
    """Write a worker's result into the course's gradebook, as nbgrader's autograde would."""
    gb.update_or_create_student(student)
    if out.get("timestamp"):
        gb.update_or_create_submission(assignment, student, timestamp=out["timestamp"])
    else:
        gb.update_or_create_submission(assignment, student)
    for name, data in out["notebooks"].items():
        nb = gb.find_submission_notebook(name, assignment, student)
        for grade in nb.grades:
            if grade.name in data["grades"]:
                grade.auto_score = data["grades"][grade.name]
                # nbgrader's SaveAutoGrades: a grade given by hand before, or no automatic score,
                # means a person should look at it
                grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
        for comment in nb.comments:
            if comment.name in data["comments"]:
                comment.auto_comment = data["comments"][comment.name]
        nb.late_submission_penalty = data["late_submission_penalty"]
    gb.db.commit()


#: What the fork server imports once, before it forks any worker: nbgrader and what it loads
#: (nbconvert, SQLAlchemy, jsonschema...). Not NumPy: its BLAS reads its thread count when loaded,
#: and each worker sets that (`threads`) for itself.
PRELOAD = ["nbgrader.apps.api", "nbgrader.api", "grader.workers"]


def _context():
    """multiprocessing's fork server where the platform has one (Linux, macOS), else spawn."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


_starting = threading.Lock()


def start_process(proc):
    """Start a worker process without running the script that started grading again inside it.

    multiprocessing's fork server (and spawn) import the parent's `__main__` in every process it
    starts, as `__mp_main__`, so that functions defined there can be unpickled. A worker needs none
    (its target is `main`, below), and a script that calls `grade` without an
    `if __name__ == "__main__":` guard would start grading again inside its own worker and wait there
    forever. So the script is hidden from multiprocessing while the worker starts (`python -m grader`
    is never imported again either way)."""
    script = vars(sys.modules["__main__"])
    with _starting:                       # workers are started from several threads
        saved = {k: script[k] for k in ("__file__", "__spec__") if k in script}
        script.pop("__file__", None)
        script["__spec__"] = None
        try:
            proc.start()
        finally:
            script.pop("__spec__")
            script.update(saved)


class Worker:
    """One worker process, spoken to in JSON messages over a pipe."""

    def __init__(self, folder, n, uid, threads=1):
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(name, str(threads))      # the sandbox passes these on to the kernels
        env["PATH"] = _with_venv_bin(env.get("PATH", ""))
        context = _context()
        self.conn, theirs = context.Pipe()
        self.proc = context.Process(target=main, args=(str(folder), uid, env, str(Path(folder).parent / f"w{n}.log"),
                                                       theirs), name=f"grading worker {n}")
        start_process(self.proc)
        theirs.close()                                 # so that a worker's death is the end of the pipe here

    def ask(self, task):
        """The result for one task, or None if the worker died on it."""
        try:
            self.conn.send_bytes(json.dumps(task).encode())
            return json.loads(self.conn.recv_bytes())
        except (EOFError, OSError):
            return None

    def close(self):
        self.conn.close()                              # the worker's loop ends at the end of the pipe
        self.proc.join(timeout=60)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


def run(course, jobs, tasks, on_done):
    """Autograde `tasks` [(student, assignment)] with `jobs` workers. For each, in this thread and in
    the order they finish, `on_done(student, assignment, result)`; result is the worker's dict, or
    {"success": False, "error": why} when its worker died on it twice."""
    from . import sandbox

    course = Path(course).resolve()
    jobs = max(1, min(jobs, len(tasks))) if tasks else 0
    if not jobs:
        return
    folders = prepare(course, jobs)
    todo = queue.Queue()
    # one assignment after another, so that the kernel a worker starts ahead for the assignment of the
    # next task in the queue is nearly always the one its next notebook needs
    for task in sorted(tasks, key=lambda t: (t[1], t[0])):
        todo.put((task, 1))
    results = queue.Queue()

    # the cores shared among the workers' kernels: BLAS threads beyond that only wait for each other
    blas_threads = max(1, default_jobs() // jobs)
    uids, locks = sandbox.claim_uids(jobs)      # no other grading run on this machine uses them meanwhile

    def serve(n):
        worker = Worker(folders[n], n, uids[n], blas_threads)
        try:
            while True:
                try:
                    (student, assignment), attempt = todo.get_nowait()
                except queue.Empty:
                    return
                with todo.mutex:                          # what this worker most likely grades next
                    upcoming = todo.queue[0][0][1] if todo.queue else None
                result = worker.ask({"course": str(course), "student": student, "assignment": assignment,
                                     "next": upcoming})
                if result is None:                       # the worker died: a fresh one, and one more try
                    worker.close()
                    worker = Worker(folders[n], n, uids[n], blas_threads)
                    if attempt == 1:
                        todo.put(((student, assignment), 2))
                        continue
                    result = {"success": False, "log": "", "error": "its grading worker died twice"}
                results.put((student, assignment, result))
        finally:
            worker.close()
            results.put(None)

    servers = [threading.Thread(target=serve, args=(n,), daemon=True) for n in range(jobs)]
    for t in servers:
        t.start()
    running = jobs
    try:
        while running:
            item = results.get()
            if item is None:
                running -= 1
                continue
            on_done(*item)
    finally:
        for lock in locks:
            lock.close()
    shutil.rmtree(course / ".workers", ignore_errors=True)


def main(folder, uid, env, log, conn):
    """A worker's loop: a task per message on `conn`, its result back. Runs in the new process,
    with the parent's environment `env`; anything printed goes to the file `log`."""
    global _broken
    os.environ.clear()
    os.environ.update(env)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    try:
        _start(folder, int(uid))
        from . import sandbox

        print(f"grading worker {os.getpid()}: sandbox {sandbox.isolation()} as uid {sandbox.SANDBOX_UID}", flush=True)
    except Exception as exc:           # said for every submission it is given
        _broken = f"{type(exc).__name__}: {exc}"
    while True:
        try:
            task = json.loads(conn.recv_bytes())
        except (EOFError, OSError):
            break
        try:
            result = _autograde(task["course"], task["student"], task["assignment"], task.get("next"))
        except Exception as exc:       # a grader bug: this submission only
            result = {"success": False, "log": "", "error": f"{type(exc).__name__}: {exc}"}
        conn.send_bytes(json.dumps(result, default=str).encode())
    if _api is not None:
        from .preprocessors import discard_ahead

        discard_ahead()                # a kernel started ahead for a task that never came
