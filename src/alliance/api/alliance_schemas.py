"""Request and response bodies of `/v1/alliance/...`. Requests refuse unknown fields, as everywhere in v1."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from alliance.api.schemas import Strict
from alliance.core.record.awareness import Audience, Campaign
from alliance.core.record.indicators import Trend
from alliance.core.record.members import Country, Period, SecretariatTerm, Target
from alliance.core.record.workflow import Commitment, CommitmentStatus, Report, ReportStatus

CountryCode = Annotated[str, Field(min_length=2, max_length=2, description="ISO 3166 alpha-2 (Kosovo: XK).")]
CountryPath = Annotated[str, PathParam(min_length=2, max_length=2, description="ISO 3166 alpha-2 (Kosovo: XK).")]
Year = Annotated[int, Field(ge=1900, le=2200)]
TargetNumber = Annotated[int, Field(ge=1, le=99, description="Policy target 1-4.")]
Text = Annotated[str, Field(max_length=20_000)]


class CountryOut(BaseModel):
    code: str
    name: str
    eu: bool = False


class MembersOut(BaseModel):
    on: date
    count: int
    eu_count: int
    members: list[CountryOut]


class PeriodOut(BaseModel):
    body: str
    joined: date
    left: date | None
    joined_exact: bool
    source: str
    note: str

    @classmethod
    def of(cls, p: Period) -> PeriodOut:
        return cls(
            body=p.body.value, joined=p.joined, left=p.left, joined_exact=p.joined_exact, source=p.source, note=p.note
        )


class CountryDetailOut(BaseModel):
    code: str
    name: str
    note: str
    member_today: bool
    periods: list[PeriodOut]

    @classmethod
    def of(cls, country: Country, periods: list[Period], member_today: bool) -> CountryDetailOut:
        return cls(
            code=country.code,
            name=country.name,
            note=country.note,
            member_today=member_today,
            periods=[PeriodOut.of(p) for p in periods],
        )


class GoalOut(BaseModel):
    code: str
    text: str
    indicator: str | None
    direction: str
    by_at_least: float
    note: str


class TargetOut(BaseModel):
    number: int
    short: str
    text: str
    goals: list[GoalOut]

    @classmethod
    def of(cls, t: Target) -> TargetOut:
        goals = [GoalOut.model_validate({k: v for k, v in asdict(g).items() if k != "target"}) for g in t.goals]
        return cls(number=t.number, short=t.short, text=t.text, goals=goals)


class TermOut(BaseModel):
    since: date
    holder: str
    country: str
    chair: str
    source: str
    org_id: int | None
    recorded_by: str

    @classmethod
    def of(cls, t: SecretariatTerm) -> TermOut:
        return cls.model_validate(asdict(t))


class SecretariatOut(BaseModel):
    current: TermOut | None
    terms: list[TermOut]


class HandoverIn(Strict):
    org_id: int = Field(ge=1, le=2**63 - 1, description="The organisation on this node that takes the secretariat.")
    chair: str = Field(max_length=200, description="Who chairs the Alliance from now.")
    since: date | None = Field(None, description="Default: today.")
    source: str = Field("", max_length=2000)


class CommitmentIn(Strict):
    country: CountryCode
    target: TargetNumber
    title: str = Field(max_length=200)
    pledge: Text
    baseline: Text = ""
    goal: str | None = Field(None, max_length=16, description="The operational goal it serves, e.g. 1.1.")
    status: CommitmentStatus = CommitmentStatus.PLANNED
    made_on: date | None = Field(None, description="The day the country made it (today if left out).")


class CommitmentUpdate(Strict):
    title: str | None = Field(None, max_length=200)
    pledge: Text | None = None
    baseline: Text | None = None
    goal: str | None = Field(None, max_length=16)
    status: CommitmentStatus | None = None
    status_since: date | None = Field(None, description="The day a new status took effect (today if left out).")


class StatusChangeOut(BaseModel):
    status: CommitmentStatus
    since: date


class CommitmentOut(BaseModel):
    id: int
    country: str
    target: int
    goal: str | None
    title: str
    pledge: str
    baseline: str
    status: CommitmentStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
    made_on: date
    history: list[StatusChangeOut]

    @classmethod
    def of(cls, c: Commitment) -> CommitmentOut:
        return cls.model_validate(asdict(c))


class ReportIn(Strict):
    country: CountryCode
    year: Year


class SectionIn(Strict):
    actions: Text = ""
    results: Text = ""
    next_steps: Text = ""


class NoteIn(Strict):
    note: str = Field("", max_length=5000)


class SectionOut(BaseModel):
    target: int
    actions: str
    results: str
    next_steps: str


class ReportOut(BaseModel):
    id: int
    country: str
    year: int
    version: int
    status: ReportStatus
    sections: list[SectionOut]
    review_note: str
    corrects: int | None
    created_by: str
    created_at: datetime
    submitted_at: datetime | None
    reviewed_at: datetime | None
    published_at: datetime | None
    published_by: str | None

    @classmethod
    def of(cls, r: Report) -> ReportOut:
        return cls.model_validate(asdict(r))


class IndicatorIn(Strict):
    value: float = Field(ge=0, le=1e15)
    source: str = Field(min_length=1, max_length=2000, description="Where the figure comes from.")
    note: str = Field("", max_length=2000)


class IndicatorOut(BaseModel):
    country: str
    year: int
    name: str
    value: float
    origin: str
    source: str
    entered_by: str | None
    entered_at: datetime | None
    note: str
    previous: float | None
    change: float | None
    goal: str | None
    goal_met: bool | None

    @classmethod
    def of(cls, t: Trend) -> IndicatorOut:
        fields: dict[str, Any] = asdict(t.value)
        return cls(**fields, previous=t.previous, change=t.change, goal=t.goal, goal_met=t.goal_met)


class CampaignIn(Strict):
    country: CountryCode
    title: str = Field(max_length=200)
    audiences: list[Audience] = Field(min_length=1, max_length=4)
    channel: str = Field(max_length=100, description="Schools, television, social media, ...")
    starts: date
    ends: date | None = None
    reach: int | None = Field(None, ge=0, le=10**12, description="People reached, as the campaign measured it.")
    evaluation: Text = ""
    practice: Text = Field("", description="What worked, for other members to copy.")


class CampaignOut(BaseModel):
    id: int
    country: str
    title: str
    audiences: list[Audience]
    channel: str
    starts: date
    ends: date | None
    reach: int | None
    evaluation: str
    practice: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, c: Campaign) -> CampaignOut:
        return cls.model_validate(asdict(c))


class CampaignsOut(BaseModel):
    campaigns: list[CampaignOut]
    next_after: int | None
