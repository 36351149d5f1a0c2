"""The session's local events go through the hub with the documented payloads."""
from __future__ import annotations

from ftrack_api.event.hub import EventHub


class RecordingHub(EventHub):
    """A custom hub (plugged in with ``event_hub_class=``) recording publishes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.published = []

    def publish(self, event, synchronous=False, on_reply=None, on_error="raise"):
        result = super().publish(event, synchronous=synchronous, on_reply=on_reply, on_error=on_error)
        self.published.append((event["topic"], event["data"], synchronous, result))
        return result


def topics(hub, topic):
    return [entry for entry in hub.published if entry[0] == topic]


def test_construction_events(local_server):
    session = local_server.session(schema_cache_path=False, event_hub_class=RecordingHub)
    try:
        hub = session.event_hub
        assert isinstance(hub, RecordingHub)
        constructed = topics(hub, "ftrack.api.session.construct-entity-type")
        assert len(constructed) == len(session.schemas)
        for _topic, data, synchronous, result in constructed:
            assert set(data) == {"schema", "schemas"} and synchronous is True
            assert isinstance(result, list)
        assert {d["schema"]["id"] for _t, d, _s, _r in constructed} == {
            s["id"] for s in session.schemas
        }
        (configure,) = topics(hub, "ftrack.api.session.configure-location")
        assert configure[1] == {"session": session} and configure[2] is True
        (ready,) = topics(hub, "ftrack.api.session.ready")
        assert ready[1] == {"session": session} and ready[2] is True
        assert [t for t, *_ in hub.published].index("ftrack.api.session.ready") == len(hub.published) - 1

        session.reset()
        (reset,) = topics(hub, "ftrack.api.session.reset")
        assert reset[1] == {"session": session} and reset[2] is True
    finally:
        session.close()


def test_construct_entity_type_handler_result_is_used(local_server):
    class Marker:
        pass

    built = []

    class PluginHub(EventHub):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)

            def construct(event):
                if event["data"]["schema"]["id"] != "Status":
                    return None
                from ftrack_api.entity.factory import StandardFactory

                cls = StandardFactory().create(event["data"]["schema"], bases=[Marker])
                built.append(cls)
                return cls

            self.subscribe("topic=ftrack.api.session.construct-entity-type", construct)

    session = local_server.session(schema_cache_path=False, event_hub_class=PluginHub)
    try:
        assert built and session.types["Status"] is built[0]
        assert issubclass(session.types["Status"], Marker)
    finally:
        session.close()


def test_get_file_type_from_string_handlers(local_server):
    session = local_server.session(schema_cache_path=False)
    try:
        hub = session.event_hub
        hub.subscribe(
            "topic=ftrack.api.session.get-file-type-from-string",
            lambda event: ".exr" if event["data"]["file_path"].endswith(".0001.exr") else None,
        )
        from ftrack_api.event.base import Event

        results = hub.publish(
            Event("ftrack.api.session.get-file-type-from-string", data={"file_path": "/a/b.0001.exr"}),
            synchronous=True,
        )
        assert results == [".exr"]
    finally:
        session.close()
