"""Notifications to an organisation: stored for the web interface, and e-mailed to its contact point.

An e-mail says which case of which agency hit which series, and whom to call; it never carries a
hash or a list of hashes (hash lists are shared only through the node, authorised and audited).
`Mailer` is the one interface to SMTP; a node without `ALLIANCE_SMTP_HOST` stores notifications
without mailing them.
"""

from __future__ import annotations

import re
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any, Protocol

from alliance.core.access import SYSTEM, Principal
from alliance.core.errors import NotFound
from alliance.core.investigations import is_investigator
from alliance.services.audit import AuditLog
from alliance.settings import Settings
from alliance.store.investigations import InvestigationStore, Notification

_HASHLIKE = re.compile(r"\b[0-9a-fA-F]{32,}\b")


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


class SmtpMailer:
    """Sends one message per call over SMTP, as the node's settings say."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, to: str, subject: str, body: str) -> None:
        s = self.settings
        assert s.smtp_host is not None
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = s.smtp_from, to, subject
        message.set_content(body)
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password or "")
            smtp.send_message(message)


def without_hashes(text: str) -> str:
    """A guard, not the design: nothing that looks like a hash leaves in an e-mail."""
    return _HASHLIKE.sub("[hash withheld]", text)


class Notifier:
    def __init__(self, store: InvestigationStore, audit: AuditLog, mailer: Mailer | None) -> None:
        self.store = store
        self.audit = audit
        self.mailer = mailer

    def notify(
        self,
        actor: Principal,
        org_id: int,
        kind: str,
        subject: str,
        body: str,
        details: dict[str, Any],
        email_to: str | None,
    ) -> Notification:
        """Store a notification for `org_id`, e-mail it if there is an address and a mailer, audit both."""
        subject, body = without_hashes(subject), without_hashes(body)
        note = self.store.add_notification(org_id, kind, subject, body, details, email_to)
        self.audit.record(
            actor,
            "notification.create",
            f"notification:{note.id}",
            subject_org_id=org_id,
            details={"kind": kind, **details},
        )
        if email_to and self.mailer is not None:
            try:
                self.mailer.send(email_to, subject, body)
            except (OSError, smtplib.SMTPException) as exc:
                self.store.mark_emailed(note.id, None, str(exc))
                self.audit.record(
                    SYSTEM,
                    "notification.email",
                    f"notification:{note.id}",
                    "failed",
                    subject_org_id=org_id,
                    details={"to": email_to, "error": str(exc)},
                )
            else:
                self.store.mark_emailed(note.id, datetime.now(UTC), None)
                self.audit.record(
                    SYSTEM,
                    "notification.email",
                    f"notification:{note.id}",
                    subject_org_id=org_id,
                    details={"to": email_to},
                )
        return note

    def for_org(
        self, actor: Principal, unread: bool = False, limit: int = 100, offset: int = 0, unread_first: bool = False
    ) -> list[Notification]:
        """The organisation's notifications, for its investigators, newest first (`unread_first`: the
        unread ones before the read ones; `offset`: how many to skip, for a page)."""
        if not is_investigator(actor):
            self.audit.record(actor, "notification.read", "notifications", "refused")
            raise NotFound("no such resource")
        notes = self.store.notifications(actor.org_id, unread, limit, offset, unread_first)
        self.audit.record(actor, "notification.read", "notifications", details={"count": len(notes)})
        return notes

    def unread_count(self, actor: Principal) -> int:
        """How many of the organisation's notifications no one has read: for its investigators, 0
        for anyone else. Not audited: a number, shown in the menu of every page, says nothing of
        what the notifications hold (reading them is audited)."""
        if not is_investigator(actor):
            return 0
        return self.store.count_unread(actor.org_id)

    def mark_read(self, actor: Principal, notification_id: int) -> Notification:
        try:
            note = self.store.get_notification(notification_id)
        except NotFound:
            self.audit.record(actor, "notification.read", f"notification:{notification_id}", "not_found")
            raise
        if note.org_id != actor.org_id or not is_investigator(actor):
            self.audit.record(actor, "notification.read", f"notification:{notification_id}", "refused")
            raise NotFound(f"no notification with id {notification_id}")
        self.audit.record(actor, "notification.read", f"notification:{notification_id}", subject_org_id=note.org_id)
        return self.store.mark_read(notification_id)
