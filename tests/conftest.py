import os

# pytest-xdist runs test files in parallel workers. Each worker's sandboxes get a uid of their own,
# so one worker's checks ("no process of the sandbox uid is left", the uid layer's clean-up, which
# kills every process of its uid) never see or touch another's kernels. Set before grader is imported.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _WORKER.startswith("gw") and _WORKER[2:].isdigit():
    os.environ.setdefault("DLCOURSE_SANDBOX_UID", str(64001 + int(_WORKER[2:])))
    # Test workers share the cores, each with its own kernels: one BLAS thread per process, or
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
from pathlib import Path

import numpy as np
import pytest


def pytest_xdist_auto_num_workers(config):
    """`-n auto`: one test worker more than cores. The grading tests spend much of their time waiting
    for sandboxed kernels to start and finish; a third worker on two cores took the suite from
    6 min 11 s to 5 min 55 s here."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return cores + 1


# `-n auto --dist loadfile --no-loadscope-reorder` (pyproject.toml): each worker takes whole test
# files, in this order. These grade classes or run notebooks, and took 30 s to 4 min each when
# measured (`pytest --durations=0`); the rest take seconds. Longest first: a long file started last
# would run alone at the end while the other workers sit idle (without the reorder flag, xdist
# starts the files with the most tests first: test_static.py, test_mistakes.py...).
LONGEST_FIRST = ("test_nbgrader_pipeline.py", "test_grading.py", "test_adversarial.py", "test_release.py",
                 "test_sandbox.py", "test_site.py", "test_gradescope.py", "a4-sparse-autoencoder.ipynb")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))     # stable: the rest keep their order


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
    # What pip installs beside the packages: the data files in share/jupyter (nbconvert's templates,
    # which feedback pages are made with). Without them every feedback page fails.
    (path / "share").mkdir(exist_ok=True)
    os.symlink(os.path.join(sys.prefix, "share", "jupyter"), path / "share" / "jupyter")
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    with open(os.path.join(site, "third_party.pth"), "w") as f:
        f.write(sysconfig.get_paths()["purelib"] + "\n")
    probe = subprocess.run([str(python), "-c", "import nbgrader, numpy; import grader"], cwd=path,
                           capture_output=True, text=True)
    assert "No module named 'grader'" in probe.stderr, probe.stderr      # the repository is out of sight
    return python, site


def gradescope_image(autograder_zip, bare_python, assignment):
    """Gradescope's image build, once per autograder zip: in an /autograder-shaped folder beside
    the zip, the zip unpacked as source/ and setup.sh's last step (the assignment generated).
    Returns the folder; each submission then runs in a copy of it, as Gradescope runs each in a
    new container of the image."""
    import zipfile

    python, _ = bare_python
    image = Path(autograder_zip).parent / f"image-{assignment}" / "autograder"
    if (image / "work").is_dir():
        return image
    (image / "source").mkdir(parents=True)
    with zipfile.ZipFile(autograder_zip) as z:
        z.extractall(image / "source")
        for name in ("run_autograder", "setup.sh"):        # zipfile does not restore modes; Gradescope does
            assert (z.getinfo(name).external_attr >> 16) & 0o111, f"{name} is not executable in the zip"
            os.chmod(image / "source" / name, 0o755)
    assert "--prepare-only" in (image / "source" / "setup.sh").read_text()
    _point_at_source(bare_python, image)
    prepare = subprocess.run([str(python), "-m", "grader", "gradescope-run", assignment, "--root", str(image),
                              "--prepare-only"], cwd=image / "source", env=_gradescope_env(image, python),
                             capture_output=True, text=True, timeout=600)
    assert prepare.returncode == 0, prepare.stdout + prepare.stderr
    return image


def _point_at_source(bare_python, root):
    """What setup.sh's `pip install -e /autograder/source` leaves behind: the source on the path."""
    with open(os.path.join(bare_python[1], "autograder_source.pth"), "w") as f:
        f.write(str(root / "source") + "\n")


def _gradescope_env(root, python):
    return dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=str(python),
                PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}")   # alembic


def run_autograder(tmp_path, autograder_zip, bare_python, assignment, files=None, links=None):
    """Gradescope's life of one submission, in an /autograder-shaped folder under tmp_path: a copy
    of the image (`gradescope_image`: the assignment generated once), then run_autograder on
    submission/ holding `files` {name: bytes} and `links` {name: path relative to the autograder
    root}. Asserts run_autograder did not generate the assignment again and made every feedback page.
    Returns (results dict, path of results.json, run_autograder's stdout)."""
    import json
    import shutil

    python, _ = bare_python
    root = tmp_path / "autograder"
    shutil.copytree(gradescope_image(autograder_zip, bare_python, assignment), root, symlinks=True)
    _point_at_source(bare_python, root)
    (root / "submission").mkdir()
    for name, content in (files or {}).items():
        (root / "submission" / name).write_bytes(content)
    for name, target in (links or {}).items():
        os.symlink(root / target, root / "submission" / name)
    release = root / "work" / "course" / "assignments" / assignment / f"{assignment}.ipynb"
    built = release.stat().st_mtime_ns
    proc = subprocess.run([str(root / "source" / "run_autograder")], cwd=root, env=_gradescope_env(root, python),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert release.stat().st_mtime_ns == built, "run_autograder generated the assignment again"
    assert "feedback failed" not in proc.stdout, proc.stdout
    path = root / "results" / "results.json"
    return json.loads(path.read_text()), path, proc.stdout
