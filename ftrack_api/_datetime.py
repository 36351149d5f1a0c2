"""A stdlib ``datetime`` subclass that also answers the common arrow calls.

Values decoded from the server are instances of :class:`DateTime`: real
timezone-aware :class:`datetime.datetime` objects (in UTC) that additionally
support the arrow methods pipeline scripts written for the official client
use most (``to``, ``shift``, ``format``, ``datetime``, ``naive``,
``int_timestamp``, ``float_timestamp``), without depending on arrow.
"""
from __future__ import annotations

import datetime
import re
from typing import Any, Union

UTC = datetime.timezone.utc

_TOKENS = re.compile(r"\[[^\]]*\]|YYYY|YY|MM|M|DD|D|HH|H|hh|h|mm|m|ss|s|SSSSSS|SSS|S|ZZ|Z|A|a|X")


def _tz(value: Union[str, datetime.tzinfo]) -> Any:
    if isinstance(value, datetime.tzinfo):
        return value
    name = str(value)
    if name.lower() in ("utc", "z", "+00:00"):
        return UTC
    if name.lower() == "local":
        return None
    match = re.match(r"^([+-])(\d{2}):?(\d{2})$", name)
    if match:
        sign = 1 if match.group(1) == "+" else -1
        return datetime.timezone(sign * datetime.timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))
    import zoneinfo

    return zoneinfo.ZoneInfo(name)


class DateTime(datetime.datetime):
    """An aware datetime with arrow-style helpers (see the module docstring)."""

    __slots__ = ()

    @classmethod
    def from_datetime(cls, value: datetime.datetime) -> "DateTime":
        """Return *value* as a :class:`DateTime` (keeping its timezone)."""
        return cls(
            value.year, value.month, value.day, value.hour, value.minute, value.second,
            value.microsecond, tzinfo=value.tzinfo, fold=value.fold,
        )

    def to(self, tz: Union[str, datetime.tzinfo]) -> "DateTime":
        """Return this moment in timezone *tz* (``"utc"``, ``"local"``, a name or a tzinfo)."""
        return DateTime.from_datetime(self.astimezone(_tz(tz)))

    @property
    def datetime(self) -> datetime.datetime:
        """The plain :class:`datetime.datetime` (aware)."""
        return datetime.datetime(
            self.year, self.month, self.day, self.hour, self.minute, self.second,
            self.microsecond, tzinfo=self.tzinfo, fold=self.fold,
        )

    @property
    def naive(self) -> datetime.datetime:
        """The wall-clock value without timezone."""
        return self.datetime.replace(tzinfo=None)

    @property
    def int_timestamp(self) -> int:
        """Seconds since the epoch, as an integer."""
        return int(self.timestamp())

    @property
    def float_timestamp(self) -> float:
        """Seconds since the epoch, as a float."""
        return self.timestamp()

    def shift(self, **kwargs: Any) -> "DateTime":
        """Return a shifted copy (``weeks``, ``days``, ``hours``, ``minutes``, ``seconds``, ...)."""
        months = kwargs.pop("months", 0) + 12 * kwargs.pop("years", 0)
        value: datetime.datetime = self
        if months:
            month_index = self.month - 1 + months
            year = self.year + month_index // 12
            month = month_index % 12 + 1
            day = min(self.day, _days_in_month(year, month))
            value = self.replace(year=year, month=month, day=day)
        if kwargs:
            value = value + datetime.timedelta(**kwargs)
        return DateTime.from_datetime(value)

    def format(self, fmt: str = "YYYY-MM-DD HH:mm:ssZZ") -> str:
        """Format with arrow-style tokens (``YYYY-MM-DD HH:mm:ss ZZ`` ...)."""
        offset = self.utcoffset() or datetime.timedelta(0)
        total = int(offset.total_seconds())
        sign = "-" if total < 0 else "+"
        hours, minutes = divmod(abs(total) // 60, 60)

        def token(match: Any) -> str:
            text = match.group(0)
            if text.startswith("["):
                return text[1:-1]
            return {
                "YYYY": "{0:04d}".format(self.year), "YY": "{0:02d}".format(self.year % 100),
                "MM": "{0:02d}".format(self.month), "M": str(self.month),
                "DD": "{0:02d}".format(self.day), "D": str(self.day),
                "HH": "{0:02d}".format(self.hour), "H": str(self.hour),
                "hh": "{0:02d}".format(self.hour % 12 or 12), "h": str(self.hour % 12 or 12),
                "mm": "{0:02d}".format(self.minute), "m": str(self.minute),
                "ss": "{0:02d}".format(self.second), "s": str(self.second),
                "SSSSSS": "{0:06d}".format(self.microsecond),
                "SSS": "{0:03d}".format(self.microsecond // 1000),
                "S": str(self.microsecond // 100000),
                "ZZ": "{0}{1:02d}:{2:02d}".format(sign, hours, minutes),
                "Z": "{0}{1:02d}{2:02d}".format(sign, hours, minutes),
                "A": "AM" if self.hour < 12 else "PM", "a": "am" if self.hour < 12 else "pm",
                "X": str(int(self.timestamp())),
            }[text]

        return _TOKENS.sub(token, fmt)

    def humanize(self, *args: Any, **kwargs: Any) -> str:
        """Delegate to arrow when it is installed."""
        import arrow

        return arrow.get(self.datetime).humanize(*args, **kwargs)

    def __repr__(self) -> str:
        return "<DateTime [{0}]>".format(self.isoformat())

    def __reduce__(self) -> Any:
        return (DateTime.from_datetime, (self.datetime,))


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)).day
