"""Which forbidden libraries a student's graded function uses, read from the submitted source.

The notebook's code cells are parsed with `ast` in the grader's own process: nothing the student
wrote is imported or run, so no code of theirs can hide, fake or crash the verdict.

The model, in short:
- The module scope is built from all cells in order; a later binding replaces an earlier one
  (inside `if`/`for`/`try`... blocks bindings are added instead, since a branch may not run).
  A name can stand for a dotted path ("scipy.special.softmax"), one of the student's functions or
  classes, or a computed value (the expression that made it, read when the name is used).
- Inside a function every local binding counts, whatever its order (flow-insensitive), and locals
  and parameters shadow module names.
- Starting from each graded function, every name and attribute chain it reads is resolved; student
  functions, classes and values it reaches are followed (each once, so cycles end), and each
  dotted path reached is compared with the forbidden objects and modules.
"""
import ast
import functools
import builtins
import re
import warnings

_BUILTINS = frozenset(dir(builtins))
_OPAQUE = ("opaque",)           # a value we know nothing about (a parameter, an exception...): it shadows
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_TRY = (ast.Try, getattr(ast, "TryStar", ast.Try))


def library_use(cells, func_names, objects=(), modules=()):
    """Forbidden things that the student's functions `func_names` use, resolved from the source.

    cells: the notebook's code cells in order (IPython magics are tolerated; a cell that does not
    parse is skipped). func_names: the graded functions (the last top-level binding counts).
    objects: forbidden dotted names, e.g. ("scipy.special.softmax",); modules: forbidden module
    prefixes, e.g. ("autograd", "torch"). Returns the sorted forbidden names found (for a module,
    its top-level name), [] when none.
    """
    reader = _Reader(_names(objects), _names(modules))
    _read(reader, cells, func_names)
    return sorted(reader.found)


def dynamic_code(cells, func_names):
    """Sorted dynamic constructs the functions (and the student's code they reach) use, which a
    static reading cannot resolve: "__import__", "importlib", "exec", "eval", "compile",
    "getattr with a computed name", "globals()/locals()/vars()", "sys.modules". For a report note."""
    reader = _Reader((), ())
    _read(reader, cells, func_names)
    return sorted(reader.dynamic)


def _read(reader, cells, func_names):
    try:
        with warnings.catch_warnings():         # e.g. SyntaxWarning for "\d" in the student's strings
            warnings.simplefilter("ignore")
            reader.read(_trees(cells), _names(func_names))
    except TooComplex:  # the caller must not take "nothing found" for an answer
        raise
    except Exception:   # absurdly deep code (RecursionError) or a bug here: keep what was found, never raise
        pass


def _names(x):
    if isinstance(x, str):
        return (x,)
    try:
        return tuple(n for n in x if isinstance(n, str) and n)
    except TypeError:
        return ()


def _trees(cells):
    """The parsed cells that parse, in order."""
    if isinstance(cells, (str, bytes)):
        cells = [cells]
    try:
        cells = list(cells)
    except TypeError:
        return []
    trees = []
    for cell in cells:
        if isinstance(cell, bytes):
            cell = cell.decode("utf-8", "replace")
        elif isinstance(cell, (list, tuple)) and all(isinstance(s, str) for s in cell):
            cell = "".join(cell)                # the .ipynb form: a cell's source as a list of lines
        if not isinstance(cell, str):
            continue
        for text in (cell, _strip_magics(cell)):     # magics only when the cell does not parse as is
            try:
                trees.append(ast.parse(text))
                break
            except Exception:
                continue
    return trees


_ASSIGN_MAGIC = re.compile(r"^(\s*[\w.\[\], ]+=\s*)[%!]")     # files = !ls   t = %timeit f()
_HELP = re.compile(r"^\s*(\?{1,2}[\w.]+|[\w.]+\?{1,2})\s*$")     # np.exp?  ?np.exp  (not "x = 1  # ok?")


def _strip_magics(src):
    """IPython lines (%magic, !shell, obj?) replaced by `pass`, so the Python around them parses."""
    lines = src.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        lines = lines[1:]   # a cell magic: the rest is Python (%%time) or will not parse (%%bash)
    out = []
    for line in lines:
        s = line.lstrip()
        if s.startswith(("%", "!")) or _HELP.match(line):
            out.append(line[: len(line) - len(s)] + "pass")
        else:
            m = _ASSIGN_MAGIC.match(line)
            out.append(m.group(1) + "None" if m else line)
    return "\n".join(out)


