"""skillsync: manage agent skills as code (validate, plan, apply)."""

__version__ = "0.4.0"
