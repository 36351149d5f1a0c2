"""Tests for ftrack_api.structure.* with duck-typed entities."""
from __future__ import annotations

import pytest

from ftrack_api.exception import StructureError
from ftrack_api.structure.base import Structure
from ftrack_api.structure.entity_id import EntityIdStructure
from ftrack_api.structure.id import IdStructure
from ftrack_api.structure.origin import OriginStructure
from ftrack_api.structure.standard import StandardStructure
from ftrack_api.symbol import NOT_SET


class FakeSession:
    def __init__(self):
        self.entities = {}
        self.created = []

    def get(self, entity_type, entity_id):
        return self.entities.get((entity_type, entity_id))


class E(dict):
    """A dict with an entity_type and a session, like an entity."""

    def __init__(self, entity_type, session=None, **data):
        super().__init__(**data)
        self.entity_type = entity_type
        self.session = session
        if session is not None and "id" in data:
            session.entities[(entity_type, data["id"])] = self

    def __repr__(self):
        return f"<{self.entity_type}({self.get('id')})>"

    __hash__ = object.__hash__

    def __eq__(self, other):
        return self is other


def test_structure_is_abstract_and_sequence_expression():
    with pytest.raises(TypeError):
        Structure()  # type: ignore[abstract]
    structure = EntityIdStructure()
    assert structure.prefix == ""
    assert structure.path_separator == "/"
    assert structure._get_sequence_expression({"padding": 4}) == "%04d"
    assert structure._get_sequence_expression({"padding": 0}) == "%d"
    assert structure._get_sequence_expression({"padding": None}) == "%d"
    with pytest.raises(TypeError, match="prefix"):
        EntityIdStructure(prefix=3)  # type: ignore[arg-type]


def test_origin_structure():
    structure = OriginStructure()
    component = E("FileComponent", id="c")
    assert (
        structure.get_resource_identifier(
            component, {"source_resource_identifier": "/path/to/file.exr"}
        )
        == "/path/to/file.exr"
    )
    for context in (None, {}, {"other": 1}):
        with pytest.raises(ValueError, match="source_resource_identifier"):
            structure.get_resource_identifier(component, context)


def test_entity_id_structure():
    assert EntityIdStructure().get_resource_identifier(E("FileComponent", id="abc")) == "abc"


@pytest.fixture
def id_components():
    file = E("FileComponent", id="0123456789abcdef", name="main", file_type=".exr", container=None)
    sequence = E("SequenceComponent", id="fedcba9876543210", name="seq", file_type=".dpx", padding=4)
    member = E("FileComponent", id="11112222", name="1001", file_type=".dpx", container=sequence)
    container = E("ContainerComponent", id="aaaabbbbcccc", name="box", file_type="")
    inner = E("FileComponent", id="22223333", name="inner", file_type=".txt", container=container)
    return file, sequence, member, container, inner


def test_id_structure_paths(id_components):
    file, sequence, member, container, inner = id_components
    structure = IdStructure()
    assert structure.get_resource_identifier(file) == "0/1/2/3/456789abcdef.exr"
    assert structure.get_resource_identifier(sequence) == "f/e/d/c/ba9876543210/file.%04d.dpx"
    assert structure.get_resource_identifier(member) == "f/e/d/c/ba9876543210/file.1001.dpx"
    assert structure.get_resource_identifier(container) == "a/a/a/a/bbbbcccc"
    assert structure.get_resource_identifier(inner) == "a/a/a/a/bbbbcccc/22223333.txt"
    sequence["padding"] = 0
    assert structure.get_resource_identifier(sequence).endswith("/file.%d.dpx")
    file["container"] = NOT_SET
    assert structure.get_resource_identifier(file) == "0/1/2/3/456789abcdef.exr"


def test_id_structure_prefix(id_components):
    file = id_components[0]
    assert IdStructure(prefix="data").get_resource_identifier(file) == "data/0/1/2/3/456789abcdef.exr"
    # Unlike the official client an absolute prefix keeps its leading "/".
    assert (
        IdStructure(prefix="/mnt/data/").get_resource_identifier(file)
        == "/mnt/data/0/1/2/3/456789abcdef.exr"
    )


def test_id_structure_rejects_other_entities():
    with pytest.raises(NotImplementedError, match="Task"):
        IdStructure().get_resource_identifier(E("Task", id="t"))


