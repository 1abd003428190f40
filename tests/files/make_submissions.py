"""Write the corpus of realistic wrong submissions in tests/files/submissions/.

Each submission is the student version of an assignment with every function filled
in correctly (from the solution) except one, which has a known mistake. The
expected points and the sentence the feedback must contain are in
tests/files/submissions/expected.json. Run this script again after changing a
solution notebook:  python tests/files/make_submissions.py
"""
import json
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).parent / "submissions"
HOSTILE_OUT = Path(__file__).parent / "hostile"

# (assignment, student, solution cell grade_id, replacement code,
#  {graded cell: points expected, for every test cell that does not get full marks},
#  a phrase the feedback must contain)
MISTAKES = [
    ("a1-mle-losses", "slides-bce", "binary_cross_entropy", '''
def binary_cross_entropy(p, y):
    return float(-np.mean(np.log(p) + (1 - y) * np.log(1 - p)))
''', {"test_binary_cross_entropy": 0.0}, "missing its factor y"),
    ("a1-mle-losses", "naive-softmax", "softmax", '''
def softmax(Z):
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)
''', {"test_softmax": 1.0, "test_softmax_cross_entropy_grad": 2.0},   # the gradient uses this softmax
     "subtract each row's maximum"),
    ("a1-mle-losses", "classes-mean", "softmax_cross_entropy", '''
def softmax_cross_entropy(Z, y):
    P = softmax(Z)
    return float(-np.mean(np.log(P[np.arange(len(y)), y])) / Z.shape[1])
''', {"test_softmax_cross_entropy": 0.0}, "averaged over classes"),
    ("a1-mle-losses", "grad-without-m", "softmax_cross_entropy_grad", '''
def softmax_cross_entropy_grad(Z, y):
    G = softmax(Z)
    G[np.arange(len(y)), y] -= 1
    return G
''', {"test_softmax_cross_entropy_grad": 1.0}, "missing the 1/m"),
    ("a1-mle-losses", "naive-sigmoid", "sigmoid", '''
def sigmoid(z):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))
''', {"test_sigmoid": 1.3333}, "exp only ever sees arguments <= 0"),
    ("a1-mle-losses", "nll-without-constant", "gaussian_nll", '''
def gaussian_nll(y_hat, y, sigma=1.0):
    return float(np.sum((y - y_hat) ** 2) / (2 * sigma ** 2))
''', {"test_gaussian_nll": 0.0}, "the constant m*log(sqrt(2*pi)*sigma) is missing"),
    ("a2-regularization", "decayed-bias", "update_steps", '''
def weight_decay_step(params, grads, lr, lam):
    return {k: (1 - lr * lam) * v - lr * grads[k] for k, v in params.items()}


def l1_step(params, grads, lr, lam):
    return {k: v - (lr * lam * np.sign(v) if k.startswith("W") else 0.0) - lr * grads[k]
            for k, v in params.items()}
''', {"test_weight_decay_step": 0.0}, "the bias is decayed too"),
    ("a2-regularization", "abs-not-sign", "l1", '''
def l1_penalty(params, lam):
    return float(lam * sum(np.sum(np.abs(v)) for k, v in params.items() if k.startswith("W")))


def l1_penalty_grad(params, lam):
    return {k: lam * np.abs(v) if k.startswith("W") else np.zeros_like(v) for k, v in params.items()}
''', {"test_l1": 1.2}, "lam*sign(w), not lam*|w|"),
    ("a2-regularization", "penalised-intercept", "ridge", '''
def ridge_fit(Phi, y, lam):
    A = np.c_[Phi, np.ones(len(y))]
    sol = np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ y)
    return sol[:-1], float(sol[-1])


def choose_lambda(Phi_train, y_train, Phi_val, y_val, lams):
    errors = [np.mean((Phi_val @ w + b - y_val) ** 2)
              for w, b in (ridge_fit(Phi_train, y_train, lam) for lam in lams)]
    return float(lams[int(np.argmin(errors))])
''', {"test_ridge_fit": 1.0, "test_choose_lambda": 0.5},   # choose_lambda calls this ridge_fit
     "the intercept b is penalised too"),
    ("a3-optimizers", "adam-uncorrected", "adam", '''
def adam(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    if state is None:
        state = {"m": {k: 0.0 for k in params}, "v": {k: 0.0 for k in params}}
    g = grad_fn(params)
    m = {k: beta1 * state["m"][k] + (1 - beta1) * g[k] for k in params}
    v = {k: beta2 * state["v"][k] + (1 - beta2) * g[k] ** 2 for k in params}
    return {k: params[k] - lr * m[k] / (np.sqrt(v[k]) + eps) for k in params}, {"m": m, "v": v}
''', {"test_adam": 0.0}, "no bias correction"),
    ("a3-optimizers", "nag-at-theta", "nesterov", '''
def nesterov(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    v = state or {k: 0.0 for k in params}
    g = grad_fn(params)
    v = {k: gamma * v[k] + lr * g[k] for k in params}
    return {k: params[k] - v[k] for k in params}, v
''', {"test_nesterov": 0.5}, "NAG takes it at the look-ahead point"),
    ("a3-optimizers", "adagrad-sums-gradients", "adagrad", '''
def adagrad(params, grad_fn, state=None, lr=0.01, eps=1e-8):
    G = state or {k: 0.0 for k in params}
    g = grad_fn(params)
    G = {k: G[k] + g[k] for k in params}
    return {k: params[k] - lr / np.sqrt(G[k] + eps) * g[k] for k in params}, G
''', {"test_adagrad": 0.0}, "SQUARES of the gradients"),
    ("a4-sparse-autoencoder", "kl-not-backpropagated", "sparse_autoencoder_cost", '''
def sparse_autoencoder_cost(params, X, lam=3e-3, beta=3.0, rho=0.1):
    m = X.shape[0]
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    H = 1 / (1 + np.exp(-(X @ W1 + b1)))
    X_hat = 1 / (1 + np.exp(-(H @ W2 + b2)))
    rho_hat = H.mean(axis=0)
    cost = (0.5 / m * np.sum((X_hat - X) ** 2) + 0.5 * lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
            + beta * np.sum(kl_divergence(rho, rho_hat)))
    delta3 = (X_hat - X) * X_hat * (1 - X_hat) / m
    delta2 = (delta3 @ W2.T) * H * (1 - H)
    return float(cost), {"W1": X.T @ delta2 + lam * W1, "b1": delta2.sum(axis=0),
                         "W2": H.T @ delta3 + lam * W2, "b2": delta3.sum(axis=0)}
''', {"test_sparse_autoencoder_grad": 0.0}, "its gradient is missing from backpropagation"),
    ("a4-sparse-autoencoder", "autograd-gradient", "sparse_autoencoder_cost", '''
import autograd.numpy as anp
from autograd import value_and_grad


def _cost(params, X, lam, beta, rho):
    H = 1 / (1 + anp.exp(-(anp.dot(X, params["W1"]) + params["b1"])))
    X_hat = 1 / (1 + anp.exp(-(anp.dot(H, params["W2"]) + params["b2"])))
    rho_hat = anp.mean(H, axis=0)
    kl = rho * anp.log(rho / rho_hat) + (1 - rho) * anp.log((1 - rho) / (1 - rho_hat))
    return (0.5 / X.shape[0] * anp.sum((X_hat - X) ** 2)
            + 0.5 * lam * (anp.sum(params["W1"] ** 2) + anp.sum(params["W2"] ** 2)) + beta * anp.sum(kl))


def sparse_autoencoder_cost(params, X, lam=3e-3, beta=3.0, rho=0.1):
    cost, grads = value_and_grad(_cost)(params, X, lam, beta, rho)
    return float(cost), grads
''', {"test_sparse_autoencoder_cost": 0.0, "test_sparse_autoencoder_grad": 0.0},
     # autograd is not importable while a4 is graded (grader.preprocessors.UNAVAILABLE): the cell
     # fails, so the function is never defined; the student's own cell shows why
     "name 'sparse_autoencoder_cost' is not defined"),
    ("a5-stacked-autoencoder", "decay-every-layer", "stacked_cost_and_grad", '''
def stacked_cost_and_grad(params, X, y, lam=1e-4):
    m = X.shape[0]
    A1 = sigmoid(X @ params["W1"] + params["b1"])
    A2 = sigmoid(A1 @ params["W2"] + params["b2"])
    Z = A2 @ params["W3"] + params["b3"]
    Z = Z - Z.max(axis=1, keepdims=True)
    logP = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    cost = -np.mean(logP[np.arange(m), y]) + 0.5 * lam * sum(np.sum(params[k] ** 2) for k in ("W1", "W2", "W3"))
    d3 = np.exp(logP)
    d3[np.arange(m), y] -= 1
    d3 /= m
    d2 = (d3 @ params["W3"].T) * A2 * (1 - A2)
    d1 = (d2 @ params["W2"].T) * A1 * (1 - A1)
    return float(cost), {"W1": X.T @ d1 + lam * params["W1"], "b1": d1.sum(0),
                         "W2": A1.T @ d2 + lam * params["W2"], "b2": d2.sum(0),
                         "W3": A2.T @ d3 + lam * params["W3"], "b3": d3.sum(0)}
''', {"test_stacked_cost": 0.0, "test_stacked_grad": 0.0}, "only the softmax weights W3"),
    ("a3-optimizers", "adam-t-from-zero", "adam", '''
def adam(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    if state is None:
        state = {"t": 0, "m": {k: 0.0 for k in params}, "v": {k: 0.0 for k in params}}
    g = grad_fn(params)
    t = state["t"]
    m = {k: beta1 * state["m"][k] + (1 - beta1) * g[k] for k in params}
    v = {k: beta2 * state["v"][k] + (1 - beta2) * g[k] ** 2 for k in params}
    new = {k: params[k] - lr * (m[k] / (1 - beta1 ** t)) / (np.sqrt(v[k] / (1 - beta2 ** t)) + eps) for k in params}
    return new, {"t": t + 1, "m": m, "v": v}
''', {"test_adam": 0.0}, "1 - beta^0 = 0"),
    ("a3-optimizers", "adam-eps-inside", "adam", '''
def adam(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    if state is None:
        state = {"t": 0, "m": {k: 0.0 for k in params}, "v": {k: 0.0 for k in params}}
    g = grad_fn(params)
    t = state["t"] + 1
    m = {k: beta1 * state["m"][k] + (1 - beta1) * g[k] for k in params}
    v = {k: beta2 * state["v"][k] + (1 - beta2) * g[k] ** 2 for k in params}
    new = {k: params[k] - lr * (m[k] / (1 - beta1 ** t)) / np.sqrt(v[k] / (1 - beta2 ** t) + eps) for k in params}
    return new, {"t": t, "m": m, "v": v}
''', {"test_adam": 2.4}, "eps is inside the square root"),
    ("a3-optimizers", "momentum-lr-twice", "momentum", '''
def momentum(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    v = state or {k: 0.0 for k in params}
    g = grad_fn(params)
    v = {k: gamma * v[k] + lr * g[k] for k in params}
    return {k: params[k] - lr * v[k] for k in params}, v
''', {"test_momentum": 0.0}, "lr is applied twice"),
    ("a3-optimizers", "adadelta-current-rms", "adadelta", '''
def adadelta(params, grad_fn, state=None, rho=0.95, eps=1e-6):
    s = state or {"Eg2": {k: 0.0 for k in params}, "Edx2": {k: 0.0 for k in params}}
    g = grad_fn(params)
    Eg2 = {k: rho * s["Eg2"][k] + (1 - rho) * g[k] ** 2 for k in params}
    first = {k: -np.sqrt(s["Edx2"][k] + eps) / np.sqrt(Eg2[k] + eps) * g[k] for k in params}
    Edx2 = {k: rho * s["Edx2"][k] + (1 - rho) * first[k] ** 2 for k in params}
    dx = {k: -np.sqrt(Edx2[k] + eps) / np.sqrt(Eg2[k] + eps) * g[k] for k in params}
    return {k: params[k] + dx[k] for k in params}, {"Eg2": Eg2, "Edx2": Edx2}
''', {"test_adadelta": 0.0}, "RMS[dtheta]_{t-1}"),
    ("a3-optimizers", "rmsprop-no-decay", "rmsprop", '''
def rmsprop(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
    E = state or {k: 0.0 for k in params}
    g = grad_fn(params)
    E = {k: E[k] + g[k] ** 2 for k in params}
    return {k: params[k] - lr / np.sqrt(E[k] + eps) * g[k] for k in params}, E
''', {"test_rmsprop": 0.0}, "is not decayed"),
    ("a4-sparse-autoencoder", "per-sample-sparsity", "sparse_autoencoder_cost", '''
def sparse_autoencoder_cost(params, X, lam=3e-3, beta=3.0, rho=0.1):
    m = X.shape[0]
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    H = 1 / (1 + np.exp(-(X @ W1 + b1)))
    X_hat = 1 / (1 + np.exp(-(H @ W2 + b2)))
    cost = (0.5 / m * np.sum((X_hat - X) ** 2) + 0.5 * lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
            + beta * np.sum(kl_divergence(rho, H)) / m)
    delta3 = (X_hat - X) * X_hat * (1 - X_hat) / m
    delta2 = (delta3 @ W2.T + beta / m * (-rho / H + (1 - rho) / (1 - H))) * H * (1 - H)
    return float(cost), {"W1": X.T @ delta2 + lam * W1, "b1": delta2.sum(axis=0),
                         "W2": H.T @ delta3 + lam * W2, "b2": delta3.sum(axis=0)}
''', {"test_sparse_autoencoder_cost": 0.0, "test_sparse_autoencoder_grad": 0.0}, "sparsity is measured per sample"),
]


