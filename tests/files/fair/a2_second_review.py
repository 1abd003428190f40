"""New correct a2 variants (not in tests/files/fair/a2_regularization.py)."""
import copy

import numpy as np
import scipy.linalg


# ---- l2 ----
def l2_penalty_einsum_in(params, lam):
    """'W' in name, einsum over the entries, Python float."""
    return float(lam / 2 * sum(np.einsum("ij,ij->", v, v) for k, v in params.items() if "W" in k))


def l2_penalty_grad_deepcopy(params, lam):
    g = copy.deepcopy(params)
    for k in g:
        g[k] = lam * g[k] if k.startswith("W") else np.zeros_like(g[k])
    return g


def l2_penalty_ravel_dot(params, lam):
    flat = np.concatenate([v.ravel() for k, v in params.items() if k[0] == "W"])
    return 0.5 * lam * flat @ flat


def l2_penalty_grad_int_zeros(params, lam):
    """Bias gradient as integer zeros of the right shape (np.zeros(shape, int))."""
    return {k: (lam * v if k.startswith("W") else np.zeros(v.shape, dtype=int)) for k, v in params.items()}


# ---- l1 ----
def l1_penalty_abs_sum_lower(params, lam):
    return lam * sum(np.abs(v).sum() for k, v in params.items() if k.lower().startswith("w"))


def l1_penalty_grad_compare(params, lam):
    """sign written as (W > 0) - (W < 0)."""
    return {k: (lam * ((v > 0).astype(float) - (v < 0)) if k.startswith("W") else np.zeros_like(v))
            for k, v in params.items()}


def l1_penalty_norm_ravel(params, lam):
    return lam * np.sum([np.linalg.norm(v.ravel(), ord=1) for k, v in params.items() if k.startswith("W")])


def l1_penalty_grad_divide_where(params, lam):
    """W / |W| with np.divide(where=...) so 0 stays 0."""
    out = {}
    for k, v in params.items():
        if k.startswith("W"):
            a = np.abs(v)
            out[k] = lam * np.divide(v, a, out=np.zeros_like(v), where=a != 0)
        else:
            out[k] = np.zeros_like(v)
    return out


# ---- weight_decay_step ----
def l2_grad_helper(params, lam):
    return {k: lam * v if k.startswith("W") else np.zeros_like(v) for k, v in params.items()}


def weight_decay_step_own_helper(params, grads, lr, lam):
    """Uses the student's own l2_penalty_grad: W - lr (dJ/dW + lam W)."""
    pg = l2_grad_helper(params, lam)
    return {k: params[k] - lr * (grads[k] + pg[k]) for k in params}


def weight_decay_step_deepcopy(params, grads, lr, lam):
    new = copy.deepcopy(params)
    for k in new:
        new[k] -= lr * grads[k]
        if k.startswith("W"):
            new[k] -= lr * lam * params[k]
    return new


def weight_decay_step_shallow_reassign(params, grads, lr, lam):
    """dict(params) then reassigning (not modifying) each entry: params untouched."""
    new = dict(params)
    for k in new:
        decay = (1 - lr * lam) if k.startswith("W") else 1.0
        new[k] = decay * new[k] - lr * grads[k]
    return new


# ---- l1_step ----
def l1_grad_helper(params, lam):
    return {k: lam * np.sign(v) if k.startswith("W") else np.zeros_like(v) for k, v in params.items()}


def l1_step_own_helper(params, grads, lr, lam):
    pg = l1_grad_helper(params, lam)
    return {k: params[k] - lr * pg[k] - lr * grads[k] for k in params}


def l1_step_deepcopy_subtract(params, grads, lr, lam):
    new = copy.deepcopy(params)
    for k, v in new.items():
        np.subtract(v, lr * grads[k], out=v)
        if k.startswith("W"):
            np.subtract(v, lr * lam * np.sign(params[k]), out=v)
    return new


# ---- ridge_fit ----
def ridge_fit_inv(Phi, y, lam):
    m, n = Phi.shape
    A = np.column_stack([Phi, np.ones(m)])
    D = lam * np.eye(n + 1)
    D[-1, -1] = 0
    theta = np.linalg.inv(A.T @ A + D) @ A.T @ y
    return theta[:-1], theta[-1]


