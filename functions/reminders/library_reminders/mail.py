"""How a notice leaves the building: one MIME message, sent through SES or, locally, written as an .eml file.

Both senders get the very same message, so the files in LIBRARY_DATA_DIR/outbox/ show exactly what a
member would receive.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from library_common.settings import Settings

LOCAL_SENDER = "Library <library@localhost>"


@dataclass(frozen=True)
class OutgoingNotice:
    id: int
    kind: str
    recipient: str
    subject: str
    body_text: str
    body_html: str


class SendFailed(Exception):
    """The notice was not accepted. `refusing_all` when the refusal is about the account, not this notice."""

    def __init__(self, reason: str, *, refusing_all: bool = False):
        super().__init__(reason)
        self.refusing_all = refusing_all


class Sender(Protocol):
    def send(self, notice: OutgoingNotice) -> str:
        """Hands the notice over for delivery and returns its message id; raises SendFailed when refused."""


def compose(notice: OutgoingNotice, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = notice.recipient
    message["Subject"] = notice.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(idstring=f"notice-{notice.id}", domain=sender.rpartition("@")[2].strip(">"))
    message["X-Library-Notice"] = f"{notice.id} {notice.kind}"
    message.set_content(notice.body_text)
    message.add_alternative(notice.body_html, subtype="html")
    return message


# SES refuses every message with these (rate or daily quota exceeded, sending paused): the notices are fine.
ACCOUNT_REFUSALS = frozenset(
    {"Throttling", "TooManyRequestsException", "LimitExceededException", "SendingPausedException"}
)


@lru_cache(maxsize=1)
def _ses_client() -> Any:
    # Created on first send, never at import: boto3 costs cold-start time the daily job does not need.
    import boto3
    from botocore.config import Config

    # Short timeouts: a hung call must not eat the invocation; the notice is simply retried later.
    config = Config(connect_timeout=5, read_timeout=10, retries={"mode": "standard", "max_attempts": 3})
    return boto3.client("sesv2", config=config)


class SesSender:
    def __init__(self, sender: str):
        self.sender = sender

    def send(self, notice: OutgoingNotice) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        raw = compose(notice, self.sender).as_bytes()
        try:
            answer = _ses_client().send_email(FromEmailAddress=self.sender, Content={"Raw": {"Data": raw}})
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise SendFailed(f"SES {code}: {error}", refusing_all=code in ACCOUNT_REFUSALS) from error
        except BotoCoreError as error:
            raise SendFailed(f"SES unreachable: {error}") from error
        return answer["MessageId"]


class OutboxSender:
    """Local stand-in for SES: one .eml file per notice, named by its id, so a resend overwrites, never duplicates."""

    def __init__(self, directory: Path):
        self.directory = directory

    def send(self, notice: OutgoingNotice) -> str:
        path = self.directory / f"{notice.id:08d}-{notice.kind}.eml"
        partial = path.with_suffix(".eml.partial")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(compose(notice, LOCAL_SENDER).as_bytes())
            os.replace(partial, path)  # atomic: a reader never sees half a message
        except OSError as error:
            raise SendFailed(f"cannot write {path}: {error}") from error
        return f"outbox/{path.name}"


def sender_for(settings: Settings) -> Sender:
    """SES from the configured sender address; with none configured (local runs), the outbox directory."""
    if settings.notices_sender:
        return SesSender(settings.notices_sender)
    return OutboxSender(settings.data_dir / "outbox")