def solution_code(source):
    """The solution cell with the solution delimiters removed (what a student would have written)."""
    return re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*(\n|$)", "", source, flags=re.M).rstrip() + "\n"


def completed(assignment, cell_id=None, code=None):
    """The student version with every answer written (from the solution), `cell_id` replaced by `code`."""
    sol = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    solutions = {c.metadata.nbgrader["grade_id"]: c.source for c in sol.cells
                 if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}
    nb = nbformat.read(ROOT / "assignments" / assignment / f"{assignment}.ipynb", as_version=4)
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid in solutions:
            c.source = code.strip() + "\n" if gid == cell_id else solution_code(solutions[gid])
        elif c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution"):
            c.source = "A short written answer in the student's own words."
    return nb


def index_of(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


# Hostile or broken submissions of a1, each a complete, correct notebook with one thing done
# to it: (student, what is done, {graded cell: points expected when not full}, a phrase the
# grader's report must contain). a1's autograded cells are worth 19 points (2 more by hand).
# The softmax cell defines softmax only; the gradient calls it (the loss does not).
A1 = "a1-mle-losses"
SOFTMAX_TESTS = {"test_softmax": 0.0, "test_softmax_cross_entropy_grad": 0.0}


def _append_to_softmax(code):
    def change(nb):
        nb.cells[index_of(nb, "softmax")].source += code
    return change


def _duplicate(nb):
    """Copied the softmax cell to try a first idea, fixed it in the copy; copied a test cell too."""
    i = index_of(nb, "softmax")
    first = nbformat.from_dict(nb.cells[i])
    first.source = "def softmax(Z):\n    return np.exp(Z) / np.exp(Z).sum()   # first try\n"
    nb.cells.insert(i, first)
    j = index_of(nb, "test_sigmoid")
    nb.cells.insert(j + 1, nbformat.from_dict(nb.cells[j]))


def _delete(nb):
    """Deleted the softmax answer cell and the gaussian_nll test cell."""
    del nb.cells[index_of(nb, "softmax")]
    del nb.cells[index_of(nb, "test_gaussian_nll")]


def _old_format(nb):
    return nbformat.writes(nbformat.convert(nb, 3), version=3)


HOSTILE = [
    ("kernel-exit", _append_to_softmax("\nimport os\nos._exit(1)\n"), SOFTMAX_TESTS,
     "cell 24 (softmax): stopped the kernel"),
    ("kernel-exit-in-test", lambda nb: setattr(nb.cells[index_of(nb, "softmax")], "source",
                                               "import os\n\ndef softmax(Z):\n    os._exit(1)\n"),
     SOFTMAX_TESTS, "cell 26 (test_softmax), cell 32 (visible_softmax_cross_entropy_grad), "
                    "cell 33 (test_softmax_cross_entropy_grad): stopped the kernel"),
    ("infinite-loop", lambda nb: setattr(nb.cells[index_of(nb, "softmax")], "source",
                                         "def softmax(Z):\n    while True:\n        pass\n"),
     SOFTMAX_TESTS, "cell 26 (test_softmax), cell 32 (visible_softmax_cross_entropy_grad), cell 33 (test_softmax_cross_entropy_grad): ran past the time limit and was interrupted"),
    ("ignores-interrupt", _append_to_softmax("\nimport signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                             "while True:\n    pass\n"),
     SOFTMAX_TESTS, "cell 24 (softmax): ran past the time limit and ignored the interrupt"),
    ("huge-output", _append_to_softmax("\nprint('x' * 30_000_000)\nfor i in range(100_000):\n    print(i)\n"),
     {}, "cell 24 (softmax): printed too much"),
    # the output channel is closed by the 30 MB message when the time limit comes: the interrupt is
    # heard once it is open again (the function was defined before the print: its tests pass)
    ("huge-output-then-slow", _append_to_softmax("\nprint('x' * 30_000_000)\nimport time\ntime.sleep(60)\n"),
     {}, ["cell 24 (softmax): printed too much", "cell 24 (softmax): ran past the time limit and was interrupted"]),
    # the same, but the code ignores the interrupt: the kernel does not answer once the channel is open again
    ("huge-output-ignores-interrupt",
     _append_to_softmax("\nprint('x' * 30_000_000)\nimport signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                        "while True:\n    pass\n"),
     SOFTMAX_TESTS, "cell 24 (softmax): ran past the time limit and ignored the interrupt"),
    # ... and keeps printing, so that the reopened channel is never quiet (found by an attack: the grader
    # waited for the kernel's answer as long as messages kept coming, and hung)
    ("huge-output-keeps-printing",
     _append_to_softmax("\nimport time\nprint('x' * 17_000_000)\nwhile True:\n    try:\n"
                        "        print('.', flush=True)\n        time.sleep(0.1)\n"
                        "    except KeyboardInterrupt:\n        pass\n"),
     SOFTMAX_TESTS, "cell 24 (softmax): ran past the time limit and ignored the interrupt"),
    # prints the kernel's input history, where earlier hidden test cells would be (found by an attack):
    # nothing to report, nothing lost, and no hidden test text in the feedback
    ("prints-history", _append_to_softmax("\nprint('HISTORY', '\\n'.join(c for c in In if 'idden' in c or 'record' in c))\n"
                                          "print('LAST', _i, _ii)\n"),
     {}, []),
    ("old-format", _old_format, {}, "notebook format 3 upgraded to 4"),
    ("duplicated-cells", _duplicate, {}, "appears more than once; the last copy was graded"),
    ("deleted-cells", _delete, SOFTMAX_TESTS, "deleted cells 'test_gaussian_nll', 'softmax' were put back"),   # the deleted test comes back and passes
]


def main():
    OUT.mkdir(exist_ok=True)
    expected = {}
    for assignment, student, cell_id, code, losses, message in MISTAKES:
        nbformat.write(completed(assignment, cell_id, code), OUT / f"{student}_{assignment}.ipynb")
        expected[f"{student}/{assignment}"] = {"cells": losses, "message": message}
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(MISTAKES)} submissions to {OUT}")

    HOSTILE_OUT.mkdir(exist_ok=True)
    expected = {}
    for student, change, cells, report in HOSTILE:
        nb = completed(A1)
        text = change(nb)
        (HOSTILE_OUT / f"{student}_{A1}.ipynb").write_text(text if isinstance(text, str) else nbformat.writes(nb))
        expected[f"{student}/{A1}"] = {"cells": cells, "report": report}
    (HOSTILE_OUT / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(HOSTILE)} hostile submissions to {HOSTILE_OUT}")


if __name__ == "__main__":
    main()
