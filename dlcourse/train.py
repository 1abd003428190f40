"""Training loops that work with any cost function and any optimizer step.

Nothing here is graded: bring your own cost function (and, for mini-batches,
your own optimizer step) and these loops run it, show a progress bar and
return the loss history.

Cost functions follow one interface: ``fun(params, X, y) -> (cost, grads)``
with params and grads dicts of arrays under the same keys (y may be None for an
autoencoder). Optimizer steps follow ``step(params, grad_fn, state, **hyper)
-> (params, state)``, the interface of the course's optimizers.
"""
import warnings

import numpy as np
from scipy.optimize import minimize
from scipy.optimize._linesearch import scalar_search_wolfe2
from tqdm.auto import tqdm

from .params import flatten, flatten_like, unflatten


def lbfgs(fun, params, X, y=None, maxiter=400, progress=True, desc="L-BFGS", maxcor=10,
          method="two-loop"):
    """Full-batch training by L-BFGS, as UFLDL did with minFunc.

    fun: fun(params, X, y) -> (cost, grads).
    params: initial dict of arrays (not modified).
    maxiter: the number of L-BFGS iterations at most (UFLDL: 400).
    maxcor: how many past steps the quasi-Newton matrix remembers.
    method: "two-loop" (default; the two-loop recursion in NumPy with SciPy's strong-Wolfe
        line search, what minFunc does) or "scipy" (SciPy's L-BFGS-B).
    Returns (params, history): the trained dict and the cost after each iteration.
    """
    if method not in ("two-loop", "scipy"):
        raise ValueError(f"method must be 'two-loop' or 'scipy'; got {method!r}")
    theta0, spec = flatten(params)

    def f(theta):
        cost, grads = fun(unflatten(theta, spec), X, y)
        return cost, flatten_like(grads, spec)

    history = []
    with tqdm(total=maxiter, desc=desc, disable=not progress, leave=False) as bar:
        def record(cost):
            history.append(float(cost))
            bar.update(1)
            bar.set_postfix(cost=f"{history[-1]:.4g}", refresh=False)

        if method == "scipy":
            result = minimize(f, theta0, jac=True, method="L-BFGS-B",
                              callback=lambda intermediate_result: record(intermediate_result.fun),
                              options={"maxiter": maxiter, "maxcor": maxcor})
            theta = result.x
        else:
            # a float32 problem keeps float32 memory: half the optimizer's memory traffic
            memory = np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64
            theta = two_loop_lbfgs(f, theta0, maxiter=maxiter, maxcor=maxcor, callback=record,
                                   memory_dtype=memory)
    if not np.all(np.isfinite(theta)):
        raise FloatingPointError("L-BFGS produced non-finite parameters; check the cost function")
    return {k: v.copy() for k, v in unflatten(theta, spec).items()}, history


