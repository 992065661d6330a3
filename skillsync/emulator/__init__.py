"""A faithful local Skills API: SQLite store, HTTP server, in-process transport.

database.Database     the SQLite file every dialect's store shares (WAL, one transaction a write)
store.SkillStore      the seed dialect's skills
folder_store.FolderStore      the anthropic dialect's skills and immutable versions
openai_store.OpenAIStore      the openai dialect's skills, numbered versions, default pointer
app.EmulatorApp       what every dialect shares: auth, limits, faults, stats; a front per
                      dialect (seed_api, anthropic_api, openai_api) answers the calls
server.EmulatorServer a threaded HTTP/1.1 server around the app
transport.EmulatorTransport   the same app behind httpx, for local:<path>
"""

DEFAULT_KEY = "emulator-key"
DEFAULT_WORKSPACE = "default"
DEFAULT_RPM = 1_000_000
