"""What the reports API answers and takes."""

from ninja import Field, Schema

from houqin.core.api import LocalDateTime


class ReportLinksOut(Schema):
    xlsx: str | None = Field(description="the Excel workbook's download (API path); null until the report is ready")
    pdf: str | None = Field(description="the PDF's download (API path); null until the report is ready")


class ReportOut(Schema):
    id: int
    month: str = Field(description="YYYY-MM")
    status: str = Field(description="pending (being generated), ready or failed")
    status_label: str
    complete: bool = Field(description="generated after the month ended (false: the month so far)")
    generated_at: LocalDateTime | None
    requested_by: str | None = Field(description="username of who asked for it last; null: the monthly schedule")
    error: str = Field(description="why generating failed (status failed)")
    delivered_at: LocalDateTime | None = Field(description="when the directors were sent the finished report")
    links: ReportLinksOut
    created: LocalDateTime
    last_updated: LocalDateTime


class ReportPageOut(Schema):
    count: int
    items: list[ReportOut]


class ReportRequestIn(Schema):
    month: str = Field(
        max_length=10,
        description="YYYY-MM; this month gives the month so far, a later month is refused",
        examples=["2026-10"],
    )
