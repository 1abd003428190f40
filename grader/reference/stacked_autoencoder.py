r"""The stacked sparse autoencoder for MNIST (lecture: Handwritten Digits Classifiers; UFLDL).

Steps, as on the slides:
  1. train a sparse autoencoder on the pixels X            -> first features  H1 = sigmoid(X W1 + b1)
  2. train a second sparse autoencoder on H1                -> second features H2 = sigmoid(H1 W2 + b2)
  3. train a softmax classifier on H2
  4. stack the two encoders and the softmax into one network and fine-tune all
     of it by backpropagation on the labelled data.

Network parameters are one dict: encoder layers W1, b1, ..., WL, bL (Wl of shape
(n_{l-1}, n_l)) and the softmax layer W{L+1}, b{L+1}. During fine-tuning only the
softmax weights carry weight decay (as in UFLDL's stackedAECost): the encoder
weights already had theirs during pretraining.
"""
import numpy as np
from scipy.special import expit

from dlcourse.train import lbfgs
from ._inputs import as_float_array, class_labels
from . import softmax_regression, sparse_autoencoder


def num_layers(params):
    """L, the number of encoder layers (the softmax is layer L + 1)."""
    n = sum(1 for k in params if k.startswith("W"))
    if n < 2 or any(f"{c}{l}" not in params for l in range(1, n + 1) for c in "Wb"):
        raise KeyError(f"params must hold W1, b1, ..., W{{L+1}}, b{{L+1}}; got {sorted(params)}")
    return n - 1


def _check(params, X, y=None):
    L = num_layers(params)
    p = {k: as_float_array(v, k) for k, v in params.items()}
    X = as_float_array(X, "X", ndim=2)
    width = X.shape[1]
    for l in range(1, L + 2):
        W, b = p[f"W{l}"], p[f"b{l}"]
        if W.ndim != 2 or W.shape[0] != width or b.shape != (W.shape[1],):
            raise ValueError(f"W{l} {W.shape} / b{l} {b.shape} do not follow a layer of width {width}")
        width = W.shape[1]
    if y is not None:
        y = class_labels(y, width, X.shape[0])
    return p, X, y


def features(params, X):
    """Activations of the top encoder layer, H_L, shape (m, n_L)."""
    p, X, _ = _check(params, X)
    A = X
    for l in range(1, num_layers(p) + 1):
        A = expit(A @ p[f"W{l}"] + p[f"b{l}"])
    return A


def predict(params, X):
    """Most probable class per sample through the whole stack, shape (m,)."""
    p, X, _ = _check(params, X)
    L = num_layers(p)
    return np.argmax(features(p, X) @ p[f"W{L + 1}"] + p[f"b{L + 1}"], axis=1)


def finetune_cost_and_grad(params, X, y, lam=1e-4):
    """Cost and gradient of the whole stack: softmax cross-entropy + lam/2 ||W_{L+1}||^2.

    params: W1, b1, ..., W{L+1}, b{L+1}; X: (m, n); y: labels 0..k-1, shape (m,).
    Returns (cost, grads) with grads shaped like params.
    """
    p, X, y = _check(params, X, y)
    return _finetune_cost_and_grad(p, X, y, lam)


def _finetune_cost_and_grad(p, X, y, lam):
    """`finetune_cost_and_grad` without validation, in X's dtype: the training hot path.

    As in sparse_autoencoder._cost_and_grad: the activations and errors are held with samples in
    columns, (n_l, m), as UFLDL holds them (products OpenBLAS runs faster in float64; nothing
    elementwise here reads X), in buffers kept between evaluations, and worked on in place a block
    of rows at a time; the sigmoids take the dtype's fastest form with its factor folded into the
    weights. The softmax layer is (k, m): ten rows.
    """
    L = num_layers(p)
    m, dt = X.shape[0], X.dtype
    P = {k: v.astype(dt, copy=False) for k, v in p.items()}
    c, act = sparse_autoencoder.sigmoid_form(dt)
    acts = [X.T]
    with np.errstate(over="ignore"):            # exp(-z) = inf for z < -709: sigmoid 0, exactly
        for l in range(1, L + 1):
            W, cb = P[f"W{l}"], (c * P[f"b{l}"])[:, None]
            A = sparse_autoencoder._buffer(f"stack A{l}", (W.shape[1], m), dt)
            np.matmul((c * W).T, acts[-1], out=A)
            for s, e in sparse_autoencoder._blocks(*A.shape, dt)[0]:
                A[s:e] += cb[s:e]
                act(A[s:e])
            acts.append(A)
    Wout = P[f"W{L + 1}"]
    Z = Wout.T @ acts[-1]                          # (k, m): a column of class scores per sample
    Z += P[f"b{L + 1}"][:, None]
    Z -= Z.max(axis=0)
    delta = np.exp(Z)
    total = delta.sum(axis=0)
    rows = np.arange(m)
    cost = (-(np.sum(Z[y, rows], dtype=np.float64) - np.sum(np.log(total), dtype=np.float64)) / m
            + 0.5 * lam * np.sum(Wout * Wout, dtype=np.float64))
    delta /= total
    delta[y, rows] -= 1
    delta /= m                                    # dJ/dZ = (P - Y) / m, transposed
    grads = {f"W{L + 1}": acts[-1] @ delta.T + lam * Wout, f"b{L + 1}": delta.sum(axis=1)}
    for l in range(L, 0, -1):                     # back through the sigmoid layers
        A = acts[l]
        D = sparse_autoencoder._buffer(f"stack D{l}", A.shape, dt)
        np.matmul(P[f"W{l + 1}"], delta, out=D)
        for s, e in sparse_autoencoder._blocks(*A.shape, dt)[0]:
            Db, Ab = D[s:e], A[s:e]
            Db *= Ab
            np.subtract(1, Ab, out=Ab)            # A is not needed after this layer
            Db *= Ab                              # (W^T delta) * A * (1 - A)
        grads[f"W{l}"] = (D @ X).T if l == 1 else acts[l - 1] @ D.T
        grads[f"b{l}"] = D.sum(axis=1)
        delta = D
    return float(cost), grads


