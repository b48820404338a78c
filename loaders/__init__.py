"""gbpower loaders: land raw Elexon data (Insights API and IRIS) in DuckDB or BigQuery."""

__version__ = "0.1.0"
