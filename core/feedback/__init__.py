"""Patients' ratings of answers ("did this help?"), kept beside the handoff requests."""
