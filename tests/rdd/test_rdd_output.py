"""saveAsTextFile: Spark's directory layout, written atomically."""

import gzip
import os

import pytest


def read_parts(directory):
    return {name: open(os.path.join(directory, name), "rb").read() for name in sorted(os.listdir(directory))}


def test_save_as_text_file_writes_one_part_per_partition(sc, tmp_path):
    target = tmp_path / "out"
    sc.parallelize([1, "x", b"y", ("a", 2), None], 3).saveAsTextFile(str(target))
    assert read_parts(target) == {
        "_SUCCESS": b"",
        "part-00000": b"1\n",
        "part-00001": b"x\ny\n",
        "part-00002": b"('a', 2)\nNone\n",
    }
    assert os.listdir(tmp_path) == ["out"]  # no temporary directory left behind


def test_empty_partitions_still_get_their_part_file(sc, tmp_path):
    sc.parallelize([], 2).saveAsTextFile(str(tmp_path / "empty"))
    assert read_parts(tmp_path / "empty") == {"_SUCCESS": b"", "part-00000": b"", "part-00001": b""}


def test_gzip_codec(sc, tmp_path):
    codec = "org.apache.hadoop.io.compress.GzipCodec"
    sc.parallelize(["x", "y", 3], 2).saveAsTextFile(str(tmp_path / "gz"), codec)
    assert sorted(os.listdir(tmp_path / "gz")) == ["_SUCCESS", "part-00000.gz", "part-00001.gz"]
    assert gzip.open(tmp_path / "gz" / "part-00001.gz").read() == b"y\n3\n"


def test_existing_output_is_an_error(sc, tmp_path):
    with pytest.raises(FileExistsError, match="already exists"):
        sc.parallelize([1]).saveAsTextFile(str(tmp_path))


def test_unknown_codec_is_an_error(sc, tmp_path):
    with pytest.raises(ValueError, match="unsupported compressionCodecClass 'LzoCodec'"):
        sc.parallelize([1]).saveAsTextFile(str(tmp_path / "x"), "LzoCodec")


def test_a_failed_job_leaves_no_output(sc, tmp_path):
    def broken(x):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        sc.parallelize([1, 2], 2).map(broken).saveAsTextFile(str(tmp_path / "never"))
    assert os.listdir(tmp_path) == []
