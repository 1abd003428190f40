"""The machinery every check shares.

A check is a list of *cases*. Each case calls the student's function on seeded
inputs and compares the result with the reference; when the result is wrong it
also compares with known wrong variants ("mistakes") and, if one matches, says
which mistake it is in one sentence.

A check never runs student code. It runs twice, in the grader's own process, with
`Student` stand-ins in place of the student's functions:
1. plan: every call a case makes is written down as plain data (the inputs);
2. the student's kernel runs those calls (dlcourse.record, in the sandbox) and
   records the results as plain data;
3. replay: each call returns what was recorded, validated here, and the cases
   compare it with the reference. The Report and the points come from this step only.
`run_local` does all three in one process, through the same plain-data format (tests).

Rules that follow from a shared, untrusted kernel:
- The student's code gets private copies of every input (dlcourse.record copies
  them), and the check's random numbers come from its own seeded Generator.
- Warnings and stderr during the student's call are part of the record and become
  part of the verdict (a NumPy overflow warning is named in the message).
- The cell's value is a Python float between 0 and the cell's points.
- Nothing of the reference or the hidden tests is printed: messages describe
  behaviour ("for logits of 1000 your softmax returned nan"), never code.
- Library rules are judged on the submitted source (grader.checks._static), never
  by inspecting live objects.
"""
import copy
import inspect
import io
import json
import math
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from dlcourse import record as wire

from ..assignments import points as declared_points


class StudentError(Exception):
    """The student's function raised, warned, or returned something unusable."""


@dataclass
class Outcome:
    name: str
    weight: float
    passed: bool
    message: str = ""


@dataclass
class Report:
    title: str
    max_points: float
    outcomes: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def fraction(self):
        total = sum(o.weight for o in self.outcomes)
        return 0.0 if total == 0 else sum(o.weight for o in self.outcomes if o.passed) / total

    def score(self):
        # a plain float, never above the maximum (nbgrader raises above it)
        return float(min(self.max_points, round(self.fraction() * self.max_points, 4)))

    def text(self):
        lines = [f"{self.title}: {self.score():g} / {self.max_points:g} points"]
        for o in self.outcomes:
            mark = "ok  " if o.passed else "FAIL"
            lines.append(f"  [{mark}] {o.name}" + ("" if o.passed or not o.message else f": {o.message}"))
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def fresh(x):
    """A deep copy, so the student's function cannot change what we compare with."""
    return copy.deepcopy(x)


PLANNED = "(planning: not run yet)"
MAX_ARRAY = 10_000_000          # elements; a larger recorded array is refused, not loaded


class Student:
    """Stands for one of the student's functions in the grader's process: it never runs anything."""

    def __init__(self, session, index, name):
        self.session, self.index, self.__name__ = session, index, name

    def __repr__(self):
        return f"<the student's {self.__name__}>"


class Session:
    """One run of one check: planning its calls, or replaying their recorded results.

    names: the student's function names, in the order the check takes them.
    results: None to plan; else the recorded {"calls": [...]} document and its arrays.
    cells: the submission's code cells (for the library rules).
    """

    def __init__(self, names, results=None, arrays=None, cells=()):
        self.students = [Student(self, i, n) for i, n in enumerate(names)]
        self.planning = results is None
        self.calls, self.arrays = [], wire._Arrays()
        self.results, self.recorded_arrays, self.cursor = results, arrays or {}, 0
        self.cells = list(cells)

    def plan(self, spec):
        self.calls.append(spec)
        raise StudentError(PLANNED)

    def next_result(self):
        """The next recorded result, or StudentError when the student's kernel recorded none."""
        k, self.cursor = self.cursor, self.cursor + 1
        calls = self.results.get("calls") if isinstance(self.results, dict) else None
        if not isinstance(calls, list) or k >= len(calls) or not isinstance(calls[k], dict):
            raise StudentError("was not run: no result was recorded for this case (did the cell stop early?)")
        res = calls[k]
        status = res.get("status")
        if status == "not callable":
            raise StudentError(f"expected a function, got {_text(res.get('type'))}")
        if status == "error":
            if res.get("error") == "NotImplementedError":
                raise StudentError("not implemented yet (it raises NotImplementedError)")
            where = _text(res.get("where"))
            raise StudentError(f"raised {_text(res.get('error'))}: {_text(res.get('message'))}"
                               + (f" ({where})" if where else ""))
        if status != "ok":
            raise StudentError("left an unreadable record")
        return res

    def decode(self, doc):
        return decode(doc, self.recorded_arrays)


