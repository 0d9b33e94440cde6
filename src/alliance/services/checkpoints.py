"""Audit checkpoints outside the database: the key that signs them, their files, the server's schedule.

The key never enters the store, so whoever can only write to the database cannot forge a
checkpoint; whoever can read the key can, hence the refusal of a key file others may read.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import socket
import threading
from pathlib import Path

from alliance.core.audit import Checkpoint, checkpoint_problem, parse_checkpoint
from alliance.core.errors import FormatError, InvalidRequest
from alliance.services.audit import AuditLog
from alliance.services.background import repeat
from alliance.settings import Settings

log = logging.getLogger(__name__)
KEY_BYTES = 32


def node_identity(settings: Settings) -> str:
    """Who wrote a checkpoint: replicas share one chain, each host may hold its own key."""
    return f"{settings.node_organisation} on {socket.gethostname()}"


def load_key(path: Path, *, create: bool) -> bytes:
    """The HMAC key at `path`, made (random, mode 0600) if missing and `create`."""
    if not path.exists():
        if not create:
            raise InvalidRequest(
                f"no audit key at {path}: a checkpoint is checked with the key that made it (ALLIANCE_AUDIT_KEY_FILE)"
            )
        _create_key(path)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise InvalidRequest(f"audit key {path} may be read by group or others (mode {mode:04o}); run chmod 600 {path}")
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise InvalidRequest(f"cannot read the audit key {path}: {exc.strerror}") from exc
    if len(key) < KEY_BYTES:
        raise InvalidRequest(f"audit key {path} holds {len(key)} bytes; it needs at least {KEY_BYTES} random bytes")
    return key


def _create_key(path: Path) -> None:
    """Whole or not at all: written aside, then linked into place; a process that links first wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(KEY_BYTES))
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(aside, path)
    finally:
        aside.unlink(missing_ok=True)


def write_checkpoint(checkpoint: Checkpoint, out: Path) -> Path:
    """Write to the file `out`, or into the directory `out` as `<sequence>.json`.

    In a directory an earlier checkpoint is never replaced: one at the same sequence with the same
    head is kept as it is; one with another head (the chain was re-computed) stays beside the new one.
    """
    target = out / f"{checkpoint.seq:012d}.json" if out.is_dir() else out
    if out.is_dir() and target.exists():
        if _head_in(target) == checkpoint.head:
            return target
        target = out / f"{checkpoint.seq:012d}-{checkpoint.at:%Y%m%dT%H%M%S%fZ}.json"
    aside = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    aside.write_text(json.dumps(checkpoint.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(aside, target)
    return target


def _head_in(path: Path) -> str | None:
    try:
        return read_checkpoint(path).head
    except FormatError:
        return None


def read_checkpoint(path: Path) -> Checkpoint:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(str(path), f"cannot read the checkpoint: {exc}") from exc
    return parse_checkpoint(text, str(path))


def read_checkpoints(path: Path) -> list[tuple[Path, Checkpoint]]:
    """The checkpoint file `path`, or every `*.json` in the directory `path`."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise InvalidRequest(f"no checkpoints (*.json) in {path}")
    return [(f, read_checkpoint(f)) for f in files]


def verify_against(audit: AuditLog, key: bytes, files: list[tuple[Path, Checkpoint]]) -> tuple[int, str, list[str]]:
    """`AuditLog.verify` against the checkpoints whose HMAC checks; the others are problems themselves."""
    problems, trusted = [], []
    for path, checkpoint in files:
        problem = checkpoint_problem(key, checkpoint)
        if problem:
            problems.append(f"{path}: {problem}")
        else:
            trusted.append(checkpoint)
    count, head, chain_problems = audit.verify(trusted)
    return count, head, problems + chain_problems


def checkpoint_every(interval: float, audit: AuditLog, key: bytes, node: str, out_dir: Path) -> threading.Event:
    """Write a checkpoint into `out_dir` now and every `interval` seconds in a background thread;
    set the event to stop. A failed round is logged and the next one tries again."""

    def write() -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        write_checkpoint(audit.checkpoint(key, node), out_dir)

    return repeat(write, interval, "audit-checkpoints", at_once=True)
