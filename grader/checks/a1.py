"""Checks for a1-mle-losses. Each `check_*` takes (stand-ins for) the student's function(s)
and returns the Report (see _core: plan, record, judge).

Contracts as judged here: a "float" result may be any numeric scalar form; float32 arithmetic is
accurate enough (_core.RTOL); warnings cost points only for sigmoid ("must not overflow or warn")
and softmax ("must not overflow"), elsewhere the value is judged and a warning explained.
"""
import numpy as np

from scipy.special import logsumexp

from ..reference import losses as R
from ._core import compare, run_check, seeded

A = "a1-mle-losses"

OVERFLOW = {"overflow": "exp of a large positive number overflows: rewrite the formula so that "
                        "exp only ever sees arguments <= 0"}
LOG0 = {"divide by zero": "a probability underflowed to 0 and you took its log: compute the log-probability "
                          "directly (log-sum-exp) instead of log(softmax)",
        "invalid value": "inf/inf or 0*inf appeared: see the lecture's section on overflow"}
SHAPES = {"could not be broadcast": "an array lost an axis: a sum or max over axis=1 has shape (m,), which "
                                    "does not line up with (m, k); keep the axis with keepdims=True (or index "
                                    "with [:, None])"}
PER_SAMPLE = "this is one loss per sample; the contract asks for their mean over the samples, a single number"
LABELS = {"out of bounds": "a label was used as an index past the last class: the labels run from 0 to k-1 "
                           "here (the slides count from 1)"}
BY_HAND = (("scipy.special.softmax", "scipy.special.log_softmax", "*.softmax", "*.log_softmax"),  # any library's
           ("torch", "jax", "autograd", "tensorflow"),
           "this exercise asks you to write softmax yourself, so a library's softmax earns no points")


def check_gaussian_nll(fn):
    rng = seeded(11)
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
                "m is the number of rows (len(y)), but every entry is an observation: m = y.size "
                "(for a 2-D y, len counts the rows only)":
                    lambda a, b, s: len(b) * np.log(np.sqrt(2 * np.pi) * s) + np.sum((b - a) ** 2) / (2 * s ** 2),
                "'/ 2 * sigma**2' multiplies by sigma**2 (Python reads it left to right): divide by (2 * sigma**2)":
                    lambda a, b, s: a.size * np.log(np.sqrt(2 * np.pi) * s) + np.sum((b - a) ** 2) / 2 * s ** 2,
                "the constant is m*log(sqrt(2*pi)*sigma), half of m*log(2*pi*sigma^2): the square root is missing":
                    lambda a, b, s: a.size * np.log(2 * np.pi * s ** 2) + np.sum((b - a) ** 2) / (2 * s ** 2),
                "the sign is flipped: this is the log-likelihood, the contract asks for its negative":
                    lambda a, b, s: -R.gaussian_nll(a, b, s),
                "this is one value per observation; the contract asks for their total, a single number":
                    lambda a, b, s: np.log(np.sqrt(2 * np.pi) * s) + (b - a) ** 2 / (2 * s ** 2),
                "sigma is under the square root in the constant: it is m*log(sqrt(2*pi)*sigma), with sigma "
                "outside the root (m*log(sqrt(2*pi*sigma)) is right only for sigma = 1)":
                    lambda a, b, s: a.size * np.log(np.sqrt(2 * np.pi * s)) + np.sum((b - a) ** 2) / (2 * s ** 2),
                "sigma is missing from the constant: it is m*log(sqrt(2*pi)*sigma), not m*log(sqrt(2*pi)) "
                "(the two agree only for sigma = 1)":
                    lambda a, b, s: a.size * np.log(np.sqrt(2 * np.pi)) + np.sum((b - a) ** 2) / (2 * s ** 2),
            }))
    return run_check(A, "test_gaussian_nll", "gaussian_nll", fn, cases)


