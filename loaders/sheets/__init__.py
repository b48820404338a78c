"""Google Sheets exporter: marts -> spreadsheet tabs (config/sheets.yml), one atomic write per tab."""

from loaders.sheets.config import ExportConfig, SheetsConfigError, TabSpec, load_config
from loaders.sheets.exporter import ExportSummary, export

__all__ = ["ExportConfig", "ExportSummary", "SheetsConfigError", "TabSpec", "export", "load_config"]
