"""Fixtures of the client tests: small project trees on the shared local server."""
from __future__ import annotations

import uuid

import pytest


def unique(prefix: str = "x") -> str:
    return "{0}_{1}".format(prefix, uuid.uuid4().hex[:10])


@pytest.fixture
def project(session):
    """A committed Project with one Sequence; returns (project, sequence)."""
    schema = session.query("ProjectSchema").first()
    project = session.create(
        "Project", {"name": unique("proj"), "full_name": "Test project", "project_schema": schema}
    )
    sequence = session.create("Sequence", {"name": "sq010", "parent": project})
    session.commit()
    return project, sequence
