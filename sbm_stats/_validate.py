"""Argument validation shared by the estimation and comparison functions.

Every public function in :mod:`sbm_stats.estimation.proportions` and :mod:`sbm_stats.estimation.compare`
checks its arguments here, once, at the boundary. The helpers raise
:class:`TypeError` for a value of the wrong kind and :class:`ValueError` for a value
of the right kind outside what is allowed; each message names the argument, repeats
the offending value (with its position in an array) and says what is allowed.

The array checks are vectorised: one pass over the data per condition, and the
position of an offending element is looked up only once a check has failed.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "check_choice",
    "check_confidence_level",
    "as_numeric_array",
    "check_integral",
    "describe_position",
    "broadcast_shape",
    "check_not_above",
]


def check_choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is exactly one of ``allowed`` (no prefix or case folding).

    Examples
    --------
    >>> check_choice("method", "wilson", ("wilson", "wald"))
    'wilson'
    >>> check_choice("method", "wil", ("wilson", "wald"))
    Traceback (most recent call last):
    ...
    ValueError: method ('wil') must be one of 'wilson' or 'wald'
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {_or_list(allowed)}; got {value!r}")
    if value not in allowed:
        raise ValueError(f"{name} ({value!r}) must be one of {_or_list(allowed)}")
    return value


def _or_list(allowed: Sequence[str]) -> str:
    quoted = [repr(a) for a in allowed]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def check_confidence_level(confidence_level: Any) -> float:
    """Return ``confidence_level`` as a float, checking that it is a number in (0, 1).

    Examples
    --------
    >>> check_confidence_level(0.9)
    0.9
    >>> check_confidence_level(95)
    Traceback (most recent call last):
    ...
    ValueError: confidence_level (95) must be strictly between 0 and 1, e.g. 0.95
    """
    if isinstance(confidence_level, (bool, np.bool_)) or not isinstance(
        confidence_level, numbers.Real
    ):
        raise TypeError(
            f"confidence_level must be a real number strictly between 0 and 1; "
            f"got {confidence_level!r} of type {type(confidence_level).__name__}"
        )
    level = float(confidence_level)
    if not (0.0 < level < 1.0):  # also rejects NaN
        raise ValueError(
            f"confidence_level ({confidence_level!r}) must be strictly between 0 and 1, e.g. 0.95"
        )
    return level


def describe_position(index: tuple[int, ...], labels: pd.Index | None = None) -> str:
    """Spell out where an element sits: ``[3]``, ``[1, 2]`` or ``[3] (index label 'x')``."""
    text = "[" + ", ".join(str(int(i)) for i in index) + "]"
    if labels is not None and len(index) == 1:
        text += f" (index label {labels[index[0]]!r})"
    return text


def _first_position(mask: np.ndarray) -> tuple[int, ...]:
    flat = int(np.flatnonzero(mask.ravel())[0]) if mask.ndim else 0
    return tuple(int(i) for i in np.unravel_index(flat, mask.shape)) if mask.ndim else ()


def _fail(
    name: str,
    values: np.ndarray,
    mask: np.ndarray,
    problem: str,
    allowed: str,
    labels: pd.Index | None,
) -> ValueError:
    """Build the ValueError for the elements of ``values`` where ``mask`` is true."""
    if values.ndim == 0:
        return ValueError(f"{name} ({values.item()!r}) {problem}; {allowed}")
    pos = _first_position(mask)
    count = int(np.count_nonzero(mask))
    value = values[pos]
    value = value.item() if isinstance(value, np.generic) else value  # object arrays hold Python objects
    where = f"{name}{describe_position(pos, labels)}"
    more = f" ({count} elements of {name} have this problem)" if count > 1 else ""
    return ValueError(f"{where} is {value!r}, which {problem}{more}; {allowed}")


def _labels_of(value: Any) -> pd.Index | None:
    if isinstance(value, (pd.Series, pd.Index)):
        return value.index if isinstance(value, pd.Series) else value
    return None


# Complexity above 15 on purpose: one pointed message per kind of non-number (bool, text, None, objects, NaN).
def as_numeric_array(name: str, value: Any, *, what: str) -> np.ndarray:  # noqa: C901
    """Convert ``value`` to a float or integer numpy array, refusing what is not a number.

    Booleans, strings, objects and missing values (NaN, ``None``, ``pd.NA``) are
    refused with the position of the first offending element. Integer arrays are
    returned as they are; everything else as float64.

    Parameters
    ----------
    name : str
        The argument's name, used in messages.
    value : scalar, array_like, pandas.Series or DataFrame column
        The value to convert.
    what : str
        What is allowed, in words, for the messages (e.g. "a non-negative integer").

    Examples
    --------
    >>> as_numeric_array("count", [1, 2], what="non-negative integers")
    array([1, 2])
    >>> as_numeric_array("count", [1.0, float("nan")], what="non-negative integers")
    Traceback (most recent call last):
    ...
    ValueError: count[1] is nan, which is missing (NaN); non-negative integers
    """
    labels = _labels_of(value)
    if isinstance(value, (pd.Series, pd.DataFrame, pd.Index)):
        dtypes = value.dtypes if isinstance(value, pd.DataFrame) else [value.dtype]
        if any(pd.api.types.is_bool_dtype(d) for d in dtypes):
            raise TypeError(
                f"{name} must be numeric ({what}); got a boolean {type(value).__name__}"
            )
        if not all(pd.api.types.is_numeric_dtype(d) for d in dtypes):
            raise TypeError(
                f"{name} must be numeric ({what}); got {type(value).__name__} of dtype "
                f"{', '.join(sorted({str(d) for d in dtypes}))}"
            )
        if all(isinstance(d, np.dtype) and d.kind in "iu" for d in dtypes):
            arr = value.to_numpy()
        else:  # nullable or float dtypes: missing values become NaN and are reported below
            arr = value.to_numpy(dtype=float, na_value=np.nan)
    else:
        if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
            raise TypeError(f"{name} must be numeric ({what}); got {value!r}")
        try:
            arr = np.asarray(value)
        except (TypeError, ValueError) as exc:  # ragged nested sequences and the like
            raise TypeError(f"{name} must be numeric ({what}); could not read {value!r}") from exc
        if arr.dtype.kind == "b":
            raise TypeError(f"{name} must be numeric ({what}); got booleans")
        if arr.dtype.kind == "O":
            try:
                arr = arr.astype(float)
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"{name} must be numeric ({what}); got non-numeric values such as "
                    f"{next(iter(arr.ravel()), None)!r}"
                ) from exc
        elif arr.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be numeric ({what}); got values of dtype {arr.dtype}")
    if arr.dtype.kind == "u":
        arr = arr.astype(np.int64)
    if arr.dtype.kind == "f":
        if arr.dtype != np.float64:
            arr = arr.astype(np.float64)
        finite = np.isfinite(arr)
        if not finite.all():
            nan = np.isnan(arr)
            if nan.any():
                raise _fail(name, arr, nan, "is missing (NaN)", what, labels)
            raise _fail(name, arr, ~finite, "is infinite", what, labels)
    return arr


def check_integral(
    name: str, arr: np.ndarray, *, minimum: int, what: str, labels: pd.Index | None = None
) -> None:
    """Check that every element of ``arr`` is a whole number at least ``minimum``.

    Examples
    --------
    >>> import numpy as np
    >>> check_integral("nobs", np.array([3, 0]), minimum=1, what="a positive integer")
    Traceback (most recent call last):
    ...
    ValueError: nobs[1] is 0, which is below 1; a positive integer
    """
    if arr.dtype.kind == "f":
        frac = arr != np.floor(arr)
        if frac.any():
            raise _fail(name, arr, frac, "is not a whole number", what, labels)
    low = arr < minimum
    if low.any():
        raise _fail(name, arr, low, f"is below {minimum}", what, labels)


def labels_of(value: Any) -> pd.Index | None:
    """The pandas index of ``value`` (a Series), or None."""
    return _labels_of(value)


def fail(
    name: str, values: np.ndarray, mask: np.ndarray, problem: str, allowed: str,
    labels: pd.Index | None = None,
) -> ValueError:
    """Public spelling of :func:`_fail` for the modules of this package."""
    return _fail(name, values, mask, problem, allowed, labels)


def broadcast_shape(names_arrays: list[tuple[str, np.ndarray]]) -> tuple[int, ...]:
    """The common shape of the named arrays, or a ValueError naming each shape."""
    try:
        return np.broadcast_shapes(*(a.shape for _, a in names_arrays))
    except ValueError:
        shapes = ", ".join(f"{name} has shape {a.shape}" for name, a in names_arrays)
        raise ValueError(
            f"the array arguments cannot be broadcast to one shape ({shapes}); "
            "give arrays of one length, or scalars"
        ) from None


def check_not_above(
    name: str, arr: np.ndarray, other_name: str, other: np.ndarray, labels: pd.Index | None
) -> None:
    """Raise if any element of ``arr`` exceeds ``other`` at the same (broadcast) position."""
    over = arr > other
    if over.any():
        if over.ndim == 0:
            raise ValueError(
                f"{name} ({arr.item()!r}) is larger than {other_name} ({other.item()!r}); "
                f"{name} must be at most {other_name}"
            )
        pos = tuple(int(i) for i in np.unravel_index(int(np.flatnonzero(over)[0]), over.shape))
        a = np.broadcast_to(arr, over.shape)[pos].item()
        b = np.broadcast_to(other, over.shape)[pos].item()
        k = int(np.count_nonzero(over))
        more = f" ({k} positions have this problem)" if k > 1 else ""
        raise ValueError(
            f"{name}{describe_position(pos, labels)} is {a!r}, larger than {other_name} "
            f"({b!r}) at the same position{more}; {name} must be at most {other_name}"
        )


def check_same_labels(**values: Any) -> None:
    """Raise if two of the pandas inputs carry different index labels.

    Arrays are paired by position; two Series with different labels would silently pair
    the wrong rows, so they must be aligned by the caller first.
    """
    seen: tuple[str, pd.Index] | None = None
    for name, value in values.items():
        labels = labels_of(value)
        if labels is None:
            continue
        if seen is not None and not labels.equals(seen[1]):
            raise ValueError(
                f"{seen[0]} and {name} are pandas objects with different index labels; align them "
                f"first (e.g. {name}.reindex({seen[0]}.index)) so that rows are paired by label"
            )
        seen = seen or (name, labels)

