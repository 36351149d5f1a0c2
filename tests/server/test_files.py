"""File transfer for the ftrack.server location: upload metadata, PUT, get, remove."""
from __future__ import annotations

import base64
import hashlib
import uuid

import requests

from .conftest import Api

SERVER_LOCATION = "3a372bde-05bc-11e4-8908-20c9d081909b"


def test_single_part_upload_download_remove(api: Api) -> None:
    payload = b"hello ftrack\n"
    component_id = str(uuid.uuid4())
    checksum = base64.b64encode(hashlib.md5(payload).digest()).decode()
    meta = api.ok([{"action": "get_upload_metadata", "component_id": component_id,
                    "file_name": "foo.txt", "file_size": len(payload), "checksum": checksum}])[0]
    assert meta["component_id"] == component_id
    assert meta["headers"]["Content-Disposition"] == 'attachment; filename="foo.txt"'
    assert meta["headers"]["Content-MD5"] == checksum
    assert requests.put(meta["url"], data=payload, headers=meta["headers"],
                        timeout=30).status_code == 200
    api.ok([{"action": "create", "entity_type": "FileComponent",
             "entity_data": {"id": component_id, "name": "foo", "file_type": ".txt",
                             "size": len(payload)}},
            {"action": "create", "entity_type": "ComponentLocation",
             "entity_data": {"component": {"__entity_type__": "FileComponent", "id": component_id},
                             "location": {"__entity_type__": "Location", "id": SERVER_LOCATION},
                             "resource_identifier": component_id}}])
    params = {"id": component_id, "username": api.server.api_user, "apiKey": api.server.api_key}
    got = requests.get(api.server.url + "/component/get", params=params, timeout=30)
    assert got.status_code == 200 and got.content == payload
    bad = requests.get(api.server.url + "/component/get",
                       params=dict(params, apiKey="wrong"), timeout=30)
    assert bad.status_code == 401
    rows = api.rows(f"select component_id, resource_identifier from ComponentLocation where "
                    f"location_id is {SERVER_LOCATION} and component_id in ({component_id})")
    assert rows[0]["resource_identifier"] == component_id
    assert requests.get(api.server.url + "/component/remove", params=params,
                        timeout=30).status_code == 200
    assert requests.get(api.server.url + "/component/get", params=params,
                        timeout=30).status_code == 404


def test_checksum_mismatch_is_refused(api: Api) -> None:
    meta = api.ok([{"action": "get_upload_metadata", "component_id": "c", "file_name": "a.bin",
                    "file_size": 3, "checksum": base64.b64encode(b"0" * 16).decode()}])[0]
    response = requests.put(meta["url"], data=b"abc", headers=meta["headers"], timeout=30)
    assert response.status_code == 400
    assert requests.put(api.server.url + "/upload/unknown", data=b"x",
                        timeout=30).status_code == 403


def test_multipart_upload(api: Api) -> None:
    component_id = str(uuid.uuid4())
    meta = api.ok([{"action": "get_upload_metadata", "component_id": component_id,
                    "file_name": "big.bin", "file_size": 9, "parts": 3}])[0]
    assert [u["part_number"] for u in meta["urls"]] == [1, 2, 3]
    etags = []
    for url, chunk in zip(meta["urls"], (b"aaa", b"bbb", b"ccc")):
        response = requests.put(url["signed_url"], data=chunk, timeout=30)
        assert response.status_code == 200
        etags.append({"part_number": url["part_number"], "e_tag": response.headers["ETag"].strip('"')})
    done = api.ok([{"action": "complete_multipart_upload", "upload_id": meta["upload_id"],
                    "component_id": component_id, "parts": etags}])[0]
    assert done["action"] == "complete_multipart_upload" and done["component_id"] == component_id
    params = {"id": component_id, "username": api.server.api_user, "apiKey": api.server.api_key}
    assert requests.get(api.server.url + "/component/get", params=params,
                        timeout=30).content == b"aaabbbccc"


def test_thumbnail_placeholder(api: Api) -> None:
    params = {"id": "none", "username": api.server.api_user, "apiKey": api.server.api_key,
              "size": 300}
    response = requests.get(api.server.url + "/component/thumbnail", params=params, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    assert requests.get(api.server.url + "/img/thumbnail2.png", timeout=30).content.startswith(
        b"\x89PNG")


def test_uploads_are_not_bound_by_the_api_body_limit(monkeypatch) -> None:
    from ftrack_api.testing import LocalServer, _app

    monkeypatch.setattr(_app, "MAX_BODY", 1024)
    payload = b"x" * 5000
    with LocalServer() as srv:
        api = Api(srv)
        meta = api.ok([{"action": "get_upload_metadata", "component_id": "big",
                        "file_name": "big.bin", "file_size": len(payload)}])[0]
        assert requests.put(meta["url"], data=payload, timeout=30).status_code == 200
        params = {"id": "big", "username": srv.api_user, "apiKey": srv.api_key}
        assert requests.get(srv.url + "/component/get", params=params,
                            timeout=30).content == payload
        too_big = api.call([{"action": "query_server_information", "padding": "y" * 2000}])
        assert "larger than the limit" in too_big["content"]
