"""Plots the course uses again and again: feature grids, loss curves, optimizer paths.

Each function draws on a Matplotlib Axes (a new figure when none is given) and
returns the Axes, so a notebook can add to it.
"""
import matplotlib.pyplot as plt
import numpy as np


def image_grid(W, image_shape=(28, 28), ncols=None, ax=None, title=None):
    """Show each column of W as an image, in a grid (UFLDL's display_network).

    W: (n_pixels, n_images), e.g. an autoencoder's W1 of shape (784, h): column j
    is what hidden unit j responds to most. Each image is scaled by its own
    largest absolute value, so gray is 0, white positive and black negative.
    """
    W = np.asarray(W, dtype=np.float64)
    n_pix, n = W.shape
    if n_pix != int(np.prod(image_shape)):
        raise ValueError(f"W has {n_pix} rows; image_shape {image_shape} needs {int(np.prod(image_shape))}")
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    nrows = int(np.ceil(n / ncols))
    h, w = image_shape
    canvas = np.full((nrows * (h + 1) + 1, ncols * (w + 1) + 1), -1.0)  # black borders
    scale = np.abs(W).max(axis=0)
    scale[scale == 0] = 1.0
    for j in range(n):
        r, c = divmod(j, ncols)
        canvas[1 + r * (h + 1): 1 + r * (h + 1) + h, 1 + c * (w + 1): 1 + c * (w + 1) + w] = \
            (W[:, j] / scale[j]).reshape(image_shape)
    if ax is None:
        _, ax = plt.subplots(figsize=(min(12, ncols * 0.6 + 1), min(12, nrows * 0.6 + 1)))
    ax.imshow(canvas, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def loss_curves(histories, ax=None, logy=True, xlabel="iteration", ylabel="loss", title=None):
    """Plot several loss histories, {label: sequence of losses}, on one Axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for label, hist in histories.items():
        ax.plot(np.arange(len(hist)), hist, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


def trajectories(function, paths, ax=None, levels=30, title=None):
    """Optimizer paths over the contour plot of a 2-D test function.

    function: a `dlcourse.functions.TestFunction`; paths: {label: array (T, 2)}.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    xs = np.linspace(*function.xlim, 300)
    ys = np.linspace(*function.ylim, 300)
    Xg, Yg = np.meshgrid(xs, ys)
    Z = function.f(Xg, Yg)
    if Z.min() > 0:
        lev = np.geomspace(Z.min() + 1e-3, Z.max(), levels)
    else:
        lev = np.linspace(Z.min(), Z.max(), levels)
    ax.contour(Xg, Yg, Z, levels=lev, cmap="Greys", linewidths=0.7)
    for label, path in paths.items():
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], ".-", ms=3, lw=1.2, label=label)
    ax.plot(*function.start, "ko", ms=6, label="start")
    if function.minimum is not None:
        ax.plot(*function.minimum, "r*", ms=12, label="minimum")
    ax.set_xlim(function.xlim)
    ax.set_ylim(function.ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title or function.name)
    ax.legend(loc="best", fontsize=8)
    return ax
