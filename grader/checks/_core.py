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
- Warnings and stderr during the student's call are part of the record. They cost points
  only where the docstring forbids them (a case with warnings="fail", e.g. sigmoid's "must not
  overflow or warn"); elsewhere the value is judged and the warning is explained in a note
  (which operation warned and why, e.g. the branch np.where discarded). An optimizer's run
  stops at its first warning (dlcourse.record), so there a warning always fails the case.
- Results are compared at float32-appropriate tolerances (see RTOL): no docstring asks for
  float64. A scalar result may be any numeric scalar form (float, np.float32, a 0-d or a
  one-element array).
- Arguments the contract says are not modified (`readonly`) are checked through the record's
  "mutated" field (dlcourse.record lists the arguments a call changed in place).
- The cell's value is a Python float between 0 and the cell's points.
- Nothing of the reference or the hidden tests is printed: messages describe
  behaviour ("for logits of 1000 your softmax returned nan"), never code.
- Library rules are judged on the submitted source (grader.checks._static), never
  by inspecting live objects.
- The random inputs of the hidden cases depend on the submission (`salted`, `seeded`): feedback says
  how far a wrong result is off, and a student who resubmits again and again to home in on a
  hidden value gets, with each changed notebook, other inputs and so another value.
"""
import contextlib
import contextvars
import copy
import functools
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


_SALT = contextvars.ContextVar("dlcourse_check_salt", default=None)


@contextlib.contextmanager
def salted(salt):
    """Within this block, `seeded` draws the inputs of every check for one submission: `salt` (an int
    from the submission's code, grader.preprocessors.submission_salt; None for the fixed draws of
    tests and run_local) is mixed into each check's own seed. Plan and judge of one notebook must
    run with the same salt."""
    token = _SALT.set(None if salt is None else int(salt))
    try:
        yield
    finally:
        _SALT.reset(token)


def salt():
    """The salt of the submission being planned or judged (None outside `salted`)."""
    return _SALT.get()


def seeded(seed):
    """A check's own Generator: its fixed `seed`, mixed with the submission's salt when there is one."""
    salt = _SALT.get()
    return np.random.default_rng(seed if salt is None else [salt, seed])


#: Packages of automatic differentiation: not even importable while a4 and a5 are graded (the
#: sandbox hides them: grader.preprocessors.UNAVAILABLE).
AUTODIFF_PACKAGES = ("autograd", "jax", "torch", "tensorflow", "scipy.differentiate", "numdifftools")
#: The rule of a4's and a5's gradient cells (see run_check's `forbidden`): the student's backpropagation,
#: not a library's derivative by automatic, symbolic or numerical differentiation. "*.name" is that name
#: in any installed module (e.g. scipy.optimize._numdiff.approx_derivative). A finite-difference loop
#: written by hand cannot be told from the source; see the checks' large cases.
AUTODIFF = (("dlcourse.gradcheck.numerical_gradient", "dlcourse.gradcheck.check_gradient",
             "scipy.optimize.approx_fprime", "scipy.optimize.check_grad", "numpy.gradient", "*.approx_fprime",
             "*.approx_derivative", "*.check_grad", "*.numerical_gradient", "*.derivative", "*.jacobian",
             "*.hessian"),
            AUTODIFF_PACKAGES + ("dlcourse.gradcheck", "scipy.optimize._numdiff", "sympy", "findiff", "casadi",
                                 "theano", "pytensor", "mxnet", "chainer", "paddle", "mlx"),
            "the gradient must be computed by your own backpropagation; automatic differentiation or finite "
            "differences earn no points for it")


#: How a report says that the notebook's code reaches the recording (grader.grading finds it by these words).
REWRITES = "rewrites code or names while it runs"


class StudentError(Exception):
    """The student's function raised, warned, or returned something unusable."""


@dataclass
class Outcome:
    name: str
    weight: float
    passed: bool
    message: str = ""
    note: str = ""          # said even when the case passed (e.g. a warning that cost nothing)


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
            said = o.note if o.passed else o.message
            lines.append(f"  [{mark}] {o.name}" + (f": {said}" if said else ""))
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def gated(report, prefix):
    """report, where a gradient right in every small case but wrong in the large one (the case whose name
    starts with `prefix`) earns nothing: that is what finite differences give when they skip the large
    case, which they cannot finish within the time limit; backpropagation is right at any size. (A named
    mistake fails small cases too and keeps its partial credit.)"""
    gate = next((o for o in report.outcomes if o.name.startswith(prefix)), None)
    if gate is None or gate.passed or not all(o.passed for o in report.outcomes if o is not gate):
        return report
    for o in report.outcomes:
        if o is not gate:
            o.passed, o.message = False, ("right here, but not at the lecture's size (below): a gradient counts "
                                          "only if it is right at every size, as backpropagation is")
    return report


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

    def __init__(self, names, results=None, arrays=None, cells=(), whole_notebook=True, before=None):
        self.whole_notebook = whole_notebook     # cells are a submitted notebook (not a test's module)
        # the cells run before this check's hidden cell: the functions it recorded are the ones bound
        # there (a later cell that binds the name again does not change what was recorded)
        self.before = list(cells) if before is None else list(before)
        self.students = [Student(self, i, n) for i, n in enumerate(names)]
        self.planning = results is None
        self.calls, self.arrays = [], wire._Arrays()
        self.results, self.recorded_arrays, self.cursor = results, arrays or {}, 0
        self.cells = list(cells)
        self.last = {}              # the record of the latest call (its warning, stderr, "mutated")
        self._uses = {}

    def uses(self, *dotted):
        """The library objects among `dotted` that the student's graded functions (as submitted) use,
        sorted ([] when none): one reading of the notebook for all of them."""
        if dotted not in self._uses:
            found = []
            if self.cells:
                from . import _static
                found = _static.library_use(self.before, [st.__name__ for st in self.students], dotted)
            self._uses[dotted] = found
        return self._uses[dotted]

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
    # no control characters: a newline in an exception's message made lines that looked like the
    # checks' own ("  [ok  ] ...") in the student's feedback and Gradescope output
    return "".join(c if c.isprintable() else " " for c in (x if isinstance(x, str) else "")[:limit])


# What each NumPy floating-point warning means, in the words of the operation that raised it.
_WARNINGS = [
    ("overflow encountered in exp", "exp overflowed: the exp of an argument above about 709 is larger than "
                                    "the largest float64, about 1.8e308, so it became inf"),
    ("overflow encountered", "a result grew past the largest float and became inf"),
    ("divide by zero encountered in log", "log(0) was taken, which is -inf: a probability, or 1 minus one, "
                                          "was exactly 0"),
    ("divide by zero encountered", "a division by zero gave inf"),
    ("invalid value encountered in sqrt", "the square root of a negative number gave NaN"),
    ("invalid value encountered in log", "the log of a negative number gave NaN"),
    ("invalid value encountered", "an operation had no defined result and gave NaN, as inf - inf, inf / inf, "
                                  "0 * inf and 0 / 0 do"),
]
_BOTH_BRANCHES = ("np.where computes both of its branches for every entry before it picks one, so this "
                  "happened in the branch it then discarded")


def explain_warning(res, session=None):
    """One sentence: what the student's call emitted (a warning, or a line on stderr) and why."""
    text = _text(res.get("warning")) if isinstance(res, dict) else ""
    if text:
        why = next((w for key, w in _WARNINGS if key in text), "")
        if why and session is not None and session.uses("numpy.where"):
            why += "; " + _BOTH_BRANCHES
        return f"emitted {text}" + (f" ({why})" if why else "")
    line = _text(res.get("stderr"), 200) if isinstance(res, dict) else ""
    return "wrote to stderr: " + line if line else ""


#: What turns NumPy's or Python's warnings off (or away from stderr): a function that uses one of these
#: cannot be seen to keep "must not overflow or warn" (an attack review's sigmoid overflowed under
#: np.errstate(all="ignore") and earned full marks).
SILENCERS = ("numpy.errstate", "numpy.seterr", "numpy.seterrcall", "warnings.filterwarnings",
             "warnings.simplefilter", "warnings.catch_warnings", "warnings.resetwarnings",
             "contextlib.redirect_stderr")


def _warned(res, session=None, probe=False):
    """Raise StudentError if the call warned or wrote to stderr (for cases whose docstring forbids it),
    or, in a case that probes overflow (`probe`), if the student's function silences warnings, so that
    whether it would have warned cannot be seen: as if it had."""
    said = explain_warning(res, session)
    if said:
        raise StudentError(said)
    if probe and session is not None and not session.planning and session.cells:
        silenced = session.uses(*SILENCERS)
        if silenced:
            raise StudentError(f"silences warnings ({', '.join(silenced)}), so whether it overflows cannot be "
                               "seen: the docstring asks for a formula that does not overflow or warn, and then "
                               "there is nothing to silence")


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


def recorded_call(fn, *args, **kwargs):
    """(value, record) of the student's fn(*args, **kwargs): planned, or replayed from the record.

    Raises StudentError if the function raised or was not run; a warning or stderr line stays
    in the record (record["warning"], record["stderr"]) for the caller to judge.
    """
    s = fn.session
    if s.planning:
        s.plan({"kind": "call", "fn": fn.index, "args": wire.encode(list(args), s.arrays),
                "kwargs": wire.encode(dict(kwargs), s.arrays)})
    res = s.next_result()
    s.last = res
    return s.decode(res.get("value", {"t": "none"})), res


def call_student(fn, *args, **kwargs):
    """The student's result for fn(*args, **kwargs): planned, or replayed from the record.

    Raises StudentError with a readable message if the student's function raised,
    warned, wrote to stderr, or was not run.
    """
    value, res = recorded_call(fn, *args, **kwargs)
    _warned(res, fn.session)
    return value


def changed_arguments(res, readonly):
    """The names of the arguments a call changed in place that it must not have.

    readonly: {argument position: its name}. The record's "mutated" field (written by
    dlcourse.record) lists the positions ("0", "1"...) or names of the arguments a call changed,
    and "params" for an optimizer's steps; a record without it says nothing.
    """
    mutated = res.get("mutated") if isinstance(res, dict) else None
    if not readonly or not isinstance(mutated, list):
        return []
    said = {_text(m, 60) for m in mutated[:20]}
    return [name for i, name in sorted(readonly.items()) if str(i) in said or name in said]


def mutation_message(names):
    """The sentence for arguments changed in place (names as changed_arguments gives them)."""
    which = " and ".join(names)
    return (f"changed {which} in place: the contract asks for a new dict and leaves {which} as "
            f"{'it was' if len(names) == 1 else 'they were'} (a caller that still holds them, to plot a path, "
            "compare or retry a step, would see them change under it)")


def call_steps(fn, params, problem, n, hyper, readonly=False):
    """The parameters after each of n consecutive steps of the student's optimizer (a list of
    dicts); problem = {"a": ..., "c": ..., "scale": ...} defines grad_fn (dlcourse.record.quartic_grad).
    readonly: fail if a step changed the params it was given in place (when the record says so)."""
    s = fn.session
    if s.planning:
        s.plan({"kind": "steps", "fn": fn.index, "params": wire.encode(params, s.arrays),
                "problem": wire.encode(problem, s.arrays), "n": int(n), "hyper": wire.encode(hyper, s.arrays)})
    res = s.next_result()
    s.last = res
    steps = res.get("steps")
    if not isinstance(steps, list) or len(steps) > n:
        raise StudentError("left an unreadable record")
    out = [s.decode(p) for p in steps]
    _warned(res, s)
    if len(out) < n:
        if "value" in res:
            raise StudentError("should return a tuple (params, state) with params a dict")
        raise StudentError("left an unreadable record")
    paths = changed_arguments(res, {0: "params"}) if readonly else []
    if paths:
        raise StudentError(mutation_message(paths))
    return out


def as_array(result, what="result"):
    if isinstance(result, Opaque):
        raise StudentError(f"the {what} should be numeric; got {result.type_name}")
    try:
        arr = np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise StudentError(f"the {what} should be numeric; got {_kind(result)}") from None
    return arr


def _a(what):
    return ("an " if what[:1] in "aeiou" else "a ") + what


def as_scalar(result, what="result"):
    """A number from any scalar form: a Python or NumPy number, a 0-d array or a one-element array
    (UFLDL's MATLAB returns its cost as a 1x1 matrix). Anything else is a StudentError."""
    arr = as_array(result, what)
    if arr.size != 1:
        raise StudentError(f"returned {_a(what)} that is not a single number (an array of shape {arr.shape})")
    return float(arr.reshape(()))


def _pair_result(result):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise StudentError("should return a tuple (cost, grads); it returned " + _kind(result))
    return result


def cost_part(result):
    """The cost of a (cost, grads) result as a float, from any scalar form (a `post` for compare)."""
    return as_scalar(_pair_result(result)[0], "cost")


def grads_part(result):
    """The grads dict of a (cost, grads) result (a `post` for compare)."""
    grads = _pair_result(result)[1]
    if not isinstance(grads, dict):
        raise StudentError("should return grads as a dict with the keys of params, not " + _kind(grads)
                           + " (one gradient array per parameter, each of its parameter's shape)")
    return grads


def _kind(x):
    if isinstance(x, Opaque):
        return x.type_name
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of {len(x)} items"
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    return type(x).__name__


# ---- how close is close enough -----------------------------------------------------------------

#: The default tolerance. No docstring asks for float64, and float32 arithmetic is accurate to about
#: 1e-7 of the quantities it combines (a little worse after long sums and cancellations); every
#: mistake the checks name changes the result by far more. Each entry is compared with
#:     atol + rtol * max(|expected entry|, floor * largest |expected| of the same array),
#: relative where it matters, and against the array's own scale for an entry far below it (a
#: probability of 1e-22 next to 0.7 in a softmax row, a gradient entry that nearly cancels).
RTOL, ATOL, FLOOR = 1e-5, 1e-12, 1e-2
#: Gradients by backpropagation: in float32, sigma' = A (1 - A) loses digits where a unit saturates
#: (1 - 0.999 keeps 4 of float32's 7), so each gradient array is judged against its own largest
#: entry (normwise). Float32 stays below 1e-5 of it; the named mistakes move it by 1e-3 or more.
GRADIENT = {"rtol": 3e-5, "atol": ATOL, "floor": 1.0}


def _allowed(b, rtol, atol, floor):
    finite = np.abs(b[np.isfinite(b)])
    scale = float(finite.max()) if finite.size else 0.0
    return atol + rtol * np.maximum(np.abs(b), floor * scale)


def close(a, b, rtol=RTOL, atol=ATOL, floor=FLOOR):
    """True if arrays (or dicts of arrays) have equal shapes and close values (NaN never matches;
    an infinite entry must be the same infinity)."""
    if isinstance(b, dict):
        return isinstance(a, dict) and set(a) == set(b) and all(close(a[k], b[k], rtol, atol, floor) for k in b)
    if isinstance(a, dict):
        return False
    try:
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):        # a value that is not numbers (e.g. an unrecorded type)
        return False
    if a.shape != b.shape or np.any(np.isnan(a)) or np.any(np.isnan(b)):
        return False
    fa, fb = np.isfinite(a), np.isfinite(b)
    if np.any(fa != fb) or np.any(a[~fa] != b[~fb]):
        return False
    with np.errstate(all="ignore"):
        return bool(np.all(np.abs(a[fa] - b[fb]) <= _allowed(b, rtol, atol, floor)[fb]))


