"""The user functions of every workload, shared by ember, PySpark and the plain loop."""

from __future__ import annotations


def split_line(line: str) -> list[str]:
    return line.split()


def to_pair(word: str) -> tuple[str, int]:
    return (word, 1)


def add(a: int, b: int) -> int:
    return a + b


def subtract(a: int, b: int) -> int:
    return a - b


def update_count(new_values: list[int], state: int | None) -> int:
    return sum(new_values) + (state or 0)


def positive(pair: tuple[str, int]) -> bool:
    return pair[1] > 0
