"""Session lifecycle, schemas, types, plugins, events and data methods on the local server."""
from __future__ import annotations

import json
import logging
import os
import pathlib
import textwrap
import warnings

import pytest

import ftrack_api
import ftrack_api.cache
import ftrack_api.entity.base
import ftrack_api.exception
import ftrack_api.symbol
from ftrack_api.event.hub import EventHub


class Recorder(object):
    def __init__(self, session):
        self.actions = []
        self.bodies = []
        original = session._transport.send

        def send(body, idempotent):
            data = json.loads(body)
            self.bodies.append(data)
            self.actions.extend(item["action"] for item in data)
            return original(body, idempotent)

        session._transport.send = send


def test_server_information_types_and_schemas(session):
    info = session.server_information
    assert "version" in info and "schema_hash" in info
    info["version"] = "changed"
    assert session.server_information["version"] != "changed"
    assert {schema["id"] for schema in session.schemas} == set(session.types)
    assert "Task" in session.types
    session.check_server_compatibility()


def test_context_manager_and_close(local_server, tmp_path):
    with local_server.session(schema_cache_path=str(tmp_path)) as session:
        assert not session.closed
    assert session.closed


def test_schema_cache_by_hash(local_server, tmp_path):
    first = local_server.session(schema_cache_path=str(tmp_path))
    first.close()
    cache_file = tmp_path / "ftrack_api_schema_cache.json"
    assert cache_file.exists()
    original_send = ftrack_api._transport.HttpTransport.send
    actions = []

    def spy(self, body, idempotent):
        actions.extend(item["action"] for item in json.loads(body))
        return original_send(self, body, idempotent)

    ftrack_api._transport.HttpTransport.send = spy
    try:
        with local_server.session(schema_cache_path=str(tmp_path)) as second:
            assert "query_schemas" not in actions
            assert set(second.types) == {s["id"] for s in json.loads(cache_file.read_text())}
        cache_file.write_text("{not json")
        del actions[:]
        with pytest.warns(RuntimeWarning, match="schema cache"):
            with local_server.session(schema_cache_path=str(tmp_path)) as third:
                assert "Task" in third.types
        assert "query_schemas" in actions
        del actions[:]
        with local_server.session(schema_cache_path=False) as fourth:
            assert "Task" in fourth.types
        assert "query_schemas" in actions
    finally:
        ftrack_api._transport.HttpTransport.send = original_send


def test_schema_cache_holds_the_servers_schemas_as_compact_json(local_server, tmp_path):
    with local_server.session(schema_cache_path=str(tmp_path)) as session:
        served = session.call([{"action": "query_schemas"}])[0]
    text = (tmp_path / "ftrack_api_schema_cache.json").read_text(encoding="utf-8")
    assert json.loads(text) == served
    # One line, as json.dumps writes it without an indent (the C encoder's form; an
    # indented file took the pure-Python encoder about 10 ms longer per cold Session()).
    assert "\n" not in text
    assert text == json.dumps(served)


def test_schema_cache_environment_variable(monkeypatch, local_server, tmp_path):
    monkeypatch.setenv("FTRACK_API_SCHEMA_CACHE_PATH", str(tmp_path))
    with local_server.session():
        pass
    assert (tmp_path / "ftrack_api_schema_cache.json").exists()


