"""nbgrader steps made safe against hostile or broken submissions, and hidden code.

ResilientExecute (autograde): runs the notebook in a sandbox (grader.sandbox) after
writing, for every autograded cell, the inputs its check needs (grader.checks: plan);
collects what each hidden cell recorded, as plain data, the moment the cell finishes.

TrustedVerdict (autograde, before SaveAutoGrades): judges those records in the grader's
own process and makes the cell's outputs the check's report and points. Whatever the
kernel printed or returned in a graded cell is discarded; a graded cell without a
verdict gets an error output, which nbgrader scores 0 (never its full-credit default).

ResilientExecute is also nbgrader's Execute made to survive a cell that kills the
kernel or cannot be stopped. nbgrader's own Execute gives up on the whole notebook when
the kernel dies (a student's `os._exit`, a crash in compiled code, running out of
memory) or when a cell outlives its time limit and ignores the interrupt: the
submission is removed and the student scores 0 for everything.

LimitOutputSize (autograde): nbgrader's LimitOutput caps the number of lines a cell
prints, but not their length, so one `print("x" * 10**8)` puts 100 MB into the graded
notebook and the feedback page. This also caps the characters of every text output
(figures get a larger cap of their own).

ShortenTestTracebacks (feedback): an error in a test cell shows only its last line, since
IPython's traceback quotes the cell's source, hidden tests included.

nbgrader_config.py puts them in place; `c.Execute.*` and `c.LimitOutput.*` settings
apply to them unchanged. The report (grader.grading) finds their marks in the
autograded notebook: error outputs named STOPPED, and TRUNCATED in the text.
"""
import hashlib
import io
import json
import os
import re
import select
import shutil
import threading
import time
from queue import Empty

import nbformat
import numpy as np
import zmq
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.client import NotebookClient
from nbclient.util import run_sync
from nbformat.notebooknode import NotebookNode
from traitlets import Integer

from nbgrader import utils
from nbgrader.preprocessors import Execute, LimitOutput, NbGraderPreprocessor

from dlcourse import record as wire

from . import sandbox
from .checks import CHECKS
from .checks._core import AUTODIFF_PACKAGES, judge, plan

# The `ename` of the error outputs written by ResilientExecute.
STOPPED = "GradingStopped"
# What LimitOutputSize leaves where it cut; nbgrader's LimitOutput writes LINES_CUT.
TRUNCATED = "... output truncated by the grader:"
LINES_CUT = "... Output truncated ..."

WHY = {
    "died": "this cell stopped the Python kernel (os._exit, a crash in compiled code, or running out "
            "of memory). It was not graded; the notebook was run again without it.",
    "timeout": "this cell ran past the time limit and did not stop when interrupted (an infinite "
               "loop that catches KeyboardInterrupt?). It was not graded; the notebook was run "
               "again without it.",
    "not run": "not run: too many cells stopped the kernel before this one.",
    "out of time": "not run: the notebook had used up its grading time before this cell "
                   "(ResilientExecute.notebook_timeout in nbgrader_config.py).",
}


def stopped_output(reason):
    return NotebookNode(output_type="error", ename=STOPPED, evalue=WHY[reason],
                        traceback=[f"\x1b[0;31m{STOPPED}\x1b[0m: {WHY[reason]}"])