def _pair(x, y):
    """x and y printed with just enough digits to tell them apart."""
    for digits in (6, 8, 10, 12, 14, 17):
        sx, sy = f"{x:.{digits}g}", f"{y:.{digits}g}"
        if sx != sy:
            break
    return sx, sy


def _error(x, y):
    """How far x is from y, relative when y is not 0 (and never with a hidden floor), to one significant
    digit: the right value of a hidden case is never printed, or a resubmission could simply return it
    (an attack that earned 12 of 21 points from a blank notebook measured it)."""
    if y == 0:
        return f"the right value is 0; absolute error {abs(x - y):.0e}"
    r = abs(x - y) / abs(y)
    if r >= 10:                 # "off by 2780218603597343706%" says less than this
        return f"off by about {r:.0e} times the size of the right value"
    return f"off by about {r:.0%}" if r >= 0.01 else f"relative error about {r:.0e}"


def _at(idx):
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def describe(a, b, rtol=RTOL, atol=ATOL, floor=FLOOR, locate=None):
    """One phrase saying how a differs from b, for messages (no code, no reference values in bulk).

    locate: optional function from an index of the array to words ("W[1, 0] after step 3").
    """
    if isinstance(b, dict):
        if not isinstance(a, dict):
            return f"expected a dict with keys {sorted(b)}, got {_kind(a)}"
        if set(a) != set(b):
            missing, extra = sorted(set(b) - set(a)), sorted(set(a) - set(b))
            return "expected keys " + str(sorted(b)) + ", got " + str(sorted(a)) + (
                f" (missing {missing})" if missing and not extra else f" (unexpected {extra})" if not missing else "")
        bad = [k for k in b if not close(a[k], b[k], rtol, atol, floor)]
        return f"wrong values for {', '.join(map(repr, bad))}; in {bad[0]!r}: " + describe(
            a[bad[0]], b[bad[0]], rtol, atol, floor)
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return f"expected numbers, got {_kind(a)}"
    b = np.asarray(b, dtype=np.float64)
    where = locate or _at
    if a.shape != b.shape:
        if b.ndim == 0:
            return f"expected a single number, got an array of shape {a.shape}"
        if a.ndim == 0:
            return f"expected an array of shape {b.shape}, got a single number"
        return f"expected shape {b.shape}, got {a.shape}" + (" (the transpose)" if a.shape == b.shape[::-1] else "")
    for bad, what in ((np.isnan(a), "NaN"), (~np.isfinite(a) & np.isfinite(b), "inf where the right answer is finite")):
        if np.any(bad):
            if a.ndim == 0:
                return f"the result is {what if what == 'NaN' else 'inf where the right answer is finite'}"
            first = tuple(np.argwhere(bad)[0])
            return f"the result contains {what} ({int(bad.sum())} of {a.size} entries; the first at {where(first)})"
    if a.ndim == 0:
        x, y = float(a), float(b)
        sx, _ = _pair(x, y)
        return f"your result {sx} is wrong ({_error(x, y)})"
    with np.errstate(all="ignore"):
        diff = np.where(np.isfinite(b), np.abs(a - b), np.where(a == b, 0.0, np.inf))
        ratio = diff / _allowed(b, rtol, atol, floor)
    idx = np.unravel_index(int(np.argmax(ratio)), a.shape)
    x, y = float(a[idx]), float(b[idx])
    sx, _ = _pair(x, y)
    n_bad = int(np.sum(ratio > 1))
    return f"{n_bad} of {a.size} entries are wrong; the worst, at {where(idx)}, is {sx} ({_error(x, y)})"


