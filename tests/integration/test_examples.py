"""The studio-style scripts in examples/ run unchanged against the local server."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import threading
import time
import uuid

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def run_example(server, tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FTRACK_")}
    env.update(
        FTRACK_SERVER=server.url,
        FTRACK_API_USER=server.api_user,
        FTRACK_API_KEY=server.api_key,
        FTRACK_API_SCHEMA_CACHE_PATH=str(tmp_path),
    )
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=120, env=env,
        cwd=str(EXAMPLES),
    )


@pytest.fixture(scope="module")
def local_server():
    """A server of their own: the scripts must also work on a brand-new site."""
    from ftrack_api.testing import LocalServer

    with LocalServer(database=":memory:") as server:
        yield server


@pytest.fixture
def project_name() -> str:
    return f"show_{uuid.uuid4().hex[:8]}"


def write_shot_list(path: pathlib.Path) -> pathlib.Path:
    path.write_text(
        "sequence,shot,fstart,fend,description\n"
        "sq010,sh010,1001,1048,Opening\n"
        "sq010,sh020,1001,1120,Chase\n"
        "sq020,sh030,1001,1010,Ending\n",
        encoding="utf-8",
    )
    return path


def test_shot_list_import_creates_and_is_idempotent(local_server, tmp_path, project_name):
    shots = write_shot_list(tmp_path / "shots.csv")
    first = run_example(local_server, tmp_path, "shot_list_import.py", project_name, str(shots))
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"Imported 3 shot(s) into {project_name}." in first.stdout

    shots.write_text(
        "sequence,shot,fstart,fend,description\nsq010,sh010,1001,1060,Opening (extended)\n",
        encoding="utf-8",
    )
    again = run_example(local_server, tmp_path, "shot_list_import.py", project_name, str(shots))
    assert again.returncode == 0, again.stdout + again.stderr

    with local_server.session(schema_cache_path=str(tmp_path)) as session:
        found = session.query(
            f'select name, description, parent.name from Shot where project.name is "{project_name}"'
        ).all()
        assert sorted((s["parent"]["name"], s["name"]) for s in found) == [
            ("sq010", "sh010"), ("sq010", "sh020"), ("sq020", "sh030"),
        ]
        sh010 = next(s for s in found if s["name"] == "sh010")
        assert sh010["description"] == "Opening (extended)"
        assert sh010["custom_attributes"]["fstart"] == 1001
        assert sh010["custom_attributes"]["fend"] == 1060
        tasks = session.query(f'select name from Task where parent.id is "{sh010["id"]}"').all()
        assert sorted(t["name"] for t in tasks) == ["animation", "compositing", "lighting"]


def test_shot_list_import_reports_bad_rows(local_server, tmp_path, project_name):
    bad = tmp_path / "bad.csv"
    bad.write_text("sequence,shot,fstart,fend\nsq010,,1001,1010\n", encoding="utf-8")
    completed = run_example(local_server, tmp_path, "shot_list_import.py", project_name, str(bad))
    assert completed.returncode == 2
    assert "bad.csv:2: missing shot" in completed.stderr


def test_publish_version_uploads_the_next_version(local_server, tmp_path, project_name):
    shots = write_shot_list(tmp_path / "shots.csv")
    assert run_example(local_server, tmp_path, "shot_list_import.py", project_name, str(shots)).returncode == 0
    media = tmp_path / "comp_v1.exr"
    media.write_bytes(b"\x76\x2f\x31\x01" + b"pixels" * 100)

    for expected in (1, 2):
        completed = run_example(
            local_server, tmp_path, "publish_version.py", project_name, "sh010", "compositing",
            str(media), "--comment", f"take {expected}",
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert f"Published sh010_compositing v{expected:03d} (604 bytes) to ftrack.server" in completed.stdout

    with local_server.session(schema_cache_path=str(tmp_path)) as session:
        versions = session.query(
            "select version, comment, status.name, metadata, components.name from AssetVersion "
            f'where asset.name is "sh010_compositing" and asset.parent.project.name is "{project_name}" '
            "order by version"
        ).all()
        assert [v["version"] for v in versions] == [1, 2]
        assert [v["comment"] for v in versions] == ["take 1", "take 2"]
        assert versions[0]["status"]["name"] == "Pending Review"
        assert versions[0]["metadata"]["published_by"]
        component = versions[1]["components"][0]
        assert component["name"] == "main"
        server_location = session.get("Location", "3a372bde-05bc-11e4-8908-20c9d081909b")
        assert server_location.get_component_availability(component) == 100.0


def test_publish_version_explains_a_missing_task(local_server, tmp_path, project_name):
    media = tmp_path / "x.exr"
    media.write_bytes(b"x")
    completed = run_example(
        local_server, tmp_path, "publish_version.py", project_name, "sh999", "comp", str(media)
    )
    assert completed.returncode == 1
    assert f"No task 'comp' on shot 'sh999' in project '{project_name}'." in completed.stderr


def test_task_report_groups_open_tasks(local_server, tmp_path, project_name):
    shots = write_shot_list(tmp_path / "shots.csv")
    assert run_example(local_server, tmp_path, "shot_list_import.py", project_name, str(shots)).returncode == 0
    with local_server.session(schema_cache_path=str(tmp_path)) as session:
        task = session.query(
            f'Task where name is "lighting" and parent.name is "sh020" and project.name is "{project_name}"'
        ).one()
        task["status"] = session.query('Status where name is "In Progress"').one()
        user = session.query(f'User where username is "{session.api_user}"').one()
        session.create("Appointment", {"context": task, "resource": user, "type": "assignment"})
        session.commit()

    completed = run_example(local_server, tmp_path, "task_report.py", project_name)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"Open tasks in {project_name}: 9" in completed.stdout
    assert "\nIn Progress\n  sh020/lighting" in completed.stdout
    line = next(l for l in completed.stdout.splitlines() if "sh020/lighting" in l)
    assert local_server.api_user in line and "[Lighting]" in line

    only = run_example(local_server, tmp_path, "task_report.py", project_name, "--status", "In Progress")
    assert only.returncode == 0
    assert f"Open tasks in {project_name}: 1" in only.stdout


def test_shot_status_listener_reacts_to_task_status_changes(local_server, tmp_path, project_name):
    sys.path.insert(0, str(EXAMPLES / "plugins"))
    try:
        import shot_status_listener
    finally:
        sys.path.remove(str(EXAMPLES / "plugins"))

    shots = write_shot_list(tmp_path / "shots.csv")
    assert run_example(local_server, tmp_path, "shot_list_import.py", project_name, str(shots)).returncode == 0

    listener_session = local_server.session(
        schema_cache_path=str(tmp_path), auto_connect_event_hub=True
    )
    listener = shot_status_listener.ShotStatusListener(listener_session)
    listener.register()
    assert listener_session.event_hub.wait_until_connected(timeout=10)
    assert listener_session.event_hub.flush(timeout=10)
    waiter = threading.Thread(target=listener_session.event_hub.wait, daemon=True)
    waiter.start()
    try:
        with local_server.session(schema_cache_path=str(tmp_path)) as session:
            task = session.query(
                f'Task where name is "compositing" and parent.name is "sh030" and project.name is "{project_name}"'
            ).one()
            shot_id = task["parent"]["id"]
            listener.handled.clear()
            task["status"] = session.query('Status where name is "In Progress"').one()
            session.commit()

        deadline = time.monotonic() + 15
        status = None
        while time.monotonic() < deadline:
            listener.handled.wait(timeout=max(0.0, deadline - time.monotonic()))
            listener.handled.clear()
            with local_server.session(schema_cache_path=str(tmp_path)) as fresh:
                status = fresh.get("Shot", shot_id)["status"]["name"]
            if status == "In Progress":
                break
        assert status == "In Progress"
    finally:
        listener_session.event_hub.stop_waiting()
        waiter.join(timeout=5)
        listener_session.close()
    assert not waiter.is_alive()


def test_shot_list_import_ignores_same_key_on_other_object_types(tmp_path, project_name):
    from ftrack_api.testing import LocalServer

    with LocalServer(database=":memory:") as server:
        with server.session(schema_cache_path=str(tmp_path)) as session:
            session.create("CustomAttributeConfiguration", {
                "key": "fstart", "label": "Task start frame", "entity_type": "task",
                "object_type": session.query('ObjectType where name is "Task"').one(),
                "type": session.query('CustomAttributeType where name is "number"').one(),
                "config": '{"isdecimal": false}', "default": 0,
            })
            session.commit()
        shots = write_shot_list(tmp_path / "shots.csv")
        completed = run_example(server, tmp_path, "shot_list_import.py", project_name, str(shots))
        assert completed.returncode == 0, completed.stdout + completed.stderr
        with server.session(schema_cache_path=str(tmp_path)) as session:
            shot = session.query(f'Shot where name is "sh020" and project.name is "{project_name}"').one()
            assert shot["custom_attributes"]["fend"] == 1120
            assert shot["custom_attributes"]["fstart"] == 1001
