"""Control checks: pure functions that return findings, used by the suites."""
