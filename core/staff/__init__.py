"""Clinic staff: accounts, sessions, lockouts and the audit log (plain Python, no framework)."""
