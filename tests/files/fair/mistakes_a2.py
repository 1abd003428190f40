"""Wrong a2 answers as students write them (see mistakes_a1.py), including steps that change
params in place, which the notebook forbids in bold."""
import numpy as np


def _w(k):
    return k.startswith("W")


# ---- l2 ------------------------------------------------------------------------------------------

def l2_right(params, lam):
    return 0.5 * lam * sum(np.sum(v ** 2) for k, v in params.items() if _w(k))


def l2_grad_right(params, lam):
    return {k: lam * v if _w(k) else np.zeros_like(v) for k, v in params.items()}


def l2_all(params, lam):
    return 0.5 * lam * sum(np.sum(v ** 2) for v in params.values())


def l2_no_half(params, lam):
    return lam * sum(np.sum(v ** 2) for k, v in params.items() if _w(k))


def l2_norm_not_squared(params, lam):
    return lam / 2 * sum(np.linalg.norm(v) for k, v in params.items() if _w(k))


def l2_grad_two(params, lam):
    return {k: 2 * lam * v if _w(k) else np.zeros_like(v) for k, v in params.items()}


def l2_grad_all(params, lam):
    return {k: lam * v for k, v in params.items()}


# ---- l1 ------------------------------------------------------------------------------------------

def l1_right(params, lam):
    return lam * sum(np.sum(np.abs(v)) for k, v in params.items() if _w(k))


def l1_grad_right(params, lam):
    return {k: lam * np.sign(v) if _w(k) else np.zeros_like(v) for k, v in params.items()}


def l1_all(params, lam):
    return lam * sum(np.abs(v).sum() for v in params.values())


def l1_half(params, lam):
    return lam / 2 * sum(np.sum(np.abs(v)) for k, v in params.items() if _w(k))


def l1_grad_abs(params, lam):
    return {k: lam * np.abs(v) if _w(k) else np.zeros_like(v) for k, v in params.items()}


# ---- weight_decay_step ---------------------------------------------------------------------------

def wd_bias_decayed(params, grads, lr, lam):
    return {k: (1 - lr * lam) * v - lr * grads[k] for k, v in params.items()}


def wd_no_lr(params, grads, lr, lam):
    return {k: ((1 - lam) * v if _w(k) else v) - lr * grads[k] for k, v in params.items()}


def wd_after_step(params, grads, lr, lam):
    return {k: ((1 - lr * lam) if _w(k) else 1.0) * (v - lr * grads[k]) for k, v in params.items()}


def wd_in_place(params, grads, lr, lam):
    for k in params:
        if _w(k):
            params[k] *= 1 - lr * lam
        params[k] -= lr * grads[k]
    return params


def wd_grads_in_place(params, grads, lr, lam):
    """Adds the penalty's gradient into the caller's grads."""
    for k in grads:
        if _w(k):
            grads[k] += lam * params[k]
    return {k: params[k] - lr * grads[k] for k in params}


# ---- l1_step -------------------------------------------------------------------------------------

def l1_step_abs(params, grads, lr, lam):
    return {k: v - (lr * lam * np.abs(v) if _w(k) else 0) - lr * grads[k] for k, v in params.items()}


def l1_step_proximal(params, grads, lr, lam):
    out = {}
    for k, v in params.items():
        u = v - lr * grads[k]
        out[k] = np.sign(u) * np.maximum(np.abs(u) - lr * lam, 0) if _w(k) else u
    return out


def l1_step_no_lr(params, grads, lr, lam):
    return {k: v - (lam * np.sign(v) if _w(k) else 0) - lr * grads[k] for k, v in params.items()}


def l1_step_in_place(params, grads, lr, lam):
    new = params
    for k, v in new.items():
        new[k] = v - (lr * lam * np.sign(v) if _w(k) else 0) - lr * grads[k]
    return new


# ---- ridge_fit, choose_lambda ---------------------------------------------------------------------

def ridge_right(Phi, y, lam):
    m, n = Phi.shape
    A = np.c_[Phi, np.ones(m)]
    D = lam * np.eye(n + 1)
    D[n, n] = 0
    sol = np.linalg.solve(A.T @ A + D, A.T @ y)
    return sol[:n], sol[n]


def ridge_bias_penalised(Phi, y, lam):
    A = np.c_[Phi, np.ones(len(y))]
    sol = np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ y)
    return sol[:-1], float(sol[-1])


def ridge_ignores_lam(Phi, y, lam):
    A = np.c_[Phi, np.ones(len(y))]
    sol = np.linalg.lstsq(A, y, rcond=None)[0]
    return sol[:-1], sol[-1]


def ridge_no_intercept(Phi, y, lam):
    return np.linalg.solve(Phi.T @ Phi + lam * np.eye(Phi.shape[1]), Phi.T @ y), 0.0


def choose_train_error(Phi_train, y_train, Phi_val, y_val, lams):
    errs = [np.mean((Phi_train @ w + b - y_train) ** 2) for w, b in (ridge_right(Phi_train, y_train, l) for l in lams)]
    return float(lams[int(np.argmin(errs))])


