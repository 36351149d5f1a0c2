"""Fixtures for raw-HTTP tests of the local server."""
from __future__ import annotations

import uuid
from typing import Any, Dict, List, Optional

import pytest
import requests

from ftrack_api.testing import LocalServer


class Api:
    """Minimal raw client: POST a batch to /api and return the decoded JSON."""

    def __init__(self, server: LocalServer, user: Optional[str] = None,
                 key: Optional[str] = None) -> None:
        self.server = server
        self.http = requests.Session()
        self.headers = {"ftrack-user": user or server.api_user,
                        "ftrack-api-key": key or server.api_key}

    def raw(self, body: Any, headers: Optional[Dict[str, str]] = None,
            data: Optional[bytes] = None) -> requests.Response:
        merged = dict(self.headers, **(headers or {}))
        if data is not None:
            return self.http.post(self.server.url + "/api", data=data, headers=merged,
                                  timeout=60)
        return self.http.post(self.server.url + "/api", json=body, headers=merged, timeout=60)

    def call(self, operations: List[Dict[str, Any]], **kwargs: Any) -> Any:
        response = self.raw(operations, **kwargs)
        return response.json()

    def ok(self, operations: List[Dict[str, Any]]) -> List[Any]:
        result = self.call(operations)
        assert isinstance(result, list), result
        return result

    def query(self, expression: str) -> Dict[str, Any]:
        return self.ok([{"action": "query", "expression": expression}])[0]

    def rows(self, expression: str) -> List[Dict[str, Any]]:
        return self.query(expression)["data"]

    def create(self, _type: str, **data: Any) -> Dict[str, Any]:
        entity_type = _type
        result = self.call([{"action": "create", "entity_type": entity_type,
                             "entity_data": dict(data, __entity_type__=entity_type)}])
        assert isinstance(result, list), result
        return result[0]["data"]

    def update(self, entity_type: str, key: Any, **data: Any) -> Any:
        return self.call([{"action": "update", "entity_type": entity_type,
                           "entity_key": key if isinstance(key, list) else [key],
                           "entity_data": dict(data, __entity_type__=entity_type)}])

    def delete(self, entity_type: str, key: Any) -> Any:
        return self.call([{"action": "delete", "entity_type": entity_type,
                           "entity_key": key if isinstance(key, list) else [key]}])

    def ref(self, entity: Dict[str, Any]) -> Dict[str, Any]:
        return {"__entity_type__": entity["__entity_type__"], "id": entity["id"]}

    def project(self, name: Optional[str] = None) -> Dict[str, Any]:
        schema = self.rows('select id from ProjectSchema where name is "VFX Scheme"')[0]
        name = name or f"p_{uuid.uuid4().hex[:8]}"
        return self.create("Project", name=name, full_name=name.upper(),
                           project_schema_id=schema["id"])


@pytest.fixture(scope="session")
def server():
    with LocalServer() as srv:
        yield srv


@pytest.fixture(scope="session")
def real_server(real_schemas_path):
    with LocalServer(schemas=str(real_schemas_path)) as srv:
        yield srv


@pytest.fixture
def api(server) -> Api:
    return Api(server)


@pytest.fixture
def real_api(real_server) -> Api:
    return Api(real_server)
