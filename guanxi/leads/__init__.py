"""Leads: capture, qualification, allocation, nurturing and conversion."""
