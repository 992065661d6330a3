"""A faithful local Skills API: SQLite store, HTTP server, in-process transport.

store.SkillStore      the seed dialect's skills in one SQLite file (WAL)
folder_store.FolderStore      the anthropic dialect's skills and immutable versions
app.EmulatorApp       what both dialects share: auth, limits, faults, stats; a front per
                      dialect (seed_api, anthropic_api) answers the calls
server.EmulatorServer a threaded HTTP/1.1 server around the app
transport.EmulatorTransport   the same app behind httpx, for local:<path>
"""

DEFAULT_KEY = "emulator-key"
DEFAULT_WORKSPACE = "default"
DEFAULT_RPM = 1_000_000