def _literal(node):
    """The text of a string literal, also of "soft" + "max" and of f-strings without fields; else None."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr):
        parts = [_literal(v) for v in node.values]
        return None if None in parts else "".join(parts)
    return None


def _code_in(call):
    """The code in exec("..."), eval("...") or get_ipython().run_cell("...") with a literal, parsed;
    else None. A literal string of code is read like any other code."""
    if not isinstance(call, ast.Call) or not call.args:
        return None
    f = call.func
    name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
    if name not in ("exec", "eval", "run_cell"):
        return None
    try:
        text = _literal(call.args[0])
        return ast.parse(text, mode="eval" if name == "eval" else "exec") if text else None
    except Exception:
        return None


def _stores(target):
    """The names an assignment target binds (not `a` in `a[0] = ...`)."""
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]


def _walrus(stmt):
    """The `:=` in a statement's own expressions (nested statements are bound on their own)."""
    stack = [c for c in ast.iter_child_nodes(stmt) if isinstance(c, ast.expr)]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.NamedExpr):
            yield node
        if not isinstance(node, ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


def _dynamic_label(path):
    if path in ("builtins.__import__", "builtins.exec", "builtins.eval", "builtins.compile"):
        return path[len("builtins."):]
    if path in ("builtins.globals", "builtins.locals", "builtins.vars"):
        return "globals()/locals()/vars()"
    for prefix in ("importlib", "sys.modules"):
        if path == prefix or path.startswith(prefix + "."):
            return prefix
    return None


#: Resolutions one reading may make. Ordinary notebooks need a few thousand; code built to make the
#: reader work without end (aliases of aliases in branches) is reported as too complex to read.
MAX_STEPS = 200_000


class TooComplex(Exception):
    """The source is too convoluted to read within MAX_STEPS."""


def _unique(targets):
    seen, out = set(), []
    for t in targets:
        key = (t[0], t[1] if isinstance(t[1], str) else id(t[1]), id(t[2]) if len(t) > 2 else None)
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out


class _Reader:
    """Scopes map a name to a list of candidates: ("path", dotted), ("def"|"class", node, chain),
    ("value", expression, chain) or _OPAQUE. A chain is a tuple of scopes, innermost first, the
    module scope last (which also keeps the star-imported modules under "*")."""

    def __init__(self, objects, modules):
        self.objects, self.modules = objects, modules
        self.found, self.dynamic = set(), set()
        self.seen = set()           # ids of functions, classes and values already queued
        self.todo = []              # (kind, node, chain) to walk: a worklist, so long helper chains
                                    # cost no recursion depth
        self.resolving = set()      # ids of aliases being resolved now (a = b; b = a)
        self.memo = {}              # (alias, scope chain) -> what it resolved to
        self.steps = 0              # resolutions so far (see MAX_STEPS)

    def read(self, trees, func_names):
        module = {}
        for tree in trees:
            # a value is read in the module as it was then (a snapshot); a def's body at call time (the end)
            self._bind(tree.body, module, lambda: (dict(module),), (module,), replace=True)
        for name in func_names:
            for t in self._resolve(ast.Name(id=name, ctx=ast.Load()), (module,)):
                self._follow(t)
        while self.todo:
            kind, node, chain = self.todo.pop()
            {"def": self._function, "class": self._class, "value": self._use}[kind](node, chain)

    # -- what names are bound to --------------------------------------------------------------

    def _bind(self, stmts, scope, values, defs, replace):
        """Record in `scope` what the names that `stmts` bind stand for. values(): the chain a bound
        expression is read in; defs: the chain a function defined here runs in. replace: statements
        run in order (module top level); else every binding is added to the name's candidates."""
        def put(name, cand, keep=not replace):
            scope[name] = (scope.get(name, []) if keep else []) + [cand]   # new lists: snapshots stay put

        for st in stmts:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
                put(st.name, ("def", st, defs))
                if len(defs) == 1 and defs[0] is scope:
                    self._globals(st, scope)
            elif isinstance(st, ast.ClassDef):
                put(st.name, ("class", st, defs))
            elif isinstance(st, ast.Import):
                for a in st.names:          # import a.b binds a; import a.b as x binds x to a.b
                    top = a.name.split(".")[0]
                    put(a.asname or top, ("path", a.name if a.asname else top))
            elif isinstance(st, ast.ImportFrom):
                for a in st.names:
                    if st.level or not st.module:           # a relative import: not a library
                        if a.name != "*":
                            put(a.asname or a.name, _OPAQUE)
                    elif a.name == "*":
                        self._star(scope, st.module)
                    else:
                        put(a.asname or a.name, ("path", f"{st.module}.{a.name}"))
            elif isinstance(st, ast.Assign):
                for target in st.targets:
                    self._assign(target, st.value, put, values, defs)
            elif isinstance(st, ast.AnnAssign) and st.value is not None:
                self._assign(st.target, st.value, put, values, defs)
            elif isinstance(st, ast.AugAssign):     # x += v: x now derives from its old value and v
                self._assign(st.target, st.value, lambda n, c, keep=True: put(n, c, True), values, defs)
            elif isinstance(st, (ast.For, ast.AsyncFor)):
                for n in _stores(st.target):
                    put(n, ("value", st.iter, values()), True)
                self._bind(st.body + st.orelse, scope, values, defs, False)
            elif isinstance(st, (ast.With, ast.AsyncWith)):
                for item in st.items:
                    for n in _stores(item.optional_vars) if item.optional_vars else ():
                        put(n, ("value", item.context_expr, values()))
                self._bind(st.body, scope, values, defs, replace)
            elif isinstance(st, (ast.If, ast.While)):
                self._bind(st.body + st.orelse, scope, values, defs, False)
            elif isinstance(st, _TRY):
                for h in st.handlers:
                    if h.name:
                        put(h.name, _OPAQUE, True)
                self._bind(st.body + [s for h in st.handlers for s in h.body] + st.orelse,
                           scope, values, defs, False)
                self._bind(st.finalbody, scope, values, defs, replace)
            elif isinstance(st, ast.Match):
                for case in st.cases:
                    for n in ast.walk(case.pattern):    # capture names of MatchAs / MatchStar / MatchMapping
                        name = getattr(n, "name", None) or getattr(n, "rest", None)
                        if isinstance(name, str):
                            put(name, _OPAQUE, True)
                    self._bind(case.body, scope, values, defs, False)
            elif isinstance(st, ast.Expr) and isinstance(code := _code_in(st.value), ast.Module):
                self._bind(code.body, scope, values, defs, replace)
            for w in _walrus(st):
                if isinstance(w.target, ast.Name):
                    put(w.target.id, ("value", w.value, values()), True)

    def _assign(self, target, value, put, values, defs):
        if isinstance(target, ast.Name):
            put(target.id, ("def", value, defs) if isinstance(value, ast.Lambda) else ("value", value, values()))
        elif (isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List))
              and len(target.elts) == len(value.elts)
              and not any(isinstance(e, ast.Starred) for e in target.elts + value.elts)):
            for t, v in zip(target.elts, value.elts):       # a, b = f, g
                self._assign(t, v, put, values, defs)
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            base = target                   # table["f"] = softmax: the container now holds it
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            if isinstance(base, ast.Name):
                put(base.id, ("value", value, values()), True)
        else:                               # a, *b = something: each name holds part of it
            for n in _stores(target):
                put(n, ("value", value, values()))

    def _globals(self, fn, module):
        """What a top-level function binds to names it declares `global` (def setup(): global sm; ...)."""
        names = {n for node in fn.body for n in getattr(node, "names", ()) if isinstance(node, ast.Global)}
        if names:
            local = {}
            inner = (local,) + (module,)
            self._bind(fn.body, local, lambda: inner, inner, replace=False)
            for n in names & local.keys():          # added: the function may never be called
                module[n] = module.get(n, []) + local[n]

    def _star(self, scope, module):
        # `from m import *` may replace any name bound so far, and supplies names never bound
        for name in list(scope):
            if name != "*":
                scope[name] = scope[name] + [("path", f"{module}.{name}")]
        scope["*"] = scope.get("*", []) + [module]

    # -- what expressions stand for -------------------------------------------------------------

    def _lookup(self, name, chain):
        for scope in chain:
            if name in scope:
                return scope[name]
        if name in _BUILTINS:
            return [("path", "builtins." + name)]
        return [("path", f"{m}.{name}") for m in chain[-1].get("*", ())]   # unbound: a star import's, or nothing

    def _resolve(self, node, chain):
        """What an expression can stand for: a list of ("path", dotted), ("def"|"class", node, chain),
        or ("value", node, chain) for a computed value (walked when followed)."""
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TooComplex
        if isinstance(node, ast.Name):
            out = []
            for c in self._lookup(node.id, chain):
                if c[0] == "value" and id(c[1]) not in self.resolving:    # an alias: what it was bound to
                    key = (id(c[1]), id(c[2]))
                    if key not in self.memo:          # each alias once: a = b; a = b; c = a ... stays linear
                        self.resolving.add(id(c[1]))
                        try:
                            self.memo[key] = self._resolve(c[1], c[2])
                        finally:
                            self.resolving.discard(id(c[1]))
                    out += self.memo[key]
                elif c[0] in ("path", "def", "class"):
                    out.append(c)
            return self._noted(_unique(out))
        if isinstance(node, ast.Attribute):     # a.b.c: resolve a, then add .b.c (a loop: chains can be long)
            attrs = []
            while isinstance(node, ast.Attribute):
                attrs.append(node.attr)
                node = node.value
            suffix = "." + ".".join(reversed(attrs))
            # an attribute of the student's own function, class or value: follow that
            return self._noted([("path", t[1] + suffix) if t[0] == "path" else t
                                for t in self._resolve(node, chain)])
        if isinstance(node, ast.Lambda):
            return [("def", node, chain)]
        special = self._special(node, chain)
        return [("value", node, chain)] if special is None else special

    def _noted(self, targets):
        for t in targets:
            label = _dynamic_label(t[1]) if t[0] == "path" else None
            if label:
                self.dynamic.add(label)
        return targets

    def _strings(self, node, chain, depth=0):
        """The strings an expression can be (a literal, or a name bound only to literals), else None."""
        try:
            text = _literal(node)
        except RecursionError:          # "a" + "b" + ... ten thousand times
            return None
        if text is not None:
            return {text}
        if not isinstance(node, ast.Name) or depth > 5:
            return None
        out = set()
        for c in self._lookup(node.id, chain):
            s = self._strings(c[1], c[2], depth + 1) if c[0] == "value" else None
            if s is None:
                return None
            out |= s
        return out or None

    def _special(self, node, chain):
        """getattr(x, "name"), __import__("m"), importlib.import_module("m"), sys.modules["m"] and
        x.__dict__["name"] stand for what they name; None for any other expression."""
        if isinstance(node, ast.Subscript):
            keys = self._strings(node.slice, chain)
            if not keys:
                return None
            out = []
            for t in self._resolve(node.value, chain):
                if t[0] == "path" and t[1] == "sys.modules":
                    out += [("path", k) for k in keys]
                elif t[0] == "path" and t[1].endswith(".__dict__"):
                    out += [("path", f"{t[1][:-len('.__dict__')]}.{k}") for k in keys]
            return out or None
        # getattr & co. are called by name: not resolving f() in f()() keeps long call chains linear
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.func, (ast.Name, ast.Attribute))):
            return None
        funcs = {t[1] for t in self._resolve(node.func, chain) if t[0] == "path"}
        if "builtins.getattr" in funcs and len(node.args) >= 2:
            names = self._strings(node.args[1], chain)
            if names is None:
                self.dynamic.add("getattr with a computed name")
                return None
            return [("path", f"{t[1]}.{n}") if t[0] == "path" else t
                    for t in self._resolve(node.args[0], chain) for n in names]
        modules = self._strings(node.args[0], chain)
        if not modules:
            return None
        if "builtins.__import__" in funcs:      # the top package, or with a fromlist the module itself
            return [("path", p) for m in modules for p in {m, m.split(".")[0]}]
        if "importlib.import_module" in funcs:
            return [("path", m) for m in modules]
        return None

    # -- walking the code a graded function runs ------------------------------------------------

    def _follow(self, t):
        if t[0] == "path":
            self._match(t[1])
        elif id(t[1]) not in self.seen:     # each function, class and value is walked once: cycles end
            self.seen.add(id(t[1]))
            self.todo.append(t)

    def _match(self, path):
        for o in self.objects:
            top, _, rest = o.partition(".")
            # also a private re-export, e.g. scipy.special._basic.softmax for scipy.special.softmax
            if path == o or path.startswith(o + ".") or (
                    rest and path.startswith(top + ".") and path.rsplit(".", 1)[1] == o.rsplit(".", 1)[1]):
                self.found.add(o)
        for m in self.modules:
            if path == m or path.startswith(m + "."):
                self.found.add(m.split(".")[0])

    def _use(self, node, chain):
        """Everything `node` reads, followed. A stack, not recursion: padding the code with a
        huge expression must not make the reader give up."""
        stack = [(node, chain)]
        while stack:
            node, chain = stack.pop()
            if isinstance(node, _FUNCS):        # a nested def or lambda: its body counts too
                self._follow(("def", node, chain))
                continue
            if isinstance(node, ast.ClassDef):
                self._follow(("class", node, chain))
                continue
            if isinstance(node, _COMPS):
                stack += self._comprehension(node, chain)
                continue
            try:
                if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
                    for t in self._resolve(node, chain):
                        self._follow(t)
                    continue
                if isinstance(node, (ast.Call, ast.Subscript)):
                    for t in self._special(node, chain) or ():
                        self._follow(t)
                    code = _code_in(node)
                    if code is not None:        # its bindings are local to where it runs
                        if isinstance(code, ast.Module):
                            self._bind(code.body, chain[0], lambda c=chain: c, chain, replace=False)
                        stack.append((code, chain))
            except RecursionError:      # an absurdly long chain a.b.c...: walk its parts instead
                pass
            # strings, comments and docstrings are never names
            stack.extend((child, chain) for child in ast.iter_child_nodes(node))

    def _function(self, fn, chain):
        a = fn.args
        for expr in [*getattr(fn, "decorator_list", ()), *a.defaults, *filter(None, a.kw_defaults)]:
            self._use(expr, chain)          # decorators and defaults run where the function is defined
        local = {p.arg: [_OPAQUE] for p in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if p}
        inner = (local,) + chain
        body = fn.body if isinstance(fn.body, list) else [fn.body]
        self._bind([s for s in body if isinstance(s, ast.stmt)], local, lambda: inner, inner, replace=False)
        for node in body:
            self._use(node, inner)

    def _class(self, cls, chain):
        for expr in [*cls.decorator_list, *cls.bases, *(k.value for k in cls.keywords)]:
            self._use(expr, chain)
        local = {}
        inner = (local,) + chain
        self._bind(cls.body, local, lambda: inner, chain, replace=False)
        for st in cls.body:     # all methods count (best effort); they do not see the class scope
            self._use(st, chain if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)) else inner)

    def _comprehension(self, comp, chain):
        """The parts of a comprehension to walk, with the chain each is read in."""
        local = {}
        inner = (local,) + chain
        parts = []
        for i, gen in enumerate(comp.generators):   # the first iterable is read outside, the rest inside
            for n in _stores(gen.target):
                local.setdefault(n, []).append(("value", gen.iter, chain if i == 0 else inner))
            parts += [(gen.iter, chain if i == 0 else inner)] + [(cond, inner) for cond in gen.ifs]
        ends = (comp.key, comp.value) if isinstance(comp, ast.DictComp) else (comp.elt,)
        return parts + [(e, inner) for e in ends]


