"""Skills from other repositories, pinned by skillsync.lock (SPEC 14)."""
