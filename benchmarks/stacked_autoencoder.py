"""Benchmark: the full UFLDL stacked sparse autoencoder on the embedded digits.

Recipe (UFLDL's stacked autoencoder exercise): 784-200-200-10, rho = 0.1,
lam = 3e-3, beta = 3 for both autoencoders; softmax lam = 1e-4; L-BFGS with 400
iterations for each autoencoder, the softmax and the fine-tuning. Data: the
5,000 embedded MNIST digits, stratified 4,000 train / 1,000 test, seed 0.

Prints, for each way of training (L-BFGS, then mini-batch Adam):
  - test accuracy of softmax on raw pixels, of the stack before and after fine-tuning;
  - wall time of every phase, and how long that phase's matrix products alone
    take on the same shapes in this same run (the ratio shows how close training
    runs to the machine's BLAS limit);
  - peak resident memory.

    python benchmarks/stacked_autoencoder.py [--dtype float32] [--maxiter 400] [--skip-adam]
"""
import argparse
import resource
import time

import numpy as np
from threadpoolctl import threadpool_info

from dlcourse.data import load_digits
from grader.reference import softmax_regression as SR
from grader.reference import sparse_autoencoder as SA
from grader.reference import stacked_autoencoder as ST
from grader.reference import training


class Counted:
    """Wrap a module's private cost function to count its evaluations and time them."""

    def __init__(self, module, name):
        self.module, self.name, self.calls, self.seconds = module, name, 0, 0.0
        self.inner = getattr(module, name)

    def __enter__(self):
        def wrapped(*a, **k):
            self.calls += 1
            t = time.perf_counter()
            try:
                return self.inner(*a, **k)
            finally:
                self.seconds += time.perf_counter() - t
        setattr(self.module, self.name, wrapped)
        return self

    def __exit__(self, *exc):
        setattr(self.module, self.name, self.inner)


def gemm_seconds(shapes, dtype, repeats=5):
    """Best-of-`repeats` time of the products A(m,k) @ B(k,n) for (m, k, n) in shapes."""
    rng = np.random.default_rng(0)
    pairs = [(rng.random((m, k)).astype(dtype), rng.random((k, n)).astype(dtype)) for m, k, n in shapes]
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        for A, B in pairs:
            A @ B
        best = min(best, time.perf_counter() - t)
    return best


def ae_products(m, n, h):
    # forward X W1, H W2; backward H^T d3, d3 W2^T, X^T d2
    return [(m, n, h), (m, h, n), (h, m, n), (m, n, h), (n, m, h)]


def softmax_products(m, n, k):
    return [(m, n, k), (n, m, k)]


def finetune_products(m, sizes):
    out = [(m, a, b) for a, b in zip(sizes[:-1], sizes[1:])]            # forward
    for l in range(len(sizes) - 1, 0, -1):                               # backward
        out.append((sizes[l - 1], m, sizes[l]))                          # A^T delta
        if l > 1:
            out.append((m, sizes[l], sizes[l - 1]))                      # delta W^T
    return out


def accuracy(pred, y):
    return 100.0 * float(np.mean(pred == y))


def row(name, seconds, counted=None, gemm=None):
    """One phase: wall time; with L-BFGS also evaluations, time inside the cost
    function, the same products alone, and their ratios."""
    if counted is None:
        print(f"  {name:<20s} {seconds:7.1f} s")
        return
    alone = gemm * counted.calls
    print(f"  {name:<20s} {seconds:7.1f} s {counted.calls:6d} {counted.seconds:8.1f} s {alone:8.1f} s"
          f" {counted.seconds / alone:7.2f} {seconds / alone:7.2f}")


HEADER = (f"  {'phase':<20s} {'wall':>9s} {'evals':>6s} {'in cost':>10s} {'products':>10s}"
          f" {'cost/prod':>9s} {'wall/prod':>7s}")


def run_lbfgs(data, args, dtype):
    X_tr, y_tr, X_te, y_te = data
    m, n = X_tr.shape
    h1, h2 = args.hidden
    k = 10
    opts = dict(maxiter=args.maxiter, progress=not args.quiet, dtype=dtype)
    print(f"\nL-BFGS, {args.maxiter} iterations a phase, {np.dtype(dtype).name}")
    t0 = time.perf_counter()
    print(HEADER)
    with Counted(SR, "_cost_and_grad") as c:
        raw, _ = ST.train_softmax(X_tr, y_tr, args.softmax_lam, **opts)
    row("softmax on pixels", time.perf_counter() - t0, c, gemm_seconds(softmax_products(m, n, k), dtype))
    acc_raw = accuracy(SR.predict(raw, X_te), y_te)

    t_all = time.perf_counter()
    with Counted(SA, "_cost_and_grad") as c:
        t0 = time.perf_counter()
        layers, H, _ = ST.pretrain(X_tr, (h1,), args.lam, args.beta, args.rho, seed=0, **opts)
        row("autoencoder 1", time.perf_counter() - t0, c, gemm_seconds(ae_products(m, n, h1), dtype))
    with Counted(SA, "_cost_and_grad") as c:
        t0 = time.perf_counter()
        layers2, H2, _ = ST.pretrain(H, (h2,), args.lam, args.beta, args.rho, seed=1, **opts)
        row("autoencoder 2", time.perf_counter() - t0, c, gemm_seconds(ae_products(m, h1, h2), dtype))
    layers += layers2
    with Counted(SR, "_cost_and_grad") as c:
        t0 = time.perf_counter()
        soft, _ = ST.train_softmax(H2, y_tr, args.softmax_lam, **opts)
        row("softmax on features", time.perf_counter() - t0, c,
            gemm_seconds(softmax_products(m, h2, k), dtype))
    before = ST.stack(layers, soft)
    with Counted(ST, "_finetune_cost_and_grad") as c:
        t0 = time.perf_counter()
        after, _ = ST.finetune(before, X_tr, y_tr, args.softmax_lam, **opts)
        row("fine-tuning", time.perf_counter() - t0, c,
            gemm_seconds(finetune_products(m, (n, h1, h2, k)), dtype))
    total = time.perf_counter() - t_all
    return acc_raw, accuracy(ST.predict(before, X_te), y_te), accuracy(ST.predict(after, X_te), y_te), total


