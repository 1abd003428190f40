"""dlcourse.record, the one thing a hidden cell runs: what it records cannot be changed by patching
a module after it was imported (the second line of defence behind the grader's reading of the
source, grader.checks._static.tampering)."""
import copy
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
    from grader.preprocessors import RecordPipe, load_record

    pipe = RecordPipe(records / "test_x")            # as the grader opens it while the hidden cell runs
    try:
        subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
        doc, _ = load_record(pipe.take(ended=True))
    finally:
        pipe.close()
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


def test_the_grader_takes_one_whole_record_message_from_its_pipe_and_nothing_else(tmp_path):
    """A hidden cell's record comes through a pipe the grader reads while the cell runs: it is taken
    only as exactly one whole message from a cell that ran to its end. What else writes into the pipe
    spoils the record (an attack review's thread rewrote record files after the recorder wrote them)."""
    import os

    from dlcourse import record as R
    from grader.preprocessors import RecordPipe, load_record

    arrays = R._Arrays()
    doc = {"calls": [{"status": "ok", "value": R.encode(np.arange(3.0), arrays)}]}
    clean = R.message(doc, arrays)

    def attempt(*writes, ended=True, send=False):
        pipe = RecordPipe(tmp_path / "t")
        try:
            assert oct(os.stat(tmp_path / "t").st_mode & 0o777) == "0o622"      # the kernel: write only
            if send:
                assert R.send(str(tmp_path / "t"), *send)
            for data in writes:
                fd = os.open(tmp_path / "t", os.O_WRONLY)
                os.write(fd, data)
                os.close(fd)
            raw = pipe.take(ended)
        finally:
            pipe.close()
        assert not (tmp_path / "t").exists()              # nothing left for the next cell
        try:
            return load_record(raw)
        except ValueError as exc:
            return str(exc)

    got, got_arrays = attempt(clean)
    assert got == doc and np.array_equal(got_arrays["a0"], np.arange(3.0))
    big = R._Arrays()
    big_doc = {"calls": [{"status": "ok", "value": R.encode(np.ones((1000, 1000)), big)}]}   # 8 MB: >> the pipe's buffer
    got, got_arrays = attempt(send=(big_doc, big))
    assert got == big_doc and got_arrays["a0"].shape == (1000, 1000)
    spoiled = "not one whole message"
    assert spoiled in attempt(clean, clean)                # a forger's message beside the recorder's
    assert spoiled in attempt(clean + b"x")
    assert spoiled in attempt(b"x" + clean)
    assert spoiled in attempt(clean[:-1])
    assert spoiled in attempt(b"DLREC1 -1 5\nabcd")
    assert attempt() == "nothing was recorded"
    assert attempt(clean, ended=False) == "the hidden test cell did not run to its end"
    pickled = R._Arrays({"a0": np.array([{"evil": 1}, None], dtype=object)})
    assert attempt(R.message(doc, pickled)) == "the record's arrays are not readable"
    assert not R.send(str(tmp_path / "t"), doc, arrays)   # no grader reading: said, not hung
