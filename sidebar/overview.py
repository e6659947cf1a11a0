"""The figures of the admin overview (概览): what the audit rows say about the last days.

Each figure is a query over the rows of the period (the per-day counts one per day), read off
the time indexes (sidebar.audit_indexes); refusals are counted and failure reports diagnosed
in Python, the newest REPORTS_READ of the reports. Days are local days (TIME_ZONE)."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Max
from django.utils import timezone

from sidebar import entries
from sidebar.diagnosis import diagnose
from sidebar.models import ClientFailureReport, Lookup
from sidebar.records.models import Stage
from sidebar.replies.models import Send

PERIODS = (7, 30, 90)  # days an auditor may choose; the first page shows DEFAULT_DAYS
DEFAULT_DAYS = 30
TOP = 10  # bars in each ranking
REPORTS_READ = 5000


@dataclass(frozen=True)
class Bar:
    label: str  # what a person reads: a name, or the id when there is none
    count: int
    key: str = ""  # the id behind the name ('' when the label is the id)
    note: str = ""  # what kind of thing it is, in words


@dataclass(frozen=True)
class Overview:
    days: int
    first_day: date
    last_day: date
    outcomes: list[tuple[str, str]]  # (stored key, words), in the order the chart stacks
    per_day: list[tuple[date, dict[str, int]]]  # every day of the period, oldest first
    refusals: list[Bar]  # staff members refused most often
    busiest: list[Bar]  # customers and groups shown most often
    # The figures drawn from other logs than the lookups; None when this viewer may not read
    # that log (an auditor of lookups alone sees neither).
    failures: list[Bar] | None  # client failure reports by likely cause
    replies: list[Bar] | None  # replies sent most often
    funnel: list[Bar] | None  # customers at each stage, in the stages' order (now, not per period)

    @property
    def lookups(self) -> int:
        return sum(sum(counts.values()) for _day, counts in self.per_day)

    def day_rows(self) -> list[tuple[date, list[int]]]:
        """Each day's counts in `outcomes` order, newest day first (the table)."""
        keys = [key for key, _words in self.outcomes]
        return [(day, [counts.get(k, 0) for k in keys]) for day, counts in reversed(self.per_day)]


def period_start(days: int, now: datetime | None = None) -> datetime:
    """Local midnight `days - 1` days before today: the period's first moment."""
    return _midnight(timezone.localdate(now) - timedelta(days=days - 1))


# The figures read from logs other than the lookups, and the permission each needs.
OTHER_LOGS = {
    "failures": "sidebar.view_clientfailurereport",
    "replies": "replies.view_send",
    "funnel": "records.view_customerstage",
}


def build(
    days: int = DEFAULT_DAYS, now: datetime | None = None, *, shown=frozenset(OTHER_LOGS)
) -> Overview:
    """The figures of the last `days` days; of those read from other logs, only the ones
    named in `shown` (see readable_by)."""
    since = period_start(days, now)
    first_day, last_day = timezone.localdate(since), timezone.localdate(now)
    # Bounded on both sides: SQLite then prefers the (outcome, time) index over (time).
    lookups = Lookup.objects.filter(created_at__gte=since, created_at__lt=_midnight(last_day, 1))
    return Overview(
        days=days,
        first_day=first_day,
        last_day=last_day,
        outcomes=[(key, str(words)) for key, words in Lookup.Outcome.choices],
        per_day=_per_day(first_day, last_day),
        refusals=_refusals(lookups),
        busiest=_busiest(lookups),
        failures=_failures(since) if "failures" in shown else None,
        replies=_replies(since) if "replies" in shown else None,
        funnel=_funnel() if "funnel" in shown else None,
    )


def readable_by(user) -> frozenset[str]:
    """Which of OTHER_LOGS' figures `user` may see: those whose log they may view."""
    return frozenset(name for name, permission in OTHER_LOGS.items() if user.has_perm(permission))


def _per_day(first_day: date, last_day: date):
    """Each day's lookups by outcome: one grouped query per day, over its stretch of the time
    index. A single query grouped by the local date would convert every row's time (in
    Python, on SQLite: 25 times slower at a million rows). Each day's bounds are the only
    condition on the time: SQLite given the period's start as well reads far more rows."""
    days = []
    for n in range((last_day - first_day).days + 1):
        day = first_day + timedelta(days=n)
        counts = (
            Lookup.objects.filter(created_at__gte=_midnight(day), created_at__lt=_midnight(day, 1))
            .values_list("outcome")
            .annotate(rows=Count("id"))
            .order_by()
        )
        days.append((day, dict(counts)))
    return days


def _midnight(day: date, later: int = 0) -> datetime:
    """Local midnight at the start of `day` (plus `later` days), whatever the DST."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=later), time.min))


def _refusals(lookups) -> list[Bar]:
    """Counted here, not grouped in SQL: grouped by staff member, SQLite reads the period's
    every row through the (staff, time) index instead of the refusals through (outcome,
    time), 225 against 17 ms for 30 days at a million rows."""
    refused: Counter[str] = Counter()
    names: dict[str, str] = {}
    rows = (
        lookups.filter(outcome=Lookup.Outcome.DENIED)
        .values_list("staff_userid", "staff_name")
        .order_by()
        .iterator(chunk_size=2000)
    )
    for userid, name in rows:
        refused[userid] += 1
        names[userid] = names.get(userid) or name
    most = sorted(refused.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    return [_named(names[userid], userid, count) for userid, count in most]


def _busiest(lookups) -> list[Bar]:
    rows = (
        lookups.filter(outcome=Lookup.Outcome.OK, entry__in=list(entries.TARGET_KINDS))
        .values("target_id")
        .annotate(rows=Count("id"), name=Max("target_name"), entry=Max("entry"))
        .order_by("-rows", "target_id")[:TOP]
    )
    return [
        _named(
            row["name"],
            row["target_id"],
            row["rows"],
            note=entries.kind_words(entries.TARGET_KINDS[row["entry"]]),
        )
        for row in rows
    ]


def _failures(since: datetime) -> list[Bar]:
    reports = (
        ClientFailureReport.objects.filter(created_at__gte=since)
        .order_by("-created_at")
        .values_list("error", "signed_url", "page_url", "wecom_version")[:REPORTS_READ]
    )
    causes = Counter(
        str(diagnose(error=error, signed_url=signed, page_url=page, wecom_version=version))
        for error, signed, page, version in reports
    )
    return [Bar(label=cause, count=n) for cause, n in causes.most_common(TOP)]


def _replies(since: datetime) -> list[Bar]:
    rows = (
        Send.objects.filter(created_at__gte=since, outcome=Send.Outcome.SENT)
        .values("reply_title", "kind")
        .annotate(rows=Count("id"))
        .order_by("-rows", "reply_title")[:TOP]
    )
    kinds = dict(Send._meta.get_field("kind").choices)
    return [
        Bar(
            label=row["reply_title"],
            count=row["rows"],
            note=str(kinds.get(row["kind"], row["kind"])),
        )
        for row in rows
    ]


def _funnel() -> list[Bar]:
    """客户阶段: how many customers are at each stage now, every stage in its order (those
    switched off too while customers are at them); empty when no customer has a stage."""
    stages = Stage.objects.annotate(rows=Count("customers")).order_by("order", "id")
    bars = [Bar(label=s.name, count=s.rows) for s in stages if s.enabled or s.rows]
    return bars if any(bar.count for bar in bars) else []


def _named(name: str, key: str, count: int, note: str = "") -> Bar:
    """A bar labelled by its name, with the id behind it; by the id when there is no name."""
    return Bar(label=name or key, count=count, key=key if name else "", note=note)
