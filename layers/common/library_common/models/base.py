"""The schema's metadata and the audit columns every audited table carries.

The schema is declared as Core tables on `METADATA` (the tables' modules), without SQLAlchemy's ORM: a request that
runs Core statements over the tables never imports it. The ORM's classes are mapped onto those tables in
`library_common.models.mapped`, loaded at the first use of a class (see the package).
"""

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, MetaData, func

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

METADATA = MetaData(naming_convention=NAMING_CONVENTION)


class Audited:
    """A model whose table has `audit_columns()`: created_by/updated_by are filled from `db.current_actor` by the
    session hook in `db`."""


def audit_columns() -> list[Column]:
    return [
        Column("created_on", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_on", DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()),
        Column("created_by", BigInteger, ForeignKey("users.id", ondelete="SET NULL", use_alter=True)),
        Column("updated_by", BigInteger, ForeignKey("users.id", ondelete="SET NULL", use_alter=True)),
    ]
