"""One pass per record: a stage's narrow record operations run as one loop per partition.

``map``, ``flatMap``, ``filter``, ``mapValues``, ``flatMapValues``, ``keys``, ``values`` and
the map-side combine of the key aggregations are recorded as the steps of a
``RecordPipeline`` instead of wrapping one another's iterators.  A task runs the pipeline as
one function whose body is the steps' statements nested inside a single ``for`` loop, so a
record goes from one user function to the next with no generator, and no checking layer, in
between.  The function is written out and compiled once per process for each sequence of step
kinds (the user functions are its arguments), e.g. ``flatMap, map`` into ``reduceByKey``::

    def run(records, f0, op0, f1, op1, create, merge, op2):
        values = {}
        get = values.get
        for r in records:
            for r in f0(r):
                r = f1(r)
                try:
                    key, value = r
                except (TypeError, ValueError):
                    not_a_pair(r, op2)
                current = get(key, MISSING)
                values[key] = create(value) if current is MISSING else merge(current, value)
        return values

A step that needs a (key, value) pair unpacks it where it uses it, inside a ``try`` that
costs nothing for pairs: a record that is not one raises the TypeError naming the operation
at that very spot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import repeat
from typing import Any, cast

from ember.rdd.records import not_a_pair

_UNPACK = "try:\n" "    key, value = r\n" "except (TypeError, ValueError):\n" "    not_a_pair(r, {op})"

#: each step kind's statements; ``{f}`` is its function, ``{op}`` its operation's name.  A
#: statement ending in ":" opens a block that every later statement is nested in.
_STATEMENTS = {
    "map": "r = {f}(r)",
    "flatMap": "for r in {f}(r):",
    "filter": "if {f}(r):",
    "mapValues": _UNPACK + "\nr = (key, {f}(value))",
    "flatMapValues": _UNPACK + "\nfor r in zip(repeat(key), {f}(value)):",
    "keys": _UNPACK + "\nr = key",
    "values": _UNPACK + "\nr = value",
}


@dataclass(frozen=True)
class Step:
    """One record operation: its kind (a key of ``_STATEMENTS``), its function and the name
    of the API call it came from, for the error a record that is not a pair raises."""

    kind: str
    func: Callable | None
    operation: str


def first_value(value):
    """A key's first value becomes its combiner as it is: every block read gives a task records
    of its own (the executors decode blocks), so merging into it is as safe as in PySpark."""
    return value


def single_list(value) -> list:
    """groupByKey's combiner of a key's first value."""
    return [value]


def append_to(values: list, value) -> list:
    """groupByKey's merge of one more value (in the compiled loop: an ``append`` in place)."""
    values.append(value)
    return values


@dataclass(frozen=True)
class Combine:
    """The end of a pipeline that folds its (key, value) records into one combiner per key,
    in the order keys were first seen; ``finish`` (if any) maps each combiner at the end."""

    create: Callable
    merge: Callable
    operation: str
    finish: Callable | None = None


class RecordPipeline:
    """Steps run over each record of a partition, then the records are yielded or combined.

    It is the partition function of a ``PipelinedRDD`` (``pipeline(split, iterator)``);
    ``then`` appends the steps of a following narrow operation, so a chain of them stays one
    loop.  Picklable: the compiled loop is looked up again in every process.
    """

    def __init__(self, steps: tuple[Step, ...], combine: Combine | None = None):
        self.steps = tuple(steps)
        self.combine = combine

    @classmethod
    def of(cls, kind: str, func: Callable | None, operation: str) -> RecordPipeline:
        return cls((Step(kind, func, operation),))

    @classmethod
    def combining(cls, combine: Combine) -> RecordPipeline:
        return cls((), combine)

    @property
    def is_open(self) -> bool:
        """Whether more steps can follow (it yields records rather than combining them)."""
        return self.combine is None

    def then(self, following: RecordPipeline) -> RecordPipeline:
        """This pipeline followed by ``following`` in the same loop (this one must be open)."""
        return RecordPipeline(self.steps + following.steps, following.combine)

    def __call__(self, split: int, iterator) -> Iterator:
        arguments: list[Any] = []
        for step in self.steps:
            arguments += (step.func, step.operation)
        combine = self.combine
        if combine is None:
            return _compiled(self._shape())(iterator, *arguments)
        values = _compiled(self._shape())(
            iterator, *arguments, combine.create, combine.merge, combine.operation
        )
        if combine.finish is None:
            return iter(values.items())
        finish = combine.finish
        return ((key, finish(combined)) for key, combined in values.items())

    def _shape(self) -> tuple:
        """What the compiled loop depends on: the step kinds and how the records end."""
        if self.combine is None:
            end = "yield"
        elif self.combine.create is single_list and self.combine.merge is append_to:
            end = "combine group"
        else:
            end = "combine first" if self.combine.create is first_value else "combine"
        return tuple(step.kind for step in self.steps) + (end,)

    def __repr__(self) -> str:
        return f"RecordPipeline({', '.join(self._shape())})"


_loops: dict[tuple, Callable] = {}


def _compiled(shape: tuple) -> Callable:
    """The loop function of ``shape`` (step kinds, then the end), compiled once per process."""
    loop = _loops.get(shape)
    if loop is None:
        loop = _loops[shape] = _compile(shape)
    return loop


def _compile(shape: tuple) -> Callable:
    *kinds, end = shape
    parameters = ["records"]
    body: list[str] = []
    depth = 2
    for index, kind in enumerate(kinds):
        parameters += [f"f{index}", f"op{index}"]
        for line in _STATEMENTS[kind].format(f=f"f{index}", op=f"op{index}").split("\n"):
            body.append("    " * depth + line)
        if body[-1].endswith(":"):
            depth += 1
    indent = "    " * depth
    if end == "yield":
        body.append(indent + "yield r")
        prologue, epilogue = [], []
    else:
        parameters += ["create", "merge", f"op{len(kinds)}"]
        body += [indent + line for line in _UNPACK.format(op=f"op{len(kinds)}").split("\n")]
        body.append(indent + "current = get(key, MISSING)")
        if end == "combine group":
            body += [
                indent + "if current is MISSING:",
                indent + "    values[key] = [value]",
                indent + "else:",
                indent + "    current.append(value)",
            ]
        else:
            first = "value" if end == "combine first" else "create(value)"
            body.append(indent + f"values[key] = {first} if current is MISSING else merge(current, value)")
        prologue = ["    values = {}", "    get = values.get"]
        epilogue = ["    return values"]
    source = "\n".join(
        [f"def run({', '.join(parameters)}):", *prologue, "    for r in records:", *body, *epilogue]
    )
    namespace = {"not_a_pair": not_a_pair, "MISSING": _MISSING, "repeat": repeat}
    exec(compile(source, f"<ember record loop: {', '.join(shape)}>", "exec"), namespace)
    return cast("Callable[..., Any]", namespace["run"])


_MISSING = object()
