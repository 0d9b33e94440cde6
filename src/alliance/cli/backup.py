"""`alliance backup` and `alliance restore`: one archive of the store, the saved indexes and the settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alliance.cli.context import err, out, settings_of


def register(app: typer.Typer) -> None:
    @app.command("backup")
    def backup(
        ctx: typer.Context,
        out_file: Annotated[Path, typer.Option("--out", help="The archive to write (.tar.gz, mode 0600).")],
    ) -> None:
        """Copy the store (consistently, while the node runs), its saved indexes and its settings
        (secrets masked) into one archive with a manifest. The audit key is not in it: keep it apart."""
        from alliance.services.backup import backup as make_backup

        manifest = make_backup(settings_of(ctx), out_file)
        size = out_file.stat().st_size
        out.print(
            f"{out_file}: {manifest.backend} store at migration {manifest.migration}, audit event "
            f"{manifest.audit_seq}, {len(manifest.files)} files, {size:,} bytes",
            markup=False,
        )
        if manifest.audit_key_id is not None:
            out.print(
                f"the audit key (id {manifest.audit_key_id}) is not in the archive: back it up on its own",
                markup=False,
            )

    @app.command("restore")
    def restore(
        ctx: typer.Context,
        archive: Annotated[Path, typer.Argument(help="An archive made by `alliance backup`.", exists=True)],
    ) -> None:
        """Restore an archive into an empty ALLIANCE_HOME (and, for PostgreSQL, an empty database),
        migrate it to this version, then verify its audit chain and its indexes (exit 6 if unsound)."""
        from alliance.services.backup import restore as put_back
        from alliance.services.backup import verify_restored
        from alliance.store.db import create_store_engine, upgrade

        settings = settings_of(ctx)
        manifest = put_back(settings, archive)
        engine = create_store_engine(settings.resolved_database_url)
        try:
            upgrade(engine)
            report = verify_restored(settings, engine, manifest)
        finally:
            engine.dispose()
        for problem in report.problems:
            err.print(f"problem: {problem}", markup=False)
        if report.problems:
            raise typer.Exit(6)
        out.print(
            f"restored {archive} (made {manifest.created_at} by Alliance {manifest.alliance_version}) into "
            f"{settings.home}: {report.audit_events:,} audit events verified, indexes sound; "
            f"its settings are in {settings.home / 'backup-settings.json'}",
            markup=False,
        )


def install(root: typer.Typer) -> None:
    register(root)
