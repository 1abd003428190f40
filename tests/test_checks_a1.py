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
    E = np.exp(Z - Z.max(axis=1, keepdims=True))      # its own softmax: a library's (here the reference's) breaks the rule
    P = E / E.sum(axis=1, keepdims=True)
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


def _pick(module):
    return module


def softmax_by_computed_name(Z):
    import scipy.special
    name = "soft" + ("max" if np.ndim(Z) else "")
    return getattr(_pick(scipy.special), name)(Z, axis=1)


def test_a_rule_that_cannot_be_read_costs_the_points_it_guards(capsys):
    """Fails closed: a function that reaches things by computed names cannot be shown to keep the rule
    (a library's softmax reached this way earned full marks with a note only, third attack review)."""
    assert run_local(a1.check_softmax, softmax_by_computed_name) == 0.0
    out = capsys.readouterr().out
    assert "getattr with a computed name" in out and "cannot be read from it" in out


def naive_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_silenced(z):
    with np.errstate(all="ignore"):
        return 1 / (1 + np.exp(-z))


def sigmoid_where_silenced(z):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


def softmax_silenced(Z):
    with np.errstate(over="ignore", invalid="ignore"):
        E = np.exp(Z)
        return E / E.sum(axis=1, keepdims=True)


def naive_softmax(Z):
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("check, fn, naive", [(a1.check_sigmoid, sigmoid_silenced, naive_sigmoid),
                                              (a1.check_sigmoid, sigmoid_where_silenced, naive_sigmoid),
                                              (a1.check_softmax, softmax_silenced, naive_softmax)])
def test_silencing_the_overflow_does_not_keep_the_no_overflow_contract(check, fn, naive, capsys):
    """sigmoid and softmax "must not overflow (or warn)": an overflow hidden by np.errstate or a warnings
    filter costs the case that probes overflow, like the warning itself (third attack review), and says why."""
    score = run_local(check, fn)
    out = capsys.readouterr().out
    full = ASSIGNMENTS["a1-mle-losses"]["test_" + check.__name__.removeprefix("check_")]
    assert 0 < score == run_local(check, naive, quiet=True) < full
    assert "silences warnings" in out
