"""Benchmark: the full UFLDL stacked sparse autoencoder on the embedded digits.

Recipe (UFLDL's stacked autoencoder exercise): 784-200-200-10, rho = 0.1,
lam = 3e-3, beta = 3 for both autoencoders; softmax lam = 1e-4; L-BFGS with 400
iterations for each autoencoder, the softmax and the fine-tuning. Data: the
5,000 embedded MNIST digits, stratified 4,000 train / 1,000 test, seed 0.

Prints, for each way of training (L-BFGS in each dtype, then mini-batch Adam):
  - test accuracy of softmax on raw pixels, of the stack before and after fine-tuning;
  - wall time of every phase, split into the time inside the cost function and the rest
    (the optimizer's own work), and how long that phase's matrix products alone take, in the
    shapes and layouts the cost function uses, in this same run (the ratio shows how close
    training runs to the BLAS limit);
  - with --seeds N, the after-fine-tuning accuracy of N seeds (initial weights) and its median;
  - when PyTorch is installed (it is never a course requirement), the same recipe from the same
    initial weights with torch.optim.LBFGS (strong-Wolfe line search, history 10), per dtype, with
    the same columns (its products: the same shapes by PyTorch's own BLAS);
  - peak resident memory.
BLAS (and PyTorch) run on --threads threads (threadpoolctl), printed first: on a busy machine
the time of multi-threaded BLAS swings with the load, one thread a process does not.

    python benchmarks/stacked_autoencoder.py [--dtype float64 float32] [--maxiter 400] [--seeds 3]
        [--threads 1] [--method two-loop|scipy] [--skip-adam] [--skip-torch]
"""
import argparse
import functools
import os
import resource
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from dlcourse.data import load_digits
from grader.reference import softmax_regression as SR
from grader.reference import sparse_autoencoder as SA
from grader.reference import stacked_autoencoder as ST
from dlcourse import train
from grader.reference import training


class Counted:
    """Wrap a module's private cost function to count its evaluations and time them (with no
    module: a counter the caller updates)."""

    def __init__(self, module, name):
        self.module, self.name, self.calls, self.seconds = module, name, 0, 0.0
        self.inner = getattr(module, name) if module is not None else None

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


# A product is two operands, each (rows, cols, transposed): a transposed operand is the transpose
# of a C-ordered array (a view, as the cost functions hand it to BLAS), so that the products are
# timed in the layouts the cost functions use.
N, T = False, True


def _operand(rng, rows, cols, transposed, dtype):
    a = rng.random((cols, rows) if transposed else (rows, cols)).astype(dtype)
    return a.T if transposed else a


def _best_seconds(pairs, repeats):
    """Best-of-`repeats` time of A @ B for every (A, B) in pairs."""
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        for A, B in pairs:
            A @ B
        best = min(best, time.perf_counter() - t)
    return best


def gemm_seconds(products, dtype, repeats=5):
    """Best-of-`repeats` time of the products, in their layouts, by NumPy."""
    rng = np.random.default_rng(0)
    return _best_seconds([(_operand(rng, *a, dtype), _operand(rng, *b, dtype)) for a, b in products], repeats)


def torch_gemm_seconds(products, dtype, repeats=5):
    """The same products' shapes by PyTorch, C-ordered (its own BLAS: MKL in its x86 wheels)."""
    import torch

    gen = torch.Generator().manual_seed(0)
    return _best_seconds([(torch.rand(a[0], a[1], dtype=dtype, generator=gen),
                           torch.rand(b[0], b[1], dtype=dtype, generator=gen)) for a, b in products], repeats)


def ae_products(m, n, h):
    """sparse_autoencoder._cost_and_grad's products: the hidden layer is (h, m), the output (m, n)."""
    return [((h, n, T), (n, m, T)),     # H^T = (c W1)^T X^T
            ((m, h, T), (h, n, N)),     # H (c W2), into the (m, n) output
            ((h, n, N), (n, m, T)),     # W2 delta3^T: the hidden error, transposed
            ((h, m, N), (m, n, N)),     # delta2^T X: the W1 gradient, transposed
            ((h, m, N), (m, n, N))]     # H^T delta3: the W2 gradient


