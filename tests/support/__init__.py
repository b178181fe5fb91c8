"""Test-only helper code: never imported by the application."""
