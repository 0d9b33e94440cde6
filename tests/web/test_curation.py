"""Curators' and contributors' pages without a browser: bank creation, the sharing-policy editor,
hash-list import and export, dispute resolution, settling a disagreement, lifting a quarantine,
the category of the viewer's jurisdiction; each refused (404, never 403) for whoever may not, each
refused without the form's token, each audited. And the upload of an image to check: the session
is checked before the body is read."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterator

import anyio
import pytest
from fastapi.testclient import TestClient

from alliance.asgi import create_app
from alliance.core.access import SYSTEM
from alliance.core.banks import EntryStatus
from alliance.formats.registry import FORMATS
from alliance.services.demo import REVIEW_BANK, SHARED_BANK, DemoLogin
from alliance.web import banks as bank_pages
from tests.web.conftest import seed, web_settings
from tests.web.test_pages import form_token, log_in

Site = tuple[TestClient, dict[str, DemoLogin]]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = web_settings(tmp_path_factory.mktemp("curation") / "home")
    logins = seed(settings)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client, logins


def node_of(client: TestClient):  # type: ignore[no-untyped-def]
    return client.app.state.node  # type: ignore[attr-defined]


def audited(client: TestClient, action: str, outcome: str = "ok") -> list[object]:
    node = node_of(client)
    node.audit.flush()
    events = node.audit.store.events(limit=100_000)
    return [e for e in events if e.record.action == action and e.record.outcome == outcome]


def random_pdq() -> str:
    return secrets.token_hex(32)


# --- the upload to check: no body read before the session is known ------------------------------


def test_an_anonymous_upload_is_refused_before_its_body_is_read(site: Site):
    client, _ = site
    app = client.app
    reads: list[str] = []
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        reads.append("read")
        await anyio.sleep_forever()  # a client that declared 40 MB and sends nothing
        return {}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/check/upload", "raw_path": b"/check/upload", "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"multipart/form-data; boundary=x"),
                    (b"content-length", str(40 * 1024 * 1024).encode())],
        "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
    }  # fmt: skip

    async def call() -> None:
        with anyio.fail_after(10):  # reading the body would wait for ever
            await app(scope, receive, send)

    client.portal.call(call)  # type: ignore[union-attr]
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = dict(start["headers"])  # type: ignore[arg-type]
    assert (start["status"], headers[b"location"]) == (303, b"/login?next=/")
    assert reads == []


def test_a_logged_in_upload_is_still_checked(site: Site):
    client, logins = site
    from alliance.services.demo import demo_photos

    token = log_in(client, logins, "us-platform")
    photo = demo_photos()[0]
    response = client.post(
        "/check/upload", data={"csrf": token}, files={"image": (photo.name, photo.read_bytes(), "image/jpeg")}
    )
    assert response.status_code == 200
    assert 'action="/matches/' in response.text  # the shared bank holds the photo: a match to dispute
    no_file = client.post("/check/upload", data={"csrf": token})
    assert no_file.status_code == 422


# --- banks: create, sharing policy, import, export ------------------------------------------------


def test_an_analyst_creates_a_bank_and_shares_it(site: Site):
    client, logins = site
    token = log_in(client, logins, "uk-analyst")
    assert 'href="/banks/new"' in client.get("/banks").text
    created = client.post(
        "/banks/new",
        data={"csrf": token, "name": "web-made", "description": "made on a page", "purpose": "known", "required": "2"},
        follow_redirects=False,
    )
    assert (created.status_code, created.headers["location"]) == (303, "/banks/web-made?notice=created")
    bank = node_of(client).store.get_bank("web-made")
    assert bank.policy.to_json()["read"] == {"orgs": [], "countries": [], "roles": []}  # shared with nobody
    again = client.post("/banks/new", data={"csrf": token, "name": "web-made"})
    assert again.status_code == 409 and "web-made" in again.text

    editor = client.get("/banks/web-made/policy")
    assert editor.status_code == 200
    de = next(o for o in node_of(client).accounts.directory(SYSTEM) if o.name == "DE Federal Police")
    assert f'name="read_orgs" value="{de.id}"' in editor.text
    saved = client.post(
        "/banks/web-made/policy",
        data={"csrf": form_token(editor.text), "match_countries": "us, fr", "read_orgs": [str(de.id)],
              "read_roles": ["investigator"]},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.headers["location"] == "/banks/web-made?notice=policy"
    policy = node_of(client).store.get_bank("web-made").policy.to_json()
    assert policy["match"]["countries"] == ["FR", "US"]
    assert policy["read"] == {"orgs": [de.id], "countries": [], "roles": ["investigator"]}
    assert audited(client, "bank.update")
    bad = client.post("/banks/web-made/policy", data={"csrf": token, "match_countries": "France"})
    assert bad.status_code == 422 and "country code" in bad.text
    assert node_of(client).store.get_bank("web-made").policy.to_json() == policy  # nothing changed

    log_in(client, logins, "de-investigator")
    assert client.get("/banks/web-made").status_code == 200  # shared for reading now


def test_only_a_banks_curators_edit_its_policy(site: Site):
    client, logins = site
    token = log_in(client, logins, "de-investigator")  # reads the shared bank, does not curate it
    before = node_of(client).store.get_bank(SHARED_BANK).policy
    assert client.get(f"/banks/{SHARED_BANK}/policy").status_code == 404
    refused = client.post(f"/banks/{SHARED_BANK}/policy", data={"csrf": token, "read_countries": "DE"})
    assert refused.status_code == 404
    assert node_of(client).store.get_bank(SHARED_BANK).policy == before
    assert audited(client, "bank.update", "refused")
    log_in(client, logins, "us-platform")
    assert client.get("/banks/new").status_code == 404
    assert client.post("/banks/new", data={"csrf": token, "name": "sneaky"}).status_code in (403, 404)


def test_forms_without_the_token_change_nothing(site: Site):
    client, logins = site
    log_in(client, logins, "uk-analyst")
    assert client.post("/banks/new", data={"name": "no-token"}).status_code == 403
    assert client.post(f"/banks/{SHARED_BANK}/policy", data={"read_countries": "FR"}).status_code == 403
    assert client.post(f"/banks/{SHARED_BANK}/import", files={"file": ("a.txt", b"x")}).status_code == 403
    from alliance.core.errors import NotFound

    with pytest.raises(NotFound):
        node_of(client).store.get_bank("no-token")
    assert "FR" not in node_of(client).store.get_bank(SHARED_BANK).policy.to_json()["read"]["countries"]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_hash_list_is_imported_with_a_summary_and_exported_in_each_format(site: Site, fmt: str):
    client, logins = site
    token = log_in(client, logins, "uk-analyst")
    hashes = [random_pdq() for _ in range(3)]
    from alliance.core.signals import parse_signal
    from alliance.formats.records import MediaRecord

    text = FORMATS[fmt].write([MediaRecord((parse_signal("pdq", h),), where=str(i)) for i, h in enumerate(hashes)])
    page = client.get(f"/banks/{SHARED_BANK}/import")
    assert page.status_code == 200
    imported = client.post(
        f"/banks/{SHARED_BANK}/import",
        data={"csrf": form_token(page.text), "format": fmt},
        files={"file": (f"list{FORMATS[fmt].suffix}", text.encode(), "text/plain")},
    )
    assert imported.status_code == 201, imported.text[:1000]
    assert re.search(r"Entries added</dt><dd>3<", imported.text)
    again = client.post(
        f"/banks/{SHARED_BANK}/import",
        data={"csrf": token, "format": fmt},
        files={"file": ("again", text.encode(), "text/plain")},
    )
    assert again.status_code == 409  # a duplicate stops the import: nothing added
    skipped = client.post(
        f"/banks/{SHARED_BANK}/import",
        data={"csrf": token, "format": fmt, "skip_duplicates": "yes"},
        files={"file": ("again", text.encode(), "text/plain")},
    )
    assert re.search(r"Entries added</dt><dd>0<", skipped.text) and re.search(
        r"Duplicates skipped</dt><dd>3<", skipped.text
    )

    exported = client.get(f"/banks/{SHARED_BANK}/export?format={fmt}")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == f'attachment; filename="{SHARED_BANK}{FORMATS[fmt].suffix}"'
    read_back = {s.value for r in FORMATS[fmt].read(exported.text) for s in r.signals}
    assert set(hashes) <= read_back
    assert audited(client, "bank.export")


def test_a_bad_hash_list_adds_nothing_and_says_where(site: Site):
    client, logins = site
    token = log_in(client, logins, "uk-analyst")
    count = node_of(client).store.get_bank(SHARED_BANK).entry_count
    text = f"{random_pdq()}\nnot-a-hash\n"
    response = client.post(
        f"/banks/{SHARED_BANK}/import",
        data={"csrf": token, "format": "pdq-txt"},
        files={"file": ("bad.txt", text.encode(), "text/plain")},
    )
    assert response.status_code == 422 and "line 2" in response.text
    assert node_of(client).store.get_bank(SHARED_BANK).entry_count == count


def test_import_and_export_are_404_for_who_may_not(site: Site):
    client, logins = site
    token = log_in(client, logins, "us-platform")  # may match the shared bank, not read or contribute
    assert client.get(f"/banks/{SHARED_BANK}/import").status_code == 404
    refused = client.post(
        f"/banks/{SHARED_BANK}/import",
        data={"csrf": token, "format": "pdq-txt"},
        files={"file": ("x.txt", random_pdq().encode(), "text/plain")},
    )
    assert refused.status_code == 404
    assert client.get(f"/banks/{SHARED_BANK}/export?format=te-csv").status_code == 404
    assert audited(client, "bank.export", "refused")


# --- curators' decisions ------------------------------------------------------------------------------


def entry_in(client: TestClient, status: EntryStatus, bank: str = SHARED_BANK) -> int:
    """A fresh entry of `bank` moved to `status` (as the dispute and flood rules would)."""
    from alliance.core.signals import parse_signal
    from alliance.formats.records import MediaRecord

    node = node_of(client)
    report = node.banks_for(SYSTEM).import_records(bank, [MediaRecord((parse_signal("pdq", random_pdq()),))])
    entry_id = report.added[0].id
    if status is not EntryStatus.PROPOSED:
        node.store.transition(entry_id, status, "test", "set up")
    return entry_id


def test_a_false_positive_is_retired_only_after_confirmation(site: Site):
    client, logins = site
    entry_id = entry_in(client, EntryStatus.DISPUTED)
    token = log_in(client, logins, "uk-analyst")
    page = client.get(f"/entries/{entry_id}")
    assert f'action="/entries/{entry_id}/dispute-resolution"' in page.text
    asked = client.post(
        f"/entries/{entry_id}/dispute-resolution",
        data={"csrf": token, "outcome": "false_positive", "reason": "a landscape"},
    )
    assert asked.status_code == 200 and "Retire the entry" in asked.text
    assert node_of(client).store.get_entry(entry_id).status is EntryStatus.DISPUTED  # not yet
    done = client.post(
        f"/entries/{entry_id}/dispute-resolution",
        data={"csrf": token, "outcome": "false_positive", "reason": "a landscape", "confirm": "yes"},
        follow_redirects=False,
    )
    assert done.headers["location"] == f"/entries/{entry_id}?done=resolved"
    assert node_of(client).store.get_entry(entry_id).status is EntryStatus.RETIRED
    assert audited(client, "entry.dispute_resolution")
    again = client.post(
        f"/entries/{entry_id}/dispute-resolution",
        data={"csrf": token, "outcome": "entry_stands", "reason": "again"},
    )
    assert again.status_code == 422 and "not disputed" in again.text


def test_an_entry_stands_and_others_may_not_decide(site: Site):
    client, logins = site
    entry_id = entry_in(client, EntryStatus.DISPUTED)
    token = log_in(client, logins, "de-investigator")  # reads the bank, does not curate it
    for outcome in ("entry_stands", "false_positive"):
        refused = client.post(
            f"/entries/{entry_id}/dispute-resolution", data={"csrf": token, "outcome": outcome, "reason": "mine"}
        )
        assert refused.status_code == 404
    assert "Curate this entry" not in client.get(f"/entries/{entry_id}").text
    token = log_in(client, logins, "uk-analyst")
    assert client.post(
        f"/entries/{entry_id}/dispute-resolution", data={"outcome": "entry_stands", "reason": "x"}
    ).status_code == 403  # fmt: skip
    client.post(
        f"/entries/{entry_id}/dispute-resolution", data={"csrf": token, "outcome": "entry_stands", "reason": "right"}
    )
    assert node_of(client).store.get_entry(entry_id).status is EntryStatus.CONFIRMED


def test_a_quarantine_is_lifted_after_confirmation(site: Site):
    client, logins = site
    entry_id = entry_in(client, EntryStatus.QUARANTINED)
    log_in(client, logins, "de-investigator")
    token = form_token(client.get("/").text)
    assert client.post(f"/entries/{entry_id}/lift-quarantine", data={"csrf": token, "reason": "x"}).status_code == 404
    token = log_in(client, logins, "uk-analyst")
    queue = client.get("/review?queue=quarantine").text
    assert f'href="/entries/{entry_id}"' in queue
    asked = client.post(f"/entries/{entry_id}/lift-quarantine", data={"csrf": token, "reason": "checked"})
    assert "Lift the quarantine" in asked.text
    assert node_of(client).store.get_entry(entry_id).status is EntryStatus.QUARANTINED
    client.post(f"/entries/{entry_id}/lift-quarantine", data={"csrf": token, "reason": "checked", "confirm": "yes"})
    assert node_of(client).store.get_entry(entry_id).status is EntryStatus.CONFIRMED
    assert audited(client, "entry.lift_quarantine")


def test_a_disagreement_is_settled_with_the_grade_that_stands(site: Site):
    client, logins = site
    entry_id = entry_in(client, EntryStatus.PROPOSED, REVIEW_BANK)
    node_of(client).trust_store.mark_review(entry_id)
    token = log_in(client, logins, "uk-analyst")
    assert f'href="/entries/{entry_id}"' in client.get("/review?queue=review").text
    empty_reason = client.post(
        f"/entries/{entry_id}/review", data={"csrf": token, "illegal": "no", "age_band": "none", "reason": " "}
    )
    assert empty_reason.status_code == 422 and "say why" in empty_reason.text
    client.post(
        f"/entries/{entry_id}/review",
        data={"csrf": token, "illegal": "yes", "age_band": "pubescent", "severity": "2", "reason": "the lead decides"},
    )
    settled = node_of(client).store.get_entry(entry_id)
    assert settled.status is EntryStatus.CONFIRMED and settled.grade["age_band"] == "pubescent"
    assert audited(client, "entry.review")


def test_an_entry_shows_the_category_of_the_viewers_jurisdiction(site: Site):
    client, logins = site
    entry_id = entry_in(client, EntryStatus.PROPOSED, REVIEW_BANK)
    grade = {"illegal": True, "age_band": "prepubescent", "severity": 1, "baseline": True}
    node_of(client).store.transition(entry_id, EntryStatus.CONFIRMED, "test", "agreed", grade=grade)
    schemes = node_of(client).match_trust.schemes
    categories = {}
    for username, country in (("de-investigator", "DE"), ("uk-analyst", "GB")):
        log_in(client, logins, username)
        page = client.get(f"/entries/{entry_id}").text
        scheme = schemes.for_country(country)
        from alliance.core.trust import Grade

        expected = scheme.category(Grade.from_json(grade))
        assert f'<strong>{expected}</strong> <span class="detail">({scheme.title})</span>' in page
        listed = client.get(f"/banks/{REVIEW_BANK}?status=confirmed").text  # the bank's entries, in its column
        cells = rf'<a href="/entries/{entry_id}">#{entry_id}</a></td>\s*<td[^>]*>[^<]*</td>\s*<td>([^<]*)</td>'
        row = re.search(cells, listed)
        assert row is not None and row.group(1) == expected, country
        categories[country] = (scheme.name, expected)
    assert categories["DE"][0] != categories["GB"][0]  # each reads it in its own law's scheme


# --- paging -----------------------------------------------------------------------------------------


def test_the_review_queue_is_paged(site: Site, monkeypatch: pytest.MonkeyPatch):
    client, logins = site
    ids = [entry_in(client, EntryStatus.QUARANTINED) for _ in range(2)]
    monkeypatch.setattr(bank_pages, "PAGE_SIZE", 1)
    log_in(client, logins, "uk-analyst")
    seen = []
    path = "/review?queue=quarantine"
    for _ in range(50):
        page = client.get(path).text
        seen += [int(i) for i in re.findall(r'href="/entries/(\d+)"', page)]
        found = re.search(r'href="(/review\?queue=quarantine&amp;after=\d+)"', page)
        if not found:
            break
        path = found.group(1).replace("&amp;", "&")
    assert set(ids) <= set(seen) and len(seen) == len(set(seen))


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_grading_form_explains_each_jurisdictions_categories(site: Site, language: str):
    """The grader's own scheme first, each rule in words of the page's language, then the rest."""
    from alliance.web import i18n

    client, logins = site
    entry_id = entry_in(client, EntryStatus.PROPOSED, REVIEW_BANK)
    log_in(client, logins, "uk-analyst")
    page = client.get(f"/entries/{entry_id}", headers={"Accept-Language": language}).text
    guide = page[page.index('<details class="schemes"') : page.index("</details>")]
    schemes = node_of(client).match_trust.schemes
    titles = re.findall(r"<h3>([^<]+?)(?: <span|</h3>)", guide)
    assert titles[0] == schemes.for_country("GB").title  # the analyst's own, first
    assert sorted(titles) == sorted(s.title for s in schemes.schemes.values())
    words = i18n.translations(language)
    first_rule = re.search(r'<table class="scheme">.*?<tbody>\s*<tr><td>([^<]+)</td><td>([^<]+)</td>', guide, re.S)
    assert first_rule is not None
    assert first_rule.groups() == (f"{words.gettext('illegal')} · {words.gettext('severity %(n)s') % {'n': 1}}", "A")


def test_a_banks_entries_are_filtered_by_source_and_status_page_after_page(site: Site, monkeypatch: pytest.MonkeyPatch):
    from alliance.core.signals import parse_signal
    from alliance.formats.records import MediaRecord

    client, logins = site
    banks = node_of(client).banks_for(SYSTEM)
    wanted = [
        e.id
        for e in banks.import_records(
            SHARED_BANK, [MediaRecord((parse_signal("pdq", random_pdq()),), where=f"filtered.txt:{n}") for n in (1, 2)]
        ).added
    ]
    banks.import_records(SHARED_BANK, [MediaRecord((parse_signal("pdq", random_pdq()),), where="other.txt:1")])
    log_in(client, logins, "uk-analyst")
    monkeypatch.setattr(bank_pages, "PAGE_SIZE", 1)
    seen, path = [], f"/banks/{SHARED_BANK}?status=confirmed&source=import:filtered.txt"
    for _ in range(5):
        page = client.get(path).text
        assert 'value="import:filtered.txt"' in page  # the filter stays in its field
        seen += [int(i) for i in re.findall(r'<td><a href="/entries/(\d+)">', page)]
        found = re.search(r'href="(/banks/[^"]+&amp;after=\d+)">Next page', page)
        if not found:
            break
        path = html.unescape(found.group(1))
        assert "source=import%3Afiltered.txt" in path and "status=confirmed" in path
    assert seen == wanted
