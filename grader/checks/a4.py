"""Checks for a4-sparse-autoencoder.

The cost and the gradient are graded separately, both from the student's
`sparse_autoencoder_cost(params, X, lam, beta, rho) -> (cost, grads)`. Wrong
variants are complete implementations of a mistake, cost and gradient together,
as a student would write them.

Contracts as judged here: the cost may be any numeric scalar form (UFLDL's MATLAB returns a 1x1
matrix, so a one-element array is accepted); grads is a dict with the keys and shapes of params;
float32 arithmetic is accurate enough (_core.RTOL).
"""
import numpy as np
from scipy.special import expit

from ..reference import sparse_autoencoder as R
from ._core import AUTODIFF, GRADIENT, compare, cost_part, gated, grads_part, run_check, seeded

A = "a4-sparse-autoencoder"


def _variant(kind):
    """(cost, grads) of the sparse autoencoder with one known mistake."""
    def f(p, X, lam, beta, rho):
        m = X.shape[0]
        W1, b1, W2, b2 = (np.asarray(p[k], dtype=float) for k in R.PARAM_KEYS)
        z2 = X @ W1 + b1
        H = expit(z2)
        z3 = H @ W2 + b2
        Xh = expit(z3)
        rho_hat = H.mean(axis=1 if kind == "rho_axis" else 0)
        if kind in ("rho_axis", "rho_output"):   # the cost only: the gradient cannot broadcast, or is a guess
            rho_hat = Xh.mean(axis=0) if kind == "rho_output" else rho_hat
            return float(0.5 * np.sum((Xh - X) ** 2) / m + 0.5 * lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
                         + beta * np.sum(R.kl_divergence(rho, rho_hat))), None
        wd = 0.5 * lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
        dW1_wd, dW2_wd, db1_wd, db2_wd = lam * W1, lam * W2, 0.0, 0.0
        if kind == "decay_bias":
            wd += 0.5 * lam * (np.sum(b1 ** 2) + np.sum(b2 ** 2))
            db1_wd, db2_wd = lam * b1, lam * b2
        if kind == "no_half":
            wd, dW1_wd, dW2_wd = 2 * wd, 2 * lam * W1, 2 * lam * W2
        if kind == "no_decay_grad":
            dW1_wd, dW2_wd = 0.0, 0.0
        recon = 0.5 * np.sum((Xh - X) ** 2) / m
        scale = 1.0 if kind == "no_m" else 1.0 / m      # the 1/m of the averaged terms' gradients
        d3 = (Xh - X) * Xh * (1 - Xh) * scale
        if kind == "recon_sum":          # the slides' J sums the reconstruction error over samples
            recon, d3 = recon * m, d3 * m
        if kind == "recon_no_half":
            recon, d3 = 2 * recon, 2 * d3
        if kind == "recon_mean_all":     # np.mean over every entry: divided by m*n
            recon, d3 = recon / X.shape[1], d3 / X.shape[1]
        dsig2 = z2 * (1 - z2) if kind == "dsig_of_z" else H * (1 - H)
        if kind == "dsig_of_z":
            d3 = (Xh - X) * z3 * (1 - z3) * scale
        if kind == "no_output_derivative":
            d3 = (Xh - X) * scale
        if kind == "per_sample":
            sp_cost = beta * np.sum(R.kl_divergence(rho, H)) / m
            sp_grad = beta * (-rho / H + (1 - rho) / (1 - H)) * scale
        else:
            sp_cost = beta * np.sum(R.kl_divergence(rho, rho_hat))
            sp_grad = beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat)) * scale
        if kind == "sparse_no_m":
            sp_grad = sp_grad / scale
        if kind == "sparse_no_beta":
            sp_grad = sp_grad / beta
        if kind == "no_kl_grad":
            sp_grad = 0.0
        if kind == "kl_grad_sign":
            sp_grad = -sp_grad
        d2 = (d3 @ W2.T + sp_grad) * dsig2
        grads = {"W1": X.T @ d2 + dW1_wd, "b1": d2.sum(0) + db1_wd, "W2": H.T @ d3 + dW2_wd, "b2": d3.sum(0) + db2_wd}
        return float(recon + wd + sp_cost), grads
    return f


