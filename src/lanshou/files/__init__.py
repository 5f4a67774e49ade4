"""File adapters: reading merchants' CSV/XLSX exports and writing safe exports."""