def check_mse(half_sum_squared_error, mean_squared_error):
    rng = seeded(12)
    cases = []
    for shape in [(6,), (4, 3)]:
        y_hat, y = rng.normal(size=shape), rng.normal(size=shape)
        cases.append(compare(f"half_sum_squared_error, shape {shape}", half_sum_squared_error,
                             R.half_sum_squared_error, (y_hat, y), mistakes={
                                 "missing the factor 1/2 of the lecture's J": lambda a, b: np.sum((a - b) ** 2),
                                 "this is a mean; the lecture's J sums over samples":
                                     lambda a, b: 0.5 * np.mean((a - b) ** 2),
                                 "the errors are not squared: J = 1/2 * sum of (y_hat - y)**2":
                                     lambda a, b: 0.5 * np.sum(a - b),
                                 "this squares the sum instead of summing the squares: J = 1/2 * sum of "
                                 "(y_hat - y)**2, the square inside the sum":
                                     lambda a, b: 0.5 * np.sum(a - b) ** 2}))
        cases.append(compare(f"mean_squared_error, shape {shape}", mean_squared_error,
                             R.mean_squared_error, (y_hat, y), mistakes={
                                 "extra factor 1/2: mean_squared_error is the plain mean of the squares":
                                     lambda a, b: 0.5 * np.mean((a - b) ** 2),
                                 "divided by the number of rows only (len); the mean is over all entries (size)":
                                     lambda a, b: np.sum((a - b) ** 2) / a.shape[0],
                                 "this is the root of the mean squared error (RMSE); the contract asks for the mean "
                                 "squared error itself":
                                     lambda a, b: np.sqrt(np.mean((a - b) ** 2)),
                                 "this is one mean per column (a mean over axis=0): the mean squared error is "
                                 "the mean over ALL entries, a single number":
                                     lambda a, b: np.mean((a - b) ** 2, axis=0)}))
    return run_check(A, "test_mse", "half_sum_squared_error and mean_squared_error",
                     (half_sum_squared_error, mean_squared_error), cases)


def check_sigmoid(fn):
    """The docstring: "must not overflow or warn for any finite z": here a warning fails the case.
    Values in [0, 1] are judged in absolute terms next to the array's largest (FLOOR): the
    tanh identity and clipping are right, even where they give 0 for sigmoid(-745) = 5e-324."""
    rng = seeded(13)
    flipped = {"the sign is flipped: sigmoid(z) = 1 / (1 + exp(-z)), which is near 1 for large positive z":
               lambda z: R.sigmoid(-z)}
    return run_check(A, "test_sigmoid", "sigmoid", fn, [
        compare("ordinary inputs", fn, R.sigmoid, (rng.normal(size=(4, 5)) * 3,), mistakes=flipped,
                warnings="fail"),
        compare("large positive and negative inputs (+-1000)", fn, R.sigmoid,
                (np.array([-1000.0, -745.0, -50.0, 0.0, 50.0, 745.0, 1000.0]),), mistakes=flipped,
                on_error=OVERFLOW, warnings="fail", probes_overflow=True),
        compare("a scalar-shaped array", fn, R.sigmoid, (np.array(0.25),), mistakes=flipped, warnings="fail"),
    ])


