"""Special entity classes, locations, inspection and symbols."""
from __future__ import annotations

import copy
import os
import pickle

import pytest

import ftrack_api.exception
import ftrack_api.inspection
import ftrack_api.symbol
from ftrack_api.symbol import NOT_SET


def test_project_schema_statuses_and_types(session):
    schema = session.query("ProjectSchema").first()
    task_statuses = [status["name"] for status in schema.get_statuses("Task")]
    assert "Not started" in task_statuses and "In Progress" in task_statuses
    assert "Compositing" in [kind["name"] for kind in schema.get_types("Task")]
    assert schema.get_statuses("AssetVersion")
    assert schema.get_statuses("Shot")
    with pytest.raises(ValueError):
        schema.get_statuses("NoSuchSchema")


def test_user_timer(session, project):
    project_entity, sequence = project
    user = session.query('User where username is "{0}"'.format(session.api_user)).one()
    timer = user.start_timer(sequence, comment="work", name="t", force=True)
    assert timer["user"] is user
    timer = user.start_timer(sequence, comment="work", name="t", force=True)
    timelog = user.stop_timer()
    assert timelog["duration"] >= 0
    assert timelog["comment"] == "work"
    with pytest.raises(ftrack_api.exception.NoResultFoundError):
        user.stop_timer()


def test_create_note_with_recipient(session, project, new_session):
    _, sequence = project
    author = session.query('User where username is "{0}"'.format(session.api_user)).one()
    note = sequence.create_note("see me", author=author, recipients=[author])
    session.commit()
    loaded = new_session().get("Note", note["id"])
    assert loaded["content"] == "see me"
    assert [r["resource_id"] for r in loaded["recipients"]] == [author["id"]]
    with pytest.raises(ValueError):
        sequence.create_note("x", author=author, category=object(), labels=[object()])


def test_components_in_origin_location(session, project, tmp_path):
    project_entity, sequence = project
    asset_type = session.query("AssetType").first()
    asset = session.create("Asset", {"name": "comp", "parent": sequence, "type": asset_type})
    version = session.create("AssetVersion", {"asset": asset, "version": 1})
    path = tmp_path / "plate.exr"
    path.write_bytes(b"12345")
    component = version.create_component(str(path), data={"name": "main"}, location=None)
    assert component.entity_type == "FileComponent"
    assert component["size"] == 5
    assert component["file_type"] == ".exr"
    assert component["version"] is version
    origin = session.get("Location", ftrack_api.symbol.ORIGIN_LOCATION_ID)
    assert origin.get_resource_identifier(component) == str(path)
    assert origin.get_component_availability(component) == 100.0
    with pytest.raises(ftrack_api.exception.ComponentInLocationError):
        origin.add_component(component, str(path))
    session.commit()
    availability = component.get_availability([origin])
    assert availability == {origin["id"]: 100.0}
    sequence_component = session.create_component(
        os.path.join(str(tmp_path), "frame.%04d.exr [1-3]"), data={"name": "seq"}, location=None
    )
    assert sequence_component.entity_type == "SequenceComponent"
    assert sorted(member["name"] for member in sequence_component["members"]) == ["0001", "0002", "0003"]
    session.commit()


def test_inspection_helpers(session, project):
    project_entity, _ = project
    assert ftrack_api.inspection.identity(project_entity) == ("Project", [project_entity["id"]])
    assert dict(ftrack_api.inspection.primary_key(project_entity)) == {"id": project_entity["id"]}
    assert ftrack_api.inspection.state(project_entity) is NOT_SET
    assert ftrack_api.inspection.states([]) == []
    empty = session.types["Metadata"](session, {}, reconstructing=True)
    with pytest.raises(KeyError):
        ftrack_api.inspection.primary_key(empty)


