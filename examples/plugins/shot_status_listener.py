"""Event plugin: when work starts on a task, move its shot to "In Progress".

Drop this file in a folder listed in ``FTRACK_EVENT_PLUGIN_PATH``; any session that
connects to the event hub then reacts to ``ftrack.update`` events. It can also run on
its own as a small daemon::

    python shot_status_listener.py
"""
from __future__ import annotations

import logging
import threading

import ftrack_api

logger = logging.getLogger("studio.shot_status_listener")

TRIGGER_STATUS = "in progress"


class ShotStatusListener:
    """Sets a shot to "In Progress" when one of its tasks changes to that status."""

    def __init__(self, session: ftrack_api.Session) -> None:
        self.session = session
        #: Set after each handled update; lets callers (and tests) wait for the reaction.
        self.handled = threading.Event()

    def register(self) -> None:
        self.session.event_hub.subscribe("topic=ftrack.update", self.on_update)

    def on_update(self, event) -> None:
        for entity in event["data"].get("entities", []):
            change = (entity.get("changes") or {}).get("statusid")
            if entity.get("entityType") != "task" or not change or not change.get("new"):
                continue
            status = self.session.get("Status", change["new"])
            if status is None or status["name"].lower() != TRIGGER_STATUS:
                continue
            task = self.session.get("Task", entity["entityId"])
            if task is None:
                continue
            shot = task["parent"]
            if shot.entity_type == "Shot" and shot["status"]["id"] != status["id"]:
                shot["status"] = status
                self.session.commit()
                logger.info("Shot %s set to %s", shot["name"], status["name"])
        self.handled.set()


def register(session, **kw):
    """Plugin entry point called by the session's plugin discovery."""
    if not isinstance(session, ftrack_api.Session):
        return
    ShotStatusListener(session).register()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    with ftrack_api.Session(auto_connect_event_hub=True) as session:
        ShotStatusListener(session).register()
        session.event_hub.wait()
