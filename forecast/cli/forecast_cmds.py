"""Commands that forecast: predict, backtest (issue 5)."""
