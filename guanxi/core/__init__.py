"""Core: people, teams, roles and the mechanisms every object type uses."""