def softmax_products(m, n, k):
    """softmax_regression._cost_and_grad's: X W and X^T G."""
    return [((m, n, N), (n, k, N)), ((n, m, T), (m, k, N))]


def finetune_products(m, sizes):
    """stacked_autoencoder._finetune_cost_and_grad's: activations and errors are (n_l, m)."""
    out = [((sizes[1], sizes[0], T), (sizes[0], m, T))]                                 # W1^T X^T
    out += [((b, a, T), (a, m, N)) for a, b in zip(sizes[1:-1], sizes[2:])]            # W^T A, up to the scores
    L = len(sizes) - 2
    out.append(((sizes[L], m, N), (m, sizes[L + 1], T)))                               # A_L delta^T
    for l in range(L, 0, -1):
        out.append(((sizes[l], sizes[l + 1], N), (sizes[l + 1], m, N)))                # W delta
        out.append(((sizes[l], m, N), (m, sizes[0], N)) if l == 1 else
                   ((sizes[l - 1], m, N), (m, sizes[l], T)))                           # the W_l gradient
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
    opt = seconds - counted.seconds
    OPTIMIZER_SECONDS.append(opt)
    print(f"  {name:<20s} {seconds:7.1f} s {counted.calls:6d} {counted.seconds:8.1f} s {alone:8.1f} s"
          f" {opt:7.1f} s {100 * opt / seconds:5.1f}% {counted.seconds / alone:9.2f} {seconds / alone:9.2f}")


OPTIMIZER_SECONDS = []          # the optimizer's own time in each phase row() printed since it was cleared


def total_row(seconds):
    """The stack's wall time, and the optimizer's share of it."""
    share = f"   optimizer {100 * sum(OPTIMIZER_SECONDS) / seconds:.1f}% of it" if OPTIMIZER_SECONDS else ""
    print(f"  {'total (stack)':<20s} {seconds:7.1f} s{share}")
    OPTIMIZER_SECONDS.clear()


HEADER = (f"  {'phase':<20s} {'wall':>9s} {'evals':>6s} {'in cost':>10s} {'products':>10s}"
          f" {'optimizer':>9s} {'share':>6s} {'cost/prod':>9s} {'wall/prod':>9s}")


def run_lbfgs(data, args, dtype, seed=0, verbose=True):
    """The stack by L-BFGS from the initial weights of `seed` (autoencoders 2 seed and 2 seed + 1,
    softmax seed). Returns (accuracy on pixels, before, after fine-tuning, stack seconds)."""
    X_tr, y_tr, X_te, y_te = data
    m, n = X_tr.shape
    h1, h2 = args.hidden
    k = 10
    opts = dict(maxiter=args.maxiter, progress=not args.quiet, dtype=dtype)
    show = row if verbose else (lambda *a, **k: None)
    if verbose:
        print(f"\nL-BFGS ({args.method}), {args.maxiter} iterations a phase, {np.dtype(dtype).name}, seed {seed}")
        print(HEADER)
    t0 = time.perf_counter()
    with Counted(SR, "_cost_and_grad") as c:
        raw, _ = ST.train_softmax(X_tr, y_tr, args.softmax_lam, seed=seed, **opts)
    show("softmax on pixels", time.perf_counter() - t0, c, gemm_seconds(softmax_products(m, n, k), dtype))
    acc_raw = accuracy(SR.predict(raw, X_te), y_te)
    OPTIMIZER_SECONDS.clear()                  # the stack's phases only, from here

    t_all = time.perf_counter()
    with Counted(SA, "_cost_and_grad") as c:
        t0 = time.perf_counter()
        layers, H, _ = ST.pretrain(X_tr, (h1,), args.lam, args.beta, args.rho, seed=2 * seed, **opts)
        show("autoencoder 1", time.perf_counter() - t0, c, gemm_seconds(ae_products(m, n, h1), dtype))
    with Counted(SA, "_cost_and_grad") as c:
        t0 = time.perf_counter()
        layers2, H2, _ = ST.pretrain(H, (h2,), args.lam, args.beta, args.rho, seed=2 * seed + 1, **opts)
        show("autoencoder 2", time.perf_counter() - t0, c, gemm_seconds(ae_products(m, h1, h2), dtype))
    layers += layers2
    with Counted(SR, "_cost_and_grad") as c:
        t0 = time.perf_counter()
        soft, _ = ST.train_softmax(H2, y_tr, args.softmax_lam, seed=seed, **opts)
        show("softmax on features", time.perf_counter() - t0, c,
            gemm_seconds(softmax_products(m, h2, k), dtype))
    before = ST.stack(layers, soft)
    with Counted(ST, "_finetune_cost_and_grad") as c:
        t0 = time.perf_counter()
        after, _ = ST.finetune(before, X_tr, y_tr, args.softmax_lam, **opts)
        show("fine-tuning", time.perf_counter() - t0, c,
             gemm_seconds(finetune_products(m, (n, h1, h2, k)), dtype))
    total = time.perf_counter() - t_all
    return acc_raw, accuracy(ST.predict(before, X_te), y_te), accuracy(ST.predict(after, X_te), y_te), total


