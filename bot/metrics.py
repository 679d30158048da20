"""What Loa counts for Prometheus, defined once on prometheus_client's default registry.

Each process (bot, web) serves its own /metrics: counters are per process and Prometheus adds
them up. Labels are closed sets (outcomes, kinds, pages), never a user, a chat or a path, so
the number of series stays fixed; each is made here at 0, so a rate() has a series to read
before the first event.
"""

from __future__ import annotations

from prometheus_client import (
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

disable_created_metrics()  # a *_created series beside each counter: twice the series, unused
#: What generate_latest writes (the classic text format), in words every Prometheus reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

UPDATES = Counter("loa_updates_total", "Telegram updates, by what became of them",
                  ["outcome"])
UPDATE_SECONDS = Histogram("loa_update_seconds", "Time to handle one update", buckets=(
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
INBOX_BACKLOG = Gauge("loa_inbox_backlog", "Updates received, not handled yet")
OUTBOX_BACKLOG = Gauge("loa_outbox_backlog", "Deliveries due or claimed, not sent yet")
SENDS = Counter("loa_sends_total", "Messages sent or edited, by outcome: sent; retried (429, "
                "network error or 5xx: tried again); blocked (403); failed (given up)",
                ["outcome"])
TELEGRAM_429 = Counter("loa_telegram_429_total", "429 answers (Too Many Requests) seen")
SEND_PACE = Gauge("loa_send_pace", "Messages a second the rate limiter allows now (lowered "
                  "by a 429, then growing back)")
REMINDERS = Counter("loa_reminders_sent_total", "Reminders put in the outbox by the "
                    "reminder clock, by kind", ["kind"])
WEB_HITS = Counter("loa_web_hits_total", "Requests to the public page, by page", ["page"])

LABELS = {
    UPDATES: ("handled", "failed", "set_aside", "dropped", "duplicate"),
    SENDS: ("sent", "retried", "blocked", "failed"),
    REMINDERS: ("deadline", "summary", "pledge", "result"),
    WEB_HITS: ("index", "campaign", "photo", "api", "static", "not_found"),
}
for metric, values in LABELS.items():
    for value in values:
        metric.labels(value)


def render(outbox_backlog: int | None, inbox_backlog: int | None) -> tuple[bytes, str]:
    """The body and content type of /metrics. The backlogs come from the database at each
    scrape: it holds them for every process, and a gauge set elsewhere would go stale (None:
    the database did not answer; the last values stay)."""
    if outbox_backlog is not None:
        OUTBOX_BACKLOG.set(outbox_backlog)
    if inbox_backlog is not None:
        INBOX_BACKLOG.set(inbox_backlog)
    return generate_latest(REGISTRY), CONTENT_TYPE
