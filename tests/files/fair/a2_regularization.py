"""Correct a2 answers written the way students write them (see a1_losses.py)."""
import numpy as np
import scipy.linalg


def _weights(params):
    return [k for k in params if k.startswith("W")]


# ---- l2_penalty, l2_penalty_grad --------------------------------------------------------------

def l2_penalty_norm(params, lam):
    """Squared Frobenius norms via np.linalg.norm; returns np.float64."""
    return lam / 2 * sum(np.linalg.norm(params[k]) ** 2 for k in _weights(params))


def l2_penalty_grad_loop(params, lam):
    grads = {}
    for name, value in params.items():
        grads[name] = lam * value if name[0] == "W" else np.zeros(value.shape)
    return grads


def l2_penalty_vdot(params, lam):
    return 0.5 * lam * np.sum([np.vdot(v, v) for k, v in params.items() if k.startswith("W")])


def l2_penalty_grad_mask(params, lam):
    """Multiplying every array by lam or by 0 (a bias gradient of -0.0 or 0.0 is still 0)."""
    return {k: v * (lam if k.startswith("W") else 0.0) for k, v in params.items()}


def l2_penalty_float32(params, lam):
    return np.float32(lam) / 2 * sum(np.sum(np.square(v.astype(np.float32))) for k, v in params.items()
                                     if k.startswith("W"))


def l2_penalty_grad_float32(params, lam):
    return {k: (np.float32(lam) * v.astype(np.float32) if k.startswith("W") else np.zeros_like(v, np.float32))
            for k, v in params.items()}


# ---- l1_penalty, l1_penalty_grad --------------------------------------------------------------

def l1_penalty_norm(params, lam):
    return lam * sum(np.linalg.norm(params[k].ravel(), 1) for k in _weights(params))


def l1_penalty_grad_where(params, lam):
    """sign written out with np.where (0 at 0, as the contract asks)."""
    return {k: (lam * np.where(v > 0, 1.0, np.where(v < 0, -1.0, 0.0)) if k.startswith("W") else 0 * v)
            for k, v in params.items()}


def l1_penalty_loop(params, lam):
    total = 0.0
    for k, v in params.items():
        if k.startswith("W"):
            for x in v.ravel():
                total += abs(x)
    return lam * total


def l1_penalty_grad_copy(params, lam):
    g = {k: np.zeros_like(v) for k, v in params.items()}
    for k in _weights(params):
        g[k] = np.sign(params[k]) * lam
    return g


def l1_penalty_float32(params, lam):
    return np.float32(lam) * sum(np.abs(params[k].astype(np.float32)).sum() for k in _weights(params))


def l1_penalty_grad_float32(params, lam):
    return {k: np.float32(lam) * np.sign(v).astype(np.float32) if k.startswith("W") else np.zeros(v.shape, np.float32)
            for k, v in params.items()}


# ---- weight_decay_step ---------------------------------------------------------------------------

def weight_decay_step_expanded(params, grads, lr, lam):
    """W - lr * (dJ/dW + lam * W): the gradient of the penalised loss, one step."""
    return {k: v - lr * (grads[k] + (lam * v if k.startswith("W") else 0)) for k, v in params.items()}


def weight_decay_step_copy(params, grads, lr, lam):
    """Copies first, then updates the copies in place (allowed: params itself is untouched)."""
    new = {k: v.copy() for k, v in params.items()}
    for k in new:
        if k.startswith("W"):
            new[k] *= 1 - lr * lam
        new[k] -= lr * grads[k]
    return new


def weight_decay_step_float32(params, grads, lr, lam):
    return {k: ((1 - lr * lam) * v.astype(np.float32) if k.startswith("W") else v.astype(np.float32))
            - np.float32(lr) * grads[k].astype(np.float32) for k, v in params.items()}


# ---- l1_step -------------------------------------------------------------------------------------

def l1_step_expanded(params, grads, lr, lam):
    return {k: v - lr * (grads[k] + lam * np.sign(v) * k.startswith("W")) for k, v in params.items()}


def l1_step_copy(params, grads, lr, lam):
    new = {}
    for k, v in params.items():
        w = np.array(v, dtype=float)
        if k.startswith("W"):
            w -= lr * lam * np.sign(w)
        w -= lr * grads[k]
        new[k] = w
    return new


def l1_step_float32(params, grads, lr, lam):
    out = {}
    for k, v in params.items():
        v32 = v.astype(np.float32)
        pen = np.float32(lr * lam) * np.sign(v32) if k.startswith("W") else np.float32(0)
        out[k] = v32 - pen - np.float32(lr) * grads[k].astype(np.float32)
    return out


# ---- ridge_fit -----------------------------------------------------------------------------------

