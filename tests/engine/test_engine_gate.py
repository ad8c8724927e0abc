"""The Odoo layer reaches the engine only through its face: `from ..maildns import X`, X in maildns.__all__.

A module of the addon that imports a submodule of the engine depends on how the engine is laid out inside;
the face is what the engine promises to keep.
"""

import ast
from pathlib import Path

import pytest

from odoo.addons.mail_domain_health import maildns

ROOT = Path(__file__).resolve().parents[2]
# The addon's own Python, and the glue addons kept beside it; not the engine, its tests or the benchmarks.
ADDON_FOLDERS = ("models", "tools", "wizard", "addons")


def _addon_modules() -> list[Path]:
    return sorted(path for folder in ADDON_FOLDERS for path in (ROOT / folder).rglob("*.py"))


def _engine_imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of each import of the engine in `path`, relative or through odoo.addons."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.ImportFrom) or not node.module:
            continue
        module = node.module
        if module.startswith("odoo.addons.mail_domain_health."):
            module = module.removeprefix("odoo.addons.mail_domain_health.")
        elif node.level == 0:
            continue
        if module == "maildns" or module.startswith("maildns."):
            found.append((node.lineno, module, [alias.name for alias in node.names]))
    return found


def test_the_addon_has_modules_to_look_at():
    # A positive control: the walk sees the models that use the engine.
    assert any(_engine_imports(path) for path in _addon_modules())


@pytest.mark.parametrize("path", _addon_modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_addon_module_imports_the_engine_through_its_face(path):
    for line, module, names in _engine_imports(path):
        assert module == "maildns", f"{path.name}:{line} imports the engine's submodule {module}"
        outside = sorted(set(names) - set(maildns.__all__))
        assert not outside, f"{path.name}:{line} imports {outside}, which maildns.__all__ does not list"


def test_every_name_of_the_face_exists():
    assert [name for name in maildns.__all__ if not hasattr(maildns, name)] == []
