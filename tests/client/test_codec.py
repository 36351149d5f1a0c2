"""Codec: dates, entity encoding strategies and decoding of recorded server responses."""
from __future__ import annotations

import datetime
import json

import pytest

import ftrack_api.exception
import ftrack_api.symbol
from ftrack_api import _codec

UTC = datetime.timezone.utc


def test_decode_datetime_with_offset_is_utc(session):
    value = session.decode('{"__type__": "datetime", "value": "2023-10-10T09:50:34-05:00"}')
    assert value == datetime.datetime(2023, 10, 10, 14, 50, 34, tzinfo=UTC)
    assert value.utcoffset() == datetime.timedelta(0)
    assert value.hour == 14


def test_decode_naive_and_fractional_datetimes(session):
    assert session.decode('{"__type__": "datetime", "value": "2022-10-10T10:12:09"}') == datetime.datetime(
        2022, 10, 10, 10, 12, 9, tzinfo=UTC
    )
    assert session.decode('{"__type__": "datetime", "value": "2022-10-10T10:12:09.5Z"}') == datetime.datetime(
        2022, 10, 10, 10, 12, 9, 500000, tzinfo=UTC
    )


def test_date_type_decodes_to_date_and_round_trips(session):
    value = session.decode('{"__type__": "date", "value": "2023-10-10"}')
    assert value == datetime.date(2023, 10, 10)
    assert type(value) is datetime.date
    encoded = json.loads(session.encode(value))
    assert encoded == {"__type__": "date", "value": "2023-10-10"}
    assert session.decode(session.encode(value)) == value


def test_datetime_encoding_and_arrow_input(session):
    aware = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    assert json.loads(session.encode(aware)) == {"__type__": "datetime", "value": "2024-01-02T03:04:05+02:00"}
    arrow = pytest.importorskip("arrow")
    assert json.loads(session.encode(arrow.get("2024-01-02T01:04:05+00:00"))) == {
        "__type__": "datetime",
        "value": "2024-01-02T01:04:05+00:00",
    }


def test_datetime_round_trip_through_server(session, project):
    _, sequence = project
    start = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    task = session.create("Task", {"name": "dated", "parent": sequence, "start_date": start})
    session.commit()
    session.reset()
    assert session.query('select start_date from Task where id is "{0}"'.format(task["id"])).one()["start_date"] == start


def test_encode_strategies(session, project):
    project_entity, sequence = project
    sequence["description"] = "local change"
    reference = {"__entity_type__": "Sequence", "id": sequence["id"]}
    assert session.entity_reference(sequence) == reference
    modified = json.loads(session.encode(sequence, entity_attribute_strategy="modified_only"))
    assert modified == dict(reference, description="local change")
    set_only = json.loads(session.encode(sequence, entity_attribute_strategy="set_only"))
    assert set_only["name"] == "sq010" and set_only["description"] == "local change"
    assert set_only["parent"] == {"__entity_type__": "Project", "id": project_entity["id"]}
    persisted = json.loads(session.encode(sequence, entity_attribute_strategy="persisted_only"))
    assert "description" not in persisted or persisted["description"] != "local change"
    everything = json.loads(session.encode(sequence, entity_attribute_strategy="all"))
    assert set(sequence.keys()) <= set(everything) | {"__entity_type__"}
    with pytest.raises(ValueError, match="set_only"):
        session.encode(sequence, entity_attribute_strategy="bogus")
    with pytest.raises(TypeError):
        session.encode(object())
    session.rollback()