def two_loop_lbfgs(fg, x0, maxiter=400, maxcor=10, gtol=1e-5, ftol=2.2e-9, callback=None,
                   memory_dtype=np.float64):
    """Minimise f by L-BFGS as minFunc does: the two-loop recursion (Nocedal & Wright, Algorithm 7.4)
    for the direction and SciPy's strong-Wolfe line search (c1 = 1e-4, c2 = 0.9) for the step.

    fg(x) -> (f, g) with x and g float vectors. Stops after maxiter iterations, when max |g| <= gtol,
    or when an iteration lowers f by at most ftol * max(|f|, 1) (SciPy L-BFGS-B's defaults).
    callback(f) is called after every iteration. memory_dtype: the precision of the stored pairs
    (float32 halves the memory traffic; x, g and the Gram matrix stay float64). Returns the last x.

    The recursion runs on dot products only: those of the stored steps s and gradient changes y
    with each other (a (2 maxcor)-square Gram matrix) and with the gradient g, and the direction
    is then assembled by one matrix-vector product ("vector-free" L-BFGS, Chen et al. 2014). An
    iteration reads the memory twice (the direction; the new gradient's products with it, from
    which the Gram matrix's new row and column follow) instead of the textbook's 4 maxcor vector
    operations. The arithmetic is the two-loop recursion's, term for term, up to rounding.
    """
    x = np.array(x0, dtype=np.float64).ravel()
    n, m = x.size, int(maxcor)
    if m < 1:
        raise ValueError(f"maxcor must be at least 1; got {maxcor}")
    B = np.zeros((2 * m, n), memory_dtype)   # rows 0..m-1: steps s, m..2m-1: gradient changes y
    G = np.zeros((2 * m, 2 * m))    # G = B B^T
    rho, a = np.zeros(m), np.zeros(m)
    order = []                      # slots in use, oldest first

    def evaluate(z):
        fz, gz = fg(z)
        return float(fz), np.asarray(gz, dtype=np.float64)

    f, g = evaluate(x)
    b = np.zeros(2 * m)             # B g
    for _ in range(maxiter):
        if max(np.max(g), -np.min(g)) <= gtol:
            break
        c, c0 = np.zeros(2 * m), -1.0                  # the direction d = c0 g + B^T c
        for j in reversed(order):
            a[j] = rho[j] * (c0 * b[j] + G[j] @ c)
            c[m + j] -= a[j]
        if order:
            k = order[-1]
            scale = G[k, m + k] / G[m + k, m + k]        # s'y / y'y
        else:
            scale = min(1.0, 1.0 / float(np.sum(np.abs(g))))   # minFunc's first step
        c0, c = c0 * scale, c * scale
        for j in order:
            c[j] += a[j] - rho[j] * (c0 * b[m + j] + G[m + j] @ c)
        d = np.add(c.astype(B.dtype) @ B, c0 * g)
        slope = float(g @ d)
        if not slope < 0:                              # not a descent direction: forget the memory
            order.clear()
            c0, c = -min(1.0, 1.0 / float(np.sum(np.abs(g)))), np.zeros(2 * m)
            d = c0 * g
            slope = float(g @ d)
        last = {}

        def at(alpha):                                 # f and g at x + alpha d, evaluated once
            if last.get("alpha") != alpha:
                z = x + alpha * d
                last.update(alpha=alpha, x=z, fg=evaluate(z))
            return last["fg"]

        with warnings.catch_warnings():            # SciPy warns when it finds no step; handled below
            warnings.filterwarnings("ignore", "(The line search|Rounding errors)", RuntimeWarning)
            step = scalar_search_wolfe2(lambda t: at(t)[0], lambda t: float(at(t)[1] @ d), f, None, slope,
                                        c1=1e-4, c2=0.9, maxiter=20)[0]
        if step is None:                               # no strong-Wolfe step: retry once along -g
            if not order:
                break
            order.clear()
            continue
        f_new, g_new = at(step)
        x_new = last["x"]
        s_new = np.multiply(d, step)
        y_new = np.subtract(g_new, g)
        sy = float(s_new @ y_new)
        if sy > 1e-10:                                 # keep the pair only if it has positive curvature
            # the new pair's products with the stored vectors, from the old products:
            # s = step d, so B s = step (c0 B g + G c); B y = B g_new - B g
            col_s = step * (c0 * b + G @ c)
            k = order.pop(0) if len(order) == m else len(order)
            order.append(k)
            B[k], B[m + k] = s_new, y_new
            b_new = (B @ g_new.astype(B.dtype)).astype(np.float64)   # the other pass over the memory
            col_y = b_new - b
            col_s[k], col_s[m + k] = float(s_new @ s_new), sy
            col_y[k], col_y[m + k] = sy, float(y_new @ y_new)
            G[:, k], G[k, :], G[:, m + k], G[m + k, :] = col_s, col_s, col_y, col_y
            rho[k] = 1.0 / sy
            b = b_new
        else:
            b = (B @ g_new.astype(B.dtype)).astype(np.float64)
        done = f - f_new <= ftol * max(abs(f), abs(f_new), 1.0)
        x, f, g = x_new, f_new, g_new
        if callback is not None:
            callback(f)
        if done:
            break
    return x


def minibatches(m, batch_size, rng):
    """Index arrays that cover range(m) once, in a random order, batch_size at a time."""
    order = rng.permutation(m)
    return [order[i:i + batch_size] for i in range(0, m, batch_size)]


def minibatch(fun, params, X, y, step, num_epochs=10, batch_size=128, seed=0,
              progress=True, desc=None, **hyper):
    """Mini-batch training with an optimizer step.

    fun: fun(params, X_batch, y_batch) -> (cost, grads).
    step: an optimizer, step(params, grad_fn, state, **hyper) -> (params, state).
    hyper: the optimizer's hyper-parameters (lr=..., beta1=...).
    Returns (params, history): history[e] is the mean of the batch costs seen
    during epoch e (for NAG, costs at the look-ahead points where it evaluates).
    """
    if y is not None and len(y) != len(X):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    rng = np.random.default_rng(seed)
    state, history = None, []
    batches_per_epoch = -(-len(X) // batch_size)
    with tqdm(total=num_epochs * batches_per_epoch, desc=desc or getattr(step, "__name__", "train"),
              disable=not progress, leave=False) as bar:
        for _ in range(num_epochs):
            costs = []
            for idx in minibatches(len(X), batch_size, rng):
                Xb, yb = X[idx], (None if y is None else y[idx])

                def grad_fn(p, Xb=Xb, yb=yb):
                    cost, grads = fun(p, Xb, yb)
                    costs.append(cost)
                    return grads

                params, state = step(params, grad_fn, state, **hyper)
                bar.update(1)
            history.append(float(np.mean(costs)))
            bar.set_postfix(cost=f"{history[-1]:.4g}", refresh=False)
    return params, history