def choose_without_b(Phi_train, y_train, Phi_val, y_val, lams):
    errs = [np.mean((Phi_val @ ridge_right(Phi_train, y_train, l)[0] - y_val) ** 2) for l in lams]
    return float(lams[int(np.argmin(errs))])


def choose_mae(Phi_train, y_train, Phi_val, y_val, lams):
    errs = [np.mean(np.abs(Phi_val @ w + b - y_val)) for w, b in (ridge_right(Phi_train, y_train, l) for l in lams)]
    return float(lams[int(np.argmin(errs))])


def choose_argmax(Phi_train, y_train, Phi_val, y_val, lams):
    errs = [np.mean((Phi_val @ w + b - y_val) ** 2) for w, b in (ridge_right(Phi_train, y_train, l) for l in lams)]
    return float(lams[int(np.argmax(errs))])


def choose_index(Phi_train, y_train, Phi_val, y_val, lams):
    errs = [np.mean((Phi_val @ w + b - y_val) ** 2) for w, b in (ridge_right(Phi_train, y_train, l) for l in lams)]
    return int(np.argmin(errs))


def choose_objective(Phi_train, y_train, Phi_val, y_val, lams):
    best, best_j = None, np.inf
    for lam in lams:
        w, b = ridge_right(Phi_train, y_train, lam)
        j = 0.5 * np.sum((Phi_val @ w + b - y_val) ** 2) + 0.5 * lam * w @ w
        if j < best_j:
            best, best_j = lam, j
    return best


# ---- from the fairness review (each named by its own diagnosis) ----------------------------------

def _W(k):
    return k.startswith("W")


def l2_spectral_norm(params, lam):
    """np.linalg.norm(W, 2) on a matrix is the largest singular value, not the Frobenius norm."""
    return lam / 2 * sum(np.linalg.norm(v, 2) ** 2 for k, v in params.items() if _W(k))


def l1_matrix_norm(params, lam):
    """np.linalg.norm(W, 1) on a matrix is the max column sum, not the sum of |entries|."""
    return lam * sum(np.linalg.norm(v, 1) for k, v in params.items() if _W(k))


def l2_grad_scalar_bias(params, lam):
    """Bias gradient as the number 0, not an array of zeros."""
    return {k: lam * v if _W(k) else 0 for k, v in params.items()}


def l2_grad_missing_bias_keys(params, lam):
    """Only the weights' gradients are returned."""
    return {k: lam * v for k, v in params.items() if _W(k)}


def l1_grad_copysign(params, lam):
    """np.copysign(lam, W): +lam at W == 0, where the contract wants 0."""
    return {k: np.copysign(lam, v) if _W(k) else np.zeros_like(v) for k, v in params.items()}


def l1_grad_w_over_abs(params, lam):
    """W / |W|: 0/0 = nan where W == 0."""
    return {k: lam * v / np.abs(v) if _W(k) else np.zeros_like(v) for k, v in params.items()}


def wd_plus_decay(params, grads, lr, lam):
    """(1 + lr*lam) W: sign slip, the weights grow."""
    return {k: ((1 + lr * lam) * v if _W(k) else v) - lr * grads[k] for k, v in params.items()}


def wd_shallow_copy_inplace(params, grads, lr, lam):
    """params.copy() is shallow: *= and -= still change the caller's arrays."""
    new = params.copy()
    for k in new:
        if _W(k):
            new[k] *= 1 - lr * lam
        new[k] -= lr * grads[k]
    return new


def wd_lam_only(params, grads, lr, lam):
    """W - lr*dJ/dW - lam*W: the decay term without lr."""
    return {k: v - lr * grads[k] - (lam * v if _W(k) else 0) for k, v in params.items()}


def l1_step_sign_after_step(params, grads, lr, lam):
    """sign taken of the already-moved weights: sign(W - lr g)."""
    out = {}
    for k, v in params.items():
        u = v - lr * grads[k]
        out[k] = u - lr * lam * np.sign(u) if _W(k) else u
    return out


def l1_step_double_lr(params, grads, lr, lam):
    """lr applied twice to the penalty: W - lr*(lr*lam*sign(W)) - lr*g."""
    return {k: v - lr * (lr * lam * np.sign(v) if _W(k) else 0) - lr * grads[k] for k, v in params.items()}


def ridge_lam_m(Phi, y, lam):
    """Minimises the MEAN squared error + lam/2||w||^2: lam multiplied by m."""
    m, n = Phi.shape
    A = np.c_[Phi, np.ones(m)]
    D = np.diag(np.r_[np.full(n, lam * m), 0.0])
    s = np.linalg.solve(A.T @ A + D, A.T @ y)
    return s[:n], s[n]


def ridge_intercept_mean_y(Phi, y, lam):
    """w from ridge without intercept on raw data, b = mean(y): b is only right after centring Phi."""
    n = Phi.shape[1]
    w = np.linalg.solve(Phi.T @ Phi + lam * np.eye(n), Phi.T @ (y - y.mean()))
    return w, y.mean()


