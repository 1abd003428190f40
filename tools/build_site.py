"""Build the course as a static website: the executed lectures and the assignment statements.

    python tools/build_site.py [--out build/site] [--no-execute]      (make site)

What goes in is an allow-list, as for the student bundle: lectures/*.ipynb (executed here, so
their figures and printed numbers are on the page) and the student versions in assignments/
(what students receive; never solutions/, hidden tests, checks or instructors' answers).
Pages are made with nbconvert's lab template; math is typeset by MathJax, served from the
site itself (the jupyter-server-mathjax package's copy), so the site works offline and on any
static host. Publish build/site/ as it is, e.g. on GitHub Pages (a workflow that runs
`make site` and uploads build/site with actions/upload-pages-artifact).

The build fails if a page holds any text of the hidden side (the markers nbgrader uses for
solutions and hidden tests, the grader's package names).
"""
import argparse
import html
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from grader.assignments import ASSIGNMENTS  # noqa: E402

TITLE = "Deep Learning: Techniques and Applications (4) · 深度学习技术与应用（4）"
HIDDEN = ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "MARK SCHEME",
          "grader.checks", "grader.reference", "run_check", "record(\"test_"]
MATHJAX = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"   # the one configuration the package ships
# The package ships MathJax's STIX-Web fonts only (not its default TeX fonts): use them.
FONTS = ('<script type="text/x-mathjax-config">MathJax.Hub.Config({"HTML-CSS": {availableFonts: ["STIX-Web"], '
         'preferredFont: "STIX-Web", webFont: "STIX-Web", imageFont: null}, SVG: {font: "STIX-Web"}});</script>')
STYLE = """
nav.course { font-family: system-ui, sans-serif; font-size: 15px; padding: 10px 16px;
             border-bottom: 1px solid #ddd; background: #f7f7f9; position: sticky; top: 0; z-index: 10; }
nav.course a { margin-right: 1.2em; text-decoration: none; }
nav.course .here { font-weight: 600; }
"""


def title_of(nb, fallback):
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    return next((l.lstrip("#").strip() for l in first.splitlines() if l.startswith("#")), fallback)


def mathjax_folder():
    import jupyter_server_mathjax

    return Path(jupyter_server_mathjax.__file__).parent / "static"


def page(nb, rel_root, nav):
    """One notebook as an HTML page with the site's navigation bar and its local MathJax."""
    exporter = HTMLExporter(template_name="lab", mathjax_url=f"{rel_root}{MATHJAX}")
    body, _ = exporter.from_notebook_node(nb)
    # require.js (for interactive widgets, which no page here has) would be fetched from a CDN
    body = re.sub(r'<script src="https://[^"]*require[^"]*"></script>', "", body)
    body = re.sub(r"<head([^>]*)>", lambda m: f"<head{m[1]}>{FONTS}", body, count=1)
    body = body.replace("</head>", f"<style>{STYLE}</style></head>", 1)
    return re.sub(r"<body([^>]*)>", lambda m: f"<body{m[1]}>{nav}", body, count=1)


def navigation(items, here, rel_root):
    links = [f'<a href="{rel_root}index.html">Course</a>']
    for href, label in items:
        cls = ' class="here"' if href == here else ""
        links.append(f'<a{cls} href="{rel_root}{href}">{html.escape(label)}</a>')
    return f'<nav class="course">{"".join(links)}</nav>'


def _kernel_env():
    """The kernel's environment: this one, without a non-interactive matplotlib backend (a test
    runner's MPLBACKEND=Agg would leave every plt.show() without a figure on the page)."""
    return {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}


def build(out, execute=True, timeout=900):
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    (out / "lectures").mkdir(parents=True)
    (out / "assignments").mkdir()
    shutil.copytree(mathjax_folder(), out / "mathjax")
    lectures = sorted((ROOT / "lectures").glob("*.ipynb"))
    notebooks = {}
    for path in lectures:
        nb = nbformat.read(path, as_version=4)
        if execute:
            started = time.perf_counter()
            NotebookClient(nb, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute(env=_kernel_env())
            print(f"executed {path.name} in {time.perf_counter() - started:.0f} s", flush=True)
        notebooks[f"lectures/{path.stem}.html"] = nb
    for a in ASSIGNMENTS:
        notebooks[f"assignments/{a}.html"] = nbformat.read(ROOT / "assignments" / a / f"{a}.ipynb", as_version=4)
    lecture_pages = [h for h in notebooks if h.startswith("lectures/")]
    nav_items = [(h, f"Lecture {lecture_pages.index(h) + 1}" if h in lecture_pages
                  else h.split("/")[1].split("-")[0].upper()) for h in notebooks]
    for href, nb in notebooks.items():
        text = page(nb, "../", navigation(nav_items, href, "../"))
        (out / href).write_text(text, encoding="utf-8")
    rows = "".join(f'<li><a href="{href}">{html.escape(title_of(nb, href))}</a></li>'
                   for href, nb in notebooks.items() if href.startswith("lectures/"))
    tasks = "".join(f'<li><a href="{href}">{html.escape(title_of(nb, href))}</a></li>'
                    for href, nb in notebooks.items() if href.startswith("assignments/"))
    index = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(TITLE)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:46rem;margin:2.5rem auto;padding:0 1rem;line-height:1.5}}
li{{margin:.3rem 0}}</style></head><body>
<h1>{html.escape(TITLE)}</h1>
<p>Losses from maximum likelihood, regularization, optimizers step by step, and sparse and stacked
autoencoders on MNIST. The lectures keep the slides' Chinese section titles next to the English
ones, and each says where and why it departs from the slides.</p>
<h2>Lectures</h2><ol>{rows}</ol>
<h2>Assignments</h2>
<p>The statements, as students receive them. To work on them, download the course, set it up as
its README says and open them in JupyterLab: the graded parts run there, with visible tests.</p>
<ul>{tasks}</ul>
<p><small>Built {time.strftime("%Y-%m-%d")} from the course repository.</small></p>
</body></html>"""
    (out / "index.html").write_text(index, encoding="utf-8")
    leaks = [(p.relative_to(out).as_posix(), m) for p in out.rglob("*.html") if "mathjax" not in p.parts
             for m in HIDDEN if m in p.read_text(encoding="utf-8")]
    if leaks:
        raise SystemExit(f"hidden text in the site: {leaks}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    ap.add_argument("--no-execute", action="store_true", help="pages of the lectures as committed (no outputs)")
    args = ap.parse_args()
    os.environ.pop("MPLBACKEND", None)          # the kernels draw inline, onto the pages
    out = build(args.out, execute=not args.no_execute)
    print(f"wrote {out}/index.html")


if __name__ == "__main__":
    main()
