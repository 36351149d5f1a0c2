"""Accessors: read, write and list data in a storage (disk, ftrack server, ...)."""
