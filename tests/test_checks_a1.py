"""The a1 checks: the reference earns full marks, known mistakes earn less and are named,
and the score is always a plain float nbgrader can parse."""
import numpy as np
import pytest

from grader.assignments import ASSIGNMENTS
from grader.checks import a1
from grader.checks._core import run_local
from grader.reference import losses as R

POINTS = ASSIGNMENTS["a1-mle-losses"]


def run(check, *fns, capsys):
    score = run_local(check, *fns)
    return score, capsys.readouterr().out


@pytest.mark.parametrize("check, fns, grade_id", [
    (a1.check_gaussian_nll, (R.gaussian_nll,), "test_gaussian_nll"),
    (a1.check_mse, (R.half_sum_squared_error, R.mean_squared_error), "test_mse"),
    (a1.check_sigmoid, (R.sigmoid,), "test_sigmoid"),
    (a1.check_binary_cross_entropy, (R.binary_cross_entropy,), "test_binary_cross_entropy"),
    (a1.check_bce_with_logits, (R.binary_cross_entropy_with_logits,), "test_bce_with_logits"),
    (a1.check_softmax, (R.softmax,), "test_softmax"),
    (a1.check_softmax_cross_entropy, (R.softmax_cross_entropy,), "test_softmax_cross_entropy"),
    (a1.check_softmax_cross_entropy_grad, (R.softmax_cross_entropy_grad,), "test_softmax_cross_entropy_grad"),
])
def test_reference_gets_full_marks_as_a_plain_float(check, fns, grade_id, capsys):
    score, out = run(check, *fns, capsys=capsys)
    assert type(score) is float and repr(score) == str(float(POINTS[grade_id]))
    assert "FAIL" not in out


def naive_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def slides_bce(p, y):
    return -np.mean(np.log(p) + (1 - y) * np.log(1 - p))


def naive_softmax(Z):
    return np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)


def column_softmax(Z):
    Z = Z - Z.max(axis=0, keepdims=True)
    return np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True)


def ce_over_classes(Z, y):
    return R.softmax_cross_entropy(Z, y) / Z.shape[1]


def grad_no_m(Z, y):
    P = R.softmax(Z)
    P[np.arange(len(y)), y] -= 1
    return P


def library_softmax(Z):
    from scipy.special import softmax as sm
    return sm(Z, axis=1)


def not_done(*a):
    raise NotImplementedError


@pytest.mark.parametrize("check, fn, expect_points, expect_text", [
    (a1.check_sigmoid, naive_sigmoid, None, "exp only ever sees arguments <= 0"),
    (a1.check_binary_cross_entropy, slides_bce, None, "missing its factor y"),
    (a1.check_softmax, naive_softmax, None, "subtract each row's maximum"),
    (a1.check_softmax, column_softmax, None, "normalised over columns"),
    (a1.check_softmax, library_softmax, 0.0, "library's softmax earns no points"),
    (a1.check_softmax_cross_entropy, ce_over_classes, None, "averaged over classes"),
    (a1.check_softmax_cross_entropy_grad, grad_no_m, None, "missing the 1/m"),
    (a1.check_softmax, not_done, 0.0, "not implemented yet"),
    (a1.check_softmax, "not a function", 0.0, "expected a function"),
])
def test_mistakes_cost_points_and_are_named(check, fn, expect_points, expect_text, capsys):
    score, out = run(check, fn, capsys=capsys)
    assert type(score) is float
    if expect_points is not None:
        assert score == expect_points
    else:
        assert score < POINTS[_grade_id(check)]
    assert expect_text in out, out


def _grade_id(check):
    return {a1.check_sigmoid: "test_sigmoid", a1.check_binary_cross_entropy: "test_binary_cross_entropy",
            a1.check_softmax: "test_softmax", a1.check_softmax_cross_entropy: "test_softmax_cross_entropy",
            a1.check_softmax_cross_entropy_grad: "test_softmax_cross_entropy_grad"}[check]


def test_student_state_changes_cannot_change_the_verdict(capsys):
    """A function that reseeds NumPy, changes print options and scribbles on its input
    is still judged only on what it returns."""
    def meddling(Z):
        np.random.seed(0)
        np.set_printoptions(precision=1)
        out = R.softmax(Z)
        Z[...] = 0.0
        return out
    try:
        score, out = run(a1.check_softmax, meddling, capsys=capsys)
    finally:
        np.set_printoptions(precision=8)
    assert score == POINTS["test_softmax"]


def test_stderr_and_warnings_never_reach_the_cell(capsys):
    import sys
    import warnings

    def noisy(Z):
        print("debug", file=sys.stderr)
        warnings.warn("careful")
        return R.softmax(Z)
    score, _ = run(a1.check_softmax, noisy, capsys=capsys)
    captured = capsys.readouterr()
    assert captured.err == "" and score == 0.0
