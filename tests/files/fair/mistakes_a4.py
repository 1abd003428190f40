"""Wrong a4 answers as students write them (see mistakes_a1.py): the slides' cost (sums, lam without
1/2), sparsity over the wrong axis, the backpropagation slips."""
import numpy as np
from scipy.special import expit


def kl_right(rho, rho_hat):
    return rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))


def kl_swapped(rho, rho_hat):
    return rho_hat * np.log(rho_hat / rho) + (1 - rho_hat) * np.log((1 - rho_hat) / (1 - rho))


def kl_one_term(rho, rho_hat):
    return rho * np.log(rho / rho_hat)


def kl_upside_down(rho, rho_hat):
    return rho * np.log(rho_hat / rho) + (1 - rho) * np.log((1 - rho_hat) / (1 - rho))


def kl_summed(rho, rho_hat):
    return np.sum(kl_right(rho, rho_hat))


def _sae(params, X, lam, beta, rho, axis=0, recon_scale=None, decay=0.5, decay_bias=False, output_deriv=True,
         kl_grad=1.0, per_sample=False, m_in_grad=True):
    """A student's sparse autoencoder with one slip chosen by the keywords."""
    m = X.shape[0]
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    H = 1 / (1 + np.exp(-(X @ W1 + b1)))
    Xh = 1 / (1 + np.exp(-(H @ W2 + b2)))
    rho_hat = H if per_sample else H.mean(axis=axis)
    r = 0.5 / m if recon_scale is None else recon_scale
    cost = r * np.sum((Xh - X) ** 2) + decay * lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2)) \
        + beta * np.sum(kl_right(rho, rho_hat)) / (m if per_sample else 1)
    if decay_bias:
        cost += decay * lam * (np.sum(b1 ** 2) + np.sum(b2 ** 2))
    k = 1.0 / m if m_in_grad else 1.0                  # the 1/m of the averaged terms' gradients
    d3 = (Xh - X) * (Xh * (1 - Xh) if output_deriv else 1.0) * 2 * r * (1.0 if m_in_grad else m)
    d2 = (d3 @ W2.T + kl_grad * beta * k * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))) * H * (1 - H)
    grads = {"W1": X.T @ d2 + 2 * decay * lam * W1, "b1": d2.sum(0), "W2": H.T @ d3 + 2 * decay * lam * W2,
             "b2": d3.sum(0)}
    if decay_bias:
        grads["b1"], grads["b2"] = grads["b1"] + 2 * decay * lam * b1, grads["b2"] + 2 * decay * lam * b2
    return float(cost), grads


def sae_no_kl_grad(params, X, lam=3e-3, beta=3.0, rho=0.1):
    return _sae(params, X, lam, beta, rho, kl_grad=0.0)


def sae_per_sample(params, X, lam=3e-3, beta=3.0, rho=0.1):
    return _sae(params, X, lam, beta, rho, per_sample=True)


def sae_decay_bias(params, X, lam=3e-3, beta=3.0, rho=0.1):
    return _sae(params, X, lam, beta, rho, decay_bias=True)


