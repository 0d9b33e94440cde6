"""Durable storage: SQLAlchemy models, repositories and Alembic migrations.

SQLite (WAL) is the embedded default, PostgreSQL the store for real deployments; both run the same
migrations. The ORM stays in this package: rows become `alliance.core` dataclasses before they
leave it. This package stores hashes and metadata only, never media bytes.
"""
