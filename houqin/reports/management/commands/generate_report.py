"""manage.py generate_report --month YYYY-MM: make a month's report now, in this process (not the
task worker), and send it as the scheduler's run would; --month defaults to last month."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from houqin.reports.delivery import deliver_monthly_report
from houqin.reports.models import ReportStatus
from houqin.reports.services import generate_monthly_report, last_month


class Command(BaseCommand):
    help = (
        "Generate the monthly logistics report (Excel and PDF) of a month now, replacing its files; a finished "
        "month's report is sent to the directors the first time it is ready."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM; default: last month. This month gives the month so far.")
        parser.add_argument("--no-delivery", action="store_true", help="Do not send it to the directors and channels.")

    def handle(self, *args, month=None, no_delivery=False, **options):
        try:
            report = generate_monthly_report(month or last_month(), by=None)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.message_dict.get("month", exc.messages))) from None
        if report.status != ReportStatus.READY:
            raise CommandError(f"The report of {report.label} could not be generated: {report.error}")
        self.stdout.write(f"Report {report.label} ready: {report.workbook.name}, {report.pdf.name}")
        if not no_delivery:
            counts = deliver_monthly_report(report)
            if counts["notifications"] or counts["outbox"]:
                self.stdout.write(
                    f"Sent: {counts['notifications']} inbox notification(s), {counts['outbox']} channel message(s)."
                )
