"""carecert package."""