def check_binary_cross_entropy(fn):
    rng = seeded(14)
    cases = []
    mistakes = {
        "the first term is missing its factor y (the slides' typo): the loss is "
        "-[y log p + (1 - y) log(1 - p)]":
            lambda p, y: -np.mean(np.log(p) + (1 - y) * np.log(1 - p)),
        "this is a sum; the contract asks for the mean over samples":
            lambda p, y: p.size * R.binary_cross_entropy(p, y),
        "the sign is flipped: the loss is the NEGATIVE log-likelihood":
            lambda p, y: -R.binary_cross_entropy(p, y),
        "the labels and the logs are paired the wrong way: y goes with log p and (1 - y) with log(1 - p)":
            lambda p, y: -np.mean((1 - y) * np.log(p) + y * np.log(1 - p)),
        "log10 is not the natural log: the likelihood's log is np.log":
            lambda p, y: R.binary_cross_entropy(p, y) / np.log(10),
        "the second term takes log(p) again: (1 - y) goes with log(1 - p)":
            lambda p, y: -np.mean(y * np.log(p) + (1 - y) * np.log(p)),
        "the means are taken inside the logs (log of the mean p): the loss is the mean over samples of "
        "-[y_i log p_i + (1 - y_i) log(1 - p_i)], each sample with its own p_i":
            lambda p, y: -np.mean(y) * np.log(np.mean(p)) - (1 - np.mean(y)) * np.log(1 - np.mean(p)),
        PER_SAMPLE: lambda p, y: -(y * np.log(p) + (1 - y) * np.log(1 - p))}
    for m in (10, 25):
        p = rng.uniform(0.02, 0.98, m)
        y = rng.integers(0, 2, m).astype(float)
        cases.append(compare(f"{m} samples", fn, R.binary_cross_entropy, (p, y), mistakes=mistakes))
    cases.append(compare("soft targets (y between 0 and 1)", fn, R.binary_cross_entropy,
                         (rng.uniform(0.1, 0.9, 8), rng.uniform(0, 1, 8)), mistakes=mistakes))
    return run_check(A, "test_binary_cross_entropy", "binary_cross_entropy", fn, cases)


def _softplus(z):
    return np.logaddexp(0.0, z)


def check_bce_with_logits(fn):
    """The docstring asks for a finite, accurate value for any finite z, not for silence: a warning
    (e.g. np.where's discarded branch overflowing) is explained in a note and costs nothing."""
    rng = seeded(15)
    z = rng.normal(size=12) * 4
    y = rng.integers(0, 2, 12).astype(float)
    mistakes = {
        "the sign is flipped: the loss is the NEGATIVE log-likelihood":
            lambda z, y: -R.binary_cross_entropy_with_logits(z, y),
        "this is a sum; the contract asks for the mean over samples":
            lambda z, y: z.size * R.binary_cross_entropy_with_logits(z, y),
        "the first term is missing its factor y (the slides' typo): the loss is "
        "-[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))]":
            lambda z, y: np.mean(_softplus(-z) + (1 - y) * _softplus(z)),
        "log(1 + exp(-|z|)) needs the absolute value: with exp(-z), a logit of -1000 overflows to inf":
            lambda z, y: np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-z))),
        "the term is y*z, not z: max(z, 0) - y*z + log(1 + exp(-|z|))":
            lambda z, y: np.mean(np.maximum(z, 0) - z + np.log1p(np.exp(-np.abs(z)))),
        "the y*z term is added: the loss is max(z, 0) - y*z + log(1 + exp(-|z|))":
            lambda z, y: np.mean(np.maximum(z, 0) + y * z + np.log1p(np.exp(-np.abs(z)))),
        "this is softplus(-z) - y*z: the loss is softplus(z) - y*z = log(1 + exp(z)) - y*z "
        "(stably, max(z, 0) - y*z + log(1 + exp(-|z|)))":
            lambda z, y: np.mean(np.logaddexp(0.0, -z) - y * z),
        PER_SAMPLE: lambda z, y: np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))),
    }
    hints = {**OVERFLOW, "divide by zero": "sigmoid(z) rounded to exactly 0 or 1 and its log is -inf: the logits "
                                           "form max(z, 0) - y z + log(1 + exp(-|z|)) never takes the log of a "
                                           "rounded probability"}
    return run_check(A, "test_bce_with_logits", "binary_cross_entropy_with_logits", fn, [
        compare("ordinary logits", fn, R.binary_cross_entropy_with_logits, (z, y), mistakes=mistakes,
                on_error=hints),
        compare("logits of +-1000 (must stay finite and exact)", fn, R.binary_cross_entropy_with_logits,
                (np.array([1000.0, -1000.0, 1000.0, -1000.0, 40.0]), np.array([1.0, 0.0, 0.0, 1.0, 1.0])),
                weight=2.0, mistakes=mistakes, on_error=hints),
        compare("soft targets", fn, R.binary_cross_entropy_with_logits,
                (rng.normal(size=6), rng.uniform(0, 1, 6)), mistakes=mistakes, on_error=hints),
    ])


