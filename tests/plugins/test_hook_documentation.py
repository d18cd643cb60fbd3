"""Every hook is specified with a docstring and documented in docs/plugins.md."""

from __future__ import annotations

import pathlib
import re

from ember.plugins import hookspecs

GUIDE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def hook_names() -> list[str]:
    return [
        name
        for name in dir(hookspecs)
        if name.startswith("ember_") and hasattr(getattr(hookspecs, name), "ember_spec")
    ]


def test_there_are_hooks_for_every_extension_point():
    assert {
        "ember_source_kinds",
        "ember_sink_kinds",
        "ember_executor",
        "ember_checkpoint_store",
        "ember_cli_commands",
        "ember_connector_apis",
        "ember_filesystems",
    } <= set(hook_names())


def test_every_hook_has_a_docstring_and_a_section_in_the_plugin_guide():
    guide = GUIDE.read_text(encoding="utf-8")
    documented = set(re.findall(r"^#{2,4} `(ember_\w+)`\s*$", guide, flags=re.MULTILINE))
    for name in hook_names():
        assert (getattr(hookspecs, name).__doc__ or "").strip(), f"hook {name} has no docstring"
    missing = sorted(set(hook_names()) - documented)
    assert not missing, f"hooks without a section in docs/plugins.md: {missing}"
    unknown = sorted(documented - set(hook_names()))
    assert not unknown, f"docs/plugins.md documents hooks that do not exist: {unknown}"
