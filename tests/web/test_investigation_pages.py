"""The pages of victim identification and investigations without a browser: police A opens a case
and takes a hash list and images into it; B's shared series is named with its contact point, C's
is "another agency works this" and C is notified (the menu counts it); B works its series (create,
link, victims). A platform, a hotline analyst and police outside the policies get the 404 page on
every page and form; every form needs its CSRF token; the victim form refuses identifying data and
does not show it again; closing a case asks first."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count

import pytest
from fastapi.testclient import TestClient

from alliance.asgi import create_app
from alliance.core.investigations import CaseStatus
from alliance.node import Node
from alliance.services.demo import DemoLogin
from tests.web.conftest import seed, web_settings
from tests.web.investigation_world import B_CONTACT, C_CONTACT, Police, investigator, make_police
from tests.web.test_pages import form_token, log_in


@dataclass
class Site:
    client: TestClient
    logins: dict[str, DemoLogin]
    police: Police

    @property
    def node(self) -> Node:
        return self.client.app.state.node  # type: ignore[attr-defined,no-any-return]

    def login(self, who: str) -> str:
        """Log in as an agency's investigator (A, B, C, D) or a demo user; the home page's token."""
        return log_in(self.client, self.logins, self.police.users.get(who, who))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = web_settings(tmp_path_factory.mktemp("investigations") / "home")
    logins = seed(settings)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        police = make_police(client.app.state.node, "web")  # type: ignore[attr-defined]
        yield Site(client, {**logins, **police.logins}, police)


def open_case(site: Site, number: str, who: str = "A") -> int:
    """A case opened through the form, as the agency's investigator; its id."""
    token = site.login(who)
    opened = site.client.post(
        "/cases/new",
        data={"csrf": token, "case_number": number, "contact_point": "DC Jones, online child abuse unit"},
        follow_redirects=False,
    )
    assert opened.status_code == 303, opened.text[:800]
    return int(opened.headers["location"].split("/")[2].split("?")[0])


def upload(site: Site, case_id: int, token: str, text: str, fmt: str = "pdq-txt"):  # type: ignore[no-untyped-def]
    return site.client.post(
        f"/cases/{case_id}/import",
        data={"csrf": token, "format": fmt},
        files={"file": ("seized.txt", text.encode(), "text/plain")},
    )


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the journey without a browser --------------------------------------------------------------------


def test_a_case_takes_a_hash_list_and_names_only_what_each_policy_allows(site: Site):
    case_id = open_case(site, "GB-2026-17")
    page = site.client.get(f"/cases/{case_id}")
    assert page.status_code == 200 and "GB-2026-17" in page.text
    taken = upload(site, case_id, form_token(page.text), site.police.hash_list(unknown=2))
    assert taken.status_code == 200, taken.text[:800]
    text = text_of(taken.text)
    assert "Beach web" in text and B_CONTACT in text and "Police B web (DE)" in text
    assert site.police.b_victim_identifier in text and "identified (Police B web, DE," in text
    assert "Another agency works this" in text
    assert "Garden" not in text and "Police C" not in text and C_CONTACT not in text
    assert taken.text.count('class="priority"') == 2  # the two unknown items, highlighted
    assert "Priority list: unknown, looks new (2)" in text
    assert "Agencies notified" in text
    # The case page shows the same, deconflicted again, a page at a time.
    again = text_of(site.client.get(f"/cases/{case_id}").text)
    assert "Beach web" in again and "Another agency works this" in again

    # C is told, and its menu counts it until it is read.
    site.login("C")
    home = site.client.get("/")
    assert "1 unread" in text_of(home.text)
    inbox = site.client.get("/notifications")
    assert "GB-2026-17" in inbox.text and "DC Jones, online child abuse unit" in inbox.text
    note = re.search(r'action="/notifications/(\d+)/read"', inbox.text).group(1)
    read = site.client.post(f"/notifications/{note}/read", data={"csrf": form_token(inbox.text)})
    assert read.status_code == 200 and "1 unread" not in text_of(read.text)
    assert "Read on" in read.text
    site.login("B")
    assert "unread" not in text_of(site.client.get("/").text)  # B's policy let A know: B is not notified


