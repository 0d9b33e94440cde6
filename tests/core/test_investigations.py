"""Pseudonymous victims, disclosure policies and the deconfliction lookup."""

from __future__ import annotations

import numpy as np
import pytest

from alliance.core.access import Principal, Role, Scope, ShareRule
from alliance.core.errors import InvalidRequest
from alliance.core.index.item_index import ExactKeys, ItemIndex, prefixes
from alliance.core.investigations import (
    Disclose,
    DisclosurePolicy,
    check_identifier,
    check_pseudonymous,
    may_change,
    may_see,
    refuse_identifying_fields,
)
from alliance.core.signals import Signal


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("write to anna.k@example.org", "e-mail"),
        ("call +44 20 7946 0958", "telephone"),
        ("born 2014-03-09", "date"),
        ("born 09/03/2014", "date"),
        ("lives at 12 Acacia Avenue", "street address"),
    ],
)
def test_identifying_personal_data_is_refused_saying_what_it_looks_like(text, what):
    with pytest.raises(InvalidRequest, match=f"looks like an? {what}.*pseudonymous"):
        check_pseudonymous("description", text)


def test_plain_descriptions_pass():
    assert check_pseudonymous("description", "indoor series, same room, 40 images") == (
        "indoor series, same room, 40 images"
    )


@pytest.mark.parametrize("field", ["name", "Address", "date_of_birth", "email", "phone"])
def test_victim_records_refuse_identifying_fields_by_name(field):
    with pytest.raises(InvalidRequest, match=f"never hold '{field}'"):
        refuse_identifying_fields({field: "x"})


@pytest.mark.parametrize("identifier", ["Anna Schmidt", "anna", "a b 1", ""])
def test_a_victim_identifier_is_a_pseudonym_never_a_name(identifier):
    with pytest.raises(InvalidRequest, match="pseudonym"):
        check_identifier(identifier)


def police(org: int, country: str = "DE", roles=frozenset({Role.INVESTIGATOR})) -> Principal:
    return Principal(org, f"org {org}", country, roles)


def test_only_police_see_and_only_as_the_policy_says():
    policy = DisclosurePolicy({Disclose.READ: ShareRule(countries=frozenset({"GB"}))})
    assert may_see(police(1), 1, DisclosurePolicy(), Disclose.READ)
    assert may_see(police(2, "GB"), 1, policy, Disclose.READ)
    assert not may_see(police(2, "GB"), 1, policy, Disclose.CONTACT)
    assert not may_see(police(3, "FR"), 1, policy, Disclose.READ)
    for roles in ({Role.ANALYST}, {Role.PLATFORM}, {Role.NODE_ADMIN}, {Role.ORG_ADMIN}):
        assert not may_see(police(2, "GB", frozenset(roles)), 1, policy, Disclose.READ)
    assert not may_change(police(2, "GB"), 1)
    read_only = Principal(1, "own", "DE", frozenset({Role.INVESTIGATOR}), frozenset({Scope.READ}))
    assert may_see(read_only, 1, DisclosurePolicy(), Disclose.READ) and not may_change(read_only, 1)


def test_disclosure_policy_round_trips_and_refuses_unknown_levels():
    policy = DisclosurePolicy({Disclose.CONTACT: ShareRule(orgs=frozenset({4}))})
    assert DisclosurePolicy.from_json(policy.to_json()) == DisclosurePolicy(
        {Disclose.READ: ShareRule(), Disclose.CONTACT: ShareRule(orgs=frozenset({4}))}
    )
    with pytest.raises(InvalidRequest, match="unknown level"):
        DisclosurePolicy.from_json({"match": {}})


def test_exact_keys_find_every_id_of_a_key_in_one_pass():
    keys = ExactKeys(np.array([5, 3, 5, 9, 5], np.uint64), np.array([10, 11, 12, 13, 14], np.int64))
    positions, ids = keys.lookup(np.array([5, 4, 9, 3], np.uint64))
    found = sorted(zip(positions.tolist(), ids.tolist(), strict=True))
    assert found == [(0, 10), (0, 12), (0, 14), (2, 13), (3, 11)]


def test_item_index_finds_exact_and_near_items():
    pdq = "f" * 64
    near = "0" + "f" * 63  # four bits off
    index = ItemIndex.build([(1, "md5", "a" * 32), (2, "sha1", "b" * 40), (3, "pdq", pdq), (4, "md5", "a" * 32)])
    hits = index.lookup([Signal("md5", "a" * 32), Signal("pdq", near, 90), Signal("md5", "c" * 32)])
    assert sorted((h.query, h.item_id, h.signal_type, h.distance) for h in hits) == [
        (0, 1, "md5", 0),
        (0, 4, "md5", 0),
        (1, 3, "pdq", 4),
    ]
    assert prefixes(["ab"]).tolist() == [0xAB00000000000000]
