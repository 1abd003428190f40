"""Wrong a1 answers as students write them: the slides' typos, shape slips (len vs size, axis,
keepdims, mean vs sum) and the classic numerical traps. Each entry of MISTAKES is
(grade_id, functions, a phrase of the one-sentence diagnosis the report must contain).
"""
import numpy as np
from scipy.special import expit, logsumexp


def _stable_softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


# ---- gaussian_nll --------------------------------------------------------------------------------

def nll_len(y_hat, y, sigma=1.0):
    m = len(y)
    return m * np.log(np.sqrt(2 * np.pi) * sigma) + np.sum((y - y_hat) ** 2) / (2 * sigma ** 2)


def nll_no_constant(y_hat, y, sigma=1.0):
    return np.sum((y - y_hat) ** 2) / (2 * sigma ** 2)


def nll_precedence(y_hat, y, sigma=1.0):
    return y.size * np.log(np.sqrt(2 * np.pi) * sigma) + np.sum((y - y_hat) ** 2) / 2 * sigma ** 2


def nll_mean(y_hat, y, sigma=1.0):
    return np.mean(np.log(np.sqrt(2 * np.pi) * sigma) + (y - y_hat) ** 2 / (2 * sigma ** 2))


def nll_two_sigma(y_hat, y, sigma=1.0):
    return y.size * np.log(np.sqrt(2 * np.pi) * sigma) + np.sum((y - y_hat) ** 2) / (2 * sigma)


def nll_per_entry(y_hat, y, sigma=1.0):
    return np.log(np.sqrt(2 * np.pi) * sigma) + (y - y_hat) ** 2 / (2 * sigma ** 2)


# ---- half_sum_squared_error, mean_squared_error ---------------------------------------------------

def hsse_right(y_hat, y):
    return 0.5 * np.sum((y_hat - y) ** 2)


def mse_right(y_hat, y):
    return np.mean((y_hat - y) ** 2)


def hsse_no_half(y_hat, y):
    return np.sum((y_hat - y) ** 2)


def mse_rows(y_hat, y):
    return np.sum((y_hat - y) ** 2) / len(y)


def mse_half(y_hat, y):
    return 0.5 * np.mean((y_hat - y) ** 2)


def mse_rmse(y_hat, y):
    return np.sqrt(np.mean((y_hat - y) ** 2))


# ---- sigmoid -------------------------------------------------------------------------------------

def sigmoid_naive(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_sign(z):
    return 1 / (1 + np.exp(z))


def sigmoid_where(z):
    """Both formulas through np.where: the discarded branch overflows at +-1000."""
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


# ---- binary_cross_entropy ------------------------------------------------------------------------

def bce_slides(p, y):
    return -np.mean(np.log(p) + (1 - y) * np.log(1 - p))


def bce_sum(p, y):
    return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))


def bce_swapped(p, y):
    return -np.mean((1 - y) * np.log(p) + y * np.log(1 - p))


def bce_per_sample(p, y):
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


# ---- binary_cross_entropy_with_logits -----------------------------------------------------------

def bce_logits_through_sigmoid(z, y):
    s = expit(z)
    return -np.mean(y * np.log(s) + (1 - y) * np.log(1 - s))


def bce_logits_no_abs(z, y):
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-z)))


def bce_logits_slides(z, y):
    return np.mean(np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z))