def check_softmax(fn):
    """The docstring: "must not overflow": a warning fails the case."""
    rng = seeded(16)
    huge = {"overflow": "exp overflowed for large logits: subtract each row's maximum before "
                        "exponentiating (it leaves the softmax unchanged)",
            "invalid value": "a row's exponentials all became 0 (or inf), and 0/0 (or inf/inf) gave NaN: that "
                             "happens when a row is shifted by more than its own maximum, e.g. by the largest "
                             "entry of the whole array; subtract each ROW's maximum (axis=1, keepdims=True) "
                             "before exponentiating"}
    mistakes = {
        "normalised over columns instead of rows: each ROW (one sample) must sum to 1":
            lambda Z: R.softmax(Z.T).T,
        "normalised over the whole array: each row (one sample) must sum to 1 on its own":
            lambda Z: R.softmax(Z.reshape(1, -1)).reshape(Z.shape),
        "the maximum subtracted must be each ROW's maximum (axis=1, keepdims=True): subtracting a column's "
        "maximum changes the softmax":
            lambda Z: np.exp(Z - Z.max(axis=0)) / np.exp(Z - Z.max(axis=0)).sum(axis=1, keepdims=True),
        "the numerator is shifted by the row's maximum but the denominator is not: subtract the same maximum "
        "in both (or the ratio changes by exp(max))":
            lambda Z: np.exp(Z - Z.max(axis=1, keepdims=True)) / np.exp(Z).sum(axis=1, keepdims=True),
    }
    return run_check(A, "test_softmax", "softmax", fn, [
        compare("rows of ordinary logits", fn, R.softmax, (rng.normal(size=(5, 4)),), mistakes=mistakes,
                on_error={**SHAPES, **huge}, warnings="fail"),
        compare("huge logits (1000)", fn, R.softmax, (np.array([[1000.0, 999.0, 0.0], [-1000.0, 0.0, 1.0]]),),
                weight=2.0, mistakes=mistakes, on_error={**SHAPES, **huge}, warnings="fail", probes_overflow=True),
        compare("a single sample", fn, R.softmax, (rng.normal(size=(1, 6)),), mistakes=mistakes,
                on_error={**SHAPES, **huge}, warnings="fail"),
    ], forbidden=BY_HAND)


def _ce_labels_shifted(Z, y):
    return R.softmax_cross_entropy(Z, (np.asarray(y) - 1) % Z.shape[1])


#: The constants students add inside the log, or clip P to: Keras's 1e-7, scikit-learn's 1e-15,
#: float64's machine epsilon, and the round ones in between.
CAPS = (1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-15, float(np.finfo(float).eps))
_CAPPED = ("a constant is added to P inside the log, or P is clipped (here eps = {eps}: log(P + eps) or "
           "np.clip(P, eps, 1)): with a confident wrong prediction the loss is capped at about -log(eps); "
           "compute the log-probabilities directly (log-sum-exp), with nothing added")


def _ce_capped(eps):
    def f(Z, y):
        P = R.softmax(Z)[np.arange(Z.shape[0]), y]
        return -np.mean(np.log(P + eps))
    return f


