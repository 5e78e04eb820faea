"""The LSH index of the articles a new one is compared with: MinHash banding, as datasketch's MinHashLSH
does it, kept in plain dicts.

An article's 128 MinHash values are cut into BANDS bands of ROWS values; two articles are candidates when
any band is equal in both. With 48 bands of 2 values a pair of Jaccard similarity 0.25 is a candidate with
probability 0.955, of 0.12 0.5, and two unrelated articles (about 0.04) 0.07 (`grouping` holds the
thresholds). datasketch's `MinHashLSH` (`params=(48, 2)`) returns the same candidates, and a test checks
that it does; but it serialises every band to bytes (a byteswap and a copy) for its pluggable storages,
and inserting, querying and forgetting took 60 % of a regrouping. Here a band's two 32-bit values are
one 64-bit integer, computed for all bands in one numpy operation.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from datasketch import LeanMinHash

BANDS, ROWS = 48, 2


def band_keys(signature: LeanMinHash) -> list[int]:
    """The article's value in each band: its two 32-bit hash values as one 64-bit integer."""
    values = np.asarray(signature.hashvalues, dtype=np.uint32)[:BANDS * ROWS]
    return np.ascontiguousarray(values).view(np.uint64).tolist()


class BandIndex:
    """Articles by band value: insert, remove and query in a few dict operations per band."""

    def __init__(self) -> None:
        self.tables: list[dict[int, set[int]]] = [{} for _ in range(BANDS)]
        self.keys_of: dict[int, list[int]] = {}

    def __contains__(self, article_id: int) -> bool:
        return article_id in self.keys_of

    def __len__(self) -> int:
        return len(self.keys_of)

    def __iter__(self) -> Iterator[int]:
        return iter(self.keys_of)

    def insert(self, article_id: int, signature: LeanMinHash) -> None:
        keys = band_keys(signature)
        self.keys_of[article_id] = keys
        for table, key in zip(self.tables, keys, strict=True):
            if (ids := table.get(key)) is None:
                table[key] = {article_id}
            else:
                ids.add(article_id)

    def remove(self, article_id: int) -> None:
        for table, key in zip(self.tables, self.keys_of.pop(article_id), strict=True):
            ids = table[key]
            ids.discard(article_id)
            if not ids:
                del table[key]

    def query(self, signature: LeanMinHash) -> set[int]:
        """The articles equal to the signature in at least one band."""
        found: set[int] = set()
        for table, key in zip(self.tables, band_keys(signature), strict=True):
            if ids := table.get(key):
                found |= ids
        return found
