"""The :class:`Structure` interface."""
from __future__ import annotations

import abc
from typing import Any, Mapping, Optional

__all__ = ["Structure"]


class Structure(abc.ABC):
    """Compute resource identifiers for entities (usually components).

    *prefix* is prepended to generated identifiers by structures that use
    it; :attr:`path_separator` joins the parts of an identifier.
    """

    #: Joins the parts of generated identifiers.
    path_separator = "/"

    def __init__(self, prefix: str = "") -> None:
        if prefix is None:
            prefix = ""
        if not isinstance(prefix, str):
            raise TypeError(f"Structure prefix must be a string, not {prefix!r}.")
        #: Prepended to generated identifiers.
        self.prefix = prefix
        super().__init__()

    @abc.abstractmethod
    def get_resource_identifier(
        self, entity: Any, context: Optional[Mapping[str, Any]] = None
    ) -> str:
        """Return the resource identifier of *entity*.

        *context* may carry extra information, such as the
        ``source_resource_identifier`` of the data being transferred.
        """

    def _get_sequence_expression(self, sequence: Mapping[str, Any]) -> str:
        """Return the printf-style frame expression of a sequence component.

        ``%04d`` for a padding of 4, ``%d`` when the padding is zero or unset.
        """
        padding = sequence["padding"]
        if padding:
            return f"%0{int(padding)}d"
        return "%d"

    def _join(self, *parts: str) -> str:
        """Join non-empty *parts* with :attr:`path_separator`.

        Separators at the edges of inner parts are collapsed; an absolute
        :attr:`prefix` keeps its leading separator.
        """
        separator = self.path_separator
        cleaned = [part.strip(separator) for part in parts if part]
        path = separator.join(part for part in cleaned if part)
        if parts and parts[0] and parts[0].startswith(separator):
            path = separator + path
        return path
