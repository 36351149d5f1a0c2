"""JSON for the hot paths of the local server: orjson when it is installed, else the stdlib.

orjson (a dependency of the ``server`` extra) decodes request bodies and encodes stored
rows and responses several times faster than :mod:`json`. Whatever it refuses, or would
read differently, goes through :mod:`json`, so the values, the stored rows' meaning and
the errors reported are those of the stdlib either way:

- a body orjson cannot decode (NaN, an infinity, a lone surrogate, nesting deeper than
  1,024 levels, invalid JSON) is decoded again by the caller's stdlib path, which reports
  the error it always has;
- integer literals of 19 digits or more (orjson reads integers beyond 64 bits as floats)
  are left to the stdlib;
- a value orjson cannot encode (an integer beyond 64 bits, a key that is not a string)
  is encoded by the stdlib.

orjson writes compact JSON with UTF-8 text where the stdlib writes ``", "`` separators and
``\\uXXXX`` escapes: the same JSON values. Responses say ``charset=utf-8``.
"""
from __future__ import annotations

import json
from typing import Any, Optional

try:  # pragma: no cover - exercised with and without orjson by the tests
    import orjson as _orjson
except ImportError:  # pragma: no cover
    _orjson = None

#: The accelerator in use (None: the stdlib only). Tests switch it off to compare.
FAST: Optional[Any] = _orjson

#: Returned by :func:`fast_loads` when the caller must decode with the stdlib.
UNDECODED = object()

# Digits become "0", everything else "x": a run of 19 zeros then marks an integer literal
# that may not fit 64 bits (or a long run of digits in a string, which only costs the
# faster path). A translation and a search are far cheaper than a regular expression
# over bodies full of hexadecimal ids.
_DIGIT_MAP = bytes(48 if 48 <= code <= 57 else 120 for code in range(256))
_LONG_RUN = b"0" * 19


def fast_loads(body: bytes) -> Any:
    """Decode ``body`` with orjson, or return :data:`UNDECODED` (use the stdlib)."""
    fast = FAST
    if fast is None or _LONG_RUN in body.translate(_DIGIT_MAP):
        return UNDECODED
    try:
        return fast.loads(body)
    except (ValueError, TypeError, RecursionError):
        return UNDECODED


def dumps(value: Any) -> str:
    """JSON text of ``value`` (a stored row, a result list without raw parts)."""
    fast = FAST
    if fast is not None:
        try:
            return fast.dumps(value).decode("utf-8")
        except (TypeError, ValueError, RecursionError):
            pass
    return json.dumps(value)


def dumps_bytes(value: Any) -> bytes:
    """Like :func:`dumps`, as UTF-8 bytes (a response body)."""
    fast = FAST
    if fast is not None:
        try:
            return fast.dumps(value)
        except (TypeError, ValueError, RecursionError):
            pass
    return json.dumps(value).encode("utf-8")
