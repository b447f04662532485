"""Hypothesis settings shared by every test of the project."""

from hypothesis import HealthCheck, settings

# Hypothesis fails an example that takes over 200 ms by default, which turns
# a busy CI machine into failed property tests. Timing belongs in the
# benchmarks, so the properties here check only correctness.
settings.register_profile(
    "carecert", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("carecert")
