"""Training loops that work with any cost function and any optimizer step.

Nothing here is graded: bring your own cost function (and, for mini-batches,
your own optimizer step) and these loops run it, show a progress bar and
return the loss history.

Cost functions follow one interface: ``fun(params, X, y) -> (cost, grads)``
with params and grads dicts of arrays under the same keys (y may be None for an
autoencoder). Optimizer steps follow ``step(params, grad_fn, state, **hyper)
-> (params, state)``, the interface of the course's optimizers.
"""
import numpy as np
from scipy.optimize import minimize
from tqdm.auto import tqdm

from .params import flatten, flatten_like, unflatten


def lbfgs(fun, params, X, y=None, maxiter=400, progress=True, desc="L-BFGS", maxcor=10):
    """Full-batch training with SciPy's L-BFGS-B (UFLDL used minFunc's L-BFGS).

    fun: fun(params, X, y) -> (cost, grads).
    params: initial dict of arrays (not modified).
    maxiter: the number of L-BFGS iterations at most (UFLDL: 400).
    Returns (params, history): the trained dict and the cost after each iteration.
    """
    theta0, spec = flatten(params)

    def f(theta):
        cost, grads = fun(unflatten(theta, spec), X, y)
        return cost, flatten_like(grads, spec)

    history = []
    with tqdm(total=maxiter, desc=desc, disable=not progress, leave=False) as bar:
        def callback(intermediate_result):
            history.append(float(intermediate_result.fun))
            bar.update(1)
            bar.set_postfix(cost=f"{history[-1]:.4g}", refresh=False)

        result = minimize(f, theta0, jac=True, method="L-BFGS-B", callback=callback,
                          options={"maxiter": maxiter, "maxcor": maxcor})
    if not np.all(np.isfinite(result.x)):
        raise FloatingPointError("L-BFGS produced non-finite parameters; check the cost function")
    return {k: v.copy() for k, v in unflatten(result.x, spec).items()}, history


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