def run_adam(data, args, dtype):
    """The same stack trained a second way: mini-batch Adam from the reference optimizers."""
    X_tr, y_tr, X_te, y_te = data
    h1, h2 = args.hidden
    e, bs = args.adam_epochs, args.adam_batch
    print(f"\nmini-batch Adam, batch {bs}, {e} epochs a phase, lr {args.adam_lr}, {np.dtype(dtype).name}")
    quiet = args.quiet

    def ae_fun(p, Xb, _y):
        c, g = SA._cost_and_grad(p, Xb, args.lam, args.beta, args.rho)
        return c, g

    def sm_fun(p, Xb, yb):
        return SR._cost_and_grad(p, Xb, yb, args.softmax_lam)

    def ft_fun(p, Xb, yb):
        return ST._finetune_cost_and_grad(p, Xb, yb, args.softmax_lam)

    t_all = time.perf_counter()
    A, layers = X_tr.astype(dtype), []
    for l, h in enumerate((h1, h2)):
        t0 = time.perf_counter()
        ae, _ = training.train_minibatch(ae_fun, SA.initialize(A.shape[1], h, seed=l), A, None,
                                         "adam", num_epochs=e, batch_size=bs, lr=args.adam_lr,
                                         progress=not quiet, desc=f"autoencoder {l + 1}")
        row(f"autoencoder {l + 1}", time.perf_counter() - t0)
        layers.append(ae)
        A = SA.encode(ae, A).astype(dtype)
    t0 = time.perf_counter()
    soft, _ = training.train_minibatch(sm_fun, SR.initialize(h2, 10), A, y_tr, "adam", num_epochs=e,
                                       batch_size=bs, lr=args.adam_lr, progress=not quiet, desc="softmax")
    row("softmax on features", time.perf_counter() - t0)
    before = ST.stack(layers, soft)
    t0 = time.perf_counter()
    after, _ = training.train_minibatch(ft_fun, before, X_tr.astype(dtype), y_tr, "adam", num_epochs=e,
                                        batch_size=bs, lr=args.adam_lr, progress=not quiet,
                                        desc="fine-tuning")
    row("fine-tuning", time.perf_counter() - t0)
    total = time.perf_counter() - t_all
    return accuracy(ST.predict(before, X_te), y_te), accuracy(ST.predict(after, X_te), y_te), total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--maxiter", type=int, default=400)
    ap.add_argument("--hidden", type=int, nargs=2, default=(200, 200))
    ap.add_argument("--rho", type=float, default=0.1)
    ap.add_argument("--lam", type=float, default=3e-3)
    ap.add_argument("--beta", type=float, default=3.0)
    ap.add_argument("--softmax-lam", type=float, default=1e-4)
    ap.add_argument("--adam-epochs", type=int, default=20)
    ap.add_argument("--adam-batch", type=int, default=128)
    ap.add_argument("--adam-lr", type=float, default=3e-3)
    ap.add_argument("--skip-lbfgs", action="store_true")
    ap.add_argument("--skip-adam", action="store_true")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    args = ap.parse_args()
    dtype = np.dtype(args.dtype).type

    blas = ", ".join(f"{i['internal_api']} {i.get('architecture', '')} x{i['num_threads']}"
                     for i in threadpool_info() if i["user_api"] == "blas")
    print(f"BLAS: {blas}")
    data = load_digits(n_train=4000, n_test=1000, seed=0)
    print(f"data: embedded MNIST digits, {len(data[0])} train / {len(data[2])} test, stratified, seed 0")
    results = {}
    if not args.skip_lbfgs:
        results["L-BFGS"] = run_lbfgs(data, args, dtype)
        raw, before, after, total = results["L-BFGS"]
        print(f"  {'total (stack)':<20s} {total:7.1f} s")
        print(f"  test accuracy: softmax on pixels {raw:.1f}%   stack before fine-tuning {before:.1f}%"
              f"   after {after:.1f}%")
    if not args.skip_adam:
        before, after, total = run_adam(data, args, dtype)
        results["Adam"] = (None, before, after, total)
        print(f"  {'total (stack)':<20s} {total:7.1f} s")
        print(f"  test accuracy: stack before fine-tuning {before:.1f}%   after {after:.1f}%")
    if len(results) == 2:
        lb, ad = results["L-BFGS"], results["Adam"]
        print(f"\nAdam vs L-BFGS: accuracy {ad[2] - lb[2]:+.1f} points, time {ad[3] / lb[3]:.2f}x")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