def _text(x, limit=300):
    """Text from a record, cut: it came from the student's kernel."""
    return (x if isinstance(x, str) else "").replace("\x1b", "")[:limit]


def _warned(res):
    if res.get("warning"):
        raise StudentError(f"emitted {_text(res['warning'])}")
    if res.get("stderr"):
        raise StudentError("wrote to stderr: " + _text(res["stderr"], 200))


class Opaque:
    """A recorded value of a type that is not plain data (its type name only)."""

    def __init__(self, type_name):
        self.type_name = type_name


def decode(doc, arrays, depth=0):
    """A recorded value, validated: numeric arrays, numbers, str, None, and lists, tuples and
    dicts of them; anything else becomes Opaque. Raises StudentError on a malformed record."""
    try:
        t = doc["t"]
        if depth > wire.MAX_DEPTH + 1:
            raise ValueError
        if t == "array":
            arr = arrays[doc["k"]]
            if arr.dtype.kind not in "biuf" or arr.size > MAX_ARRAY:
                raise ValueError
            return arr
        if t == "float":
            v = doc["v"]
            if not isinstance(v, str) or len(v) > 40:
                raise ValueError
            return float(v)
        if t == "int":
            v = doc["v"]
            if not isinstance(v, str) or len(v) > 100:
                raise ValueError
            return int(v)
        if t == "bool":
            return bool(doc["v"])
        if t == "none":
            return None
        if t == "str":
            return _text(doc["v"])
        if t in ("list", "tuple"):
            if not isinstance(doc["v"], list) or len(doc["v"]) > wire.MAX_ITEMS:
                raise ValueError
            items = [decode(v, arrays, depth + 1) for v in doc["v"]]
            return items if t == "list" else tuple(items)
        if t == "dict":
            if not isinstance(doc["v"], dict) or len(doc["v"]) > wire.MAX_ITEMS:
                raise ValueError
            return {str(k)[:100]: decode(v, arrays, depth + 1) for k, v in doc["v"].items()}
        if t == "other":
            return Opaque(_text(doc.get("type"), 100) or "an unknown type")
        raise ValueError
    except StudentError:
        raise
    except Exception:
        raise StudentError("left an unreadable record of its result") from None


def call_student(fn, *args, **kwargs):
    """The student's result for fn(*args, **kwargs): planned, or replayed from the record.

    Raises StudentError with a readable message if the student's function raised,
    warned, wrote to stderr, or was not run.
    """
    s = fn.session
    if s.planning:
        s.plan({"kind": "call", "fn": fn.index, "args": wire.encode(list(args), s.arrays),
                "kwargs": wire.encode(dict(kwargs), s.arrays)})
    res = s.next_result()
    _warned(res)
    return s.decode(res.get("value", {"t": "none"}))


def call_steps(fn, params, problem, n, hyper):
    """The parameters after each of n consecutive steps of the student's optimizer (a list of
    dicts); problem = {"a": ..., "c": ..., "scale": ...} defines grad_fn (dlcourse.record.quartic_grad)."""
    s = fn.session
    if s.planning:
        s.plan({"kind": "steps", "fn": fn.index, "params": wire.encode(params, s.arrays),
                "problem": wire.encode(problem, s.arrays), "n": int(n), "hyper": wire.encode(hyper, s.arrays)})
    res = s.next_result()
    steps = res.get("steps")
    if not isinstance(steps, list) or len(steps) > n:
        raise StudentError("left an unreadable record")
    out = [s.decode(p) for p in steps]
    _warned(res)
    if len(out) < n:
        if "value" in res:
            raise StudentError("should return a tuple (params, state) with params a dict")
        raise StudentError("left an unreadable record")
    return out


