"""Tests for ftrack_api.cache."""
from __future__ import annotations

import functools
import threading

import pytest

import ftrack_api.cache as cache_module
from ftrack_api.cache import (
    Cache,
    FileCache,
    KeyMaker,
    LayeredCache,
    MemoryCache,
    Memoiser,
    ObjectKeyMaker,
    ProxyCache,
    SerialisedCache,
    StringKeyMaker,
    memoise_decorator,
)


@pytest.fixture(params=["memory", "file", "proxy", "layered", "serialised"])
def any_cache(request, tmp_path) -> Cache:
    kind = request.param
    if kind == "memory":
        return MemoryCache()
    if kind == "file":
        return FileCache(str(tmp_path / "cache.dbm"))
    if kind == "proxy":
        return ProxyCache(MemoryCache())
    if kind == "layered":
        return LayeredCache([MemoryCache(), MemoryCache()])
    return SerialisedCache(MemoryCache(), encode=str.upper, decode=str.lower)


def test_cache_interface(any_cache: Cache) -> None:
    with pytest.raises(KeyError):
        any_cache.get("missing")
    with pytest.raises(KeyError):
        any_cache.remove("missing")
    any_cache.set("key", "value")
    assert any_cache.get("key") == "value"
    any_cache.set("key", "other")
    assert any_cache.get("key") == "other"
    any_cache.set("second", "two")
    assert sorted(any_cache.keys()) == ["key", "second"]
    assert sorted(any_cache.values()) == ["other", "two"]
    any_cache.remove("key")
    with pytest.raises(KeyError):
        any_cache.get("key")
    assert any_cache.keys() == ["second"]


def test_clear_with_and_without_pattern(any_cache: Cache) -> None:
    for key in ("task-1", "task-2", "shot-1"):
        any_cache.set(key, "v")
    any_cache.clear(pattern=r"^task")
    assert any_cache.keys() == ["shot-1"]
    any_cache.clear()
    assert any_cache.keys() == []


def test_cache_is_abstract() -> None:
    with pytest.raises(TypeError):
        Cache()  # type: ignore[abstract]

    class Minimal(Cache):
        def get(self, key):
            raise KeyError(key)

        def set(self, key, value):
            pass

        def remove(self, key):
            raise KeyError(key)

    with pytest.raises(NotImplementedError):
        Minimal().keys()


def test_memory_cache_remove_returns_none() -> None:
    cache = MemoryCache()
    cache.set("a", 1)
    assert cache.remove("a") is None


def test_memory_cache_holds_any_object() -> None:
    cache = MemoryCache()
    value = object()
    cache.set(("Task", "1"), value)
    assert cache.get(("Task", "1")) is value


def test_layered_cache_writes_back_into_shallower_layers() -> None:
    shallow, middle, deep = MemoryCache(), MemoryCache(), MemoryCache()
    layered = LayeredCache([shallow, middle, deep])
    assert layered.caches == [shallow, middle, deep]
    deep.set("k", "deep-value")
    assert layered.get("k") == "deep-value"
    assert shallow.get("k") == "deep-value"
    assert middle.get("k") == "deep-value"
    # The shallowest layer wins when layers disagree.
    shallow.set("k", "shallow-value")
    assert layered.get("k") == "shallow-value"
    assert deep.get("k") == "deep-value"


def test_layered_cache_set_and_remove_every_layer() -> None:
    first, second = MemoryCache(), MemoryCache()
    layered = LayeredCache([first, second])
    layered.set("k", 1)
    assert first.get("k") == 1 and second.get("k") == 1
    second.remove("k")
    layered.remove("k")  # present in one layer only: no error
    with pytest.raises(KeyError):
        first.get("k")
    with pytest.raises(KeyError):
        layered.remove("k")
    first.set("a", 1)
    second.set("a", 1)
    second.set("b", 2)
    assert sorted(layered.keys()) == ["a", "b"]


def test_layered_cache_rejects_non_caches() -> None:
    with pytest.raises(TypeError, match="Cache instances"):
        LayeredCache([MemoryCache(), {}])  # type: ignore[list-item]


