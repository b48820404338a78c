"""Developer tools: code generators, SQL lint, secret scan (not used at run time)."""