@dataclass
class Case:
    """One comparison: `run(student_fn)` returns (student_result, expected); mistakes map a
    sentence to a function giving that mistake's result for the same case; `accept` maps a
    description to a function giving another result that is also right (e.g. Kingma & Ba's
    efficient form of Adam); `explain` (got, expected) -> the message when the result is wrong and no
    mistake matches (instead of `describe`), for results whose error in numbers says nothing (a chosen lam)."""
    name: str
    run: Callable
    weight: float = 1.0
    mistakes: dict = field(default_factory=dict)
    rtol: float = RTOL
    atol: float = ATOL
    on_error: dict = field(default_factory=dict)   # substring of the error or warning -> the diagnosis
    floor: float = FLOOR
    accept: dict = field(default_factory=dict)
    locate: Callable = None
    warnings: str = "note"     # "note": judge the value, explain a warning; "fail": a warning fails the case
    explain: Callable = None


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
    used, rewrites, tricks = [], [], []
    if not session.planning and session.whole_notebook:
        # What a hidden cell records is decided in the student's kernel: a notebook that rewrites
        # code, names or the recorder while it runs (an input transformer, globals(), NumPy or the
        # recorder patched...) can record other values, warnings or changes than its code makes.
        rewrites = _tampering(session.cells)
    if forbidden and not session.planning:
        from . import _static
        names = [f.__name__ for f in fns]
        try:
            used = _static.library_use(session.before, names, *forbidden[:2])
            tricks = _static.dynamic_code(session.before, names)
        except _static.TooComplex:
            used, tricks = [], []
            rewrites = rewrites or ["names are bound through more aliases than the grader reads"]
        if used:
            rewrites = []
    if forbidden and not session.planning and tricks and not used and not rewrites:
        # fails closed: what cannot be read cannot be shown to keep the rule (an attack review reached
        # a library's softmax through getattr on a helper's result with a computed name)
        report.outcomes.append(Outcome("written by hand", sum(c.weight for c in cases), False,
                                       f"your code uses {', '.join(tricks)}, so whether it keeps to the rule '"
                                       + forbidden[2].split(",")[0] + "' cannot be read from it: write it "
                                       "without that to earn these points"))
    elif used:
        report.outcomes.append(Outcome("written by hand", sum(c.weight for c in cases), False,
                                       f"{forbidden[2]} (your function uses {', '.join(used)})"))
    elif rewrites:
        more = f" and {len(rewrites) - 1} more" if len(rewrites) > 1 else ""
        rule = (f", and the rule '{forbidden[2].split(',')[0]}' cannot be checked" if forbidden else "")
        report.outcomes.append(Outcome("trusted recording", sum(c.weight for c in cases), False,
                                       f"your notebook {REWRITES} ({rewrites[0]}{more}), "
                                       "so what the hidden tests record may not be what your code computes"
                                       f"{rule}: remove that code to earn these points"))
    else:
        report.outcomes.extend(_run_case(case, student_fn) for case in cases)
    report.notes.extend(notes)
    return report


