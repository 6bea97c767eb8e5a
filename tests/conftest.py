import os

from hypothesis import HealthCheck, settings

# Property tests run on every commit: enough examples to find edge cases, few enough to stay quick.
settings.register_profile(
    "default", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# CI runs the same examples: the suite must stay under 15 minutes on a fresh machine, where numba
# compiles every kernel first.
settings.register_profile("ci", parent=settings.get_profile("default"))
settings.load_profile("ci" if os.environ.get("CI") else "default")
