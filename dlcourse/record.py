"""What a hidden test cell does while your notebook is graded: it records, it does not judge.

A hidden test cell holds one line, for example::

    record("test_softmax", softmax)

When the grader runs your notebook it first writes, for each graded cell, the inputs its
checks need (plain data: JSON and arrays). `record` calls your functions on those
inputs and writes down what they returned (or which error or warning they raised), as
plain data again. The verdict, the points and the feedback are then worked out by the
grader in its own process, from those records and the course's reference code, none of
which is ever in your notebook's kernel. Outside grading (when you run the notebook
yourself) `record` only says so.

Nothing here is secret or graded: this file is the whole of what a hidden cell runs.

The data format (shared with the grader, which reads it without trusting it):
- inputs/<grade_id>.json: {"calls": [call, ...]} with arrays in inputs/<grade_id>.npz.
  A call is {"kind": "call", "fn": i, "args": [...], "kwargs": {...}}: run your i-th
  function once; or {"kind": "steps", "fn": i, "params": ..., "problem": ..., "n": n,
  "hyper": {...}}: run your optimizer step n times on a small problem, feeding back the
  state it returns.
- records/<grade_id>: a pipe (FIFO) the grader opens for the cell while it runs, and reads as it
  is written; `record` writes one message into it: the line "DLREC1 <n> <m>", then the records
  document (n bytes of JSON) and its arrays (m bytes of .npz). The grader takes the cell's record only
  if exactly one whole message arrived and the cell ran to its end: anything else that writes into
  the pipe (a process the notebook left running, say) spoils the record instead of replacing it.
  The document is {"calls": [result, ...]}, one result per call:
  {"status": "ok", "value": ...} or {"status": "error", "error": ..., "where": ...},
  with "warning" and "stderr" when your function warned or wrote to stderr, and
  "mutated" (the positions or names of the arguments) when it changed its inputs in place.
- Values are tagged: {"t": "array", "k": name in the .npz}, {"t": "float", "v": ...},
  {"t": "dict", "v": {...}}, {"t": "tuple" | "list", "v": [...]}, {"t": "other", "type": ...}.
"""
import contextlib
import copy
import io
import json
import os
import traceback
import warnings

import numpy as np

INPUT_DIR = "DLCOURSE_INPUT_DIR"      # set by the grader in the kernel's environment
RECORD_DIR = "DLCOURSE_RECORD_DIR"

MAX_ITEMS = 10_000          # longest list or dict recorded; deeper or longer values are cut
MAX_DEPTH = 8
MAX_TEXT = 300


# ---- values <-> plain data -------------------------------------------------------------------

class _Arrays:
    """Collects the arrays of one JSON document under short names, for one .npz file."""

    def __init__(self, stored=None):
        self.stored = {} if stored is None else stored

    def add(self, arr):
        key = f"a{len(self.stored)}"
        self.stored[key] = arr
        return key


def encode(value, arrays, depth=0):
    """A JSON-ready description of `value`; arrays go into `arrays` (never pickled)."""
    if depth > MAX_DEPTH:
        return {"t": "other", "type": "too deeply nested"}
    if value is None:
        return {"t": "none"}
    if isinstance(value, (bool, np.bool_)):
        return {"t": "bool", "v": bool(value)}
    if isinstance(value, (int, np.integer)):
        return {"t": "int", "v": str(int(value))}          # as text: any size survives JSON
    if isinstance(value, (float, np.floating)):
        return {"t": "float", "v": repr(float(value)), "dtype": np.asarray(value).dtype.str}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            return {"t": "other", "type": f"ndarray of {value.dtype}"}
        return {"t": "array", "k": arrays.add(np.array(value, order="C"))}   # keeps 0-d arrays 0-d
    if isinstance(value, str):
        return {"t": "str", "v": value[:MAX_TEXT]}
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_ITEMS:
            return {"t": "other", "type": f"{type(value).__name__} of {len(value)} items"}
        return {"t": "tuple" if isinstance(value, tuple) else "list",
                "v": [encode(v, arrays, depth + 1) for v in value]}
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS or not all(isinstance(k, str) for k in value):
            return {"t": "other", "type": "dict (keys must be strings)"}
        return {"t": "dict", "v": {k: encode(v, arrays, depth + 1) for k, v in value.items()}}
    return {"t": "other", "type": type(value).__name__[:MAX_TEXT]}


