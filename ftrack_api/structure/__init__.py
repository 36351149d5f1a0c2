"""Structures: compute where a component's data lives inside a location."""

__all__: list = []
