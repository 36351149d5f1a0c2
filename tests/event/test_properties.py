"""Property tests: the codec round-trips and expressions never raise."""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ftrack_api.event import _socketio as sio
from ftrack_api.event.expression import Parser

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=10,
)

bare_words = st.text(alphabet="abcxyz0123456789-_,./*@+", min_size=1, max_size=8)
operators = st.sampled_from(["=", "!=", ">=", "<=", ">", "<"])


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_event_payload_round_trip(args):
    client = sio.Connection(sio.Role.CLIENT, state=sio.State.CONNECTED)
    server = sio.Connection(sio.Role.SERVER, state=sio.State.CONNECTED)
    frame, ack_id = client.emit("ftrack.event", [args])
    (received,) = server.receive(frame)
    assert received.ack_id == ack_id
    assert json.dumps(received.args, sort_keys=True) == json.dumps([args], sort_keys=True)
    ack = server.ack(ack_id, {"success": True, "echo": args})
    (acked,) = client.receive(ack)
    assert acked.ack_id == ack_id and acked.expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_decoding_arbitrary_text_raises_only_protocol_errors(frame):
    connection = sio.Connection(sio.Role.CLIENT, state=sio.State.CONNECTED)
    try:
        connection.receive(frame)
    except sio.RemoteProtocolError:
        pass


@settings(max_examples=120, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["data.n", "data.s", "topic", "data.x.y"]), operators, bare_words), min_size=1, max_size=3),
    st.sampled_from([" and ", " or "]),
    json_values,
    json_values,
)
def test_matching_never_raises(conditions, joiner, n, s):
    text = joiner.join("{0}{1}{2}".format(k, o, v) for k, o, v in conditions)
    expression = Parser().parse(text)
    candidate = {"topic": "a.b", "data": {"n": n, "s": s, "x": n}}
    assert expression.match(candidate) in (True, False)
    assert Parser().parse("not (" + text + ")").match(candidate) is not expression.match(candidate)
