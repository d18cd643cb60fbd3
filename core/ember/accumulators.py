"""Accumulators: values tasks add to and only the driver reads.

A task adds into its own TaskContext; the driver merges a task's updates once, when that
task's successful attempt returns, so failed and retried attempts never count twice.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from ember.executor.base import TaskContext

T = TypeVar("T")


class AccumulatorParam(Generic[T]):
    """How to make a zero and add two values; subclass it for custom accumulators."""

    def zero(self, value: T) -> T:
        raise NotImplementedError

    def addInPlace(self, value1: T, value2: T) -> T:
        raise NotImplementedError


class AddingAccumulatorParam(AccumulatorParam):
    """The param for numbers: zero is ``zero_value``, adding is ``+=``."""

    def __init__(self, zero_value):
        self.zero_value = zero_value

    def zero(self, value):
        return self.zero_value

    def addInPlace(self, value1, value2):
        value1 += value2
        return value1


INT_ACCUMULATOR_PARAM = AddingAccumulatorParam(0)
FLOAT_ACCUMULATOR_PARAM = AddingAccumulatorParam(0.0)
COMPLEX_ACCUMULATOR_PARAM = AddingAccumulatorParam(0.0j)


class Accumulator(Generic[T]):
    def __init__(self, aid: int, value: T, accum_param: AccumulatorParam[T]):
        self.aid = aid
        self.accum_param = accum_param
        self._value = value

    @property
    def value(self) -> T:
        if TaskContext.get() is not None:
            raise RuntimeError("Accumulator.value cannot be accessed inside tasks")
        return self._value

    @value.setter
    def value(self, value: T) -> None:
        if TaskContext.get() is not None:
            raise RuntimeError("Accumulator.value cannot be accessed inside tasks")
        self._value = value

    def add(self, term: T) -> None:
        context = TaskContext.get()
        if context is None:
            self._value = self.accum_param.addInPlace(self._value, term)
            return
        updates = context.accumulator_updates
        current = updates[self.aid] if self.aid in updates else self.accum_param.zero(self._value)
        updates[self.aid] = self.accum_param.addInPlace(current, term)

    def __iadd__(self, term: T) -> Accumulator[T]:
        self.add(term)
        return self

    def __reduce__(self):
        # Tasks get an accumulator holding only the zero: its driver value is not theirs to see.
        return (Accumulator, (self.aid, self.accum_param.zero(self._value), self.accum_param))

    def __str__(self) -> str:
        return str(self._value)

    def __repr__(self) -> str:
        return f"Accumulator<id={self.aid}, value={self._value}>"


def default_param_for(value: Any) -> AccumulatorParam:
    """PySpark's choice of param for a plain value; anything else needs an explicit param."""
    if isinstance(value, bool) or not isinstance(value, (int, float, complex)):
        raise TypeError(
            f"No default accumulator param for type {type(value).__name__}: "
            "pass an AccumulatorParam as the second argument"
        )
    if isinstance(value, int):
        return INT_ACCUMULATOR_PARAM
    if isinstance(value, float):
        return FLOAT_ACCUMULATOR_PARAM
    return COMPLEX_ACCUMULATOR_PARAM
