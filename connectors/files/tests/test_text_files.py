"""SparkContext.textFile and wholeTextFiles through ember-files: the files, lines, partitions
and errors PySpark 4.3 gave for the same directory tree.  minPartitions defaults to
min(defaultParallelism, 2), which differs between masters, so the tests give it."""

import gzip
import os

import pytest


@pytest.fixture
def tree(tmp_path):
    def write(name, data):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        return str(path)

    write("in/b.txt", "b1\nb2\nb3\n")
    write("in/a.txt", "a1\r\na2\ra3")
    write("in/c.log", "c1\n\nc3\n")
    write("in/_hidden", "h\n")
    write("in/.dot", "d\n")
    write("other/z.txt", "z1\nz2\n")
    write("empty/e.txt", "")
    write("gz/g.txt.gz", gzip.compress(b"g1\ng2\n"))
    write("big.txt", "".join(f"line{i:03d}\n" for i in range(200)))
    write("bad/v.txt", b"\xff\xfeab\n")
    return tmp_path


def test_a_file_is_cut_into_hadoop_splits(sc, tree):
    lines = sc.textFile(str(tree / "in/b.txt"), 2)
    assert lines.getNumPartitions() == 3
    assert lines.glom().collect() == [["b1", "b2"], ["b3"], []]
    big = str(tree / "big.txt")
    assert sc.textFile(big, 2).getNumPartitions() == 2 and sc.textFile(big, 1).getNumPartitions() == 1
    assert (
        sc.textFile(big, 0).getNumPartitions()
        == sc.textFile(big).getNumPartitions()
        == sc.defaultMinPartitions
    )
    parts = sc.textFile(big, 7).glom().collect()
    assert [len(p) for p in parts] == [29, 29, 28, 29, 28, 29, 28]
    assert [p[0] for p in parts] == [
        "line000",
        "line029",
        "line058",
        "line086",
        "line115",
        "line143",
        "line172",
    ]
    assert [line for part in parts for line in part] == [f"line{i:03d}" for i in range(200)]


def test_directories_globs_urls_and_lists(sc, tree):
    # a directory's files come in its own listing order, as Hadoop lists them
    assert sorted(sc.textFile(str(tree / "in")).collect()) == [
        "",
        "a1",
        "a2",
        "a3",
        "b1",
        "b2",
        "b3",
        "c1",
        "c3",
    ]
    assert sc.textFile(str(tree / "in/*.txt")).collect() == ["a1", "a2", "a3", "b1", "b2", "b3"]
    assert sc.textFile(f"{tree}/other,{tree}/in/b.txt").collect() == ["z1", "z2", "b1", "b2", "b3"]
    assert sc.textFile(f"file://{tree}/in/b.txt").collect() == ["b1", "b2", "b3"]
    assert sc.textFile(str(tree / "gz")).glom().collect() == [["g1", "g2"]]
    empty = sc.textFile(str(tree / "empty"))
    assert (empty.getNumPartitions(), empty.collect()) == (0, [])


def test_bytes_and_text_that_is_not_utf8(sc, tree):
    assert sc.textFile(str(tree / "in/b.txt"), use_unicode=False).collect() == [b"b1", b"b2", b"b3"]
    assert sc.textFile(str(tree / "bad")).collect() == ["\ufffd\ufffdab"]


def test_missing_inputs_and_nested_directories(sc, tree):
    with pytest.raises(FileNotFoundError, match=f"^Input path does not exist: file:{tree}/nope$"):
        sc.textFile(str(tree / "nope"))
    with pytest.raises(FileNotFoundError, match=rf"^Input Pattern file:{tree}/nope\* matches 0 files$"):
        sc.textFile(str(tree / "nope*"))
    (tree / "in/sub").mkdir()
    with pytest.raises(
        IsADirectoryError,
        match=f"^Path: {tree}/in/sub is a directory, which is not " "supported by the record reader when",
    ):
        sc.textFile(str(tree / "in"))


def test_whole_text_files(sc, tree):
    (tree / "in/sub").mkdir()  # skipped, as Spark's CombineFileInputFormat skips it
    files = sc.wholeTextFiles(str(tree / "in"), 2)
    assert files.getNumPartitions() == 2
    assert sorted(files.collect()) == [
        (f"file:{tree}/in/a.txt", "a1\r\na2\ra3"),
        (f"file:{tree}/in/b.txt", "b1\nb2\nb3\n"),
        (f"file:{tree}/in/c.log", "c1\n\nc3\n"),
    ]
    assert sc.wholeTextFiles(str(tree / "in/b.txt")).collect() == [(f"file:{tree}/in/b.txt", "b1\nb2\nb3\n")]
    assert sc.wholeTextFiles(f"{tree}/other,{tree}/in/b.txt").keys().collect() == [
        f"file:{tree}/other/z.txt",
        f"file:{tree}/in/b.txt",
    ]
    assert sc.wholeTextFiles(str(tree / "in/b.txt"), use_unicode=False).collect() == [
        (f"file:{tree}/in/b.txt".encode(), b"b1\nb2\nb3\n")
    ]
    assert sc.wholeTextFiles(str(tree / "gz")).values().collect() == ["g1\ng2\n"]
    with pytest.raises(FileNotFoundError, match=f"^Input path does not exist: file:{tree}/nope$"):
        sc.wholeTextFiles(str(tree / "nope"))


def test_whole_text_files_packs_files_in_listing_order(sc, tmp_path):
    """Three files of 9, 8 and 10 bytes into partitions of at least 27 / 3 = 9 bytes."""
    for name, text in [("b", "b1\nb2\nb3\n"), ("c", "c1\n\nc3\n"), ("a", "a1\r\na2\ra3")]:
        (tmp_path / name).write_text(text)
    listed = [entry.name for entry in os.scandir(tmp_path)]
    groups = sc.wholeTextFiles(str(tmp_path), 3).glom().collect()
    sizes = {"a": 10, "b": 9, "c": 8}
    expected, current = [], []
    for name in listed:  # the directory's own order, as Hadoop lists it
        current.append(name)
        if sum(sizes[n] for n in current) >= 9:
            expected.append(current)
            current = []
    expected += [current] if current else []
    assert [[key.rsplit("/", 1)[1] for key, _ in group] for group in groups] == expected
