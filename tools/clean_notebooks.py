"""Strip outputs and volatile metadata from notebooks, and set one plain kernelspec.

    python tools/clean_notebooks.py [--check] [PATH ...]     (default: lectures/ solutions/)

With --check nothing is written; the exit code is 1 if any notebook would change,
and the offending files are listed. Cells tagged or marked `NBVAL_CHECK_OUTPUT`
keep their outputs: nbval compares those on purpose.
"""
import argparse
import sys
from pathlib import Path

import nbformat

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}
KEEP_CELL_METADATA = {"nbgrader", "tags", "deletable", "editable"}


def keeps_output(cell):
    return "NBVAL_CHECK_OUTPUT" in cell.get("source", "") or \
        "nbval-check-output" in cell.get("metadata", {}).get("tags", [])


def clean(nb):
    """Return a cleaned copy of a notebook node."""
    nb = nbformat.from_dict(nb)
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO})
    for cell in nb.cells:
        cell.metadata = nbformat.from_dict({k: v for k, v in cell.metadata.items() if k in KEEP_CELL_METADATA})
        cell.pop("id", None)
        if cell.cell_type == "code":
            if not keeps_output(cell):
                cell.outputs = []
            cell.execution_count = None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    nb.nbformat, nb.nbformat_minor = 4, 4
    return nb


def notebooks(paths):
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        elif p.suffix == ".ipynb":
            yield p


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="report, do not write")
    ap.add_argument("paths", nargs="*", default=["lectures", "solutions"])
    args = ap.parse_args(argv)
    dirty = []
    for path in notebooks(args.paths):
        text = path.read_text(encoding="utf-8")
        cleaned = nbformat.writes(clean(nbformat.reads(text, as_version=4))) + "\n"
        if cleaned != text:
            dirty.append(path)
            if not args.check:
                path.write_text(cleaned, encoding="utf-8")
    for path in dirty:
        print(("needs cleaning: " if args.check else "cleaned: ") + str(path))
    return 1 if (args.check and dirty) else 0


if __name__ == "__main__":
    sys.exit(main())
