"""Every distribution declares the other ember distributions it imports, so uninstalling one
never leaves another failing to load on every command (ember-sink-kafka imports ember_kafka);
and a missing plugin's install advice works where the core was installed from."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import pathlib
import re

from ember.plugins.errors import install_command

ROOT = pathlib.Path(__file__).resolve().parents[2]
FOLDERS = sorted(
    p.parent
    for p in ROOT.glob("*/*/pyproject.toml")
    if p.parent.parent.name in ("connectors", "sinks", "plugins")
)


def _project(folder: pathlib.Path) -> tuple[str, list[str]]:
    """(name, names of the distributions it depends on) from the folder's pyproject.toml."""
    text = (folder / "pyproject.toml").read_text()
    name = re.search(r'^name\s*=\s*"([^"]+)"', text, re.MULTILINE).group(1)
    block = re.search(r"^dependencies\s*=\s*\[(.*?)\]", text, re.MULTILINE | re.DOTALL).group(1)
    return name, [
        re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower()
        for requirement in re.findall(r'"([^"]+)"', block)
    ]


def _packages(folder: pathlib.Path) -> set[str]:
    return {p.parent.name for p in folder.glob("*/__init__.py") if p.parent.name.startswith("ember_")}


def _imported_ember_packages(folder: pathlib.Path) -> set[str]:
    """Top-level ``ember_*`` packages the distribution's code (not its tests) imports."""
    found = set()
    for source in folder.rglob("*.py"):
        if "tests" in source.relative_to(folder).parts:
            continue
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module and not node.level
                else []
            )
            found.update(name.split(".")[0] for name in names if name.startswith("ember_"))
    return found


def test_every_distribution_declares_the_ember_distributions_it_imports():
    owner = {package: _project(folder)[0] for folder in FOLDERS for package in _packages(folder)}
    assert owner["ember_kafka"] == "ember-kafka"
    undeclared = {}
    for folder in FOLDERS:
        name, dependencies = _project(folder)
        needed = {
            owner[package] for package in _imported_ember_packages(folder) if owner.get(package) != name
        }
        if needed - set(dependencies):
            undeclared[name] = sorted(needed - set(dependencies))
    assert undeclared == {}
    assert "ember-kafka" in _project(ROOT / "sinks" / "kafka")[1]


def test_install_advice_names_the_checkout_folder_when_the_core_came_from_one():
    origin = json.loads(importlib.metadata.distribution("ember").read_text("direct_url.json") or "{}")
    from_checkout = origin.get("url", "").startswith("file://") and "dir_info" in origin
    editable = from_checkout and origin["dir_info"].get("editable", False)
    expected = (
        f"pip install {'-e ' if editable else ''}{ROOT / 'connectors' / 'kafka'}"
        if from_checkout
        else "pip install ember-kafka"
    )
    assert install_command("ember-kafka") == expected
    assert install_command("ember-no-such-thing") == "pip install ember-no-such-thing"
