"""The server accessor against the local server's file routes (ftrack.server location)."""
from __future__ import annotations

import pytest
import requests

import ftrack_api.exception as exc
from ftrack_api.accessor.server import ServerFile, _ServerAccessor
from ftrack_api.symbol import SERVER_LOCATION_ID


@pytest.fixture
def server_location(session):
    return session.get("Location", SERVER_LOCATION_ID)


def test_upload_download_url_and_remove(session, server_location, tmp_path):
    payload = b"\x00frame\xff" * 2048
    source = tmp_path / "plate.exr"
    source.write_bytes(payload)
    progress = []
    server_location.accessor = _ServerAccessor(
        session, progress_callback=lambda done, total: progress.append((done, total))
    )
    component = session.create_component(str(source), location=server_location)
    assert progress[-1] == (len(payload), len(payload))
    assert server_location.get_resource_identifier(component) == component["id"]

    # Download through a fresh ServerFile, and through the public URL.
    data = ServerFile(component["id"], session)
    assert data.read() == payload
    url = server_location.get_url(component)
    assert url.startswith(f"{session.server_url}/component/get?id={component['id']}&username=")
    assert requests.get(url, timeout=30).content == payload
    thumbnail = server_location.accessor.get_thumbnail_url(component["id"], size=300)
    assert thumbnail.endswith("&size=300")
    assert requests.get(thumbnail, timeout=30).status_code == 200

    server_location.remove_component(component)
    with pytest.raises(exc.AccessorOperationFailedError, match="HTTP 404"):
        ServerFile(component["id"], session).read()


def test_download_with_wrong_key_fails_clearly(session, local_server, tmp_path):
    source = tmp_path / "notes.txt"
    source.write_bytes(b"notes")
    location = session.get("Location", SERVER_LOCATION_ID)
    component = session.create_component(str(source), location=location)

    class WrongKey:
        server_url = session.server_url
        api_user = session.api_user
        api_key = "definitely-wrong-key"
        request_timeout = 30

    with pytest.raises(exc.AccessorOperationFailedError) as info:
        ServerFile(component["id"], WrongKey()).read()
    assert "HTTP 401" in str(info.value)
    assert "definitely-wrong-key" not in str(info.value)