MISTAKES = {
    "the sparsity term is in the cost but its gradient is missing from backpropagation: add "
    "beta * (-rho/rho_hat + (1-rho)/(1-rho_hat)) / m to every sample's hidden error":
        _variant("no_kl_grad"),
    "sparsity is measured per sample (KL of each activation): rho_hat_j must be the activation of unit j "
    "AVERAGED over the batch, and the KL taken of that average":
        _variant("per_sample"),
    "the biases are decayed too: weight decay covers W1 and W2 only":
        _variant("decay_bias"),
    "the weight decay is missing its 1/2: lam/2 * (sum W1^2 + sum W2^2)":
        _variant("no_half"),
    "the gradient is missing the 1/m of the reconstruction and sparsity terms":
        _variant("no_m"),
    "rho_hat must average each hidden unit over the samples (H.mean(axis=0), one value per unit), not each "
    "sample over the units":
        _variant("rho_axis"),
    "the reconstruction error is summed over the samples (the slides' J); the contract averages it: "
    "1/(2m) sum ||x_hat - x||^2, in the cost and in its gradient":
        _variant("recon_sum"),
    "the reconstruction term is missing its 1/2: 1/(2m) sum ||x_hat - x||^2 (and its gradient has no factor 2)":
        _variant("recon_no_half"),
    "the output error is missing the sigmoid's derivative: multiply (X_hat - X) by X_hat (1 - X_hat), "
    "then by 1/m":
        _variant("no_output_derivative"),
    "the sparsity gradient has the wrong sign: d KL / d rho_hat = -rho/rho_hat + (1-rho)/(1-rho_hat)":
        _variant("kl_grad_sign"),
    "sigma'(z) is computed from the pre-activation as z (1 - z): it is a (1 - a), with the activation "
    "a = sigmoid(z)":
        _variant("dsig_of_z"),
    "the sparsity term's gradient is missing its 1/m (the reconstruction's has it): add "
    "beta * (-rho/rho_hat + (1-rho)/(1-rho_hat)) / m to every sample's hidden error":
        _variant("sparse_no_m"),
    "beta is missing from the sparsity term's gradient: beta * (-rho/rho_hat + (1-rho)/(1-rho_hat)) / m":
        _variant("sparse_no_beta"),
    "lam * W is missing from the gradients of W1 and W2: the weight decay lam/2 (||W1||^2 + ||W2||^2) is in "
    "the cost, so its gradient lam * W belongs in the gradient":
        _variant("no_decay_grad"),
    "rho_hat is taken of the output layer: it is the average activation of each HIDDEN unit over the samples, "
    "H.mean(axis=0)":
        _variant("rho_output"),
    "the reconstruction error is averaged over every entry (divided by m*n): the contract divides the sum of "
    "squared errors by the number of samples m only, 1/(2m) sum ||x_hat - x||^2":
        _variant("recon_mean_all"),
}


HINTS = {"could not be broadcast": "an array lost an axis: rho_hat is the mean of H over the samples "
                                   "(axis=0), one value per hidden unit, and the sparsity term (shape (h,)) "
                                   "is added to every row of the hidden error (m, h)",
         "divide by zero": "rho_hat reached 0 or 1, where the KL is infinite: check that rho_hat is the mean "
                           "activation of each unit over the samples"}


