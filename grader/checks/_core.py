"""The machinery every check shares.

A check is a list of *cases*. Each case calls the student's function on fresh
copies of seeded inputs and compares the result with the reference; when the
result is wrong it also compares with known wrong variants ("mistakes") and, if
one matches, says which mistake it is in one sentence.

Rules this module enforces, because nbgrader and a shared kernel make them matter:
- The student's code gets private copies of every input, and the check's random
  numbers come from its own seeded Generator, so nothing the student's code does
  to NumPy's global state or to the arrays can change the verdict.
- Warnings and anything written to stderr during the student's call are captured:
  nbgrader scores a cell 0 if it writes to stderr, so a NumPy overflow warning
  becomes part of the verdict and the message instead.
- The cell's value is a Python float between 0 and the cell's points:
  `np.float64(1.5)` would print as "np.float64(1.5)", which nbgrader cannot parse
  and silently treats as full credit.
- Nothing of the reference or the hidden tests is printed: messages describe
  behaviour ("for logits of 1000 your softmax returned nan"), never code.
"""
import contextlib
import copy
import io
import os
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

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


def _is_ours(filename):
    """Frames from the grader package are never shown to students."""
    return os.path.abspath(filename).startswith(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def call_student(fn, *args, **kwargs):
    """Call the student's function on private copies of its arguments.

    Returns its result. Raises StudentError with a readable message if it raised,
    emitted a warning, or wrote to stderr.
    """
    args, kwargs = fresh(args), fresh(kwargs)
    err = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(err), \
            contextlib.redirect_stdout(io.StringIO()), np.errstate(all="warn", under="ignore"):
        warnings.simplefilter("always")
        try:
            result = fn(*args, **kwargs)
        except NotImplementedError:
            raise StudentError("not implemented yet (it raises NotImplementedError)") from None
        except Exception as exc:  # the student's own error, shown with their own line only
            own = [f for f in traceback.extract_tb(exc.__traceback__) if not _is_ours(f.filename)]
            where = f" (line {own[-1].lineno}: {own[-1].line})" if own and own[-1].line else ""
            raise StudentError(f"raised {type(exc).__name__}: {exc}{where}") from None
    if caught:
        w = caught[0]
        raise StudentError(f"emitted {w.category.__name__}: {w.message}")
    if err.getvalue().strip():
        raise StudentError("wrote to stderr: " + err.getvalue().strip().splitlines()[-1][:200])
    return result


def as_array(result, what="result"):
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
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
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
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
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


def library_use(fn, objects=(), modules=(), _seen=None):
    """Names of forbidden library functions or modules that `fn` uses, or [].

    objects: {description: callable}, e.g. {"scipy.special.softmax": scipy.special.softmax};
    modules: module name prefixes, e.g. ("autograd", "jax", "torch").
    Looks at every name the function's code (and code nested in it) refers to, resolved
    through its globals and its closure, and follows the student's own helper functions,
    so `from scipy.special import softmax as sm` and a helper that calls autograd are found.
    """
    import types

    _seen = set() if _seen is None else _seen
    if id(fn) in _seen or not isinstance(fn, types.FunctionType):
        return []
    _seen.add(id(fn))
    names, stack = set(), [fn.__code__]
    while stack:
        code = stack.pop()
        names.update(code.co_names)
        stack.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    scope = dict(fn.__globals__)
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            scope[name] = cell.cell_contents
        except ValueError:      # an empty cell
            pass
    names |= set(fn.__code__.co_freevars)

    def forbidden_module(obj):
        mod = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)
        return isinstance(mod, str) and any(mod == m or mod.startswith(m + ".") for m in modules)

    found = []
    for desc in objects:                      # imports inside the function: "from scipy.special import softmax"
        module, attr = desc.rsplit(".", 1)
        if module in names and attr in names:
            found.append(desc)
    found += [m for m in modules if any(n == m or n.startswith(m + ".") for n in names)]
    for name in names:
        obj = scope.get(name)
        if obj is None:
            continue
        for desc, target in objects.items():
            if obj is target or (isinstance(obj, types.ModuleType) and desc.startswith(obj.__name__ + ".")
                                 and desc.rsplit(".", 1)[1] in names):
                found.append(desc)
        if forbidden_module(obj):
            found.append((obj.__name__ if isinstance(obj, types.ModuleType) else obj.__module__).split(".")[0])
        elif isinstance(obj, types.FunctionType) and obj.__module__ == fn.__module__ \
                and not _is_ours(obj.__code__.co_filename):
            found += library_use(obj, objects, modules, _seen)      # the student's own helpers (same module)
    return sorted(set(found))


def run_check(assignment, grade_id, title, student_fn, cases, forbidden=None, notes=()):
    """Run the cases, print the report, return the points as a plain float (the cell's value).

    forbidden: optional (objects, modules, sentence): if the student's function uses one of
    them for the part the assignment asks to write by hand, every case fails with `sentence`.
    """
    report = Report(title, declared_points(assignment, grade_id))
    fns = student_fn if isinstance(student_fn, tuple) else (student_fn,)
    not_callable = [f for f in fns if not callable(f)]
    if not_callable:
        report.outcomes.append(Outcome("is a function", 1.0, False,
                                       f"expected a function, got {type(not_callable[0]).__name__}"))
    else:
        used = sorted({u for f in fns for u in library_use(f, *forbidden[:2])}) if forbidden else []
        if used:
            report.outcomes.append(Outcome("written by hand", sum(c.weight for c in cases), False,
                                           f"{forbidden[2]} (your function uses {', '.join(used)})"))
        else:
            report.outcomes.extend(_run_case(case, student_fn) for case in cases)
    report.notes.extend(notes)
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
        return Outcome(case.name, case.weight, False, f"your function {exc}" + (f". {hint}" if hint else ""))
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