# ---- run-time rewriting, anywhere in the notebook --------------------------------------------------

#: IPython's hooks that rewrite or run code behind the cells' backs.
_IPYTHON_HOOKS = {"input_transformers_post", "input_transformers_cleanup", "ast_transformers", "events",
                  "run_cell", "run_cell_async", "user_ns", "user_global_ns", "push", "set_custom_exc",
                  "register_magic_function", "display_formatter", "displayhook", "set_hook", "magics_manager",
                  "run_code", "run_ast_nodes", "ex", "ev", "extension_manager", "configurables"}
_NAMESPACES = {"globals", "vars", "locals"}
#: Ways to reach an object from a string, which a reading of the names in the code cannot follow.
_BY_NAME = {"__getattribute__", "__getattr__", "attrgetter", "methodcaller", "resolve_name", "import_module",
            "find_spec", "find_module", "load_module", "exec_module", "spec_from_file_location"}
#: Attributes that reach into running code, frames, namespaces or the class machinery.
_INTERNALS = {"__setattr__", "__delattr__", "__globals__", "__code__", "__closure__", "__builtins__",
              "__subclasses__", "__bases__", "__mro__", "__defaults__", "__kwdefaults__", "f_back", "f_globals",
              "f_locals", "f_builtins", "f_code", "tb_frame", "gi_frame", "cr_frame", "ag_frame", "__loader__",
              "__spec__"}
