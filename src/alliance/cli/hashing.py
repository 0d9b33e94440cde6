"""`alliance hash`: hash files and directories without storing anything."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress

from alliance.cli.context import err, node_of
from alliance.cli.output import OutputFormat, print_rows, shown

if TYPE_CHECKING:
    from alliance.cli.node import Node
    from alliance.services.hashing import FileResult

HASH_COLUMNS = ["path", "pdq", "quality", "md5", "sha1", "sha256", "error"]

PathsArg = Annotated[list[Path], typer.Argument(help="Image files, or directories to walk for images.")]
ExactOpt = Annotated[
    bool,
    typer.Option(
        "--exact-reference",
        help="Compute PDQ with the reference implementation on the full-size image, bit for bit "
        "(slower; for evidence that must reproduce a reference hash). Default: the fast path.",
    ),
]
JobsOpt = Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="Parallel processes (default: one per core).")]


def hash_with_progress(
    node: Node,
    paths: list[Path],
    jobs: int | None,
    exact_reference: bool = False,
    *,
    views: bool = True,
    crops: bool = False,
) -> list[FileResult]:
    """Hash with a progress bar on stderr when a directory was given and stderr is a terminal."""
    from alliance.services.hashing import collect_files, hash_files

    files = collect_files(paths)
    show = any(p.is_dir() for p in paths) and err.is_terminal
    with Progress(console=err, transient=True, disable=not show) as progress:
        task = progress.add_task("hashing", total=len(files))
        return list(
            hash_files(
                files,
                node.settings.hashing_limits,
                jobs or node.settings.jobs,
                on_done=lambda _r: progress.advance(task),
                exact_reference=exact_reference,
                views=views,
                crops=crops,
            )
        )


def result_row(result: FileResult) -> dict[str, Any]:
    row: dict[str, Any] = {"path": str(result.path)}
    for signal in result.hashes.signals if result.hashes is not None else result.exact:
        row[signal.type] = signal.value
        if signal.quality is not None:
            row["quality"] = signal.quality
    if result.error is not None:
        row["error"] = str(result.error)
    return row


def register(app: typer.Typer) -> None:
    @app.command("hash")
    def hash_command(
        ctx: typer.Context,
        paths: PathsArg,
        json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        csv_out: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
        jobs: JobsOpt = None,
        exact_reference: ExactOpt = False,
        skip_failed: Annotated[
            bool,
            typer.Option("--skip-failed", help="Exit 0 even if some files could not be hashed, without listing them."),
        ] = False,
    ) -> None:
        """Print the PDQ, MD5, SHA-1 and SHA-256 of images (only the MD5, SHA-1 and SHA-256 of a file
        that is not an image we can decode). Nothing is stored. Exit 4 if any file failed, after
        listing each with its reason."""
        node = node_of(ctx)
        results = hash_with_progress(node, paths, jobs, exact_reference, views=False)  # nothing is stored
        fmt = OutputFormat.JSON if json_out else OutputFormat.CSV if csv_out else OutputFormat.TABLE
        print_rows([result_row(r) for r in results], HASH_COLUMNS, fmt)
        failed = [r for r in results if not r.ok]
        if failed and not skip_failed:
            for result in failed:
                err.print(f"{shown(result.path)}: {shown(result.error)}")
            err.print(f"{len(failed)} of {len(results)} files could not be hashed", markup=False)
            raise typer.Exit(4)
        if not results:
            err.print("no image files found", markup=False)
            raise typer.Exit(4)


def install(root: typer.Typer) -> None:
    register(root)
