"""Reading what a plugin logged during a test, through pytest's ``caplog``."""

from __future__ import annotations

import logging
from collections.abc import Callable


def logged_warnings(caplog, logger: str) -> Callable[[], list[str]]:
    """A function returning the messages of the warnings (and worse) ``logger`` itself logged
    so far in this test."""
    caplog.set_level(logging.WARNING, logger=logger)

    def messages() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == logger and r.levelno >= logging.WARNING]

    return messages
