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
import typing
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
    prefixes, e.g. ("autograd", "torch"), and "*.name" for that name in any installed module.
    Returns the sorted forbidden names found (the module prefix for a module), [] when none.
    """
    reader = _Reader(_names(objects), _names(modules))
    _read(reader, cells, func_names)
    # the most precise names: "dlcourse.gradcheck.check_gradient", not also "dlcourse.gradcheck"
    return sorted(f for f in reader.found if not any(g.startswith(f + ".") for g in reader.found))


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
    """The parsed cells that parse, in order, read as IPython runs them (see _cell_tree)."""
    if isinstance(cells, (str, bytes)):
        cells = [cells]
    try:
        cells = list(cells)
    except TypeError:
        return []
    trees = []
    for cell in cells:
        tree = _cell_tree(_cell_text(cell), fallback=True)
        if tree is not None:
            trees.append(tree)
    return trees


def _cell_text(cell):
    if isinstance(cell, bytes):
        return cell.decode("utf-8", "replace")
    if isinstance(cell, (list, tuple)) and all(isinstance(s, str) for s in cell):
        return "".join(cell)                # the .ipynb form: a cell's source as a list of lines
    return cell if isinstance(cell, str) else None


@functools.lru_cache(maxsize=2048)
def _cell_tree(cell, fallback=False):
    """A cell's code as the kernel runs it: IPython's own input transformation (magics, !shell,
    obj?, escaped calls like /f x or ,f a b), with the Python that code-running magics execute
    (%time, %timeit, %prun, %%capture...) put in before the statement that holds the magic, so
    that every reading sees it as code. None if it does not parse (the kernel cannot run it
    either); with fallback, the cell as is and with its magic lines blanked are tried next.
    Cached: the readers do not change the trees."""
    if not isinstance(cell, str):
        return None
    with warnings.catch_warnings():         # e.g. SyntaxWarning for "\d" in the student's strings
        warnings.simplefilter("ignore")
        for text in (_ipython_source(cell),) + ((cell, _strip_magics(cell)) if fallback else ()):
            try:
                return _expand_magics(ast.parse(text))
            except Exception:
                continue
    return None


def _is_magic_call(node):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr in ("run_line_magic", "run_cell_magic") \
        and isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Name) \
        and node.func.value.func.id == "get_ipython"


def _magic_calls(stmt):
    """The magic calls in a statement's own expressions (not in the statements nested in it)."""
    stack = [c for c in ast.iter_child_nodes(stmt) if isinstance(c, ast.expr)]
    while stack:
        node = stack.pop()
        if _is_magic_call(node):
            yield node
        stack.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, ast.stmt))


