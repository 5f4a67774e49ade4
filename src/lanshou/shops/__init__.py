"""Shops: each merchant shop on a marketplace, with its timezone and settings (rule-pack overrides…)."""
