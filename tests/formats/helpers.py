"""Shared test helpers for the format tests: hash strategies and position-free comparison."""

from __future__ import annotations

import dataclasses

from hypothesis import strategies as st

from alliance.core.signals import Signal
from alliance.formats.records import MediaRecord


def hex_strings(length: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789abcdef", min_size=length, max_size=length)


def pdq_signals() -> st.SearchStrategy[Signal]:
    qualities = st.none() | st.integers(min_value=0, max_value=100)
    return st.builds(Signal, st.just("pdq"), hex_strings(64), qualities)


def exact_signals() -> st.SearchStrategy[Signal]:
    return st.one_of(
        st.builds(Signal, st.just("md5"), hex_strings(32)),
        st.builds(Signal, st.just("sha1"), hex_strings(40)),
        st.builds(Signal, st.just("sha256"), hex_strings(64)),
    )


def positionless(records: list[MediaRecord]) -> list[MediaRecord]:
    """The records with `where` cleared: a rewritten file puts the same records on other lines."""
    return [dataclasses.replace(record, where="") for record in records]
