"""The ``ftrack.centralized-storage`` storage scenario (configured through events)."""
from __future__ import annotations

import logging
import platform
from typing import Any

logger = logging.getLogger(__name__)

scenario_name = "ftrack.centralized-storage"


class ConfigureCentralizedStorageScenario(object):
    """Placeholder for the interactive configuration wizard (not supported here)."""

    def register(self, session: Any) -> None:
        """Nothing to register: configuration is done from the ftrack web interface."""
        self.session = session


class ActivateCentralizedStorageScenario(object):
    """Create the disk location described by the server's storage scenario."""

    def activate(self, event: Any) -> None:
        """Handle ``ftrack.storage-scenario.activate`` for the centralized scenario."""
        import ftrack_api.accessor.disk
        import ftrack_api.structure.standard

        session = self.session
        data = event["data"]["storage_scenario"].get("data") or {}
        location_name = data.get("location_name")
        location_id = data.get("location_id")
        mount_points = (data.get("accessor") or {}).get("mount_points") or {}
        system = platform.system().lower()
        key = {"darwin": "osx", "linux": "linux", "windows": "windows"}.get(system, "linux")
        prefix = mount_points.get(key)
        if not (location_name and location_id and prefix):
            logger.warning("Storage scenario %s is missing configuration data.", scenario_name)
            return
        with session.auto_populating(False), session.operation_recording(False):
            location = session.create(
                "Location", {"name": location_name, "id": location_id}, reconstructing=True
            )
        location.accessor = ftrack_api.accessor.disk.DiskAccessor(prefix=prefix)
        location.structure = ftrack_api.structure.standard.StandardStructure()
        location.priority = 1

    def register(self, session: Any) -> None:
        """Subscribe to the activation event of the centralized storage scenario."""
        self.session = session
        session.event_hub.subscribe(
            "topic=ftrack.storage-scenario.activate and "
            'data.storage_scenario.scenario="{0}"'.format(scenario_name),
            self.activate,
        )


def register(session: Any) -> None:
    """Register the scenario handlers on *session*."""
    ActivateCentralizedStorageScenario().register(session)


def register_configuration(session: Any) -> None:
    """Register the configuration wizard on *session*."""
    ConfigureCentralizedStorageScenario().register(session)
