"""The command line's exit codes (import-light: read before anything else can fail)."""

EXIT_USER_ERROR = 1  # a problem the user can fix; the message says how
EXIT_INTERRUPTED = 130
