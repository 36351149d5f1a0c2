"""Notes and the ``create_note`` helper mixed into every type that has notes."""
from __future__ import annotations

import warnings
from typing import Any, List, Optional

import ftrack_api.entity.base

__all__ = ["Note", "CreateNoteMixin"]


class Note(ftrack_api.entity.base.Entity):
    """A note; adds :meth:`create_reply`."""

    __slots__ = ()

    def create_reply(self, content: str, author: Any) -> Any:
        """Create a reply note by *author* with *content*, append it to ``replies`` and return it.

        Nothing is committed.
        """
        reply = self.session.create("Note", {"author": author, "content": content})
        self["replies"].append(reply)
        return reply


class CreateNoteMixin(object):
    """Adds :meth:`create_note` to entity types that have a ``notes`` collection."""

    __slots__ = ()

    def create_note(
        self,
        content: str,
        author: Any,
        recipients: Optional[List[Any]] = None,
        category: Any = None,
        labels: Optional[List[Any]] = None,
    ) -> Any:
        """Create a note on this entity and return it (nothing is committed).

        *recipients* are users or groups; *labels* are ``NoteLabel`` entities
        (*category* is the legacy spelling of a single label).
        """
        session = self.session  # type: ignore[attr-defined]
        label_support = "NoteLabel" in session.types
        if not label_support and labels:
            raise ValueError("This server does not support note labels; use category instead.")
        if category is not None and labels:
            raise ValueError("Give either category or labels, not both.")
        data = {"content": content, "author": author}
        if category is not None:
            if label_support:
                warnings.warn(
                    "category is deprecated for notes; use labels instead.",
                    PendingDeprecationWarning,
                    stacklevel=2,
                )
                labels = [category]
            else:
                data["category_id"] = category["id"]
        note = session.create("Note", data)
        self["notes"].append(note)  # type: ignore[index]
        for resource in recipients or []:
            recipient = session.create("Recipient", {"note_id": note["id"], "resource_id": resource["id"]})
            note["recipients"].append(recipient)
        for label in labels or []:
            session.create("NoteLabelLink", {"label_id": label["id"], "note_id": note["id"]})
        return note
