"""The demo district and the sample server that plays its platforms (never on the audit's path)."""
