"""The type variables of the public API's generic signatures (PySpark's names: ``T`` an element,
``K`` a key, ``V`` a value, ``U`` a result, ``S`` a state), shared by RDD and DStream."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
U = TypeVar("U")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
W = TypeVar("W")
S = TypeVar("S")
