"""Keeping patient data minimal: retention purges and deleting one patient's data."""