class ResilientExecute(Execute):
    """Execute, except that a cell which kills the kernel or ignores the interrupt costs only itself.

    That cell gets an error output saying what happened (nbgrader scores a graded cell
    with an error 0), a fresh kernel runs every earlier cell again, and execution goes
    on after it. After `max_restarts` such cells the rest is marked not run.
    """

    max_restarts = Integer(5, help="Cells that may stop the kernel before the rest is marked not run.") \
        .tag(config=True)
    max_cell_bytes = Integer(8 * 2**20, help="Output a cell may hold in the grader's memory while it runs; "
                                             "the rest is dropped as it arrives (LimitOutputSize cuts further).") \
        .tag(config=True)
    notebook_timeout = Integer(600, help="Seconds one notebook may take in all (every cell, every rerun); "
                                         "cells not started by then are marked not run. 0: no limit.") \
        .tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        assignment = (resources or {}).get("nbgrader", {}).get("assignment")
        ahead = _take_ahead(assignment, self.kernel_name) if km is None else None
        if ahead is not None:
            self.scratch, km = ahead
        else:
            self.scratch = sandbox.Scratch(hide=UNAVAILABLE.get(assignment, ()))
        self._deadline = time.monotonic() + self.notebook_timeout if self.notebook_timeout else None
        self._kept = {}
        self._updated = 0
        try:
            # this submission's own draw (submission_salt); each cell's are written into the sandbox only
            # while that cell runs (preprocess_cell)
            self._plans = plan_inputs(assignment, submission_salt(nb))
            self.kernel_manager_class = sandbox.manager_class(self.scratch)
            self.records = resources.setdefault(RECORDS, {})
            return self._run(nb, resources, km, adopted=ahead is not None)
        finally:
            self.scratch.close()
            if NEXT_ASSIGNMENT is not None:
                self._start_ahead(NEXT_ASSIGNMENT)

    def _start_ahead(self, assignment):
        """Start the kernel of the notebook this worker grades next (NEXT_ASSIGNMENT), in a sandbox
        and scratch folder of its own, as the kernel of that notebook would be started: it boots
        while this notebook is judged and its feedback written. Only once this notebook's kernel
        and every process of its sandbox are gone (scratch.close() above): no two notebooks' code
        ever runs side by side in a worker. A kernel started for nothing is killed unused."""
        global _ahead
        discard_ahead()
        scratch = None
        try:
            scratch = sandbox.Scratch(hide=UNAVAILABLE.get(assignment, ()))
            km = sandbox.manager_class(scratch)(kernel_name=self.kernel_name, config=self.config)
            args = list(self.extra_arguments)
            if getattr(km, "ipykernel", False) and self.ipython_hist_file and \
                    not any(a.startswith("--HistoryManager.hist_file") for a in args):
                args.append(f"--HistoryManager.hist_file={self.ipython_hist_file}")     # as nbclient does
            run_sync(km.start_kernel)(extra_arguments=args)
        except Exception as exc:              # then the next notebook starts its kernel itself
            self.log.warning("Could not start the next notebook's kernel ahead: %r", exc)
            if scratch is not None:
                scratch.close()
            return
        _ahead = (assignment, self.kernel_name, scratch, km)

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's output handler, with a cap on what a running cell may pile up in memory here
        (outside every sandbox limit): past it, outputs are dropped as they arrive."""
        content = msg.get("content", {})
        size = (len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values())
                + sum(len(line) for line in content.get("traceback", [])))
        kept = self._kept.get(cell_index, 0)
        if kept + size > self.max_cell_bytes and msg.get("msg_type") != "clear_output":
            if kept <= self.max_cell_bytes:                 # said once per cell
                self._kept[cell_index] = self.max_cell_bytes + 1
                outs.append(NotebookNode(output_type="stream", name="stderr",
                                         text=f"\n{TRUNCATED} output past {self.max_cell_bytes // 2**20} MB was "
                                              "dropped while the cell ran\n"))
            return None
        self._kept[cell_index] = kept + size
        return super().output(outs, msg, display_id, cell_index)

    def _update_display_id(self, display_id, msg):
        """nbclient replaces an earlier output's data when the kernel updates a display, before (and
        apart from) `output`: its size counts against the notebook's cap too, or thirty 100 MB updates
        of thirty displays sat in the grader's memory."""
        content = msg.get("content", {})
        size = sum(len(str(v)) for v in (content.get("data") or {}).values())
        if self._updated + size > self.max_cell_bytes:
            return
        self._updated += size
        return super()._update_display_id(display_id, msg)

    def handle_comm_msg(self, outs, msg, cell_index):
        """Widget messages are ignored: nothing graded uses a widget, and nbclient would keep their
        state (any size the kernel sends) and an Output widget's captured output past every cap."""
        return None

    def preprocess_cell(self, cell, resources, index):
        """A cell; a hidden test cell with its inputs in the sandbox and the grader's pipe open for its
        record only while it runs (the inputs are not there for code run earlier to work on, and
        nothing but what arrives in the pipe while the cell runs can become its record)."""
        gid = autograded_id(cell)
        if gid is None or gid not in self._plans:
            return self._preprocess_cell(cell, resources, index, gid)
        stem = self.scratch.inputs / gid
        wire.write(str(stem), self._plans[gid][0], wire._Arrays(self._plans[gid][1]))
        for suffix in (".json", ".npz"):
            os.chmod(f"{stem}{suffix}", 0o644)
        pipe = RecordPipe(self.scratch.records / gid)
        try:
            out = self._preprocess_cell(cell, resources, index, gid)
            ended = not any(o.get("output_type") == "error" for o in cell.get("outputs", []))
            self.records[gid] = pipe.take(ended)
            return out
        finally:
            pipe.close()
            for suffix in (".json", ".npz"):
                _remove(self.scratch.inputs / f"{gid}{suffix}")

    def _preprocess_cell(self, cell, resources, index, gid):
        self._interrupted_at = None               # set when the cell outlives its time limit
        self._kept = {index: 0}
        unheard = None             # the cell was interrupted while its output channel was closed
        try:
            # ExecutePreprocessor.preprocess_cell, except that a test cell runs without being stored in
            # the kernel's history (In, _ih, _i): a student's later cell that prints the history must
            # not carry hidden test text into the feedback.
            self._check_assign_resources(resources)
            out = self.execute_cell(cell, index, store_history=gid is None), self.resources
        except CellTimeoutError as exc:
            out = cell, resources
            if self._interrupted_at is not None:
                if not self._iopub_closed():
                    raise              # the cell outlived its time limit and the interrupt: _run deals with it
                # The interrupt's answer could not arrive: the output channel was closed (below). Whether
                # the kernel stopped is known once the channel is open again.
                unheard = exc
            elif not self._iopub_closed():
                # The kernel replied (the cell ran to its end) but its output did not all arrive within
                # iopub_timeout; nbgrader's Execute would give up on the cell for that.
                cell.outputs.append(NotebookNode(output_type="stream", name="stderr",
                                                 text="\n(some of this cell's output arrived too late to be kept)\n"))
        if self._iopub_closed():
            # The kernel sent a message larger than the grader accepts (sandbox.MAX_MESSAGE_BYTES),
            # and ZeroMQ closed the output channel for good: open it again, or every later cell
            # would run without output.
            cell.outputs.append(NotebookNode(
                output_type="stream", name="stderr",
                text=f"\n{TRUNCATED} output was dropped: one message of more than "
                     f"{sandbox.MAX_MESSAGE_BYTES // 2**20} MB (print less at a time)\n"))
            # After an interrupt the kernel gets what it gets when the channel is open: iopub_timeout
            # from the interrupt to answer (nbclient has spent it waiting on the closed channel), and a
            # moment for the handshake itself. A kernel that stopped answers in milliseconds.
            wait = max(2.0, self._interrupted_at + self.iopub_timeout - time.monotonic()) if unheard else 30
            answered = self._reconnect_iopub(wait)
            if unheard is not None:
                if not answered:       # the kernel did not answer after the interrupt: it ignored it
                    raise unheard
                # It answered: the interrupt stopped the cell, as if its answer had arrived (nbgrader's
                # Execute writes this output for an interrupted cell).
                cell.outputs.append(NotebookNode(output_type="error", **self.error_on_timeout))
        for output in cell.get("outputs", []):
            # The grader's own error names mean something to the report; the notebook may not use them
            # (an exception class named GradingStopped would fake "stopped the kernel").
            ename = output.get("ename")
            if ename in RESERVED and not (ename == "CellTimeoutError" and self._interrupted_at is not None):
                output.ename = f"{ename} (raised by the notebook)"
        return out

    def _watch_iopub(self):
        """Watch the output channel for the disconnection an oversized message causes."""
        self._iopub_monitor_socket = self.kc.iopub_channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        self._iopub_monitor = zmq.Socket.shadow(self._iopub_monitor_socket.underlying)   # polled between cells

    def _unwatch_iopub(self):
        monitor, self._iopub_monitor = getattr(self, "_iopub_monitor", None), None
        if monitor is not None:
            try:
                self.kc.iopub_channel.socket.disable_monitor()
            except zmq.ZMQError:
                pass
            self._iopub_monitor_socket.close(linger=0)

    def _iopub_closed(self):
        """Has the output channel been disconnected since it was last (re)connected?"""
        monitor = getattr(self, "_iopub_monitor", None)
        return monitor is not None and bool(monitor.poll(0))

    async def _async_reconnect_iopub(self, wait=30):
        """Connect the output channel again; True once the kernel has answered through it (within
        `wait` seconds): it is idle then, since it handles one request at a time."""
        while self._iopub_closed():
            self._iopub_monitor.recv_multipart()
        socket = self.kc.iopub_channel.socket
        url = self.kc._make_url("iopub")
        try:
            socket.disconnect(url)
        except zmq.ZMQError:
            pass
        socket.connect(url)
        # Connected again once a status message for a request of ours arrives (as jupyter_client's
        # wait_for_ready does); whatever the kernel sent in between is gone.
        # The deadline holds while messages keep arriving: a kernel that prints without pause and never
        # answers must not keep the grader here.
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            msg_id = self.kc.kernel_info()
            try:
                while (left := deadline - time.monotonic()) > 0:
                    msg = await self.kc.get_iopub_msg(timeout=min(0.5, left))
                    if msg["parent_header"].get("msg_id") == msg_id:
                        return True
            except Empty:
                continue
        return False

    _reconnect_iopub = run_sync(_async_reconnect_iopub)

    async def _async_handle_timeout(self, timeout, cell=None):
        self._interrupted_at = time.monotonic()   # the CellTimeoutError output that follows is nbclient's
        return await super()._async_handle_timeout(timeout, cell)

    def _run(self, nb, resources, km, adopted=False):
        skipped = {}                     # cell index -> "died" | "timeout"
        while True:
            # What nbconvert's ExecutePreprocessor.preprocess does, one cell at a time, so that
            # the cell being run is known when the kernel goes away.
            NotebookClient.__init__(self, nb, km)
            km = None                    # a kernel run again is a new one
            if adopted:                  # the kernel started ahead for this notebook (_start_ahead)
                adopted = False
                self.owns_km = True      # shut down as its own would be
                try:
                    self.start_new_kernel_client()
                except Exception as exc:         # it did not answer (nbclient has shut it down): a fresh one
                    self.log.warning("The kernel started ahead did not answer (%r); starting another", exc)
                    self.scratch.kill_leftovers()
                    continue
            # Killed, not asked to shut down, once its cells have run: their outputs and records are
            # in by then, the kernel and its sandbox are thrown away, and the polite shutdown kept the
            # worker waiting half a second a notebook for the kernel to exit by itself.
            self.shutdown_kernel = "immediate"
            self.reset_execution_trackers()
            self._check_assign_resources(resources)
            index = failure = None
            with self.setup_kernel():
                try:
                    self._watch_iopub()
                    info = self.wait_for_reply(self.kc.kernel_info())
                    self.nb.metadata["language_info"] = info["content"]["language_info"]
                    for index, cell in enumerate(self.nb.cells):
                        if index in skipped:
                            cell.outputs = [stopped_output(skipped[index])]
                            continue
                        if self._deadline and time.monotonic() > self._deadline and cell.cell_type == "code":
                            for later in self.nb.cells[index:]:
                                if later.cell_type == "code":
                                    later.outputs = [stopped_output("out of time")]
                            break
                        self.preprocess_cell(cell, resources, index)
                except (DeadKernelError, CellTimeoutError) as exc:
                    if index is None:    # the kernel did not even start: nothing of the student's to blame
                        raise
                    failure = "died" if isinstance(exc, DeadKernelError) else "timeout"
                finally:
                    self._unwatch_iopub()
            self.scratch.kill_leftovers()
            if failure is None:
                break
            self.log.warning("Cell %d %s; running the notebook again without it", index,
                             "stopped the kernel" if failure == "died" else "could not be interrupted")
            skipped[index] = failure
            if len(skipped) > self.max_restarts:
                nb.cells[index].outputs = [stopped_output(failure)]
                for cell in nb.cells[index + 1:]:
                    if cell.cell_type == "code":
                        cell.outputs = [stopped_output("not run")]
                break
        # No widget state is kept: the kernel decides its size, and nothing graded needs it.
        self.nb.metadata.pop("widgets", None)
        return self.nb, self.resources


