"""Reports: transpile reports, result tables and plots."""