@functools.lru_cache(maxsize=8)
def _tampering_of(cells):
    from . import _static
    try:
        return tuple(_static.tampering(list(cells)))
    except RecursionError:
        return ("code nested too deeply for the grader to read",)


def _tampering(cells):
    """_static.tampering, once per notebook (every check of it asks)."""
    try:
        key = tuple(c if isinstance(c, str) else "".join(c) if isinstance(c, (list, tuple)) else "" for c in cells)
    except TypeError:
        return []
    return list(_tampering_of(key))


# ---- the three steps: plan, record, judge ---------------------------------------------------

def plan(check, names, salt=None):
    """The calls `check` needs, as plain data: ({"calls": [...]}, {array name: array})."""
    session = Session(names)
    with salted(salt):
        check(*session.students)
    return {"calls": session.calls}, session.arrays.stored


def judge(check, names, records, arrays, cells=(), whole_notebook=True, before=None, salt=None):
    """The Report of `check` from a submission's recorded results (untrusted plain data).

    whole_notebook: the cells are the submission's (its run-time rewriting is judged too); False
    for run_local, whose "cells" are the test module that defines the functions.
    salt: the one `plan` used for this submission.
    """
    session = Session(names, records if isinstance(records, dict) else {}, arrays, cells, whole_notebook, before)
    with salted(salt):
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


