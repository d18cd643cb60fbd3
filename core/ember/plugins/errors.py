"""Errors of the plugin system: what is missing, and which plugin broke.

A missing plugin is an ``ImportError`` (the user has not installed a distribution), so code
that already guards optional imports with ``except ImportError`` keeps working; the message
always ends with the ``pip install`` line that fixes it.
"""

from __future__ import annotations


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
            lines.append(f"Install it with: pip install {distribution}")
        else:
            lines.append(
                "Install a plugin that provides it; `python -m ember plugins` lists "
                "what is installed and any plugin that failed to load."
            )
        super().__init__(" ".join(lines), name=distribution)
