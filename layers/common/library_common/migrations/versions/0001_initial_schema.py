"""Initial schema: identity, catalogue, circulation and the notifications outbox, with reference data.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


BUILT_IN_PERMISSIONS = [
    ("books.create", "Create books"),
    ("books.update", "Update books, covers and reviews"),
    ("books.delete", "Delete or archive books"),
    ("books.import", "Import books from CSV"),
    ("users.view", "View users"),
    ("users.manage", "Create, update and deactivate users"),
    ("groups.manage", "Manage permissions and permission groups"),
    ("loans.manage", "Lend, return and renew for any member; manage holds"),
    ("loans.view_all", "View every member's loans"),
    ("fines.manage", "View, pay and waive fines"),
    ("reports.view", "View reports"),
    ("policies.manage", "Change lending policies"),
]
NOT_FOR_LIBRARIANS = ("users.manage", "groups.manage", "policies.manage")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "books",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("author", sa.String(length=300), nullable=False),
        sa.Column("isbn", sa.String(length=13), nullable=True),
        sa.Column("publisher", sa.String(length=300), nullable=True),
        sa.Column("publication", sa.String(length=300), nullable=True),
        sa.Column("published_date", sa.Date(), nullable=True),
        sa.Column("genre", sa.String(length=100), nullable=True),
        sa.Column("language", sa.String(length=50), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("quantity", sa.Integer(), server_default="1", nullable=False),
        sa.Column("copies_on_loan", sa.Integer(), server_default="0", nullable=False),
        sa.Column("copies_on_hold_shelf", sa.Integer(), server_default="0", nullable=False),
        sa.Column("review_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rating_total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cover_key", sa.String(length=300), nullable=True),
        sa.Column("archived_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('simple', coalesce(title, '')), 'A') || setweight(to_tsvector('simple', coalesce(author, '')), 'B') || setweight(to_tsvector('english', coalesce(description, '')), 'C')",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column("created_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "copies_on_loan >= 0 AND copies_on_hold_shelf >= 0 AND copies_on_loan + copies_on_hold_shelf <= quantity",
            name=op.f("ck_books_copies_within_quantity"),
        ),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_books_quantity_not_negative")),
        sa.CheckConstraint("review_count >= 0 AND rating_total >= 0", name=op.f("ck_books_review_totals")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_books_created_by_users"), ondelete="SET NULL", use_alter=True
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_books_updated_by_users"), ondelete="SET NULL", use_alter=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_books")),
    )
    op.create_index(
        "ix_books_author_trgm",
        "books",
        ["author"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"author": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_books_publisher_trgm",
        "books",
        ["publisher"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"publisher": "gin_trgm_ops"},
    )
    op.create_index("ix_books_search_vector", "books", ["search_vector"], unique=False, postgresql_using="gin")
    op.create_index(
        "ix_books_genre_newest",
        "books",
        ["genre", sa.text("published_date DESC NULLS LAST")],
        unique=False,
        postgresql_where=sa.text("archived_on IS NULL"),
        postgresql_include=["quantity", "copies_on_loan", "copies_on_hold_shelf"],
    )
    op.create_index(
        "ix_books_title_trgm",
        "books",
        ["title"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )
    op.create_index(
        "uq_books_isbn_live", "books", ["isbn"], unique=True, postgresql_where=sa.text("archived_on IS NULL")
    )
    op.create_index(
        "ix_books_live_title",
        "books",
        [sa.literal_column("lower(title)"), "id"],
        unique=False,
        postgresql_where=sa.text("archived_on IS NULL"),
        postgresql_include=["title"],
    )
    op.create_table(
        "catalogue_counts",
        sa.Column("id", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("live_books", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_catalogue_counts_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_counts")),
    )
    _count_live_books()
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("object_key", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("rows_total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rows_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dry_run", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("atomic", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("errors", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("finished_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'succeeded', 'failed')", name=op.f("ck_import_jobs_status")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_import_jobs_created_by_users"),
            ondelete="SET NULL",
            use_alter=True,
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_import_jobs_updated_by_users"),
            ondelete="SET NULL",
            use_alter=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
        sa.UniqueConstraint("object_key", name=op.f("uq_import_jobs_object_key")),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("attempted_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    op.create_index("ix_login_attempts_email_attempted_on", "login_attempts", ["email", "attempted_on"], unique=False)
    op.create_table(
        "permission_groups",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("is_builtin", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("created_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_permission_groups_created_by_users"),
            ondelete="SET NULL",
            use_alter=True,
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_permission_groups_updated_by_users"),
            ondelete="SET NULL",
            use_alter=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permission_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_permission_groups_name")),
    )
    op.create_table(
        "permissions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("is_builtin", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("created_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_permissions_created_by_users"),
            ondelete="SET NULL",
            use_alter=True,
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_permissions_updated_by_users"),
            ondelete="SET NULL",
            use_alter=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permissions")),
        sa.UniqueConstraint("code", name=op.f("uq_permissions_code")),
    )
    op.create_table(
        "policies",
        sa.Column("id", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("loan_period_days", sa.Integer(), server_default="14", nullable=False),
        sa.Column("max_loans", sa.Integer(), server_default="3", nullable=False),
        sa.Column("max_renewals", sa.Integer(), server_default="2", nullable=False),
        sa.Column("fine_per_day", sa.Numeric(precision=10, scale=2), server_default="0.25", nullable=False),
        sa.Column("fine_cap", sa.Numeric(precision=10, scale=2), server_default="10.00", nullable=False),
        sa.Column("hold_pickup_days", sa.Integer(), server_default="3", nullable=False),
        sa.Column("block_threshold", sa.Numeric(precision=10, scale=2), server_default="5.00", nullable=False),
        sa.Column("created_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_policies_single_row")),
        sa.CheckConstraint(
            "loan_period_days > 0 AND max_loans >= 0 AND max_renewals >= 0 AND fine_per_day >= 0 AND fine_cap >= 0 AND hold_pickup_days > 0 AND block_threshold >= 0",
            name=op.f("ck_policies_sane_values"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_policies_created_by_users"), ondelete="SET NULL", use_alter=True
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_policies_updated_by_users"), ondelete="SET NULL", use_alter=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policies")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=20), server_default="member", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("membership_date", sa.Date(), server_default=sa.text("CURRENT_DATE"), nullable=False),
        sa.Column("created_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("role IN ('admin', 'librarian', 'member')", name=op.f("ck_users_role")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_users_created_by_users"), ondelete="SET NULL", use_alter=True
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_users_updated_by_users"), ondelete="SET NULL", use_alter=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index("uq_users_email_lower", "users", [sa.literal_column("lower(email)")], unique=True)
    op.create_table(
        "group_permissions",
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.Column("permission_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["permission_groups.id"],
            name=op.f("fk_group_permissions_group_id_permission_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["permission_id"],
            ["permissions.id"],
            name=op.f("fk_group_permissions_permission_id_permissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "permission_id", name=op.f("pk_group_permissions")),
    )
    op.create_table(
        "idempotency_records",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_idempotency_records_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_idempotency_records")),
    )
    op.create_table(
        "loans",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("book_id", sa.BigInteger(), nullable=False),
        sa.Column("borrowed_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("returned_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("renewals", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("renewals >= 0", name=op.f("ck_loans_renewals_not_negative")),
        sa.ForeignKeyConstraint(["book_id"], ["books.id"], name=op.f("fk_loans_book_id_books")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_loans_created_by_users"), ondelete="SET NULL", use_alter=True
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_loans_updated_by_users"), ondelete="SET NULL", use_alter=True
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_loans_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loans")),
    )
    op.create_index("ix_loans_book_borrowed_on", "loans", ["book_id", "borrowed_on"], unique=False)
    op.create_index("ix_loans_borrowed_on", "loans", ["borrowed_on"], unique=False, postgresql_include=["book_id"])
    op.create_table(
        "loan_counts",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("book_id", sa.BigInteger(), nullable=False),
        sa.Column("loans", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["book_id"], ["books.id"], name=op.f("fk_loan_counts_book_id_books"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("month", "book_id", name=op.f("pk_loan_counts")),
    )
    _count_loans_by_month()
    op.create_index(
        "ix_loans_open_due_date", "loans", ["due_date"], unique=False, postgresql_where=sa.text("returned_on IS NULL")
    )
    op.create_index(op.f("ix_loans_user_id"), "loans", ["user_id"], unique=False)
    op.create_index(
        "uq_loans_open_user_book",
        "loans",
        ["user_id", "book_id"],
        unique=True,
        postgresql_where=sa.text("returned_on IS NULL"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("sent_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name=op.f("ck_notifications_status")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_notifications_created_by_users"),
            ondelete="SET NULL",
            use_alter=True,
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_notifications_updated_by_users"),
            ondelete="SET NULL",
            use_alter=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notifications_dedupe_key")),
    )
    op.create_index(
        "ix_notifications_deliverable",
        "notifications",
        ["next_attempt_on"],
        unique=False,
        postgresql_where=sa.text("status = 'queued'"),
    )
    op.create_index(op.f("ix_notifications_user_id"), "notifications", ["user_id"], unique=False)
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_created_by_users"),
            ondelete="SET NULL",
            use_alter=True,
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_updated_by_users"),
            ondelete="SET NULL",
            use_alter=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_refresh_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    op.create_index(op.f("ix_refresh_tokens_family_id"), "refresh_tokens", ["family_id"], unique=False)
    op.create_index(op.f("ix_refresh_tokens_user_id"), "refresh_tokens", ["user_id"], unique=False)
    op.create_table(
        "reviews",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("book_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("created_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_reviews_rating_range")),
        sa.ForeignKeyConstraint(["book_id"], ["books.id"], name=op.f("fk_reviews_book_id_books"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_reviews_created_by_users"), ondelete="SET NULL", use_alter=True
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_reviews_updated_by_users"), ondelete="SET NULL", use_alter=True
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_reviews_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("book_id", "user_id", name=op.f("uq_reviews_book_id_user_id")),
    )
    op.create_index(op.f("ix_reviews_book_id"), "reviews", ["book_id"], unique=False)
    op.create_index(op.f("ix_reviews_user_id"), "reviews", ["user_id"], unique=False)
    op.create_table(
        "user_groups",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["permission_groups.id"],
            name=op.f("fk_user_groups_group_id_permission_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_groups_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "group_id", name=op.f("pk_user_groups")),
    )
    op.create_table(
        "fines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="unpaid", nullable=False),
        sa.Column("settled_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("status IN ('unpaid', 'paid', 'waived')", name=op.f("ck_fines_status")),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_fines_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_fines_created_by_users"), ondelete="SET NULL", use_alter=True
        ),
        sa.ForeignKeyConstraint(["loan_id"], ["loans.id"], name=op.f("fk_fines_loan_id_loans")),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_fines_updated_by_users"), ondelete="SET NULL", use_alter=True
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_fines_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fines")),
        sa.UniqueConstraint("loan_id", name=op.f("uq_fines_loan_id")),
    )
    op.create_index(op.f("ix_fines_user_id"), "fines", ["user_id"], unique=False)
    op.create_index(
        "ix_fines_user_unpaid", "fines", ["user_id"], unique=False, postgresql_where=sa.text("status = 'unpaid'")
    )
    op.create_table(
        "holds",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("book_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="waiting", nullable=False),
        sa.Column("queued_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("ready_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("loan_id", sa.BigInteger(), nullable=True),
        sa.Column("created_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_on", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('waiting', 'ready', 'fulfilled', 'cancelled', 'expired')", name=op.f("ck_holds_status")
        ),
        sa.ForeignKeyConstraint(["book_id"], ["books.id"], name=op.f("fk_holds_book_id_books")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_holds_created_by_users"), ondelete="SET NULL", use_alter=True
        ),
        sa.ForeignKeyConstraint(["loan_id"], ["loans.id"], name=op.f("fk_holds_loan_id_loans")),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_holds_updated_by_users"), ondelete="SET NULL", use_alter=True
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_holds_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
    )
    op.create_index(
        "ix_holds_book_queue",
        "holds",
        ["book_id", "queued_on"],
        unique=False,
        postgresql_where=sa.text("status = 'waiting'"),
    )
    op.create_index(
        "ix_holds_ready_expires_on", "holds", ["expires_on"], unique=False, postgresql_where=sa.text("status = 'ready'")
    )
    op.create_index(op.f("ix_holds_user_id"), "holds", ["user_id"], unique=False)
    op.create_index(
        "uq_holds_active_user_book",
        "holds",
        ["user_id", "book_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('waiting', 'ready')"),
    )
    _seed_reference_data()


def _count_live_books() -> None:
    """catalogue_counts.live_books follows every insert, delete, archive and truncate of books.

    Inserts and deletes count their transition tables once per statement (a bulk import is one statement);
    updates fire only when archived_on changes. A missing row means zero (a TRUNCATE of both tables).
    """
    op.execute(
        """
        CREATE FUNCTION catalogue_count_live_books() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            delta bigint;
        BEGIN
            IF TG_OP = 'INSERT' THEN
                SELECT count(*) INTO delta FROM new_rows WHERE archived_on IS NULL;
            ELSIF TG_OP = 'DELETE' THEN
                SELECT -count(*) INTO delta FROM old_rows WHERE archived_on IS NULL;
            ELSE
                delta := (NEW.archived_on IS NULL)::int - (OLD.archived_on IS NULL)::int;
            END IF;
            IF delta <> 0 THEN
                INSERT INTO catalogue_counts (id, live_books) VALUES (1, delta)
                ON CONFLICT (id) DO UPDATE SET live_books = catalogue_counts.live_books + excluded.live_books;
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER books_count_inserts AFTER INSERT ON books REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION catalogue_count_live_books()"
    )
    op.execute(
        "CREATE TRIGGER books_count_deletes AFTER DELETE ON books REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION catalogue_count_live_books()"
    )
    op.execute(
        "CREATE TRIGGER books_count_archiving AFTER UPDATE OF archived_on ON books FOR EACH ROW "
        "WHEN (OLD.archived_on IS DISTINCT FROM NEW.archived_on) EXECUTE FUNCTION catalogue_count_live_books()"
    )
    op.execute(
        "CREATE FUNCTION catalogue_forget_count() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN DELETE FROM catalogue_counts; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER books_count_truncate AFTER TRUNCATE ON books "
        "FOR EACH STATEMENT EXECUTE FUNCTION catalogue_forget_count()"
    )