def as_array(result, what="result"):
    if isinstance(result, Opaque):
        raise StudentError(f"the {what} should be numeric; got {result.type_name}")
    try:
        arr = np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError):
        raise StudentError(f"the {what} should be numeric; got {type(result).__name__}") from None
    return arr


def close(a, b, rtol=1e-7, atol=1e-10):
    """True if arrays (or dicts of arrays) have equal shapes and close values (NaN never matches)."""
    if isinstance(b, dict):
        return isinstance(a, dict) and set(a) == set(b) and all(close(a[k], b[k], rtol, atol) for k in b)
    if isinstance(a, dict):
        return False
    try:
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):        # a value that is not numbers (e.g. an unrecorded type)
        return False
    if a.shape != b.shape:
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.isfinite(a) == np.isfinite(b)) and
                    np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=False)
                    and not np.any(np.isnan(a)))


def describe(a, b):
    """One phrase saying how a differs from b, for messages (no code, no reference values in bulk)."""
    if isinstance(b, dict):
        if not isinstance(a, dict):
            return f"expected a dict with keys {sorted(b)}, got {type(a).__name__}"
        if set(a) != set(b):
            return f"expected keys {sorted(b)}, got {sorted(a)}"
        bad = [k for k in b if not close(a[k], b[k])]
        return f"wrong values for {', '.join(map(repr, bad))}: " + describe(a[bad[0]], b[bad[0]])
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        return f"expected numbers, got {getattr(a, 'type_name', type(a).__name__)}"
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return f"expected shape {b.shape}, got {a.shape}"
    if np.any(np.isnan(a)):
        return "the result contains NaN"
    if np.any(~np.isfinite(a) & np.isfinite(b)):
        return "the result contains inf where the right answer is finite"
    with np.errstate(all="ignore"):
        err = np.max(np.abs(a - b) / (np.abs(b) + 1e-12))
    if a.ndim == 0:
        return f"expected {float(b):.6g}, got {float(a):.6g}"
    return f"largest relative error {err:.2g}"


@dataclass
class Case:
    """One comparison: `run(student_fn)` returns (student_result, expected); mistakes map a
    sentence to a function giving that mistake's result for the same case."""
    name: str
    run: Callable
    weight: float = 1.0
    mistakes: dict = field(default_factory=dict)
    rtol: float = 1e-7
    atol: float = 1e-10
    on_error: dict = field(default_factory=dict)   # substring of the error -> the diagnosis


def run_check(assignment, grade_id, title, student_fn, cases, forbidden=None, notes=()):
    """Run the cases; return the Report (its score() is the cell's points).

    forbidden: optional (objects, modules, sentence): dotted names of library objects and
    module prefixes that the student's function may not use for the part the assignment
    asks to write by hand. Judged on the submitted source; if one is used, every case
    fails with `sentence`.
    """
    report = Report(title, declared_points(assignment, grade_id))
    fns = student_fn if isinstance(student_fn, tuple) else (student_fn,)
    session = fns[0].session
    used = []
    if forbidden and not session.planning:
        from . import _static
        names = [f.__name__ for f in fns]
        used = _static.library_use(session.cells, names, *forbidden[:2])
        tricks = _static.dynamic_code(session.cells, names)
        if tricks and not used:
            report.notes.append(f"your code uses {', '.join(tricks)}, so whether it keeps to the rule "
                                "'" + forbidden[2].split(",")[0] + "' could not be read from it; "
                                "your instructor may look at it")
    if used:
        report.outcomes.append(Outcome("written by hand", sum(c.weight for c in cases), False,
                                       f"{forbidden[2]} (your function uses {', '.join(used)})"))
    else:
        report.outcomes.extend(_run_case(case, student_fn) for case in cases)
    report.notes.extend(notes)
    return report


