r"""Regularization over a dict of named parameters (lecture part 2, 关于正则化方法).

Shared interface: ``penalty(params, lam, keys=None) -> float`` and
``penalty_grad(params, lam, keys=None) -> dict`` (same keys as params, zeros
for the biases, so it can be added to a loss gradient). The update rules take
``(params, grads, lr, lam, keys=None)`` and return a new dict.

Which parameters are weights: `keys` if given, otherwise every name starting
with "W" (W, W1, W2, ...). Biases (b, b1, ...) are never penalised: a bias only
shifts a unit's output, it does not let the model bend to noise, and
penalising it would pull predictions toward 0 for no reason.
"""
import numpy as np

from ._inputs import as_float_array, weight_keys


def _arrays(params, name="params"):
    if not isinstance(params, dict):
        raise TypeError(f"{name} must be a dict of named arrays; got {type(params).__name__}")
    return {k: as_float_array(v, f"{name}[{k!r}]") for k, v in params.items()}


def l2_penalty(params, lam, keys=None):
    r"""(lam / 2) * sum over weight arrays of ||W||_2^2 (squared Frobenius norm)."""
    params = _arrays(params)
    return float(0.5 * lam * sum(np.sum(params[k] ** 2) for k in weight_keys(params, keys)))


def l2_penalty_grad(params, lam, keys=None):
    r"""Gradient of `l2_penalty`: lam * W for weights, 0 for biases."""
    params = _arrays(params)
    ws = set(weight_keys(params, keys))
    return {k: lam * v if k in ws else np.zeros_like(v) for k, v in params.items()}


def l1_penalty(params, lam, keys=None):
    r"""lam * sum over weight arrays of ||W||_1 = lam * sum_i |w_i|."""
    params = _arrays(params)
    return float(lam * sum(np.sum(np.abs(params[k])) for k in weight_keys(params, keys)))


def l1_penalty_grad(params, lam, keys=None):
    r"""(Sub)gradient of `l1_penalty`: lam * sign(W) for weights (0 where w = 0), 0 for biases."""
    params = _arrays(params)
    ws = set(weight_keys(params, keys))
    return {k: lam * np.sign(v) if k in ws else np.zeros_like(v) for k, v in params.items()}


def _check_grads(params, grads):
    grads = _arrays(grads, "grads")
    if set(grads) != set(params):
        raise ValueError(f"grads must have the keys of params {sorted(params)}; got {sorted(grads)}")
    for k in params:
        if grads[k].shape != params[k].shape:
            raise ValueError(f"grads[{k!r}] has shape {grads[k].shape}, params[{k!r}] {params[k].shape}")
    return grads


def weight_decay_step(params, grads, lr, lam, keys=None):
    r"""One gradient step on J + (lam/2)||W||^2: W <- (1 - lr*lam) W - lr dJ/dW; b <- b - lr dJ/db.

    params: dict of arrays; grads: dJ/dparam for the *unregularised* loss J, same keys and shapes.
    Returns a new dict; the inputs are not modified.
    """
    params = _arrays(params)
    grads = _check_grads(params, grads)
    ws = set(weight_keys(params, keys))
    return {k: ((1.0 - lr * lam) * v if k in ws else v) - lr * grads[k]
            for k, v in params.items()}


def l1_step(params, grads, lr, lam, keys=None):
    r"""One gradient step on J + lam||W||_1: W <- W - lr*lam*sign(W) - lr dJ/dW; b <- b - lr dJ/db.

    Same arguments and return as `weight_decay_step`.
    """
    params = _arrays(params)
    grads = _check_grads(params, grads)
    ws = set(weight_keys(params, keys))
    return {k: v - (lr * lam * np.sign(v) if k in ws else 0.0) - lr * grads[k]
            for k, v in params.items()}


def ridge_fit(Phi, y, lam):
    r"""L2-regularised least squares with an unpenalised intercept.

    Minimises 1/2 ||Phi w + b - y||^2 + lam/2 ||w||^2 over the weights w (n,) and the bias b.
    Phi: features (m, n); y: targets (m,); lam >= 0.
    Returns (w, b): w of shape (n,), b a float. Solved exactly from the normal equations
    [[Phi^T Phi + lam I, Phi^T 1], [1^T Phi, m]] [w; b] = [Phi^T y; 1^T y].
    """
    Phi = as_float_array(Phi, "Phi", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    if y.shape[0] != Phi.shape[0]:
        raise ValueError(f"Phi has {Phi.shape[0]} rows but y has {y.shape[0]} entries")
    if lam < 0:
        raise ValueError(f"lam must be >= 0; got {lam}")
    m, n = Phi.shape
    A = np.c_[Phi, np.ones(m)]
    reg = lam * np.eye(n + 1)
    reg[n, n] = 0.0                      # the intercept is not penalised
    sol = np.linalg.lstsq(A.T @ A + reg, A.T @ y, rcond=None)[0]
    return sol[:n], float(sol[n])


def choose_lambda(Phi_train, y_train, Phi_val, y_val, lams):
    """The lam in `lams` whose `ridge_fit` on the training data has the lowest mean squared
    error on the validation data (the first such lam if several tie). Returns a float."""
    errors = []
    for lam in lams:
        w, b = ridge_fit(Phi_train, y_train, lam)
        errors.append(np.mean((Phi_val @ w + b - np.asarray(y_val, dtype=np.float64)) ** 2))
    return float(lams[int(np.argmin(errors))])
