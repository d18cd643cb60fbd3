"""``python -m ember``: run a job file, and the commands plugins add.

``run`` mirrors spark-submit: ``--master`` and ``--conf k=v`` become defaults of the job's
SparkConf (settings the job makes itself win), the job sees its own arguments in
``sys.argv``, and its directory is importable.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import traceback
from collections.abc import Callable

from ember._version import __version__
from ember.checkpoint.commands import checkpoint_command
from ember.conf import ConfigurationError, set_submit_defaults
from ember.executor import tracebacks
from ember.executor.tracebacks import FULL_TRACEBACKS_ENV, full_tracebacks
from ember.pluginhost.commands import plugin_subcommands, plugins_command
from ember.plugins import PluginError

_RUN_OPTIONS_WITH_VALUE = {"--master", "--conf", "--name"}
_RUN_FLAGS = {"--traceback"}
#: errors that mean the job cannot start as configured, not that its code failed
_SETUP_MISTAKES = (ConfigurationError, PluginError)


def _split_run_arguments(argv: list[str]) -> tuple[list[str], list[str]]:
    """Separate ember's run options from the job's arguments.

    ``--master``, ``--conf`` and ``--name`` are ember's wherever they stand (before or after the
    job file, as in ``run job.py --master local[2]``); everything after a bare ``--`` is the
    job's, so a job can still take an option of the same name.
    """
    ours: list[str] = []
    job: list[str] = []
    items = iter(argv)
    for item in items:
        if item == "--":
            job.extend(items)
            break
        name = item.split("=", 1)[0]
        if name in _RUN_OPTIONS_WITH_VALUE:
            ours.append(item)
            if "=" not in item:
                ours.append(next(items, ""))
        elif item in _RUN_FLAGS or (item in ("-h", "--help") and not job):
            ours.append(item)
        else:
            job.append(item)
    return ours, job


def _parse_conf(pairs: list[str], parser: argparse.ArgumentParser) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            parser.error(f"--conf expects key=value, got {pair!r}")
        settings[key] = value
    return settings


def run_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ember run",
        description="Run a PySpark-style streaming job file on ember.",
        epilog="ember's options may stand before or after JOB.py; put the job's own arguments "
        "after `--` if they clash with them.",
    )
    parser.add_argument(
        "--master",
        help="master URL: local, local[N], local[*], local[N,F] or a " "plugin scheme (default: local[*])",
    )
    parser.add_argument("--name", help="application name (spark.app.name)")
    parser.add_argument(
        "--conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting for the job's SparkConf; repeatable",
    )
    parser.add_argument(
        "--traceback",
        action="store_true",
        help=f"show ember's whole traceback for every error (also {FULL_TRACEBACKS_ENV}=1)",
    )
    parser.add_argument("job", metavar="JOB.py", help="the job file to run")
    parser.add_argument(
        "job_args", metavar="job args", nargs="*", help="the job's own arguments (its sys.argv[1:])"
    )
    ours, job_args = _split_run_arguments(argv)
    if not job_args and "-h" not in ours and "--help" not in ours:
        parser.error("the job file JOB.py is required")
    options = parser.parse_args(ours + job_args[:1])
    if not os.path.isfile(options.job):
        parser.error(f"job file not found: {options.job}")
    settings = _parse_conf(options.conf, parser)
    if options.master:
        settings["spark.master"] = options.master
    if options.name:
        settings["spark.app.name"] = options.name
    set_submit_defaults(settings)
    from ember.streaming import console_status

    console_status.request(sys.stdout)
    if options.traceback:
        os.environ[FULL_TRACEBACKS_ENV] = "1"  # the workers inherit it
    job_path = os.path.abspath(options.job)
    sys.argv = [job_path, *job_args[1:]]
    sys.path.insert(0, os.path.dirname(job_path))
    try:
        runpy.run_path(job_path, run_name="__main__")
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as error:  # noqa: BLE001 - reported below, as the job's outcome
        return _report(error)
    return 0


def _report(error: BaseException) -> int:
    """A mistake in the setup (a bad master, an unusable checkpoint directory, a missing plugin,
    a syntax error) as one line or Python's own syntax error display, exit code 2; any other
    error with the user's frames, exit code 1; everything with ``--traceback``."""
    if full_tracebacks():
        traceback.print_exception(error)
        return 2 if isinstance(error, _SETUP_MISTAKES) else 1
    if isinstance(error, SyntaxError):
        print("".join(traceback.format_exception_only(error)), end="", file=sys.stderr)
        return 2
    if isinstance(error, _SETUP_MISTAKES):
        print(f"python -m ember run: error: {error}", file=sys.stderr)
        return 2
    traceback.print_exception(tracebacks.trim(error))
    return 1


def _reexec_with_stable_hash(argv: list[str]) -> None:
    """Restart once with PYTHONHASHSEED=0, so the driver's key hashing is the fast built-in one.

    Partitioning is correct either way (``ember.serde.hashing``); this only saves the driver
    from computing SipHash in Python for the keys it partitions.
    """
    if os.environ.get("PYTHONHASHSEED") != "0":
        env = dict(os.environ, PYTHONHASHSEED="0")
        os.execve(sys.executable, [sys.executable, "-m", "ember", *argv], env)


def _run(argv: list[str]) -> int:
    _reexec_with_stable_hash(["run", *argv])
    return run_command(argv)


# name -> (one-line help, handler taking the command's own arguments and returning an exit code)
COMMANDS: dict[str, tuple[str, Callable[[list[str]], int]]] = {
    "run": ("run a job file: run [--master URL] [--conf k=v] JOB.py [job args ...]", _run),
    "plugins": (
        "list installed plugins, what they provide and load errors: plugins [--json]",
        plugins_command,
    ),
    "checkpoint": (
        "inspect or verify a job's checkpoints: checkpoint inspect|verify DIR",
        checkpoint_command,
    ),
}


def build_parser(commands: dict) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ember",
        description="ember runs PySpark Streaming (DStream) programs natively in Python.",
        epilog="`python -m ember COMMAND --help` explains a command.",
    )
    parser.add_argument("--version", action="version", version=f"ember {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (summary, _) in commands.items():
        subcommands.add_parser(name, help=summary, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = dict(COMMANDS)
    if argv and argv[0] in commands:
        return commands[argv[0]][1](argv[1:])
    try:
        commands.update(plugin_subcommands(COMMANDS))
    except PluginError as error:
        print(f"python -m ember: {error}", file=sys.stderr)
        return 2
    if argv and argv[0] in commands:
        return commands[argv[0]][1](argv[1:])
    parser = build_parser(commands)
    parser.parse_args(argv)  # --help, --version, or an error naming the unknown command
    parser.print_help()
    return 2
