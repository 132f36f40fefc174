"""What the API answers for master data. Related objects come as compact `{"id", "code", "name"}`
(houqin.core.api.Ref); time stamps in the site's zone with their offset."""

import datetime
from decimal import Decimal

from ninja import Field, Schema

from houqin.core.api import LocalDateTime, Ref
from houqin.core.labels import label_url


class MasterDataOut(Schema):
    id: int
    is_active: bool
    created: LocalDateTime
    last_updated: LocalDateTime


class SiteOut(MasterDataOut):
    code: str
    name: str
    short_name: str
    address: str
    phone: str
    beds: int


class LocationOut(MasterDataOut):
    code: str
    name: str
    kind: str = Field(description="campus, building, floor, room, area or bed")
    parent: Ref | None
    path: str = Field(description="names from the top down, e.g. “本部院区 / 门诊楼 / 3F / 312”")
    depth: int = Field(description="0 for a top-level location")
    site: Ref
    department: Ref | None
    area_m2: Decimal | None
    label_code: str = Field(description="permanent code printed on the location's QR label")
    label_url: str

    @staticmethod
    def resolve_path(obj) -> str:
        return obj.full_name

    @staticmethod
    def resolve_label_url(obj) -> str:
        return label_url(obj.label_code)


class DepartmentOut(MasterDataOut):
    code: str
    name: str
    kind: str = Field(description="clinical, medtech, nursing, administrative or logistics")
    cost_center: str
    site: Ref
    parent: Ref | None
    phone: str
    head: str


class CompanyOut(MasterDataOut):
    code: str
    name: str
    kind: str = Field(description="hospital, contractor or supplier")
    credit_code: str
    services: str
    contact_name: str
    contact_phone: str


class TradeOut(MasterDataOut):
    code: str
    name: str
    description: str
    requires_certificate: bool


class TeamOut(MasterDataOut):
    code: str
    name: str
    company: Ref
    site: Ref | None
    trades: list[Ref]
    leader: Ref | None
    phone: str


class PersonOut(MasterDataOut):
    employee_no: str
    name: str
    gender: str = Field(description="M, F or empty")
    phone: str
    company: Ref
    department: Ref | None
    team: Ref | None
    trades: list[Ref]
    employment_type: str = Field(description="permanent, contract, dispatched or outsourced")
    job_title: str
    hired_on: datetime.date | None
    on_duty: bool
    has_account: bool = Field(description="whether the person can log in")

    @staticmethod
    def resolve_has_account(obj) -> bool:
        return obj.user_id is not None


class CertificateOut(Schema):
    id: int
    person: Ref
    company: Ref
    name: str
    number: str
    issuer: str
    issued_on: datetime.date | None
    expires_on: datetime.date | None
    days_left: int | None = Field(description="days until expiry (negative once expired); null without expiry")
    created: LocalDateTime
    last_updated: LocalDateTime

    @staticmethod
    def resolve_company(obj):
        return obj.person.company


class DirectoryEntryOut(MasterDataOut):
    number: str
    label: str
    department: Ref | None
    location: Ref | None
    person: Ref | None
    note: str


class CallerMatch(Schema):
    source: str = Field(description="`directory` (a phone directory entry) or `person` (a person's mobile phone)")
    who: str = Field(description="the entry's label or the person's name")
    department: Ref | None
    location: Ref | None
    person: Ref | None


class CallerLookupOut(Schema):
    phone: str = Field(description="the number as looked up, after normalisation")
    matches: list[CallerMatch]
