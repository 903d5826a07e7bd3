"""Commands that render and deliver: report, batch, email (issue 6)."""
