"""Entities as mappings: NOT_SET, auto-population, collections, metadata, custom attributes."""
from __future__ import annotations

import copy
import uuid

import pytest

import ftrack_api
import ftrack_api.attribute
import ftrack_api.collection
import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.symbol
from ftrack_api.symbol import NOT_SET


def test_entity_class_shape(session):
    task_class = session.types["Task"]
    assert repr(task_class) == "<dynamic ftrack class 'Task'>"
    assert task_class.entity_type == "Task"
    assert task_class.primary_key_attributes == ["id"]
    assert isinstance(task_class.attributes, ftrack_api.attribute.Attributes)
    assert isinstance(task_class.attributes.get("parent"), ftrack_api.attribute.ReferenceAttribute)
    assert isinstance(task_class.attributes.get("children"), ftrack_api.attribute.CollectionAttribute)
    assert isinstance(task_class.attributes.get("metadata"), ftrack_api.attribute.KeyValueMappedCollectionAttribute)
    assert task_class.attributes.get("start_date").data_type == "datetime"
    from ftrack_api.entity.note import CreateNoteMixin

    assert issubclass(task_class, CreateNoteMixin)
    assert issubclass(session.types["User"], ftrack_api.entity.user.User)
    assert issubclass(session.types["FileComponent"], ftrack_api.entity.component.Component)


def test_restricted_projection_attributes_are_left_out(real_schema_server, tmp_path):
    with real_schema_server.session(schema_cache_path=str(tmp_path)) as session:
        assert len(session.types) == 116
        keys = session.types["Task"].attributes.keys()
        assert "custom_attributes" in keys
        assert "custom_attribute_links" not in keys
        assert "custom_attribute_links_from" not in keys


def test_mapping_interface_and_lazy_loading(session, project, new_session):
    _, sequence = project
    task = session.create("Task", {"name": "lazy", "parent": sequence, "description": "d"})
    session.commit()
    other = new_session()
    loaded = other.query('select name from Task where id is "{0}"'.format(task["id"])).one()
    assert ftrack_api.attribute.Attribute.get_remote_value(loaded.attributes.get("description"), loaded) is NOT_SET
    assert loaded["description"] == "d"  # auto-populated
    assert loaded["parent"]["name"] == "sq010"
    assert list(loaded.keys()) == session.types["Task"].attributes.keys()
    assert len(loaded) == len(loaded.keys())
    with pytest.raises(KeyError):
        loaded["no_such_attribute"]
    with pytest.raises(KeyError):
        loaded["no_such_attribute"] = 1
    assert loaded.get("no_such_attribute", 5) == 5
    values = dict(loaded.items())
    assert values["name"] == "lazy"
    assert str(loaded) == "<Task({0})>".format(task["id"])
    assert repr(loaded).startswith("<dynamic ftrack Task object ")
    assert loaded == task and hash(loaded) == hash(task)


def test_not_set_without_auto_populate(session, project, new_session):
    _, sequence = project
    task = session.create("Task", {"name": "np", "parent": sequence})
    session.commit()
    other = new_session(auto_populate=False)
    loaded = other.query('select name from Task where id is "{0}"'.format(task["id"])).one()
    assert loaded["description"] is NOT_SET
    assert loaded["parent"] is NOT_SET
    assert not other.auto_populate


def test_created_entity_is_never_fetched(session, project):
    _, sequence = project
    calls = []
    original = session._transport.send
    session._transport.send = lambda body, idempotent: calls.append(body) or original(body, idempotent)
    task = session.create("Task", {"name": "fresh", "parent": sequence})
    assert task["description"] is NOT_SET
    assert len(task["children"]) == 0
    assert calls == []
    assert ftrack_api.inspection.state(task) is ftrack_api.symbol.CREATED
    session.rollback()


def test_create_returns_cached_instance(session, project):
    _, sequence = project
    task = session.create("Task", {"name": "c", "parent": sequence})
    assert session.get("Task", task["id"]) is task
    again = session.create("Task", {"id": task["id"], "name": "c2", "parent": sequence})
    assert again is task
    assert task["name"] == "c2"
    session.rollback()


def test_unknown_type_create(session):
    with pytest.raises(ftrack_api.exception.UnrecognisedEntityTypeError):
        session.create("NoSuchType", {})
    with pytest.raises(KeyError):
        session.get("NoSuchType", "x")


def test_immutable_attribute(session, project):
    project_entity, _ = project
    with pytest.raises(ftrack_api.exception.ImmutableAttributeError):
        project_entity["id"] = str(uuid.uuid4())


def test_collection_behaviour(session, project):
    project_entity, sequence = project
    shot = session.create("Shot", {"name": "sh", "parent": sequence})
    children = sequence["children"]
    assert isinstance(children, ftrack_api.collection.Collection)
    assert shot not in children  # no reverse bookkeeping: the server has no child yet
    children.append(shot)
    assert shot in children
    with pytest.raises(ftrack_api.exception.DuplicateItemInCollectionError):
        children.append(shot)
    copied = copy.copy(children)
    assert copied == children
    session.commit()
    assert shot in session.query('select children from Sequence where id is "{0}"'.format(sequence["id"])).one()["children"]


