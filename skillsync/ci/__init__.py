"""Integrations with CI systems (the GitHub Action's logic lives here, tested)."""
