"""Synthetic images: marks, composed scenes, the image corpus and the demo district's media."""
