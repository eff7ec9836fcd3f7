"""Hallmonitor: audit district-affiliated social media against a district's written policies."""

__version__ = "0.1.0"