def sae_slides_decay(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """The slides' lam * sum W^2, without the 1/2."""
    return _sae(params, X, lam, beta, rho, decay=1.0)


def sae_no_m(params, X, lam=3e-3, beta=3.0, rho=0.1):
    return _sae(params, X, lam, beta, rho, m_in_grad=False)


def sae_rho_axis(params, X, lam=3e-3, beta=3.0, rho=0.1):
    return _sae(params, X, lam, beta, rho, axis=1)


def sae_slides_sum(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """The slides' J = sum over samples of the reconstruction error (no 1/m), with its 1/2."""
    return _sae(params, X, lam, beta, rho, recon_scale=0.5)


def sae_no_output_derivative(params, X, lam=3e-3, beta=3.0, rho=0.1):
    return _sae(params, X, lam, beta, rho, output_deriv=False)


def sae_kl_grad_sign(params, X, lam=3e-3, beta=3.0, rho=0.1):
    return _sae(params, X, lam, beta, rho, kl_grad=-1.0)


def sparse_autoencoder_cost(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """A correct cost differentiated by autograd: the gradient earns nothing."""
    import autograd.numpy as anp
    from autograd import value_and_grad

    def cost(p):
        H = 1 / (1 + anp.exp(-(anp.dot(X, p["W1"]) + p["b1"])))
        Xh = 1 / (1 + anp.exp(-(anp.dot(H, p["W2"]) + p["b2"])))
        r = anp.mean(H, axis=0)
        return (0.5 / X.shape[0] * anp.sum((Xh - X) ** 2) + 0.5 * lam * (anp.sum(p["W1"] ** 2) + anp.sum(p["W2"] ** 2))
                + beta * anp.sum(rho * anp.log(rho / r) + (1 - rho) * anp.log((1 - rho) / (1 - r))))
    c, g = value_and_grad(cost)(params)
    return float(c), g


# ---- from the fairness review (each named by its own diagnosis) ----------------------------------

def kl_log2(rho, rho_hat):
    """np.log2: the KL in bits."""
    return rho * np.log2(rho / rho_hat) + (1 - rho) * np.log2((1 - rho) / (1 - rho_hat))


def kl_minus_sign(rho, rho_hat):
    """-(rho log(rho/q) + ...): sign flipped."""
    return -(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))


def _kl(r, q):
    return r * np.log(r / q) + (1 - r) * np.log((1 - r) / (1 - q))


def _sae_kind(params, X, lam, beta, rho, kind):
    m = X.shape[0]
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z2 = X @ W1 + b1
    H = expit(z2)
    z3 = H @ W2 + b2
    Xh = expit(z3)
    rho_hat = H.mean(0)
    cost = 0.5 * np.sum((Xh - X) ** 2) / m + lam / 2 * (np.sum(W1 ** 2) + np.sum(W2 ** 2)) + beta * np.sum(_kl(rho, rho_hat))
    d3 = (Xh - X) * Xh * (1 - Xh) / m
    if kind == "dsig_of_z":
        d3 = (Xh - X) * z3 * (1 - z3) / m
    sp = (-rho / rho_hat + (1 - rho) / (1 - rho_hat))
    if kind == "sparse_no_m":
        sp = beta * sp
    elif kind == "sparse_no_beta":
        sp = sp / m
    else:
        sp = beta * sp / m
    d2 = (d3 @ W2.T + sp) * H * (1 - H)
    if kind == "dsig_of_z":
        d2 = (d3 @ W2.T + sp) * z2 * (1 - z2)
    dW1 = X.T @ d2 + (0 if kind == "no_decay_grad" else lam * W1)
    dW2 = H.T @ d3 + (0 if kind == "no_decay_grad" else lam * W2)
    return cost, {"W1": dW1, "b1": d2.sum(0), "W2": dW2, "b2": d3.sum(0)}


def sae_dsig_of_z(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """sigma'(z) written as z (1 - z) with the pre-activation z, not the activation a."""
    return _sae_kind(params, X, lam, beta, rho, "dsig_of_z")


def sae_sparse_no_m(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """The reconstruction error has its 1/m but the sparsity term does not."""
    return _sae_kind(params, X, lam, beta, rho, "sparse_no_m")


def sae_sparse_no_beta(params, X, lam=3e-3, beta=3.0, rho=0.1):
    return _sae_kind(params, X, lam, beta, rho, "sparse_no_beta")


def sae_no_decay_grad(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """Weight decay in the cost, but lam*W missing from the gradients."""
    return _sae_kind(params, X, lam, beta, rho, "no_decay_grad")


def sae_rho_hat_of_output(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """rho_hat from the OUTPUT layer (X_hat) instead of the hidden layer: the cost only."""
    m = X.shape[0]
    H = expit(X @ params["W1"] + params["b1"])
    Xh = expit(H @ params["W2"] + params["b2"])
    rho_hat = Xh.mean(0)
    cost = 0.5 * np.sum((Xh - X) ** 2) / m + lam / 2 * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2)) \
        + beta * np.sum(_kl(rho, rho_hat))
    return cost, {k: np.zeros_like(v) for k, v in params.items()}


def sae_mean_over_all(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """Reconstruction as np.mean over all entries / 2 (divides by m*n, not m)."""
    m = X.shape[0]
    c, g = _sae_kind(params, X, lam, beta, rho, "")
    Xh = expit(expit(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"])
    recon_right = 0.5 * np.sum((Xh - X) ** 2) / m
    return c - recon_right + 0.5 * np.mean((Xh - X) ** 2), g


MISTAKES = [
    ("test_kl_divergence", (kl_swapped,), "the arguments are swapped"),
    ("test_kl_divergence", (kl_one_term,), "the second term is missing"),
    ("test_kl_divergence", (kl_upside_down,), "the fractions are upside down"),
    ("test_kl_divergence", (kl_summed,), "one KL per entry"),
    ("test_sparse_autoencoder_grad", (sae_no_kl_grad,), "its gradient is missing from backpropagation"),
    ("test_sparse_autoencoder_cost", (sae_per_sample,), "sparsity is measured per sample"),
    ("test_sparse_autoencoder_cost", (sae_decay_bias,), "the biases are decayed too"),
    ("test_sparse_autoencoder_cost", (sae_slides_decay,), "the weight decay is missing its 1/2"),
    ("test_sparse_autoencoder_grad", (sae_no_m,), "missing the 1/m"),
    ("test_sparse_autoencoder_cost", (sae_rho_axis,), "rho_hat is the mean of H over the samples"),
    ("test_sparse_autoencoder_grad", (sae_rho_axis,), "rho_hat is the mean of H over the samples"),
    ("test_sparse_autoencoder_cost", (sae_slides_sum,), "summed over the samples (the slides' J)"),
    ("test_sparse_autoencoder_grad", (sae_no_output_derivative,), "missing the sigmoid's derivative"),
    ("test_sparse_autoencoder_grad", (sae_kl_grad_sign,), "the sparsity gradient has the wrong sign"),
    ("test_sparse_autoencoder_grad", (sparse_autoencoder_cost,), "automatic differentiation or finite differences earn no points"),
    ('test_kl_divergence', (kl_log2,), 'np.log2 gives the KL in bits'),
    ('test_kl_divergence', (kl_minus_sign,), 'a minus sign too many'),
    ('test_sparse_autoencoder_grad', (sae_dsig_of_z,), 'computed from the pre-activation as z (1 - z)'),
    ('test_sparse_autoencoder_grad', (sae_sparse_no_m,), "the sparsity term's gradient is missing its 1/m"),
    ('test_sparse_autoencoder_grad', (sae_sparse_no_beta,), "beta is missing from the sparsity term's gradient"),
    ('test_sparse_autoencoder_grad', (sae_no_decay_grad,), 'lam * W is missing from the gradients of W1 and W2'),
    ('test_sparse_autoencoder_cost', (sae_rho_hat_of_output,), 'rho_hat is taken of the output layer'),
    ('test_sparse_autoencoder_cost', (sae_mean_over_all,), 'averaged over every entry (divided by m*n)'),
]