def ridge_fit_solve(Phi, y, lam):
    """The normal equations with np.linalg.solve; b returned as np.float64."""
    m, n = Phi.shape
    A = np.hstack([Phi, np.ones((m, 1))])
    D = np.diag(np.r_[np.full(n, lam), 0.0])
    sol = np.linalg.solve(A.T @ A + D, A.T @ y)
    return sol[:n], sol[n]


def ridge_fit_centered(Phi, y, lam):
    """Centre the data, fit w without intercept, then b = mean(y) - mean(Phi) w (exactly equivalent)."""
    mu, ybar = Phi.mean(axis=0), y.mean()
    Pc, yc = Phi - mu, y - ybar
    w = np.linalg.solve(Pc.T @ Pc + lam * np.eye(Phi.shape[1]), Pc.T @ yc)
    return w, float(ybar - mu @ w)


def ridge_fit_augmented(Phi, y, lam):
    """Least squares on rows augmented with sqrt(lam) I (no row for the intercept); w as a column."""
    m, n = Phi.shape
    A = np.vstack([np.c_[Phi, np.ones(m)], np.c_[np.sqrt(lam) * np.eye(n), np.zeros(n)]])
    t = np.r_[y, np.zeros(n)]
    sol = scipy.linalg.lstsq(A, t)[0]
    return sol[:n].reshape(n, 1), np.array(sol[n])


def ridge_fit_block(Phi, y, lam):
    """The 2x2 block system of the notebook, written out; b as a one-element array."""
    m, n = Phi.shape
    top = np.c_[Phi.T @ Phi + lam * np.eye(n), Phi.sum(axis=0)[:, None]]
    bottom = np.r_[Phi.sum(axis=0), m][None, :]
    sol = np.linalg.solve(np.r_[top, bottom], np.r_[Phi.T @ y, y.sum()])
    return sol[:-1], sol[-1:]


# ---- choose_lambda --------------------------------------------------------------------------------

def choose_lambda_sum(Phi_train, y_train, Phi_val, y_val, lams):
    """The sum of squared validation errors ranks the lams as the mean does."""
    best, best_err = None, np.inf
    for lam in lams:
        w, b = ridge_fit_solve(Phi_train, y_train, lam)
        err = np.sum((Phi_val @ w + b - y_val) ** 2)
        if err < best_err:
            best, best_err = lam, err
    return best


def choose_lambda_rmse(Phi_train, y_train, Phi_val, y_val, lams):
    """The root of the mean squared error, with min over (error, position) pairs: np.float64."""
    errs = []
    for i, lam in enumerate(lams):
        w, b = ridge_fit_centered(Phi_train, y_train, lam)
        errs.append((np.sqrt(np.mean((y_val - Phi_val @ w - b) ** 2)), i))
    return np.float64(lams[min(errs)[1]])


def choose_lambda_vectorised(Phi_train, y_train, Phi_val, y_val, lams):
    fits = [ridge_fit_block(Phi_train, y_train, lam) for lam in lams]
    W = np.stack([w for w, _ in fits], axis=1)
    B = np.concatenate([np.ravel(b) for _, b in fits])
    errs = ((Phi_val @ W + B - y_val[:, None]) ** 2).mean(axis=0)
    return np.asarray(lams)[np.argmin(errs)]


FAIR = [
    ("test_l2", (l2_penalty_norm, l2_penalty_grad_loop)),
    ("test_l2", (l2_penalty_vdot, l2_penalty_grad_mask)),
    ("test_l2", (l2_penalty_float32, l2_penalty_grad_float32)),
    ("test_l1", (l1_penalty_norm, l1_penalty_grad_where)),
    ("test_l1", (l1_penalty_loop, l1_penalty_grad_copy)),
    ("test_l1", (l1_penalty_float32, l1_penalty_grad_float32)),
    ("test_weight_decay_step", (weight_decay_step_expanded,)),
    ("test_weight_decay_step", (weight_decay_step_copy,)),
    ("test_weight_decay_step", (weight_decay_step_float32,)),
    ("test_l1_step", (l1_step_expanded,)),
    ("test_l1_step", (l1_step_copy,)),
    ("test_l1_step", (l1_step_float32,)),
    ("test_ridge_fit", (ridge_fit_solve,)),
    ("test_ridge_fit", (ridge_fit_centered,)),
    ("test_ridge_fit", (ridge_fit_augmented,)),
    ("test_ridge_fit", (ridge_fit_block,)),
    ("test_choose_lambda", (choose_lambda_sum,)),
    ("test_choose_lambda", (choose_lambda_rmse,)),
    ("test_choose_lambda", (choose_lambda_vectorised,)),
]