#: In a grading worker (grader.workers): the assignment of the notebook it will most likely grade
#: after this one, whose kernel ResilientExecute then starts ahead; None: start none.
NEXT_ASSIGNMENT = None
_ahead = None          # (assignment, kernel name, Scratch, kernel manager) of the kernel started ahead


def _take_ahead(assignment, kernel_name):
    """(Scratch, kernel manager) of the kernel started ahead, if it is for this assignment and kernel
    and still alive; otherwise that kernel is discarded and None returned."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is None:
        return None
    if ahead[:2] == (assignment, kernel_name):
        try:
            if run_sync(ahead[3].is_alive)():
                return ahead[2], ahead[3]
        except Exception:
            pass
    _discard(ahead)
    return None


def _discard(ahead):
    _, _, scratch, km = ahead
    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:
        pass
    finally:
        scratch.close()


def discard_ahead():
    """Kill the kernel started ahead, if any, and remove its scratch folder (a worker does, on leaving)."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is not None:
        _discard(ahead)


RECORDS = "dlcourse_records"
# Packages a notebook of these assignments may not import while graded, whatever its code does to
# reach them (the a4/a5 gradients are the student's backpropagation): not in the sandbox at all.
UNAVAILABLE = {"a4-sparse-autoencoder": AUTODIFF_PACKAGES, "a5-stacked-autoencoder": AUTODIFF_PACKAGES}         # resources key: grade_id -> (json bytes, npz bytes) or a reason
MAX_JSON = 20 * 2**20
MAX_NPZ = 200 * 2**20