#: sys's attributes that rewrite how code is imported, traced or shown.
_SYS = {"modules", "_getframe", "settrace", "setprofile", "addaudithook", "meta_path", "path_hooks",
        "path_importer_cache", "displayhook", "excepthook", "_current_frames", "monitoring"}
#: Modules a course notebook has no use for, each a way to reach or rewrite running code.
_MACHINERY = {"ctypes", "builtins", "pkgutil", "runpy", "marshal", "dill", "cloudpickle", "copyreg", "ipykernel",
              "traitlets", "zmq", "jupyter_client", "grader", "_thread", "site", "code", "codeop"}
#: What of otherwise ordinary modules reaches running code or runs code from data.
_MACHINERY_ATTRS = {"get_objects", "get_referrers", "get_referents", "currentframe", "stack", "getouterframes",
                    "getinnerframes", "trace", "getframeinfo", "getclosurevars", "loads", "load", "Unpickler",
                    "FunctionType", "CodeType", "ModuleType", "CellType", "LambdaType", "MethodType"}
_MACHINERY_MODULES = {"gc", "inspect", "pickle", "types", "importlib"}
#: IPython magics that only show or run things outside the kernel's namespace; any other is reported.
_SAFE_LINE_MAGICS = {"matplotlib", "pinfo", "pinfo2", "psearch", "who", "whos", "who_ls", "pwd", "ls", "env",
                     "precision", "pprint", "lsmagic", "magic", "quickref", "history", "page", "pdoc", "pdef",
                     "psource", "pfile", "load_ext", "autoreload", "aimport", "xmode", "reset", "store", "pip",
                     "conda", "cd", "mkdir", "cat", "less", "reload_ext"}
