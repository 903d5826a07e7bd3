"""Commands on ledgers: validate, summary, sample (issue 2)."""