def _expand_magics(tree, depth=0):
    """tree, where each statement holding a code-running magic is preceded by that magic's code."""
    for node in list(ast.walk(tree)):
        for name in ("body", "orelse", "finalbody"):
            stmts = getattr(node, name, None)
            if not isinstance(stmts, list) or not any(isinstance(st, ast.stmt) for st in stmts):
                continue
            new = []
            for st in stmts:
                for call in _magic_calls(st):
                    _, code = _magic_code(call)
                    if isinstance(code, ast.Module) and depth < 5:
                        new += _expand_magics(code, depth + 1).body
                new.append(st)
            setattr(node, name, new)
    return tree


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
        # the names of forbidden things: an attribute by one of them, on a container or a call's
        # result, is looked for in every module that container or call mentions
        self.parts = {p for o in objects + modules for p in o.split(".") if p != "*"}
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
                if len(defs) == 1 and defs[0] is scope:
                    self._globals(st, scope)
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

    def _globals(self, top, module):
        """What functions bind to names they declare `global` (def setup(): global sm; ...): any
        function in the top-level def or class `top`, however deeply nested, and wherever in its
        body the declaration stands. Added to the module's names: the function may never be called."""
        for fn in ast.walk(top):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            names, stack = set(), list(fn.body)
            while stack:                        # its own statements, not those of functions in it
                node = stack.pop()
                if isinstance(node, ast.Global):
                    names |= set(node.names)
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                    stack.extend(ast.iter_child_nodes(node))
            if names:
                local = {}
                inner = (local,) + (module,)
                self._bind(fn.body, local, lambda inner=inner: inner, inner, replace=False)
                for n in names & local.keys():
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
            out = [("path", t[1] + suffix) if t[0] == "path" else t for t in self._resolve(node, chain)]
            if isinstance(node, (ast.Subscript, ast.Call)) and attrs[-1] in self.parts:
                # libs["special"].softmax, pick(sp).softmax: the module may be any the base mentions
                out += [("path", p + suffix) for p in self._mentioned(node, chain)]
            return self._noted(out)
        if isinstance(node, ast.Lambda):
            return [("def", node, chain)]
        special = self._special(node, chain)
        return [("value", node, chain)] if special is None else special

    def _mentioned(self, node, chain, depth=0):
        """The dotted paths that the names in an expression stand for, and those in the values
        (containers, calls) that its names are bound to, a few levels deep."""
        paths = set()
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                for t in self._resolve(n, chain):
                    if t[0] == "path":
                        paths.add(t[1])
                    elif t[0] == "value" and depth < 3 and t[1] is not node:
                        paths |= self._mentioned(t[1], t[2], depth + 1)
                    elif t[0] == "def" and depth < 3:       # what the student's function returns
                        fn = t[1]
                        outs = [fn.body] if isinstance(fn, ast.Lambda) else [
                            r.value for r in ast.walk(fn) if isinstance(r, (ast.Return, ast.Yield)) and r.value]
                        for out in outs:
                            paths |= self._mentioned(out, t[2], depth + 1)
            elif isinstance(n, ast.Attribute):
                paths |= {t[1] for t in self._resolve(n, chain) if t[0] == "path"}
        return paths

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
            out = [("path", f"{p}.{k}") for p in self._namespace_of(node.value, chain) for k in keys]
            for t in self._resolve(node.value, chain):
                if t[0] == "path" and t[1] == "sys.modules":
                    out += [("path", k) for k in keys]
            return out or None
        # getattr & co. are called by name: not resolving f() in f()() keeps long call chains linear
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.func, (ast.Name, ast.Attribute))):
            return None
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "__getitem__", "pop", "setdefault"):
            spaces = self._namespace_of(node.func.value, chain)      # vars(sp).get("softmax")
            names = self._strings(node.args[0], chain) if spaces else None
            if spaces and names is None:
                self.dynamic.add("a lookup by a computed name")
            if spaces and names:
                return [("path", f"{p}.{n}") for p in spaces for n in names]
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

    def _namespace_of(self, node, chain):
        """The dotted paths whose namespace `node` is: x.__dict__ and vars(x) (a module's names by key)."""
        if isinstance(node, ast.Attribute) and node.attr == "__dict__":
            return {t[1] for t in self._resolve(node.value, chain) if t[0] == "path"}
        if isinstance(node, ast.Call) and len(node.args) == 1 and isinstance(node.func, (ast.Name, ast.Attribute)) \
                and "builtins.vars" in {t[1] for t in self._resolve(node.func, chain) if t[0] == "path"}:
            return {t[1] for t in self._resolve(node.args[0], chain) if t[0] == "path"}
        return set()

    # -- walking the code a graded function runs ------------------------------------------------

    def _follow(self, t):
        if t[0] == "path":
            self._match(t[1])
        elif id(t[1]) not in self.seen:     # each function, class and value is walked once: cycles end
            self.seen.add(id(t[1]))
            self.todo.append(t)

    def _match(self, path):
        for o in self.objects:
            if o.startswith("*."):          # any library's object of that name: "*.softmax"
                owner, _, last = path.rpartition(".")
                if last == o[2:] and owner and _defines(owner, last):
                    self.found.add(path)
                continue
            top, _, rest = o.partition(".")
            # also a private re-export, e.g. scipy.special._basic.softmax for scipy.special.softmax
            if path == o or path.startswith(o + ".") or (
                    rest and path.startswith(top + ".") and path.rsplit(".", 1)[1] == o.rsplit(".", 1)[1]):
                self.found.add(o)
        for m in self.modules:
            if path == m or path.startswith(m + "."):
                self.found.add(m)

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
            "find_spec", "find_module", "load_module", "exec_module", "spec_from_file_location",
            "spec_from_loader", "module_from_spec", "create_module", "create_dynamic", "ExtensionFileLoader",
            "SourceFileLoader", "SourcelessFileLoader", "FileFinder", "zipimporter", "path_hooks"}
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
              "traitlets", "zmq", "jupyter_client", "grader", "_thread", "site", "code", "codeop", "_ctypes", "_imp",
              "zipimport", "_frozen_importlib", "_frozen_importlib_external", "cffi"}
