"""Sphinx configuration of the skSIG documentation.

Build with ``python -m sphinx -W -b html doc <out>`` after ``pip install -e ".[doc]"``.
The gallery in ``examples/`` is executed during the build (sphinx-gallery).
"""

import re
from pathlib import Path

from docutils import nodes
from docutils.utils import new_document
from sphinx.util.docutils import SphinxDirective

import skSIG

DOC = Path(__file__).resolve().parent
ROOT = DOC.parent

project = "skSIG"
author = "the skSIG developers"
copyright = "2026, the skSIG developers"
release = skSIG.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

templates_path = ["_templates"]
# results/*.md are pulled into benchmarks.rst by the ``benchmark-results`` directive below;
# runs written to folders of their own (``--out doc/results/<folder>``) are linked from the text.
exclude_patterns = ["_build", "results/*.md", "results/*/*.md", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5", "auto_examples/*.json"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "literal"

# -- API reference -----------------------------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"  # numpydoc renders the types written in the docstrings
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

intersphinx_mapping = {}  # offline builds: no inventories are fetched

# -- gallery -----------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "doc_module": ("skSIG",),
    "backreferences_dir": "gen_modules/backreferences",
}

# -- HTML --------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skSIG {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = []
html_show_sourcelink = False


# -- benchmark results -------------------------------------------------------------------------
_IMAGE = re.compile(r"(!\[[^\]]*\]\()([^)/:]+\))")


class BenchmarkResults(SphinxDirective):
    """Insert every ``doc/results/*.md`` written by ``benchmarks/scripts`` (MyST Markdown), with
    its image links made relative to this page; a short note when there are none yet."""

    def run(self):
        from myst_parser.parsers.sphinx_ import MystParser

        results = DOC / "results"
        files = sorted(results.glob("*.md"))
        if not files:
            note = nodes.paragraph(text="No results yet: run the scripts above to write them.")
            return [nodes.note("", note)]
        out = []
        for path in files:
            self.env.note_dependency(str(path))
            text = _IMAGE.sub(r"\1results/\2", path.read_text(encoding="utf-8"))
            document = new_document(str(path), self.state.document.settings)
            MystParser().parse(text, document)
            out.extend(document.children)
            # the table's own CSVs: table2.md's are not table2_full.md's
            data = [csv for csv in (results / f"{path.stem}.csv", results / f"{path.stem}_runs.csv")
                    if csv.exists()]
            if data:
                links = ", ".join(f":download:`{csv.name} <results/{csv.name}>`" for csv in data)
                out.extend(self.parse_text_to_nodes(f"Data: {links}."))
        return out


# scikit-learn's own methods (metadata routing, ``ClassifierMixin.score``) refer to labels of
# scikit-learn's documentation; of them only ``get_params`` and ``set_params`` are shown here.
_SKLEARN_SHOWN = {"get_params", "set_params"}


def _skip_sklearn_members(app, what, name, obj, skip, options):
    module = getattr(obj, "__module__", None) or ""
    if module.startswith("sklearn.") and name not in _SKLEARN_SHOWN:
        return True
    return None


# A name ending in ``_`` is a reference in reStructuredText: escape it in the type lines of
# numpydoc sections, as in ``ndarray of shape (n_features_in_,)``.
_TRAILING_UNDERSCORE = re.compile(r"\b([A-Za-z]\w*)_(?=[,)])")


def _escape_trailing_underscores(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        if "`" not in line:
            lines[i] = _TRAILING_UNDERSCORE.sub(r"\1\\_", line)


def setup(app):
    app.add_directive("benchmark-results", BenchmarkResults)
    app.connect("autodoc-skip-member", _skip_sklearn_members)
    app.connect("autodoc-process-docstring", _escape_trailing_underscores, priority=600)
