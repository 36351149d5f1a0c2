"""Tests for ftrack_api.data."""
from __future__ import annotations

import os

import pytest

from ftrack_api.data import Data, File, FileWrapper, String


def test_data_is_abstract_and_defaults():
    with pytest.raises(TypeError):
        Data()  # type: ignore[abstract]

    class Minimal(Data):
        def __init__(self):
            super().__init__()
            self.flushed = 0

        def read(self, limit=None):
            return b""

        def write(self, content):
            pass

        def flush(self):
            self.flushed += 1

    data = Minimal()
    assert data.closed is False
    with pytest.raises(NotImplementedError):
        data.seek(0)
    with pytest.raises(NotImplementedError):
        data.tell()
    with data:
        pass
    assert data.closed is True
    assert data.flushed == 1


def test_file_reads_writes_and_closes(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(b"0123456789")
    data = File(str(path))
    assert data.wrapped_file.mode == "rb"
    assert data.read(3) == b"012"
    assert data.tell() == 3
    assert data.read() == b"3456789"
    data.seek(-2, os.SEEK_END)
    assert data.read() == b"89"
    data.close()
    assert data.closed and data.wrapped_file.closed
    data.close()  # second close is a no-op


def test_file_write_after_read_switches_cleanly(tmp_path):
    path = tmp_path / "file.txt"
    path.write_text("abcdef")
    data = File(path, "r+")
    assert data.read(2) == "ab"
    data.write("ZZ")
    data.seek(0)
    assert data.read() == "abZZef"
    data.close()
    assert path.read_text() == "abZZef"


def test_file_missing_path_raises():
    with pytest.raises(FileNotFoundError):
        File("/definitely/not/here.txt")


def test_file_wrapper_rejects_non_files():
    with pytest.raises(TypeError, match="file object"):
        FileWrapper("not a file")  # type: ignore[arg-type]


def test_file_wrapper_flushes_on_close(tmp_path):
    path = tmp_path / "out.bin"
    data = FileWrapper(open(path, "wb"))
    data.write(b"hello")
    data.close()
    assert path.read_bytes() == b"hello"


def test_string_binary_and_text_modes():
    empty = String()
    assert empty.is_binary is True
    assert empty.read() == b""

    binary = String(b"\x00\x01")
    assert binary.is_binary is True
    assert binary.read() == b"\x00\x01"

    text = String("héllo")
    assert text.is_binary is False
    assert text.read() == "héllo"
    assert text.tell() == len("héllo".encode("utf-8"))
    text.seek(0)
    assert text.read(2) == "hé"  # limit extended to finish the multi-byte character
    assert text.read() == "llo"

    switched = String(b"abc")
    switched.seek(0, os.SEEK_END)
    switched.write("d")
    assert switched.is_binary is False
    switched.seek(0)
    assert switched.read() == "abcd"


def test_string_rejects_other_types():
    with pytest.raises(TypeError, match="str or bytes"):
        String(42)  # type: ignore[arg-type]


def test_string_close():
    data = String("x")
    data.close()
    assert data.closed is True
    assert data.wrapped_file.closed is True