#: Modules that run the notebook's code inside the kernel beside the recording, while the hidden tests
#: run: threads, signal handlers and timers, event-loop tasks, finalizers. Such code can change what a
#: hidden cell records (an attack review: a thread that swapped a library's results into a record)
#: without being reached from the graded functions. (A process the notebook starts cannot: it shares
#: none of the kernel's memory, and what it writes into a record pipe spoils the record.)
_CONCURRENT = {"threading", "_thread", "concurrent", "multiprocessing", "asyncio", "_signal", "weakref",
               "_weakref", "_weakrefset", "tornado", "socketserver", "trio", "anyio", "gevent", "eventlet"}
#: The handlers signal.signal may install without running the notebook's code (ignoring an interrupt is
#: the kernel's business: the grader deals with a cell that cannot be stopped).
_SIGNAL_SAFE = {"signal.SIG_IGN", "signal.SIG_DFL", "signal.default_int_handler"}
_CONCURRENT_ATTRS = {"backgroundjobs", "BackgroundJobManager"}
#: ctypes reached as another module's attribute (threadpoolctl.ctypes, an array's .ctypes...).
_NATIVE = {"ctypes", "_ctypes", "pythonapi", "cdll", "pydll", "CDLL", "PyDLL", "cffi"}
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
    seen = _Seen(aliases, _direct_aliases([t for _, t in trees], aliases), paths, _files_written(cells),
                 _escapes([t for _, t in trees], paths))
    found = []
    for k, tree in trees:
        for node, what in _tampers_in(tree, seen):
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
    """(1-based position among the cells, parsed tree) for the cells that parse (as IPython runs them;
    without `ipython`, also the cells that parse only as they are or with magic lines blanked)."""
    try:
        cells = list(cells) if not isinstance(cells, (str, bytes)) else [cells]
    except TypeError:
        return []
    out = []
    for k, cell in enumerate(cells, start=1):
        tree = _cell_tree(_cell_text(cell), fallback=not ipython)
        if tree is not None:
            out.append((k, tree))
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


def _holds(node, aliases, paths=None):
    """Does an expression's value hold a module (or an object of one) as it is, not a call's result?
    (np.inf, math.pi, np.float64: a number or a built-in type cannot be changed through a container.)"""
    if isinstance(node, ast.Attribute) and paths is not None and _inert(_dotted(node, paths)):
        return False
    if isinstance(node, (ast.Name, ast.Attribute)):
        return _chain_only(node) and _root(node) in aliases
    if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Starred)):
        return any(_holds(e, aliases, paths) for e in (node.elts if not isinstance(node, ast.Starred) else [node.value]))
    if isinstance(node, ast.Dict):
        return any(_holds(v, aliases, paths) for v in node.values if v is not None)
    if isinstance(node, ast.Subscript):
        return _holds(node.value, aliases, paths)
    if isinstance(node, ast.IfExp):
        return _holds(node.body, aliases, paths) or _holds(node.orelse, aliases, paths)
    if isinstance(node, ast.BoolOp):
        return any(_holds(v, aliases, paths) for v in node.values)
    if isinstance(node, ast.NamedExpr):
        return _holds(node.value, aliases, paths)
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


def _loaded(path):
    """The object a dotted path names in the modules the grader has loaded (submodules included), or
    _MISSING: read from their namespaces, nothing imported or run."""
    import sys
    import types

    module, _, rest = path.partition(".")
    obj = sys.modules.get(module, _MISSING)
    for part in rest.split(".") if rest and obj is not _MISSING else ():
        if isinstance(obj, types.ModuleType) and f"{obj.__name__}.{part}" in sys.modules:
            obj = sys.modules[f"{obj.__name__}.{part}"]
            continue
        obj = obj.__dict__.get(part, _MISSING) if hasattr(obj, "__dict__") else _MISSING
        if obj is _MISSING:
            break
    return obj


