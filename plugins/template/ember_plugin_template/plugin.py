"""The module the entry point names: one function per hook this plugin implements."""

from __future__ import annotations

import argparse

from ember.plugins import CliCommand, SinkKind, SourceKind, hookimpl
from ember_plugin_template.jsonl import JsonLinesSink
from ember_plugin_template.ticker import TickerReceiver


@hookimpl
def ember_source_kinds() -> list[SourceKind]:
    return [
        SourceKind(
            "ticker",
            lambda ssc, count, interval_ms: TickerReceiver(count, interval_ms),
            "TickerUtils.createStream: 'tick <n>' records at a steady pace",
        )
    ]


@hookimpl
def ember_sink_kinds() -> list[SinkKind]:
    return [SinkKind("jsonl", JsonLinesSink, "one JSON-lines file per batch, committed atomically")]


def _hello(args: argparse.Namespace) -> int:
    print(f"hello from ember-plugin-template, {args.name}")
    return 0


@hookimpl
def ember_cli_commands() -> list[CliCommand]:
    return [
        CliCommand(
            "template-hello",
            "greet (shows how a plugin adds a command)",
            _hello,
            lambda parser: parser.add_argument("--name", default="world"),
        )
    ]