_SAFE_CELL_MAGICS = {"bash", "sh", "html", "HTML", "javascript", "js", "latex", "markdown", "svg", "writefile"}
_CODE_LINE_MAGICS = {"time", "timeit", "prun"}           # their argument is Python that runs in the kernel
_CODE_CELL_MAGICS = {"time", "timeit", "prun", "capture"}


def _literal_str(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def tampering(cells):
    """Where the notebook rewrites code, names or the grader's recording at run time, as
    "cell N, line L: what" strings ([] for none).

    A hidden cell records, in the student's kernel, what the student's functions return; the
    recording can only be trusted if nothing in the notebook reaches it. Reported: the grader's
    recorder (dlcourse.record) named at all; a store, deletion or setattr on anything reached
    from an imported module (NumPy's functions, the recorder's, through any alias); a module
    passed to a function; sys.modules and sys's import and trace hooks; frames, namespaces and
    the class machinery (globals(), __dict__, f_back, __subclasses__...); gc, inspect, ctypes,
    importlib, builtins and the like; exec/eval/compile/__import__ and lookups by computed name;
    IPython's hooks and any magic that is not known to leave the kernel alone (the code of
    %time/%timeit/%prun is read like any other); and importing a module that is neither
    installed nor in Python's standard library (a file the notebook wrote itself).
    Cells are read the way IPython runs them (its own input transformation).
    """
    trees = _numbered_trees(cells, ipython=True)
    paths = _module_names(t for _, t in trees)
    aliases = _module_aliases((t for _, t in trees), paths)
    written = _files_written(cells)
    found = []
    for k, tree in trees:
        for node, what in _tampers_in(tree, aliases, paths, written):
            found.append(f"cell {k}, line {getattr(node, 'lineno', '?')}: {what}")
    return sorted(set(found), key=lambda s: (int(s.split(",")[0][5:]), s))


def _files_written(cells):
    """Names of .py files the notebook's text mentions (%%writefile x.py, open("x.py", "w")...)."""
    text = "\n".join(c if isinstance(c, str) else "".join(c) if isinstance(c, (list, tuple)) else "" for c in cells)
    return set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\.py\b", text))


def _ipython_source(cell):
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(cell)
    except Exception:
        return cell


def _numbered_trees(cells, ipython=False):
    """(1-based position among the cells, parsed tree) for the cells that parse."""
    try:
        cells = list(cells) if not isinstance(cells, (str, bytes)) else [cells]
    except TypeError:
        return []
    out = []
    for k, cell in enumerate(cells, start=1):
        if ipython:
            if isinstance(cell, (list, tuple)) and all(isinstance(x, str) for x in cell):
                cell = "".join(cell)
            if not isinstance(cell, str):
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out.append((k, ast.parse(_ipython_source(cell))))
            except Exception:          # the kernel cannot run it either
                continue
        else:
            out += [(k, t) for t in _trees([cell])]
    return out


def _root(node):
    """The Name an attribute/subscript/call chain starts from, else None."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call, ast.Starred)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _chain_only(node):
    """Is this a bare name or attribute chain (a module or something in one, not a call's result)?"""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _holds(node, aliases):
    """Does an expression's value hold a module (or an object of one) as it is, not a call's result?"""
    if isinstance(node, (ast.Name, ast.Attribute)):
        return _chain_only(node) and _root(node) in aliases
    if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Starred)):
        return any(_holds(e, aliases) for e in (node.elts if not isinstance(node, ast.Starred) else [node.value]))
    if isinstance(node, ast.Dict):
        return any(_holds(v, aliases) for v in node.values if v is not None)
    if isinstance(node, ast.Subscript):
        return _holds(node.value, aliases)
    if isinstance(node, ast.IfExp):
        return _holds(node.body, aliases) or _holds(node.orelse, aliases)
    if isinstance(node, ast.BoolOp):
        return any(_holds(v, aliases) for v in node.values)
    if isinstance(node, ast.NamedExpr):
        return _holds(node.value, aliases)
    return False