def test_unwritable_schema_cache_warns(local_server, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.warns(RuntimeWarning, match="schema cache"):
        with local_server.session(schema_cache_path=str(blocker / "sub")) as session:
            assert "Task" in session.types


def test_plugin_discovery(local_server, tmp_path, caplog):
    plugins = tmp_path / "plugins"
    (plugins / "sub").mkdir(parents=True)
    (plugins / "good.py").write_text(textwrap.dedent(
        """
        CALLS = []
        def register(session, a=None):
            import ftrack_api
            assert isinstance(session, ftrack_api.Session)
            session.__dict__.setdefault("plugin_calls", []).append(("good", a))
        """
    ))
    (plugins / "broken.py").write_text("raise RuntimeError('broken plugin')\n")
    (plugins / "raising.py").write_text("def register(session):\n    raise ValueError('register failed')\n")
    (plugins / "sub" / "nested.py").write_text(textwrap.dedent(
        """
        def register(session, **kw):
            session.__dict__.setdefault("plugin_calls", []).append(("nested", kw))
        """
    ))
    caplog.set_level(logging.WARNING)
    with local_server.session(
        schema_cache_path=str(tmp_path), plugin_paths=[str(plugins)], plugin_arguments={"a": 1, "b": 2}
    ) as session:
        calls = dict(session.plugin_calls)
    assert calls["good"] == 1
    assert calls["nested"] == {"a": 1, "b": 2}
    text = caplog.text
    assert "broken.py" in text
    assert "raising.py" in text
    assert "b" in text and "good.py" in text


def test_plugin_path_from_environment(monkeypatch, local_server, tmp_path):
    plugins = tmp_path / "env_plugins"
    plugins.mkdir()
    (plugins / "p.py").write_text(
        "def register(session):\n    session.__dict__['from_env'] = session.types == {}\n"
    )
    monkeypatch.setenv("FTRACK_EVENT_PLUGIN_PATH", os.pathsep.join(["", str(plugins)]))
    with local_server.session(schema_cache_path=str(tmp_path)) as session:
        assert session.from_env is True  # plugins run before types exist


def test_construct_entity_type_event_and_ready(local_server, tmp_path):
    plugins = tmp_path / "p"
    plugins.mkdir()
    (plugins / "types.py").write_text(textwrap.dedent(
        """
        import ftrack_api.entity.factory

        class Shouty(object):
            def shout(self):
                return self["name"].upper()

        class Factory(ftrack_api.entity.factory.StandardFactory):
            def create(self, schema, bases=None):
                return super().create(schema, bases=[Shouty])

        def construct(event):
            if event["data"]["schema"]["id"] == "Project":
                return Factory().create(event["data"]["schema"])

        def ready(event):
            event["data"]["session"].__dict__["ready_seen"] = True

        def register(session):
            session.event_hub.subscribe("topic=ftrack.api.session.construct-entity-type", construct)
            session.event_hub.subscribe("topic=ftrack.api.session.ready", ready)
        """
    ))
    with local_server.session(schema_cache_path=str(tmp_path), plugin_paths=[str(plugins)]) as session:
        assert session.ready_seen is True
        project = session.create("Project", {"name": "shout"})
        assert project.shout() == "SHOUT"
        assert isinstance(project, ftrack_api.entity.base.Entity)
        session.rollback()


def test_event_hub_class_keyword(local_server, tmp_path):
    class MyHub(EventHub):
        pass

    with local_server.session(schema_cache_path=str(tmp_path), event_hub_class=MyHub) as session:
        assert type(session.event_hub) is MyHub


def test_reset_publishes_event_and_clears_cache(session, project):
    project_entity, _ = project
    seen = []
    session.event_hub.subscribe("topic=ftrack.api.session.reset", lambda event: seen.append(event))
    session.reset()
    assert len(seen) == 1
    assert session.get("Project", project_entity["id"]) is not project_entity
    assert session.get("Location", ftrack_api.symbol.ORIGIN_LOCATION_ID) is not None


def test_user_cache_layer_and_key_maker(local_server, tmp_path):
    layer = ftrack_api.cache.MemoryCache()
    with local_server.session(schema_cache_path=str(tmp_path), cache=lambda session: layer) as session:
        assert session.cache.caches[1] is layer
        assert isinstance(session.cache.caches[0], ftrack_api.cache.MemoryCache)
        user = session.query("User").first()
        key = session.cache_key_maker.key((user.entity_type, [user["id"]]))
        assert key in layer.keys()
    with local_server.session(schema_cache_path=str(tmp_path), cache=layer) as session:
        assert session.cache.caches[1] is layer
    maker = ftrack_api.cache.StringKeyMaker()
    with local_server.session(schema_cache_path=str(tmp_path), cache_key_maker=maker) as session:
        assert session.cache_key_maker is maker


def test_get_with_composite_key(session, project):
    _, sequence = project
    sequence["metadata"]["k1"] = "v1"
    session.commit()
    session.reset()
    item = session.get("Metadata", [sequence["id"], "k1"])
    assert item["value"] == "v1"
    assert session.get("Metadata", (sequence["id"], "k1")) is item
    with pytest.raises(ValueError, match="Incompatible entity_key"):
        session.get("Metadata", sequence["id"])


def test_populate_is_one_query(session, project, new_session):
    _, sequence = project
    shots = [session.create("Shot", {"name": "p{0}".format(i), "parent": sequence, "description": "d"}) for i in range(4)]
    session.commit()
    other = new_session()
    loaded = other.query('select id from Shot where parent_id is "{0}"'.format(sequence["id"])).all()
    recorder = Recorder(other)
    other.populate(loaded, "name, description")
    assert recorder.actions == ["query"]
    with other.auto_populating(False):
        assert sorted(shot["name"] for shot in loaded) == ["p0", "p1", "p2", "p3"]


def test_ensure_creates_then_finds_and_escapes(session, project):
    project_entity, _ = project
    tricky = 'quote " and back\\slash'
    first = session.ensure("Sequence", {"name": tricky, "parent_id": project_entity["id"]})
    again = session.ensure("Sequence", {"name": tricky, "parent_id": project_entity["id"]})
    assert again is first
    updated = session.ensure(
        "Sequence", {"name": tricky, "parent_id": project_entity["id"], "description": "new"},
        identifying_keys=["name", "parent_id"],
    )
    assert updated is first and first["description"] == "new"
    with pytest.raises(ValueError):
        session.ensure("Sequence", {}, identifying_keys=[])
    with pytest.raises(KeyError):
        session.ensure("Sequence", {"name": "x"}, identifying_keys=["missing"])


def test_delete_round_trip(session, project, new_session):
    _, sequence = project
    shot = session.create("Shot", {"name": "to-delete", "parent": sequence})
    session.commit()
    session.delete(shot)
    assert len(session.recorded_operations) == 1
    session.commit()
    assert new_session().get("Shot", shot["id"]) is None


def test_builtin_locations(session):
    origin = session.get("Location", ftrack_api.symbol.ORIGIN_LOCATION_ID)
    assert type(origin).__name__ == "OriginLocation"
    assert origin.priority == 100
    assert str(origin) == '<OriginLocation("ftrack.origin", {0})>'.format(ftrack_api.symbol.ORIGIN_LOCATION_ID)
    server = session.get("Location", ftrack_api.symbol.SERVER_LOCATION_ID)
    assert type(server).__name__ == "ServerLocation" and server.priority == 150
    unmanaged = session.get("Location", ftrack_api.symbol.UNMANAGED_LOCATION_ID)
    assert unmanaged.priority == 90
    assert session.get("Location", ftrack_api.symbol.REVIEW_LOCATION_ID).priority == 110


def test_call_returns_decoded_results(session):
    (result,) = session.call([{"action": "query", "expression": "select username from User limit 1"}])
    assert result["data"][0].entity_type == "User"


def test_persistent_serialised_file_cache(local_server, tmp_path, project):
    import functools

    project_entity, sequence = project
    path = str(tmp_path / "entities.dbm")

    def make_cache(session):
        return ftrack_api.cache.SerialisedCache(
            ftrack_api.cache.FileCache(path),
            encode=functools.partial(session.encode, entity_attribute_strategy="persisted_only"),
            decode=session.decode,
        )

    with local_server.session(schema_cache_path=str(tmp_path), cache=make_cache) as first:
        loaded = first.query('select name, parent from Sequence where id is "{0}"'.format(sequence["id"])).one()
        assert loaded["name"] == "sq010"
    with local_server.session(schema_cache_path=str(tmp_path), cache=make_cache, auto_populate=False) as second:
        recorder = Recorder(second)
        cached = second.get("Sequence", sequence["id"])
        assert recorder.actions == []
        assert cached["name"] == "sq010"
        assert cached["parent"]["id"] == project_entity["id"]
        assert second._is_attached(cached["parent"])


def test_event_hub_class_attribute(local_server, tmp_path):
    class MyHub(EventHub):
        pass

    class MySession(ftrack_api.Session):
        event_hub_class = MyHub

    assert ftrack_api.Session.event_hub_class is EventHub
    with MySession(
        server_url=local_server.url, api_key=local_server.api_key, api_user=local_server.api_user,
        schema_cache_path=str(tmp_path),
    ) as session:
        assert type(session.event_hub) is MyHub


def test_schema_cache_defaults_to_user_cache_dir(monkeypatch, local_server, tmp_path):
    monkeypatch.delenv("FTRACK_API_SCHEMA_CACHE_PATH", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    import platformdirs

    expected = pathlib.Path(platformdirs.user_cache_dir()) / "ftrack_api_schema_cache.json"
    with local_server.session():
        pass
    assert expected.exists()
    assert str(expected).startswith(str(tmp_path))


def test_chunk_size_environment_variable():
    import subprocess
    import sys

    code = "import ftrack_api.symbol as s; print(s.CHUNK_SIZE)"
    env = dict(os.environ, FTRACK_API_FILE_CHUNK_SIZE="2048")
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.strip() == "2048"
    env["FTRACK_API_FILE_CHUNK_SIZE"] = "0"
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.strip() == "1048576"


def test_private_names_used_by_existing_test_suites(session, tmp_path):
    path = str(tmp_path / "schemas.json")
    session._write_schemas_to_cache(session.schemas, path)
    schemas, digest = session._read_schemas_from_cache(path)
    assert digest == session.server_information["schema_hash"]
    assert session._read_schemas_from_cache(str(tmp_path / "missing.json")) == ([], "")
    user = session._create("User", {"id": "u-1", "username": "x"}, True)
    assert session._merge(user, {}) is user
    assert session._local_cache is session.cache.caches[0]
    origin = session.get("Location", ftrack_api.symbol.ORIGIN_LOCATION_ID)
    assert origin._get_context(user, "/path") == {"source_resource_identifier": "/path"}