@pytest.fixture
def standard():
    session = FakeSession()
    project = E("Project", session, id="p1", name="My Project")
    asset = E("Asset", session, id="a1", name="Hero Asset")
    version = E(
        "AssetVersion",
        session,
        id="v1",
        version=3,
        asset=asset,
        link=[
            {"id": "p1", "name": "My Project Full Name", "type": "Project"},
            {"id": "q1", "name": "sq/01", "type": "TypedContext"},
            {"id": "s1", "name": "Sh 010", "type": "TypedContext"},
            {"id": "v1", "name": "Hero Asset v003", "type": "AssetVersion"},
        ],
    )

    def component(entity_type, **data):
        data.setdefault("container", None)
        data.setdefault("version", version)
        return E(entity_type, session, **data)

    return session, project, version, component


def test_standard_structure_paths(standard):
    session, project, version, component = standard
    structure = StandardStructure()
    base = "my_project/sq_01/sh_010/hero_asset/v003"
    file = component("FileComponent", id="c1", name="Main File", file_type=".EXR")
    assert structure.get_resource_identifier(file) == f"{base}/main_file.exr"
    sequence = component("SequenceComponent", id="q1", name="Plate", file_type=".dpx", padding=4)
    assert structure.get_resource_identifier(sequence) == f"{base}/plate.%04d.dpx"
    member = component("FileComponent", id="m1", name="1001", file_type=".dpx", container=sequence)
    assert structure.get_resource_identifier(member) == f"{base}/plate.1001.dpx"
    container = component("ContainerComponent", id="k1", name="Bundle", file_type="")
    assert structure.get_resource_identifier(container) == f"{base}/bundle"
    inner = component("FileComponent", id="m2", name="Inner", file_type=".txt", container=container)
    assert structure.get_resource_identifier(inner) == f"{base}/bundle/inner.txt"


def test_standard_structure_version_from_version_id(standard):
    session, project, version, component = standard
    file = component("FileComponent", id="c1", name="main", file_type=".exr", version=NOT_SET, version_id="v1")
    assert StandardStructure().get_resource_identifier(file).endswith("hero_asset/v003/main.exr")


def test_standard_structure_project_versions_prefix(standard):
    session, project, version, component = standard
    version["link"] = [version["link"][0], version["link"][-1]]
    file = component("FileComponent", id="c1", name="main", file_type=".exr")
    assert StandardStructure().get_resource_identifier(file) == "my_project/hero_asset/v003/main.exr"
    structure = StandardStructure(project_versions_prefix="versions", illegal_character_substitute="-")
    assert structure.project_versions_prefix == "versions"
    assert structure.illegal_character_substitute == "-"
    assert structure.get_resource_identifier(file) == "my-project/versions/hero-asset/v003/main.exr"


def test_standard_structure_errors(standard):
    session, project, version, component = standard
    structure = StandardStructure()
    orphan = component("FileComponent", id="c1", name="main", file_type=".exr", version=None, version_id=None)
    with pytest.raises(StructureError, match="not linked to an asset version"):
        structure.get_resource_identifier(orphan)
    file = component("FileComponent", id="c2", name="main", file_type=".exr")
    session.created.append(version)
    with pytest.raises(StructureError, match="not been committed"):
        structure.get_resource_identifier(file)
    session.created.clear()
    version["version"] = NOT_SET
    with pytest.raises(StructureError, match="no version number"):
        structure.get_resource_identifier(file)
    version["version"] = 3
    version["link"] = []
    with pytest.raises(StructureError, match="empty link"):
        structure.get_resource_identifier(file)
    with pytest.raises(NotImplementedError, match="Task"):
        structure.get_resource_identifier(E("Task", session, id="t"))


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Héllo Wörld", "hello_world"),
        ("  padded  ", "padded"),
        ("a/b\\c:d*e", "a_b_c_d_e"),
        ("keep-these_.chars", "keep-these_.chars"),
        ("..", "_"),
        (".", "_"),
        ("ショット", "_"),
        ("ÆØÅ", "a"),
        ("Shot 010", "shot_010"),
    ],
)
def test_sanitise_for_filesystem(value, expected):
    assert StandardStructure().sanitise_for_filesystem(value) == expected


def test_sanitise_without_substitute_is_identity():
    assert StandardStructure(illegal_character_substitute=None).sanitise_for_filesystem("A B/c") == "A B/c"


def test_standard_structure_names_the_asset_once(standard):
    session, project, version, component = standard
    version["link"].insert(-1, {"id": "a1", "name": "Hero Asset", "type": "Asset"})
    file = component("FileComponent", id="c1", name="main", file_type=".exr")
    assert (
        StandardStructure().get_resource_identifier(file)
        == "my_project/sq_01/sh_010/hero_asset/v003/main.exr"
    )