def test_del_and_clear_record_operations(session, project):
    project_entity, _ = project
    project_entity["full_name"] = "temp"
    del project_entity["full_name"]
    assert project_entity["full_name"] != "temp"
    assert ftrack_api.inspection.state(project_entity) is ftrack_api.symbol.MODIFIED
    project_entity["full_name"] = "again"
    project_entity.clear()
    assert project_entity._local == {}
    session.commit()


def test_metadata_assigned_as_mapping(session, project, new_session):
    _, sequence = project
    sequence["metadata"] = {"a": "1", "b": "2"}
    session.commit()
    sequence["metadata"] = {"b": "3"}
    session.commit()
    assert dict(new_session().get("Sequence", sequence["id"])["metadata"]) == {"b": "3"}


def test_symbols():
    NOT_SET = ftrack_api.symbol.NOT_SET
    assert copy.deepcopy(NOT_SET) is NOT_SET
    assert copy.copy(NOT_SET) is NOT_SET
    assert copy.deepcopy({"x": [NOT_SET]})["x"][0] is NOT_SET
    assert pickle.loads(pickle.dumps(NOT_SET)) is NOT_SET
    assert not NOT_SET and ftrack_api.symbol.CREATED
    assert str(NOT_SET) == "NOT_SET" and repr(NOT_SET) == "Symbol(NOT_SET)"
    assert str(ftrack_api.symbol.JOB_SYNC_USERS_LDAP) == "SYNC_USERS_LDAP"
    assert ftrack_api.symbol.CHUNK_SIZE == 1024 * 1024
    assert ftrack_api.symbol.SERVER_LOCATION_ID == "3a372bde-05bc-11e4-8908-20c9d081909b"


def test_exception_hierarchy():
    e = ftrack_api.exception
    assert issubclass(e.ServerCompatibilityError, e.ServerError)
    assert issubclass(e.NoResultFoundError, e.IncorrectResultError)
    assert issubclass(e.ImmutableAttributeError, e.AttributeError)
    assert issubclass(e.AccessorContainerNotEmptyError, e.AccessorResourceError)
    assert issubclass(e.EventHubPacketError, e.EventHubError)
    error = e.ComponentNotInLocationError("c1", "loc")
    assert error.details["components"] == ["c1"]
    assert str(error) == "Component(s) c1 not found in location loc."
    assert e.Error().traceback
    server = e.ServerError("boom", exception_name="X", content="c", error_code="E", status_code=500)
    assert (server.exception_name, server.content, server.error_code, server.status_code) == ("X", "c", "E", 500)


def test_unmanaged_location_registration(session, project, tmp_path, new_session):
    path = tmp_path / "ref.mov"
    path.write_bytes(b"movie")
    unmanaged = session.get("Location", ftrack_api.symbol.UNMANAGED_LOCATION_ID)
    component = session.create_component(str(path), data={"name": "ref"}, location=unmanaged)
    assert unmanaged.get_component_availability(component) == 100.0
    assert unmanaged.get_resource_identifier(component) == str(path)
    assert unmanaged.get_filesystem_path(component) == str(path)
    other = new_session()
    loaded = other.get("FileComponent", component["id"])
    availability = other.get_component_availability(loaded)
    assert availability[ftrack_api.symbol.UNMANAGED_LOCATION_ID] == 100.0
    assert availability[ftrack_api.symbol.SERVER_LOCATION_ID] == 0.0
    with pytest.raises(ftrack_api.exception.ComponentInLocationError):
        unmanaged.add_component(component, session.get("Location", ftrack_api.symbol.ORIGIN_LOCATION_ID))
    unmanaged.remove_component(component)
    assert unmanaged.get_component_availability(component) == 0.0
    with pytest.raises(ftrack_api.exception.ComponentNotInLocationError):
        unmanaged.get_resource_identifier(component)
    assert path.exists()  # unmanaged: data left where it is


def test_pick_location(session):
    location = session.pick_location()
    assert location is not None
    assert location.priority == min(
        loc.priority for loc in session.query("Location").all() if loc.accessor
    )