def _cases(fn, part):
    rng = seeded(40)
    cases = []
    for (m, n, h, lam, beta, rho, bias) in [(10, 8, 5, 3e-3, 3.0, 0.1, 0.0), (20, 6, 3, 0.1, 1.0, 0.05, 0.0),
                                            (12, 7, 4, 1e-4, 3.0, 0.1, -4.0), (12, 7, 4, 0.0, 0.5, 0.2, 4.0)]:
        # the output bias clearly away from 0 (UFLDL starts biases at 0): decaying the biases too is then
        # never within the tolerance, whatever the draw (b1 stays small: its hidden layer's saturation is
        # set by `bias` alone, where float32's sigma' already loses digits)
        p = {k: v + (0.5 if k == "b2" else 0.1) * rng.normal(size=v.shape)
             for k, v in R.initialize(n, h, seed=m).items()}
        p["b1"] = p["b1"] + bias            # saturate the hidden layer: rho_hat near 0 or near 1
        X = rng.uniform(0, 1, (m, n))
        edge = "" if bias == 0 else f", rho_hat near {'0' if bias < 0 else '1'}"
        post, tolerance = (cost_part, {}) if part == "cost" else (grads_part, GRADIENT)
        cases.append(compare(f"{m} samples, {n} inputs, {h} hidden, lam={lam}, beta={beta}, rho={rho}{edge}",
                             fn, R.cost_and_grad, (p, X, lam, beta, rho), post=post, mistakes=MISTAKES,
                             on_error=HINTS, **tolerance))
    if part == "grad":
        cases.append(full_size_case(fn, rng))
    return cases


FULL_SIZE = "the lecture's size"


def full_size_case(fn, rng):
    """The lecture's size, 784 inputs and 196 hidden units (308,308 parameters), on 1,000 samples:
    backpropagation takes a fraction of a second (also looping over the samples), a gradient by finite
    differences, which the rule forbids and no reading of the source can always see, far more than the
    cell's time limit: at least one evaluation of the cost a parameter, each of them milliseconds at
    this size (on 10 samples, forward differences would have fit in the limit: 308,308 evaluations of
    about 0.15 ms). It weighs as much as the small cases together, and `gated` takes their points from
    a gradient that is right in them only. Mistakes are named by the small cases (here they would only
    cost time)."""
    p = R.initialize(784, 196, seed=7)
    X = rng.uniform(0, 1, (1000, 784))
    return compare(FULL_SIZE + ": 1,000 samples, 784 inputs, 196 hidden (lam=3e-3, beta=3, rho=0.1)", fn,
                   R.cost_and_grad, (p, X, 3e-3, 3.0, 0.1), weight=4.0, post=grads_part, on_error=HINTS,
                   **GRADIENT)


def check_kl_divergence(fn):
    rho_hat = np.array([0.01, 0.05, 0.1, 0.3, 0.9, 0.999])
    mistakes = {
        "the arguments are swapped: KL(rho || rho_hat) = rho log(rho/rho_hat) + (1-rho) log((1-rho)/(1-rho_hat))":
            lambda r, q: q * np.log(q / r) + (1 - q) * np.log((1 - q) / (1 - r)),
        "the second term is missing: the KL of two Bernoulli distributions also has "
        "(1-rho) log((1-rho)/(1-rho_hat))":
            lambda r, q: r * np.log(r / q),
        "the result is the negative of the KL (the fractions are upside down, or a minus sign too many): "
        "rho log(rho/rho_hat) + (1-rho) log((1-rho)/(1-rho_hat)), never negative":
            lambda r, q: r * np.log(q / r) + (1 - r) * np.log((1 - q) / (1 - r)),
        "this is summed over the units; the contract returns one KL per entry of rho_hat (an array)":
            lambda r, q: np.sum(R.kl_divergence(r, q)),
        "np.log2 gives the KL in bits: the sparsity penalty uses the natural log, np.log":
            lambda r, q: R.kl_divergence(r, q) / np.log(2),
    }
    return run_check(A, "test_kl_divergence", "kl_divergence", fn, [
        compare("rho = 0.1", fn, R.kl_divergence, (0.1, rho_hat), mistakes=mistakes),
        compare("rho = 0.05, rho_hat = rho gives 0", fn, R.kl_divergence, (0.05, np.array([0.05, 0.5])),
                mistakes=mistakes),
    ])


def check_cost(fn):
    return run_check(A, "test_sparse_autoencoder_cost", "sparse_autoencoder_cost: the cost", fn,
                     _cases(fn, "cost"))


def check_grad(fn):
    return gated(run_check(A, "test_sparse_autoencoder_grad", "sparse_autoencoder_cost: the gradient", fn,
                           _cases(fn, "grad"), forbidden=AUTODIFF), FULL_SIZE)
