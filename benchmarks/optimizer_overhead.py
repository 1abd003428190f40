"""How much of an L-BFGS run is the optimizer's own time: SciPy's L-BFGS-B against a NumPy two-loop
L-BFGS with SciPy's strong-Wolfe line search (what UFLDL's minFunc did), on the same cost.

The cost is the reference sparse autoencoder at full size (4,000 embedded digits, 784-200-784,
314k parameters); both start from the same weights and run the same number of iterations. Printed
per optimizer: iterations, cost evaluations, the final cost, wall time, time inside the cost
function, and the rest (the optimizer's own work) as a share of the wall time. Issue 13 asks for
that share below 10%. The two-loop here is a measurement, not yet the course's training loop
(dlcourse.train.lbfgs uses SciPy's).

    python benchmarks/optimizer_overhead.py [--iters 60] [--maxcor 10]
"""
import argparse
import time
from collections import deque

import numpy as np
from scipy.optimize import line_search, minimize

from dlcourse.data import load_digits
from dlcourse.params import flatten, flatten_like, unflatten
from grader.reference import sparse_autoencoder as SA


def lbfgs_twoloop(fg, x0, maxiter=400, maxcor=10, gtol=1e-5, ftol=2.2e-9):
    """Minimise f with L-BFGS: the two-loop recursion (Nocedal & Wright, Algorithm 7.4) and SciPy's
    strong-Wolfe line search. fg(x) -> (f, g). Returns (x, f, iterations)."""
    cache = {}

    def evaluate(x):                  # the line search asks for f and g separately at the same point
        if "x" not in cache or not np.array_equal(cache["x"], x):
            f, g = fg(x)
            cache.update(x=x.copy(), f=f, g=g)
        return cache["f"], cache["g"]

    x = x0.copy()
    f, g = evaluate(x)
    S, Y, R = deque(maxlen=maxcor), deque(maxlen=maxcor), deque(maxlen=maxcor)
    it = 0
    for it in range(1, maxiter + 1):
        if np.max(np.abs(g)) <= gtol:
            break
        q = g.copy()
        alphas = []
        for s, y, r in zip(reversed(S), reversed(Y), reversed(R)):
            a = r * float(s @ q)
            alphas.append(a)
            q -= a * y
        q *= float(S[-1] @ Y[-1]) / float(Y[-1] @ Y[-1]) if S else min(1.0, 1.0 / float(np.abs(g).sum()))
        for (s, y, r), a in zip(zip(S, Y, R), reversed(alphas)):
            q += (a - r * float(y @ q)) * s
        d = -q
        alpha = line_search(lambda z: evaluate(z)[0], lambda z: evaluate(z)[1], x, d, g, f, c2=0.9, maxiter=20)[0]
        if alpha is None:             # no step satisfies the Wolfe conditions: stop, as minFunc does
            break
        x_new = x + alpha * d
        f_new, g_new = evaluate(x_new)
        s, y = x_new - x, g_new - g
        if float(s @ y) > 1e-10:
            S.append(s), Y.append(y), R.append(1.0 / float(s @ y))
        done = f - f_new <= ftol * max(abs(f), abs(f_new), 1.0)
        x, f, g = x_new, f_new, g_new
        if done:
            break
    return x, f, it


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iters", type=int, default=60)
    ap.add_argument("--maxcor", type=int, default=10)
    args = ap.parse_args()
    X, *_ = load_digits(n_train=4000, n_test=1000, seed=0)
    theta0, spec = flatten(SA.initialize(784, 200, seed=1))
    print(f"sparse autoencoder 784-200-784 on {len(X)} digits, {theta0.size} parameters, {args.iters} iterations")
    for name in ("SciPy L-BFGS-B", "two-loop + Wolfe"):
        spent = [0.0, 0]

        def fg(theta):
            t = time.perf_counter()
            cost, grads = SA._cost_and_grad(unflatten(theta, spec), X, 3e-3, 3.0, 0.1)
            out = cost, flatten_like(grads, spec)
            spent[0] += time.perf_counter() - t
            spent[1] += 1
            return out

        start = time.perf_counter()
        if name.startswith("SciPy"):
            r = minimize(fg, theta0, jac=True, method="L-BFGS-B",
                         options={"maxiter": args.iters, "maxcor": args.maxcor})
            f, n = r.fun, r.nit
        else:
            _, f, n = lbfgs_twoloop(fg, theta0, maxiter=args.iters, maxcor=args.maxcor)
        wall = time.perf_counter() - start
        print(f"{name:18s} {n:4d} iterations {spent[1]:4d} evaluations  cost {f:.5f}  wall {wall:6.1f} s  "
              f"in the cost {spent[0]:6.1f} s  optimizer {wall - spent[0]:5.1f} s ({100 * (wall - spent[0]) / wall:.0f}%)")


if __name__ == "__main__":
    main()