def decode_inputs(doc, arrays):
    """The inputs the grader wrote (trusted data: only the grader writes the inputs folder)."""
    t = doc["t"]
    if t == "array":
        return np.array(arrays[doc["k"]])
    if t == "float":
        return float(doc["v"])
    if t == "int":
        return int(doc["v"])
    if t in ("list", "tuple"):
        items = [decode_inputs(v, arrays) for v in doc["v"]]
        return items if t == "list" else tuple(items)
    if t == "dict":
        return {k: decode_inputs(v, arrays) for k, v in doc["v"].items()}
    return {"none": None, "bool": doc.get("v"), "str": doc.get("v")}[t]


def write(path_stem, doc, arrays):
    """doc as path_stem.json and its arrays as path_stem.npz (always both)."""
    np.savez(path_stem + ".npz", **arrays.stored)
    with open(path_stem + ".json", "w", encoding="utf-8") as f:
        json.dump(doc, f)


MAGIC = b"DLREC1"


def message(doc, arrays):
    """doc and its arrays as one record message (see the module's docstring)."""
    buf = io.BytesIO()
    np.savez(buf, **arrays.stored)
    body, npz = json.dumps(doc).encode("utf-8"), buf.getvalue()
    return MAGIC + b" %d %d\n" % (len(body), len(npz)) + body + npz


def send(path, doc, arrays):
    """Write the record message into the grader's pipe at `path`; False if no grader reads it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)     # fails at once when no one reads the pipe
    except OSError:
        return False
    try:
        os.set_blocking(fd, True)                           # then waits while the grader reads
        data = memoryview(message(doc, arrays))
        while data:
            data = data[os.write(fd, data):]
    finally:
        os.close(fd)
    return True


# ---- running the student's functions --------------------------------------------------------------

def quartic_grad(a, c, scale):
    """grad_fn of f(p) = scale * sum(a (p - c)^2 / 2 + 0.1 (p - c)^4 / 4): the optimizers' test problem."""
    def grad_fn(p):
        return {k: scale * (a[k] * (p[k] - c[k]) + 0.1 * (p[k] - c[k]) ** 3) for k in p}
    return grad_fn


def _own_line(exc):
    """The last line of the traceback that is the student's (not this file's)."""
    here = os.path.abspath(__file__)
    own = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) != here]
    return f"line {own[-1].lineno}: {own[-1].line}"[:MAX_TEXT] if own and own[-1].line else ""


def call(fn, args, kwargs):
    """Call fn on private copies; returns (status dict, value). Warnings and stderr are noted, not shown."""
    err = io.StringIO()
    out = {"status": "ok"}
    value = None
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(err), \
            contextlib.redirect_stdout(io.StringIO()), np.errstate(all="warn", under="ignore"):
        warnings.simplefilter("always")
        try:
            args, kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)   # a state that cannot be copied fails here
            before = copy.deepcopy((args, kwargs))
            value = fn(*args, **kwargs)
            changed = [str(i) for i, (a, b) in enumerate(zip(before[0], args)) if not _same(a, b)]
            changed += [k for k in kwargs if not _same(before[1][k], kwargs[k])]
            if changed:
                out["mutated"] = changed        # which arguments the function changed in place
        except NotImplementedError:
            out = {"status": "error", "error": "NotImplementedError", "message": ""}
        except Exception as exc:      # the student's own error: its type, message and line
            out = {"status": "error", "error": type(exc).__name__[:MAX_TEXT],
                   "message": str(exc)[:MAX_TEXT], "where": _own_line(exc)}
    if caught:
        out["warning"] = f"{caught[0].category.__name__}: {caught[0].message}"[:MAX_TEXT]
    if err.getvalue().strip():
        out["stderr"] = err.getvalue().strip().splitlines()[-1][:MAX_TEXT]
    return out, value


