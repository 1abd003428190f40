"""Pack a dict of parameter arrays into one flat vector and back.

SciPy's optimizers and gradient checking want one vector theta; networks are
easier to write with named arrays (W1, b1, ...). `flatten` and `unflatten`
convert between the two, in a fixed key order, without surprises.
"""
import math

import numpy as np


def flatten(params):
    """Return (theta, spec): theta the concatenated float64 vector, spec what `unflatten` needs."""
    if not isinstance(params, dict) or not params:
        raise TypeError("params must be a non-empty dict of arrays")
    spec = [(k, np.shape(v)) for k, v in params.items()]
    theta = np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in params.values()])
    return theta, spec


def flatten_like(arrays, spec, dtype=np.float64):
    """Flatten `arrays` (e.g. gradients) in the key order and shapes of `spec`, as a `dtype` vector.

    Gradient dicts may list their keys in any order (backpropagation fills them
    from the last layer to the first); this keeps every entry next to its parameter.
    """
    missing = [k for k, _ in spec if k not in arrays]
    if missing or len(arrays) != len(spec):
        raise ValueError(f"expected arrays for {[k for k, _ in spec]}; got {list(arrays)}")
    sizes = [math.prod(shape) for _, shape in spec]
    out, start = np.empty(sum(sizes), dtype=dtype), 0
    for (k, shape), n in zip(spec, sizes):
        a = np.asarray(arrays[k])
        if a.shape != tuple(shape):
            raise ValueError(f"{k!r} has shape {a.shape}; its parameter has {tuple(shape)}")
        out[start:start + n].reshape(shape)[...] = a      # one copy, whatever a's layout and dtype
        start += n
    return out


def unflatten(theta, spec, dtype=np.float64):
    """Dict of arrays from a vector made by `flatten`. The arrays are views into theta
    (into a `dtype` copy of theta if theta is of another dtype)."""
    theta = np.asarray(theta, dtype=dtype)
    sizes = [math.prod(shape) for _, shape in spec]      # math.prod: np.prod costs ~10 us a call
    expected = sum(sizes)
    if theta.ndim != 1 or theta.size != expected:
        raise ValueError(f"theta must be a vector of {expected} values; got shape {theta.shape}")
    out, start = {}, 0
    for (k, shape), n in zip(spec, sizes):
        out[k] = theta[start:start + n].reshape(shape)
        start += n
    return out