def test_proxy_cache_rejects_non_cache() -> None:
    with pytest.raises(TypeError, match="Cache instance"):
        ProxyCache({})  # type: ignore[arg-type]


def test_serialised_cache_applies_encode_and_decode() -> None:
    inner = MemoryCache()
    cache = SerialisedCache(inner, encode=lambda v: f"<{v}>", decode=lambda v: v[1:-1])
    cache.set("k", "value")
    assert inner.get("k") == "<value>"
    assert cache.get("k") == "value"
    assert cache.proxied is inner
    plain = SerialisedCache(MemoryCache())
    plain.set("k", [1])
    assert plain.get("k") == [1]


def test_file_cache_persists_between_instances(tmp_path) -> None:
    path = str(tmp_path / "store")
    first = FileCache(path)
    first.set("key", "välue")
    first.set("raw", b"bytes")
    second = FileCache(path)
    assert second.get("key") == "välue"
    assert second.get("raw") == "bytes"
    assert sorted(second.keys()) == ["key", "raw"]


def test_file_cache_creates_database_on_init(tmp_path) -> None:
    FileCache(str(tmp_path / "created"))
    assert any(p.name.startswith("created") for p in tmp_path.iterdir())


def test_file_cache_rejects_non_string_values(tmp_path) -> None:
    cache = FileCache(str(tmp_path / "store"))
    with pytest.raises(TypeError, match="SerialisedCache"):
        cache.set("k", 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="keys must be str or bytes"):
        cache.set(42, "v")  # type: ignore[arg-type]


def test_file_cache_is_usable_from_threads(tmp_path) -> None:
    cache = FileCache(str(tmp_path / "store"))

    def writer(index: int) -> None:
        for item in range(20):
            cache.set(f"{index}-{item}", str(item))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache.keys()) == 80
    assert cache.get("3-19") == "19"


def test_file_cache_with_serialised_cache_round_trips_objects(tmp_path) -> None:
    import json

    cache = SerialisedCache(
        FileCache(str(tmp_path / "store")), encode=json.dumps, decode=json.loads
    )
    cache.set("k", {"a": [1, 2]})
    assert cache.get("k") == {"a": [1, 2]}


def test_string_key_maker() -> None:
    maker = StringKeyMaker()
    assert maker.key("Task", ["1"]) == "Task['1']"
    assert maker.key(("Task", ["abc"])) == "('Task', ['abc'])"
    assert isinstance(maker, KeyMaker)


def test_object_key_maker_returns_bytes_and_distinguishes_values() -> None:
    maker = ObjectKeyMaker()
    key = maker.key("a", 1)
    assert isinstance(key, bytes)
    assert maker.key("a", 1) == key
    assert maker.key("a", 2) != key
    assert maker.key(1) != maker.key("1")
    assert maker.key(1) != maker.key(1.5)
    assert maker.key({"a": 1, "b": 2}) == maker.key({"b": 2, "a": 1})
    assert maker.key({"a": 1}) != maker.key({"a": 2})
    assert maker.key([1, 2]) != maker.key([2, 1])
    assert maker.key({1, 2, 3}) == maker.key({3, 2, 1})
    assert maker.key(["a", "b"]) != maker.key(["ab"])


def test_object_key_maker_names_functions_classes_and_methods() -> None:
    maker = ObjectKeyMaker()

    class Thing:
        def method(self):
            return 1

    assert maker.key(len) == maker.key(len)
    assert maker.key(test_string_key_maker) != maker.key(test_object_key_maker_returns_bytes_and_distinguishes_values)
    assert maker.key(Thing) == maker.key(Thing)
    assert maker.key(Thing().method) == maker.key(Thing().method)
    assert b"method" in maker.key(Thing().method)


def test_object_key_maker_reports_unpicklable_objects() -> None:
    maker = ObjectKeyMaker()
    lock = threading.Lock()
    with pytest.raises(TypeError, match="Cannot make a cache key"):
        maker.key(lock)