def autograded_id(cell):
    """The grade_id of an autograded test cell, else None."""
    if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
        return cell.metadata["nbgrader"]["grade_id"]
    return None


def submission_salt(nb):
    """An int from the submission's own code cells (not the hidden ones), mixed into the random inputs
    of its hidden cases (grader.checks._core.salted): the same notebook always gets the same inputs
    and grade; a changed one gets other inputs, so feedback on one submission ("off by about 3%")
    says nothing exact about the hidden values of the next."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code" and autograded_id(cell) is None:
            digest.update(hashlib.sha256(str(cell.source).encode("utf-8", "surrogatepass")).digest())
    return int.from_bytes(digest.digest()[:8], "big")


def plan_inputs(assignment, salt=None):
    """{grade_id: (document, arrays)}: each autograded cell's planned calls, as the kernel reads them."""
    return {gid: plan(check, names, salt) for gid, (check, names) in CHECKS.get(assignment, {}).items()}


class RecordPipe:
    """The channel a hidden cell's record comes through: a pipe (FIFO) at `path`, made and read by the
    grader while the cell runs, in a folder the kernel can enter but not change, that the kernel may
    only write into (dlcourse.record.send). A pipe can be written, not overwritten: what else the
    notebook's code writes into it (a process it left running, say) is added to the record and spoils
    it, where a file could be replaced after the recorder wrote it (an attack review's thread rewrote
    the records between the recorder's writing and the grader's reading)."""

    def __init__(self, path):
        self.path = path
        self.data = bytearray()
        self.overflow = False
        _remove(path)
        os.mkfifo(path)
        os.chmod(path, 0o622)                 # the kernel's uid: write only
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        # the grader's own writing end, never written: with it open the pipe never reads as ended, so
        # the reader waits for data instead of spinning
        self.keep = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._pump, daemon=True, name="record pipe")
        self.thread.start()

    def _pump(self):
        while not self.stop.is_set():
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                self._drain()

    def _drain(self):
        while True:
            try:
                chunk = os.read(self.fd, 1 << 20)
            except (BlockingIOError, OSError):
                return
            if not chunk:
                return
            if len(self.data) + len(chunk) > MAX_JSON + MAX_NPZ + 100:
                self.overflow = True          # read on (a writer must not block), kept no longer
                continue
            self.data += chunk

    def take(self, ended):
        """(json bytes, npz bytes) of the one record message that arrived, or the reason there is none.
        `ended`: the cell ran to its end (no error, not stopped): a record is taken only then."""
        self.stop.set()
        self.thread.join()
        self._drain()
        if not ended:
            return "the hidden test cell did not run to its end"
        if self.overflow:
            return "the record is too large"
        if not self.data:
            return "nothing was recorded"
        head, newline, _ = bytes(self.data[:100]).partition(b"\n")
        parts = head.split(b" ")
        try:
            n, m = int(parts[1]), int(parts[2])
            ok = newline and len(parts) == 3 and parts[0] == wire.MAGIC and n >= 0 and m >= 0 \
                and len(self.data) == len(head) + 1 + n + m
        except (IndexError, ValueError):
            ok = False
        if not ok:
            return ("the record is not one whole message: something other than the hidden test cell "
                    "wrote into the grader's channel")
        body = bytes(self.data[len(head) + 1:])
        if n > MAX_JSON or m > MAX_NPZ:
            return "the record is too large"
        return body[:n], body[n:]

    def close(self):
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()
        for fd in (self.fd, self.keep):
            try:
                os.close(fd)
            except OSError:
                pass
        _remove(self.path)


