"""carecert's pytest plugin: record and replay provider traffic, validate it
against each provider's OpenAPI description, and write evidence reports.
"""
