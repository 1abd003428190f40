"""How close can a NumPy cost function get to its own matrix products? A lower bound, measured.

The reference costs (sparse autoencoder, fine-tuning) are matrix products plus elementwise work.
With NumPy every elementwise step is a ufunc call: one pass over its array, nothing fused. This
script times, for each phase of the stacked autoencoder in each dtype:
  - the phase's matrix products alone, in the costs' shapes and layouts (as `make bench` does);
  - the reference cost function itself (one evaluation, best of --repeats);
  - a floor for its elementwise work: the steps no formulation can leave out, each timed as one
    ufunc pass over a block that stays in the core's cache (no memory traffic at all), times the
    number of values it touches. The floor is generous to NumPy: every bias add and the sparsity
    term are taken as folded into a product, the float32 sigmoid's halving as folded into the error,
    and the arrays the products write are taken as already in cache.
The last column, (products + floor) / products, is the best cost/products ratio any NumPy
formulation of that cost could reach on this machine; the cost functions cannot beat it without a
compiler that fuses the steps into one pass (numba, a C extension).

The steps counted, per value (x_hat = sigmoid(z), the error e = x_hat - x):
  sigmoid     float64: exp(-z), + 1, 1 / .  (NumPy's float64 exp is twice as fast as its tanh)
              float32: tanh(z / 2), + 1      (the / 2 folded)
  output      e (a subtraction), ||e||^2 (the faster of a BLAS dot and NumPy's einsum), e * x_hat * (1 - x_hat)
              (two multiplications and a subtraction)
  hidden      sigmoid forward; backward h * (1 - h) times the error (a subtraction, two multiplications)
  softmax     (fine-tuning, k x m) minus the max, exp, divide by the sum

    python benchmarks/elementwise_floor.py [--repeats 15] [--threads 2]
"""
import argparse
import os
import time

import numpy as np
from threadpoolctl import threadpool_limits

from dlcourse.data import load_digits
from grader.reference import sparse_autoencoder as SA
from grader.reference import stacked_autoencoder as ST

from stacked_autoencoder import ae_products, finetune_products, gemm_seconds


def per_value_seconds(dtype, repeats=200):
    """Seconds per value of each step, as one ufunc pass over a cache-sized block (the reference's
    block size), best of `repeats`."""
    n = SA._BLOCK_BYTES // np.dtype(dtype).itemsize
    rng = np.random.default_rng(0)
    Z = rng.standard_normal(n).astype(dtype)
    X = rng.random(n).astype(dtype) + 0.5
    out = np.empty_like(Z)
    steps = {
        "exp": lambda: np.exp(Z, out=out),
        "tanh": lambda: np.tanh(Z, out=out),
        "add scalar": lambda: np.add(Z, 1.0, out=out),
        "scalar minus": lambda: np.subtract(1.0, Z, out=out),
        "reciprocal": lambda: np.divide(1.0, X, out=out),
        "subtract": lambda: np.subtract(Z, X, out=out),
        "multiply": lambda: np.multiply(Z, X, out=out),
        "dot": lambda: np.dot(Z, Z),
        "einsum": lambda: np.einsum("i,i->", Z, Z),
    }
    best = {name: best_seconds(step, repeats) / n for name, step in steps.items()}
    best["square sum"] = min(best.pop("dot"), best.pop("einsum"))    # BLAS's dot, or NumPy's own
    return best


def sigmoid_steps(dtype):
    return ["exp", "add scalar", "reciprocal"] if np.dtype(dtype) == np.float64 else ["tanh", "add scalar"]


def floor_seconds(per, dtype, output_values=0, hidden_values=0, softmax_values=0):
    """The elementwise floor: each counted step's per-value time times the values it touches."""
    sig = sum(per[s] for s in sigmoid_steps(dtype))
    output = sig + per["subtract"] + per["square sum"] + 2 * per["multiply"] + per["scalar minus"]
    hidden = sig + per["scalar minus"] + 2 * per["multiply"]
    softmax = per["subtract"] + per["exp"] + per["multiply"]
    return output * output_values + hidden * hidden_values + softmax * softmax_values


def best_seconds(f, repeats):
    b = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        b = min(b, time.perf_counter() - t)
    return b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    args = ap.parse_args()
    X64, y, _, _ = load_digits(n_train=4000, n_test=1000, seed=0)
    m, n, h, k = X64.shape[0], X64.shape[1], 200, 10
    print(f"{m} samples, 784-{h}-{h}-{k}, BLAS on {args.threads} threads; load average {os.getloadavg()[0]:.2f}")
    print(f"  {'phase':<16s} {'dtype':<8s} {'products':>9s} {'cost':>9s} {'cost/prod':>9s}"
          f" {'floor':>9s} {'best NumPy ratio':>16s}")
    with threadpool_limits(args.threads):
        for dtype in (np.float64, np.float32):
            X = X64.astype(dtype)
            per = per_value_seconds(dtype)
            ae1 = SA.initialize(n, h, 0)
            H1 = SA.encode(ae1, X).astype(dtype)
            ae2 = SA.initialize(h, h, 1)
            stack = ST.stack([ae1, ae2],
                             {"W": 0.005 * np.random.default_rng(2).standard_normal((h, k)), "b": np.zeros(k)})
            phases = [
                ("autoencoder 1", ae_products(m, n, h),
                 lambda: SA._cost_and_grad(ae1, X, 3e-3, 3.0, 0.1), dict(output_values=m * n, hidden_values=m * h)),
                ("autoencoder 2", ae_products(m, h, h),
                 lambda: SA._cost_and_grad(ae2, H1, 3e-3, 3.0, 0.1), dict(output_values=m * h, hidden_values=m * h)),
                ("fine-tuning", finetune_products(m, (n, h, h, k)),
                 lambda: ST._finetune_cost_and_grad(stack, X, y, 1e-4),
                 dict(hidden_values=2 * m * h, softmax_values=m * k)),
            ]
            for name, products, cost, values in phases:
                prod = gemm_seconds(products, dtype, args.repeats)
                spent = best_seconds(cost, args.repeats)
                floor = floor_seconds(per, dtype, **values)
                print(f"  {name:<16s} {np.dtype(dtype).name:<8s} {1e3 * prod:7.1f} ms {1e3 * spent:6.1f} ms"
                      f" {spent / prod:9.2f} {1e3 * floor:6.1f} ms {(prod + floor) / prod:16.2f}")
            print(f"  per value, in cache ({np.dtype(dtype).name}): "
                  + ", ".join(f"{s} {1e9 * v:.2f} ns" for s, v in per.items()))


if __name__ == "__main__":
    main()
