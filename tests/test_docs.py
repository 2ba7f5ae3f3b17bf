"""The documentation covers the public API, and every gallery example is a titled script.

The examples themselves run in the documentation build (``python -m sphinx -W -b html doc
<out>``, part of ``.ci/run``); together they take minutes, too long for the test suite.
"""

import ast
import inspect
import re
from pathlib import Path

import pytest

import skSIG
from skSIG import datasets, metrics

ROOT = Path(__file__).resolve().parents[1]
API = (ROOT / "doc" / "api.rst").read_text()
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))


def _public(module):
    return {
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__ == module.__name__
    }


@pytest.mark.parametrize("module", [datasets, metrics], ids=lambda m: m.__name__)
def test_api_reference_lists_every_public_function_and_class(module):
    listed = set(re.findall(r"^   (\w+)$", API, flags=re.M))
    assert _public(module) <= listed, f"missing from doc/api.rst: {_public(module) - listed}"


def test_api_reference_lists_every_estimator():
    listed = set(re.findall(r"^   (\w+)$", API, flags=re.M))
    assert set(skSIG.__all__) <= listed


def test_gallery_has_the_examples_the_docs_promise():
    assert {p.stem for p in EXAMPLES} >= {
        "plot_grid_gan_sig_gansi",
        "plot_negative_binomial",
        "plot_stacked_digits",
        "plot_grid_search_sigma",
        "plot_pipeline",
    }


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_is_a_titled_script_that_compiles(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    doc = ast.get_docstring(tree)
    assert doc and re.match(r"=+\n.+\n=+\n", doc), "sphinx-gallery needs a titled docstring"
