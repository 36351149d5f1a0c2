"""Tests for ftrack_api.resource_identifier_transformer.base."""
from __future__ import annotations

import pytest

from ftrack_api.resource_identifier_transformer.base import ResourceIdentifierTransformer


@pytest.mark.parametrize("identifier", ["a/b/c.exr", "", "/abs/path"])
@pytest.mark.parametrize("context", [None, {"component": object()}])
def test_base_transformer_is_identity(identifier, context):
    session = object()
    transformer = ResourceIdentifierTransformer(session)
    assert transformer.session is session
    assert transformer.encode(identifier, context=context) == identifier
    assert transformer.decode(identifier, context=context) == identifier


def test_subclass_round_trip():
    class MountPoints(ResourceIdentifierTransformer):
        def encode(self, resource_identifier, context=None):
            return resource_identifier.replace("/mnt/projects", "{projects}")

        def decode(self, resource_identifier, context=None):
            return resource_identifier.replace("{projects}", "/mnt/projects")

    transformer = MountPoints(session=None)
    stored = transformer.encode("/mnt/projects/show/file.exr")
    assert stored == "{projects}/show/file.exr"
    assert transformer.decode(stored) == "/mnt/projects/show/file.exr"