#: The modules the recorder (dlcourse/record.py) calls into while it records.
_RECORDER_USES = {"numpy", "json", "copy", "warnings", "contextlib", "io", "os", "traceback"}


def _library_name(attr, paths):
    """The module the recorder uses, imported by the notebook (`paths`: name -> module) and already
    loaded in the grader, that has a function or class named `attr`; else None."""
    import sys

    for path in sorted(set(paths.values()) & _RECORDER_USES):
        module = sys.modules.get(path)
        if module is not None and not attr.startswith("_") and hasattr(module, attr) \
                and callable(getattr(module, attr, None)):
            return path
    return None


def _passes_on(expr, aliases):
    """Does an expression use an imported name as a value anywhere inside it (a call's argument, a
    lambda's body, a dict's value...)? Its result may then be that module: (lambda: np)(), d.get(k)."""
    bases = {id(n.value) for n in ast.walk(expr) if isinstance(n, ast.Attribute)}
    bases |= {id(n.func) for n in ast.walk(expr) if isinstance(n, ast.Call)}
    return any(isinstance(n, ast.Name) and n.id in aliases and id(n) not in bases for n in ast.walk(expr))


def _module_aliases(trees, modules=frozenset()):
    """Every name that may stand for an imported module or something taken from one: the names
    imports bind, and (to a fixed point, in any scope) names assigned from those as they are."""
    trees = list(trees)
    aliases = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                aliases |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                aliases |= {a.asname or a.name for a in node.names if a.name != "*"}
    while True:
        before = len(aliases)
        for tree in trees:
            for node in ast.walk(tree):
                pairs = []
                if isinstance(node, ast.Assign):
                    pairs = [(t, node.value) for t in node.targets]
                elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and node.value is not None:
                    pairs = [(node.target, node.value)]
                elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                    pairs = [(node.target, node.iter)]
                elif isinstance(node, (ast.With, ast.AsyncWith)):
                    pairs = [(i.optional_vars, i.context_expr) for i in node.items if i.optional_vars is not None]
                for target, value in pairs:
                    if _holds(value, aliases) or _passes_on(value, modules):
                        aliases |= set(_stores(target)) | ({target.id} if isinstance(target, ast.Name) else set())
        if len(aliases) == before:
            return aliases


_INSTALLED = None


def _installed(top):
    global _INSTALLED
    if _INSTALLED is None:
        import importlib.metadata
        import sys

        try:
            names = set(importlib.metadata.packages_distributions())
        except Exception:
            names = set()
        _INSTALLED = names | set(sys.stdlib_module_names) | set(sys.builtin_module_names) | {"__future__"}
    return top in _INSTALLED


