"""The `bluegreen` command: parsing, output and exit codes, nothing more.

Each command calls the Python API (spec, a platform) and renders what comes
back; errors map to exit codes in one place (`main`).
"""
