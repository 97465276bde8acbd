"""Handoffs to clinic staff: the durable store, the staff webhook notifier, the staff command."""
