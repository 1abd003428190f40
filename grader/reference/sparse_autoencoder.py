r"""The sparse autoencoder (lecture part 4, Sparse AutoEncoder; UFLDL's sparseAutoencoderCost).

Layout (samples in rows, the transpose of UFLDL's MATLAB layout)::

    X      (m, n)   inputs in [0, 1]
    W1     (n, h)   b1 (h,)     H     = sigmoid(X W1 + b1)   hidden code, (m, h)
    W2     (h, n)   b2 (n,)     X_hat = sigmoid(H W2 + b2)   reconstruction, (m, n)

Cost (m samples, rho the target activation, rho_hat_j = mean_i H_ij)::

    J = 1/(2m) sum_i ||x_hat_i - x_i||^2                 reconstruction
      + lam/2 (||W1||^2 + ||W2||^2)                      weight decay, biases excluded
      + beta sum_j KL(rho || rho_hat_j)                  sparsity

The slides write the weight decay as lam * sum W^2 (no 1/2) and the
reconstruction as a plain sum; UFLDL, whose recipe and constants (lam = 3e-3,
beta = 3, rho = 0.1) the course uses, has the 1/(2m) and lam/2 written here.
"""
import numpy as np
from scipy.special import expit

from ._inputs import as_float_array

PARAM_KEYS = ("W1", "b1", "W2", "b2")


def initialize(n_visible, n_hidden, seed=0):
    """UFLDL's initialisation: W ~ U(-r, r), r = sqrt(6 / (n_visible + n_hidden + 1)); biases 0.

    Returns a dict with W1 (n_visible, n_hidden), b1 (n_hidden,), W2 (n_hidden, n_visible), b2 (n_visible,).
    """
    rng = np.random.default_rng(seed)
    r = np.sqrt(6.0 / (n_visible + n_hidden + 1))
    return {"W1": rng.uniform(-r, r, (n_visible, n_hidden)), "b1": np.zeros(n_hidden),
            "W2": rng.uniform(-r, r, (n_hidden, n_visible)), "b2": np.zeros(n_visible)}


def kl_divergence(rho, rho_hat):
    r"""KL(rho || rho_hat_j) between Bernoulli(rho) and Bernoulli(rho_hat_j), elementwise.

    rho*log(rho/rho_hat) + (1-rho)*log((1-rho)/(1-rho_hat)); 0 where rho_hat = rho,
    growing without bound as rho_hat -> 0 or 1.
    """
    rho_hat = np.asarray(rho_hat)
    return rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))


def _check(params, X, rho):
    missing = [k for k in PARAM_KEYS if k not in params]
    if missing:
        raise KeyError(f"params needs {PARAM_KEYS}; missing {missing}")
    p = {k: as_float_array(params[k], k) for k in PARAM_KEYS}
    X = as_float_array(X, "X", ndim=2)
    n, h = p["W1"].shape if p["W1"].ndim == 2 else (None, None)
    if (p["W1"].shape != (X.shape[1], h) or p["b1"].shape != (h,)
            or p["W2"].shape != (h, n) or p["b2"].shape != (n,)):
        raise ValueError(f"parameter shapes do not fit X {X.shape}: "
                         + ", ".join(f"{k} {p[k].shape}" for k in PARAM_KEYS))
    if not 0 < rho < 1:
        raise ValueError(f"rho must be in (0, 1); got {rho}")
    return p, X


def forward(params, X):
    """Return (H, X_hat): hidden activations (m, h) and reconstruction (m, n)."""
    p, X = _check(params, X, 0.5)
    H = expit(X @ p["W1"] + p["b1"])
    return H, expit(H @ p["W2"] + p["b2"])


def encode(params, X):
    """Hidden features H = sigmoid(X W1 + b1), shape (m, h)."""
    return forward(params, X)[0]