def _recorded_queries(fixtures_dir):
    for path in sorted((fixtures_dir / "recorded").glob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and data.get("action") in ("query", "create", "update"):
            yield path.name, data


def test_recorded_responses_decode_into_entities(real_schema_server, fixtures_dir, tmp_path):
    with real_schema_server.session(schema_cache_path=str(tmp_path)) as session:
        seen = 0
        for name, data in _recorded_queries(fixtures_dir):
            decoded = session.decode(json.dumps(data))
            rows = decoded["data"] if isinstance(decoded["data"], list) else [decoded["data"]]
            for raw, entity in zip(
                data["data"] if isinstance(data["data"], list) else [data["data"]], rows
            ):
                assert isinstance(entity, session.types[raw["__entity_type__"]]), name
                for key in entity.primary_key_attributes:
                    assert entity[key] == raw[key]
            seen += 1
        assert seen >= 5


def test_recorded_nested_values(real_schema_server, fixtures_dir, tmp_path):
    path = fixtures_dir / "recorded" / (
        "query_select_version,_asset.versions.version_from_assetversion_where_asset_id_is_not_none_limit_1.json"
    )
    data = json.loads(path.read_text())
    with real_schema_server.session(schema_cache_path=str(tmp_path), auto_populate=False) as session:
        (version,) = session.merge(session.decode(json.dumps(data["data"])))
        assert version.entity_type == "AssetVersion"
        assert version["version"] == 1
        asset = version["asset"]
        assert asset.entity_type == "Asset"
        versions = asset["versions"]
        assert [v["id"] for v in versions] == [
            "01ac528a-c5ea-11e1-a6c6-f23c91df25eb",
            "115ffa42-c5ea-11e1-b5a7-f23c91df25eb",
            "18458c96-c5ea-11e1-a5d9-f23c91df25eb",
        ]
        assert versions[0] is version
        assert versions[2]["version"] == 3

    created = json.loads((fixtures_dir / "recorded" / "query_select_name,_created_at_from_task_limit_1.json").read_text())
    with real_schema_server.session(schema_cache_path=str(tmp_path), auto_populate=False) as session:
        (task,) = session.decode(json.dumps(created["data"]))
        assert isinstance(task["created_at"], datetime.datetime)
        assert task["created_at"].tzinfo is not None


def test_unknown_entity_type_in_decode(session):
    with pytest.raises(ftrack_api.exception.UnrecognisedEntityTypeError):
        session.decode('{"__entity_type__": "NoSuchType", "id": "1"}')


def test_parse_datetime_helpers():
    assert _codec.parse_datetime("2015-06-01") == datetime.datetime(2015, 6, 1, tzinfo=UTC)
    assert _codec.parse_datetime("2015-06-01T10:00:00+0100") == datetime.datetime(2015, 6, 1, 9, tzinfo=UTC)


def test_naive_datetimes_follow_timezone_support(monkeypatch):
    import time

    if not hasattr(time, "tzset"):
        pytest.skip("needs time.tzset")
    monkeypatch.setenv("TZ", "EST+05EDT,M3.2.0,M11.1.0")
    time.tzset()
    try:
        assert _codec.parse_datetime("2023-01-10T10:00:00", timezone_support=True) == datetime.datetime(
            2023, 1, 10, 10, tzinfo=UTC
        )
        assert _codec.parse_datetime("2023-01-10T10:00:00", timezone_support=False) == datetime.datetime(
            2023, 1, 10, 15, tzinfo=UTC
        )
        local = datetime.datetime(2023, 1, 10, 15, tzinfo=UTC)
        assert _codec.encode_datetime(local, timezone_support=False) == {
            "__type__": "datetime",
            "value": "2023-01-10T10:00:00",
        }
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_persisted_only_leaves_computed_attributes_out(session, project):
    _, sequence = project
    task = session.create("Task", {"name": "computed", "parent": sequence})
    session.commit()
    loaded = session.query(
        'select name, time_logged from Task where id is "{0}"'.format(task["id"])
    ).one()
    assert loaded.attributes.get("time_logged").computed
    assert loaded["time_logged"] is not ftrack_api.symbol.NOT_SET
    persisted = json.loads(session.encode(loaded, entity_attribute_strategy="persisted_only"))
    assert "time_logged" not in persisted
    assert persisted["name"] == "computed"
    assert "time_logged" in json.loads(session.encode(loaded, entity_attribute_strategy="set_only"))


def test_decoded_datetimes_answer_common_arrow_calls(session):
    value = session.decode('{"__type__": "datetime", "value": "2023-10-10T09:50:34-05:00"}')
    assert isinstance(value, datetime.datetime)
    assert value.to("utc").isoformat() == "2023-10-10T14:50:34+00:00"
    assert value.to("+02:00").hour == 16
    assert value.to("Europe/Stockholm").isoformat() == "2023-10-10T16:50:34+02:00"
    assert value.datetime == datetime.datetime(2023, 10, 10, 14, 50, 34, tzinfo=UTC)
    assert type(value.datetime) is datetime.datetime
    assert value.naive == datetime.datetime(2023, 10, 10, 14, 50, 34)
    assert value.shift(days=1, hours=1).isoformat() == "2023-10-11T15:50:34+00:00"
    assert value.shift(months=4).isoformat() == "2024-02-10T14:50:34+00:00"
    assert value.format("YYYY-MM-DD HH:mm:ss ZZ") == "2023-10-10 14:50:34 +00:00"
    assert value.int_timestamp == int(value.timestamp())
    assert json.loads(session.encode(value)) == {"__type__": "datetime", "value": "2023-10-10T14:50:34+00:00"}
