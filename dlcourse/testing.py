"""Visible tests that say what they expected and what they got.

The cells under each function in the assignments use these instead of a bare `assert`,
so a failing check reads like a sentence::

    expect_close(mean_squared_error(a, b), 13 / 3, "mean_squared_error([1, 2, 3], [1, 0, 0])")
    AssertionError: mean_squared_error([1, 2, 3], [1, 0, 0]) should be 4.33333, but your function returned 6.5

Nothing here is graded: the hidden tests are elsewhere.
"""
import numpy as np


def _show(x):
    arr = np.asarray(x)
    if arr.ndim == 0:
        try:
            return f"{float(arr):.6g}"
        except (TypeError, ValueError):
            return repr(x)
    return np.array2string(arr, precision=6, threshold=12, separator=", ")


def expect_close(got, expected, what, rtol=1e-5, atol=1e-8):
    """Fail, saying what and by how much, unless `got` has the shape and (closely) the values of `expected`."""
    try:
        if got is None or isinstance(got, (str, bytes, dict, set)):     # NumPy would turn None into nan
            raise TypeError
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should be numbers like {_show(expected)}, but your function returned "
                             f"{type(got).__name__}") from None
    e = np.asarray(expected, dtype=float)
    if e.ndim > 0 and g.shape != e.shape:            # a single expected number is compared with every entry
        raise AssertionError(f"{what} should have shape {e.shape}, but your function returned shape {g.shape}")
    if not np.all(np.isfinite(g) | ~np.isfinite(e)):
        raise AssertionError(f"{what} should be finite ({_show(expected)}), but your function returned {_show(got)}")
    if not np.allclose(g, e, rtol=rtol, atol=atol):
        raise AssertionError(f"{what} should be {_show(expected)}, but your function returned {_show(got)}")


def expect_shape(got, shape, what):
    """Fail unless `got` is an array of the given shape."""
    actual = np.shape(got)
    if tuple(actual) != tuple(shape):
        raise AssertionError(f"{what} should have shape {tuple(shape)}, but it has shape {tuple(actual)}")


def expect(condition, sentence):
    """Fail with `sentence` (which says what was expected) unless the condition holds."""
    if not condition:
        raise AssertionError(sentence)


#: How close central differences can come to a correct gradient computed in float32 (float64: ~1e-9).
FLOAT32_GRADIENT_LIMIT = 2e-2


def low_precision(result):
    """True when `result` (an array, a number, or a dict or list of them) holds float32 or float16 numbers."""
    if isinstance(result, dict):
        return any(low_precision(v) for v in result.values())
    if isinstance(result, (list, tuple)):
        return any(low_precision(v) for v in result)
    return np.asarray(result).dtype in (np.float32, np.float16)


def expect_gradient(diff, result, limit, what="your gradient"):
    """Fail unless `diff`, the relative difference between `result` (the gradient your function
    returned) and central differences, is below `limit`. A gradient computed in float32 cannot
    come closer than about 1e-3 (the cost itself is rounded to about 7 digits), so it is held to
    FLOAT32_GRADIENT_LIMIT instead, and the message says so."""
    if low_precision(result):
        expect(diff < max(limit, FLOAT32_GRADIENT_LIMIT),
               f"{what} differs from central differences by {diff:.1e} (relative); computed in float32 it "
               f"should still be below {FLOAT32_GRADIENT_LIMIT:.0e} (in float64: below {limit:.0e})")
        print(f"(your gradient is float32, so the check allows {FLOAT32_GRADIENT_LIMIT:.0e}; "
              f"compute in float64 to see the {limit:.0e} a correct gradient reaches)")
    else:
        expect(diff < limit, f"{what} differs from central differences by {diff:.1e} (relative); "
                             f"it should be below {limit:.0e}")
