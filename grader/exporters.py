"""The feedback page's exporter: nbconvert's HTMLExporter with its templates compiled once a process.

nbgrader makes a new exporter, and with it a new Jinja environment, for every notebook it turns
into a feedback page, so the page's templates were compiled again for each student (about a
third of a second, measured in a grading worker). Jinja's bytecode cache keeps the compiled
templates in memory, keyed by each template's name and checksum of its source, so a changed
template is compiled again; the pages are the same.
"""
import jinja2
from nbconvert.exporters import HTMLExporter


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


class FeedbackHTMLExporter(HTMLExporter):
    """HTMLExporter (configured as nbgrader configures it) whose compiled templates are kept."""

    def _create_environment(self):
        environment = super()._create_environment()
        environment.bytecode_cache = _CACHE
        return environment
