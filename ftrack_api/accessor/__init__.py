"""Accessors: read, write and list data in a storage (disk, ftrack server, ...)."""

__all__: list = []