def test_images_are_hashed_into_a_case_and_a_file_that_is_no_picture_goes_in_by_exact_hashes(site: Site):
    from PIL import Image

    case_id = open_case(site, "GB-2026-18")
    token = form_token(site.client.get(f"/cases/{case_id}").text)
    picture = io.BytesIO()
    Image.linear_gradient("L").resize((320, 240)).convert("RGB").save(picture, "PNG")
    taken = site.client.post(
        f"/cases/{case_id}/images",
        data={"csrf": token},
        files=[
            ("images", ("gradient.png", picture.getvalue(), "image/png")),
            ("images", ("notes.txt", b"not a picture", "text/plain")),
        ],
    )
    assert taken.status_code == 200, taken.text[:800]
    text = text_of(taken.text)
    assert "Items taken into the case: 2" in text and "gradient.png" in text
    assert "notes.txt" in text and "exact hashes only" in text
    case = site.node.investigations_for(investigator(site.node, site.police.orgs["A"])).get_case(case_id)
    assert case.items == 2
    refused = site.client.post(f"/cases/{case_id}/images", data={"csrf": token})
    assert refused.status_code == 422 and "choose one or more images" in refused.text


def test_a_case_shows_its_findings_a_page_at_a_time(site: Site):
    import secrets

    case_id = open_case(site, "GB-2026-21")
    token = form_token(site.client.get(f"/cases/{case_id}").text)
    taken = upload(site, case_id, token, "".join(f"{secrets.token_hex(32)},100\n" for _ in range(55)))
    assert taken.text.count('class="priority"') == 50  # the first page of the intake's results
    assert "Priority list: unknown, looks new (55)" in text_of(taken.text)
    assert f'href="/cases/{case_id}?after=50#results"' in taken.text
    first = site.client.get(f"/cases/{case_id}").text
    assert first.count('class="priority"') == 50 and "#50" in first and "#51" not in first
    rest = site.client.get(f"/cases/{case_id}?after=50").text
    assert rest.count('class="priority"') == 5 and "#51" in rest and "#55" in rest
    assert "Next page" not in rest and f'href="/cases/{case_id}#results"' in rest
    assert "No more items." in site.client.get(f"/cases/{case_id}?after=60").text


def test_a_bad_hash_list_takes_nothing_and_says_why(site: Site):
    case_id = open_case(site, "GB-2026-19")
    token = form_token(site.client.get(f"/cases/{case_id}").text)
    bad = upload(site, case_id, token, "ffff,100\n")
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    unknown = site.client.post(
        f"/cases/{case_id}/import",
        data={"csrf": token, "format": "no-such-format"},
        files={"file": ("x.txt", b"", "text/plain")},
    )
    assert unknown.status_code == 422 and "choose a format" in unknown.text
    service = site.node.investigations_for(investigator(site.node, site.police.orgs["A"]))
    assert service.get_case(case_id).items == 0


def test_closing_a_case_asks_first_and_a_closed_case_takes_nothing(site: Site):
    case_id = open_case(site, "GB-2026-20")
    token = form_token(site.client.get(f"/cases/{case_id}").text)
    asked = site.client.post(f"/cases/{case_id}/close", data={"csrf": token})
    assert asked.status_code == 200 and 'name="confirm" value="yes"' in asked.text
    service = site.node.investigations_for(investigator(site.node, site.police.orgs["A"]))
    assert service.get_case(case_id).status is CaseStatus.OPEN
    closed = site.client.post(f"/cases/{case_id}/close", data={"csrf": token, "confirm": "yes"})
    assert closed.status_code == 200 and "The case has been closed." in closed.text
    assert service.get_case(case_id).status is CaseStatus.CLOSED
    assert 'action="/cases/' + str(case_id) + '/import"' not in closed.text  # no intake form any more
    late = upload(site, case_id, token, site.police.hash_list())
    assert late.status_code == 422 and "is closed" in late.text