def _same(a, b):
    """Equal contents (arrays, numbers, and dicts, lists and tuples of them); other objects count as equal."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape \
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f" and b.dtype.kind == "f"))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float, np.number)):
        return isinstance(b, (int, float, np.number)) and (a == b or (a != a and b != b))
    return True


def run_calls(fns, calls, arrays_in):
    """Run every planned call; returns the records document and its arrays."""
    arrays = _Arrays()
    results = []
    for spec in calls:
        fn = fns[spec["fn"]]
        if not callable(fn):
            results.append({"status": "not callable", "type": type(fn).__name__[:MAX_TEXT]})
            continue
        if spec["kind"] == "call":
            args = decode_inputs(spec["args"], arrays_in)
            kwargs = decode_inputs(spec["kwargs"], arrays_in)
            res, value = call(fn, args, kwargs)
            if res["status"] == "ok":
                res["value"] = encode(value, arrays)
            results.append(res)
        elif spec["kind"] == "steps":
            results.append(_run_steps(fn, spec, arrays_in, arrays))
    return {"calls": results}, arrays


def _run_steps(step, spec, arrays_in, arrays):
    """n consecutive optimizer steps; the state stays here, the parameters after each step are recorded."""
    params = decode_inputs(spec["params"], arrays_in)
    prob = decode_inputs(spec["problem"], arrays_in)
    grad_fn = quartic_grad(prob["a"], prob["c"], prob["scale"])
    hyper = decode_inputs(spec["hyper"], arrays_in)
    state, steps, mutated = None, [], {}
    for _ in range(spec["n"]):
        res, value = call(lambda p, s: step(p, grad_fn, s, **hyper), (params, state), {})
        if "0" in res.pop("mutated", []):      # params changed in place (changing its own state is fine)
            mutated = {"mutated": ["params"]}
        res.update(mutated)
        if res["status"] != "ok":
            return {**res, "steps": steps}
        if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], dict)):
            return {"status": "ok", "steps": steps, "value": encode(value, arrays)}
        params, state = value
        steps.append(encode(params, arrays))
        if "warning" in res or "stderr" in res:
            return {**res, "steps": steps}
    return {"status": "ok", "steps": steps, **mutated}


def record(grade_id, *fns):
    """Record what `fns` return on the grader's inputs for the graded cell `grade_id`."""
    inputs, records = os.environ.get(INPUT_DIR), os.environ.get(RECORD_DIR)
    stem = os.path.join(inputs or "", grade_id)
    if not (inputs and records and os.path.isfile(stem + ".json")):
        print("The hidden tests of this cell run when your work is graded.")
        return
    with open(stem + ".json", encoding="utf-8") as f:
        plan = json.load(f)
    with np.load(stem + ".npz", allow_pickle=False) as z:
        arrays_in = {k: z[k] for k in z.files}
    doc, arrays = run_calls(fns, plan["calls"], arrays_in)
    if not send(os.path.join(records, grade_id), doc, arrays):
        print("The grader was not listening: nothing was recorded.")


# ---- sealed: what `record` runs cannot be changed by patching a module ---------------------------------
#
# A notebook runs in the same process as this file, and could patch what the recorder calls: this
# module's own functions (dlcourse.record.call = ...) or the libraries' (np.array_equal = ...), to hide
# a warning or a change in place. The grader reads the submitted source for such code; as a second
# line, `record` and everything it calls are copies bound, when this file is imported (before any
# cell of the notebook runs), to the functions and classes they use as they are then. Patching a
# module's attribute afterwards changes nothing `record` does.

def _frozen(module):
    """A namespace holding `module`'s public attributes as they are now."""
    import types

    names = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in dir(module):
            if not name.startswith("__"):
                try:
                    names[name] = getattr(module, name)
                except Exception:
                    pass
    return types.SimpleNamespace(**names)


def _seal():
    import types

    here = globals()
    own = {"__name__": __name__, "__file__": __file__, "__builtins__": here["__builtins__"]}
    for name, value in list(here.items()):
        if name.startswith("__") or name in ("_frozen", "_seal"):
            continue
        own[name] = value
    frozen_os = _frozen(os)
    frozen_os.path = _frozen(os.path)
    for name, module in (("np", np), ("json", json), ("copy", copy), ("io", io), ("contextlib", contextlib),
                         ("traceback", traceback), ("warnings", warnings), ("os", None)):
        own[name] = frozen_os if module is None else _frozen(module)
    for name, value in list(own.items()):
        if isinstance(value, types.FunctionType) and value.__module__ == __name__:
            own[name] = types.FunctionType(value.__code__, own, value.__name__, value.__defaults__,
                                           value.__closure__)
    return own["record"]


record = _seal()