def _magic_code(call):
    """The Python a magic call runs in the kernel's namespace, parsed, or None; and its name."""
    name = _literal_str(call.args[0]) if call.args else None
    texts = [_literal_str(a) for a in call.args[1:]]
    if None in texts or name is None:
        return name, None
    kind = call.func.attr
    if kind == "run_line_magic" and name in _CODE_LINE_MAGICS:
        words = texts[0].split()
        for i in range(len(words) + 1):          # skip the options (-n 1 -r 3 -o ...) until it parses
            try:
                return name, ast.parse(" ".join(words[i:]))
            except SyntaxError:
                continue
        return name, None
    if kind == "run_cell_magic" and name in _CODE_CELL_MAGICS:
        line, body = texts[0], texts[1]
        for code in ([line + "\n" + body] if name == "timeit" else []) + [body]:
            try:
                return name, ast.parse(_ipython_source(code))
            except SyntaxError:
                continue
        return name, None
    return name, "safe"


def _tampers_in(tree, aliases, paths, written):
    """aliases: names that may stand for a module or something in one; paths: names bound to a
    module -> its dotted path; written: module names the notebook writes a .py file for."""
    """(node, what) for every way `tree` reaches the recording or rewrites running code."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("run_line_magic", "run_cell_magic") \
                and isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Name) \
                and node.func.value.func.id == "get_ipython":
            name, code = _magic_code(node)
            safe = _SAFE_LINE_MAGICS if node.func.attr == "run_line_magic" else _SAFE_CELL_MAGICS
            if name == "config" and (_literal_str(node.args[1]) or "").strip().startswith("InlineBackend."):
                continue                        # how figures are drawn, nothing else
            if isinstance(code, ast.AST):
                yield from ((node, w) for _, w in _tampers_in(code, aliases, paths, written))
            elif code is None and name in (_CODE_LINE_MAGICS | _CODE_CELL_MAGICS):
                yield node, f"uses %{name} with code the grader cannot read"
            elif name not in safe:
                yield node, f"uses the IPython magic %{name}"
            continue
        what = _tampers(node, aliases, paths, written)
        if what:
            yield node, what


def _tampers(node, aliases, paths, written):
    if isinstance(node, ast.Attribute) and node.attr in _IPYTHON_HOOKS:
        return f"uses IPython's {node.attr}"
    if isinstance(node, ast.Attribute) and node.attr in _BY_NAME:
        return f"looks things up by name ({node.attr})"
    if isinstance(node, ast.Attribute) and node.attr in _INTERNALS:
        return f"reaches into running code ({node.attr})"
    if isinstance(node, ast.Attribute) and node.attr == "record" and (
            _root(node) in aliases and _chain_only(node) or isinstance(node.ctx, (ast.Store, ast.Del))):
        return "uses the grader's recorder (dlcourse.record)"
    if isinstance(node, ast.Attribute) and node.attr == "modules" and _root(node) not in ("self", "cls"):
        return "uses a modules table (sys.modules?)"
    if isinstance(node, ast.Attribute) and node.attr.startswith("__") and node.attr.endswith("__") \
            and isinstance(node.ctx, (ast.Store, ast.Del)):
        return f"changes {node.attr}, a special attribute"
    if isinstance(node, ast.Attribute) and node.attr in _MACHINERY_ATTRS and (
            _root(node) in _MACHINERY_MODULES or paths.get(_root(node), "").split(".")[0] in _MACHINERY_MODULES):
        return f"uses {_root(node)}.{node.attr}"
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        subs = [] if isinstance(node, ast.Import) else [f"{node.module}.{a.name}" for a in node.names]
        for full in mods + subs:
            if full == "dlcourse.record" or full.startswith("dlcourse.record."):
                return "uses the grader's recorder (dlcourse.record)"
        for full in mods:
            top = full.split(".")[0]
            if isinstance(node, ast.ImportFrom) and node.level:
                return "imports from a relative package"
            if top in _MACHINERY:
                return f"imports {top}"
            if top and not _installed(top) and top in written:
                return f"imports {top}, a module the notebook wrote itself"
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in {"sys", "operator", "IPython"} \
                | _MACHINERY_MODULES:
            bad = [a.name for a in node.names if a.name in _SYS | _BY_NAME | _MACHINERY_ATTRS | {"get_ipython", "*"}]
            if bad:
                return f"imports {', '.join(bad)}"
        return ""
    if isinstance(node, ast.Name) and node.id in _MACHINERY | {"__builtins__", "__loader__", "__spec__"} \
            and node.id not in aliases:
        return f"uses {node.id}"
    if isinstance(node, ast.Attribute) and node.attr in _SYS and (_root(node) == "sys" or paths.get(_root(node)) == "sys"):
        return f"uses sys.{node.attr}"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "setattr",
                                                                                           "delattr") \
            and len(node.args) >= 2 and _literal_str(node.args[1]) is None \
            and (node.func.id != "getattr" or _root(node.args[0]) in paths) and _root(node.args[0]) not in ("self", "cls"):
        return f"uses {node.func.id} with a computed name"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr") \
            and len(node.args) >= 2 and (_literal_str(node.args[1]) or "").startswith("__"):
        return f"changes {_literal_str(node.args[1])}, a special attribute"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr") \
            and len(node.args) >= 2 and _literal_str(node.args[1]) == "record":
        return "uses the grader's recorder (dlcourse.record)"
    if isinstance(node, ast.Call):
        for arg in list(node.args) + [k.value for k in node.keywords]:
            if isinstance(arg, ast.Name) and arg.id in ("setattr", "delattr", "exec", "eval", "getattr"):
                return f"passes {arg.id} to a function"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name in _NAMESPACES and not (name == "vars" and node.args):
            return f"uses {name}()"
        if name in ("exec", "eval", "compile", "__import__", "breakpoint"):
            return f"uses {name}()"
        if name in ("setattr", "delattr") and node.args and (
                _root(node.args[0]) in aliases or any(isinstance(n, ast.Name) and n.id in aliases
                                                      for n in ast.walk(node.args[0]))):
            return f"changes {ast.unparse(node.args[0])} with {name}"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr not in (
            "run_line_magic", "run_cell_magic", "system", "getoutput") and _root(node.func) == "get_ipython":
        return f"uses IPython's {node.func.attr}"
    targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else \
        [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
    for t in targets:
        for sub in ast.walk(t):
            if isinstance(sub, ast.Attribute) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                root = _root(sub)
                if _settings(sub):
                    continue
                if root in aliases or root is None and any(isinstance(n, ast.Name) and n.id in aliases
                                                           for n in ast.walk(sub.value)):
                    return f"changes {ast.unparse(sub)}, which belongs to an imported module"
                owner = _library_name(sub.attr, paths) if root not in ("self", "cls") else None
                if owner:           # a parameter or a value the reader cannot follow, given a library's name
                    return f"changes {ast.unparse(sub)}, a name of {owner} (a module passed in?)"
                inner = [n for n in ast.walk(sub.value) if isinstance(n, (ast.Call, ast.Attribute))]
                own_type = isinstance(sub.value, ast.Call) and isinstance(sub.value.func, ast.Name) \
                    and sub.value.func.id == "type" and sub.value.args and _root(sub.value.args[0]) in ("self", "cls")
                if not own_type and (any(isinstance(n, ast.Call) for n in inner) or any(
                        isinstance(n, ast.Attribute) and n.attr in aliases for n in inner)):
                    return f"changes {ast.unparse(sub)}, an attribute of something the grader cannot follow"
            if isinstance(sub, ast.Subscript) and isinstance(sub.ctx, (ast.Store, ast.Del)) \
                    and _root(sub) in aliases and _chain_only(sub.value) \
                    and not ast.unparse(sub.value).endswith(("rcParams", "environ")):
                return f"changes {ast.unparse(sub.value)}, which belongs to an imported module"
            if isinstance(sub, ast.Subscript) and isinstance(sub.ctx, (ast.Store, ast.Del)) and (
                    isinstance(sub.value, ast.Attribute) and sub.value.attr == "__dict__"
                    or isinstance(sub.value, ast.Call) and isinstance(sub.value.func, ast.Name)
                    and sub.value.func.id in _NAMESPACES):
                return f"changes {ast.unparse(sub.value)}, a namespace"
    return ""


#: A library's settings object: writing there is ordinary use (pd.options.display.max_rows = 5).
_SETTINGS = {"options", "rcParams"}


def _settings(target):
    """Is this store one into a library's settings (an attribute chain through `options`...)?"""
    node, inner = target.value, []
    while isinstance(node, ast.Attribute):
        inner.append(node.attr)
        node = node.value
    return isinstance(node, ast.Name) and node.id != "dlcourse" and bool(_SETTINGS & set(inner))


