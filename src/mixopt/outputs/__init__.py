"""Plans out: CSV, JSON, XLSX workbooks, PNG charts and the terminal tables, all written atomically and deterministically."""
