"""Built-in locations of a session and component creation from paths."""
from __future__ import annotations

import logging
import os
import re
from typing import Any, Dict, List, Optional

import ftrack_api
import ftrack_api.symbol

logger = logging.getLogger(__name__)

NOT_SET = ftrack_api.symbol.NOT_SET
REVIEW_COMPONENT_NAMES = ("ftrackreview-mp4", "ftrackreview-webm", "ftrackreview-image")


def _disk_accessor() -> Any:
    try:
        import ftrack_api.accessor.disk

        return ftrack_api.accessor.disk.DiskAccessor(prefix="")
    except Exception:  # pragma: no cover - depends on the support package
        logger.debug("DiskAccessor unavailable.", exc_info=True)
        return NOT_SET


def _structure(module: str, name: str) -> Any:
    try:
        import importlib

        return getattr(importlib.import_module(module), name)()
    except Exception:  # pragma: no cover - depends on the support package
        logger.debug("%s.%s unavailable.", module, name, exc_info=True)
        return NOT_SET


def _server_accessor(session: Any) -> Any:
    try:
        import ftrack_api.accessor.server

        return ftrack_api.accessor.server._ServerAccessor(session=session)
    except Exception:  # pragma: no cover - depends on the support package
        logger.debug("Server accessor unavailable.", exc_info=True)
        return NOT_SET


def configure_locations(session: Any) -> None:
    """Create the four built-in locations in the session's cache (no server round trip).

    Then publish ``ftrack.storage-scenario.activate`` (when the server has a
    storage scenario) and ``ftrack.api.session.configure-location``.
    """
    import ftrack_api.entity.location as location_module
    from ftrack_api.session import _event

    if "Location" in session.types:
        specs = [
            ("ftrack.origin", ftrack_api.symbol.ORIGIN_LOCATION_ID, location_module.OriginLocationMixin,
             "OriginLocation", _disk_accessor, ("ftrack_api.structure.origin", "OriginStructure"), 100),
            ("ftrack.unmanaged", ftrack_api.symbol.UNMANAGED_LOCATION_ID, location_module.UnmanagedLocationMixin,
             "UnmanagedLocation", _disk_accessor, ("ftrack_api.structure.origin", "OriginStructure"), 90),
            ("ftrack.review", ftrack_api.symbol.REVIEW_LOCATION_ID, location_module.UnmanagedLocationMixin,
             "UnmanagedLocation", _disk_accessor, ("ftrack_api.structure.origin", "OriginStructure"), 110),
            ("ftrack.server", ftrack_api.symbol.SERVER_LOCATION_ID, location_module.ServerLocationMixin,
             "ServerLocation", lambda: _server_accessor(session), ("ftrack_api.structure.entity_id", "EntityIdStructure"), 150),
        ]
        with session.auto_populating(False), session.operation_recording(False):
            for name, location_id, mixin, class_name, accessor, structure, priority in specs:
                location = session.create("Location", {"name": name, "id": location_id}, reconstructing=True)
                ftrack_api.mixin(location, mixin, name=class_name)
                location.accessor = accessor()
                location.structure = _structure(*structure)
                location.priority = priority
    scenario = session._server_information.get("storage_scenario")
    if scenario and isinstance(scenario, dict) and scenario.get("scenario"):
        session.event_hub.publish(
            _event("ftrack.storage-scenario.activate", {"storage_scenario": scenario}), synchronous=True
        )
    session.event_hub.publish(
        _event("ftrack.api.session.configure-location", {"session": session}), synchronous=True
    )


_SEQUENCE = re.compile(r"^(?P<head>.*?)%(?P<padding>0?\d*)d(?P<tail>.*?)\s+\[(?P<ranges>[^\]]*)\]$")


def parse_sequence(path: str) -> Optional[Dict[str, Any]]:
    """Parse ``head%04dtail [1-5, 7]``; return head, tail, padding and indexes (or None)."""
    match = _SEQUENCE.match(path)
    if not match:
        return None
    indexes: List[int] = []
    for part in match.group("ranges").split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            start, end = part.split("-", 1)
            indexes.extend(range(int(start), int(end) + 1))
        else:
            indexes.append(int(part))
    padding_text = match.group("padding")
    padding = int(padding_text) if padding_text else 0
    return {"head": match.group("head"), "tail": match.group("tail"), "padding": padding, "indexes": indexes}


def create_component(session: Any, path: str, data: Optional[Dict[str, Any]] = None, location: Any = "auto") -> Any:
    """See :meth:`ftrack_api.session.Session.create_component`."""
    if data is None:
        data = {}
    if location == "auto":
        if data.get("name") in REVIEW_COMPONENT_NAMES:
            location = session.get("Location", ftrack_api.symbol.REVIEW_LOCATION_ID)
        else:
            location = session.pick_location()
    origin = session.get("Location", ftrack_api.symbol.ORIGIN_LOCATION_ID)
    sequence = parse_sequence(path)
    if sequence is None:
        if "size" not in data:
            try:
                data["size"] = os.path.getsize(path)
            except OSError:
                data["size"] = 0
        data.setdefault("file_type", session._get_file_type(path))
        component = session.create("FileComponent", data)
        origin.add_component(component, path, recursive=False)
        if location is not None:
            location.add_component(component, origin, recursive=False)
        return component
    head, tail, padding = sequence["head"], sequence["tail"], sequence["padding"]
    indexes = sequence["indexes"]
    pattern = "{0}%0{1}d{2}".format(head, padding, tail) if padding else "{0}%d{1}".format(head, tail)
    member_paths = [pattern % index for index in indexes]
    container_size = data.get("size")
    if container_size is not None and indexes:
        member_sizes = [container_size / len(indexes)] * len(indexes)
    else:
        member_sizes = []
        for member_path in member_paths:
            try:
                member_sizes.append(os.path.getsize(member_path))
            except OSError:
                member_sizes.append(0)
        data["size"] = sum(member_sizes)
    data.setdefault("padding", padding)
    data.setdefault("file_type", session._get_file_type(tail or path))
    container = session.create("SequenceComponent", data)
    origin.add_component(container, pattern, recursive=False)
    members = []
    for index, member_path, size in zip(indexes, member_paths, member_sizes):
        member = session.create(
            "FileComponent",
            {"name": ("%0{0}d".format(padding) % index) if padding else str(index), "container": container, "size": size, "file_type": data["file_type"]},
        )
        members.append(member)
        container["members"].append(member)
        origin.add_component(member, member_path, recursive=False)
    if location is not None:
        location.add_component(container, origin, recursive=True)
    return container
