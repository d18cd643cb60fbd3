"""Output operations: pprint byte for byte, foreachRDD's two shapes, file output and sources
that come from plugins."""

from __future__ import annotations

import datetime
import importlib.util
import os
import re
import time

import pytest

from ember.plugins.errors import MissingPluginError, install_command
from ember.testing import advance_batches, manual_streaming_context

PPRINT_EXPECTED = """\
-------------------------------------------
Time: 1970-01-01 00:00:00.500000
-------------------------------------------
0
1
2
3
4
5
6
7
8
9
...

-------------------------------------------
Time: 1970-01-01 00:00:00.500000
-------------------------------------------
0
1
2
...

-------------------------------------------
Time: 1970-01-01 00:00:01
-------------------------------------------
(1, 'a')

-------------------------------------------
Time: 1970-01-01 00:00:01
-------------------------------------------
(1, 'a')

-------------------------------------------
Time: 1970-01-01 00:00:01.500000
-------------------------------------------

-------------------------------------------
Time: 1970-01-01 00:00:01.500000
-------------------------------------------

"""


@pytest.fixture
def utc(monkeypatch):
    """Batch times print in local time, as in PySpark: pin the zone so the text is known."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_pprint_prints_what_pyspark_prints(sc, capsys, utc):
    ssc = manual_streaming_context(sc, 0.5)
    stream = ssc.queueStream([list(range(12)), [(1, "a")], []])
    stream.pprint()
    stream.pprint(3)
    ssc.start()
    advance_batches(ssc, 3)
    ssc.stop(stopSparkContext=False)
    assert capsys.readouterr().out == PPRINT_EXPECTED


def test_pprint_rejects_a_non_integer_count(local_sc):
    with pytest.raises(TypeError, match="pprint\\(num\\) expects an int"):
        manual_streaming_context(local_sc, 1).queueStream([[1]]).pprint("3")


def test_foreach_rdd_and_transform_take_the_time_when_asked(local_sc, utc):
    ssc = manual_streaming_context(local_sc, 1)
    stream = ssc.queueStream([[1], [2]])
    seen = []
    stream.foreachRDD(lambda rdd: seen.append(("rdd", rdd.collect())))
    stream.foreachRDD(lambda t, rdd: seen.append((t, rdd.collect())))
    stream.transform(lambda t, rdd: rdd.map(lambda x: (t.second, x))).foreachRDD(
        lambda rdd: seen.append(("transformed", rdd.collect()))
    )
    ssc.start()
    advance_batches(ssc, 2)
    ssc.stop(stopSparkContext=False)
    assert seen == [
        ("rdd", [1]),
        (datetime.datetime(1970, 1, 1, 0, 0, 1), [1]),
        ("transformed", [(1, 1)]),
        ("rdd", [2]),
        (datetime.datetime(1970, 1, 1, 0, 0, 2), [2]),
        ("transformed", [(2, 2)]),
    ]


@pytest.mark.parametrize("func", [lambda: None, lambda a, b, c: None, "not a function"])
def test_foreach_rdd_rejects_functions_of_the_wrong_shape(local_sc, func):
    stream = manual_streaming_context(local_sc, 1).queueStream([[1]])
    with pytest.raises(TypeError, match="foreachRDD\\(\\) expects a function"):
        stream.foreachRDD(func)


def test_save_as_text_files_names_directories_by_batch_time(sc, tmp_path):
    ssc = manual_streaming_context(sc, 1, start_ms=5000)
    stream = ssc.queueStream([["a", "b"], ["c"]])
    if importlib.util.find_spec("ember_sink_files") is None:
        with pytest.raises(MissingPluginError, match="ember-sink-files"):
            stream.saveAsTextFiles(str(tmp_path / "out"), "txt")
        return
    stream.saveAsTextFiles(str(tmp_path / "out"), "txt")
    ssc.start()
    advance_batches(ssc, 2)
    ssc.stop(stopSparkContext=False)
    assert sorted(os.listdir(tmp_path)) == ["out-6000.txt", "out-7000.txt"]


@pytest.mark.parametrize(
    "create, distribution",
    [
        (lambda ssc, d: ssc.socketTextStream("localhost", 9), "ember-socket"),
        (lambda ssc, d: ssc.textFileStream(d), "ember-files"),
        (lambda ssc, d: ssc.binaryRecordsStream(d, 4), "ember-files"),
    ],
)
def test_plugin_sources_give_a_stream_or_name_the_package_to_install(
    local_sc, tmp_path, create, distribution
):
    ssc = manual_streaming_context(local_sc, 1)
    module = "ember_" + distribution.removeprefix("ember-")
    if importlib.util.find_spec(module) is None:
        with pytest.raises(MissingPluginError, match=re.escape(install_command(distribution))):
            create(ssc, str(tmp_path))
    else:
        from ember.streaming import InputDStream

        assert isinstance(create(ssc, str(tmp_path)), InputDStream)


def test_foreach_rdd_takes_callables_python_cannot_inspect(local_sc, capsys):
    ssc = manual_streaming_context(local_sc, 1)
    ssc.queueStream([[1]]).foreachRDD(print)  # a builtin: called with the RDD alone
    ssc.start()
    advance_batches(ssc)
    ssc.stop(stopSparkContext=False)
    assert capsys.readouterr().out.startswith("ParallelCollectionRDD")


def test_the_graph_is_frozen_at_start(local_sc):
    from ember import StorageLevel

    ssc = manual_streaming_context(local_sc, 1)
    stream = ssc.queueStream([[1]])
    stream.pprint()
    ssc.start()
    with pytest.raises(RuntimeError, match="Changing the storage level of a DStream after starting"):
        stream.persist(StorageLevel.MEMORY_ONLY)
    with pytest.raises(RuntimeError, match="Changing the checkpoint interval of a DStream after starting"):
        stream.checkpoint(2)
    ssc.stop(stopSparkContext=False)
