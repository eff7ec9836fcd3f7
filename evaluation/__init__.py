"""Measuring the checks on labelled corpora (text, images) and the synthetic image generator."""
