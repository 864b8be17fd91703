"""Handlers of the Stancer API endpoints, one module per resource."""
