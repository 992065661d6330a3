"""The Skills API's limits, shared by validate (offline) and the emulator."""

MAX_DESCRIPTION = 1024
MAX_DISPLAY_NAME = 255
MAX_SEED_BODY_BYTES = 1024 * 1024
"""The seed dialect refuses a JSON body over 1 MiB (413)."""
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
"""The anthropic dialect refuses an upload whose files exceed 8 MB (8 MiB) in all (413)."""
MAX_OPENAI_FILES = 500
"""The openai dialect refuses an upload of more than 500 files..."""
MAX_OPENAI_FILE_BYTES = 25 * 1024 * 1024
"""...a file over 25 MB..."""
MAX_OPENAI_UPLOAD_BYTES = 50 * 1024 * 1024
"""...or more than 50 MB in all (skillsync measures the files, an upper bound of the zip)."""
