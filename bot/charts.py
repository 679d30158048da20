"""PNG charts for a phone screen: per area against the target, day by day, reports per area.

matplotlib's object-oriented API with the Agg canvas only (no pyplot, whose state is global):
charts are drawn in worker threads, several at once. DejaVu Sans, bundled with matplotlib, has
every Vietnamese letter. An image is 1080 px wide and grows with its bars; a long list of areas
is cut into pages of PAGE bars, reached with ◀ n/N ▶.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import format_skeleton
from babel.numbers import format_decimal

from bot.i18n import N_, Translator

PAGE = 25  # bars on one image: still readable on a phone
WIDTH, DPI = 7.2, 150  # inches and dots per inch: 1080 px wide
FONT, SMALL, TITLE = 15, 12, 18
LABEL_CHARS = 24  # an area's name on the left, cut beyond this
PLEDGED, RECEIVED, TARGET = "#9ecae1", "#08519c", "#d62728"
REPORTED, MISSING = "#31a354", "#fd8d3c"
SHORT_UNITS = ((1_000_000_000, N_("{n}B")), (1_000_000, N_("{n}M")), (1_000, N_("{n}K")))


def short_money(_: Translator, amount: float) -> str:
    """An axis label in the reader's words: "1,5 tỷ", "500 triệu"; "1.5B", "500M" in English."""
    for unit, words in SHORT_UNITS:
        if abs(amount) >= unit:
            return _(words, n=format_decimal(amount / unit, "#,##0.#", locale=_.locale))
    return format_decimal(amount, "#,##0", locale=_.locale)


def page_count(bars: int) -> int:
    return max(1, math.ceil(bars / PAGE))


def page_of(items: Sequence, page: int) -> Sequence:
    return items[page * PAGE:(page + 1) * PAGE]