def _inert(path):
    """Is the dotted path a number, a string or a built-in type of a module the grader has loaded
    (np.inf, math.pi, np.float64)? Nothing of a module can be changed through it."""
    if not path or "." not in path:
        return False
    obj = _loaded(path)
    if obj is _MISSING:
        return False
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
        return True
    return isinstance(obj, type) and not obj.__flags__ & (1 << 9)      # not a heap type: defined in C


_MISSING = object()


def _direct_aliases(trees, aliases):
    """The aliases that stand for a module or an object of one as it is (m = copy._deepcopy_dispatch,
    an element taken out of a container of them, a loop over one), not a container that holds one."""
    direct = _imported_names(trees)

    def adds(node, target, value, loop):
        if loop:                                    # its elements (not those of a call's result)
            bound = _holds(value, aliases)
        elif isinstance(node, ast.AugAssign):       # arr += np.pi: still the notebook's own array
            bound = False
        else:
            bound = isinstance(value, ast.Subscript) and _chain_only(value.value) \
                and _root(value) in aliases or _chain_only(value) and _root(value) in direct
        return _stores(target) if bound else ()

    _grow(trees, direct, adds)
    return direct


def _escapes(trees, paths):
    """Does a module, or a table of one, go anywhere a reading of names cannot follow it: passed to a
    call, a default, returned, yielded, put in a container, an attribute or a subscript, compared...?
    Only bare names of modules and a module's own mutable tables count (np.exp as an argument or
    dtype=np.float32 do not): what lets code patch a module through a name it was given."""
    def moves(node, parent):
        if isinstance(parent, ast.Attribute) and parent.value is node:
            return False                            # np.x: used, not moved
        if isinstance(parent, ast.Call) and parent.func is node:
            return False
        if isinstance(node, ast.Name):
            return node.id in paths and isinstance(node.ctx, ast.Load)
        if isinstance(node, ast.Attribute) and _chain_only(node):
            path = _dotted(node, paths)
            return bool(path) and (path in paths.values() or _is_module(path) or _table(path))
        return False

    for tree in trees:
        for parent in ast.walk(tree):
            if isinstance(parent, (ast.Import, ast.ImportFrom)):
                continue
            for child in ast.iter_child_nodes(parent):
                if not moves(child, parent):
                    continue
                # m = np at a module's or function's top: an alias the reading follows
                if isinstance(parent, (ast.Assign, ast.AnnAssign)) and parent.value is child \
                        and all(isinstance(t, ast.Name) for t in (parent.targets if isinstance(parent, ast.Assign)
                                                                  else [parent.target])):
                    continue
                return True
    return False


def _table(path):
    """Is the dotted path a dict, list or set of a module the grader has loaded (copy._deepcopy_dispatch)?"""
    return isinstance(_loaded(path), (dict, list, set))


def _passes_on(expr, aliases):
    """Does an expression use an imported name as a value anywhere inside it (a call's argument, a
    lambda's body, a dict's value...)? Its result may then be that module: (lambda: np)(), d.get(k)."""
    bases = {id(n.value) for n in ast.walk(expr) if isinstance(n, ast.Attribute)}
    bases |= {id(n.func) for n in ast.walk(expr) if isinstance(n, ast.Call)}
    return any(isinstance(n, ast.Name) and n.id in aliases and id(n) not in bases for n in ast.walk(expr))


def _imported_names(trees):
    """The names the notebook's imports bind."""
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                names |= {a.asname or a.name for a in node.names if a.name != "*"}
    return names


def _bindings(node):
    """(target, value, loop) for each name binding an assignment-like node makes; loop: the target is bound
    to the elements of value (a for loop or a comprehension), not to value itself."""
    if isinstance(node, ast.Assign):
        return [(t, node.value, False) for t in node.targets]
    if isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and node.value is not None:
        return [(node.target, node.value, False)]
    if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        return [(node.target, node.iter, True)]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [(i.optional_vars, i.context_expr, False) for i in node.items if i.optional_vars is not None]
    return []