def test_an_agency_works_its_series_through_the_pages(site: Site):
    token = site.login("B")
    made = site.client.post(
        "/series/new",
        data={
            "csrf": token,
            "name": "Room web",
            "icse_name": "ICSE-ROOM",
            "contact_point": "desk 4",
            "active": "yes",
            "read_countries": "gb",
            "contact_orgs": str(site.police.orgs["A"]),
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text[:800]
    series_id = int(made.headers["location"].split("/")[2].split("?")[0])
    page = site.client.get(made.headers["location"])
    assert "The series has been created" in page.text and "ICSE-ROOM" in page.text
    assert "Police A web (GB)" in text_of(page.text)  # the policy, for its owner
    token = form_token(page.text)
    linked = site.client.post(
        f"/series/{series_id}/links",
        data={"csrf": token, "other_series": str(site.police.b_series), "kind": "same_victim"},
    )
    assert linked.status_code == 200 and "Beach web" in linked.text and "same victim" in linked.text
    added = site.client.post(
        f"/series/{series_id}/victims",
        data={"csrf": token, "identifier": "DE-2026-0077", "age_band": "pubescent", "sex": "female"},
    )
    assert added.status_code == 200 and "DE-2026-0077" in added.text
    victim_id = re.search(r'action="/victims/(\d+)/status"', added.text.split("DE-2026-0077")[1]).group(1)
    changed = site.client.post(
        f"/victims/{victim_id}/status", data={"csrf": token, "status": "identified", "series": str(series_id)}
    )
    assert changed.status_code == 200 and "identified" in changed.text
    assert "Police B web (DE)" in text_of(changed.text)  # who identified the child
    items = site.client.post(
        f"/series/{series_id}/items",
        data={"csrf": token, "format": "pdq-txt"},
        files={"file": ("more.txt", b"".join(f"{n:064x},100\n".encode() for n in range(1, 4)), "text/plain")},
    )
    assert items.status_code == 200 and "Items added to the series: 3." in items.text
    # A sees the new series in its list (read by country) and B's contact (contact by agency).
    site.login("A")
    listed = text_of(site.client.get("/series").text)
    assert "Room web" in listed and "Beach web" in listed and "Garden" not in listed
    assert "desk 4" in text_of(site.client.get(f"/series/{series_id}").text)
    assert 'action="/series/' not in site.client.get(f"/series/{series_id}").text  # no owner's forms
    # Reading B's series is not changing it: its forms are the 404 page for A.
    token = form_token(site.client.get("/series").text)
    for path, data in (
        (f"/series/{site.police.b_series}/victims", {"identifier": "DE-2026-0099"}),
        (f"/victims/{site.police.b_victim}/status", {"status": "safeguarded"}),
        (f"/series/{site.police.b_series}/links", {"other_series": str(series_id), "kind": "same_place"}),
    ):
        assert site.client.post(path, data={"csrf": token, **data}).status_code == 404, path


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"identifier": "DE-2026-0002", "name": "Anna"}, "never hold 'name'"),
        ({"identifier": "DE-2026-0002", "date_of_birth": "2014-03-09"}, "never hold 'date_of_birth'"),
        ({"identifier": "Anna Schmidt"}, "must be a pseudonym"),
        ({"identifier": "DE-2026-0002", "address": "12 Acacia Avenue"}, "never hold 'address'"),
    ],
)
def test_the_victim_form_refuses_identifying_data_and_does_not_show_it_again(site: Site, fields, why):
    token = site.login("B")
    before = site.client.get(f"/series/{site.police.b_series}")
    assert "Never enter a name" in before.text  # the page says so before anything is typed
    refused = site.client.post(f"/series/{site.police.b_series}/victims", data={"csrf": token, **fields})
    assert refused.status_code == 422
    assert why in html.unescape(refused.text) and "pseudonym" in refused.text and 'role="alert"' in refused.text
    for value in ("Anna", "Schmidt", "2014-03-09", "Acacia"):
        assert value not in refused.text
    service = site.node.investigations_for(investigator(site.node, site.police.orgs["B"]))
    assert [v.identifier for v in service.victims(site.police.b_series)] == [site.police.b_victim_identifier]


