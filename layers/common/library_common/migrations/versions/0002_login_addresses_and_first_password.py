"""Failed logins per client address; accounts that must change their password before anything else.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Attempts recorded before this revision have no address: they count for the email alone.
    op.add_column(
        "login_attempts", sa.Column("client_address", sa.String(length=64), server_default="", nullable=False)
    )
    op.create_index(
        "ix_login_attempts_email_address_attempted_on",
        "login_attempts",
        ["email", "client_address", "attempted_on"],
        unique=False,
    )
    op.add_column("users", sa.Column("must_change_password", sa.Boolean(), server_default="false", nullable=False))


def downgrade() -> None:
    op.drop_column("users", "must_change_password")
    op.drop_index("ix_login_attempts_email_address_attempted_on", table_name="login_attempts")
    op.drop_column("login_attempts", "client_address")
