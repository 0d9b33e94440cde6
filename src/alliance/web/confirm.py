"""Asking before a destructive action: the form's POST comes back as a page that says what will
happen, and only its `confirm=yes` POST acts. The texts are msgids (marked `N_` by the caller)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import Request
from fastapi.responses import Response

from alliance.web.templating import Viewer, render

CONFIRMED = "yes"


def confirmed(value: str) -> bool:
    return value == CONFIRMED


def ask(
    request: Request,
    viewer: Viewer,
    *,
    title: str,
    explanation: str,
    button: str,
    cancel: str,
    fields: Sequence[tuple[str, str]] = (),
    params: Mapping[str, object] | None = None,
    inputs: Sequence[Mapping[str, object]] = (),
) -> Response:
    """The confirmation page for the POST being answered (posted again to the same URL)."""
    return render(
        request,
        "confirm.html",
        viewer,
        action=request.url.path,
        title=title,
        explanation=explanation,
        button=button,
        cancel=cancel,
        fields=list(fields),
        params=dict(params or {}),
        inputs=list(inputs),
    )