def run_local_report(check, *fns, salt=None):
    """The Report of `check` on plain Python functions, through the real plan/record/judge path
    (salt: as a submission's, see `salted`; None for the checks' fixed draws).

    For tests and for authors trying a check; never for submissions (their code must run
    sandboxed: see grader.sandbox).
    """
    names = [getattr(f, "__name__", f"function_{i}") for i, f in enumerate(fns)]
    calls, arrays_in = _roundtrip(*plan(check, names, salt))
    records, arrays = wire.run_calls(fns, calls["calls"], arrays_in)
    records, arrays = _roundtrip(records, arrays.stored)
    return judge(check, names, records, arrays, _source_cells(fns), whole_notebook=False, salt=salt)


def run_local(check, *fns, quiet=False, salt=None):
    """`run_local_report`, printed (unless quiet); returns the points (a float)."""
    report = run_local_report(check, *fns, salt=salt)
    if not quiet:
        print(report.text())
    return report.score()


def compare(name, student_fn, reference, args, kwargs=None, weight=1.0, mistakes=None, post=None,
            readonly=None, probes_overflow=False, **opts):
    """A Case that calls student and reference on the same (copied) arguments.

    mistakes: {sentence: wrong_function}; each wrong function takes the same arguments.
    post: turns a result into something comparable (e.g. a tuple into one vector); a
    student result it cannot handle is reported as having the wrong form (post may raise
    StudentError with a more precise sentence).
    readonly: {argument position: name} of arguments the contract says are not modified.
    probes_overflow: the inputs are where a formula that is not stable overflows (with warnings="fail"):
    a function that silences warnings fails this case as if it had warned.
    opts: Case options (rtol, atol, floor, on_error, accept, warnings, locate).
    """
    kwargs = kwargs or {}
    strict = opts.get("warnings", "note") == "fail"
    finish = post or (lambda r: r)

    def run(_):
        got, res = recorded_call(student_fn, *args, **kwargs)
        if strict:
            _warned(res, student_fn.session, probe=probes_overflow)
        paths = changed_arguments(res, readonly)
        if paths:
            raise StudentError(mutation_message(paths))
        if post is not None:
            try:
                got = post(got)
            except StudentError:
                raise
            except Exception:
                raise StudentError(f"returned {_kind(got)}, which is not the form the docstring asks for") from None
        expected = finish(reference(*fresh(args), **fresh(kwargs)))
        if not isinstance(got, dict):
            got = as_array(got)
            if np.ndim(expected) == 0 and got.size == 1:      # any scalar form of a number
                got = got.reshape(())
        return got, expected

    wrong = {s: (lambda f=f: finish(f(*fresh(args), **fresh(kwargs)))) for s, f in (mistakes or {}).items()}
    accept = {s: (lambda f=f: finish(f(*fresh(args), **fresh(kwargs)))) for s, f in opts.pop("accept", {}).items()}
    return Case(name, run, weight, wrong, accept=accept, **opts)


