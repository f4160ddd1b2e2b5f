"""Permanent random numbers: one uniform number per municipality from a seed.

The selection never draws from a pseudo-random stream whose output depends on the
order of calls or on the numpy version. Each municipality gets a number that is a
pure function of the seed, a stream name and its code, as in the permanent random
number (PRN) systems that Statistics Sweden uses for its business samples; a random
stage then takes the municipalities with the *smallest* numbers in its list
(sequential simple random sampling, Ohlsson 1995).

The formula (documented here and in every protocol, so that anyone can check a
sample with a few lines in any language):

1. ``message = f"{seed}|{stream}|{code}"`` encoded as UTF-8, where ``seed`` is the
   decimal non-negative integer, ``stream`` the random stage's ``id`` (or the empty
   string when the design uses one ``shared`` number per municipality) and ``code``
   the four-digit municipality code;
2. ``h`` = the 8-byte BLAKE2b digest of ``message`` (``hashlib.blake2b(message,
   digest_size=8)``), read as a big-endian unsigned 64-bit integer;
3. ``k = h >> 12`` (its top 52 bits) and ``u = (2k + 1) / 2**53``.

``u`` lies strictly inside (0, 1), is exactly representable as a double, and is the
midpoint of one of 2**52 equal cells, so it is uniform to within 2**-53.

References
----------
Ohlsson, E. (1995). Coordination of samples using permanent random numbers. In Cox et
al. (eds.), *Business Survey Methods*, 153-169. Wiley.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

__all__ = ["permanent_random_number", "permanent_random_numbers", "PRN_FORMULA"]

#: The formula in words, for protocols and metadata.
PRN_FORMULA = (
    'u = (2·(h >> 12) + 1) / 2^53, h = BLAKE2b-64 (big-endian) of "{seed}|{stream}|{code}" '
    "in UTF-8; stream = the random stage's id (per_stage) or empty (shared)"
)


def permanent_random_number(seed: int, stream: str, code: str) -> float:
    """The permanent random number of one municipality.

    Parameters
    ----------
    seed : int
        A non-negative integer.
    stream : str
        The random stage's id, or ``""`` for the one number shared by all stages.
    code : str
        The municipality's four-digit code.

    Returns
    -------
    float
        A number strictly between 0 and 1.

    Examples
    --------
    >>> import hashlib
    >>> h = int.from_bytes(hashlib.blake2b(b"7|draw|0180", digest_size=8).digest(), "big")
    >>> permanent_random_number(7, "draw", "0180") == ((h >> 12) * 2 + 1) / 2**53
    True
    """
    digest = hashlib.blake2b(f"{seed}|{stream}|{code}".encode(), digest_size=8).digest()
    return (((int.from_bytes(digest, "big") >> 12) << 1) + 1) / 2**53


def permanent_random_numbers(seed: int, stream: str, codes: Iterable[str]) -> np.ndarray:
    """:func:`permanent_random_number` for each code, as a float64 array."""
    return np.array([permanent_random_number(seed, stream, c) for c in codes], dtype=np.float64)
