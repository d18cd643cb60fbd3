"""Cutting a TCP byte stream into lines: endings split across reads, bad bytes, huge lines."""

import time

from ember_socket.lines import Backoff, LineDecoder


def decode(chunks):
    problems = []
    decoder = LineDecoder(problems.append)
    lines = [line for chunk in chunks for line in decoder.feed(chunk)]
    return lines + decoder.finish(), problems


def test_line_endings_as_java_readline_even_when_split_between_reads():
    lines, problems = decode([b"a\nb\r", b"\nc\rd\r\n", b"\n", b"e"])
    assert lines == ["a", "b", "c", "d", "", "e"]
    assert problems == []


def test_partial_last_line_is_a_line_and_empty_input_has_none():
    assert decode([b"one\ntw", b"o"])[0] == ["one", "two"]
    assert decode([b""])[0] == []
    assert decode([b"x\r"])[0] == ["x"]


def test_invalid_utf8_is_replaced_and_reported_with_its_stream_offset():
    lines, problems = decode([b"ok\n", b"caf\xc3\xa9 \xff\xfebad\nnext\n"])
    assert lines == ["ok", "caf\u00e9 \ufffd\ufffdbad", "next"]
    [problem] = problems
    assert problem.stream_offset == len(b"ok\ncaf\xc3\xa9 ")
    assert problem.line_number == 2
    assert "byte 9" in problem.describe() and "line 2" in problem.describe()


def test_a_huge_line_in_many_reads_is_decoded_whole_in_linear_time():
    chunk = b"x" * 65536
    started = time.monotonic()
    lines, _ = decode([chunk] * 320 + [b"\nshort\n"])  # a 20 MiB line
    assert [len(line) for line in lines] == [65536 * 320, 5]
    assert time.monotonic() - started < 5


def test_backoff_doubles_up_to_the_cap_and_resets():
    backoff = Backoff(max_ms=1000, initial_ms=100)
    assert [backoff.next_delay_ms() for _ in range(6)] == [100, 200, 400, 800, 1000, 1000]
    backoff.reset()
    assert backoff.next_delay_ms() == 100


def test_a_character_or_a_line_ending_split_between_reads_is_whole_and_reports_nothing():
    lines, problems = decode([b"caf\xc3", b"\xa9\r", b"\nna\xc3\xafve\r", b"\r", b"x\n"])
    assert lines == ["caf\u00e9", "na\u00efve", "", "x"]
    assert problems == []


def test_bad_bytes_in_a_read_of_many_lines_are_reported_in_their_line():
    lines, problems = decode([b"one\ntwo\n", b"three\nf\xffour\nfive\n\xfe"])
    assert lines == ["one", "two", "three", "f\ufffdour", "five", "\ufffd"]
    assert [(p.stream_offset, p.line_number) for p in problems] == [(15, 4), (25, 6)]
