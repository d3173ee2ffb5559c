"""Evaluation tools that live beside the product, not inside it."""