def cost_and_grad(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """Cost J (float) and its gradient (dict like params) for the sparse autoencoder.

    params: dict W1, b1, W2, b2 (see module docstring); X: (m, n) data in rows.
    lam: weight decay; beta: weight of the sparsity penalty; rho: target mean activation.
    """
    p, X = _check(params, X, rho)
    return _cost_and_grad(p, X, lam, beta, rho)


# The elementwise work runs a block of rows at a time, so that a block of an (m, width) array, its
# companions (the block of X, a temporary) stay in the core's cache between the elementwise steps:
# each (m, width) array is read and written about once instead of once per step. A block holds
# about _BLOCK_BYTES (rows = _BLOCK_BYTES // (width * itemsize), at least 16): a quarter of this
# machine's 2 MB L2 is the fastest (measured 2^13 to 2^17 values in both dtypes; fewer rows and the
# calls' own overhead shows, more and the blocks leave the cache).
_BLOCK_BYTES = 1 << 18
_BUFFERS = {}           # (name, shape, dtype) -> array reused across evaluations (never returned)


def _buffer(name, shape, dtype):
    key = (name, shape, np.dtype(dtype).str)
    buf = _BUFFERS.get(key)
    if buf is None:
        if len(_BUFFERS) >= 16:         # e.g. mini-batches of many sizes: do not hoard memory
            _BUFFERS.clear()
        buf = _BUFFERS[key] = np.empty(shape, dtype)
    return buf


def _blocks(m, width, dtype):
    rows = max(16, _BLOCK_BYTES // (width * np.dtype(dtype).itemsize))
    return [(s, min(s + rows, m)) for s in range(0, m, rows)], rows


def sigmoid_form(dtype):
    """(c, act): act(Z) overwrites Z = c z with sigmoid(z), in the form fastest in the dtype, with
    its factor c to be folded (exactly: a halving or a negation) into the weights and biases that
    make Z. float32: (1 + tanh(z/2)) / 2, c = 1/2; float64: 1 / (1 + exp(-z)), c = -1 (NumPy's
    float64 exp is twice as fast as its tanh). Call it under np.errstate(over="ignore"): exp(-z)
    is inf for z < -709 in float64, and the sigmoid exactly 0 there."""
    if np.dtype(dtype) == np.float64:
        def act(Z):
            np.exp(Z, out=Z)
            Z += 1.0
            np.divide(1.0, Z, out=Z)
        return -1.0, act

    def act(Z):
        np.tanh(Z, out=Z)
        Z += 1.0
        Z *= 0.5
    return 0.5, act


def _cost_and_grad(p, X, lam, beta, rho):
    """`cost_and_grad` without validation, in X's dtype (float32 or float64): the training hot path.

    The hidden layer is held with samples in columns, (h, m), as UFLDL's MATLAB code holds it: its
    products then have shapes OpenBLAS runs faster in float64 (measured on 2 cores at UFLDL's size:
    the cost's five products 57 ms -> 51 ms; float32 about the same). The output layer stays (m, n),
    beside X, whose rows its elementwise work reads. The matrix products write into buffers kept
    between evaluations (fresh (m, n) arrays cost page faults), and every elementwise step runs on
    a block of rows in cache (see _BLOCK_BYTES). The sigmoids take the form fastest in the dtype
    (below), with its factor folded into the weights (exactly: a halving or a negation), and the
    1/m of the gradients is applied to the small products, not to the errors. Sums inside the
    block loops are NumPy's own, not BLAS calls (two BLAS calls a block, with BLAS on 2 threads,
    took the float64 output layer's elementwise work 18 ms against 16 ms; about even in float32).
    Nothing returned is a buffer: the gradients are fresh arrays every call.
    """
    m, n = X.shape
    dt = X.dtype
    W1, b1, W2, b2 = (p[k].astype(dt, copy=False) for k in PARAM_KEYS)
    h = W1.shape[1]
    ones = _buffer("ones", (m,), dt)
    ones.fill(1)
    c, act = sigmoid_form(dt)
    with np.errstate(over="ignore"):            # exp(-z) = inf for z < -709: sigmoid 0, exactly
        Ht = _buffer("Ht", (h, m), dt)           # H transposed: a row per hidden unit
        np.matmul((c * W1).T, X.T, out=Ht)
        cb1 = (c * b1)[:, None]
        blocks_h, rows_h = _blocks(h, m, dt)
        for s, e in blocks_h:
            Hb = Ht[s:e]
            Hb += cb1[s:e]
            act(Hb)
        rho_hat = Ht @ ones
        rho_hat /= m
        # output layer, in place in E: c times the pre-activation, x_hat, then m * delta3
        E = _buffer("E", (m, n), dt)
        np.matmul(Ht.T, c * W2, out=E)
        cb2 = c * b2
        blocks_n, rows_n = _blocks(m, n, dt)
        T = _buffer("T", (min(rows_n, m), n), dt)
        sq, col = 0.0, np.zeros(n, dt)
        for s, e in blocks_n:
            Z, Xb = E[s:e], X[s:e]
            D = T[:e - s]
            Z += cb2
            act(Z)                                   # Z = x_hat
            np.subtract(Z, Xb, out=D)                # D = x_hat - x
            flat = D.reshape(-1)
            sq += float(np.einsum("i,i->", flat, flat))
            # Backpropagation. m * delta3 = (x_hat - x) * x_hat * (1 - x_hat), the error at the
            # output's pre-activation; the 1/m is applied to the small (h-wide) products below.
            D *= Z
            np.subtract(1.0, Z, out=Z)
            Z *= D
            np.add(col, Z.sum(axis=0), out=col)
    cost = (0.5 / m * sq
            + 0.5 * lam * (float(np.vdot(W1, W1)) + float(np.vdot(W2, W2)))
            + beta * float(np.sum(kl_divergence(rho, rho_hat))))
    # The sparsity term depends on every sample through rho_hat = mean_i H_ij,
    # so each sample gets d(beta*KL)/d(rho_hat_j) * 1/m added to its hidden error.
    sparse = (beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat)))[:, None]
    # m * delta2 = (E W2^T + sparse) * H (1 - H), transposed like H, a block at a time
    D2t = _buffer("D2t", (h, m), dt)
    np.matmul(W2, E.T, out=D2t)
    S = _buffer("S", (min(rows_h, h), m), dt)
    for s, e in blocks_h:
        Db, Hb, Sb = D2t[s:e], Ht[s:e], S[:e - s]
        Db += sparse[s:e]
        np.subtract(1.0, Hb, out=Sb)
        Sb *= Hb
        Db *= Sb
    col2 = D2t @ ones
    gW1 = (D2t @ X).T
    gW1 *= 1.0 / m
    gW1 += lam * W1
    gW2 = Ht @ E
    gW2 *= 1.0 / m
    gW2 += lam * W2
    return float(cost), {"W1": gW1, "b1": col2 / m, "W2": gW2, "b2": col / m}