def _count_loans_by_month() -> None:
    """loan_counts follows every insert, delete and truncate of loans, and every change of a loan's title or start.

    Inserts and deletes count their transition tables once per statement (a borrow is one statement, so is a bulk
    load); a row trigger moves a loan whose `book_id` or `borrowed_on` changes. Returns and renewals touch neither
    column, so they never fire it. Months are UTC calendar months; a missing row means zero.
    """
    month = "date_trunc('month', {} AT TIME ZONE 'UTC')::date"
    op.execute(
        f"""
        CREATE FUNCTION circulation_count_loans() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO loan_counts (month, book_id, loans)
                SELECT {month.format("borrowed_on")}, book_id, count(*) FROM new_rows GROUP BY 1, 2
                ON CONFLICT (month, book_id) DO UPDATE SET loans = loan_counts.loans + excluded.loans;
            ELSIF TG_OP = 'DELETE' THEN
                UPDATE loan_counts SET loans = loan_counts.loans - gone.loans
                FROM (SELECT {month.format("borrowed_on")} AS month, book_id, count(*) AS loans
                      FROM old_rows GROUP BY 1, 2) gone
                WHERE loan_counts.month = gone.month AND loan_counts.book_id = gone.book_id;
            ELSE
                UPDATE loan_counts SET loans = loans - 1
                WHERE month = {month.format("OLD.borrowed_on")} AND book_id = OLD.book_id;
                INSERT INTO loan_counts (month, book_id, loans) VALUES ({month.format("NEW.borrowed_on")}, NEW.book_id, 1)
                ON CONFLICT (month, book_id) DO UPDATE SET loans = loan_counts.loans + 1;
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER loans_count_inserts AFTER INSERT ON loans REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION circulation_count_loans()"
    )
    op.execute(
        "CREATE TRIGGER loans_count_deletes AFTER DELETE ON loans REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION circulation_count_loans()"
    )
    op.execute(
        "CREATE TRIGGER loans_count_moves AFTER UPDATE OF book_id, borrowed_on ON loans FOR EACH ROW "
        "WHEN (OLD.book_id IS DISTINCT FROM NEW.book_id OR OLD.borrowed_on IS DISTINCT FROM NEW.borrowed_on) "
        "EXECUTE FUNCTION circulation_count_loans()"
    )
    op.execute(
        "CREATE FUNCTION circulation_forget_loan_counts() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN DELETE FROM loan_counts; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER loans_count_truncate AFTER TRUNCATE ON loans "
        "FOR EACH STATEMENT EXECUTE FUNCTION circulation_forget_loan_counts()"
    )


def _seed_reference_data() -> None:
    permissions = sa.table("permissions", sa.column("code"), sa.column("name"), sa.column("is_builtin"))
    op.bulk_insert(
        permissions, [{"code": code, "name": name, "is_builtin": True} for code, name in BUILT_IN_PERMISSIONS]
    )
    op.execute(
        "INSERT INTO permission_groups (name, description, is_builtin) "
        "VALUES ('librarians', 'Day-to-day library staff', true)"
    )
    excluded = ", ".join(f"'{code}'" for code in NOT_FOR_LIBRARIANS)
    op.execute(
        "INSERT INTO group_permissions (group_id, permission_id) "
        "SELECT g.id, p.id FROM permission_groups g, permissions p "
        f"WHERE g.name = 'librarians' AND p.code NOT IN ({excluded})"
    )
    op.execute("INSERT INTO policies (id) VALUES (1)")


def downgrade() -> None:
    op.drop_index(
        "uq_holds_active_user_book", table_name="holds", postgresql_where=sa.text("status IN ('waiting', 'ready')")
    )
    op.drop_index(op.f("ix_holds_user_id"), table_name="holds")
    op.drop_index("ix_holds_ready_expires_on", table_name="holds", postgresql_where=sa.text("status = 'ready'"))
    op.drop_index("ix_holds_book_queue", table_name="holds", postgresql_where=sa.text("status = 'waiting'"))
    op.drop_table("holds")
    op.drop_index("ix_fines_user_unpaid", table_name="fines", postgresql_where=sa.text("status = 'unpaid'"))
    op.drop_index(op.f("ix_fines_user_id"), table_name="fines")
    op.drop_table("fines")
    op.drop_table("user_groups")
    op.drop_index(op.f("ix_reviews_user_id"), table_name="reviews")
    op.drop_index(op.f("ix_reviews_book_id"), table_name="reviews")
    op.drop_table("reviews")
    op.drop_index(op.f("ix_refresh_tokens_user_id"), table_name="refresh_tokens")
    op.drop_index(op.f("ix_refresh_tokens_family_id"), table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index(op.f("ix_notifications_user_id"), table_name="notifications")
    op.drop_index(
        "ix_notifications_deliverable", table_name="notifications", postgresql_where=sa.text("status = 'queued'")
    )
    op.drop_table("notifications")
    op.drop_index("uq_loans_open_user_book", table_name="loans", postgresql_where=sa.text("returned_on IS NULL"))
    op.drop_index(op.f("ix_loans_user_id"), table_name="loans")
    op.drop_index("ix_loans_open_due_date", table_name="loans", postgresql_where=sa.text("returned_on IS NULL"))
    op.drop_table("loan_counts")
    for trigger in ("loans_count_inserts", "loans_count_deletes", "loans_count_moves", "loans_count_truncate"):
        op.execute(f"DROP TRIGGER {trigger} ON loans")
    op.execute("DROP FUNCTION circulation_count_loans()")
    op.execute("DROP FUNCTION circulation_forget_loan_counts()")
    op.drop_index("ix_loans_borrowed_on", table_name="loans")
    op.drop_index("ix_loans_book_borrowed_on", table_name="loans")
    op.drop_table("loans")
    op.drop_table("idempotency_records")
    op.drop_table("group_permissions")
    op.drop_index("uq_users_email_lower", table_name="users")
    op.drop_table("users")
    op.drop_table("policies")
    op.drop_table("permissions")
    op.drop_table("permission_groups")
    op.drop_index("ix_login_attempts_email_attempted_on", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_table("import_jobs")
    op.drop_table("catalogue_counts")
    for trigger in ("books_count_inserts", "books_count_deletes", "books_count_archiving", "books_count_truncate"):
        op.execute(f"DROP TRIGGER {trigger} ON books")
    op.execute("DROP FUNCTION catalogue_count_live_books()")
    op.execute("DROP FUNCTION catalogue_forget_count()")
    op.drop_index("ix_books_live_title", table_name="books")
    op.drop_index("uq_books_isbn_live", table_name="books", postgresql_where=sa.text("archived_on IS NULL"))
    op.drop_index(
        "ix_books_title_trgm", table_name="books", postgresql_using="gin", postgresql_ops={"title": "gin_trgm_ops"}
    )
    op.drop_index("ix_books_search_vector", table_name="books", postgresql_using="gin")
    op.drop_index("ix_books_genre_newest", table_name="books", postgresql_where=sa.text("archived_on IS NULL"))
    op.drop_index(
        "ix_books_publisher_trgm",
        table_name="books",
        postgresql_using="gin",
        postgresql_ops={"publisher": "gin_trgm_ops"},
    )
    op.drop_index(
        "ix_books_author_trgm", table_name="books", postgresql_using="gin", postgresql_ops={"author": "gin_trgm_ops"}
    )
    op.drop_table("books")