def test_immutable_collection_error(session, project):
    _, sequence = project
    collection = ftrack_api.collection.Collection(sequence, sequence.attributes.get("children"), mutable=False)
    with pytest.raises(ftrack_api.exception.ImmutableCollectionError):
        collection.append(sequence)


def test_unloaded_collection_without_auto_populate_stores_nothing(session, project, new_session):
    project_entity, sequence = project
    asset_type = session.query("AssetType").first()
    asset = session.create("Asset", {"name": "a", "parent": sequence, "type": asset_type})
    for number in (1, 2, 3):
        session.create("AssetVersion", {"asset": asset, "version": number})
    session.commit()

    other = new_session(auto_populate=False)
    loaded = other.query('select name from Asset where id is "{0}"'.format(asset["id"])).one()
    assert len(loaded["versions"]) == 0
    assert "versions" not in loaded._local and "versions" not in loaded._remote
    other.query('select versions from Asset where id is "{0}"'.format(asset["id"])).one()
    assert len(loaded["versions"]) == 3


def test_requery_refreshes_collection_read_before(session, project, new_session):
    _, sequence = project
    shot = session.create("Shot", {"name": "shA", "parent": sequence})
    asset_type = session.query("AssetType").first()
    session.create("Asset", {"name": "a1", "parent": shot, "type": asset_type})
    session.commit()

    a = new_session()
    shot_a = a.get("Shot", shot["id"])
    count = len(shot_a["assets"])
    assert count == 1

    b = new_session()
    b.create("Asset", {"name": "a2", "parent": b.get("Shot", shot["id"]), "type": b.get("AssetType", asset_type["id"])})
    b.commit()

    again = a.query('select assets from Shot where id is "{0}"'.format(shot["id"])).one()
    assert again is shot_a
    assert len(shot_a["assets"]) == count + 1


def test_metadata_mapping(session, project, new_session):
    _, sequence = project
    sequence["metadata"]["colour"] = "red"
    sequence["metadata"]["size"] = "big"
    session.commit()
    other = new_session()
    loaded = other.get("Sequence", sequence["id"])
    assert dict(loaded["metadata"]) == {"colour": "red", "size": "big"}
    loaded["metadata"]["colour"] = "blue"
    del loaded["metadata"]["size"]
    other.commit()
    third = new_session()
    assert dict(third.get("Sequence", sequence["id"])["metadata"]) == {"colour": "blue"}


def _ensure_fstart(session):
    task_class = session.types["Task"]
    object_type_id = task_class.attributes.get("object_type_id").default_value
    existing = session.query('CustomAttributeConfiguration where key is "fstart"').first()
    if existing is None:
        number = session.query('CustomAttributeType where name is "number"').one()
        session.create(
            "CustomAttributeConfiguration",
            {
                "key": "fstart",
                "label": "Frame start",
                "type": number,
                "entity_type": "task",
                "object_type_id": object_type_id,
                "config": "{}",
                "default": 0,
            },
        )
        session.commit()


def test_custom_attribute_on_create(session, project, new_session):
    _ensure_fstart(new_session())
    _, sequence = project
    task = session.create(
        "Task", {"name": "ca", "parent": sequence, "custom_attributes": {"fstart": 1001}}
    )
    session.commit()
    fresh = new_session()
    loaded = fresh.get("Task", task["id"])
    assert loaded["custom_attributes"]["fstart"] == 1001
    with pytest.raises(KeyError):
        loaded["custom_attributes"]["no_such_key"]
    with pytest.raises(KeyError):
        loaded["custom_attributes"]["no_such_key"] = 1
    loaded["custom_attributes"]["fstart"] = 1010
    fresh.commit()
    assert new_session().get("Task", task["id"])["custom_attributes"]["fstart"] == 1010


def test_note_helpers(session, project):
    _, sequence = project
    author = session.query('User where username is "{0}"'.format(session.api_user)).one()
    note = sequence.create_note("hello", author=author)
    reply = note.create_reply("answer", author)
    session.commit()
    assert note in sequence["notes"]
    assert reply in note["replies"]


def test_job_type_validation(session):
    with pytest.raises(ValueError, match="Invalid job type"):
        session.create("Job", {"type": "other"})


def test_mixin():
    class Base(object):
        pass

    class Extra(object):
        def hello(self):
            return "hi"

    item = Base()
    ftrack_api.mixin(item, Extra)
    assert type(item).__name__ == "BaseExtra"
    assert item.hello() == "hi"
    ftrack_api.mixin(item, Extra)
    assert type(item).__name__ == "BaseExtra"


def test_entity_merge_reports_changes(session, project):
    _, sequence = project
    detached = session.types["Sequence"](session, {"id": sequence["id"], "name": "renamed"}, reconstructing=True)
    changes = sequence.merge(detached)
    assert {"type": "remote_attribute", "name": "name", "old_value": "sq010", "new_value": "renamed"} in changes
