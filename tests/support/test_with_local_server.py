"""Support modules used with real entities from the local server."""
from __future__ import annotations

import functools
import uuid

import pytest

import ftrack_api.cache
import ftrack_api.formatter as formatter
from ftrack_api.accessor.disk import DiskAccessor
from ftrack_api.exception import StructureError
from ftrack_api.structure.entity_id import EntityIdStructure
from ftrack_api.structure.id import IdStructure
from ftrack_api.structure.standard import StandardStructure


@pytest.fixture(autouse=True)
def _plain_output(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def hierarchy(session):
    """Project > Sequence > Shot > Asset > AssetVersion > components, committed."""
    suffix = uuid.uuid4().hex[:8]
    schema = session.query("ProjectSchema").first()
    project = session.create(
        "Project", {"name": f"proj_{suffix}", "full_name": "Support Project", "project_schema": schema}
    )
    sequence = session.create("Sequence", {"name": "SQ 01", "parent": project})
    shot = session.create("Shot", {"name": "Sh010", "parent": sequence})
    asset = session.create(
        "Asset", {"name": "Hero Model", "parent": shot, "type": session.query("AssetType").first()}
    )
    version = session.create("AssetVersion", {"asset": asset, "version": 2})
    file = session.create("FileComponent", {"name": "Main", "file_type": ".exr", "version": version})
    sequence_component = session.create(
        "SequenceComponent", {"name": "plate", "file_type": ".dpx", "padding": 4, "version": version}
    )
    member = session.create(
        "FileComponent",
        {"name": "1001", "file_type": ".dpx", "version": version, "container": sequence_component},
    )
    session.commit()
    return {
        "suffix": suffix,
        "project": project,
        "version": version,
        "file": file,
        "sequence": sequence_component,
        "member": member,
    }


def test_format_real_entity(session, hierarchy):
    version = hierarchy["version"]
    text = formatter.format(version, attribute_filter=formatter.FILTER["ignore_unset"])
    lines = text.splitlines()
    assert lines[0] == "AssetVersion"
    assert f" id: {version['id']}" in lines
    assert " version: 2" in lines
    asset_line = next(index for index, line in enumerate(lines) if line.startswith(" asset: "))
    assert lines[asset_line] == " asset: Asset"
    # Nested entity lines align one space after the value column.
    assert any(line == " " * (len("asset") + 4) + "name: Hero Model" for line in lines[asset_line:])
    assert "NOT_SET" not in text


def test_format_real_collections(session, hierarchy):
    asset = hierarchy["version"]["asset"]
    assert f" versions: {asset['versions']!r}" in formatter.format(asset).splitlines()
    keep = {"name", "versions", "asset", "version"}
    recursive = formatter.format(
        asset, recursive=True, attribute_filter=lambda entity, name, value: name in keep
    ).splitlines()
    # The version's asset points back at the asset being formatted: a cycle marker.
    assert recursive == [
        "Asset",
        " name: Hero Model",
        " versions: AssetVersion",
        "            asset: Asset{...}",
        "            version: 2",
    ]


def test_standard_structure_with_real_components(session, hierarchy):
    structure = StandardStructure()
    base = f"proj_{hierarchy['suffix']}/sq_01/sh010/hero_model/v002"
    assert structure.get_resource_identifier(hierarchy["file"]) == f"{base}/main.exr"
    assert structure.get_resource_identifier(hierarchy["sequence"]) == f"{base}/plate.%04d.dpx"
    assert structure.get_resource_identifier(hierarchy["member"]) == f"{base}/plate.1001.dpx"


def test_standard_structure_refuses_uncommitted_version(session, hierarchy):
    version = session.create("AssetVersion", {"asset": hierarchy["version"]["asset"], "version": 3})
    component = session.create("FileComponent", {"name": "x", "file_type": ".exr", "version": version})
    with pytest.raises(StructureError, match="not been committed"):
        StandardStructure().get_resource_identifier(component)


def test_id_structures_with_real_components(session, hierarchy, tmp_path):
    file = hierarchy["file"]
    identifier = IdStructure().get_resource_identifier(file)
    component_id = file["id"]
    assert identifier == "/".join([*component_id[:4], component_id[4:]]) + ".exr"
    assert EntityIdStructure().get_resource_identifier(file) == component_id
    # The identifier is usable by a disk accessor below a prefix.
    accessor = DiskAccessor(str(tmp_path))
    accessor.make_container(accessor.get_container(identifier))
    with accessor.open(identifier, "wb") as data:
        data.write(b"pixels")
    assert (tmp_path / identifier).read_bytes() == b"pixels"


def test_serialised_file_cache_round_trips_entities(session, hierarchy, tmp_path):
    cache = ftrack_api.cache.SerialisedCache(
        ftrack_api.cache.FileCache(str(tmp_path / "entities")),
        encode=functools.partial(session.encode, entity_attribute_strategy="persisted_only"),
        decode=session.decode,
    )
    version = hierarchy["version"]
    cache.set("version", version)
    restored = cache.get("version")
    assert restored.entity_type == "AssetVersion"
    assert restored["id"] == version["id"]
    assert restored["version"] == 2


@pytest.fixture
def disk_location(session, tmp_path):
    """A committed Location whose data lives below ``tmp_path / "store"``."""
    location = session.create("Location", {"name": f"studio.disk.{uuid.uuid4().hex[:8]}"})
    session.commit()
    location.accessor = DiskAccessor(str(tmp_path / "store"))
    location.priority = 10
    return location


def test_location_transfers_data_with_disk_accessor_and_id_structure(session, disk_location, tmp_path):
    disk_location.structure = IdStructure()
    source = tmp_path / "plate.exr"
    source.write_bytes(b"pixels" * 100)
    component = session.create_component(str(source), location=disk_location)
    identifier = IdStructure().get_resource_identifier(component)
    stored = tmp_path / "store" / identifier
    assert disk_location.get_filesystem_path(component) == str(stored)
    assert stored.read_bytes() == b"pixels" * 100
    disk_location.remove_component(component)
    assert not stored.exists()


def test_location_transfers_data_with_standard_structure(session, disk_location, hierarchy, tmp_path):
    disk_location.structure = StandardStructure()
    source = tmp_path / "Review Movie.mov"
    source.write_bytes(b"movie")
    component = session.create_component(
        str(source),
        data={"name": "Review Movie", "version_id": hierarchy["version"]["id"]},
        location=disk_location,
    )
    expected = (
        tmp_path / "store" / f"proj_{hierarchy['suffix']}" / "sq_01" / "sh010" / "hero_model"
        / "v002" / "review_movie.mov"
    )
    assert disk_location.get_filesystem_path(component) == str(expected)
    assert expected.read_bytes() == b"movie"