def check_softmax_cross_entropy(fn):
    rng = seeded(17)
    Z, y = rng.normal(size=(8, 5)) * 2, rng.integers(0, 5, 8)
    mistakes = {
        "averaged over classes as well as samples: divide by m (samples) only":
            lambda Z, y: R.softmax_cross_entropy(Z, y) / Z.shape[1],
        "this is a sum over samples; the contract asks for the mean (divide by m)":
            lambda Z, y: Z.shape[0] * R.softmax_cross_entropy(Z, y),
        "the sign is flipped: the loss is the NEGATIVE log-likelihood":
            lambda Z, y: -R.softmax_cross_entropy(Z, y),
        "the labels are used as if they counted from 1 (y - 1): here they run from 0 to k-1, so "
        "Z[i, y[i]] is the right class":
            _ce_labels_shifted,
        "every class's log-probability is summed, not only the true class's: the one-hot Y keeps "
        "only log P[i, y_i]":
            lambda Z, y: -np.sum(R.log_softmax(Z)) / Z.shape[0],
        PER_SAMPLE: lambda Z, y: -R.log_softmax(Z)[np.arange(Z.shape[0]), y],
        "the log-sum-exp is taken over the whole array: each sample's normaliser is the log-sum-exp of its "
        "own row (axis=1)":
            lambda Z, y: np.mean(logsumexp(Z) - Z[np.arange(Z.shape[0]), y]),
        **{_CAPPED.format(eps=f"{eps:g}"): _ce_capped(eps) for eps in CAPS},
    }
    hints = {**OVERFLOW, **LOG0, **SHAPES, **LABELS}
    return run_check(A, "test_softmax_cross_entropy", "softmax_cross_entropy", fn, [
        compare("8 samples, 5 classes", fn, R.softmax_cross_entropy, (Z, y), mistakes=mistakes, on_error=hints),
        compare("huge logits (the right class 2000 below the best)", fn, R.softmax_cross_entropy,
                (np.array([[1000.0, -1000.0, 0.0], [0.0, 1.0, 2.0]]), np.array([1, 2])),
                weight=2.0, mistakes=mistakes, on_error=hints),
        compare("one class per sample, 1 sample", fn, R.softmax_cross_entropy,
                (rng.normal(size=(1, 3)), np.array([2])), mistakes=mistakes, on_error=hints),
    ], forbidden=BY_HAND)


def _grad_whole_columns(Z, y):
    P = R.softmax(Z)
    P[:, y] -= 1
    return P / Z.shape[0]


def check_softmax_cross_entropy_grad(fn):
    rng = seeded(18)
    Z, y = rng.normal(size=(6, 4)) * 2, rng.integers(0, 4, 6)
    mistakes = {
        "missing the 1/m: J averages over the m samples, so its gradient is (P - Y)/m":
            lambda Z, y: Z.shape[0] * R.softmax_cross_entropy_grad(Z, y),
        "the sign is flipped: the gradient is (P - Y)/m, not (Y - P)/m":
            lambda Z, y: -R.softmax_cross_entropy_grad(Z, y),
        "Y (the one-hot labels) is not subtracted: the gradient is (P - Y)/m":
            lambda Z, y: R.softmax(Z) / Z.shape[0],
        "the labels are used as if they counted from 1 (y - 1): here they run from 0 to k-1":
            lambda Z, y: R.softmax_cross_entropy_grad(Z, (np.asarray(y) - 1) % Z.shape[1]),
        "divided by every entry's count (Z.size = m*k): the gradient divides by the number of samples m only":
            lambda Z, y: R.softmax_cross_entropy_grad(Z, y) / Z.shape[1],
        "P is normalised over columns instead of rows: each row of P (one sample) must sum to 1":
            lambda Z, y: (R.softmax(Z.T).T - np.eye(Z.shape[1])[y]) / Z.shape[0],
        "1 is subtracted from whole columns (P[:, y] -= 1 takes every sample's entry in each label's column): "
        "subtract 1 only at each sample's own label, P[np.arange(m), y] -= 1":
            _grad_whole_columns,
        "the one-hot matrix is built from np.eye(m), the number of samples: it needs np.eye(k), one column per "
        "class (with fewer samples than classes it has too few columns)":
            lambda Z, y: (R.softmax(Z) - np.eye(Z.shape[0])[y][:, :Z.shape[1]]) / Z.shape[0]}
    return run_check(A, "test_softmax_cross_entropy_grad", "softmax_cross_entropy_grad", fn, [
        compare("6 samples, 4 classes", fn, R.softmax_cross_entropy_grad, (Z, y), weight=2.0, mistakes=mistakes,
                on_error={**SHAPES, **LABELS}),
        compare("huge logits", fn, R.softmax_cross_entropy_grad,
                (np.array([[1000.0, -1000.0, 0.0]]), np.array([0])), mistakes=mistakes,
                on_error={**OVERFLOW, **SHAPES}),
    ], forbidden=BY_HAND)