def pretrain(X, hidden_sizes=(200, 200), lam=3e-3, beta=3.0, rho=0.1, maxiter=400,
             seed=0, progress=True, dtype=np.float64):
    """Greedy layer-wise pretraining (steps 1 and 2): one sparse autoencoder per layer.

    Each autoencoder is trained by L-BFGS on the previous layer's features.
    Returns (layers, H, histories): layers[l] the trained autoencoder dict (W1, b1, W2, b2)
    of layer l + 1, H the top layer's features of X (steps 1.5 and 2.5), histories[l]
    layer l + 1's cost per L-BFGS iteration.
    """
    X = as_float_array(X, "X", ndim=2)
    A = X.astype(dtype)
    layers, histories = [], []
    for l, h in enumerate(hidden_sizes):
        ae0 = sparse_autoencoder.initialize(A.shape[1], h, seed=seed + l)
        # the cost computes in A's dtype; lbfgs hands SciPy float64 gradients whatever it returns
        fun = lambda p, A, _y: sparse_autoencoder._cost_and_grad(p, A, lam, beta, rho)  # noqa: E731
        ae, hist = lbfgs(fun, ae0, A, maxiter=maxiter, progress=progress, desc=f"autoencoder {l + 1}")
        layers.append(ae)
        histories.append(hist)
        A = expit(A @ ae["W1"].astype(dtype) + ae["b1"].astype(dtype))
    return layers, A.astype(np.float64), histories


def train_softmax(H, y, lam=1e-4, maxiter=400, seed=0, progress=True, dtype=np.float64):
    """Step 3: a softmax classifier on features H by L-BFGS. Returns (params, history)."""
    H = as_float_array(H, "H", ndim=2)
    k = int(np.max(y)) + 1
    y = class_labels(y, k, H.shape[0])
    fun = lambda p, A, yy: softmax_regression._cost_and_grad(p, A, yy, lam)  # noqa: E731
    return lbfgs(fun, softmax_regression.initialize(H.shape[1], k, seed), H.astype(dtype), y,
                 maxiter=maxiter, progress=progress, desc="softmax")


def stack(layers, softmax):
    """One network dict from pretrained autoencoders (their encoders) and a softmax layer."""
    params = {}
    for l, ae in enumerate(layers, start=1):
        params[f"W{l}"], params[f"b{l}"] = ae["W1"].copy(), ae["b1"].copy()
    params[f"W{len(layers) + 1}"] = softmax["W"].copy()
    params[f"b{len(layers) + 1}"] = softmax["b"].copy()
    return params


def finetune(params, X, y, lam=1e-4, maxiter=400, progress=True, dtype=np.float64):
    """Step 4: fine-tune the whole stack by L-BFGS. Returns (params, history)."""
    p, X, y = _check(params, X, y)
    fun = lambda q, A, yy: _finetune_cost_and_grad(q, A, yy, lam)  # noqa: E731
    return lbfgs(fun, p, X.astype(dtype), y, maxiter=maxiter, progress=progress, desc="fine-tuning")


def fit(X, y, hidden_sizes=(200, 200), lam=3e-3, beta=3.0, rho=0.1, softmax_lam=1e-4,
        maxiter=400, seed=0, progress=True, dtype=np.float64):
    """All four steps. Returns a dict: "pretrained" (the stack before fine-tuning),
    "finetuned" (after), and "histories" (cost per iteration of every phase)."""
    layers, H, ae_hist = pretrain(X, hidden_sizes, lam, beta, rho, maxiter, seed, progress, dtype)
    soft, soft_hist = train_softmax(H, y, softmax_lam, maxiter, seed, progress, dtype)
    before = stack(layers, soft)
    after, ft_hist = finetune(before, X, y, softmax_lam, maxiter, progress, dtype)
    return {"pretrained": before, "finetuned": after,
            "histories": {"autoencoders": ae_hist, "softmax": soft_hist, "finetune": ft_hist}}
