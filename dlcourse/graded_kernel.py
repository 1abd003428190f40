"""How a notebook's kernel starts while the notebook is graded: a guard first, then IPython's kernel.

The grader reads a notebook's code before it runs (what it calls and what it changes). Code that
reading never sees must not run either: a module the notebook writes to a file and imports, a
.pth, startup or config file it leaves in its home for the next kernel, a zip put on sys.path.
So, before anything else, this installs an audit hook (PEP 578; Python code cannot remove one) that

- refuses to read code (Python's `io.open_code`, which every import of source or bytecode, runpy
  and IPython's %run use) from a file outside the folders that held code when the kernel started;
- refuses an import that would find the module in a sys.path folder that was not there and
  read-only when the kernel started (this also covers compiled extensions, which are loaded
  without `open_code`), or that would read it from a zip archive added to sys.path.

What was installed (read-only for the kernel) imports as always; nothing else changes. Run as
`python -s -m dlcourse.graded_kernel -f CONNECTION_FILE` (the grader does; -s: no user
site-packages, which lie in the kernel's writable home). Outside grading this module is never used.
"""
import os
import sys


def _trusted_entries():
    """The sys.path entries, as the kernel starts, that it cannot write to and does not own (folders,
    or zip archives of the standard library), by their real paths."""
    roots = []
    for entry in sys.path:
        path = os.path.realpath(entry or os.getcwd())
        try:
            if os.path.exists(path) and not os.access(path, os.W_OK) and os.stat(path).st_uid != os.getuid():
                roots.append(path)
        except OSError:
            continue
    return roots


def _install():
    from importlib.machinery import EXTENSION_SUFFIXES

    roots = tuple(p.rstrip(os.sep) + os.sep for p in _trusted_entries())
    known = set(sys.path) | {r.rstrip(os.sep) for r in roots}     # trusted as they are: a quick yes
    known = {k for k in known if k and (os.path.realpath(k) + os.sep).startswith(roots)}
    endings = (".py", ".pyc", ".pyw") + tuple(EXTENSION_SUFFIXES)
    code = endings + (".pth", ".zip", ".egg", ".whl")
    realpath, isdir, isfile, exists, join = (os.path.realpath, os.path.isdir, os.path.isfile, os.path.exists,
                                             os.path.join)
    from _thread import get_ident
    busy = set()            # threads inside the hook: its own file-system calls raise events too (per thread,
                            # or one thread's check would let another's import through meanwhile)

    def trusted(path):
        if path in known:
            return True
        real = realpath(path)
        if (real + os.sep).startswith(roots):
            if real == path:                # no link on the way: it stays where it is
                known.add(path)
            return True
        return False

    def found_in(folder, top):
        return isdir(join(folder, top)) or any(exists(join(folder, top + e)) for e in endings)

    def in_archive(path, top):
        import zipfile
        try:
            with zipfile.ZipFile(path) as z:
                return any(n == top or n.startswith((top + "/", top + ".")) for n in z.namelist())
        except Exception:
            return False

    def refuse(what):
        raise ImportError(f"{what}: while a notebook is graded, code is only read from where it was installed")

    def hook(event, args):
        me = get_ident()
        if me in busy or event not in ("open", "import"):
            return
        busy.add(me)
        try:
            if event == "open":
                # every read of a file by the name of code: io.open_code (imports, runpy, %run) gives the
                # same event as open(), so both are refused outside the installed folders
                path, mode = args[0], args[1]
                if isinstance(path, (str, bytes)) and isinstance(mode, str) and "r" in mode:
                    name = os.fsdecode(path)
                    if name.lower().endswith(code) and not trusted(name):
                        refuse(f"reading code from {name}")
                return
            module, search = args[0], args[2]
            if not isinstance(module, str):
                return
            top = module.split(".")[0]
            for entry in search if isinstance(search, list) else ():
                if not isinstance(entry, str):
                    continue
                folder = entry or os.getcwd()
                if trusted(folder):
                    continue
                if isfile(folder) and in_archive(folder, top):      # a zip archive put on sys.path
                    refuse(f"importing {module} from {folder}")
                if found_in(folder, top):
                    refuse(f"importing {module} from {folder}")
            if "." in module:                   # a submodule: found in its package's folders
                parent, _, last = module.rpartition(".")
                for folder in getattr(sys.modules.get(parent), "__path__", None) or ():
                    if isinstance(folder, str) and not trusted(folder) and found_in(folder, last):
                        refuse(f"importing {module} from {folder}")
        finally:
            busy.discard(me)

    sys.addaudithook(hook)


def guard():
    """Install the guard (once a process; it cannot be taken back)."""
    # the working folder (sys.path[0] under -m or -c) is the kernel's own and writable: not a place to
    # import from
    cwd = os.path.realpath(os.getcwd())
    sys.path[:] = [p for p in sys.path if p and os.path.realpath(p) != cwd]
    _install()


def main():
    guard()
    import runpy

    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
