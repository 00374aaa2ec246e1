"""Customers: accounts, contacts, consent and the customer flow."""
