"""A streaming test module written the way PySpark's own are (a unittest base class with a
SparkContext and its checkpoint directory per class, a StreamingContext per test, queueStream
inputs, a ``_test_func`` runner waiting on the real clock), which runs on PySpark 4.3 and on
ember with only the two imports below changed.  The expected values are PySpark's: the module
was run on PySpark with ``from pyspark import ...`` and ``from pyspark.streaming import ...``.

No test calls ``ssc.checkpoint()``: stateful and inverse-window streams run on the
SparkContext's checkpoint directory, as they do in Spark.
"""

import operator
import shutil
import tempfile
import time
import unittest

from ember import RDD, SparkConf, SparkContext  # on PySpark: from pyspark import ...
from ember.streaming import StreamingContext  # on PySpark: from pyspark.streaming import ...


class StreamingTestCase(unittest.TestCase):
    timeout = 30  # seconds to wait for the expected number of batches
    duration = 0.5  # the batch interval

    @classmethod
    def setUpClass(cls):
        conf = SparkConf().setMaster("local[2]").setAppName(cls.__name__)
        conf.set("spark.default.parallelism", 1)
        cls.sc = SparkContext(conf=conf)
        cls.checkpoint_root = tempfile.mkdtemp()
        cls.sc.setCheckpointDir(cls.checkpoint_root)

    @classmethod
    def tearDownClass(cls):
        cls.sc.stop()
        shutil.rmtree(cls.checkpoint_root, ignore_errors=True)

    def setUp(self):
        self.ssc = StreamingContext(self.sc, self.duration)

    def tearDown(self):
        self.ssc.stop(False)

    def wait_for(self, result, n):
        deadline = time.time() + self.timeout
        while len(result) < n and time.time() < deadline:
            time.sleep(0.01)

    def _collect(self, dstream, n):
        """The first ``n`` non-empty batches of ``dstream``, each collected."""
        result = []

        def get_output(_, rdd):
            if rdd and len(result) < n:
                records = rdd.collect()
                if records:
                    result.append(records)

        dstream.foreachRDD(get_output)
        self.ssc.start()
        self.wait_for(result, n)
        return result

    def _test_func(self, input, func, expected, sort=False, input2=None):
        """Feed ``input`` (one list per batch) through ``func`` and compare the batches."""
        if not isinstance(input[0], RDD):
            input = [self.sc.parallelize(d, 1) for d in input]
        stream = self.ssc.queueStream(input)
        if input2 is not None:
            if not isinstance(input2[0], RDD):
                input2 = [self.sc.parallelize(d, 1) for d in input2]
            result_stream = func(stream, self.ssc.queueStream(input2))
        else:
            result_stream = func(stream)
        result = self._collect(result_stream, len(expected))
        if sort:
            for batch in result + expected:
                batch.sort(key=lambda record: record[0])
        self.assertEqual(expected, result)


class BasicOperationTests(StreamingTestCase):
    def test_map(self):
        input = [range(1, 5), range(5, 9), range(9, 13)]
        self._test_func(input, lambda d: d.map(str), [list(map(str, x)) for x in input])

    def test_flat_map(self):
        input = [range(1, 5), range(5, 9)]
        self._test_func(
            input,
            lambda d: d.flatMap(lambda x: (x, x * 2)),
            [[1, 2, 2, 4, 3, 6, 4, 8], [5, 10, 6, 12, 7, 14, 8, 16]],
        )

    def test_filter(self):
        input = [range(1, 5), range(5, 9), range(9, 13)]
        self._test_func(input, lambda d: d.filter(lambda x: x % 2 == 0), [[2, 4], [6, 8], [10, 12]])

    def test_count(self):
        input = [range(5), range(10), range(20)]
        self._test_func(input, lambda d: d.count(), [[5], [10], [20]])

    def test_reduce(self):
        input = [range(1, 5), range(5, 9)]
        self._test_func(input, lambda d: d.reduce(operator.add), [[10], [26]])

    def test_reduce_by_key(self):
        input = [
            [("a", 1), ("a", 1), ("b", 1), ("b", 1)],
            [("", 1), ("", 1), ("", 1), ("", 1)],
            [(1, 1), (1, 1), (2, 1), (2, 1), (3, 1)],
        ]
        self._test_func(
            input,
            lambda d: d.reduceByKey(operator.add),
            [[("a", 2), ("b", 2)], [("", 4)], [(1, 2), (2, 2), (3, 1)]],
            sort=True,
        )

    def test_map_values_and_flat_map_values(self):
        input = [[("a", 2), ("b", 3)], [("c", 1)]]
        self._test_func(
            input,
            lambda d: d.mapValues(lambda v: v * 10).flatMapValues(lambda v: (v, v + 1)),
            [[("a", 20), ("a", 21), ("b", 30), ("b", 31)], [("c", 10), ("c", 11)]],
        )

    def test_glom_and_map_partitions(self):
        rdds = [self.sc.parallelize(range(1, 5), 2), self.sc.parallelize(range(5, 9), 2)]
        self._test_func(
            rdds, lambda d: d.mapPartitions(lambda it: [sum(it)]).glom(), [[[3], [7]], [[11], [15]]]
        )

    def test_count_by_value(self):
        input = [[1, 1, 2, 2], [3, 4]]
        self._test_func(input, lambda d: d.countByValue(), [[(1, 2), (2, 2)], [(3, 1), (4, 1)]], sort=True)

    def test_group_by_key(self):
        input = [[(1, 1), (2, 1), (3, 1), (4, 1)], [(1, 1), (1, 1), (1, 1), (2, 1), (2, 1), (3, 1)]]
        self._test_func(
            input,
            lambda d: d.groupByKey().mapValues(list),
            [[(1, [1]), (2, [1]), (3, [1]), (4, [1])], [(1, [1, 1, 1]), (2, [1, 1]), (3, [1])]],
            sort=True,
        )

    def test_union(self):
        input1 = [range(3), range(5), range(6)]
        input2 = [range(3, 6), range(5, 6)]
        self._test_func(
            input1, lambda a, b: a.union(b), [list(range(6)), list(range(6)), list(range(6))], input2=input2
        )

    def test_join_and_cogroup(self):
        input1 = [[("a", 1), ("b", 2)]]
        input2 = [[("b", 3), ("c", 4)]]
        self._test_func(input1, lambda a, b: a.join(b), [[("b", (2, 3))]], input2=input2)
        self.tearDown()
        self.setUp()
        self._test_func(
            input1,
            lambda a, b: a.cogroup(b).mapValues(lambda vs: tuple(map(list, vs))),
            [[("a", ([1], [])), ("b", ([2], [3])), ("c", ([], [4]))]],
            sort=True,
            input2=input2,
        )

    def test_transform(self):
        input = [range(1, 5), range(5, 9)]
        self._test_func(
            input,
            lambda d: d.transform(lambda rdd: rdd.map(lambda x: -x).sortBy(abs)),
            [[-1, -2, -3, -4], [-5, -6, -7, -8]],
        )


