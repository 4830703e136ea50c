"""Alembic environment: the URL comes from the caller (dms.migrate) or from DMS_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import dms.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from dms.db import get_engine
from dms.settings import get_settings

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url
    engine = get_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
