"""Subcommands of `kiosk`: one module each, found by `kiosk.cli` at start."""
