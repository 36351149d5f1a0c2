"""StandardFactory over the 116 real ftrack schemas (pure: no server needed)."""
from __future__ import annotations

import json
import uuid

import pytest

import ftrack_api.attribute as attribute
import ftrack_api.exception
import ftrack_api.entity.asset_version
import ftrack_api.entity.base
import ftrack_api.entity.component
import ftrack_api.entity.factory
import ftrack_api.entity.location
import ftrack_api.entity.note
import ftrack_api.entity.project_schema
import ftrack_api.entity.user
from ftrack_api.symbol import NOT_SET


@pytest.fixture(scope="module")
def classes(real_schemas_path):
    schemas = json.loads(real_schemas_path.read_text())
    factory = ftrack_api.entity.factory.StandardFactory()
    return {schema["id"]: factory.create(schema) for schema in schemas}


def test_every_real_schema_builds_a_class(classes):
    assert len(classes) == 116
    for name, cls in classes.items():
        assert cls.__name__ == name and cls.entity_type == name
        assert issubclass(cls, ftrack_api.entity.base.Entity)
        assert repr(cls) == "<dynamic ftrack class '{0}'>".format(name)
        assert cls.primary_key_attributes


def test_attribute_kinds(classes):
    task = classes["Task"].attributes
    assert isinstance(task.get("name"), attribute.ScalarAttribute)
    assert task.get("name").data_type == "string"
    assert task.get("start_date").data_type == "datetime"
    assert task.get("bid").data_type == "float"
    assert isinstance(task.get("status"), attribute.ReferenceAttribute)
    assert task.get("status").entity_type == "Status"
    assert isinstance(task.get("children"), attribute.CollectionAttribute)
    assert isinstance(task.get("metadata"), attribute.KeyValueMappedCollectionAttribute)
    assert isinstance(task.get("custom_attributes"), attribute.KeyValueMappedCollectionAttribute)
    assert task.get("custom_attribute_links") is None
    assert task.get("id").mutable is False
    assert task.get("time_logged").computed is True
    default = task.get("id").default_value
    assert callable(default) and uuid.UUID(default(None))
    assert task.get("name").default_value == ""
    assert task.get("description").default_value is NOT_SET


def test_special_bases_and_mixins(classes):
    assert issubclass(classes["User"], ftrack_api.entity.user.User)
    assert issubclass(classes["Location"], ftrack_api.entity.location.Location)
    assert issubclass(classes["AssetVersion"], ftrack_api.entity.asset_version.AssetVersion)
    assert issubclass(classes["ProjectSchema"], ftrack_api.entity.project_schema.ProjectSchema)
    for name in ("FileComponent", "SequenceComponent", "ContainerComponent", "Component"):
        assert issubclass(classes[name], ftrack_api.entity.component.Component)
    assert issubclass(classes["Note"], ftrack_api.entity.note.Note)
    assert issubclass(classes["Task"], ftrack_api.entity.note.CreateNoteMixin)
    assert issubclass(classes["Task"], ftrack_api.entity.component.CreateThumbnailMixin)
    assert not issubclass(classes["Status"], ftrack_api.entity.note.CreateNoteMixin)


def test_factory_keeps_entity_base_with_plugin_mixins(real_schemas_path):
    class Mixin(object):
        def hello(self):
            return "hello"

    schema = next(s for s in json.loads(real_schemas_path.read_text()) if s["id"] == "Status")
    cls = ftrack_api.entity.factory.StandardFactory().create(schema, bases=[Mixin])
    assert issubclass(cls, Mixin) and issubclass(cls, ftrack_api.entity.base.Entity)


def test_base_factory_skips_mapped_collections(real_schemas_path):
    schema = next(s for s in json.loads(real_schemas_path.read_text()) if s["id"] == "Task")
    cls = ftrack_api.entity.factory.Factory().create(schema)
    assert cls.attributes.get("metadata") is None
    assert cls.attributes.get("name") is not None


def test_attributes_registry():
    registry = attribute.Attributes()
    name = attribute.ScalarAttribute("name", "string")
    registry.add(name)
    with pytest.raises(ftrack_api.exception.NotUniqueError):
        registry.add(attribute.ScalarAttribute("name", "string"))
    assert registry.get("name") is name and registry.get("nope") is None
    assert registry.keys() == ["name"] and len(registry) == 1
    assert name in registry and "name" not in registry
    assert list(registry) == [name]
    registry.remove(name)
    with pytest.raises(KeyError):
        registry.remove(name)