def _module_aliases(trees, modules=frozenset()):
    """Every name that may stand for an imported module or something taken from one: the names
    imports bind, and (to a fixed point, in any scope) names assigned from those as they are."""
    trees = list(trees)
    aliases = _imported_names(trees)

    def adds(node, target, value, loop):
        if _holds(value, aliases, modules) or _passes_on(value, modules):
            return _stores(target) + ([target.id] if isinstance(target, ast.Name) else [])
        return ()

    _grow(trees, aliases, adds)
    return aliases


def _grow(trees, known, adds):
    """Grow `known` (a set of names, or a dict name -> value) to its fixed point over the bindings
    of `trees` (_bindings): adds(node, target, value, loop) gives the names (or (name, value)
    pairs) a binding adds, given what is known. A binding is looked at once, and again only when
    a name its value reads becomes known: a worklist, linear in the code. (A loop over every tree
    until nothing changed took a pass per link of a chain of aliases: an attack review's notebook
    of 15,000 chained assignments kept the grader busy for hours, and the class ungraded.)"""
    units, readers = [], {}
    for tree in trees:
        for node in ast.walk(tree):
            for target, value, loop in _bindings(node):
                for name in {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}:
                    readers.setdefault(name, []).append(len(units))
                units.append((node, target, value, loop))
    todo = list(range(len(units)))[::-1]
    queued = set(todo)
    while todo:
        i = todo.pop()
        queued.discard(i)
        for item in adds(*units[i]):
            name, value = item if isinstance(known, dict) else (item, None)
            new = name not in known
            if isinstance(known, dict):
                known[name] = value
            else:
                known.add(name)
            if new:
                for j in readers.get(name, ()):
                    if j not in queued:
                        queued.add(j)
                        todo.append(j)


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


class _Seen(typing.NamedTuple):
    """What the tampering reading knows of the whole notebook."""
    aliases: set        # names that may stand for a module or something in one (also containers of them)
    direct: set         # names that stand for a module or an object of one as it is (not a container of them)
    paths: dict         # names bound to a module -> its dotted path
    written: set        # module names the notebook writes a .py file for
    escapes: bool       # a module (or a module's table) goes where names cannot follow it: a call's
                        # argument, a default, a return value, an attribute, a container...


def _tampers_in(tree, seen):
    """(node, what) for every way `tree` reaches the recording or rewrites running code."""
    aliases, paths, written = seen.aliases, seen.paths, seen.written
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
                yield from ((node, w) for _, w in _tampers_in(code, seen))
            elif code is None and name in (_CODE_LINE_MAGICS | _CODE_CELL_MAGICS):
                yield node, f"uses %{name} with code the grader cannot read"
            elif name not in safe:
                yield node, f"uses the IPython magic %{name}"
            continue
        what = _tampers(node, seen)
        if what:
            yield node, what


