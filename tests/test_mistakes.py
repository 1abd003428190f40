"""Wrong code loses points, and the feedback names the mistake in a sentence.

tests/files/fair/mistakes_aN.py hold wrong implementations as students write them: the slides'
own typos and defaults (the BCE without its y, Adam's beta2 = 0.9999, Adadelta's "gamma around
0.9" and E[theta^2], RMSprop's fixed 0.9 / 0.1), params changed in place (which the notebooks
forbid), and the shape slips (len vs size, the wrong axis, a missing keepdims, mean vs sum).
Each must lose points; the share whose report contains the expected diagnosis is printed and
must be at least 90%. In-place changes are judged from the record's "mutated" field
(dlcourse.record notes the arguments a call changed).

Also here: the notebook corpus (tests/files/make_submissions.py MISTAKES, graded through nbgrader
elsewhere) keeps its points and phrases through run_local; and the messages explain (errors near
zero, warnings, changes in place).
"""
import importlib.util
import json
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grader.assignments import ASSIGNMENTS
from grader.checks import CHECKS, a1, a3
from grader.checks._core import changed_arguments, describe, run_local_report
from grader.reference import optimizers as O
from grader.reference import regularization as R2

HERE = Path(__file__).parent
FILES = HERE / "files"
FAIR = FILES / "fair"
ROOT = HERE.parent
ASSIGNMENT = {"a1": "a1-mle-losses", "a2": "a2-regularization", "a3": "a3-optimizers",
              "a4": "a4-sparse-autoencoder", "a5": "a5-stacked-autoencoder"}


def load(path, name):
    """The module at path, registered in sys.modules (the library rule reads its source)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


ENTRIES = [(ASSIGNMENT[path.stem[-2:]], gid, fns, phrase)
           for path in sorted(FAIR.glob("mistakes_a[1-5].py"))
           for gid, fns, phrase in load(path, f"fair_{path.stem}").MISTAKES]
IDS = [f"{g}-{'+'.join(f.__name__ for f in fns)}" for _, g, fns, _ in ENTRIES]


@pytest.fixture(scope="module")
def reports():
    """Every corpus mistake's Report."""
    return [run_local_report(CHECKS[a][gid][0], *fns) for a, gid, fns, _ in ENTRIES]


@pytest.mark.parametrize("i", range(len(ENTRIES)), ids=IDS)
def test_every_mistake_loses_points(i, reports):
    assignment, grade_id, _, _ = ENTRIES[i]
    assert reports[i].score() < ASSIGNMENTS[assignment][grade_id], reports[i].text()


@pytest.mark.parametrize("salt", (0x5EED, 2**64 - 1))
def test_every_mistake_earns_the_same_and_is_named_on_other_submissions_inputs(salt, reports):
    """The hidden cases' inputs depend on the submission (grader.checks._core.salted): on other draws
    every mistake earns exactly what it earns on the fixed draws (two students with the same mistake get
    the same points: no case may sit at the edge of its tolerance for a mistake), and keeps its name
    as often."""
    named = 0
    for i, (assignment, grade_id, fns, phrase) in enumerate(ENTRIES):
        report = run_local_report(CHECKS[assignment][grade_id][0], *fns, salt=salt)
        assert report.score() == reports[i].score() < ASSIGNMENTS[assignment][grade_id], (
            salt, IDS[i], report.text(), reports[i].text())
        named += phrase in report.text()
    assert named / len(ENTRIES) >= 0.9


def test_mistakes_get_a_named_diagnosis(reports):
    unnamed = [(IDS[i], phrase, reports[i].text()) for i, (_, _, _, phrase) in enumerate(ENTRIES)
               if phrase not in reports[i].text()]
    share = 1 - len(unnamed) / len(ENTRIES)
    print(f"\n{len(ENTRIES) - len(unnamed)} of {len(ENTRIES)} corpus mistakes ({100 * share:.0f}%) get a named "
          "diagnosis" + "".join(f"\n  unnamed: {i} (expected '{p}')\n{t}" for i, p, t in unnamed))
    assert share >= 0.9


def test_the_corpus_covers_every_graded_function():
    for assignment, checks in CHECKS.items():
        for grade_id in checks:
            assert any((a, g) == (assignment, grade_id) for a, g, _, _ in ENTRIES), grade_id


# ---- the notebook corpus keeps its verdicts ---------------------------------------------------------

def _submission_module(assignment, student, cell_id, code):
    """The corpus submission as one module: the setup cell and every answer cell, one of them replaced."""
    make = load(FILES / "make_submissions.py", "corpus_make_submissions")
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    parts = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade_id") == "setup"):
            parts.append(code.strip() + "\n" if meta.get("grade_id") == cell_id else make.solution_code(cell.source))
    return parts


def _corpus():
    make = load(FILES / "make_submissions.py", "corpus_make_submissions")
    return make.MISTAKES


@pytest.mark.parametrize("entry", _corpus(), ids=lambda e: f"{e[1]}/{e[0]}")
def test_the_notebook_corpus_keeps_its_points_and_phrases(entry, tmp_path):
    assignment, student, cell_id, code, _, _ = entry
    from grader.preprocessors import UNAVAILABLE
    if any(f"import {m}" in code or f"from {m}" in code for m in UNAVAILABLE.get(assignment, ())):
        pytest.skip("imports a package the sandbox does not have while this assignment is graded; "
                    "tests/test_nbgrader_pipeline.py grades it there")
    expected = json.loads((FILES / "submissions" / "expected.json").read_text())[f"{student}/{assignment}"]
    path = tmp_path / f"corpus_{student.replace('-', '_')}_{assignment[:2]}.py"
    path.write_text("\n\n".join(_submission_module(assignment, student, cell_id, code)))
    module = load(path, path.stem)
    texts, lost = [], {}
    for grade_id, (check, names) in CHECKS[assignment].items():
        report = run_local_report(check, *[getattr(module, n) for n in names])
        texts.append(report.text())
        if report.score() != ASSIGNMENTS[assignment][grade_id]:
            lost[grade_id] = report.score()
    assert lost == {k: float(v) for k, v in expected["cells"].items()}, "\n".join(texts)
    assert expected["message"] in "\n".join(texts)