# ---- the three steps: plan, record, judge ---------------------------------------------------

def plan(check, names):
    """The calls `check` needs, as plain data: ({"calls": [...]}, {array name: array})."""
    session = Session(names)
    check(*session.students)
    return {"calls": session.calls}, session.arrays.stored


def judge(check, names, records, arrays, cells=()):
    """The Report of `check` from a submission's recorded results (untrusted plain data)."""
    session = Session(names, records if isinstance(records, dict) else {}, arrays, cells)
    return check(*session.students)


def _roundtrip(doc, arrays):
    """doc and arrays through the bytes of the real format (JSON, and .npz without pickle)."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as z:
        loaded = {k: z[k] for k in z.files}
    return json.loads(json.dumps(doc)), loaded


def _source_cells(fns):
    """The source of the modules defining fns (a stand-in for a notebook's cells, for run_local)."""
    cells = []
    for f in fns:
        try:
            cells.append(inspect.getsource(inspect.getmodule(f)))
        except (TypeError, OSError):
            pass
    return cells


def run_local(check, *fns, quiet=False):
    """Grade plain Python functions in this process through the real plan/record/judge path.

    For tests and for authors trying a check; never for submissions (their code must run
    sandboxed: see grader.sandbox). Prints the report, returns the points (a float).
    """
    names = [getattr(f, "__name__", f"function_{i}") for i, f in enumerate(fns)]
    calls, arrays_in = _roundtrip(*plan(check, names))
    records, arrays = wire.run_calls(fns, calls["calls"], arrays_in)
    records, arrays = _roundtrip(records, arrays.stored)
    report = judge(check, names, records, arrays, _source_cells(fns))
    if not quiet:
        print(report.text())
    return report.score()


def compare(name, student_fn, reference, args, kwargs=None, weight=1.0, mistakes=None, post=None, **opts):
    """A Case that calls student and reference on the same (copied) arguments.

    mistakes: {sentence: wrong_function}; each wrong function takes the same arguments.
    post: turns a result into something comparable (e.g. a tuple into one vector); a
    student result it cannot handle is reported as having the wrong form.
    """
    kwargs = kwargs or {}

    def run(_):
        got = call_student(student_fn, *args, **kwargs)
        if post is not None:
            try:
                got = post(got)
            except Exception:
                raise StudentError(f"returned {type(got).__name__}, which is not the form the "
                                   "docstring asks for") from None
        if not isinstance(got, dict):
            got = as_array(got)
        return got, (post or (lambda r: r))(reference(*fresh(args), **fresh(kwargs)))

    wrong = {s: (lambda f=f: (post or (lambda r: r))(f(*fresh(args), **fresh(kwargs))))
             for s, f in (mistakes or {}).items()}
    return Case(name, run, weight, wrong, **opts)


def _run_case(case, student_fn):
    try:
        got, expected = case.run(student_fn)
    except StudentError as exc:
        hint = next((h for key, h in case.on_error.items() if key in str(exc)), "")
        said = str(exc) if str(exc).startswith("expected") else f"your function {exc}"
        return Outcome(case.name, case.weight, False, said + (f". {hint}" if hint else ""))
    if close(got, expected, case.rtol, case.atol):
        return Outcome(case.name, case.weight, True)
    for sentence, wrong in case.mistakes.items():
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if close(got, wrong(), case.rtol, case.atol):
                    return Outcome(case.name, case.weight, False, sentence)
        except Exception:  # a mistake model that does not apply to this case
            continue
    return Outcome(case.name, case.weight, False, describe(got, expected))
