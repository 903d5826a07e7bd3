"""The sample command: write a generated ledger (issue 2)."""
