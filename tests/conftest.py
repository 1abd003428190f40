import os

# pytest-xdist runs test files in parallel workers. Each worker's sandboxes get a uid of their own,
# so one worker's checks ("no process of the sandbox uid is left", the uid layer's clean-up, which
# kills every process of its uid) never see or touch another's kernels. Set before grader is imported.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _WORKER.startswith("gw") and _WORKER[2:].isdigit():
    os.environ.setdefault("DLCOURSE_SANDBOX_UID", str(64001 + int(_WORKER[2:])))
    # As many test workers as cores, each with its own kernels: one BLAS thread per process, or
    # the threads of every process fight for the cores and the suite runs several times slower
    # (set before NumPy loads; the notebooks' kernels and the sandboxes inherit it).
    _THREADS = str(max(1, (os.cpu_count() or 1) // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))))
    for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_name, _THREADS)

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # tests draw figures without a screen

import subprocess
import sys
import sysconfig

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1337)


# The corpus of wrong submissions is data for the nbgrader tests, not notebooks to run.
collect_ignore_glob = ["files/*"]


def bare_venv(path):
    """A virtual environment at `path` that sees this one's third-party packages but not this repository.

    Its site-packages gets a plain path line to ours: that makes the packages importable
    without running our .pth hooks, one of which is the editable install of grader and
    dlcourse. Returns (python, its site-packages folder).
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    with open(os.path.join(site, "third_party.pth"), "w") as f:
        f.write(sysconfig.get_paths()["purelib"] + "\n")
    probe = subprocess.run([str(python), "-c", "import nbgrader, numpy; import grader"], cwd=path,
                           capture_output=True, text=True)
    assert "No module named 'grader'" in probe.stderr, probe.stderr      # the repository is out of sight
    return python, site
