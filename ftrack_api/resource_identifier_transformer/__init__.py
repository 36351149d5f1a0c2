"""Resource identifier transformers: rewrite identifiers stored by locations."""
