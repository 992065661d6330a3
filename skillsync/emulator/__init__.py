"""A faithful local Skills API: SQLite store, HTTP server, in-process transport.

store.SkillStore      workspaces of skills in one SQLite file (WAL)
app.EmulatorApp       the API itself: auth, validation, pagination, limits, faults
server.serve          a threaded HTTP/1.1 server around the app
transport.EmulatorTransport   the same app behind httpx, for local:<path>
"""

DEFAULT_KEY = "emulator-key"
DEFAULT_WORKSPACE = "default"
DEFAULT_RPM = 1_000_000
