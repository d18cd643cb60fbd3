"""The deterministic Zipf corpus every workload reads (cached under bench/results/)."""

from __future__ import annotations

import itertools
import os
import random

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
VOCABULARY = 50_000
ZIPF_EXPONENT = 1.0
WORDS_PER_LINE = range(5, 16)  # mean 10: 1M lines are about 10M words


def _word(rank: int) -> str:
    """A pronounceable-looking word for a rank: short words for frequent ranks, as in text."""
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    word = ""
    rank += 1
    while rank:
        rank, digit = divmod(rank - 1, 26)
        word += letters[digit]
    return word


def corpus_path(lines: int = 1_000_000, seed: int = 42) -> str:
    """The file ``corpus`` caches its lines in (one line each, no final newline)."""
    return os.path.join(RESULTS_DIR, f"corpus-{lines}-{seed}.txt")


def corpus(lines: int = 1_000_000, seed: int = 42) -> list[str]:
    """``lines`` lines of Zipf-distributed words; the same list for the same arguments."""
    path = corpus_path(lines, seed)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as cached:
            return cached.read().split("\n")
    rng = random.Random(seed)
    words = [_word(rank) for rank in range(VOCABULARY)]
    weights = list(itertools.accumulate(1 / (rank + 1) ** ZIPF_EXPONENT for rank in range(VOCABULARY)))
    lengths = rng.choices(WORDS_PER_LINE, k=lines)
    drawn = iter(rng.choices(words, cum_weights=weights, k=sum(lengths)))
    text = [" ".join(itertools.islice(drawn, length)) for length in lengths]
    os.makedirs(RESULTS_DIR, exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as out:
        out.write("\n".join(text))
    os.replace(path + ".tmp", path)
    return text


def batches(lines: list[str], size: int) -> list[list[str]]:
    return [lines[i : i + size] for i in range(0, len(lines), size)]
