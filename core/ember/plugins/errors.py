"""Errors of the plugin system: what is missing, and which plugin broke.

A missing plugin is an ``ImportError`` (the user has not installed a distribution), so code
that already guards optional imports with ``except ImportError`` keeps working; the message
always ends with the ``pip install`` line that fixes it.
"""

from __future__ import annotations

import glob
import importlib.metadata
import json
import os
import re
from urllib.parse import unquote, urlsplit


class PluginError(Exception):
    """A plugin misbehaved: two plugins claim the same kind, or a hook returned nonsense."""


class MissingPluginError(PluginError, ImportError):
    """No installed plugin provides what the program asked for.

    ``what`` says what was asked ("source kind 'socket'"), ``distribution`` is the package that
    provides it when ember knows one (``None`` for a kind no ember distribution ships).
    """

    def __init__(
        self,
        what: str,
        distribution: str | None,
        available: list[str] | None = None,
        asked_by: str | None = None,
    ):
        self.what = what
        self.distribution = distribution
        self.available = list(available or [])
        lines = [
            f"No installed ember plugin provides {what}"
            + (f" (needed by {asked_by})" if asked_by else "")
            + "."
        ]
        if self.available:
            lines.append(f"Installed plugins provide: {', '.join(sorted(self.available))}.")
        if distribution:
            lines.append(f"Install it with: {install_command(distribution)}")
        else:
            lines.append(
                "Install a plugin that provides it; `python -m ember plugins` lists "
                "what is installed and any plugin that failed to load."
            )
        super().__init__(" ".join(lines), name=distribution)


def install_command(distribution: str) -> str:
    """The ``pip install`` line that works where the core came from: the distribution's folder
    when the core was installed from a source checkout (``-e`` when editable), else its name."""
    checkout, editable = _core_checkout()
    folder = _distribution_folder(checkout, distribution) if checkout else None
    if folder is None:
        return f"pip install {distribution}"
    return f"pip install {'-e ' if editable else ''}{folder}"


def _core_checkout() -> tuple[str | None, bool]:
    """The source checkout the core was installed from (PEP 610's direct_url.json), if any."""
    try:
        text = importlib.metadata.distribution("ember").read_text("direct_url.json")
        origin = json.loads(text) if text else {}
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None, False
    url = urlsplit(origin.get("url", ""))
    if url.scheme != "file" or "dir_info" not in origin:
        return None, False
    return unquote(url.path), bool(origin["dir_info"].get("editable"))


#: the ``name = "..."`` line of a pyproject (Python 3.10 has no tomllib)
_PROJECT_NAME = re.compile(r'^name\s*=\s*"([^"]+)"', re.MULTILINE)


def _distribution_folder(checkout: str, distribution: str) -> str | None:
    for pyproject in sorted(glob.glob(os.path.join(checkout, "*", "*", "pyproject.toml"))):
        try:
            with open(pyproject, encoding="utf-8") as handle:
                name = _PROJECT_NAME.search(handle.read())
        except OSError:
            continue
        if name is not None and name.group(1) == distribution:
            return os.path.dirname(pyproject)
    return None