def run_adam(data, args, dtype, seed=0, verbose=True):
    """The same stack trained a second way: mini-batch Adam from the reference optimizers, from the
    initial weights of `seed` (as run_lbfgs) and batches drawn with it."""
    X_tr, y_tr, X_te, y_te = data
    h1, h2 = args.hidden
    e, bs = args.adam_epochs, args.adam_batch
    ep = e if args.adam_pretrain_epochs is None else args.adam_pretrain_epochs
    show = row if verbose else (lambda *a, **k: None)
    if verbose:
        print(f"\nmini-batch Adam, batch {bs}, {ep} epochs an autoencoder, {e} the softmax and the fine-tuning,"
              f" lr {args.adam_lr}, {np.dtype(dtype).name}, seed {seed}")
    quiet = args.quiet
    opts = dict(batch_size=bs, lr=args.adam_lr, seed=seed, progress=not quiet)

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
        ae, _ = training.train_minibatch(ae_fun, SA.initialize(A.shape[1], h, seed=2 * seed + l), A, None,
                                         "adam", num_epochs=ep, desc=f"autoencoder {l + 1}", **opts)
        show(f"autoencoder {l + 1}", time.perf_counter() - t0)
        layers.append(ae)
        A = SA.encode(ae, A).astype(dtype)
    t0 = time.perf_counter()
    soft, _ = training.train_minibatch(sm_fun, SR.initialize(h2, 10, seed), A, y_tr, "adam", num_epochs=e,
                                       desc="softmax", **opts)
    show("softmax on features", time.perf_counter() - t0)
    before = ST.stack(layers, soft)
    t0 = time.perf_counter()
    after, _ = training.train_minibatch(ft_fun, before, X_tr.astype(dtype), y_tr, "adam", num_epochs=e,
                                        desc="fine-tuning", **opts)
    show("fine-tuning", time.perf_counter() - t0)
    total = time.perf_counter() - t_all
    return accuracy(ST.predict(before, X_te), y_te), accuracy(ST.predict(after, X_te), y_te), total


