"""How much of an L-BFGS run is the optimizer's own time, and how fast each optimizer gets to a given
cost: SciPy's L-BFGS-B against dlcourse.train's NumPy L-BFGS (two-loop recursion, SciPy's strong-Wolfe
line search, as UFLDL's minFunc), each with a few memory sizes (maxcor), on the same cost.

The cost is the reference sparse autoencoder at full size (4,000 embedded digits, 784-200-784, 314k
parameters); every variant starts from the same weights. Variants run interleaved, --reps times, on
--threads BLAS threads (threadpoolctl; one by default, so that the numbers mean something on a busy
machine), timed in process CPU time. Printed per run: iterations, evaluations, the final cost, the time
inside the cost function and the rest (the optimizer's own work) with its share; then, at equal cost
(the highest final cost of any variant), the iteration and CPU time at which each variant got there.

Why SciPy's evaluations looked slower (142 ms against 93 ms in an earlier run on two threads): not
the memory layout (x reaches the cost C-contiguous, writeable, float64 under both) and not the points
(SciPy's iterates cost the same when replayed outside SciPy): SciPy ships its own OpenBLAS, separate
from NumPy's, and L-BFGS-B's vector work runs on it; with two threads per library on two cores, the
threads of one compete with the other's. With one thread for both, an evaluation costs the same CPU
time under both optimizers.

    python benchmarks/optimizer_overhead.py [--iters 150] [--reps 2] [--threads 1] [--dtype float64]
"""
import argparse
import os
import time

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from dlcourse.data import load_digits
from dlcourse.params import flatten, flatten_like, unflatten
from dlcourse.train import two_loop_lbfgs
from grader.reference import sparse_autoencoder as SA

VARIANTS = [("SciPy L-BFGS-B", 10), ("SciPy L-BFGS-B", 5), ("NumPy two-loop", 10), ("NumPy two-loop", 5),
            ("NumPy two-loop f32 memory", 10), ("NumPy two-loop f32 memory", 5),
            ("NumPy two-loop all float32", 10)]     # what dlcourse.train.lbfgs runs for a float32 problem


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iters", type=int, default=150)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    args = ap.parse_args()
    X, *_ = load_digits(n_train=4000, n_test=1000, seed=0)
    X = X.astype(args.dtype)
    theta0, spec = flatten(SA.initialize(784, 200, seed=1))
    clock = time.process_time
    print(f"sparse autoencoder 784-200-784 on {len(X)} digits, {theta0.size} parameters, {args.dtype}, "
          f"{args.iters} iterations, {args.threads} BLAS threads, CPU seconds")
    runs = {}
    variants = [v for v in VARIANTS if "all float32" not in v[0] or args.dtype == "float32"]
    with threadpool_limits(args.threads):
        for rep in range(args.reps):
            for name, maxcor in variants:
                spent, evals, hist = [0.0], [0], []
                work = np.float32 if "all float32" in name else np.float64

                def fg(theta):
                    t = clock()
                    cost, grads = SA._cost_and_grad(unflatten(theta, spec, work), X, 3e-3, 3.0, 0.1)
                    out = cost, flatten_like(grads, spec, work)
                    spent[0] += clock() - t
                    evals[0] += 1
                    return out

                start = clock()
                if name.startswith("SciPy"):
                    minimize(fg, theta0, jac=True, method="L-BFGS-B",
                             callback=lambda intermediate_result: hist.append((intermediate_result.fun,
                                                                                clock() - start)),
                             options={"maxiter": args.iters, "maxcor": maxcor})
                else:
                    two_loop_lbfgs(fg, theta0, maxiter=args.iters, maxcor=maxcor,
                                   callback=lambda f: hist.append((f, clock() - start)),
                                   memory_dtype=np.float32 if "f32" in name else None, dtype=work)
                cpu = clock() - start
                own = cpu - spent[0]
                runs.setdefault((name, maxcor), []).append(hist)
                print(f"  load {os.getloadavg()[0]:4.2f}  {name} maxcor {maxcor:2d}: {len(hist)} iterations"
                      f" {evals[0]} evaluations  cost {hist[-1][0]:.5f}  CPU {cpu:6.1f} s  in the cost"
                      f" {spent[0]:6.1f} s ({1000 * spent[0] / evals[0]:.0f} ms each)  optimizer {own:5.2f} s"
                      f" ({100 * own / cpu:4.1f}%, {1000 * own / len(hist):.1f} ms an iteration)", flush=True)
    target = max(min(h[-1][0] for h in hs) for hs in runs.values())
    print(f"equal cost {target:.5f} (the highest final cost of any variant) reached at:")
    for (name, maxcor), hs in runs.items():
        when = min(next((t, i + 1) for i, (f, t) in enumerate(h) if f <= target) for h in hs)
        print(f"  {name} maxcor {maxcor:2d}: iteration {when[1]}, {when[0]:.1f} CPU s (best of {len(hs)})")


if __name__ == "__main__":
    main()
