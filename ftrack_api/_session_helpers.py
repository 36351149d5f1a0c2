"""Server actions and location/component helpers of :class:`ftrack_api.session.Session`.

Kept apart from ``session.py`` so that the coordinator stays small; the
methods are mixed into ``Session`` and documented there.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence

import ftrack_api.entity.base
import ftrack_api.exception
import ftrack_api.symbol

NOT_SET = ftrack_api.symbol.NOT_SET


def _event(topic: str, data: Dict[str, Any]) -> Any:
    import ftrack_api.event.base

    return ftrack_api.event.base.Event(topic=topic, data=data)


class _SessionHelpers(object):
    """Server actions, location picking, availability and component creation."""

    # ------------------------------------------------------------------
    # Server actions
    # ------------------------------------------------------------------
    def reset_remote(self, reset_type: str, entity: Any = None) -> Any:
        """Reset a remote value (for example ``"api_key"``) and return the result data."""
        payload: Dict[str, Any] = {"action": "reset_remote", "reset_type": reset_type}
        if entity is not None:
            payload.update({"entity_type": entity.entity_type, "entity_key": entity["id"]})
        return self.call([payload])[0]["data"]

    def _feature_call(self, payloads: List[Dict[str, Any]], action: str) -> Any:
        try:
            return self.call(payloads)
        except ftrack_api.exception.ServerError as error:
            if "Invalid action u'{0}'".format(action) in str(error.message):
                raise ftrack_api.exception.ServerCompatibilityError(
                    "Server version {0!r} does not support {1!r}; upgrade the server.".format(
                        self._server_information.get("version"), action
                    )
                ) from error
            raise

    def get_widget_url(self, name: str, entity: Any = None, theme: Optional[str] = None) -> str:
        """Return the URL of the widget *name* (optionally for *entity*)."""
        payload: Dict[str, Any] = {"action": "get_widget_url", "name": name, "theme": theme}
        if entity is not None:
            payload.update({"entity_type": entity.entity_type, "entity_key": list(entity._key_values() or ())})
        return self._feature_call([payload], "get_widget_url")[0]["widget_url"]

    def encode_media(self, media: Any, version_id: Optional[str] = None, keep_original: Any = "auto") -> Any:
        """Encode *media* (a path or a FileComponent) for review and return the ``Job``."""
        if isinstance(media, str):
            if keep_original == "auto":
                keep_original = False
            data: Dict[str, Any] = {}
            if keep_original and version_id:
                data["version_id"] = version_id
            server = self.get("Location", ftrack_api.symbol.SERVER_LOCATION_ID)
            component = self.create_component(media, data=data, location=server)
            self.commit()
        elif isinstance(media, ftrack_api.entity.base.Entity) and media.entity_type == "FileComponent":
            component = media
            if keep_original == "auto":
                keep_original = True
        else:
            raise ValueError("Unable to encode media of type: {0}".format(type(media)))
        result = self._feature_call(
            [
                {
                    "action": "encode_media",
                    "component_id": component["id"],
                    "version_id": version_id,
                    "keep_original": bool(keep_original),
                }
            ],
            "encode_media",
        )
        return self.get("Job", result[0]["job_id"])

    def get_upload_metadata(self, component_id: str, file_name: str, file_size: int, checksum: Optional[str] = None) -> Any:
        """Return upload metadata (``url`` and ``headers``) for a component's file."""
        return self._feature_call(
            [
                {
                    "action": "get_upload_metadata",
                    "component_id": component_id,
                    "file_name": file_name,
                    "file_size": file_size,
                    "checksum": checksum,
                }
            ],
            "get_upload_metadata",
        )[0]

    def send_user_invite(self, user: Any) -> None:
        """Send an invitation e-mail to *user*."""
        self.send_user_invites([user])

    def send_user_invites(self, users: Sequence[Any]) -> None:
        """Send invitation e-mails to *users*."""
        self._feature_call(
            [{"action": "send_user_invite", "user_id": user["id"]} for user in users], "send_user_invite"
        )

    def send_review_session_invite(self, invitee: Any) -> None:
        """Send a review session invitation to *invitee*."""
        self.send_review_session_invites([invitee])

    def send_review_session_invites(self, invitees: Sequence[Any]) -> None:
        """Send review session invitations to *invitees*."""
        self._feature_call(
            [
                {"action": "send_review_session_invite", "review_session_invitee_id": invitee["id"]}
                for invitee in invitees
            ],
            "send_review_session_invite",
        )

    # ------------------------------------------------------------------
    # Locations and components
    # ------------------------------------------------------------------
    def pick_location(self, component: Any = None) -> Any:
        """Return the preferred accessible location (for *component* when given)."""
        if component is not None:
            return self.pick_locations([component])[0]
        locations = [loc for loc in self.query("Location").all() if getattr(loc, "accessor", NOT_SET)]
        locations.sort(key=lambda loc: loc.priority)
        return locations[0] if locations else None

    def pick_locations(self, components: Sequence[Any]) -> List[Any]:
        """Return, per component, the preferred accessible location holding it (or None)."""
        locations = [loc for loc in self.query("Location").all() if getattr(loc, "accessor", NOT_SET)]
        locations.sort(key=lambda loc: loc.priority)
        availabilities = self.get_component_availabilities(components, locations=locations)
        result = []
        for availability in availabilities:
            chosen = None
            for location in locations:
                if availability.get(location["id"], 0.0) > 0.0:
                    chosen = location
                    break
            result.append(chosen)
        return result

    def get_component_availability(self, component: Any, locations: Optional[Sequence[Any]] = None) -> Dict[str, float]:
        """Return ``{location id: percentage}`` for *component*."""
        return self.get_component_availabilities([component], locations=locations)[0]

    def get_component_availabilities(self, components: Sequence[Any], locations: Optional[Sequence[Any]] = None) -> List[Dict[str, float]]:
        """Return ``{location id: percentage}`` for each of *components*."""
        if locations is None:
            locations = self.query("Location").all()
        location_ids = [location["id"] for location in locations]
        memory = [loc for loc in locations if "_memory_registry" in getattr(loc, "__dict__", {}) or hasattr(type(loc), "_register_component_in_location")]

        persisted = [component for component in components if not component._is_created()]
        if persisted:
            # Always ask the server: registrations change behind cached collections.
            self.populate(persisted, "component_locations.location_id")

        def availability(component: Any) -> Dict[str, float]:
            result = {location_id: 0.0 for location_id in location_ids}
            members = []
            if "members" in component.keys():
                members = list(component["members"])
            if members:
                per_member = [availability(member) for member in members]
                for location_id in location_ids:
                    value = sum(entry[location_id] for entry in per_member) / len(per_member)
                    result[location_id] = min(100.0, max(0.0, round(value, 9)))
                return result
            if not component._is_created():
                for entry in component["component_locations"]:
                    location_id = entry["location_id"]
                    if location_id in result:
                        result[location_id] = 100.0
            for location in memory:
                registry = location.__dict__.get("_memory_registry") or {}
                if component["id"] in registry:
                    result[location["id"]] = 100.0
            return result

        return [availability(component) for component in components]

    def create_component(self, path: str, data: Optional[Dict[str, Any]] = None, location: Any = "auto") -> Any:
        """Create a file or sequence component for *path*, register it in origin and *location*."""
        from ftrack_api import _locations

        return _locations.create_component(self, path, data=data, location=location)

    def _get_file_type(self, path: str) -> str:
        results = self._event_hub.publish(
            _event("ftrack.api.session.get-file-type-from-string", {"file_path": path}), synchronous=True
        )
        for result in results or []:
            if result:
                return result
        return os.path.splitext(path)[-1]
