"""Resolve Session arguments and FTRACK_* environment variables into settings (once)."""
from __future__ import annotations

import collections.abc
import os
from typing import Any, Dict, List, NamedTuple, Optional


class Settings(NamedTuple):
    """Resolved connection settings of a session."""

    server_url: str
    api_key: str
    api_user: str
    headers: Dict[str, str]
    cookies: Dict[str, str]
    strict_api: bool
    plugin_paths: List[str]


def _require_text(name: str, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(
            'The "{0}" argument is required to be a string, not {1}.'.format(
                name, type(value).__name__
            )
        )


def _stripped(value: Optional[str]) -> Optional[str]:
    # A key read from a file or pasted into a shell often ends with a newline.
    return value.strip() if value else value


def _require_header_text(name: str, value: str) -> None:
    # Sent as HTTP headers: refuse what http.client would reject, without ever
    # putting the value (a secret, for the key) into the message.
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(
            'The "{0}" value holds characters that cannot be sent in an HTTP header '
            "(only Latin-1 text is allowed).".format(name)
        ) from None
    if any(ord(character) < 32 or ord(character) == 127 for character in value):
        raise ValueError('The "{0}" value holds control characters.'.format(name))


def _resolve_server_url(server_url: Optional[str]) -> str:
    _require_text("server_url", server_url)
    if server_url is None:
        server_url = os.environ.get("FTRACK_SERVER")
    server_url = _stripped(server_url)
    if not server_url:
        raise TypeError(
            'Required "server_url" not specified. Pass it as an argument to Session() or set '
            "the FTRACK_SERVER environment variable (for example "
            "FTRACK_SERVER=https://mycompany.ftrackapp.com)."
        )
    return server_url.rstrip("/")


def _resolve_api_key(api_key: Optional[str]) -> str:
    _require_text("api_key", api_key)
    if api_key is None:
        if "FTRACK_API_KEY" in os.environ:
            api_key = os.environ.get("FTRACK_API_KEY")
        else:
            api_key = os.environ.get("FTRACK_APIKEY")
    api_key = _stripped(api_key)
    if not api_key:
        raise TypeError(
            'Required "api_key" not specified. Pass it as an argument to Session() or set '
            "the FTRACK_API_KEY environment variable (API keys are created in ftrack under "
            "System settings > Security > API keys, or from your user's settings)."
        )
    _require_header_text("api_key", api_key)
    return api_key


def _resolve_api_user(api_user: Optional[str]) -> str:
    _require_text("api_user", api_user)
    if api_user is None:
        api_user = os.environ.get("FTRACK_API_USER")
        if not api_user:
            import getpass  # only without FTRACK_API_USER (getpass imports termios)

            try:
                api_user = getpass.getuser()
            except Exception:
                api_user = None
    api_user = _stripped(api_user)
    if not api_user:
        raise TypeError(
            'Required "api_user" not specified. Pass it as an argument to Session() or set '
            "the FTRACK_API_USER environment variable (the login name is otherwise taken from "
            "LOGNAME, USER, LNAME or USERNAME)."
        )
    _require_header_text("api_user", api_user)
    return api_user


def resolve(
    server_url: Optional[str],
    api_key: Optional[str],
    api_user: Optional[str],
    plugin_paths: Optional[List[str]],
    cookies: Any,
    headers: Any,
    strict_api: Any,
) -> Settings:
    """Return :class:`Settings`; raise :exc:`TypeError` for missing or malformed values."""
    server_url = _resolve_server_url(server_url)
    api_key = _resolve_api_key(api_key)
    api_user = _resolve_api_user(api_user)
    if cookies and not isinstance(cookies, collections.abc.Mapping):
        raise TypeError("The cookies argument is required to be a mapping (for example a dict).")
    if headers and not isinstance(headers, collections.abc.Mapping):
        raise TypeError("The headers argument is required to be a mapping (for example a dict).")
    if not isinstance(strict_api, bool):
        raise TypeError("The strict_api argument is required to be a boolean (True or False).")
    resolved_headers = dict(headers or {})
    resolved_headers["ftrack-strict-api"] = "true" if strict_api else "false"
    if plugin_paths is None:
        plugin_paths = os.environ.get("FTRACK_EVENT_PLUGIN_PATH", "").split(os.pathsep)
    elif isinstance(plugin_paths, (str, os.PathLike)):
        # One string is a path list like FTRACK_EVENT_PLUGIN_PATH, never a list of
        # one-character paths (a "/" would load every Python file on the disk).
        plugin_paths = os.fspath(plugin_paths).split(os.pathsep)
    elif not isinstance(plugin_paths, collections.abc.Iterable):
        raise TypeError("The plugin_paths argument is required to be a list of paths.")
    return Settings(
        server_url=server_url,
        api_key=api_key,
        api_user=api_user,
        headers=resolved_headers,
        cookies=dict(cookies or {}),
        strict_api=strict_api,
        plugin_paths=list(plugin_paths),
    )
