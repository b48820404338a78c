"""The Elexon Insights (BMRS) REST API: HTTP client and request building."""