def _session(student_fn):
    fns = student_fn if isinstance(student_fn, tuple) else (student_fn,)
    return getattr(fns[0], "session", None)


def _quietly(f):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f()


def _hint(case, text):
    return _sentence(next((h for key, h in case.on_error.items() if key in text), ""))


def _sentence(text):
    """text with a capital first letter, to follow a full stop."""
    return text[:1].upper() + text[1:]


def _run_case(case, student_fn):
    session = _session(student_fn)
    if session is not None:
        session.last = {}
    try:
        got, expected = case.run(student_fn)
    except StudentError as exc:
        hint = _hint(case, str(exc))
        said = str(exc) if str(exc).startswith("expected") else f"your function {exc}"
        return Outcome(case.name, case.weight, False, said + (f". {hint}" if hint else ""))
    warned = explain_warning(session.last, session) if session is not None and case.warnings != "fail" else ""
    opts = (case.rtol, case.atol, case.floor)
    right = close(got, expected, *opts)
    for accepted in ([] if right else case.accept.values()):
        try:
            right = close(got, _quietly(accepted), *opts)
        except Exception:
            continue
        if right:
            break
    if right:
        note = ""
        if warned:
            note = (f"right, but your function {warned}. This costs nothing here (the docstring does not "
                    "forbid warnings)")
            hint = _hint(case, warned)
            note += f". To avoid it: {hint[:1].lower() + hint[1:]}" if hint else ""
        return Outcome(case.name, case.weight, True, note=note)
    matches = []
    for sentence, wrong in case.mistakes.items():
        try:
            if close(got, _quietly(wrong), *opts):
                matches.append(sentence)
        except Exception:  # a mistake model that does not apply to this case
            continue
    if len(matches) > 1:    # e.g. a first step, or a chosen lam, that two mistakes explain alike
        message = "this result fits more than one known mistake: " + "; or ".join(
            f"({i}) {m}" for i, m in enumerate(matches, 1))
    elif matches:
        message = matches[0]
    elif case.explain is not None:
        message = case.explain(got, expected)
    else:
        message = describe(got, expected, *opts, locate=case.locate)
    if warned:
        hint = _hint(case, warned)
        message += f". Your function also {warned}" + (f". {hint}" if hint else "")
    return Outcome(case.name, case.weight, False, message)
