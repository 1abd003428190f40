"""The sandbox student code runs in (grader/sandbox.py), attacked directly.

Each layer is tested where it can run: bubblewrap with a separate uid (Linux as root:
CI), and the separate-uid layer alone (what is left in a container without
namespaces). The attacks through real grading are in test_adversarial.py.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from grader import sandbox
from grader.course import ROOT

ROOT_USER = os.geteuid() == 0
MODES = [m for m in ("bwrap", "uid") if ROOT_USER and (m != "bwrap" or sandbox.isolation() == "bwrap")]
pytestmark = [pytest.mark.skipif(not MODES, reason="the sandbox's layers need Linux and root"),
              pytest.mark.slow]         # starts sandboxed kernels and grades: `make test`, not `make check`


@pytest.fixture(scope="module")
def uid_layer_ready():
    """The uid layer needs a Python the sandbox uid can read; this machine's lives under /root
    (0700), so the test lets others traverse /root (not list it) while it runs, and makes the
    grader's folders unreadable to others as `grade` does in this mode; both are undone after."""
    modes = {p: p.stat().st_mode for p in (Path("/root"), ROOT / "grader", ROOT / "solutions")}
    os.chmod("/root", modes[Path("/root")] | 0o001)
    sandbox.protect(ROOT / "grader", ROOT / "solutions")
    yield
    for p, m in modes.items():
        os.chmod(p, m)


def run(mode, code, timeout=60):
    scratch = sandbox.Scratch(mode)
    try:
        proc = sandbox.run_in_sandbox(scratch, [sys.executable, "-c", textwrap.dedent(code)], timeout=timeout)
    finally:
        scratch.close()
    return proc


@pytest.fixture(params=MODES)
def mode(request):
    if request.param == "uid":
        request.getfixturevalue("uid_layer_ready")
    return request.param


