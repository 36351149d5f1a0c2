"""Users: timers, invitations and API keys."""
from __future__ import annotations

import datetime
from typing import Any, Optional

import ftrack_api.entity.base
import ftrack_api.exception

__all__ = ["User"]


class User(ftrack_api.entity.base.Entity):
    """A user."""

    __slots__ = ()

    def start_timer(self, context: Any = None, comment: str = "", name: Optional[str] = None, force: bool = False) -> Any:
        """Start a timer for this user and return it (commits).

        With *force* a running timer is stopped first; otherwise a running timer
        gives :exc:`~ftrack_api.exception.NotUniqueError`.
        """
        if force:
            try:
                self.stop_timer()
            except ftrack_api.exception.NoResultFoundError:
                pass
        timer = self.session.create(
            "Timer", {"user": self, "context": context, "name": name, "comment": comment}
        )
        try:
            self.session.commit()
        except ftrack_api.exception.ServerError as error:
            if "DuplicateEntryError" in str(error) or error.exception_name == "DuplicateEntryError":
                self.session.rollback()
                raise ftrack_api.exception.NotUniqueError(
                    "Cannot start timer: this user already has a running timer. "
                    "Use force=True to stop it first."
                ) from error
            raise
        return timer

    def stop_timer(self) -> Any:
        """Stop the running timer, log the time as a ``Timelog`` and return it (commits)."""
        timer = self.session.query('Timer where user_id = "{0}"'.format(self["id"])).one()
        start = timer["start"]
        info = self.session.server_information
        if info.get("is_timezone_support_enabled", True):
            now = datetime.datetime.now(datetime.timezone.utc)
        else:
            now = datetime.datetime.now().replace(tzinfo=datetime.timezone.utc)
        if start.tzinfo is None:
            start = start.replace(tzinfo=datetime.timezone.utc)
        duration = int((now - start).total_seconds())
        timelog = self.session.create(
            "Timelog",
            {
                "user_id": timer["user_id"],
                "context_id": timer["context_id"],
                "comment": timer["comment"],
                "start": start,
                "duration": duration,
                "name": timer["name"],
            },
        )
        self.session.delete(timer)
        self.session.commit()
        return timelog

    def send_invite(self) -> None:
        """Send an invitation e-mail to this user."""
        self.session.send_user_invite(self)

    def reset_api_key(self) -> str:
        """Reset this user's API key and return the new one."""
        return self.session.reset_remote("api_key", entity=self)["api_key"]
