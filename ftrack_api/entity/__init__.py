"""Entity classes."""