def test_runs_as_the_unprivileged_uid_and_can_use_the_course(mode):
    proc = run(mode, """
        import os, dlcourse, numpy
        print(os.getuid(), os.getgid(), os.getgroups())
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[:2] == [str(sandbox.SANDBOX_UID)] * 2


def test_cannot_read_the_grader_or_the_solutions(mode):
    targets = [ROOT / "grader" / "checks" / "a1.py", ROOT / "grader" / "reference" / "losses.py",
               ROOT / "solutions" / "a1-mle-losses" / "a1-mle-losses.ipynb"]
    proc = run(mode, f"""
        import importlib
        for path in {[str(t) for t in targets]!r}:
            try:
                open(path).read(); print("READ", path)
            except OSError:
                pass
        try:
            importlib.import_module("grader.reference.losses"); print("IMPORTED grader")
        except ImportError:
            pass
    """)
    assert proc.returncode == 0, proc.stderr
    assert "READ" not in proc.stdout and "IMPORTED" not in proc.stdout, proc.stdout


def test_cannot_write_outside_its_scratch_folder(mode, tmp_path):
    victim = Path(sandbox._helper_package()) / "__init__.py"
    os.chmod(tmp_path, 0o777)                       # even a world-writable folder of the grader's
    proc = run(mode, f"""
        import os
        for path in [{str(victim)!r}, {str(tmp_path / 'x')!r}, "/etc/dlc-probe", os.environ["HOME"] + "/ok"]:
            try:
                with open(path, "a") as f:
                    f.write("# written by the sandbox")
                print("WROTE", path)
            except OSError:
                pass
    """)
    assert proc.returncode == 0, proc.stderr
    wrote = [l.split()[1] for l in proc.stdout.splitlines() if l.startswith("WROTE")]
    assert wrote[-1:] and wrote[-1].endswith("/ok")          # its own home: yes
    if mode == "bwrap":
        assert wrote == wrote[-1:]                            # nothing else
        assert not (tmp_path / "x").exists()
    else:                                                     # uid layer: only what others may write
        assert str(victim) not in wrote and "/etc/dlc-probe" not in wrote
    assert "# written by the sandbox" not in victim.read_text()


def test_no_network_in_the_namespace():
    if "bwrap" not in MODES:
        pytest.skip("the uid layer does not cut the network (its report line says so)")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    proc = run("bwrap", f"""
        import socket
        for host in ("127.0.0.1", "192.0.2.1"):
            try:
                socket.create_connection((host, {port}), timeout=1); print("CONNECTED", host)
            except OSError:
                pass
    """)
    server.close()
    assert proc.returncode == 0 and "CONNECTED" not in proc.stdout, proc.stdout + proc.stderr


def _alive_as_sandbox_uid(uids=None):
    """Processes of the sandbox uid (or of `uids`) that still run (a zombie has ended: only its
    parent may reap it)."""
    uids = {str(u) for u in uids} if uids is not None else {str(sandbox.SANDBOX_UID)}
    alive = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(l.split(":", 1) for l in status.read_text().splitlines() if ":" in l)
            uid, state = fields["Uid"].split()[0], fields["State"].split()[0]
        except (OSError, KeyError, IndexError, ValueError):
            continue
        if uid in uids and state != "Z":
            alive.append(status.parent.name)
    return alive


def test_a_detached_daemon_does_not_outlive_its_notebook(mode):
    proc = run(mode, """
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(300)
            os._exit(0)
        time.sleep(0.5)
        print("forked")
    """)
    assert "forked" in proc.stdout, proc.stderr
    time.sleep(0.5)
    assert _alive_as_sandbox_uid() == []


def test_resource_limits_hold(mode):
    proc = run(mode, """
        import os, resource
        try:
            bytearray(20 * 2**30); print("ALLOCATED")
        except MemoryError:
            print("memory limited")
        try:
            with open(os.environ["HOME"] + "/big", "wb") as f:
                f.seek(2**30); f.write(b"x"); print("WROTE 1 GB")
        except OSError:
            print("file size limited")
        print(resource.getrlimit(resource.RLIMIT_NPROC)[0], resource.getrlimit(resource.RLIMIT_CPU)[0])
    """)
    assert "memory limited" in proc.stdout and "file size limited" in proc.stdout, proc.stdout + proc.stderr
    nproc, cpu = map(int, proc.stdout.split()[-2:])
    assert nproc == sandbox.LIMITS[sandbox.resource.RLIMIT_NPROC] and cpu == sandbox.LIMITS[sandbox.resource.RLIMIT_CPU]


def test_what_it_writes_outside_its_sandbox_is_bounded_and_never_on_the_disk(mode, monkeypatch):
    """Record pipes, sockets and (uid mode) home lie on one in-memory file system per notebook: a
    notebook writing file after file there stops at SCRATCH_BYTES, and none of it is on a disk."""
    if not sandbox.scratch_in_memory():
        pytest.skip("this machine does not let root mount an in-memory file system")
    monkeypatch.setattr(sandbox, "SCRATCH_BYTES", 64 * 2**20)
    scratch = sandbox.Scratch(mode)
    try:
        mounts = {line.split()[1]: line.split()[2] for line in Path("/proc/mounts").read_text().splitlines()}
        assert mounts.get(str(scratch.own)) == "tmpfs"
        proc = sandbox.run_in_sandbox(scratch, [sys.executable, "-c", textwrap.dedent("""
            import errno, os
            total, chunk = 0, b"x" * 2**20
            for folder in (RUN_FOLDER, os.environ["HOME"]):
                try:
                    for i in range(400):
                        with open(os.path.join(folder, f"fill{i}"), "wb") as f:
                            for _ in range(8):
                                f.write(chunk); f.flush(); total += len(chunk)
                except OSError as exc:
                    print("STOPPED", folder == os.environ["HOME"], exc.errno == errno.ENOSPC)
            print("TOTAL", total)
        """).replace("RUN_FOLDER", repr(str(scratch.run)))])
        assert proc.returncode == 0, proc.stderr
        total = int(proc.stdout.split("TOTAL")[1])
        assert "STOPPED False True" in proc.stdout           # the sockets' folder filled up: no space left
        assert total <= 64 * 2**20 + (sandbox.TMP_BYTES if mode == "bwrap" else 0) + 2**20
        assert sum(f.stat().st_size for f in scratch.run.iterdir()) <= 64 * 2**20
    finally:
        scratch.close()
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    assert str(scratch.own) not in mounts and not scratch.base.exists()


def test_the_scratch_of_a_killed_grader_is_swept_by_the_next_run():
    """A grader killed mid-notebook never closes its scratch folder; the next `grade` unmounts and
    removes it, and leaves a live grader's alone."""
    if not sandbox.scratch_in_memory():
        pytest.skip("this machine does not let root mount an in-memory file system")
    proc = subprocess.Popen([sys.executable, "-c", "from grader import sandbox; import time; "
                             "s = sandbox.Scratch(); print(s.base, flush=True); time.sleep(60)"],
                            stdout=subprocess.PIPE, text=True)
    base = Path(proc.stdout.readline().strip())
    mine = sandbox.Scratch()
    try:
        assert os.path.ismount(base / "own")
        proc.kill()
        proc.wait()
        sandbox.sweep_stale_scratch()
        assert not base.exists() and str(base / "own") not in Path("/proc/mounts").read_text()
        assert mine.base.exists()                               # this (live) process's own
    finally:
        mine.close()


def test_processes_left_in_a_finished_notebooks_control_group_are_killed_by_the_next_run():
    """A kernel whose bubblewrap was killed outright (its uid change cleared the parent-death signal of
    what runs under it) can outlive its scratch folder; Scratch.close() kills its control group, and the
    next `grade` sweeps any group whose notebook is gone, leaving a live notebook's alone."""
    live = sandbox.Scratch()
    groups = live.cgroups()
    if not groups:
        pytest.skip("this machine's control groups cannot be written")
    dead = sandbox.Scratch()
    dead_groups = dead.cgroups()
    procs = [subprocess.Popen(["sleep", "60"], preexec_fn=lambda g=g: sandbox._limit(g)) for g in (groups, dead_groups)]
    try:
        if dead.mounted:
            sandbox._unmount(dead.own)
        shutil.rmtree(dead.base)                        # its grader removed the folder, not the processes
        sandbox.sweep_stale_scratch()
        assert procs[1].wait(timeout=5) == -9 and not any(os.path.exists(g) for g in dead_groups)
        assert procs[0].poll() is None and all(os.path.exists(g) for g in groups)      # a live notebook's
        live.close()
        assert procs[0].wait(timeout=5) == -9 and not any(os.path.exists(g) for g in groups)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


def test_two_grading_runs_at_once_never_share_a_sandbox_uid():
    """Each run claims its workers' uids (a lock per uid) for as long as it grades: a second run
    on the machine meanwhile gets others; once the first is done, its uids are free again."""
    mine, handles = sandbox.claim_uids(2)
    try:
        other = subprocess.run([sys.executable, "-c", "from grader import sandbox; print(*sandbox.claim_uids(3)[0])"],
                               capture_output=True, text=True, timeout=60, check=True).stdout.split()
        assert len(set(mine)) == 2 and not set(mine) & set(map(int, other)), (mine, other)
    finally:
        for h in handles:
            h.close()
    again, handles = sandbox.claim_uids(2)
    for h in handles:
        h.close()
    assert again == mine


def test_the_report_says_which_isolation_was_used():
    line = sandbox.describe()
    assert line.startswith(f"isolation: {sandbox.isolation()} - ")
    for mode, text in sandbox.DESCRIPTION.items():
        if mode != "bwrap":
            assert "not" in text or "NONE" in text      # every weaker layer says what it does not protect


def test_isolation_can_be_chosen_and_rejects_unknown_modes(monkeypatch):
    sandbox.isolation.cache_clear()
    try:
        monkeypatch.setenv("DLCOURSE_SANDBOX", "none")
        assert sandbox.isolation() == "none"
        sandbox.isolation.cache_clear()
        monkeypatch.setenv("DLCOURSE_SANDBOX", "docker")
        with pytest.raises(ValueError, match="use one of"):
            sandbox.isolation()
    finally:
        sandbox.isolation.cache_clear()


UID_CLASS = ["gradebook-hunt", "daemon", "leak-files", "source-append", "ref-walk"]


def _tree_digest(*folders):
    import hashlib
    digest = {}
    for folder in folders:
        for p in sorted(Path(folder).rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                digest[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return digest


def test_the_uid_layer_alone_holds_through_real_grading(uid_layer_ready, tmp_path, monkeypatch):
    """What is left where containers allow no namespaces: graded for real, attackers among an
    honest student, with only a separate uid and file permissions between them and the grader."""
    import json
    import shutil

    from grader.assignments import ASSIGNMENTS
    from grader.grading import grade, grade_table

    a1 = "a1-mle-losses"
    adversarial = ROOT / "tests" / "files" / "adversarial"
    expected = json.loads((adversarial / "expected.json").read_text())
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(ROOT / "solutions" / a1 / f"{a1}.ipynb", folder / f"honest_{a1}.ipynb")
    for name in UID_CLASS:
        shutil.copy(adversarial / f"{name}_{a1}.ipynb", folder / f"{name}_{a1}.ipynb")
    before = _tree_digest(ROOT / "grader", ROOT / "dlcourse", ROOT / "solutions")
    monkeypatch.setenv("DLCOURSE_SANDBOX", "uid")            # nbgrader's subprocesses read it too
    sandbox.isolation.cache_clear()
    try:
        report = grade(folder, tmp_path / "course", progress=False, timeout=20)
    finally:
        sandbox.isolation.cache_clear()
    assert report.isolation.startswith("isolation: uid")
    assert _tree_digest(ROOT / "grader", ROOT / "dlcourse", ROOT / "solutions") == before
    autograded = sum(p for g, p in ASSIGNMENTS[a1].items() if g.startswith("test_"))
    scores = {s: sc[a1][0] for s, sc in grade_table(tmp_path / "course")}
    assert scores["honest"] == autograded
    for name in UID_CLASS:             # each attacker: exactly what its honest content earns
        lost = sum(ASSIGNMENTS[a1][g] - p for g, p in expected[f"{name}_{a1}"]["cells"].items())
        assert scores[name] == pytest.approx(autograded - lost), name
    assert _alive_as_sandbox_uid() == []
    probes = [expected[f"{n}_{a1}"]["probe"] for n in UID_CLASS if expected[f"{n}_{a1}"].get("probe")]
    found = [p for probe in probes for place in (Path("/tmp"), ROOT, ROOT / "grader", tmp_path / "course")
             for p in place.glob(f"*{probe}*")]
    assert not found, found


def test_no_user_namespaces_inside_the_sandbox():
    """Most kernel exploits start by making a user namespace (root inside it); the kernel needs none."""
    if "bwrap" not in MODES:
        pytest.skip("needs the bubblewrap layer")
    proc = run("bwrap", """
        import subprocess
        r = subprocess.run(["unshare", "--user", "--map-root-user", "true"], capture_output=True)
        print("made one" if r.returncode == 0 else "refused")
    """)
    assert proc.stdout.strip() == "refused", proc.stdout + proc.stderr


def test_a_notebooks_processes_share_one_memory_and_process_budget(monkeypatch):
    """rlimits bound each process; the control group bounds them together (where it can be made)."""
    monkeypatch.setattr(sandbox, "CGROUP_MEMORY", 2**30)
    scratch = sandbox.Scratch()
    if not scratch.cgroups():
        scratch.close()
        pytest.skip("this machine's control groups cannot be written")
    try:
        proc = sandbox.run_in_sandbox(scratch, [sys.executable, "-c", textwrap.dedent("""
            import subprocess, sys
            grab = "b = bytearray(400 * 2**20); b[::4096] = b'x' * (len(b) // 4096); import time; time.sleep(1)"
            procs = [subprocess.Popen([sys.executable, "-c", grab]) for _ in range(4)]
            print(sorted(p.wait() for p in procs))
        """)], timeout=120)
    finally:
        scratch.close()
    codes = eval(proc.stdout.strip())               # 4 x 400 MB does not fit in 1 GB: some are killed
    assert codes.count(0) < 4 and all(c in (0, -9) for c in codes), proc.stdout + proc.stderr
    assert not any(Path(g).exists() for g in scratch.cgroups())


def test_packages_an_assignment_forbids_are_not_there_at_all():
    """a4/a5: a gradient by autograd earns nothing; in the sandbox autograd cannot even be imported,
    however the code reaches for it (pkgutil.resolve_name, importlib, a string...)."""
    if "bwrap" not in MODES:
        pytest.skip("needs the bubblewrap layer")
    from grader.preprocessors import UNAVAILABLE

    scratch = sandbox.Scratch("bwrap", hide=UNAVAILABLE["a4-sparse-autoencoder"])
    try:
        proc = sandbox.run_in_sandbox(scratch, [sys.executable, "-c", textwrap.dedent("""
            import importlib, pkgutil
            for how in (lambda: importlib.import_module("autograd"), lambda: pkgutil.resolve_name("autograd:grad")):
                try:
                    how(); print("IMPORTED")
                except ImportError:
                    print("absent")
            import numpy, scipy, dlcourse
        """)])
    finally:
        scratch.close()
    assert proc.returncode == 0 and proc.stdout.split() == ["absent", "absent"], proc.stdout + proc.stderr


def test_without_the_user_namespace_lock_the_sandbox_still_runs_and_says_so(monkeypatch):
    """Where the uid may not make a user namespace (some containers), the lock is left out, not fatal."""
    if "bwrap" not in MODES:
        pytest.skip("needs the bubblewrap layer")
    real = sandbox._works
    monkeypatch.setattr(sandbox, "_works", lambda cmd: "--disable-userns" not in cmd and real(cmd))
    monkeypatch.delenv("DLCOURSE_SANDBOX", raising=False)
    sandbox.isolation.cache_clear()
    sandbox._WHY_NOT.clear()
    try:
        assert sandbox.isolation() == "bwrap" and "no userns lock" in sandbox.describe()
        scratch = sandbox.Scratch()
        assert "--disable-userns" not in scratch.command(["true"])
        proc = sandbox.run_in_sandbox(scratch, [sys.executable, "-c", "import os, dlcourse; print(os.getuid())"])
        scratch.close()
        assert proc.stdout.strip() == str(sandbox.SANDBOX_UID), proc.stderr
    finally:
        sandbox.isolation.cache_clear()
        sandbox._WHY_NOT.clear()


def test_code_the_notebook_writes_is_never_read_back(mode):
    """dlcourse.graded_kernel's guard, which every graded kernel starts with: a module written to a
    folder the kernel can write and imported (the third attack review's way round the static reading),
    as source, bytecode, an extension or a zip, or read as code, is refused; what is installed imports
    as always, and writing and reading data files is untouched."""
    proc = run(mode, """
        import os, shutil, sys, tempfile, zipfile
        import dlcourse.graded_kernel
        dlcourse.graded_kernel.guard()
        import numpy, scipy.special, matplotlib                          # installed: as always
        d = tempfile.mkdtemp()
        with open(os.path.join(d, "nb" + "helpers.py"), "w") as f:
            f.write("import copy\\ncopy._deepcopy_dispatch[dict] = lambda x, memo: x\\n")
        with open(os.path.join(d, "data.csv"), "w") as f:
            f.write("1,2\\n")
        print("data", open(os.path.join(d, "data.csv")).read().strip())
        os.mkdir(os.path.join(d, "pkg"))
        open(os.path.join(d, "pkg", "__init__.py"), "w").close()
        ext = os.path.basename(numpy.linalg._umath_linalg.__file__)
        shutil.copy(numpy.linalg._umath_linalg.__file__, os.path.join(d, "fast" + ext[ext.index("."):]))
        with zipfile.ZipFile(os.path.join(d, "lib.dat"), "w") as z:          # a zip by any name
            z.writestr("zipped.py", "x = 1\\n")
        with open("here.py", "w") as f:                                 # the working folder
            f.write("x = 1\\n")
        sys.path.insert(0, d)
        for name in ("nbhelpers", "pkg", "fast", "here"):
            try:
                __import__(name)
                print("imported", name)
            except ImportError as e:
                print("refused", name, "installed" in str(e))
        sys.path.insert(0, os.path.join(d, "lib.dat"))
        try:
            import zipped
            print("imported zipped")
        except ImportError as e:
            print("refused zipped", "installed" in str(e))
        import runpy
        try:
            runpy.run_path(os.path.join(d, "nbhelpers.py"))
            print("ran nbhelpers")
        except ImportError as e:
            print("refused run_path", "installed" in str(e))
        import threading                                                # a thread keeping the hook busy
        stop = []

        def noise():
            while not stop:
                open(numpy.__file__).close()
        t = threading.Thread(target=noise)
        t.start()
        got = 0
        for _ in range(500):
            try:
                import nbhelpers  # noqa: F401
                got += 1
                del sys.modules["nbhelpers"]
            except ImportError:
                pass
        stop.append(1)
        t.join()
        print("raced", got)
        import copy
        print("dispatch intact", copy._deepcopy_dispatch[dict] is not None and copy.deepcopy({"a": [1]}) is not None)
        import scipy.optimize                                           # a package imported after all that
        print("late import ok")
    """)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.split("\n")
    assert "data 1,2" in out and "late import ok" in out and "raced 0" in out, proc.stdout
    for name in ("nbhelpers", "pkg", "fast", "zipped", "run_path"):
        assert f"refused {name} True" in out, (name, proc.stdout)
    assert "refused here True" in out or "refused here False" in out, proc.stdout     # not found at all is fine too
    assert not any(line.startswith(("imported", "ran")) for line in out), proc.stdout


def test_matplotlib_in_the_sandbox_uses_the_graders_font_list_and_it_is_the_one_it_would_build(mode):
    """Each kernel gets matplotlib's font list, built by the grader, in a folder of its own (it need
    not search the machine's fonts again); the list is what matplotlib finds there by itself."""
    code = """
        import json, os, matplotlib, matplotlib.font_manager as fm
        fonts = sorted((f.fname, f.name, f.style, f.weight) for f in fm.fontManager.ttflist + fm.fontManager.afmlist)
        print(json.dumps([matplotlib.get_cachedir(), os.environ.get("MPLCONFIGDIR"), fonts]))
    """
    assert sandbox.font_list() is not None
    given = json.loads(run(mode, code).stdout)
    scratch = sandbox.Scratch(mode)
    try:
        proc = sandbox.run_in_sandbox(scratch, ["env", "-u", "MPLCONFIGDIR", sys.executable, "-c",
                                                textwrap.dedent(code)])
    finally:
        scratch.close()
    own = json.loads(proc.stdout)
    assert given[0] == given[1] and given[0].endswith("/own/matplotlib")
    assert own[1] is None and own[0] != given[0]          # without it: a search of its own, in its home
    assert given[2] == own[2] and given[2]


def test_a_kernel_started_ahead_serves_only_its_assignment_and_is_never_left_behind():
    """A grading worker starts its next notebook's kernel early (ResilientExecute._start_ahead): the
    notebook of that assignment runs in it, one of another assignment gets a fresh kernel and the early
    one is killed, a dead one is replaced, and none survives discard_ahead (a worker's exit)."""
    import nbformat
    from grader import preprocessors as pp

    def run_notebook(assignment):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os; print(os.getpid())")])
        ep = pp.ResilientExecute(kernel_name="python3", timeout=60)
        ep.preprocess(nb, {"nbgrader": {"assignment": assignment}})
        return ep.scratch.base, nb.cells[0].outputs[0]["text"]

    a1, a2 = "a1-mle-losses", "a2-regularization"
    starter = pp.ResilientExecute(kernel_name="python3")
    try:
        starter._start_ahead(a1)
        early = pp._ahead[2].base
        used, out = run_notebook(a1)                       # its assignment: run in the early kernel
        assert used == early and out.strip() and pp._ahead is None and not early.exists()

        starter._start_ahead(a2)
        early = pp._ahead[2].base
        used, out = run_notebook(a1)                       # another assignment: a fresh kernel, early one gone
        assert used != early and out.strip() and not early.exists() and pp._ahead is None

        starter._start_ahead(a1)
        early = pp._ahead[2].base
        pp._ahead[3].provisioner.process.kill()            # it died before its notebook came
        pp._ahead[3].provisioner.process.wait()
        used, out = run_notebook(a1)
        assert out.strip() and not early.exists()

        starter._start_ahead(a1)
        early = pp._ahead[2].base
        pp.discard_ahead()
        assert pp._ahead is None and not early.exists()
    finally:
        pp.discard_ahead()


def test_grading_workers_take_the_graders_settings_as_they_are_when_each_starts(tmp_path, monkeypatch):
    """Workers are forked from a fork server started once per grading process, not from the
    process itself: each must still run with the grader's environment of the moment it starts (the
    sandbox mode lives there), not with the one the fork server happened to start with."""
    from grader import workers
    from grader.grading import prepare_course

    course = prepare_course(tmp_path / "course", assignments={"a1-mle-losses"})
    folder = workers.prepare(course, 1)[0]
    seen = []
    for chosen in ("bwrap" if sandbox.isolation() == "bwrap" else "uid", "none"):
        monkeypatch.setenv("DLCOURSE_SANDBOX", chosen)
        worker = workers.Worker(folder, 0, sandbox.SANDBOX_UID + 7)
        worker.close()
        seen.append((folder.parent / "w0.log").read_text().splitlines()[-1])
    assert seen[0].endswith(f"sandbox {'bwrap' if sandbox.isolation() == 'bwrap' else 'uid'} as uid "
                            f"{sandbox.SANDBOX_UID + 7}"), seen
    assert seen[1].endswith(f"sandbox none as uid {sandbox.SANDBOX_UID + 7}"), seen


def test_a_script_without_a_main_guard_can_start_grading_workers(tmp_path):
    """multiprocessing imports the parent's main script again in each process its fork server
    starts; a script that grades without an `if __name__ == "__main__":` guard would then grade
    again inside its own worker and hang. The workers start without the script."""
    script = tmp_path / "grade_my_class.py"
    script.write_text(textwrap.dedent(f"""
        from pathlib import Path
        from grader import workers
        from grader.grading import prepare_course

        print("the script ran", flush=True)
        course = prepare_course(Path({str(tmp_path / "course")!r}), assignments={{"a1-mle-losses"}})
        worker = workers.Worker(workers.prepare(course, 1)[0], 0, {sandbox.SANDBOX_UID + 9})
        worker.close()
        print("worker exit code", worker.proc.exitcode, flush=True)
    """))
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.stdout.splitlines() == ["the script ran", "worker exit code 0"], done.stdout + done.stderr


def test_the_fork_server_that_starts_grading_workers_is_out_of_reach(mode):
    """multiprocessing's fork server forks whatever a client that connects to its socket asks for
    (Python 3.11 does not authenticate clients). Its socket lies in a folder only the grader's user
    may enter: sandboxed code can neither connect to it nor see it."""
    from multiprocessing import forkserver

    from grader import workers

    context = workers._context()
    p = context.Process(target=os.getpid)
    p.start()
    p.join()
    address = forkserver._forkserver._forkserver_address
    assert address and os.path.exists(address) and (os.stat(os.path.dirname(address)).st_mode & 0o077) == 0
    proc = run(mode, f"""
        import socket
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect({address!r})
            print("CONNECTED")
        except OSError as exc:
            print("refused:", type(exc).__name__)
    """)
    assert proc.returncode == 0, proc.stderr
    assert "CONNECTED" not in proc.stdout and "refused:" in proc.stdout, proc.stdout


def test_a_grading_worker_that_dies_is_replaced_and_its_notebook_graded_again(tmp_path):
    """A worker killed mid-notebook (no student code can do it: that runs in the sandbox) costs
    nothing: a fresh worker, forked like the first, grades that notebook once more."""
    import re
    import signal
    import threading

    import nbformat

    from grader.grading import grade, grade_table

    a1 = "a1-mle-losses"
    folder = tmp_path / "export"
    folder.mkdir()
    slow = nbformat.read(ROOT / "solutions" / a1 / f"{a1}.ipynb", as_version=4)
    slow.cells.insert(3, nbformat.v4.new_code_cell("import time\ntime.sleep(3)"))
    nbformat.write(slow, folder / f"bo_{a1}.ipynb")
    course = tmp_path / "course"
    reports = []
    grading = threading.Thread(target=lambda: reports.append(grade(folder, course, progress=False, jobs=1)))
    grading.start()
    log, started = course / ".workers" / "w0.log", course / ".workers" / "w0" / "autograded" / "bo" / a1
    deadline = time.time() + 120
    while not (started.is_dir() and log.is_file() and "grading worker" in log.read_text()) and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1)                                      # bo's notebook is running (in its sleep)
    first = int(re.search(r"grading worker (\d+):", log.read_text()).group(1))
    os.kill(first, signal.SIGKILL)
    while time.time() < deadline:                     # a fresh worker starts in its place
        text = log.read_text() if log.is_file() else ""
        pids = [int(p) for p in re.findall(r"grading worker (\d+):", text)]
        if len(pids) > 1:
            break
        time.sleep(0.1)
    assert len(pids) == 2 and pids[1] != first, pids
    grading.join(timeout=300)
    (report,) = reports
    assert ("bo", a1) in report.graded and not report.failed, report.problems
    assert dict(grade_table(course))["bo"][a1][0] == 19.0
    # the dead worker's kernel did not outlive it (bubblewrap's --die-with-parent, or the uid's clean-up);
    # only this run's uids: other tests grade beside this one, each with uids of its own
    ours = {int(u) for u in re.findall(r"as uid (\d+)", text)}
    assert ours and _alive_as_sandbox_uid(ours) == []
