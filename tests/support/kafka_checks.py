"""Checks the Kafka tests share (a module of its own: test modules cannot import conftest)."""

from __future__ import annotations

import pytest

from ember.testing import advance_batches


def first_batch_fails(ssc, error: type[BaseException], match: str) -> None:
    """Start ``ssc``, run one batch, and check that it failed with ``error`` matching ``match``."""
    ssc.start()
    try:
        with pytest.raises(error, match=match):
            advance_batches(ssc, 1)
    finally:
        ssc.stop(stopSparkContext=False)
