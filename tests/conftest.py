import matplotlib

matplotlib.use("Agg")  # tests draw figures without a screen

import os
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