class StatefulTests(StreamingTestCase):
    def test_update_state_by_key(self):
        def updater(values, state):
            return (state or []) + values

        input = [[("k", i)] for i in range(5)]
        self._test_func(
            input,
            lambda d: d.updateStateByKey(updater),
            [
                [("k", [0])],
                [("k", [0, 1])],
                [("k", [0, 1, 2])],
                [("k", [0, 1, 2, 3])],
                [("k", [0, 1, 2, 3, 4])],
            ],
        )

    def test_update_state_by_key_drops_keys_whose_state_is_none(self):
        def counter(values, state):
            total = (state or 0) + sum(values)
            return None if total >= 3 else total

        input = [[("a", 1), ("b", 2)], [("a", 1), ("b", 1)], [("a", 1)]]
        self._test_func(
            input, lambda d: d.updateStateByKey(counter), [[("a", 1), ("b", 2)], [("a", 2)]], sort=True
        )


class WindowTests(StreamingTestCase):
    timeout = 20

    def test_window(self):
        input = [range(1), range(2), range(3), range(4), range(5)]
        self._test_func(input, lambda d: d.window(1.5, 0.5).count(), [[1], [3], [6], [9], [12], [9], [5]])

    def test_count_by_window(self):
        input = [range(1), range(2), range(3), range(4), range(5)]
        self._test_func(input, lambda d: d.countByWindow(1.5, 0.5), [[1], [3], [6], [9], [12], [9], [5]])

    def test_count_by_window_sliding_two_batches(self):
        input = [range(1), range(2), range(3), range(4), range(5), range(6)]
        self._test_func(input, lambda d: d.countByWindow(1.5, 1), [[3], [9], [15], [6]])

    def test_reduce_by_key_and_window_with_inverse(self):
        input = [[("a", i)] for i in range(5)]
        self._test_func(
            input,
            lambda d: d.reduceByKeyAndWindow(operator.add, operator.sub, 1.5, 0.5),
            [[("a", 0)], [("a", 1)], [("a", 3)], [("a", 6)], [("a", 9)], [("a", 7)], [("a", 4)]],
        )

    def test_reduce_by_window(self):
        input = [range(1, 3), range(3, 5)]
        self._test_func(
            input, lambda d: d.reduceByWindow(operator.add, operator.sub, 1, 0.5), [[3], [10], [7]]
        )

    def test_count_by_value_and_window(self):
        input = [range(1), range(2), range(3), range(4), range(5), range(6)]
        self._test_func(
            input,
            lambda d: d.countByValueAndWindow(2.5, 0.5).count(),
            [[1], [2], [3], [4], [5], [6], [6], [6], [6], [6]],
        )

    def test_group_by_key_and_window(self):
        input = [[("a", i)] for i in range(5)]
        self._test_func(
            input,
            lambda d: d.groupByKeyAndWindow(1.5, 0.5).mapValues(sorted),
            [
                [("a", [0])],
                [("a", [0, 1])],
                [("a", [0, 1, 2])],
                [("a", [1, 2, 3])],
                [("a", [2, 3, 4])],
                [("a", [3, 4])],
                [("a", [4])],
            ],
        )


if __name__ == "__main__":
    unittest.main()