def ridge_swapped_return(Phi, y, lam):
    """Returns (b, w)."""
    m, n = Phi.shape
    A = np.c_[Phi, np.ones(m)]
    D = np.diag(np.r_[np.full(n, lam), 0.0])
    s = np.linalg.solve(A.T @ A + D, A.T @ y)
    return s[n], s[:n]


def _ridge(Phi, y, lam):
    m, n = Phi.shape
    A = np.c_[Phi, np.ones(m)]
    s = np.linalg.solve(A.T @ A + np.diag(np.r_[np.full(n, lam), 0.0]), A.T @ y)
    return s[:n], s[n]


def choose_fit_on_val(Phi_train, y_train, Phi_val, y_val, lams):
    """Fits on the validation data and scores on the training data (arguments swapped)."""
    errs = []
    for lam in lams:
        w, b = _ridge(Phi_val, y_val, lam)
        errs.append(np.mean((Phi_train @ w + b - y_train) ** 2))
    return lams[int(np.argmin(errs))]


MISTAKES = [
    ("test_l2", (l2_all, l2_grad_right), "the biases are penalised too"),
    ("test_l2", (l2_no_half, l2_grad_right), "missing the 1/2"),
    ("test_l2", (l2_norm_not_squared, l2_grad_right), "the norms are not squared"),
    ("test_l2", (l2_right, l2_grad_two), "lam * w, not 2 * lam * w"),
    ("test_l2", (l2_right, l2_grad_all), "the biases get a penalty gradient too"),
    ("test_l1", (l1_all, l1_grad_right), "the biases are penalised too"),
    ("test_l1", (l1_half, l1_grad_right), "has no 1/2"),
    ("test_l1", (l1_right, l1_grad_abs), "lam*sign(w), not lam*|w|"),
    ("test_weight_decay_step", (wd_bias_decayed,), "the bias is decayed too"),
    ("test_weight_decay_step", (wd_no_lr,), "(1 - lr*lam), not (1 - lam)"),
    ("test_weight_decay_step", (wd_after_step,), "the decay multiplies the old W only"),
    ("test_weight_decay_step", (wd_in_place,), "in place"),
    ("test_weight_decay_step", (wd_grads_in_place,), "changed grads in place"),
    ("test_l1_step", (l1_step_abs,), "lam*sign(w), not lam*|w|"),
    ("test_l1_step", (l1_step_proximal,), "proximal (soft-threshold) step"),
    ("test_l1_step", (l1_step_no_lr,), "multiply it by lr"),
    ("test_l1_step", (l1_step_in_place,), "in place"),
    ("test_ridge_fit", (ridge_bias_penalised,), "the intercept b is penalised too"),
    ("test_ridge_fit", (ridge_ignores_lam,), "lam is ignored"),
    ("test_ridge_fit", (ridge_no_intercept,), "there is no intercept"),
    ("test_choose_lambda", (choose_train_error,), "lowest TRAINING error"),
    ("test_choose_lambda", (choose_without_b,), "leaves out the intercept"),
    ("test_choose_lambda", (choose_mae,), "mean ABSOLUTE validation error"),
    ("test_choose_lambda", (choose_argmax,), "HIGHEST validation error"),
    ("test_choose_lambda", (choose_index,), "the position of the best lam"),
    ("test_choose_lambda", (choose_objective,), "penalised objective"),
    ('test_l2', (l2_spectral_norm, l2_grad_right,), 'largest singular value'),
    ('test_l1', (l1_matrix_norm, l1_grad_right,), 'largest column sum'),
    ('test_l2', (l2_right, l2_grad_scalar_bias,), "the biases' gradient is the number 0"),
    ('test_l2', (l2_right, l2_grad_missing_bias_keys,), 'only the weights have gradients'),
    ('test_l1', (l1_right, l1_grad_copysign,), 'np.copysign(lam, W)'),
    ('test_l1', (l1_right, l1_grad_w_over_abs,), 'W / |W| is 0/0'),
    ('test_weight_decay_step', (wd_plus_decay,), 'with (1 + lr*lam) the weights grow'),
    ('test_weight_decay_step', (wd_shallow_copy_inplace,), 'changed params in place'),
    ('test_weight_decay_step', (wd_lam_only,), '(1 - lr*lam), not (1 - lam)'),
    ('test_l1_step', (l1_step_sign_after_step,), 'the sign is taken of the weights after the gradient step'),
    ('test_l1_step', (l1_step_double_lr,), 'lr multiplies the penalty twice'),
    ('test_ridge_fit', (ridge_lam_m,), 'lam is multiplied by m'),
    ('test_ridge_fit', (ridge_intercept_mean_y,), 'b = mean(y) is the intercept only when the features are centred'),
    ('test_ridge_fit', (ridge_swapped_return,), 'returned (b, w)'),
    ('test_choose_lambda', (choose_fit_on_val,), 'the training and validation data are swapped'),
]
