"""Checks for a1-mle-losses. Each `check_*` takes (stand-ins for) the student's function(s)
and returns the Report (see _core: plan, record, judge)."""
import numpy as np

from ..reference import losses as R
from ._core import compare, run_check

A = "a1-mle-losses"
_rng = lambda seed: np.random.default_rng(seed)  # noqa: E731  (each check draws its own numbers)

OVERFLOW = {"overflow": "exp of a large positive number overflows: rewrite the formula so that "
                        "exp only ever sees arguments <= 0"}
LOG0 = {"divide by zero": "a probability underflowed to 0 and you took its log: compute the log-probability "
                          "directly (log-sum-exp) instead of log(softmax)",
        "invalid value": "inf/inf or 0*inf appeared: see the lecture's section on overflow"}
BY_HAND = (("scipy.special.softmax", "scipy.special.log_softmax"),
           ("torch", "jax", "autograd", "tensorflow"),
           "this exercise asks you to write softmax yourself, so a library's softmax earns no points")


def check_gaussian_nll(fn):
    rng = _rng(11)
    cases = []
    for i, (shape, sigma) in enumerate([((7,), 1.0), ((5, 3), 0.3), ((12,), 4.0)]):
        y_hat, y = rng.normal(size=shape), rng.normal(size=shape)
        cases.append(compare(
            f"shape {shape}, sigma {sigma}", fn, R.gaussian_nll, (y_hat, y, sigma), mistakes={
                "the constant m*log(sqrt(2*pi)*sigma) is missing: it does not move the minimiser, "
                "but it is part of the negative log-likelihood":
                    lambda a, b, s: np.sum((b - a) ** 2) / (2 * s ** 2),
                "the squared error must be divided by 2*sigma^2, not 2*sigma":
                    lambda a, b, s: a.size * np.log(np.sqrt(2 * np.pi) * s) + np.sum((b - a) ** 2) / (2 * s),
                "this is the mean over samples; the contract asks for the total (summed) negative log-likelihood":
                    lambda a, b, s: R.gaussian_nll(a, b, s) / a.size,
            }))
    return run_check(A, "test_gaussian_nll", "gaussian_nll", fn, cases)


def check_mse(half_sum_squared_error, mean_squared_error):
    rng = _rng(12)
    cases = []
    for shape in [(6,), (4, 3)]:
        y_hat, y = rng.normal(size=shape), rng.normal(size=shape)
        cases.append(compare(f"half_sum_squared_error, shape {shape}", half_sum_squared_error,
                             R.half_sum_squared_error, (y_hat, y), mistakes={
                                 "missing the factor 1/2 of the lecture's J": lambda a, b: np.sum((a - b) ** 2),
                                 "this is a mean; the lecture's J sums over samples":
                                     lambda a, b: 0.5 * np.mean((a - b) ** 2)}))
        cases.append(compare(f"mean_squared_error, shape {shape}", mean_squared_error,
                             R.mean_squared_error, (y_hat, y), mistakes={
                                 "extra factor 1/2: mean_squared_error is the plain mean of the squares":
                                     lambda a, b: 0.5 * np.mean((a - b) ** 2),
                                 "divided by the number of rows only; the mean is over all entries":
                                     lambda a, b: np.sum((a - b) ** 2) / a.shape[0]}))
    return run_check(A, "test_mse", "half_sum_squared_error and mean_squared_error",
                     (half_sum_squared_error, mean_squared_error), cases)


def check_sigmoid(fn):
    rng = _rng(13)
    return run_check(A, "test_sigmoid", "sigmoid", fn, [
        compare("ordinary inputs", fn, R.sigmoid, (rng.normal(size=(4, 5)) * 3,), rtol=1e-12),
        compare("large positive and negative inputs (+-1000)", fn, R.sigmoid,
                (np.array([-1000.0, -745.0, -50.0, 0.0, 50.0, 745.0, 1000.0]),), rtol=1e-12, atol=1e-300,
                on_error=OVERFLOW),
        compare("a scalar-shaped array", fn, R.sigmoid, (np.array(0.25),), rtol=1e-12),
    ])


def check_binary_cross_entropy(fn):
    rng = _rng(14)
    cases = []
    for m in (10, 25):
        p = rng.uniform(0.02, 0.98, m)
        y = rng.integers(0, 2, m).astype(float)
        cases.append(compare(f"{m} samples", fn, R.binary_cross_entropy, (p, y), mistakes={
            "the first term is missing its factor y (the slides' typo): the loss is "
            "-[y log p + (1 - y) log(1 - p)]":
                lambda p, y: -np.mean(np.log(p) + (1 - y) * np.log(1 - p)),
            "this is a sum; the contract asks for the mean over samples":
                lambda p, y: m * R.binary_cross_entropy(p, y),
            "the sign is flipped: the loss is the NEGATIVE log-likelihood":
                lambda p, y: -R.binary_cross_entropy(p, y)}))
    cases.append(compare("soft targets (y between 0 and 1)", fn, R.binary_cross_entropy,
                         (rng.uniform(0.1, 0.9, 8), rng.uniform(0, 1, 8))))
    return run_check(A, "test_binary_cross_entropy", "binary_cross_entropy", fn, cases)


