"""saveAsTextFiles: Spark's directory layout, and a batch written again replaces itself."""

from __future__ import annotations

import os

import pytest

from ember.streaming.sink_output import write_batch
from ember_sink_files.text import TextFilesSink


def batch_directories(parent) -> list[str]:
    return sorted(os.listdir(parent))


def test_each_batch_is_a_directory_named_as_pyspark_names_it(ssc, collect, tmp_path):
    prefix = str(tmp_path / "out" / "counts")
    stream = ssc.queueStream([[1, 2, 3], [], ["é", b"raw"]], oneAtATime=True)
    stream.saveAsTextFiles(prefix, "txt")
    seen = collect(stream)
    ssc.start()
    seen.wait_for(lambda c: len(c.batches) >= 3)
    ssc.stop(stopSparkContext=False)
    names = batch_directories(tmp_path / "out")
    assert len(names) >= 3 and all(n.startswith("counts-") and n.endswith(".txt") for n in names)
    times = [int(n[len("counts-") : -len(".txt")]) for n in names]
    assert all(later - earlier == 100 for earlier, later in zip(times, times[1:]))
    first, second, third = (tmp_path / "out" / n for n in names[:3])
    assert "_SUCCESS" in os.listdir(first) and (first / "_SUCCESS").read_bytes() == b""
    parts = sorted(p for p in os.listdir(first) if p.startswith("part-"))
    assert parts == [f"part-{i:05d}" for i in range(len(parts))]
    assert b"".join((first / p).read_bytes() for p in parts) == b"1\n2\n3\n"
    assert (
        b"".join((third / p).read_bytes() for p in sorted(os.listdir(third)) if p.startswith("part-"))
        == "é\nraw\n".encode()
    )


def test_without_suffix_the_name_has_no_dot(tmp_path):
    assert TextFilesSink(str(tmp_path / "p")).directory_for(1500) == str(tmp_path / "p-1500")
    assert TextFilesSink(f"file://{tmp_path}/p", "").directory_for(7) == f"{tmp_path}/p-7"
    with pytest.raises(ValueError, match="local paths"):
        TextFilesSink("hdfs://nn/p")


def test_a_batch_written_again_replaces_its_output_and_leaves_no_temporaries(sc, tmp_path):
    sink = TextFilesSink(str(tmp_path / "run"))
    write_batch(sink, 1000, sc.parallelize(["a", "b", "c"], 3))
    write_batch(sink, 1000, sc.parallelize(["x"], 1))
    assert batch_directories(tmp_path) == ["run-1000"]
    assert sorted(os.listdir(tmp_path / "run-1000")) == ["_SUCCESS", "part-00000"]
    assert (tmp_path / "run-1000" / "part-00000").read_text() == "x\n"


def test_a_failing_batch_leaves_neither_output_nor_temporaries(sc, tmp_path):
    sink = TextFilesSink(str(tmp_path / "run"))

    def explode(value):
        raise RuntimeError(f"bad record {value}")

    with pytest.raises(RuntimeError, match="bad record"):
        write_batch(sink, 2000, sc.parallelize([1, 2], 2).map(explode))
    assert batch_directories(tmp_path) == []