def ridge_fit_lstsq_column(Phi, y, lam):
    """lstsq on the normal equations with y as a column: w (n, 1), b a one-element array."""
    m, n = Phi.shape
    A = np.hstack([np.ones((m, 1)), Phi])          # intercept FIRST
    D = np.diag([0.0] + [lam] * n)
    theta = np.linalg.lstsq(A.T @ A + D, A.T @ y.reshape(-1, 1), rcond=None)[0]
    return theta[1:], theta[0]


def ridge_fit_scipy_pos(Phi, y, lam):
    m, n = Phi.shape
    A = np.c_[Phi, np.ones(m)]
    D = np.diag(np.append(np.full(n, float(lam)), 0.0))
    sol = scipy.linalg.solve(A.T @ A + D, A.T @ y, assume_a="sym")
    return sol[:n], float(sol[n])


def ridge_fit_float32(Phi, y, lam):
    """The normal equations in float32 ('Float32 arithmetic is fine')."""
    Phi, y = np.asarray(Phi, np.float32), np.asarray(y, np.float32)
    m, n = Phi.shape
    A = np.c_[Phi, np.ones(m, np.float32)]
    D = np.diag(np.r_[np.full(n, lam, np.float32), np.float32(0)])
    sol = np.linalg.solve(A.T @ A + D, A.T @ y)
    return sol[:n], sol[n]


def ridge_fit_svd_centered(Phi, y, lam):
    """Centre, then the SVD form of ridge: w = V diag(s/(s^2+lam)) U^T y_c."""
    mu, ybar = Phi.mean(0), y.mean()
    U, s, Vt = np.linalg.svd(Phi - mu, full_matrices=False)
    w = Vt.T @ (s / (s ** 2 + lam) * (U.T @ (y - ybar)))
    return w, ybar - mu @ w


# ---- choose_lambda ----
def choose_lambda_min_key(Phi_train, y_train, Phi_val, y_val, lams):
    def val_mse(lam):
        w, b = ridge_fit_inv(Phi_train, y_train, lam)
        return np.mean((Phi_val @ w + b - y_val) ** 2)
    return min(lams, key=val_mse)


def choose_lambda_dict(Phi_train, y_train, Phi_val, y_val, lams):
    """Errors in a dict keyed by lam, then min over the dict by value."""
    errs = {}
    for lam in lams:
        w, b = ridge_fit_scipy_pos(Phi_train, y_train, lam)
        r = y_val - (Phi_val @ w + b)
        errs[lam] = r @ r / len(r)
    return float(min(errs, key=errs.get))


def choose_lambda_column_w(Phi_train, y_train, Phi_val, y_val, lams):
    """Uses the column-vector ridge_fit (allowed by its docstring) and ravels the prediction."""
    errs = []
    for lam in lams:
        w, b = ridge_fit_lstsq_column(Phi_train, y_train, lam)
        pred = (Phi_val @ w).ravel() + float(np.ravel(b)[0])
        errs.append(np.mean((pred - y_val) ** 2))
    return lams[int(np.argmin(errs))]


FAIR = [
    ("test_l2", (l2_penalty_einsum_in, l2_penalty_grad_deepcopy)),
    ("test_l2", (l2_penalty_ravel_dot, l2_penalty_grad_int_zeros)),
    ("test_l1", (l1_penalty_abs_sum_lower, l1_penalty_grad_compare)),
    ("test_l1", (l1_penalty_norm_ravel, l1_penalty_grad_divide_where)),
    ("test_weight_decay_step", (weight_decay_step_own_helper,)),
    ("test_weight_decay_step", (weight_decay_step_deepcopy,)),
    ("test_weight_decay_step", (weight_decay_step_shallow_reassign,)),
    ("test_l1_step", (l1_step_own_helper,)),
    ("test_l1_step", (l1_step_deepcopy_subtract,)),
    ("test_ridge_fit", (ridge_fit_inv,)),
    ("test_ridge_fit", (ridge_fit_lstsq_column,)),
    ("test_ridge_fit", (ridge_fit_scipy_pos,)),
    ("test_ridge_fit", (ridge_fit_float32,)),
    ("test_ridge_fit", (ridge_fit_svd_centered,)),
    ("test_choose_lambda", (choose_lambda_min_key,)),
    ("test_choose_lambda", (choose_lambda_dict,)),
    ("test_choose_lambda", (choose_lambda_column_w,)),
]
