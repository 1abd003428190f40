"""Every committed notebook is clean, plain, and keeps the hidden side hidden."""
import ast
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from clean_notebooks import KERNELSPEC, clean  # noqa: E402

LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
ALL = sorted(p for d in ("lectures", "solutions", "assignments") for p in (ROOT / d).rglob("*.ipynb")
             if ".ipynb_checkpoints" not in p.parts)


def test_lectures_are_named_and_numbered_in_reading_order():
    """NN-name.ipynb, numbered 01, 02, ... without gaps: the order students read them in (the
    student bundle, its README and the site list them in this order)."""
    assert LECTURES
    for n, path in enumerate(LECTURES, 1):
        assert re.fullmatch(rf"{n:02d}-[a-z0-9]+(-[a-z0-9]+)*\.ipynb", path.name), path.name


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_without_outputs_and_with_a_plain_kernelspec(path):
    text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    assert nb.metadata.get("kernelspec") == KERNELSPEC
    assert nbformat.writes(clean(nb)) + "\n" == text, \
        f"{path.name} has outputs or volatile metadata: run python tools/clean_notebooks.py"


def imported_modules(source):
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_lectures_import_no_hidden_code_and_mark_their_corrections(path):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    mods = set(imported_modules(code))
    assert not {m for m in mods if m.split(".")[0] == "grader"}, "a lecture must not import grader"
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "Where this lecture departs from the slides" in markdown
    assert any("\u4e00" <= ch <= "\u9fff" for ch in markdown), "keep the slides' Chinese section titles"
