"""Sphinx configuration: API reference from the numpy-style docstrings, the Markdown pages and the
committed tutorial notebooks.

Build (warnings are errors, as in CI)::

    python -m pip install -e ".[docs]" && python -m sphinx -W --keep-going -b html docs _build/docs

Why Sphinx + numpydoc + MyST-NB (and not MkDocs + mkdocstrings): every docstring in the package
is numpy-style with reST markup (``Parameters`` / ``Returns`` sections, ``:func:`` roles,
``::`` literal blocks), which numpydoc renders natively, whereas mkdocstrings would need those
docstrings rewritten or re-parsed; ``docs/*.md`` stay plain Markdown (MyST) so they read the same
on a code-hosting site; MyST-NB renders the committed ``.ipynb`` files without pandoc; and
``sphinx-build -W`` turns every broken reference or malformed docstring into a failure.
"""
from __future__ import annotations

import importlib
import inspect
import os
import pathlib
import shutil
import sys

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import replicaquant  # noqa: E402

project = "replicaquant"
author = "replicaquant developers"
copyright = "replicaquant developers"
release = version = replicaquant.__version__

extensions = [
    "myst_nb",                 # Markdown pages (MyST) and notebooks
    "sphinx.ext.autodoc",
    "numpydoc",
    "sphinx.ext.mathjax",
]

# --- sources ------------------------------------------------------------------------------
# The notebooks live in notebooks/ (next to their generators); they are copied into the source
# tree at build time so that the repository keeps one copy.
NB_SRC = ROOT / "notebooks"
NB_DST = HERE / "notebooks"
if NB_DST.is_symlink() or NB_DST.is_file():
    NB_DST.unlink()
NB_DST.mkdir(exist_ok=True)
for old in NB_DST.glob("*.ipynb"):
    old.unlink()
for nb in sorted(NB_SRC.glob("[0-9]*.ipynb")):
    shutil.copy2(nb, NB_DST / nb.name)

exclude_patterns = ["_build", "**.ipynb_checkpoints"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
# pages written for a code-hosting site start at "##" and link to source files outside docs/
suppress_warnings = ["myst.header", "myst.xref_missing"]
# the committed notebooks carry no outputs (tests/test_notebooks.py executes them); set
# RQ_DOCS_EXECUTE=1 to execute them during the build
nb_execution_mode = "force" if os.environ.get("RQ_DOCS_EXECUTE") == "1" else "off"
nb_execution_timeout = 300

# --- API ----------------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "none"           # the numpy-style Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "alabaster"
html_title = f"replicaquant {release}"
html_static_path = []


class _APIDirective(SphinxDirective):
    """``rq-api``: autodoc entries for the names given (one per line or space separated).

    Option ``:module:`` (default ``replicaquant``).  Names are documented as ``module.name``
    (``module::name`` for autodoc, so that lazily imported names such as ``replicaquant.sweep``
    resolve to the function, not to the submodule of the same name).  An object already
    documented under another name gets a one-line pointer instead of a second entry.
    """

    has_content = True
    option_spec = {"module": str}

    def names(self):
        return " ".join(self.content).split()

    def run(self):
        modname = self.options.get("module", "replicaquant")
        mod = importlib.import_module(modname)
        env = self.env
        seen = env.temp_data.setdefault("rq_api_seen", {})
        documented = env.temp_data.setdefault("rq_api_documented", set())
        lines = []
        for name in self.names():
            full = f"{modname}.{name}"
            documented.add(full)
            obj = getattr(mod, name)
            if name == "__version__":
                lines += [f"``{full}`` = ``{obj!r}``", ""]
                continue
            key = id(obj)
            if key in seen:
                lines += [f"``{full}``: the same object as :py:obj:`{seen[key]}`.", ""]
                continue
            seen[key] = full
            if inspect.ismodule(obj):
                lines += [f".. automodule:: {obj.__name__}", "   :no-members:", ""]
            elif inspect.isclass(obj) and issubclass(obj, BaseException):
                lines += [f".. autoexception:: {modname}::{name}", ""]
            elif inspect.isclass(obj):
                lines += [f".. autoclass:: {modname}::{name}", "   :members:", ""]
            elif callable(obj):
                lines += [f".. autofunction:: {modname}::{name}", ""]
            else:
                lines += [f".. autodata:: {modname}::{name}", ""]
        node = nodes.container()
        self.state.nested_parse(StringList(lines, source=self.get_source_info()[0]),
                                self.content_offset, node)
        return node.children


class _APIRestDirective(_APIDirective):
    """``rq-api-rest``: every name of ``module.__all__`` not documented above on the page.

    This keeps the reference complete when a helper adds a public name: it appears here until
    someone files it under a topic.
    """

    has_content = False

    def names(self):
        modname = self.options.get("module", "replicaquant")
        mod = importlib.import_module(modname)
        documented = self.env.temp_data.get("rq_api_documented", set())
        return [n for n in mod.__all__ if f"{modname}.{n}" not in documented]


def setup(app):
    app.add_directive("rq-api", _APIDirective)
    app.add_directive("rq-api-rest", _APIRestDirective)
    return {"parallel_read_safe": False}