def check_bce_with_logits(fn):
    rng = _rng(15)
    z = rng.normal(size=12) * 4
    y = rng.integers(0, 2, 12).astype(float)
    return run_check(A, "test_bce_with_logits", "binary_cross_entropy_with_logits", fn, [
        compare("ordinary logits", fn, R.binary_cross_entropy_with_logits, (z, y), mistakes={
            "the sign is flipped: the loss is the NEGATIVE log-likelihood":
                lambda z, y: -R.binary_cross_entropy_with_logits(z, y),
            "this is a sum; the contract asks for the mean over samples":
                lambda z, y: z.size * R.binary_cross_entropy_with_logits(z, y)}),
        compare("logits of +-1000 (must stay finite and exact)", fn, R.binary_cross_entropy_with_logits,
                (np.array([1000.0, -1000.0, 1000.0, -1000.0, 40.0]), np.array([1.0, 0.0, 0.0, 1.0, 0.0])),
                weight=2.0, rtol=1e-12, on_error=OVERFLOW),
        compare("soft targets", fn, R.binary_cross_entropy_with_logits,
                (rng.normal(size=6), rng.uniform(0, 1, 6))),
    ])


def check_softmax(fn):
    rng = _rng(16)
    return run_check(A, "test_softmax", "softmax", fn, [
        compare("rows of ordinary logits", fn, R.softmax, (rng.normal(size=(5, 4)),), rtol=1e-12, mistakes={
            "normalised over columns instead of rows: each ROW (one sample) must sum to 1":
                lambda Z: np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True),
            "normalised over the whole array: each row (one sample) must sum to 1 on its own":
                lambda Z: np.exp(Z) / np.exp(Z).sum()}),
        compare("huge logits (1000)", fn, R.softmax, (np.array([[1000.0, 999.0, 0.0], [-1000.0, 0.0, 1.0]]),),
                weight=2.0, rtol=1e-12, atol=1e-300, on_error={
                    "overflow": "exp overflowed for large logits: subtract each row's maximum before "
                                "exponentiating (it leaves the softmax unchanged)",
                    "invalid value": "exp overflowed to inf and inf/inf gave NaN: subtract each "
                                     "row's maximum before exponentiating"}),
        compare("a single sample", fn, R.softmax, (rng.normal(size=(1, 6)),), rtol=1e-12),
    ], forbidden=BY_HAND)


def check_softmax_cross_entropy(fn):
    rng = _rng(17)
    Z, y = rng.normal(size=(8, 5)) * 2, rng.integers(0, 5, 8)
    return run_check(A, "test_softmax_cross_entropy", "softmax_cross_entropy", fn, [
        compare("8 samples, 5 classes", fn, R.softmax_cross_entropy, (Z, y), mistakes={
            "averaged over classes as well as samples: divide by m (samples) only":
                lambda Z, y: R.softmax_cross_entropy(Z, y) / Z.shape[1],
            "this is a sum over samples; the contract asks for the mean (divide by m)":
                lambda Z, y: Z.shape[0] * R.softmax_cross_entropy(Z, y),
            "the sign is flipped: the loss is the NEGATIVE log-likelihood":
                lambda Z, y: -R.softmax_cross_entropy(Z, y)}),
        compare("huge logits (the right class 2000 below the best)", fn, R.softmax_cross_entropy,
                (np.array([[1000.0, -1000.0, 0.0], [0.0, 1.0, 2.0]]), np.array([1, 2])),
                weight=2.0, rtol=1e-10, on_error={**OVERFLOW, **LOG0}),
        compare("one class per sample, 1 sample", fn, R.softmax_cross_entropy,
                (rng.normal(size=(1, 3)), np.array([2]))),
    ], forbidden=BY_HAND)


def check_softmax_cross_entropy_grad(fn):
    rng = _rng(18)
    Z, y = rng.normal(size=(6, 4)) * 2, rng.integers(0, 4, 6)
    return run_check(A, "test_softmax_cross_entropy_grad", "softmax_cross_entropy_grad", fn, [
        compare("6 samples, 4 classes", fn, R.softmax_cross_entropy_grad, (Z, y), weight=2.0, mistakes={
            "missing the 1/m: J averages over the m samples, so its gradient is (P - Y)/m":
                lambda Z, y: Z.shape[0] * R.softmax_cross_entropy_grad(Z, y),
            "the sign is flipped: the gradient is (P - Y)/m, not (Y - P)/m":
                lambda Z, y: -R.softmax_cross_entropy_grad(Z, y),
            "Y (the one-hot labels) is not subtracted: the gradient is (P - Y)/m":
                lambda Z, y: R.softmax(Z) / Z.shape[0]}),
        compare("huge logits", fn, R.softmax_cross_entropy_grad,
                (np.array([[1000.0, -1000.0, 0.0]]), np.array([0])), on_error=OVERFLOW),
    ], forbidden=BY_HAND)
