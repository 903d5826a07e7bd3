"""Commands that render one report: report (issue 6)."""
