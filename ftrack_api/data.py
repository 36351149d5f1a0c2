"""File-like data objects returned by accessors.

:class:`Data` is the small interface accessors hand out from ``open``:
``read``, ``write``, ``flush``, ``seek``, ``tell`` and ``close``.
:class:`FileWrapper` adapts any Python file object, :class:`File` opens a path
and :class:`String` keeps its content in an anonymous temporary file.
"""
from __future__ import annotations

import abc
import codecs
import os
import tempfile
from typing import IO, Any, Optional, Union

__all__ = ["Data", "FileWrapper", "File", "String"]


class Data(abc.ABC):
    """Interface of a readable and/or writable stream of data.

    Instances are context managers: leaving the ``with`` block closes them.
    """

    def __init__(self) -> None:
        #: Whether :meth:`close` has been called.
        self.closed = False
        super().__init__()

    @abc.abstractmethod
    def read(self, limit: Optional[int] = None) -> Any:
        """Return up to *limit* bytes of content (all remaining when ``None``)."""

    @abc.abstractmethod
    def write(self, content: Any) -> None:
        """Write *content*."""

    def flush(self) -> None:
        """Flush buffered content (nothing to do by default)."""

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> Any:
        """Move to *offset*; not supported by default."""
        raise NotImplementedError(f"{type(self).__name__} does not support seek.")

    def tell(self) -> int:
        """Return the current position; not supported by default."""
        raise NotImplementedError(f"{type(self).__name__} does not support tell.")

    def close(self) -> None:
        """Flush and mark the data closed."""
        self.flush()
        self.closed = True

    def __enter__(self) -> "Data":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class FileWrapper(Data):
    """Expose a Python file object, :attr:`wrapped_file`, as :class:`Data`."""

    def __init__(self, wrapped_file: IO[Any]) -> None:
        for method in ("read", "write", "seek", "tell", "close"):
            if not callable(getattr(wrapped_file, method, None)):
                raise TypeError(
                    f"FileWrapper needs a file object with {method}(), "
                    f"not {type(wrapped_file).__name__}."
                )
        #: The file object every call is forwarded to.
        self.wrapped_file = wrapped_file
        self._last_was_read = False
        super().__init__()

    def read(self, limit: Optional[int] = None) -> Any:
        """Return up to *limit* bytes (everything remaining when ``None``)."""
        if limit is None:
            limit = -1
        content = self.wrapped_file.read(limit)
        self._last_was_read = True
        return content

    def write(self, content: Any) -> None:
        """Write *content* at the current position."""
        if self._last_was_read:
            # Some platforms need an explicit seek between a read and a write.
            self.wrapped_file.seek(self.wrapped_file.tell())
        self.wrapped_file.write(content)
        self._last_was_read = False

    def flush(self) -> None:
        """Flush the wrapped file."""
        if not self.closed and not self.wrapped_file.closed:
            self.wrapped_file.flush()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move the wrapped file's position."""
        return self.wrapped_file.seek(offset, whence)

    def tell(self) -> int:
        """Return the wrapped file's position."""
        return self.wrapped_file.tell()

    def close(self) -> None:
        """Flush and close the wrapped file (only the first call does anything)."""
        if self.closed:
            return
        try:
            super().close()
        finally:
            self.closed = True
            self.wrapped_file.close()


class File(FileWrapper):
    """Data read from or written to the file at *path*, opened with *mode*."""

    def __init__(self, path: Union[str, "os.PathLike[str]"], mode: str = "rb") -> None:
        super().__init__(open(path, mode))


class String(FileWrapper):
    """In-memory style data backed by an anonymous temporary file.

    The content is binary (:attr:`is_binary` is true) until a :class:`str`
    is given or written; from then on text is stored as UTF-8 and
    :meth:`read` returns :class:`str`.
    """

    def __init__(self, content: Optional[Union[str, bytes]] = None) -> None:
        #: Whether :meth:`read` returns ``bytes`` (true) or ``str``.
        self.is_binary = True
        super().__init__(tempfile.TemporaryFile())
        if content is not None:
            self.write(content)
            self.seek(0)

    def write(self, content: Union[str, bytes]) -> None:
        """Write *content*; a ``str`` switches the data to text mode."""
        if isinstance(content, str):
            self.is_binary = False
            content = content.encode("utf-8")
        elif not isinstance(content, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"String data accepts str or bytes, not {type(content).__name__}."
            )
        super().write(content)

    def read(self, limit: Optional[int] = None) -> Union[str, bytes]:
        """Return up to *limit* bytes of content, decoded when not binary.

        In text mode a limit that would split a multi-byte character is
        extended to the end of that character.
        """
        content = super().read(limit)
        if self.is_binary:
            return content
        if limit is None or limit < 0:
            return content.decode("utf-8")
        decoder = codecs.getincrementaldecoder("utf-8")()
        text = decoder.decode(content)
        extra = 0
        while decoder.getstate()[0] and extra < 4:
            more = super().read(1)
            if not more:
                break
            text += decoder.decode(more)
            extra += 1
        return text + decoder.decode(b"", final=True)
