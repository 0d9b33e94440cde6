"""The node's settings: one typed object, built once and passed down.

Every option has a default, help text and an environment variable (`ALLIANCE_` + its name in
capitals). `alliance config show` prints each value and where it came from.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from alliance.core.trust import FloodRule

if TYPE_CHECKING:
    from alliance.core.media.hashing import HashingLimits  # brings numpy, numba and PIL: not for `config show`

ENV_PREFIX = "ALLIANCE_"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    home: Path = Field(Path("var"), description="Directory for the embedded store and saved indexes.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the store; default: SQLite at HOME/alliance.db. "
        "For PostgreSQL: postgresql+psycopg://user@host/db",
    )
    node_organisation: str = Field("Local node", description="The organisation that owns what the CLI creates.")
    node_country: str = Field("ZZ", description="ISO 3166 code of the node's country (ZZ: not set).")
    max_file_bytes: int = Field(50 * 1024 * 1024, gt=0, description="Largest media file accepted for hashing.")
    max_pixels: int = Field(
        100_000_000, gt=0, description="Largest image (width x height) accepted: a decompression-bomb guard."
    )
    pdq_min_quality: int = Field(
        50, ge=0, le=100, description="PDQ hashes below this quality are stored but not matched perceptually."
    )
    pdq_threshold: int = Field(31, ge=0, le=64, description="Default PDQ match threshold of new banks.")
    hash_jobs: int = Field(0, ge=0, description="Processes for hashing many files; 0 means one per CPU core.")
    host: str = Field("127.0.0.1", description="Address `alliance serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `alliance serve` listens on.")
    workers: int = Field(1, ge=1, description="Server processes of `alliance serve` (each holds the index).")
    rate_limit_per_second: float = Field(200.0, gt=0, description="Requests per second each API key or user may make.")
    rate_limit_burst: int = Field(400, ge=1, description="Requests a key may make at once before the rate applies.")
    login_max_failures: int = Field(
        5,
        ge=1,
        description="Failed logins per username (twice that per client address) before each further one locks "
        "it out, for 1 s, then twice as long each time.",
    )
    login_lockout_max_seconds: float = Field(
        900.0, gt=0, description="Longest login lockout; failures older than that are forgotten."
    )
    login_concurrency: int = Field(
        1,
        ge=1,
        description="Passwords each server process checks at once (argon2: 64 MB and a core for ~0.2 s each).",
    )
    anonymous_rate_per_second: float = Field(
        2.0, gt=0, description="Failed authentications per second each client address may make before 429."
    )
    anonymous_burst: int = Field(50, ge=1, description="Failed authentications a client address may make at once.")
    max_uploads_per_key: int = Field(
        0, ge=0, description="Uploads one key or user may have in progress per process; 0: half the hashing slots."
    )
    http_keep_alive_seconds: int = Field(5, ge=1, description="How long `alliance serve` keeps an idle connection.")
    http_header_timeout_seconds: float = Field(
        10.0, gt=0, description="How long a client may take to send a request's headers before it is dropped."
    )
    http_max_header_bytes: int = Field(32 * 1024, ge=1024, description="Largest request head (line and headers).")
    http_body_timeout_seconds: float = Field(
        20.0, gt=0, description="How long a request's body may take, plus a second per 1,000 bytes received."
    )
    http_max_connections: int = Field(
        1000, ge=1, description="Connections and requests each server process takes at once; beyond: 503."
    )
    http_backlog: int = Field(1024, ge=1, description="Connections waiting to be accepted by the listening socket.")
    max_request_bytes: int = Field(
        16 * 1024 * 1024, gt=0, description="Largest JSON request body; uploads may be up to MAX_FILE_BYTES."
    )
    max_concurrent_hashing: int = Field(
        0,
        ge=0,
        description="Uploads hashed at once by each server process; 0 shares the CPU cores among the processes.",
    )
    match_refresh_seconds: float = Field(
        0.5,
        ge=0,
        description="How often a server replays the change log (new entries match after); 0: before every match.",
    )
    key_cache_seconds: float = Field(
        5.0,
        ge=0,
        description="How long a server trusts a looked-up API key (a revocation anywhere clears it at the "
        "next change-log replay).",
    )
    match_dihedral: bool = Field(
        True, description="Match uploads also by their 7 rotations and flips (bench/results/robustness.md)."
    )
    default_required_grades: int = Field(
        3, ge=0, le=20, description="Agreeing grades that confirm an entry in a new bank (0: confirmed on entry)."
    )
    flood_window_seconds: float = Field(600.0, gt=0, description="Window over which the flood rule counts matches.")
    flood_min_matches: int = Field(
        50, ge=1, description="Distinct queries in a window below which an entry is never quarantined."
    )
    flood_factor: float = Field(10.0, gt=1, description="Quarantine above this many times an entry's usual window.")
    flood_min_orgs: int = Field(
        2, ge=1, le=100, description="Organisations that must take part in a flood before it quarantines an entry."
    )
    flood_caller_rate_per_second: float = Field(
        2.0, gt=0, description="Match requests per second left to an organisation that flooded an entry alone."
    )
    match_event_retention_days: int = Field(365, ge=1, description="How long match events are kept.")
    category_schemes: Path | None = Field(
        None, description="A JSON file of category schemes replacing the shipped ones (same format)."
    )
    audit_key_file: Path | None = Field(
        None,
        description="HMAC key of the audit checkpoints, kept outside the database (mode 0600); "
        "default HOME/audit.key, made on first need.",
    )
    audit_checkpoint_seconds: float = Field(
        3600.0, ge=0, description="How often `alliance serve` writes an audit checkpoint; 0: never."
    )
    audit_checkpoint_dir: Path | None = Field(
        None,
        description="Where `alliance serve` writes audit checkpoints (ship them off the machine); "
        "default HOME/audit-checkpoints.",
    )
    secure_cookies: bool = Field(False, description="Mark session cookies Secure (set when served over HTTPS).")
    smtp_host: str | None = Field(
        None,
        description="SMTP server for notifications to other agencies' contact points; unset: stored, not e-mailed.",
    )
    smtp_port: int = Field(25, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS before sending.")
    smtp_username: str | None = Field(None, description="SMTP login, if the server wants one.")
    smtp_password: str | None = Field(None, description="SMTP password (with SMTP_USERNAME).")
    smtp_from: str = Field("alliance@localhost", description="Sender address of notification e-mails.")
    smtp_timeout_seconds: float = Field(10.0, gt=0, description="How long to wait for the SMTP server.")
    metrics_token: SecretStr | None = Field(
        None,
        description="A bearer token that may read /metrics (a monitor's, with no other right); "
        "without it, only a node admin's API key may.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Level of the server's JSON log lines (info: one line per request)."
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home.resolve() / 'alliance.db'}"

    @property
    def index_path(self) -> Path:
        """Where the PDQ index is saved, so a start loads it instead of rebuilding."""
        return self.home / "index" / "pdq.idx"

    @property
    def audit_key_path(self) -> Path:
        return self.audit_key_file or self.home / "audit.key"

    @property
    def audit_checkpoint_path(self) -> Path:
        return self.audit_checkpoint_dir or self.home / "audit-checkpoints"

    @property
    def flood_rule(self) -> FloodRule:
        return FloodRule(
            self.flood_window_seconds, self.flood_min_matches, self.flood_factor, min_orgs=self.flood_min_orgs
        )

    @property
    def hashing_limits(self) -> HashingLimits:
        from alliance.core.media.hashing import HashingLimits

        return HashingLimits(self.max_file_bytes, self.max_pixels, self.pdq_min_quality)

    @property
    def hashing_slots(self) -> int:
        """Uploads one server process hashes at once: more than the cores, summed over the
        processes, only makes the hashing threads of one process take turns at the GIL."""
        return self.max_concurrent_hashing or max(1, self.jobs // self.workers)

    @property
    def uploads_per_key(self) -> int:
        """Uploads one caller may have in progress per process: fewer than the hashing slots, so
        that one key cannot hold them all."""
        return self.max_uploads_per_key or max(1, -(-self.hashing_slots // 2))

    @property
    def jobs(self) -> int:
        return self.hash_jobs or os.cpu_count() or 1

    def describe(self) -> list[tuple[str, str, str, str]]:
        """(name, value, source, help) for every option, for `alliance config show`."""
        rows = []
        for name, info in type(self).model_fields.items():
            env = ENV_PREFIX + name.upper()
            source = (
                f"env {env}" if env in os.environ else "set in code" if name in self.model_fields_set else "default"
            )
            value = getattr(self, name)
            if name == "database_url" and value is None:
                value, source = self.resolved_database_url, "default (from home)"
            if name in ("audit_key_file", "audit_checkpoint_dir") and value is None:
                value = self.audit_key_path if name == "audit_key_file" else self.audit_checkpoint_path
                source = "default (from home)"
            rows.append((name, _redact(name, str(value)), source, info.description or ""))
        return rows


def _redact(name: str, value: str) -> str:
    """Hide a password in a database URL."""
    if name == "smtp_password" and value != "None":
        return "***"
    if name == "database_url" and "@" in value and ":" in value.split("@")[0].split("//")[-1]:
        scheme, rest = value.split("//", 1)
        user = rest.split("@")[0].split(":")[0]
        return f"{scheme}//{user}:***@{rest.split('@', 1)[1]}"
    return value