def run_torch(data, args, dtype, seed=0):
    """The same recipe in PyTorch from the same initial weights: autograd for the gradients,
    torch.optim.LBFGS (strong-Wolfe line search, history 10, as minFunc) for the optimizer.
    Returns (before, after fine-tuning, stack seconds), or None without PyTorch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(args.threads)
    tdt = torch.float64 if np.dtype(dtype) == np.float64 else torch.float32
    X_tr, y_tr, X_te, y_te = data
    m = len(X_tr)
    X, y = torch.tensor(X_tr, dtype=tdt), torch.tensor(y_tr, dtype=torch.long)
    lam, beta, rho, slam = args.lam, args.beta, args.rho, args.softmax_lam

    def fit(params, loss_fn, name):
        ps = [torch.tensor(v, dtype=tdt, requires_grad=True) for v in params.values()]
        opt = torch.optim.LBFGS(ps, lr=1, max_iter=args.maxiter, max_eval=2 * args.maxiter, history_size=10,
                                tolerance_grad=1e-5, tolerance_change=1e-9, line_search_fn="strong_wolfe")

        counted = Counted(None, None)

        def closure():
            counted.calls += 1
            t = time.perf_counter()
            opt.zero_grad()
            loss = loss_fn(*ps)
            loss.backward()
            counted.seconds += time.perf_counter() - t
            return loss

        t0 = time.perf_counter()
        opt.step(closure)
        row(name, time.perf_counter() - t0, counted, torch_gemm_seconds(shapes[name], tdt))
        return dict(zip(params, (p.detach() for p in ps)))

    def sae(A, W1, b1, W2, b2):
        H = torch.sigmoid(A @ W1 + b1)
        rho_hat = H.mean(0)
        kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
        return (0.5 / m * ((torch.sigmoid(H @ W2 + b2) - A) ** 2).sum()
                + 0.5 * lam * ((W1 ** 2).sum() + (W2 ** 2).sum()) + beta * kl.sum())

    def softmax(A, W, b):
        return torch.nn.functional.cross_entropy(A @ W + b, y) + 0.5 * slam * (W ** 2).sum()

    def stack_forward(A, ws):
        for W, b in zip(ws[0:-2:2], ws[1:-2:2]):
            A = torch.sigmoid(A @ W + b)
        return A @ ws[-2] + ws[-1]

    h1, h2 = args.hidden
    shapes = {"autoencoder 1": ae_products(m, X.shape[1], h1), "autoencoder 2": ae_products(m, h1, h2),
              "softmax on features": softmax_products(m, h2, 10),
              "fine-tuning": finetune_products(m, (X.shape[1], h1, h2, 10))}
    print(f"\nPyTorch {torch.__version__} LBFGS, {args.maxiter} iterations a phase, {np.dtype(dtype).name},"
          f" seed {seed}, {torch.get_num_threads()} threads (products: PyTorch's own)")
    print(HEADER)
    OPTIMIZER_SECONDS.clear()
    t_all = time.perf_counter()
    A, layers = X, []
    for l, h in enumerate(args.hidden):
        ae = fit(SA.initialize(A.shape[1], h, seed=2 * seed + l), lambda *w, A=A: sae(A, *w), f"autoencoder {l + 1}")
        layers.append(ae)
        A = torch.sigmoid(A @ ae["W1"] + ae["b1"])
    soft = fit(SR.initialize(A.shape[1], 10, seed), lambda *w, A=A: softmax(A, *w), "softmax on features")
    before = {}
    for l, ae in enumerate(layers, start=1):
        before[f"W{l}"], before[f"b{l}"] = ae["W1"], ae["b1"]
    before[f"W{len(layers) + 1}"], before[f"b{len(layers) + 1}"] = soft["W"], soft["b"]
    after = fit({k: v.numpy() for k, v in before.items()},
                lambda *w: (torch.nn.functional.cross_entropy(stack_forward(X, w), y)
                            + 0.5 * slam * (w[-2] ** 2).sum()), "fine-tuning")
    total = time.perf_counter() - t_all
    Xt = torch.tensor(X_te, dtype=tdt)
    acc = [accuracy(stack_forward(Xt, list(p.values())).argmax(1).numpy(), y_te) for p in (before, after)]
    return acc[0], acc[1], total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dtype", choices=["float64", "float32"], nargs="+", default=["float64", "float32"])
    ap.add_argument("--maxiter", type=int, default=400)
    ap.add_argument("--hidden", type=int, nargs=2, default=(200, 200))
    ap.add_argument("--rho", type=float, default=0.1)
    ap.add_argument("--lam", type=float, default=3e-3)
    ap.add_argument("--beta", type=float, default=3.0)
    ap.add_argument("--softmax-lam", type=float, default=1e-4)
    # Adam's defaults: chosen by a sweep of 15 settings, 3 seeds each, on the same 1,000 test digits
    # (there is no validation split), so its accuracy here is a little optimistic
    ap.add_argument("--adam-epochs", type=int, default=16, help="fine-tuning (and softmax) epochs")
    ap.add_argument("--adam-pretrain-epochs", type=int, default=6,
                    help="epochs for each autoencoder (the fine-tuning makes up for fewer)")
    ap.add_argument("--adam-batch", type=int, default=128)
    ap.add_argument("--adam-lr", type=float, default=1e-2)
    ap.add_argument("--seeds", type=int, default=1, help="after-fine-tuning accuracy over this many seeds")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                    help="BLAS (and PyTorch) threads; default: every core")
    ap.add_argument("--method", choices=["two-loop", "scipy"], default="two-loop", help="dlcourse.train.lbfgs's")
    ap.add_argument("--skip-lbfgs", action="store_true")
    ap.add_argument("--skip-adam", action="store_true")
    ap.add_argument("--skip-torch", action="store_true")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    args = ap.parse_args()
    ST.lbfgs = functools.partial(train.lbfgs, method=args.method)

    with threadpool_limits(args.threads):
        blas = ", ".join(f"{i['internal_api']} {i.get('architecture', '')} x{i['num_threads']}"
                         for i in threadpool_info() if i["user_api"] == "blas")
        print(f"BLAS: {blas}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        data = load_digits(n_train=4000, n_test=1000, seed=0)
        print(f"data: embedded MNIST digits, {len(data[0])} train / {len(data[2])} test, stratified, seed 0")
        summary = []
        for name in args.dtype:
            dtype = np.dtype(name).type
            lb = None
            if not args.skip_lbfgs:
                lb = run_lbfgs(data, args, dtype)
                raw, before, after, total = lb
                total_row(total)
                print(f"  test accuracy: softmax on pixels {raw:.1f}%   stack before fine-tuning {before:.1f}%"
                      f"   after {after:.1f}%")
                afters = [after] + [run_lbfgs(data, args, dtype, seed, verbose=False)[2]
                                    for seed in range(1, args.seeds)]
                if args.seeds > 1:
                    print(f"  after fine-tuning, seeds 0..{args.seeds - 1}: "
                          + ", ".join(f"{a:.1f}%" for a in afters) + f"; median {statistics.median(afters):.1f}%")
                summary.append((f"NumPy L-BFGS {name}", total, statistics.median(afters)))
            tb = None if args.skip_torch else run_torch(data, args, dtype)
            if tb is None and not args.skip_torch:
                print("\nPyTorch is not installed: no PyTorch baseline (pip install torch to get one)")
            elif tb is not None:
                total_row(tb[2])
                print(f"  test accuracy: stack before fine-tuning {tb[0]:.1f}%   after {tb[1]:.1f}%")
                summary.append((f"PyTorch LBFGS {name}", tb[2], tb[1]))
                if lb is not None:
                    summary.append((f"  NumPy / PyTorch time, {name}", lb[3] / tb[2], None))
        if not args.skip_adam:
            dtype = np.dtype(args.dtype[0]).type
            before, after, total = run_adam(data, args, dtype)
            print(f"  {'total (stack)':<20s} {total:7.1f} s")
            print(f"  test accuracy: stack before fine-tuning {before:.1f}%   after {after:.1f}%")
            afters = [after] + [run_adam(data, args, dtype, seed, verbose=False)[1] for seed in range(1, args.seeds)]
            if args.seeds > 1:
                print(f"  after fine-tuning, seeds 0..{args.seeds - 1}: "
                      + ", ".join(f"{a:.1f}%" for a in afters) + f"; median {statistics.median(afters):.1f}%")
            after = statistics.median(afters)
            summary.append((f"NumPy Adam {args.dtype[0]}", total, after))
            first = next((r for r in summary if r[0].startswith("NumPy L-BFGS")), None)
            if first is not None:
                print(f"\nAdam vs L-BFGS ({args.dtype[0]}): accuracy {after - first[2]:+.1f} points,"
                      f" time {total / first[1]:.2f}x")
        print(f"\nsummary ({args.threads} threads, load average now {os.getloadavg()[0]:.2f}):")
        for name, value, acc in summary:
            if acc is None:
                print(f"  {name:<34s} {value:7.2f}x")
            else:
                print(f"  {name:<34s} {value:7.1f} s   after fine-tuning {acc:.1f}%")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