# --- who may not: the 404 page, on every page and form --------------------------------------------------


_numbers = count(1)


def outsider_paths(site: Site) -> tuple[list[str], list[str]]:
    """(pages, forms) of others' series, cases, victims and notifications."""
    p = site.police
    service = site.node.investigations_for(investigator(site.node, p.orgs["A"]))
    case_id = service.open_case(f"GB-outsiders-{next(_numbers)}").id
    note = site.node.notifier.notify(service.actor, p.orgs["C"], "series_hit", "a case hit", "no hashes", {}, None)
    pages = [f"/series/{p.b_series}", f"/series/{p.c_series}", f"/cases/{case_id}"]
    forms = [
        f"/series/{p.b_series}/victims",
        f"/series/{p.b_series}/links",
        f"/series/{p.b_series}/items",
        f"/victims/{p.b_victim}/status",
        f"/cases/{case_id}/import",
        f"/cases/{case_id}/images",
        f"/cases/{case_id}/close",
        f"/notifications/{note.id}/read",
    ]
    return pages, forms


@pytest.mark.parametrize("who", ["us-platform", "uk-analyst", "D"])
def test_outsiders_get_the_404_page_on_every_page_and_form(site: Site, who: str):
    pages, forms = outsider_paths(site)
    if who != "D":  # not police at all: the lists and new forms are not there either
        pages += ["/series", "/series/new", "/cases", "/cases/new", "/notifications"]
        forms += ["/series/new", "/cases/new"]
    token = site.login(who)
    for path in pages:
        response = site.client.get(path)
        assert response.status_code == 404, (who, path)
        assert "Beach" not in response.text and "GB-outsiders" not in response.text
    for path in forms:
        data = {"csrf": token, "identifier": "DE-9", "status": "identified", "other_series": "1", "kind": "same_place",
                "format": "pdq-txt", "confirm": "yes", "series": str(site.police.b_series)}  # fmt: skip
        response = site.client.post(path, data=data, files={"file": ("x.txt", b"f" * 64 + b",100\n", "text/plain")})
        assert response.status_code == 404, (who, path, response.text[:300])
    nav = site.client.get("/").text
    assert 'href="/cases"' not in nav if who != "D" else 'href="/cases"' in nav
    if who == "D":
        listed = text_of(site.client.get("/series").text)
        assert "Beach" not in listed and "Garden" not in listed
        assert "GB-outsiders" not in site.client.get("/cases").text
    site.node.audit.flush()
    refused = [e for e in site.node.audit.store.events(limit=100_000) if e.record.outcome == "refused"]
    assert {"series.read", "case.read", "victim.update"} <= {e.record.action for e in refused}


def test_every_form_of_the_pages_needs_its_token(site: Site):
    _, forms = outsider_paths(site)
    site.login("B")
    for path in [*forms, "/series/new", "/cases/new"]:
        response = site.client.post(path, data={"identifier": "DE-3", "confirm": "yes", "case_number": "x"})
        assert response.status_code == 403, path
        wrong = site.client.post(path, data={"csrf": "from elsewhere", "name": "x", "case_number": "x"})
        assert wrong.status_code == 403, path
    service = site.node.investigations_for(investigator(site.node, site.police.orgs["B"]))
    assert [v.identifier for v in service.victims(site.police.b_series)] == [site.police.b_victim_identifier]
    assert not any(c.case_number == "x" for c in service.list_cases())
