"""The msgpack codec round-trips Python values exactly, in one process and through workers."""

from __future__ import annotations

import collections
import datetime
import decimal
import math
import threading

import pytest
from masters import MASTERS, spark_context

from ember.serde.codec import SerializationError, decode, decode_block, encode, encode_block, encode_value

Point = collections.namedtuple("Point", "x y")


class Money:
    """A user class with no msgpack form: it travels through the pickle fallback."""

    def __init__(self, cents):
        self.cents = cents

    def __eq__(self, other):
        return type(other) is Money and other.cents == self.cents


class Name(str):
    pass


VALUES = [
    (1, (2, (3, "a"))),
    [1, [2, (3,)]],
    (),
    [],
    b"bytes",
    "text",
    "",
    b"",
    2**64,
    -(2**63) - 1,
    2**200,
    2**64 - 1,
    -(2**63),
    float("inf"),
    float("-inf"),
    0.1,
    None,
    True,
    False,
    {1, 2},
    frozenset({(1, 2), "a"}),
    {(1, "a"): [1], ("x",): {"y": (2,)}},
    {1: "int key", None: "none key"},
    datetime.datetime(2024, 2, 29, 23, 59, 59, 999999),
    datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=-3))),
    datetime.date(1999, 12, 31),
    datetime.timedelta(seconds=5),
    decimal.Decimal("1.10"),
    decimal.Decimal("-0"),
    Point(1, (2, 3)),
    Money(250),
    Name("subclass"),
    collections.Counter("aab"),
    [("key", 1), ("key", 2.5)],
    1 + 2j,
]


def _same(a, b) -> bool:
    """Equal and of the same type, all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return (
            a.keys() == b.keys()
            and all(_same(a[k], b[k]) for k in a)
            and [type(k) for k in a] == [type(k) for k in b]
        )
    if isinstance(a, (set, frozenset)):
        return a == b and sorted(map(repr, a)) == sorted(map(repr, b))
    if isinstance(a, decimal.Decimal):
        return str(a) == str(b)
    return a == b


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_a_value_round_trips_with_its_exact_type(value):
    assert _same(decode(encode(value, "testing")), value)


def test_nan_round_trips():
    assert math.isnan(decode(encode(float("nan"), "testing")))


@pytest.mark.parametrize(
    "records",
    [
        [("a", 1), ("b", 2)],  # pairs: stored as columns
        [("a", (1, 2)), ("b", [3])],  # pairs with nested values
        [(1, 2, 3), (4, 5, 6)],  # triples
        [("a", 1), ("b", 2, 3)],  # mixed widths: rows
        [("a", 1), ["b", 2]],  # tuple and list: rows
        [Point(1, 2), (3, 4)],  # a namedtuple is not a plain tuple
        ["line one", "line two"],
        [],
        [()],
    ],
)
def test_a_block_round_trips(records):
    assert _same(decode_block(encode_block(records, "testing")), records)


def test_an_unserializable_value_names_its_type_and_the_operation():
    with pytest.raises(SerializationError, match=r"_thread\.lock while storing block 'x/1'"):
        encode_block([("key", threading.Lock())], "storing block 'x/1'")


@pytest.mark.parametrize("master", [m for m in MASTERS if m != "local[1]"])  # local[1]: no process boundary
def test_values_cross_worker_processes_unchanged(master):
    values = [v for v in VALUES]
    with spark_context(master, "codec-tests") as sc:
        back = sc.parallelize(values, 3).map(lambda v: (v, type(v).__name__)).collect()
    assert all(_same(got, sent) and name == type(sent).__name__ for (got, name), sent in zip(back, values))


@pytest.mark.parametrize(
    "value", [[("a", 1), ("b", 2)], ["x"], [], ("a", 1), 7, None, {"k": [(1, 2)]}, frozenset()]
)
def test_a_task_result_round_trips_whatever_its_shape(value):
    assert _same(decode_block(encode_value(value, "testing")), value)
