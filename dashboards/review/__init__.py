"""The monitors' review app: queue, finding pages, decisions and the audit trail (issue 11)."""
