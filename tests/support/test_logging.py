"""Tests for ftrack_api.logging."""
from __future__ import annotations

import logging
import warnings

import pytest

from ftrack_api.logging import LazyLogMessage, deprecation_warning


def test_deprecation_warning_warns_every_call_and_keeps_metadata():
    @deprecation_warning("old_function is deprecated")
    def old_function(value, factor=2):
        """Multiply."""
        return value * factor

    assert old_function.__name__ == "old_function"
    assert old_function.__doc__ == "Multiply."
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert old_function(2) == 4
        assert old_function(2, factor=3) == 6
    assert [w.category for w in caught] == [PendingDeprecationWarning] * 2
    assert str(caught[0].message) == "old_function is deprecated"
    assert caught[0].filename == __file__


def test_deprecation_warning_needs_a_message():
    with pytest.raises(TypeError, match="message"):
        deprecation_warning(42)  # type: ignore[arg-type]


def test_lazy_log_message_formats_on_str_only():
    class Counting:
        renders = 0

        def __format__(self, spec):
            Counting.renders += 1
            return "counted"

    message = LazyLogMessage("{0} and {name}", Counting(), name="x")
    assert message.message == "{0} and {name}"
    assert message.kwargs == {"name": "x"}
    assert len(message.args) == 1
    logger = logging.getLogger("ftrack_api.test.lazy")
    logger.setLevel(logging.INFO)
    logger.debug(message)
    assert Counting.renders == 0
    assert str(message) == "counted and x"
    assert Counting.renders == 1


def test_lazy_log_message_rendered_by_logging(caplog):
    with caplog.at_level(logging.DEBUG, logger="ftrack_api.test.lazy2"):
        logging.getLogger("ftrack_api.test.lazy2").debug(LazyLogMessage("{} rows", 3))
    assert caplog.records[0].getMessage() == "3 rows"
