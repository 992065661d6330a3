"""skillsync: manage Claude skills as code (validate, plan, apply)."""

__version__ = "0.1.0"
