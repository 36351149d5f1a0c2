"""Resource identifier transformers: rewrite identifiers stored by locations."""

__all__: list = []
