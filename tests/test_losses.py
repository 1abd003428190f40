"""Losses against closed forms, high-precision values (mpmath), SciPy's distributions,
finite differences, and the MLE claims of the lecture checked numerically."""
import mpmath
import numpy as np
import pytest
from scipy import optimize, stats

from dlcourse.gradcheck import numerical_gradient
from grader.reference import losses as L

mpmath.mp.dps = 50


def mp_sigmoid(z):
    return float(1 / (1 + mpmath.exp(-mpmath.mpf(z))))


def mp_softplus(z):  # log(1 + e^z), exactly
    return float(mpmath.log(1 + mpmath.exp(mpmath.mpf(z))))


@pytest.mark.parametrize("z", [-1000, -745, -40, -1, 0, 0.5, 3, 40, 745, 1000])
def test_sigmoid_matches_high_precision(z):
    assert L.sigmoid(np.array([z]))[0] == pytest.approx(mp_sigmoid(z), rel=1e-14, abs=1e-300)


def test_gaussian_nll_is_minus_sum_of_normal_logpdf(rng):
    y, y_hat = rng.normal(size=20), rng.normal(size=20)
    for sigma in (0.3, 1.0, 4.0):
        expected = -stats.norm.logpdf(y, loc=y_hat, scale=sigma).sum()
        assert L.gaussian_nll(y_hat, y, sigma) == pytest.approx(expected, rel=1e-12)


def test_maximum_likelihood_under_gaussian_noise_is_least_squares(rng):
    """The lecture's claim: maximising the Gaussian likelihood gives the least-squares
    theta, whatever sigma is."""
    X = np.c_[np.ones(50), rng.normal(size=(50, 2))]
    y = X @ np.array([0.5, -2.0, 1.0]) + 0.3 * rng.normal(size=50)
    theta_ls = np.linalg.lstsq(X, y, rcond=None)[0]
    for sigma in (0.1, 1.0, 10.0):
        def jac(t):  # d(-log L)/dtheta = -X^T (y - X theta) / sigma^2, checked below
            return -X.T @ (y - X @ t) / sigma ** 2
        t0 = rng.normal(size=3)
        np.testing.assert_allclose(
            jac(t0), numerical_gradient(lambda t: L.gaussian_nll(X @ t, y, sigma), t0), rtol=1e-6)
        res = optimize.minimize(lambda t: L.gaussian_nll(X @ t, y, sigma), np.zeros(3), jac=jac,
                                method="BFGS", options={"gtol": 1e-10})
        np.testing.assert_allclose(res.x, theta_ls, atol=1e-8)


def test_mse_conventions(rng):
    y, y_hat = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    direct = sum((a - b) ** 2 for a, b in zip(y_hat.ravel(), y.ravel()))
    assert L.half_sum_squared_error(y_hat, y) == pytest.approx(direct / 2)
    assert L.mean_squared_error(y_hat, y) == pytest.approx(direct / 18)
    for f, g in [(L.half_sum_squared_error, L.half_sum_squared_error_grad),
                 (L.mean_squared_error, L.mean_squared_error_grad)]:
        np.testing.assert_allclose(g(y_hat, y), numerical_gradient(lambda p: f(p, y), y_hat),
                                   rtol=1e-7, atol=1e-10)


def test_bce_is_mean_bernoulli_nll(rng):
    p = rng.uniform(0.01, 0.99, 30)
    y = rng.integers(0, 2, 30).astype(float)
    expected = -stats.bernoulli.logpmf(y, p).mean()
    assert L.binary_cross_entropy(p, y) == pytest.approx(expected, rel=1e-12)


