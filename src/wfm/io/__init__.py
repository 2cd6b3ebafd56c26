"""Reading and writing wfm's CSV files (DESIGN.md data contracts)."""
