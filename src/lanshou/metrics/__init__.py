"""Platform logistics metrics (METRICS.md M1–M6): rule packs, computation, explanations, rollups."""