def _tampers(node, seen):
    aliases, paths, written = seen.aliases, seen.paths, seen.written
    if isinstance(node, ast.Attribute) and node.attr in _IPYTHON_HOOKS:
        return f"uses IPython's {node.attr}"
    if isinstance(node, ast.Attribute) and node.attr in _BY_NAME:
        return f"looks things up by name ({node.attr})"
    if isinstance(node, ast.Attribute) and node.attr in _INTERNALS:
        return f"reaches into running code ({node.attr})"
    if isinstance(node, ast.Call) and _dotted(node.func, paths) == "signal.signal" and (
            len(node.args) < 2 or _dotted(node.args[1], paths) not in _SIGNAL_SAFE):
        return "installs a signal handler, which runs beside the hidden tests"
    if isinstance(node, ast.ImportFrom) and node.module == "signal" \
            and any(a.name in ("signal", "*") for a in node.names):
        return "imports signal.signal (a signal handler runs beside the hidden tests)"
    if isinstance(node, ast.Attribute) and node.attr in _CONCURRENT_ATTRS:
        return f"runs code beside the hidden tests ({node.attr})"
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "__del__" \
            or isinstance(node, ast.Name) and node.id == "__del__" and isinstance(node.ctx, ast.Store):
        return "defines __del__, which runs whenever Python frees the object, also while the hidden tests record"
    if isinstance(node, ast.Attribute) and node.attr in _NATIVE:
        return f"reaches native code ({node.attr})"
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
            if _CONCURRENT_ATTRS & set(full.split(".")[1:]):
                return f"imports {full}, which runs code beside the hidden tests"
            if isinstance(node, ast.ImportFrom) and node.level:
                return "imports from a relative package"
            if top in _CONCURRENT:
                return f"imports {top}, which runs code beside the hidden tests (threads, signals, finalizers...)"
            if top in _MACHINERY:
                return f"imports {top}"
            if top and not _installed(top) and top in written:
                return f"imports {top}, a module the notebook wrote itself"
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in {"sys", "operator", "IPython", "os"} \
                | _MACHINERY_MODULES:
            bad = [a.name for a in node.names if a.name in _SYS | _BY_NAME | _MACHINERY_ATTRS | _CONCURRENT_ATTRS
                   | {"get_ipython", "*"}]
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
            and _root(node.args[0]) not in ("self", "cls") and (
                _root(node.args[0]) in paths if node.func.id == "getattr"
                else _root(node.args[0]) in aliases or seen.escapes or _root(node.args[0]) is None):
        # setattr(hp, name, v) on the notebook's own object is ordinary; on what may be a module it
        # could rewrite anything
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
                owner = _library_name(sub.attr, paths) if root not in ("self", "cls") and seen.escapes else None
                if owner:           # a parameter or a value the reader cannot follow, given a library's name
                    return f"changes {ast.unparse(sub)}, a name of {owner} (a module passed in?)"
                inner = [n for n in ast.walk(sub.value) if isinstance(n, (ast.Call, ast.Attribute))]
                own_type = isinstance(sub.value, ast.Call) and isinstance(sub.value.func, ast.Name) \
                    and sub.value.func.id == "type" and sub.value.args and _root(sub.value.args[0]) in ("self", "cls")
                if not own_type and (any(isinstance(n, ast.Call) for n in inner) or any(
                        isinstance(n, ast.Attribute) and n.attr in aliases for n in inner)):
                    return f"changes {ast.unparse(sub)}, an attribute of something the grader cannot follow"
            if isinstance(sub, ast.Subscript) and isinstance(sub.ctx, (ast.Store, ast.Del)) and (
                    _root(sub) in seen.direct and _chain_only(sub.value)
                    or isinstance(sub.value, ast.Subscript) and _root(sub.value) in aliases) \
                    and not ast.unparse(sub.value).endswith(("rcParams", "environ")):
                # copy._deepcopy_dispatch[dict] = f, or through a container of it; not best["err"] = x
                # in the notebook's own dict that happens to hold np.inf
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
def _spec(path):
    """The import spec of a dotted module path in the grader's environment, or None. Found on the
    file system, without importing anything (an import runs a package's code, and costs time)."""
    from importlib.machinery import PathFinder
    from importlib.util import find_spec

    parts = path.split(".")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spec = find_spec(parts[0])          # a top-level name: looked up, not imported
            for i in range(1, len(parts)):
                if spec is None or not spec.submodule_search_locations:
                    return None
                spec = PathFinder.find_spec(".".join(parts[:i + 1]), list(spec.submodule_search_locations))
    except Exception:
        return None
    return spec


def _is_module(path):
    """Is the dotted path a module (or package) in the grader's environment? (not imported)"""
    return _spec(path) is not None


@functools.lru_cache(maxsize=4096)
def _defines(module, name):
    """Does the installed module `module` have a `name` (a module the grader has loaded: asked; else
    its source read, not imported: a def, an assignment or an import of that name)?"""
    import sys

    if not _is_module(module):
        return False
    loaded = sys.modules.get(module)
    if loaded is not None:
        try:
            return hasattr(loaded, name)
        except Exception:
            return True
    try:
        origin = _spec(module).origin
        if not origin or not origin.endswith(".py"):
            return True                     # compiled: cannot be read, so it may
        with open(origin, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except Exception:
        return True
    n = re.escape(name)
    return re.search(rf"\bdef {n}\b|^\s*{n}\s*=|\bimport\b[^\n]*\b{n}\b|[\"']{n}[\"']", text, re.M) is not None


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

    def adds(node, target, value, loop):
        if loop or not isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) or not isinstance(target, ast.Name):
            return ()
        path = _dotted(value, paths)
        return [(target.id, path)] if path and (path in paths.values() or _is_module(path)) else ()

    _grow(trees, paths, adds)
    return paths
