"""Settlement-period gaps: telling an ingestion gap (Elexon has data we did not load) from a source
gap (Elexon has none), from Elexon's ``/data-status/{dataset}`` routes and the documented seed of
known source gaps (``seeds/known_source_gaps.csv``)."""