def _cut(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[:LABEL_CHARS - 1].rstrip() + "…"


def _figure(height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _value_axis(ax, axis: str = "x", formatter=None, integer: bool = False) -> None:
    """Few ticks, a light grid along them, no frame on top and right."""
    from matplotlib.ticker import MaxNLocator

    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(MaxNLocator(4, integer=integer))
    if formatter is not None:
        target.set_major_formatter(formatter)
    ax.tick_params(labelsize=SMALL)
    ax.grid(axis=axis, alpha=0.3)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _money_axis(_: Translator, ax, axis: str = "x") -> None:
    from matplotlib.ticker import FuncFormatter

    _value_axis(ax, axis, FuncFormatter(lambda value, _pos: short_money(_, value)))


def _title(fig, title: str, subtitle: str) -> None:
    import textwrap

    fig.suptitle("\n".join(textwrap.wrap(title, 40, max_lines=2, placeholder=" …")),
                 fontsize=TITLE, fontweight="bold")
    if subtitle:
        fig.supxlabel(subtitle, fontsize=SMALL, color="#555555")


def _names(ax, labels: Sequence[str]) -> None:
    ax.set_yticks(range(len(labels)), [_cut(n) for n in labels], fontsize=FONT)
    ax.invert_yaxis()  # the first area at the top, as in the list
    ax.set_ylim(len(labels) - 0.5, -0.5)


@dataclass(frozen=True)
class MoneyBar:
    name: str
    pledged: int
    received: int


def areas_chart(_: Translator, title: str, bars: Sequence[MoneyBar], overall: MoneyBar,
                target: int, page: int = 0) -> bytes:
    """Above: the whole campaign, pledged and received, against its target; below: one page of
    areas, pledged and received side by side."""
    shown = page_of(bars, page)
    fig = _figure(3.6 + 0.52 * len(shown))
    top, below = fig.subplots(2, 1, height_ratios=[1.3, 0.52 * len(shown) + 0.4])
    top.barh([0, 1], [overall.pledged, overall.received], color=[PLEDGED, RECEIVED],
             height=0.7)
    top.set_yticks([0, 1], [_("Pledged"), _("Received")], fontsize=FONT)
    top.set_ylim(1.6, -0.6)
    top.bar_label(top.containers[0], [short_money(_, v) for v in (overall.pledged,
                                                                  overall.received)],
                  padding=4, fontsize=SMALL)
    if target:
        top.axvline(target, color=TARGET, linewidth=2.5, linestyle="--",
                    label=_("Target {amount}", amount=short_money(_, target)))
        top.legend(fontsize=SMALL, loc="lower right", frameon=False,
                   bbox_to_anchor=(1, 1), borderaxespad=0)
    top.set_xlim(0, max(target, overall.pledged, overall.received, 1) * 1.2)
    _money_axis(_, top)
    rows = range(len(shown))
    below.barh([r - 0.2 for r in rows], [b.pledged for b in shown], height=0.4,
               color=PLEDGED, label=_("Pledged"))
    below.barh([r + 0.2 for r in rows], [b.received for b in shown], height=0.4,
               color=RECEIVED, label=_("Received"))
    below.bar_label(below.containers[0], [short_money(_, b.pledged) if b.pledged else ""
                                          for b in shown], padding=3, fontsize=SMALL - 1)
    _names(below, [b.name for b in shown])
    below.set_xlim(0, max([b.pledged for b in shown] + [b.received for b in shown] + [1]) * 1.18)
    below.legend(fontsize=SMALL, loc="lower right", ncols=2, frameon=False,
                 bbox_to_anchor=(1, 1), borderaxespad=0)
    below.set_title(_("By area"), fontsize=FONT, loc="left", pad=8)
    _money_axis(_, below)
    _title(fig, title, _page_words(_, page, page_count(len(bars))))
    return _png(fig)


def daily_chart(_: Translator, title: str, days: Sequence[tuple[date, int]],
                target: int) -> bytes:
    """Money received day by day (bars) and in all (the line) against the target."""
    fig = _figure(6.4)
    ax = fig.subplots()
    if days:
        total, running = 0, []
        for _day, amount in days:
            total += amount
            running.append(total)
        when = [d for d, _amount in days]
        ax.bar(when, [a for _d, a in days], color=PLEDGED, label=_("Received that day"),
               width=0.8)
        ax.plot(when, running, color=RECEIVED, linewidth=3, marker="o", markersize=5,
                label=_("Received in all"))
        ax.annotate(short_money(_, total), (when[-1], total), textcoords="offset points",
                    xytext=(0, 8), ha="center", fontsize=SMALL, color=RECEIVED)
        _value_axis(ax, "x", _date_formatter(_), integer=True)
        if len(days) == 1:
            from matplotlib.dates import date2num
            ax.set_xlim(date2num(when[0]) - 3, date2num(when[0]) + 3)
    else:
        ax.text(0.5, 0.5, _("No money received yet."), ha="center", va="center",
                fontsize=FONT, transform=ax.transAxes)
        ax.set_xticks([])
    if target:
        ax.axhline(target, color=TARGET, linewidth=2.5, linestyle="--",
                   label=_("Target {amount}", amount=short_money(_, target)))
    ax.set_ylim(0, max(target, 1, sum(a for _d, a in days)) * 1.15)
    _money_axis(_, ax, "y")
    if not days and not target:
        ax.set_yticks([])
    if days or target:
        ax.legend(fontsize=SMALL, loc="lower left", frameon=False, bbox_to_anchor=(0, 1),
                  borderaxespad=0)
    _title(fig, title, _("Money received, day by day"))
    return _png(fig)


def _date_formatter(_: Translator):
    from matplotlib.dates import num2date
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _pos: format_skeleton("Md", num2date(value).date(),
                                                             locale=_.locale))


@dataclass(frozen=True)
class ReportBar:
    name: str
    reported: int
    missing: int


def reports_chart(_: Translator, title: str, bars: Sequence[ReportBar], page: int = 0) -> bytes:
    """Areas that reported and those still missing, stacked, one bar per group of areas."""
    shown = page_of(bars, page)
    fig = _figure(2.4 + 0.5 * max(len(shown), 1))
    ax = fig.subplots()
    rows = range(len(shown))
    done = [b.reported for b in shown]
    ax.barh(rows, done, color=REPORTED, height=0.7, label=_("Reported"))
    ax.barh(rows, [b.missing for b in shown], left=done, color=MISSING, height=0.7,
            label=_("Missing"))
    ax.bar_label(ax.containers[1], [f"{_.number(b.reported)}/{_.number(b.reported + b.missing)}"
                                    for b in shown], padding=4, fontsize=SMALL)
    _names(ax, [b.name for b in shown])
    ax.set_xlim(0, max([b.reported + b.missing for b in shown] + [1]) * 1.2)
    _value_axis(ax, integer=True)
    ax.legend(fontsize=SMALL, loc="lower right", ncols=2, frameon=False,
              bbox_to_anchor=(1, 1), borderaxespad=0)
    _title(fig, title, _page_words(_, page, page_count(len(bars))))
    return _png(fig)


def _page_words(_: Translator, page: int, count: int) -> str:
    return _("Page {page} of {count}", page=_.number(page + 1), count=_.number(count)) \
        if count > 1 else ""
