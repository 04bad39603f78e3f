"""The boundary checker (import-linter, `make lint`) sees the whole code base.

A folder of Python modules without __init__.py is a namespace package, which
import-linter's graph leaves out without a word: that is how the kernel's event
backbone went unchecked.
"""

from pathlib import Path

import grimp
import pytest

import kernel

ROOT = Path(__file__).resolve().parent.parent.parent
SOURCE_ROOTS = [Path(kernel.__file__).parent, ROOT / "apps", ROOT / "config", ROOT / "frontend"]


@pytest.mark.parametrize("source_root", SOURCE_ROOTS, ids=lambda path: path.name)
def test_every_folder_of_python_modules_is_a_regular_package(source_root):
    folders = {path.parent for path in source_root.rglob("*.py")}
    namespace_folders = [
        str(folder.relative_to(ROOT)) for folder in folders if not (folder / "__init__.py").exists()
    ]
    assert namespace_folders == []


def test_the_import_graph_holds_the_event_backbone():
    graph = grimp.build_graph("kernel", "apps", include_external_packages=False)
    modules = graph.modules
    assert {"kernel.events.consumer", "kernel.events.outbox", "kernel.events.relay"} <= modules
    # The contexts' consumers import the backbone, and the graph knows it.
    assert graph.direct_import_exists(
        importer="apps.listings.consumers", imported="kernel.events.consumer"
    )
