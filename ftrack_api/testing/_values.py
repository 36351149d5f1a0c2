"""Validation and normalisation of attribute values (wire <-> storage)."""
from __future__ import annotations

import datetime as _dt
import re
import time as _time
from typing import Any

from ._errors import ValidationError

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?)?$"
)


def normalise_datetime(value: Any) -> str:
    """Parse an ISO 8601 date or date-time and return naive UTC ``YYYY-MM-DDTHH:MM:SS``.

    Fractions of a second are dropped, as ftrack stores and serves whole seconds (and the
    client's ``ensure()`` queries dates without them).
    """
    if isinstance(value, dict) and value.get("__type__") in ("datetime", "date"):
        value = value.get("value")
    if not isinstance(value, str):
        raise ValidationError(f"Expected an ISO 8601 date-time, got {value!r}.")
    match = _ISO.match(value.strip())
    if not match:
        raise ValidationError(f"Invalid ISO 8601 date-time {value!r}.")
    year, month, day, hour, minute, second, frac, tz = match.groups()
    try:
        moment = _dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                              int(second or 0), int((frac or "0").ljust(6, "0")))
    except ValueError as error:
        raise ValidationError(f"Invalid date-time {value!r}: {error}.") from None
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        offset = _dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        moment = moment - sign * offset
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


_LAST_NOW = [-1, ""]  # (whole UTC second, its text): a batch asks many times a second


def now() -> str:
    second = int(_time.time())
    if second != _LAST_NOW[0]:
        text = _dt.datetime.fromtimestamp(second, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        _LAST_NOW[:] = [second, text]
        return text
    return _LAST_NOW[1]  # type: ignore[return-value]


_TYPE_NAMES = {"string": "string", "integer": "integer", "number": "number",
               "boolean": "boolean"}


def validate(type_id: str, name: str, json_type: Any, fmt: Any, value: Any) -> Any:
    """Return the storage form of ``value`` for an attribute, or raise ValidationError."""
    if value is None:
        return None
    if fmt in ("date-time", "date"):
        if isinstance(value, (dict, str)):
            try:
                return normalise_datetime(value)
            except ValidationError as error:
                raise ValidationError(f"Invalid value for {type_id}.{name}: {error.content}") from None
        raise _type_error(type_id, name, "datetime", value)
    if json_type == "string":
        if isinstance(value, str):
            return value
        raise _type_error(type_id, name, "string", value)
    if json_type == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            if not -2 ** 63 <= value < 2 ** 63:
                raise ValidationError(f"Invalid value for {type_id}.{name}: integer {value} is "
                                      "out of range (64-bit).")
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise _type_error(type_id, name, "integer", value)
    if json_type == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, int) and not -2 ** 63 <= value < 2 ** 63:
                return float(value)  # stored and served as a double, like PostgreSQL
            return value
        raise _type_error(type_id, name, "number", value)
    if json_type == "boolean":
        if isinstance(value, bool):
            return value
        raise _type_error(type_id, name, "boolean", value)
    if isinstance(value, dict) and value.get("__type__") in ("datetime", "date"):
        # A datetime in an untyped ("variable") attribute, e.g. a date custom attribute
        # value, keeps its wire type so that it is served back as a datetime.
        return {"__type__": "datetime", "value": normalise_datetime(value)}
    return value


def _type_error(type_id: str, name: str, expected: str, value: Any) -> ValidationError:
    return ValidationError(
        f"Invalid value for {type_id}.{name}: expected {expected}, got "
        f"{type(value).__name__} {value!r}."
    )