# ---- messages that explain -------------------------------------------------------------------------

def test_an_error_near_zero_is_a_true_relative_error():
    """The old message said 'largest relative error 1.9e-10' for 0 where 1.9e-22 was expected."""
    said = describe(np.array([0.0, 0.0]), np.array([1.9e-22, 3e-22]))
    assert "is 0 (off by about 100%)" in said
    assert "your result 3e-05 is wrong (the right value is 0; absolute error 3e-05)" == describe(
        np.array(3e-5), np.array(0.0))
    said = describe(np.array([0.5, 0.2, 0.3]), np.array([0.5, 0.25, 0.25]))
    assert said.startswith("2 of 3 entries are wrong") and "at [1]" in said and "off by about 20%" in said


def test_the_right_value_of_a_hidden_case_is_never_printed():
    """A resubmission that returns the printed value would pass: only the error, to one digit, is said."""
    said = describe(np.array(85.4923), np.array(82.642))
    assert "82.6" not in said and said == "your result 85.4923 is wrong (off by about 3%)"
    said = describe(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.123456]))
    assert "3.12" not in said and "is 3 (off by about 4%)" in said


def test_close_values_are_printed_with_enough_digits_to_differ():
    assert describe(np.array(1000.2001), np.array(1000.2)) == "your result 1000.2001 is wrong (relative error about 1e-07)"


def test_a_trajectory_error_says_where():
    def adam_small_lr(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        return O.adam(params, grad_fn, state, lr * 1.01, beta1, beta2, eps)
    text = run_local_report(a3.check_adam, adam_small_lr).text()
    assert re.search(r"the worst, at W\[\d, \d\] after step 1, is", text), text


def test_errors_many_times_the_right_value_are_said_in_words():
    text = describe(np.array(3e18), np.array(1.5))
    assert "times the size of the right value" in text and "%" not in text, text


def test_an_intercept_and_weights_in_the_wrong_order_are_named():
    from grader.checks import a2

    def ridge_fit_b_first(Phi, y, lam):
        w, b = R2.ridge_fit(Phi, y, lam)
        return b, w
    text = run_local_report(a2.check_ridge_fit, ridge_fit_b_first).text()
    assert "returned (b, w): the order is (w, b)" in text, text


def test_warnings_are_explained():
    text = run_local_report(a1.check_softmax, load(FAIR / "mistakes_a1.py", "fair_mistakes_a1").softmax_naive).text()
    assert "exp overflowed: the exp of an argument above about 709" in text


def test_the_mutated_field_is_read_as_plain_untrusted_data():
    assert changed_arguments({"status": "ok"}, {0: "params"}) == []
    assert changed_arguments({"mutated": ["1"]}, {0: "params", 1: "grads"}) == ["grads"]
    assert changed_arguments({"mutated": ["params"]}, {0: "params"}) == ["params"]
    assert changed_arguments({"mutated": "0"}, {0: "params"}) == []          # malformed: ignored
    assert changed_arguments({"mutated": [{"x": 1}, 0]}, {0: "params"}) == []


def test_in_place_costs_points_only_where_the_contract_forbids_it():
    """Scribbling on an input softmax does not promise to keep costs nothing; a step that changes
    params in place loses its first-step case, named."""

    def meddling_softmax(Z):
        out = np.exp(Z - Z.max(axis=1, keepdims=True))
        out /= out.sum(axis=1, keepdims=True)
        Z[...] = 0.0
        return out
    assert run_local_report(a1.check_softmax, meddling_softmax).score() == 2.0
    mistakes = load(FAIR / "mistakes_a3.py", "fair_mistakes_a3")
    report = run_local_report(a3.check_momentum, mistakes.momentum_in_place)
    assert report.score() == 1.5 and "changed params in place" in report.text()


def test_a_result_two_mistakes_explain_names_both():
    mistakes = load(FAIR / "mistakes_a3.py", "fair_mistakes_a3")
    text = run_local_report(a3.check_rmsprop, mistakes.rmsprop_current).text()
    assert "fits more than one known mistake" in text and "(2)" in text


def test_the_slides_adam_beta2_is_seen_only_at_the_defaults():
    mistakes = load(FAIR / "mistakes_a3.py", "fair_mistakes_a3")
    report = run_local_report(a3.check_adam, mistakes.adam_slides_beta2)
    failed = [o.name for o in report.outcomes if not o.passed]
    assert failed == ["default hyper-parameters, 100 steps"] and "0.9999 is a typo" in report.text()


def test_an_exception_message_cannot_forge_lines_of_the_report():
    """Found by an attack review: a newline in a student's exception made lines that looked like the
    checks' own in the feedback (the score was not changed)."""
    def gaussian_nll(y_hat, y, sigma=1.0):
        raise ValueError("x\n  [ok  ] shape (7,), sigma 1.0\ngaussian_nll: 2 / 2 points")
    text = run_local_report(a1.check_gaussian_nll, gaussian_nll).text()
    lines = text.splitlines()
    assert not any(line.lstrip().startswith("[ok") or line.startswith("gaussian_nll: 2 / 2") for line in lines), text
    assert lines[0].startswith("gaussian_nll: 0 / 2")