@functools.lru_cache(maxsize=4096)
def _is_module(path):
    """Is the dotted path a module (or package) in the grader's environment? Found on the file
    system, without importing anything (an import runs a package's code, and costs time)."""
    from importlib.machinery import PathFinder
    from importlib.util import find_spec

    parts = path.split(".")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spec = find_spec(parts[0])          # a top-level name: looked up, not imported
            for i in range(1, len(parts)):
                if spec is None or not spec.submodule_search_locations:
                    return False
                spec = PathFinder.find_spec(".".join(parts[:i + 1]), list(spec.submodule_search_locations))
    except Exception:
        return False
    return spec is not None


def _dotted(node, paths):
    """The dotted module path an attribute chain names, when its root is a known module, else None."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in paths:
        return None
    return ".".join([paths[node.id]] + attrs[::-1])


def _module_names(trees):
    """{name: dotted module path} for the names that stand for a module: bound by `import`, by `from
    package import submodule`, or assigned a module as it is (m = np, la = np.linalg), to a fixed point."""
    trees = list(trees)
    paths = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    paths[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name != "*" and _is_module(f"{node.module}.{a.name}"):
                        paths[a.asname or a.name] = f"{node.module}.{a.name}"
    while True:
        before = len(paths)
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                    path = _dotted(node.value, paths)
                    if path and (path in paths.values() or _is_module(path)):
                        for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                            if isinstance(t, ast.Name):
                                paths[t.id] = path
        if len(paths) == before:
            return paths
