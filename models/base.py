"""What every table shares: constraint names Alembic can rely on, UTC time, big integer ids."""

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, ForeignKey
from sqlmodel import SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The only clock the domain reads by default; times are stored in UTC."""
    return datetime.now(UTC)


def telegram_id_column(*, primary_key: bool = False, foreign_key: str | None = None,
                       ondelete: str | None = None, nullable: bool = True,
                       index: bool = False) -> Column:
    """Telegram user ids exceed 32 bits."""
    args = [ForeignKey(foreign_key, ondelete=ondelete)] if foreign_key else []
    return Column(BigInteger, *args, primary_key=primary_key, autoincrement=False,
                  nullable=nullable and not primary_key, index=index)
