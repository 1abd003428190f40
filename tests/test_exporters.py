"""The feedback exporter skips nbconvert's second parse of each page, and its pages are still nbconvert's."""
import base64

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter

from grader.exporters import NO_ALT, FeedbackHTMLExporter, accessible

PNG = base64.b64encode(bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                                     "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4f40000"
                                     "000049454e44ae426082")).decode()


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title\n\n![a plot](data:image/png;base64," + PNG + ")\n\n"
                                      "<img src='x.png'> and <img src=\"y.png\" alt=\"given\"/> &lt;img src=z&gt;"),
        nbformat.v4.new_code_cell("print('<img src=q>')", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="<img src=q> 'quoted' \"double\" & more\n"),
            nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
            nbformat.v4.new_output("execute_result", data={"text/plain": "0.5"}, execution_count=1)]),
        nbformat.v4.new_raw_cell("raw text"),
    ]
    return nb


@pytest.mark.parametrize("template", ["classic", "lab"])
def test_feedback_pages_are_nbconverts_pages(template):
    """The same document as nbconvert's HTMLExporter makes (its BeautifulSoup pass included)."""
    nb = _notebook()
    theirs, _ = HTMLExporter(template_name=template).from_notebook_node(nb)
    ours, _ = FeedbackHTMLExporter(template_name=template).from_notebook_node(nb)
    assert str(BeautifulSoup(ours, features="html.parser")) == theirs
    assert ours.count(NO_ALT) == theirs.count(NO_ALT) >= 2


def test_accessible_adds_only_what_is_missing():
    page = ('<main class="jp-Notebook"><div class="jp-Cell-inputWrapper">x</div>'
            '<div class="jp-OutputArea-output other" tabindex="1">y</div><div class="jp-Cell">z</div>'
            '<img src="a.png"><IMG SRC="b.png" ALT="b"><img src="c.png" /></main>&lt;img src=d&gt;')
    assert accessible(page) == (
        '<main class="jp-Notebook"><div class="jp-Cell-inputWrapper" tabindex="0">x</div>'
        '<div class="jp-OutputArea-output other" tabindex="1">y</div><div class="jp-Cell">z</div>'
        f'<img src="a.png" {NO_ALT}><IMG SRC="b.png" ALT="b"><img src="c.png" {NO_ALT} /></main>&lt;img src=d&gt;')
    assert accessible('<div class="jp-Cell-inputWrapper">x</div>') == '<div class="jp-Cell-inputWrapper">x</div>'
