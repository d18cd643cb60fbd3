"""Tracebacks that show the user's code: ember's own frames are left out of what a failing
user function reports, unless ``spark.ember.fullTracebacks=true`` (or ``EMBER_TRACEBACK=1`` in
the environment, or ``python -m ember run --traceback``) asks for everything, as when
debugging ember itself.

The frames of a user function show its file, line and source: ``ember.executor.shipping``
ships each function's code with its file name, which cloudpickle would replace by
``<dynamic-code>``.
"""

from __future__ import annotations

import os
import runpy
import traceback
import types

FULL_TRACEBACKS_SETTING = "spark.ember.fullTracebacks"
FULL_TRACEBACKS_ENV = "EMBER_TRACEBACK"

_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
#: frames of these files are never the user's: ember itself, and runpy (``python -m ember run``)
_HIDDEN_FILES = (_EMBER_DIR, os.path.abspath(runpy.__file__), "<frozen runpy>")


def full_tracebacks(conf=None) -> bool:
    """Whether every frame is wanted: the environment variable, or the setting in ``conf``."""
    if os.environ.get(FULL_TRACEBACKS_ENV, "").strip().lower() in ("1", "true", "yes"):
        return True
    return conf is not None and str(conf.get(FULL_TRACEBACKS_SETTING, "false")).strip().lower() == "true"


def _is_users(frame: types.FrameType) -> bool:
    filename = frame.f_code.co_filename
    return not (filename.startswith(_HIDDEN_FILES) or os.path.abspath(filename).startswith(_HIDDEN_FILES))


def _users_traceback(tb: types.TracebackType | None) -> types.TracebackType | None:
    """The chain ``tb`` without ember's frames (None when none is the user's: an error a
    worker raised carries the worker's traceback as a note)."""
    kept = []
    while tb is not None:
        if _is_users(tb.tb_frame):
            kept.append(tb)
        tb = tb.tb_next
    if not kept:
        return None
    chain = None
    for entry in reversed(kept):
        chain = types.TracebackType(chain, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return chain


def trim(error: BaseException, conf=None) -> BaseException:
    """Leave ember's frames out of ``error``'s traceback and those of its causes (in place)."""
    if full_tracebacks(conf):
        return error
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.__traceback__ = _users_traceback(current.__traceback__)
        current = current.__cause__ or current.__context__
    return error


def format_for_user(error: BaseException) -> str:
    """``error`` formatted as Python prints it, without ember's frames (see ``trim``)."""
    return "".join(traceback.format_exception(trim(error)))