def test_bce_keeps_the_y_factor():
    """The slides drop y in the first term; with it, a sure correct prediction costs 0."""
    assert L.binary_cross_entropy(np.array([0.9]), np.array([0.0])) == pytest.approx(-np.log(0.1))
    assert L.binary_cross_entropy(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == 0.0
    assert L.binary_cross_entropy(np.array([0.0]), np.array([1.0])) == np.inf


@pytest.mark.parametrize("z", [-1000.0, -50.0, -1.0, 0.0, 2.0, 50.0, 1000.0])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
def test_bce_with_logits_is_finite_and_accurate(z, y):
    # -[y log s(z) + (1-y) log(1-s(z))] = y softplus(-z) + (1-y) softplus(z)
    expected = y * mp_softplus(-z) + (1 - y) * mp_softplus(z)
    got = L.binary_cross_entropy_with_logits(np.array([z]), np.array([y]))
    assert np.isfinite(got)
    assert got == pytest.approx(expected, rel=1e-13, abs=1e-300)


def test_bce_gradients_match_finite_differences(rng):
    z, y = rng.normal(size=8), rng.uniform(size=8)
    num = numerical_gradient(lambda t: L.binary_cross_entropy_with_logits(t, y), z)
    assert np.allclose(L.binary_cross_entropy_with_logits_grad(z, y), num, rtol=1e-7, atol=1e-11)
    p = L.sigmoid(z)
    num = numerical_gradient(lambda t: L.binary_cross_entropy(t, y), p, h=1e-6)
    np.testing.assert_allclose(L.binary_cross_entropy_grad(p, y), num, rtol=1e-6)


def test_softmax_matches_high_precision_even_for_huge_logits():
    Z = np.array([[1000.0, 999.0, -1000.0], [0.1, 0.2, 0.3]])
    for row, z in zip(L.softmax(Z), Z):
        den = sum(mpmath.exp(mpmath.mpf(v)) for v in z)
        np.testing.assert_allclose(row, [float(mpmath.exp(mpmath.mpf(v)) / den) for v in z],
                                   rtol=1e-14, atol=1e-300)


def test_softmax_cross_entropy_closed_forms():
    # equal logits: every class has probability 1/k, the loss is log k
    assert L.softmax_cross_entropy(np.zeros((4, 10)), np.arange(4)) == pytest.approx(np.log(10))
    # two classes with logit gap d: softmax CE = log(1 + e^-d), i.e. BCE with logit d
    d = np.array([3.0, -2.0, 700.0])
    Z = np.c_[np.zeros(3), d]
    assert L.softmax_cross_entropy(Z, np.ones(3, int)) == pytest.approx(
        L.binary_cross_entropy_with_logits(d, np.ones(3)), rel=1e-13)


def test_softmax_cross_entropy_gradient_is_p_minus_y_over_m(rng):
    Z, y = rng.normal(size=(5, 4)) * 3, rng.integers(0, 4, 5)
    num = numerical_gradient(lambda t: L.softmax_cross_entropy(t, y), Z)
    rel = np.linalg.norm(num - L.softmax_cross_entropy_grad(Z, y)) / np.linalg.norm(num)
    assert rel < 1e-7
    np.testing.assert_allclose(L.softmax_cross_entropy_grad(Z, y),
                               (L.softmax(Z) - L.one_hot(y, 4)) / 5)


@pytest.mark.parametrize("call, message", [
    (lambda: L.half_sum_squared_error(np.ones(3), np.ones(4)), "same shape"),
    (lambda: L.mean_squared_error(np.array([1.0, np.nan]), np.ones(2)), "NaN"),
    (lambda: L.softmax_cross_entropy(np.zeros((3, 4)), np.array([0, 1, 4])), "labels in 0..3"),
    (lambda: L.softmax_cross_entropy(np.zeros((3, 4)), np.array([0, 1])), "3 labels"),
    (lambda: L.softmax_cross_entropy(np.zeros((3, 4)), np.array([0, 1.5, 2])), "integer"),
    (lambda: L.softmax(np.zeros(4)), "dimension"),
    (lambda: L.binary_cross_entropy(np.array([1.5]), np.array([1.0])), "probabilities"),
    (lambda: L.binary_cross_entropy_with_logits(np.zeros(2), np.array([0, 2])), "targets in"),
    (lambda: L.gaussian_nll(np.zeros(2), np.zeros(2), sigma=0), "sigma"),
    (lambda: L.sigmoid("abc"), "numeric"),
])
def test_bad_input_gives_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
