"""Near-duplicate keys: MinHash LSH bands over a text's word shingles (datasketch's MinHash).

Syndicated copies and light rewrites of one article share most of their word pairs; two
articles whose shingle sets have Jaccard similarity s share at least one of BANDS bands with
probability 1 - (1 - s**ROWS)**BANDS (about 0.65 at s = 0.5, 0.96 at s = 0.7, 0.06 at s = 0.2).
The bands are index tokens, so a copy finds its original through the same candidate index as
any other evidence, and the share of bands two articles have in common estimates how alike
they are. Cost: one CRC-32 per shingle plus datasketch's vectorised permutations, about 0.15 ms
per article (benchmarks/matching_gva.py prints it).
"""

from __future__ import annotations

import itertools
import re
import zlib
from typing import Final

from datasketch import MinHash

# Eight index tokens per article (each costs a few Redis commands to write and read).
BANDS: Final = 8
ROWS: Final = 3
# A text with fewer distinct shingles than this is too short to call anything its copy.
MIN_SHINGLES: Final = 25
# Shingles looked at per article: a megabyte of text costs no more than a long story.
MAX_SHINGLES: Final = 4_000
# Fixed, so every worker (and every version of one) computes the same bands for one text.
_SEED: Final = 20_180_105
_WORD = re.compile(r"[a-z0-9]+")


def _crc(data: bytes) -> int:
    # datasketch's default (SHA-1) costs several times more; CRC-32 spreads word pairs well
    # enough for MinHash, whose permutations do the mixing.
    return zlib.crc32(data)


# Drawing the permutations costs more than hashing a whole article: draw them once.
_SCHEME: Final = "affine32"
_PERMUTATIONS = MinHash(num_perm=BANDS * ROWS, seed=_SEED, scheme=_SCHEME).permutations


def shingles(text: str) -> set[bytes]:
    """Distinct lower-cased word pairs of the text, at most MAX_SHINGLES."""
    words = _WORD.findall(text.lower())
    out: set[bytes] = set()
    for first, second in itertools.pairwise(words):
        out.add(f"{first} {second}".encode())
        if len(out) >= MAX_SHINGLES:
            break
    return out


def text_bands(text: str) -> list[str]:
    """The text's LSH band keys ("<band>:<hex>"), or none for a text too short to compare."""
    found = shingles(text)
    if len(found) < MIN_SHINGLES:
        return []
    sketch = MinHash(
        num_perm=BANDS * ROWS,
        seed=_SEED,
        hashfunc=_crc,
        permutations=_PERMUTATIONS,
        scheme=_SCHEME,
    )
    sketch.update_batch(list(found))
    values = sketch.hashvalues
    bands = []
    for band in range(BANDS):
        rows = values[band * ROWS : (band + 1) * ROWS]
        digest = zlib.crc32(rows.astype("<u8").tobytes())  # one byte order everywhere
        bands.append(f"{band}:{digest:08x}")
    return bands


def band_overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Share of bands two texts have in common (0 when either has none)."""
    if not a or not b:
        return 0.0
    return len(a & b) / BANDS
