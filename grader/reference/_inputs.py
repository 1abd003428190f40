"""Input validation shared by the reference functions.

Every public reference function validates what it is given, so that a wrong
shape or a NaN becomes one clear sentence instead of a broadcast surprise.
"""
import numpy as np


def as_float_array(a, name, ndim=None):
    """Return `a` as a float64 array, or raise ValueError naming `name`."""
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric; got {type(a).__name__}") from exc
    if ndim is not None and arr.ndim not in np.atleast_1d(ndim):
        raise ValueError(f"{name} must have {ndim} dimension(s); got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s)")
    return arr


def same_shape(a, b, name_a, name_b):
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape; "
                         f"got {a.shape} and {b.shape}")


def class_labels(y, num_classes, m, name="y"):
    """Integer labels 0..num_classes-1, one per sample, as an int array."""
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != m:
        raise ValueError(f"{name} must be a 1-D array of {m} labels; got shape {y.shape}")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.isfinite(y)) or not np.all(np.mod(y, 1) == 0):
            raise ValueError(f"{name} must hold integer class labels")
    y = y.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"{name} must hold labels in 0..{num_classes - 1}; "
                         f"found {y.min()}..{y.max()}")
    return y


def weight_keys(params, keys=None):
    """The names in `params` that are weights (decayed), not biases.

    By convention weights are named with a capital W (``W``, ``W1``, ``W2``...)
    and biases with b. Pass `keys` to choose explicitly.
    """
    if keys is None:
        return [k for k in params if str(k).startswith("W")]
    missing = [k for k in keys if k not in params]
    if missing:
        raise KeyError(f"no parameter named {missing[0]!r}; have {sorted(params)}")
    return list(keys)
