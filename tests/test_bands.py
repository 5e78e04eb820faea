"""The stories' LSH index returns exactly the candidates datasketch's MinHashLSH returns with the same
banding (48 bands of 2 values), as articles come and go."""

from __future__ import annotations

import random

from datasketch import MinHashLSH

from avtomon.stories.bands import BANDS, ROWS, BandIndex
from avtomon.stories.signature import NUM_PERM, minhash


def test_band_index_returns_what_minhash_lsh_returns() -> None:
    rng = random.Random(5)
    words = [f"слово{i}" for i in range(3000)]
    weights = [1 / (i + 1) ** 0.8 for i in range(len(words))]
    sets: list[set[str]] = []
    for _ in range(600):  # unrelated articles, and versions of earlier ones (half their words kept)
        if sets and rng.random() < 0.4:
            base = rng.choice(sets)
            sets.append(set(rng.sample(sorted(base), len(base) // 2)) | set(rng.choices(words, weights, k=30)))
        else:
            sets.append(set(rng.choices(words, weights, k=rng.randint(40, 110))))
    marks = [minhash(s) for s in sets]
    ours = BandIndex()
    theirs = MinHashLSH(threshold=0.1, num_perm=NUM_PERM, params=(BANDS, ROWS))
    for n, mark in enumerate(marks[:400]):
        ours.insert(n, mark)
        theirs.insert(n, mark)
    for n in range(0, 400, 3):  # articles leave the window
        ours.remove(n)
        theirs.remove(n)
    assert len(ours) == 400 - len(range(0, 400, 3)) and 0 not in ours and 1 in ours
    found = 0
    for mark in marks:
        expected = set(theirs.query(mark))
        assert ours.query(mark) == expected
        found += len(expected)
    assert found > 600  # the versions and chance collisions: the comparison is not of empty answers
