"""dlcourse.record, the one thing a hidden cell runs: what it records cannot be changed by patching
a module after it was imported (the second line of defence behind the grader's reading of the
source, grader.checks._static.tampering)."""
import copy
import json
import subprocess
import sys
import textwrap

import numpy as np


def test_patching_the_recorder_or_numpy_after_import_changes_nothing_it_records(tmp_path):
    """In a fresh Python, as a kernel: a function that changes its argument in place and warns is
    recorded as such, though the recorder's own helpers and NumPy's and copy's functions it uses were
    patched to hide both (the attacks an attack review made)."""
    inputs, records = tmp_path / "inputs", tmp_path / "records"
    inputs.mkdir()
    records.mkdir()
    code = textwrap.dedent(f"""
        import os, warnings, copy
        os.environ["DLCOURSE_INPUT_DIR"], os.environ["DLCOURSE_RECORD_DIR"] = {str(inputs)!r}, {str(records)!r}
        import numpy as np
        import dlcourse.record as R
        from dlcourse.record import record

        arrays = R._Arrays()
        R.write(os.path.join({str(inputs)!r}, "test_x"),
                {{"calls": [{{"kind": "call", "fn": 0, "args": R.encode([np.ones(3)], arrays), "kwargs": R.encode({{}}, arrays)}}]}},
                arrays)

        def f(x):
            x *= 2                                         # in place
            return np.exp(np.array([1000.0]))               # overflows: a RuntimeWarning

        _call = R.call
        def quiet(fn, a, k):
            out, v = _call(fn, a, k)
            out.pop("warning", None)
            out.pop("mutated", None)
            return out, v
        R.call = quiet
        R._same = lambda a, b: True
        np.array_equal = lambda *a, **k: True
        copy.deepcopy = lambda x, memo=None: x
        warnings.catch_warnings = None
        record("test_x", f)
    """)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    doc = json.loads((records / "test_x.json").read_text())
    [result] = doc["calls"]
    assert result["status"] == "ok" and result["mutated"] == ["0"], result
    assert "overflow" in result["warning"], result


def test_the_sealed_recorder_records_what_the_plain_one_would(tmp_path, monkeypatch):
    from dlcourse import record as R

    arrays = R._Arrays()
    plan = {"calls": [{"kind": "call", "fn": 0, "args": R.encode([np.arange(4.0)], arrays),
                       "kwargs": R.encode({}, arrays)}]}
    got, got_arrays = R.run_calls((lambda x: x[::-1] * 2,), plan["calls"], dict(arrays.stored))
    assert got["calls"][0]["status"] == "ok" and "mutated" not in got["calls"][0]
    value = R.decode_inputs(got["calls"][0]["value"], got_arrays.stored)
    np.testing.assert_array_equal(value, [6.0, 4.0, 2.0, 0.0])
    assert copy.deepcopy is not None and R.record.__globals__ is not vars(R)     # the copy, not the module


def test_the_grader_takes_only_plain_readable_record_files(tmp_path):
    """What a kernel leaves in its records folder is read by the grader only if it is a plain file of
    bounded size, and its arrays without pickle. (Through real grading an attack made these files by
    patching the recorder's writer; the sealed recorder no longer lets it, so they are made here.)"""
    import os

    from grader.preprocessors import load_record, take_record

    def attempt(make):
        for p in tmp_path.iterdir():
            if p.is_dir() and not p.is_symlink():
                import shutil
                shutil.rmtree(p)
            else:
                p.unlink()
        (tmp_path / "t.npz").write_bytes(b"")
        make(tmp_path / "t.json")
        try:
            return load_record(take_record(tmp_path, "t"))
        except ValueError as exc:
            return str(exc)

    assert "not a plain file" in attempt(lambda j: os.symlink("/etc/passwd", j))
    assert "not a plain file" in attempt(lambda j: os.mkfifo(j))
    assert "not a plain file" in attempt(lambda j: os.mkdir(j))

    def pickled(j):
        j.write_text(json.dumps({"calls": [{"status": "ok", "value": {"t": "array", "k": "a0"}}]}))
        np.savez(tmp_path / "t.npz", a0=np.array([{"evil": 1}, None], dtype=object))
    assert attempt(pickled) == "the record's arrays are not readable"
    assert not list(tmp_path.iterdir())               # taken: nothing is left for the next cell
