"""Commands for the quarterly batch and its delivery: batch, email (issue 6)."""
