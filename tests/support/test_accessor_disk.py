"""Tests for ftrack_api.accessor.disk on real temporary directories."""
from __future__ import annotations

import errno
import os

import pytest

import ftrack_api.exception as exc
from ftrack_api.accessor.base import Accessor
from ftrack_api.accessor.disk import DiskAccessor, error_handler
from ftrack_api.data import File


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "f.txt").write_text("content")
    return tmp_path


@pytest.fixture
def accessor(tree):
    return DiskAccessor(str(tree))


def test_accessor_is_abstract():
    with pytest.raises(TypeError):
        Accessor()  # type: ignore[abstract]


def test_prefix_is_expanded_and_absolute(monkeypatch, tmp_path):
    monkeypatch.setenv("MY_ROOT", str(tmp_path))
    assert DiskAccessor("$MY_ROOT/x").prefix == str(tmp_path / "x")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert DiskAccessor("~/y").prefix == str(tmp_path / "y")
    monkeypatch.chdir(tmp_path)
    assert DiskAccessor("rel").prefix == str(tmp_path / "rel")
    assert DiskAccessor("").prefix == ""
    with pytest.raises(TypeError, match="unexpected keyword"):
        DiskAccessor("", unknown=1)
    with pytest.raises(TypeError, match="prefix"):
        DiskAccessor(42)  # type: ignore[arg-type]


def test_get_filesystem_path(accessor, tree):
    assert accessor.get_filesystem_path("a/f.txt") == str(tree / "a" / "f.txt")
    assert accessor.get_filesystem_path("a/./b/../f.txt") == str(tree / "a" / "f.txt")
    assert accessor.get_filesystem_path(str(tree / "a")) == str(tree / "a")
    assert accessor.get_filesystem_path("") == str(tree)
    for outside in ("../escape", "/etc/passwd", str(tree) + "-sibling/x"):
        with pytest.raises(exc.AccessorFilesystemPathError) as info:
            accessor.get_filesystem_path(outside)
        assert outside in str(info.value)
        assert info.value.details["resource_identifier"] == outside
    with pytest.raises(exc.AccessorResourceIdentifierError):
        accessor.get_filesystem_path(None)  # type: ignore[arg-type]


def test_without_prefix_identifiers_are_plain_paths():
    accessor = DiskAccessor("")
    assert accessor.get_filesystem_path("rel/./x") == "rel/x"
    assert accessor.get_filesystem_path("/abs/x") == "/abs/x"
    assert accessor.get_filesystem_path("") == ""


def test_list_exists_and_kinds(accessor):
    assert accessor.list("") == ["a"]
    assert accessor.list("a") == ["a/b", "a/f.txt"]
    assert accessor.exists("a") and accessor.exists("a/f.txt")
    assert not accessor.exists("missing")
    assert accessor.is_file("a/f.txt") and not accessor.is_file("a")
    assert accessor.is_container("a") and not accessor.is_container("a/f.txt")
    with pytest.raises(exc.AccessorResourceNotFoundError):
        accessor.list("missing")
    with pytest.raises(exc.AccessorResourceInvalidError):
        accessor.list("a/f.txt")
    with pytest.raises(exc.AccessorUnsupportedOperationError) as info:
        accessor.is_sequence("a")
    assert info.value.details["operation"] == "is_sequence"


def test_open_read_and_write(accessor, tree):
    with accessor.open("a/f.txt") as data:
        assert isinstance(data, File)
        assert data.read() == b"content"
    written = accessor.open("a/new.bin", "wb")
    written.write(b"\x00\x01")
    written.close()
    assert (tree / "a" / "new.bin").read_bytes() == b"\x00\x01"
    with pytest.raises(exc.AccessorResourceNotFoundError):
        accessor.open("missing/x.txt", "wb")
    with pytest.raises(exc.AccessorResourceInvalidError):
        accessor.open("a", "rb")


def test_remove_files_and_empty_containers(accessor, tree):
    with pytest.raises(exc.AccessorContainerNotEmptyError) as info:
        accessor.remove("a")
    assert info.value.details == {"operation": "remove", "resource_identifier": "a"}
    accessor.remove("a/f.txt")
    assert not (tree / "a" / "f.txt").exists()
    accessor.remove_container("a/b")
    assert not (tree / "a" / "b").exists()
    with pytest.raises(exc.AccessorResourceNotFoundError):
        accessor.remove("nope")


def test_make_container(accessor, tree):
    accessor.make_container("x/y/z")
    assert (tree / "x" / "y" / "z").is_dir()
    accessor.make_container("x/y/z")  # existing is fine
    accessor.make_container("x/w", recursive=False)
    assert (tree / "x" / "w").is_dir()
    accessor.make_container("x/w", recursive=False)
    with pytest.raises(exc.AccessorParentResourceNotFoundError):
        accessor.make_container("p/q", recursive=False)
    with pytest.raises(exc.AccessorResourceInvalidError):
        accessor.make_container("a/f.txt")


def test_get_container(accessor, tree):
    assert accessor.get_container("a/f.txt") == "a"
    assert accessor.get_container("a/b") == "a"
    assert accessor.get_container("a") == ""
    assert accessor.get_container(str(tree / "a" / "f.txt")) == "a"
    with pytest.raises(exc.AccessorParentResourceNotFoundError):
        accessor.get_container("")
    plain = DiskAccessor("")
    assert plain.get_container(str(tree / "a" / "f.txt")) == str(tree / "a")
    assert plain.get_container("x") == ""
    with pytest.raises(exc.AccessorParentResourceNotFoundError):
        plain.get_container("/")


def test_get_url_unsupported(accessor):
    with pytest.raises(exc.AccessorUnsupportedOperationError) as info:
        accessor.get_url("a/f.txt")
    assert info.value.details["operation"] == "get_url"
    assert "get_url" in str(info.value)


@pytest.mark.parametrize(
    "number, expected",
    [
        (errno.ENOENT, exc.AccessorResourceNotFoundError),
        (errno.EPERM, exc.AccessorPermissionDeniedError),
        (errno.EACCES, exc.AccessorPermissionDeniedError),
        (errno.ENOTEMPTY, exc.AccessorContainerNotEmptyError),
        (errno.ENOTDIR, exc.AccessorResourceInvalidError),
        (errno.EISDIR, exc.AccessorResourceInvalidError),
        (errno.EINVAL, exc.AccessorResourceInvalidError),
        (errno.ENOSPC, exc.AccessorOperationFailedError),
        (None, exc.AccessorOperationFailedError),
    ],
)
def test_error_handler_maps_errno(number, expected):
    error = OSError(number, "boom") if number is not None else OSError("no errno")
    with pytest.raises(expected) as info:
        with error_handler(operation="op", resource_identifier="ri"):
            raise error
    assert type(info.value) is expected
    assert info.value.__cause__ is error
    assert info.value.details["resource_identifier"] == "ri"
    assert info.value.details["operation"] == "op"


def test_error_handler_lets_other_errors_through():
    with pytest.raises(KeyError):
        with error_handler(operation="op"):
            raise KeyError("x")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permissions")
def test_permission_denied_on_real_directory(accessor, tree):
    locked = tree / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        with pytest.raises(exc.AccessorPermissionDeniedError):
            accessor.list("locked")
    finally:
        locked.chmod(0o755)
