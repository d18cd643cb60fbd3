"""pipe: each partition's records through an external command, one process per partition.

Records go to the command's stdin as lines (``str(record)``, UTF-8) from a feeding thread,
while its stdout lines become the new records, so a command that writes before it has read
everything cannot deadlock.  As in PySpark the command is split with shlex (no shell) and
runs with ``env`` as its whole environment: empty unless given.
"""

from __future__ import annotations

import shlex
import subprocess
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ember.errors import PySparkRuntimeError
from ember.executor.base import TaskContext

if TYPE_CHECKING:
    from ember.rdd.rdd import RDD


def _feed(records: Iterable, stdin, failures: list, task: TaskContext | None) -> None:
    """Write the records; a failure computing them is kept for the reading side to raise.

    Computing the records runs the task's upstream functions on this thread, which must see
    the task's context (accumulator updates and broadcast values are found through it)."""
    TaskContext._local.current = task
    try:
        for record in records:
            stdin.write((str(record).rstrip("\n") + "\n").encode("utf-8"))
    except BrokenPipeError:
        pass  # the command stopped reading its input (``head``, ``echo``): not an error
    except BaseException as error:  # noqa: BLE001 - re-raised by _run
        failures.append(error)
    finally:
        try:
            stdin.close()
        except BrokenPipeError:
            pass


def _run(command: str, env: dict, check_code: bool, records: Iterable) -> Iterator[str]:
    process = subprocess.Popen(shlex.split(command), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    stdout = process.stdout
    assert stdout is not None, "stdout=PIPE gives the process a stdout"
    failures: list[BaseException] = []
    feeder = threading.Thread(
        target=_feed,
        name=f"pipe to {command}",
        daemon=True,
        args=(records, process.stdin, failures, TaskContext.get()),
    )
    feeder.start()
    try:
        for line in stdout:
            yield line.rstrip(b"\n").decode("utf-8")
        process.wait()
        feeder.join()
    finally:
        if process.poll() is None:  # the consumer stopped early (take): end the command
            process.kill()
            process.wait()
        stdout.close()
    if failures:
        raise failures[0]
    if check_code and process.returncode:
        raise PySparkRuntimeError(
            "PIPE_FUNCTION_EXITED", {"func_name": command, "error_code": str(process.returncode)}
        )


class PipeMixin:
    def pipe(
        self: RDD[Any], command: str, env: dict[str, str] | None = None, checkCode: bool = False
    ) -> RDD[str]:
        environment = dict(env or {})
        return self.mapPartitions(lambda records: _run(command, environment, checkCode, records))