def bce_logits_sum(z, y):
    return np.sum(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


# ---- softmax -------------------------------------------------------------------------------------

def softmax_naive(Z):
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def softmax_columns(Z):
    E = np.exp(Z - Z.max(axis=0))
    return E / E.sum(axis=0)


def softmax_no_keepdims(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1)


def softmax_column_max(Z):
    E = np.exp(Z - Z.max(axis=0))
    return E / E.sum(axis=1, keepdims=True)


def softmax_library(Z):
    from scipy.special import softmax as sm
    return sm(Z, axis=1)


# ---- softmax_cross_entropy ----------------------------------------------------------------------

def ce_over_classes(Z, y):
    P = _stable_softmax(Z)
    return -np.mean(np.log(P[np.arange(len(y)), y])) / Z.shape[1]


def ce_sum(Z, y):
    return np.sum(logsumexp(Z, axis=1) - Z[np.arange(len(y)), y])


def ce_log_of_softmax(Z, y):
    P = _stable_softmax(Z)
    return -np.mean(np.log(P[np.arange(len(y)), y]))


def ce_labels_from_one(Z, y):
    return np.mean(logsumexp(Z, axis=1) - Z[np.arange(len(y)), y - 1])


def ce_per_sample(Z, y):
    return logsumexp(Z, axis=1) - Z[np.arange(len(y)), y]


# ---- softmax_cross_entropy_grad -----------------------------------------------------------------

def grad_no_m(Z, y):
    G = _stable_softmax(Z)
    G[np.arange(len(y)), y] -= 1
    return G


def grad_sign(Z, y):
    G = -_stable_softmax(Z)
    G[np.arange(len(y)), y] += 1
    return G / len(y)


def grad_no_y(Z, y):
    return _stable_softmax(Z) / len(y)


def grad_size(Z, y):
    G = _stable_softmax(Z)
    G[np.arange(len(y)), y] -= 1
    return G / Z.size


# ---- from the fairness review (each named by its own diagnosis) ----------------------------------

def _sm(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def nll_sqrt_over_sigma(y_hat, y, sigma=1.0):
    """m*log(sqrt(2*pi*sigma)): the root taken over sigma too (so m/2 log(2 pi sigma), sigma not squared)."""
    r = y - y_hat
    return r.size * np.log(np.sqrt(2 * np.pi * sigma)) + np.sum(r ** 2) / (2 * sigma ** 2)


def nll_no_sigma_in_constant(y_hat, y, sigma=1.0):
    """m*log(sqrt(2*pi)) + ...: sigma left out of the constant (true only for sigma = 1)."""
    r = y - y_hat
    return r.size * np.log(np.sqrt(2 * np.pi)) + np.sum(r ** 2) / (2 * sigma ** 2)


def hsse_square_of_sum(y_hat, y):
    """0.5 * np.sum(y_hat - y) ** 2: the square of the sum (parenthesis slip)."""
    return 0.5 * np.sum(y_hat - y) ** 2


def mse_axis0(y_hat, y):
    """np.mean(..., axis=0): one mean per column for a 2-D y."""
    return np.mean((y_hat - y) ** 2, axis=0)


def sigmoid_exp_over_one_plus_exp(z):
    """exp(z) / (1 + exp(z)): inf / inf = nan at z = 1000."""
    return np.exp(z) / (1 + np.exp(z))


def bce_log_p_twice(p, y):
    """(1 - y) * log(p) instead of log(1 - p) (typo)."""
    return -np.mean(y * np.log(p) + (1 - y) * np.log(p))


def bce_mean_of_p(p, y):
    """Mean taken inside the log: -(y log mean(p) ...): nonsense but plausible when copying slides."""
    return -np.mean(y) * np.log(np.mean(p)) - (1 - np.mean(y)) * np.log(1 - np.mean(p))


def bcel_plus_yz(z, y):
    """max(z, 0) + y*z + log(1 + exp(-|z|)): sign slip on the y*z term."""
    return np.mean(np.maximum(z, 0) + y * z + np.log1p(np.exp(-np.abs(z))))


def bcel_softplus_minus_z(z, y):
    """softplus(-z) - y*z: the wrong softplus (should be softplus(z) - y z)."""
    return np.mean(np.logaddexp(0, -z) - y * z)


def softmax_global_max(Z):
    """Subtracts the max of the whole array, not each row's: a row far below it underflows to 0/0."""
    E = np.exp(Z - np.max(Z))
    return E / E.sum(axis=1, keepdims=True)


def softmax_shift_numerator_only(Z):
    """Shifted numerator, unshifted denominator."""
    return np.exp(Z - Z.max(axis=1, keepdims=True)) / np.exp(Z).sum(axis=1, keepdims=True)


def sce_log_plus_eps(Z, y):
    """log(P + 1e-12): finite, but wrong when the right class is far below the best."""
    P = _sm(Z)
    return -np.mean(np.log(P[np.arange(len(y)), y] + 1e-12))


def sce_logsumexp_no_axis(Z, y):
    """logsumexp over the whole array (axis forgotten)."""
    return np.mean(logsumexp(Z) - Z[np.arange(len(y)), y])


def sce_clip(Z, y):
    """np.clip(P, 1e-15, 1): the keras trick; wrong for logits 2000 apart."""
    P = np.clip(_sm(Z), 1e-15, 1.0)
    return -np.mean(np.log(P[np.arange(len(y)), y]))


def grad_fancy_index_columns(Z, y):
    """P[:, y] -= 1: subtracts 1 from whole columns, not one entry per row."""
    P = _sm(Z)
    P[:, y] -= 1
    return P / Z.shape[0]


def grad_onehot_transposed(Z, y):
    """Y built as np.eye(k)[:, y] (k, m) then .T: right; but with np.eye(m)[y] (wrong size)."""
    P = _sm(Z)
    Y = np.eye(Z.shape[0])[y][:, :Z.shape[1]]
    return (P - Y) / Z.shape[0]


MISTAKES = [
    ("test_gaussian_nll", (nll_len,), "m = y.size"),
    ("test_gaussian_nll", (nll_no_constant,), "the constant m*log(sqrt(2*pi)*sigma) is missing"),
    ("test_gaussian_nll", (nll_precedence,), "multiplies by sigma**2"),
    ("test_gaussian_nll", (nll_mean,), "this is the mean over samples"),
    ("test_gaussian_nll", (nll_two_sigma,), "divided by 2*sigma^2, not 2*sigma"),
    ("test_gaussian_nll", (nll_per_entry,), "one value per observation"),
    ("test_mse", (hsse_no_half, mse_right), "missing the factor 1/2"),
    ("test_mse", (hsse_right, mse_rows), "divided by the number of rows only"),
    ("test_mse", (hsse_right, mse_half), "extra factor 1/2"),
    ("test_mse", (hsse_right, mse_rmse), "root of the mean squared error"),
    ("test_sigmoid", (sigmoid_naive,), "exp only ever sees arguments <= 0"),
    ("test_sigmoid", (sigmoid_sign,), "the sign is flipped"),
    ("test_sigmoid", (sigmoid_where,), "np.where computes both of its branches"),
    ("test_binary_cross_entropy", (bce_slides,), "missing its factor y"),
    ("test_binary_cross_entropy", (bce_sum,), "this is a sum"),
    ("test_binary_cross_entropy", (bce_swapped,), "paired the wrong way"),
    ("test_binary_cross_entropy", (bce_per_sample,), "one loss per sample"),
    ("test_bce_with_logits", (bce_logits_through_sigmoid,), "never takes the log of a rounded probability"),
    ("test_bce_with_logits", (bce_logits_no_abs,), "needs the absolute value"),
    ("test_bce_with_logits", (bce_logits_slides,), "missing its factor y"),
    ("test_bce_with_logits", (bce_logits_sum,), "this is a sum"),
    ("test_softmax", (softmax_naive,), "subtract each row's maximum"),
    ("test_softmax", (softmax_columns,), "normalised over columns"),
    ("test_softmax", (softmax_no_keepdims,), "keepdims=True"),
    ("test_softmax", (softmax_column_max,), "each ROW's maximum"),
    ("test_softmax", (softmax_library,), "library's softmax earns no points"),
    ("test_softmax_cross_entropy", (ce_over_classes,), "averaged over classes"),
    ("test_softmax_cross_entropy", (ce_sum,), "this is a sum over samples"),
    ("test_softmax_cross_entropy", (ce_log_of_softmax,), "probability underflowed to 0 and you took its log"),
    ("test_softmax_cross_entropy", (ce_labels_from_one,), "as if they counted from 1"),
    ("test_softmax_cross_entropy", (ce_per_sample,), "one loss per sample"),
    ("test_softmax_cross_entropy_grad", (grad_no_m,), "missing the 1/m"),
    ("test_softmax_cross_entropy_grad", (grad_sign,), "the sign is flipped"),
    ("test_softmax_cross_entropy_grad", (grad_no_y,), "is not subtracted"),
    ("test_softmax_cross_entropy_grad", (grad_size,), "number of samples m only"),
    ('test_gaussian_nll', (nll_sqrt_over_sigma,), 'sigma is under the square root in the constant'),
    ('test_gaussian_nll', (nll_no_sigma_in_constant,), 'sigma is missing from the constant'),
    ('test_mse', (hsse_square_of_sum, mse_right,), 'squares the sum instead of summing the squares'),
    ('test_mse', (hsse_right, mse_axis0,), 'one mean per column'),
    ('test_sigmoid', (sigmoid_exp_over_one_plus_exp,), 'exp only ever sees arguments <= 0'),
    ('test_binary_cross_entropy', (bce_log_p_twice,), 'the second term takes log(p) again'),
    ('test_binary_cross_entropy', (bce_mean_of_p,), 'the means are taken inside the logs'),
    ('test_bce_with_logits', (bcel_plus_yz,), 'the y*z term is added'),
    ('test_bce_with_logits', (bcel_softplus_minus_z,), 'this is softplus(-z) - y*z'),
    ('test_softmax', (softmax_global_max,), 'shifted by more than its own maximum'),
    ('test_softmax', (softmax_shift_numerator_only,), "the numerator is shifted by the row's maximum but the denominator is not"),
    ('test_softmax_cross_entropy', (sce_log_plus_eps,), 'here eps = 1e-12'),
    ('test_softmax_cross_entropy', (sce_logsumexp_no_axis,), 'the log-sum-exp is taken over the whole array'),
    ('test_softmax_cross_entropy', (sce_clip,), 'here eps = 1e-15'),
    ('test_softmax_cross_entropy_grad', (grad_fancy_index_columns,), '1 is subtracted from whole columns'),
    ('test_softmax_cross_entropy_grad', (grad_onehot_transposed,), 'built from np.eye(m)'),
]
