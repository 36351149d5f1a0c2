"""The :class:`ResourceIdentifierTransformer` base class."""
from __future__ import annotations

from typing import Any, Mapping, Optional

__all__ = ["ResourceIdentifierTransformer"]


class ResourceIdentifierTransformer:
    """Convert resource identifiers between their stored and usable forms.

    A location calls :meth:`encode` before storing an identifier in
    ``ComponentLocation.resource_identifier`` and :meth:`decode` after
    reading it back, with ``context={"component": component}``. The base
    class returns identifiers unchanged; subclasses override both methods
    (for example to map platform specific mount points).
    """

    def __init__(self, session: Any) -> None:
        #: The session the transformer works for.
        self.session = session
        super().__init__()

    def encode(
        self, resource_identifier: str, context: Optional[Mapping[str, Any]] = None
    ) -> str:
        """Return the form of *resource_identifier* to store (unchanged here)."""
        return resource_identifier

    def decode(
        self, resource_identifier: str, context: Optional[Mapping[str, Any]] = None
    ) -> str:
        """Return the usable form of a stored *resource_identifier* (unchanged here)."""
        return resource_identifier
