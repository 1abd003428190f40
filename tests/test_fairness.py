"""Correct code earns full marks, however it is written.

tests/files/fair/aN_*.py hold, for every graded function, several correct implementations that
differ from the reference the way students' do: other stable formulas, library helpers that are
allowed (logsumexp, expit, logaddexp...), einsum or loops, other update orders and state forms,
float32 intermediates, every scalar form of a number (float, np.float32, 0-d and one-element
arrays), Kingma & Ba's efficient Adam. Each goes through run_local (plan, record, judge) with the
module as the "notebook" the library rule reads; the recorder notes arguments changed in place,
and nothing here changes one that the contract protects.
"""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from grader.assignments import ASSIGNMENTS
from grader.checks import CHECKS, a1, a3
from grader.checks._core import run_local_report

FAIR = Path(__file__).parent / "files" / "fair"
ASSIGNMENT = {"a1": "a1-mle-losses", "a2": "a2-regularization", "a3": "a3-optimizers",
              "a4": "a4-sparse-autoencoder", "a5": "a5-stacked-autoencoder"}


def load(stem):
    """A module of tests/files/fair, registered in sys.modules (the library rule reads its source)."""
    name = f"fair_{stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, FAIR / f"{stem}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


ENTRIES = [(ASSIGNMENT[path.stem[:2]], gid, fns)
           for path in sorted(FAIR.glob("a[1-5]_*.py")) for gid, fns in load(path.stem).FAIR]


@pytest.mark.parametrize("assignment, grade_id, fns", ENTRIES,
                         ids=[f"{g}-{'+'.join(f.__name__ for f in fns)}" for _, g, fns in ENTRIES])
def test_correct_code_earns_full_marks(assignment, grade_id, fns):
    check = CHECKS[assignment][grade_id][0]
    report = run_local_report(check, *fns)
    assert report.score() == ASSIGNMENTS[assignment][grade_id], report.text()
    assert "FAIL" not in report.text()


#: Salts as a grading run draws them (grader.preprocessors.submission_salt): each submission's hidden
#: cases get inputs of their own, and every correct implementation must earn full marks on any draw.
#: (Measured when the salt came in: 0 failures in 30 salts x 184 implementations.)
SALTS = (0x5EED, 2**63 + 12345, 9_007_199_254_740_993)


@pytest.mark.parametrize("salt", SALTS)
@pytest.mark.parametrize("assignment, grade_id, fns", ENTRIES,
                         ids=[f"{g}-{'+'.join(f.__name__ for f in fns)}" for _, g, fns in ENTRIES])
def test_correct_code_earns_full_marks_on_any_submissions_inputs(assignment, grade_id, fns, salt):
    report = run_local_report(CHECKS[assignment][grade_id][0], *fns, salt=salt)
    assert report.score() == ASSIGNMENTS[assignment][grade_id], report.text()
    assert "FAIL" not in report.text()


def test_every_graded_function_has_three_fair_implementations():
    for assignment, checks in CHECKS.items():
        for grade_id in checks:
            n = sum(1 for a, g, _ in ENTRIES if (a, g) == (assignment, grade_id))
            assert n >= 3, f"{assignment} {grade_id}: only {n} fair implementations"


def test_the_library_rule_reads_the_fair_modules():
    """The corpus is judged on its source: a log_softmax from scipy in the same place earns nothing,
    while the student's own softmax with scipy's logsumexp (fair) earns everything."""
    report = run_local_report(a1.check_softmax_cross_entropy, ce_with_library_log_softmax)
    assert report.score() == 0.0 and "library's softmax" in report.text()
    fair = load("a1_losses")
    assert run_local_report(a1.check_softmax_cross_entropy, fair.softmax_cross_entropy_own_softmax).score() == 3.0


def ce_with_library_log_softmax(Z, y):
    from scipy.special import log_softmax
    return -np.mean(log_softmax(Z, axis=1)[np.arange(len(y)), y])


def test_a_discarded_np_where_branch_costs_nothing_and_is_explained():
    report = run_local_report(a1.check_bce_with_logits, load("a1_losses").bce_logits_where)
    text = report.text()
    assert report.score() == 3.0
    assert "np.where computes both of its branches" in text and "costs nothing" in text


def sigmoid_through_where(z):
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


def test_warnings_still_fail_where_the_docstring_forbids_them():
    """sigmoid: "must not overflow or warn". The same np.where trick loses the +-1000 case, explained."""
    report = run_local_report(a1.check_sigmoid, sigmoid_through_where)
    assert 0 < report.score() < 2.0 and "np.where computes both of its branches" in report.text()


def test_kingma_and_ba_efficient_adam_and_float32_adam_are_right():
    fair = load("a3_optimizers")
    for step in (fair.adam_efficient, fair.adam_efficient_exact, fair.adam_float32):
        assert run_local_report(a3.check_adam, step).score() == 3.0


def test_scalar_forms_are_all_accepted():
    """A float promised by the docstring may come as any numeric scalar form."""
    from grader.reference import losses as R
    forms = [float, np.float64, np.float32, np.asarray, lambda v: np.array([v]), lambda v: np.array([[v]])]
    for form in forms:
        def mse(y_hat, y, form=form):
            return form(R.mean_squared_error(y_hat, y))
        half = R.half_sum_squared_error
        assert run_local_report(a1.check_mse, half, mse).score() == 2.0, form
