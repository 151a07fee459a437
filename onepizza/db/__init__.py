"""Database access: the aiopg pool, transactions, migrations and the embedded server."""

from onepizza.db.pool import DB_POOL, create_pool, cursor, transaction

__all__ = ["DB_POOL", "create_pool", "cursor", "transaction"]
