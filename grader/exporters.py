"""The feedback page's exporter: nbconvert's HTMLExporter, cheaper per page, the same page.

- Templates compiled once a process. nbgrader makes a new exporter, and with it a new Jinja
  environment, for every notebook it turns into a feedback page, so the page's templates were
  compiled again for each student (about a third of a second, measured in a grading worker).
  Jinja's bytecode cache keeps the compiled templates in memory, keyed by each template's name
  and checksum of its source, so a changed template is compiled again.
- No second pass through an HTML parser. nbconvert's HTMLExporter parses every page it has
  rendered with BeautifulSoup, only to give images without one an `alt` text and (lab template)
  the cells' input and output areas a `tabindex`, then writes the page out again: a fifth of a
  grading worker's own time per notebook. The same attributes are added here to the tags the
  template wrote (everything a student wrote is escaped text by then: the autograded notebook's
  markdown is escaped, its outputs plain text and images; see grader.preprocessors), so the
  page shows the same; only the parser's reformatting of the markup is gone.
"""
import re

import jinja2
from nbconvert.exporters import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    def __init__(self):
        self._code = {}

    def load_bytecode(self, bucket):
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self._code[bucket.key] = bucket.bytecode_to_string()


_CACHE = _MemoryBytecodeCache()

NO_ALT = 'alt="No description has been provided for this image"'      # nbconvert's words
_TAG = re.compile(r"<(img|div)\b([^>]*)>", re.I)
_CLASSES = re.compile(r"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.I)
_FOCUSABLE = {"jp-Cell-inputWrapper", "jp-OutputArea-output"}
_NOTEBOOK = re.compile(r"""<[a-z]+\b[^>]*\bclass\s*=\s*["']?[^"'>]*\bjp-Notebook\b""", re.I)


def _with(tag, attrs, extra):
    """The start tag again with one attribute more, at its end (where BeautifulSoup puts it)."""
    closed = attrs.rstrip().endswith("/")
    attrs = attrs.rstrip()[:-1].rstrip() if closed else attrs
    return f"<{tag}{attrs} {extra}{' /' if closed else ''}>"


def _accessible(match, focus):
    """nbconvert's accessibility pass, on one tag: an image's missing alt text, a focusable cell area."""
    tag, attrs = match.group(1), match.group(2)
    if tag.lower() == "img":
        return match.group(0) if re.search(r"(?:^|\s)alt\s*=", attrs, re.I) else _with(tag, attrs, NO_ALT)
    classes = _CLASSES.search(attrs)
    names = set(next(g for g in classes.groups() if g is not None).split()) if classes else set()
    if focus and names & _FOCUSABLE and not re.search(r"(?:^|\s)tabindex\s*=", attrs, re.I):
        return _with(tag, attrs, 'tabindex="0"')
    return match.group(0)


def accessible(page):
    """What nbconvert's BeautifulSoup pass adds to a page, added without parsing the page again."""
    focus = _NOTEBOOK.search(page) is not None      # its cell areas are inside `.jp-Notebook` (lab template)
    return _TAG.sub(lambda m: _accessible(m, focus), page)


class FeedbackHTMLExporter(HTMLExporter):
    """HTMLExporter (configured as nbgrader configures it) whose compiled templates are kept."""

    def _create_environment(self):
        environment = super()._create_environment()
        environment.bytecode_cache = _CACHE
        return environment

    def from_notebook_node(self, nb, resources=None, **kw):
        """HTMLExporter.from_notebook_node without its BeautifulSoup pass (see the module's docstring)."""
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        resources = self._init_resources(resources)
        filter_data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                 resources=resources)
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", filter_data_type)
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return accessible(page), resources
