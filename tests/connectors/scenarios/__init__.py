"""Contract scenarios, one module per platform (see tests/connectors/contract.py)."""