def test_memoiser_caches_and_normalises_argument_spelling() -> None:
    calls = []

    def add(a, b=2, *rest, **options):
        calls.append((a, b, rest, options))
        return [a + b]

    memo = Memoiser()
    assert memo.call(add, (1,)) == [3]
    assert memo.call(add, (1, 2)) == [3]
    assert memo.call(add, kw={"a": 1, "b": 2}) == [3]
    assert memo.call(add, (1,), {"b": 2}) == [3]
    assert len(calls) == 1
    assert memo.call(add, (1, 3)) == [4]
    assert len(calls) == 2
    assert memo.call(add, (1, 3, 4), {"x": 1}) == [4]
    assert len(calls) == 3


def test_memoiser_returns_copies_by_default() -> None:
    memo = Memoiser()

    def make():
        return {"items": [1]}

    first = memo.call(make)
    first["items"].append(2)
    assert memo.call(make) == {"items": [1]}

    sharing = Memoiser(return_copies=False)
    shared = sharing.call(make)
    assert sharing.call(make) is shared


def test_memoiser_uses_given_cache_and_key_maker() -> None:
    store = MemoryCache()
    memo = Memoiser(cache=store, key_maker=StringKeyMaker())
    memo.call(functools.partial(int), ("5",))
    assert len(store.keys()) == 1
    assert memo.cache is store


def test_memoiser_bad_arguments_raise_type_error() -> None:
    def one(a):
        return a

    with pytest.raises(TypeError):
        Memoiser().call(one, (1, 2))
    with pytest.raises(TypeError, match="callable"):
        Memoiser().call(42)  # type: ignore[arg-type]


def test_memoise_decorator_and_module_defaults() -> None:
    calls = []
    memo = Memoiser()

    @memoise_decorator(memo)
    def double(value):
        """Double it."""
        calls.append(value)
        return value * 2

    assert double(2) == 4
    assert double(value=2) == 4
    assert calls == [2]
    assert double.__doc__ == "Double it."
    assert double.__name__ == "double"

    assert isinstance(cache_module.memoiser, Memoiser)

    @cache_module.memoise
    def triple(value):
        calls.append(("triple", value))
        return value * 3

    assert triple(3) == 9 and triple(3) == 9
    assert calls.count(("triple", 3)) == 1
    assert not hasattr(cache_module, "memoise_method")


def test_layered_and_proxy_clear_reach_every_layer(tmp_path):
    memory, disk = MemoryCache(), FileCache(str(tmp_path / "layer"))
    layered = LayeredCache([memory, ProxyCache(disk)])
    for key in ("task-1", "shot-1"):
        layered.set(key, "v")
    layered.clear(pattern="^task")
    assert memory.keys() == ["shot-1"] and disk.keys() == ["shot-1"]
    layered.clear()
    assert memory.keys() == [] and disk.keys() == []


def test_memory_cache_clear_keeps_the_same_dict():
    """The session holds on to the dict of its MemoryCache (private ``_cache``)."""
    cache = MemoryCache()
    backing = cache._cache
    cache.set("a", 1)
    cache.clear()
    assert cache._cache is backing and backing == {}


@pytest.mark.parametrize(
    "items, expected",
    [
        (("a",), b"\x80\x02X\x01\x00\x00\x00aq\x00."),
        ((1,), b"\x80\x02K\x01."),
        ((None,), b"\x80\x02N."),
        (("a", 1), b"\x80\x02X\x01\x00\x00\x00aq\x00.\x00\x80\x02K\x01."),
        (([1, 2],), b"\x03\x80\x02K\x01.\x00\x80\x02K\x02.\x03"),
        (
            ({"b": 2, "a": 1},),
            b"\x01\x80\x02X\x01\x00\x00\x00aq\x00.\x02\x80\x02K\x01.\x00"
            b"\x80\x02X\x01\x00\x00\x00bq\x00.\x02\x80\x02K\x02.\x01",
        ),
        ((len,), b"\x04len"),
    ],
)
def test_object_key_maker_bytes_match_the_official_layout(items, expected):
    assert ObjectKeyMaker().key(*items) == expected


def test_key_maker_subclass_without_super_init_still_works():
    class Upper(KeyMaker):
        def __init__(self):  # deliberately no super().__init__()
            pass

        def _key(self, obj):
            return str(obj).upper()

    assert Upper().key("a", "b") == "AB"
    assert ObjectKeyMaker.item_separator == b"\0"
    assert StringKeyMaker().item_separator == ""
