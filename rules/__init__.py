"""Policy rules: checks (detection), packs (citation) and the engine that applies them."""