def _remove(path):
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()
    except FileNotFoundError:
        pass


def load_record(raw):
    """(records document, arrays) from RecordPipe.take's bytes, or raise ValueError with a reason."""
    if isinstance(raw, str) or raw is None:
        raise ValueError(raw or "nothing was recorded")
    doc_bytes, npz_bytes = raw
    try:
        doc = json.loads(doc_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError("the record is not readable") from None
    try:
        with np.load(io.BytesIO(npz_bytes), allow_pickle=False) as z:
            infos = z.zip.infolist()
            if len(infos) > 100_000 or sum(i.file_size for i in infos) > 4 * MAX_NPZ:
                raise ValueError
            arrays = {k: z[k] for k in z.files}
    except Exception:
        raise ValueError("the record's arrays are not readable") from None
    return doc, arrays


class TrustedVerdict(NbGraderPreprocessor):
    """Replace every autograded cell's outputs with the check's report and points, judged here."""

    def preprocess(self, nb, resources):
        assignment = resources.get("nbgrader", {}).get("assignment")
        records = resources.get(RECORDS, {})
        cells = [c.source for c in nb.cells if c.cell_type == "code" and autograded_id(c) is None]
        salt = submission_salt(nb)
        before = []                      # the student's code cells above the current graded cell
        for cell in nb.cells:
            gid = autograded_id(cell)
            if gid is None:
                if cell.cell_type == "code":
                    before.append(cell.source)
                continue
            if any(o.get("ename") == STOPPED for o in cell.get("outputs", [])):
                cell.outputs = [o for o in cell.outputs if o.get("ename") == STOPPED]
                continue
            entry = CHECKS.get(assignment, {}).get(gid)
            if entry is None:
                cell.outputs = [no_verdict("this graded cell has no check in the grader")]
                continue
            try:
                doc, arrays = load_record(records.get(gid))
            except ValueError as exc:
                cell.outputs = [no_verdict(*_why_missing(str(exc), cell))]
                continue
            check, names = entry
            try:
                report = judge(check, names, doc, arrays, cells, before=list(before), salt=salt)
            except Exception as exc:          # a grader bug: this cell scores 0 and the log says why
                self.log.error("Check for %s failed: %r", gid, exc)
                cell.outputs = [no_verdict(f"the grader failed on this cell ({type(exc).__name__}); "
                                           "please report it to your instructor")]
                continue
            cell.outputs = [NotebookNode(output_type="stream", name="stdout", text=report.text() + "\n"),
                            NotebookNode(output_type="execute_result", execution_count=cell.get("execution_count"),
                                         metadata={}, data={"text/plain": repr(report.score())})]
        return nb, resources


def _why_missing(reason, cell):
    """(reason, kind) for a cell without a record: the kernel's error name if it raised one (its
    message is the student's); kind stays the timeout's, so the report can say the cell was stopped."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if any(o.get("ename") == "CellTimeoutError" for o in errors):      # written by nbclient, not the kernel
        return "the cell ran past the time limit and was stopped" + TIME_HINT, "CellTimeoutError"
    if errors:
        name = str(errors[0].get("ename", ""))[:80]
        value = str(errors[0].get("evalue", ""))[:200]
        return f"the cell stopped with {name}: {value}{HINTS.get(name, '')}", NO_VERDICT
    return reason, NO_VERDICT


NO_VERDICT = "NotGraded"
RESERVED = {STOPPED, NO_VERDICT, "CellTimeoutError"}     # error names only the grader writes


def no_verdict(reason, ename=NO_VERDICT):
    """An error output (nbgrader scores the cell 0) that says why there is no verdict."""
    text = f"no grade could be given for this cell: {reason}"
    return NotebookNode(output_type="error", ename=ename, evalue=text, traceback=[f"{ename}: {text}"])


class LimitOutputSize(LimitOutput):
    max_chars = Integer(20_000, help="maximum characters of one text output (-1 means no limit)").tag(config=True)
    max_image_chars = Integer(1_000_000, help="maximum size of one image, base64 (-1 means no limit)") \
        .tag(config=True)

    def _cut(self, text):
        """The first max_chars characters and a note (the report looks for TRUNCATED)."""
        return f"{text[:self.max_chars]}\n{TRUNCATED} {len(text):,} characters, first {self.max_chars:,} kept ...\n"

    def _too_big(self, mime, value):
        limit = self.max_image_chars if mime.startswith("image/") else self.max_chars
        return limit >= 0 and len(value if isinstance(value, str) else str(value)) > limit

    max_cell_chars = Integer(2_000_000, help="maximum size of all of one cell's outputs, as JSON").tag(config=True)
    max_notebook_chars = Integer(6_000_000, help="maximum size of all outputs of a notebook, as JSON") \
        .tag(config=True)
    max_metadata_chars = Integer(10_000, help="maximum size of one output's metadata, as JSON").tag(config=True)

    def preprocess(self, nb, resources):
        self._total = 0
        nb.metadata.pop("widgets", None)        # widget state: as large as the kernel likes, never graded
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = self._cap_each(cell, resources, cell_index)
        if self.max_chars < 0 or cell.cell_type != "code":
            return cell, resources
        # Then all of the cell's outputs together (many small displays add up), and the notebook's.
        kept, size = [], 0
        for output in cell.outputs:
            if len(json.dumps(output.get("metadata", {}), default=str)) > self.max_metadata_chars:
                output.metadata = {}
            n = len(json.dumps(output, default=str))
            if size + n > self.max_cell_chars or self._total + size + n > self.max_notebook_chars:
                kept.append(NotebookNode(output_type="stream", name="stdout",
                                         text=f"\n{TRUNCATED} {len(cell.outputs) - len(kept)} more outputs "
                                              "removed (too much output) ...\n"))
                break
            kept.append(output)
            size += n
        cell.outputs = kept
        self._total += size
        return cell, resources

    def _cap_each(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if self.max_chars < 0 or cell.cell_type != "code":
            return cell, resources
        for output in cell.outputs:
            if output.output_type == "stream" and len(output.text) > self.max_chars:
                output.text = self._cut(output.text)
            elif output.output_type in ("display_data", "execute_result"):
                data = output.get("data", {})
                big = [mime for mime, value in data.items() if self._too_big(mime, value)]
                if big:      # too big to keep: its text, cut, and a note in place of the rest
                    size = sum(len(str(data[mime])) for mime in big)
                    plain = data.get("text/plain", "")
                    plain = plain[:self.max_chars] if isinstance(plain, str) else ""
                    output.data = {"text/plain": f"{plain}\n{TRUNCATED} {', '.join(big)} of {size:,} "
                                                 "characters removed ...\n"}
            elif output.output_type == "error":
                output.evalue = output.evalue if len(output.evalue) <= self.max_chars else self._cut(output.evalue)
                output.traceback = [t if len(t) <= self.max_chars else self._cut(t) for t in output.traceback]
        return cell, resources


SAFE_SCHEMES = {"http", "https", "mailto"}
LINK = re.compile(r"(\]\(\s*)([^)\s]*)|(^\s*\[[^\]]*\]:\s*)(\S+)", re.M)
SAFE_MIME = {"text/plain", "image/png", "image/jpeg"}


def _safe_link(target):
    """A link target, or '#blocked' if it names a scheme other than http(s) or mailto."""
    bare = re.sub(r"[\s\x00-\x1f]", "", target).lower()
    scheme = re.match(r"^([a-z][a-z0-9+.-]*):", bare)
    return "#blocked" if scheme and scheme[1] not in SAFE_SCHEMES else target


def safe_markdown(text):
    """A student's markdown that renders as text and links only: no tags, no entities that make
    tags or schemes, no javascript:/data: links."""
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return LINK.sub(lambda m: (m[1] + _safe_link(m[2])) if m[1] is not None else (m[3] + _safe_link(m[4])), text)


class SanitizeForStaff(NbGraderPreprocessor):
    """Autograde: the graded notebook is made safe to open before anyone opens it.

    Instructors open it in formgrader, whose pages run inside their Jupyter server (a script
    there can open a terminal with the server's rights), and the feedback pages are made
    from it. So whatever the student wrote is reduced to what displays as text and pictures:
    their markdown is escaped (tags shown as text, unsafe link schemes blocked), raw cells lose
    their format (so no page includes them) and attachments are dropped, outputs keep only
    plain text, PNG and JPEG (no HTML, SVG,
    JavaScript or LaTeX), and output metadata (where unquoted attributes hid) is removed.
    The course's own cells (locked: restored from the release by nbgrader) are left alone.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        # every cell's outputs are the student's code's (a locked test cell calls their functions);
        # the source is theirs unless the cell is a locked one of the course's
        if not (utils.is_locked(cell) and not utils.is_solution(cell)):
            self._source(cell)
        for output in cell.get("outputs", []):
            if "metadata" in output:
                output.metadata = NotebookNode()
            if "data" in output:
                dropped = sorted(set(output.data) - SAFE_MIME)
                output.data = NotebookNode({k: v for k, v in output.data.items() if k in SAFE_MIME})
                if dropped and "text/plain" not in output.data:
                    output.data["text/plain"] = f"[{', '.join(dropped)} output removed by the grader]"
        return cell, resources

    @staticmethod
    def _source(cell):
        cell.pop("attachments", None)
        if cell.cell_type == "markdown":
            cell.source = safe_markdown(cell.source)
        elif cell.cell_type == "raw":       # without a format, a raw cell is not put into HTML at all
            cell.source = safe_markdown(cell.source)
            cell.metadata.pop("format", None)
            cell.metadata.pop("raw_mimetype", None)


class EscapeStudentMarkdown(NbGraderPreprocessor):
    """Feedback, a second line of defence: any '<' left in a student's markdown is shown as text.

    SanitizeForStaff has already made the autograded notebook inert; this keeps feedback safe for
    a notebook autograded before it existed. Escaping '<' alone is idempotent ("&lt;" holds no
    '<'), so an already sanitized notebook is unchanged.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type in ("markdown", "raw") and not utils.is_locked(cell):
            cell.source = cell.source.replace("<", "&lt;")
        return cell, resources


class NotFinalYet(NbGraderPreprocessor):
    """Feedback: a note at the top saying what the total does not include yet, and lateness.

    nbgrader's page shows a total in which written answers nobody has graded count 0, with no
    word about it; a student reading it early would take it as the grade. The note says how
    many points still wait for hand grading, and how late nbgrader found the submission.
    """

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook, MissingEntry

        info = resources["nbgrader"]
        lines = []
        with Gradebook(info["db_url"]) as gb:
            try:
                sub = gb.find_submission(info["assignment"], info["student"])
            except MissingEntry:
                return nb, resources
            pending = [g for n in sub.notebooks for g in n.grades
                       if g.cell_type == "markdown" and g.needs_manual_grade and g.manual_score is None]
            if pending:
                points = sum(g.max_score for g in pending)
                lines.append(f"**Not final yet:** {points:g} point{'s' * (points != 1)} of written answers "
                             "still wait for grading by hand; the total counts them as 0 until then.")
            if sub.total_seconds_late > 0:
                hours = sub.total_seconds_late / 3600
                when = f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"
                lines.append(f"Submitted {when} after the due date "
                             f"(late penalty: {sub.late_submission_penalty:g} points).")
            names = {g.name for g in pending}
        for cell in nb.cells:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") in names:
                cell.metadata.nbgrader["comment"] = "Not graded yet: a person grades this answer."
        if lines:
            nb.cells.insert(0, nbformat.v4.new_markdown_cell("\n\n".join(lines)))
        return nb, resources


class ShortenTestTracebacks(NbGraderPreprocessor):
    """Feedback: an error escaping a test cell shows its last line only, never the cell's code.

    The checks print their own report, with tracebacks cut to the student's frames. An
    error escapes a test cell only before the check runs (typically a NameError: the
    function it grades was never defined), and IPython's traceback of it quotes the
    test cell's source, hidden tests included, which ClearHiddenTests does not touch.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [short_error(output)]
        return cell, resources


def short_error(output):
    """An error output as one line a student may see: its name, message and a hint, no code."""
    return f"{output.ename}: {output.evalue}{HINTS.get(output.ename, '')}"


TIME_HINT = ("\n(The test was stopped at the time limit: does your function loop forever, or do far more "
             "work than it needs?)")
HINTS = {
    "NameError": "\n(The test could not find your function: is its cell still there, under its original "
                 "name, and does it run without an error?)",
    "KeyboardInterrupt": TIME_HINT,
    "CellTimeoutError": TIME_HINT,
}
