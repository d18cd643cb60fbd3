"""The hooks an ember plugin may implement, grouped by when ember calls them.

A plugin is a module registered under the ``ember`` entry-point group; it marks functions
with ``@hookimpl`` whose names are the specs below.  Every hook is optional.  Hooks that
declare what a plugin provides return small descriptors (``SourceKind``, ``SinkKind``,
``CliCommand``, ``FileSystem``) so that ``python -m ember plugins`` can list them without
running anything; the two ``firstresult`` hooks choose among plugins by URL scheme.
``ember_streaming_started`` lets a plugin watch a running job (a web UI, metrics).
docs/plugins.md documents every hook (a test keeps the two in step).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ember.conf import SparkConf

PROJECT = "ember"
hookspec = pluggy.HookspecMarker(PROJECT)
#: plugins decorate their hook functions with this (``from ember.plugins import hookimpl``)
hookimpl = pluggy.HookimplMarker(PROJECT)


@dataclass(frozen=True)
class SourceKind:
    """A kind of input stream, e.g. ``"socket"``, reached by ``ssc.socketTextStream``.

    ``create(ssc, **options)`` returns a ``Receiver`` (push source) or a ``ReplayableSource``
    (positioned source); ember wraps it into the input DStream.
    """

    name: str
    create: Callable[..., Any]
    description: str = ""


@dataclass(frozen=True)
class SinkKind:
    """A kind of output, e.g. ``"text-files"`` behind ``DStream.saveAsTextFiles``.

    ``create(**options)`` returns a ``Sink``; ember calls it per batch and per partition.
    """

    name: str
    create: Callable[..., Any]
    description: str = ""


@dataclass(frozen=True)
class CliCommand:
    """An extra ``python -m ember NAME`` subcommand.

    ``add_arguments(parser)`` declares its options; ``run(args)`` returns the exit status.
    """

    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    add_arguments: Callable[[argparse.ArgumentParser], object] = field(default=lambda parser: None)


@dataclass(frozen=True)
class FileSystem:
    """Access to files under a URL scheme (``file``, ``s3``, ...) for file sources and sinks.

    ``open(url)`` returns an object with the ``FileSystemAccess`` methods (``list_files``,
    ``read_bytes``; ``ember.plugins.filesystems``), so a third party adds ``hdfs`` with the
    core alone.
    """

    scheme: str
    open: Callable[[str], Any]
    description: str = ""


# -- 1. discovery: called when the plugin list is built (``python -m ember plugins``) -------------


@hookspec
def ember_cli_commands() -> list[CliCommand]:
    """Extra ``python -m ember`` subcommands this plugin adds."""


@hookspec
def ember_connector_apis() -> Mapping[str, Any]:
    """Connector APIs by module name: ``{"kafka": <object with KafkaUtils>}`` makes
    ``from ember.streaming.kafka import KafkaUtils`` resolve to this plugin's ``KafkaUtils``."""


# -- 2. context creation: called when a SparkContext starts --------------------------------------


@hookspec(firstresult=True)
def ember_executor(master: str, conf: SparkConf) -> Any:
    """The executor for ``master`` when its scheme is this plugin's (e.g. ``dask://``),
    else ``None``.  The first plugin that returns one wins."""


# -- 3. graph building: called when a program creates input streams and output operations ---------


@hookspec
def ember_source_kinds() -> list[SourceKind]:
    """The input stream kinds this plugin provides."""


@hookspec
def ember_sink_kinds() -> list[SinkKind]:
    """The output kinds this plugin provides."""


@hookspec
def ember_filesystems() -> list[FileSystem]:
    """The URL schemes this plugin can list and read files under (file sources and sinks)."""


# -- 4. checkpointing: called when ``ssc.checkpoint(uri)`` or recovery needs a store -------------


@hookspec(firstresult=True)
def ember_checkpoint_store(uri: str, conf: SparkConf) -> Any:
    """The checkpoint store for ``uri`` when its scheme is this plugin's (e.g. ``s3://``),
    else ``None``.  The first plugin that returns one wins."""


# -- 5. running: called when a StreamingContext starts ---------------------------------------------


@hookspec
def ember_streaming_started(ssc: Any) -> Callable[[], None] | None:
    """``ssc`` is starting: its graph is valid, its receivers and first batch not started yet,
    so listeners added now (``ssc.addStreamingListener``) see every event.  Return a function
    ember calls with no argument when the context stops (to release what the plugin started),
    or ``None``."""
