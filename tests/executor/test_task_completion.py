"""TaskContext.addTaskCompletionListener: what a task opened is closed when the task ends,
succeeded or failed, on the task's own thread (the newest listener first), so a read the task
gave up part way is not left for the garbage collector."""

from __future__ import annotations

import pytest

from ember import TaskContext


def marking_reader(records, marks):
    """Yields ``records``; writes "closed" to ``marks`` when closed or finished."""
    try:
        yield from records
    finally:
        with open(marks, "a", encoding="utf-8") as out:
            out.write("closed\n")


def test_a_read_given_up_by_a_failing_task_is_closed_when_the_task_ends(sc, tmp_path):
    marks = tmp_path / "marks"

    def fails_at_two(iterator):
        reader = marking_reader(iterator, marks)
        TaskContext.get().addTaskCompletionListener(lambda _: reader.close())
        return (1 // (x - 2) for x in reader)  # raises at 2, with the reader part read

    with pytest.raises(ZeroDivisionError):
        sc.parallelize([1, 2, 3], 1).mapPartitions(fails_at_two).collect()
    # closed by the task's end, not by the collector: the traceback still holds the reader
    assert marks.read_text(encoding="utf-8") == "closed\n"


def test_listeners_run_newest_first_after_a_task_that_succeeded(sc, tmp_path):
    marks = tmp_path / "marks"

    def listened(iterator):
        context = TaskContext.get()
        for name in ("first", "second"):
            context.addTaskCompletionListener(
                lambda ctx, name=name: marks.open("a", encoding="utf-8").write(
                    f"{name} {ctx.partitionId()}\n"
                )
            )
        return iterator

    assert sc.parallelize([1, 2], 1).mapPartitions(listened).collect() == [1, 2]
    assert marks.read_text(encoding="utf-8") == "second 0\nfirst 0\n"


def test_a_listener_that_fails_fails_the_task_that_had_succeeded(sc):
    def broken_listener(iterator):
        TaskContext.get().addTaskCompletionListener(lambda _: 1 / 0)
        return iterator

    with pytest.raises(ZeroDivisionError):
        sc.parallelize([1], 1).mapPartitions(broken_listener).collect()
