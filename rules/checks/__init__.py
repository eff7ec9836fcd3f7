"""One module per check; each registers itself with rules.registry.register."""
