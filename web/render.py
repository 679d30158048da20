"""The public page as HTML: small templates (string.Template), CSS bars, an SVG chart drawn
here. No JavaScript: a cheap phone on a slow line gets one small document and one stylesheet."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, datetime
from functools import cache
from html import escape
from pathlib import Path
from string import Template
from urllib.parse import quote

from bot.i18n import N_, Translator, language_name
from models.support import KIND_NAMES, Kind
from web.figures import AreaLine, CampaignLink, ItemLine, PageFigures

TEMPLATES = Path(__file__).resolve().parent / "templates"
CHART_WIDTH, CHART_HEIGHT, CHART_TOP = 600, 200, 30
OF_TARGET = N_("{percent} of the target")
OF_PLEDGED = N_("{percent} of the pledged")
OF_RECEIVED = N_("{percent} of the received")
HOUSE_PHOTO = N_("Finished house {number}: {target}")


@cache
def template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def switch(lang: str, languages: tuple[str, ...], path: str) -> str:
    """Links to the page in the other languages, each named in itself (path may have a
    query: an area's table)."""
    joint = "&amp;" if "?" in path else "?"
    return " · ".join(
        f'<a href="{escape(path)}{joint}lang={code}" hreflang="{code}" lang="{code}">'
        f"{escape(language_name(code))}</a>"
        for code in languages if code != lang)


def _bar(value: int, whole: int, _: Translator, of: str) -> str:
    """A number's share of another as a progress bar and its percentage in words."""
    if whole <= 0:
        return ""
    words = escape(_(of, percent=_.percent(value / whole)))
    return (f'<progress max="{whole}" value="{min(value, whole)}" aria-label="{words}">'
            f"</progress><small>{words}</small>")


def _figure(term: str, value: str, bar: str = "") -> str:
    """value and bar are HTML already."""
    bar = f"<dd>{bar}</dd>" if bar else ""
    return f"<div><dt>{escape(term)}</dt><dd>{value}</dd>{bar}</div>"


def figures_list(_: Translator, f: PageFigures) -> str:
    """Target, pledged, received and given: each a number and a bar."""
    base = f.target or f.pledged
    rows = []
    if f.target:
        rows.append(_figure(_("Target"), escape(_.money(f.target))))
    rows.append(_figure(_("Pledged"), escape(_.money(f.pledged)) + " · " + escape(
        _.ngettext("{n} pledger", "{n} pledgers", f.pledgers)),
        _bar(f.pledged, f.target, _, OF_TARGET)))
    rows.append(_figure(_("Received"), escape(_.money(f.received)),
                        _bar(f.received, base, _, OF_TARGET if f.target else OF_PLEDGED)))
    rows.append(_figure(_("Given"), escape(_.money(f.given.total)),
                        _bar(f.given.total, f.received, _, OF_RECEIVED)))
    return "\n".join(rows)


def _thumbnails(_: Translator, f: PageFigures, item: ItemLine) -> str:
    """Small lazy-loaded pictures of the finished houses (web/photos.py makes them)."""
    if not item.photos:
        return ""
    pictures = "".join(
        f'<li><img src="/c/{escape(f.prefix)}/photos/{key}.jpg" loading="lazy" width="160" '
        f'height="120" alt="{escape(_(HOUSE_PHOTO, number=n, target=item.name))}"></li>'
        for n, key in enumerate(item.photos, 1))
    return f'<ul class="photos">{pictures}</ul>'


def items_section(_: Translator, f: PageFigures, photos: bool = False) -> str:
    """Each item target and its progress; with `photos`, the finished houses' thumbnails."""
    if not f.items:
        return ""
    lines = []
    for item in f.items:
        text = _("{name}: {pledged} of {quantity} pledged, {received} received",
                 name=item.name, pledged=_.number(item.pledged),
                 quantity=_.number(item.quantity), received=_.number(item.received))
        if item.started or item.finished:
            text += "; " + _("{started} being built, {finished} finished",
                             started=_.number(item.started), finished=_.number(item.finished))
        lines.append(f'<li>{escape(text)}<progress max="{item.quantity}" '
                     f'value="{min(item.received, item.quantity)}" aria-label="{escape(text)}">'
                     f"</progress>{_thumbnails(_, f, item) if photos else ''}</li>")
    heading = _("Item targets")
    return (f'<section aria-labelledby="items"><h2 id="items">{escape(heading)}</h2>'
            f"<ul>{''.join(lines)}</ul></section>")


#: At most this many lines in the area table: a province's 11,011 areas would make a page of
#: 1.25 MB, so a big tree is cut at the deepest level that fits, each cut area a link to its own
#: table (?area=CODE). A district's 300 areas still show at once.
AREA_LINES = 500


def _row(_: Translator, line: AreaLine, depth: int, link: str | None = None) -> str:
    name = escape(line.name)
    if link:
        name = f'<a href="{escape(link)}">{name}</a>'
    return (f'<tr><th scope="row" class="d{min(depth, 3)}">{name}</th>'
            f"<td>{escape(_.money(line.pledged))}</td><td>{escape(_.money(line.received))}</td>"
            f"<td>{line.pledges}</td><td>{escape(_.money(line.given))}</td></tr>")


def subtree(lines: list[AreaLine], code: str) -> list[AreaLine] | None:
    """The area's line and every line below it, depths counted from it; None when absent."""
    for i, line in enumerate(lines):
        if line.code == code:
            end = i + 1
            while end < len(lines) and lines[end].depth > line.depth:
                end += 1
            return [replace(one, depth=one.depth - line.depth) for one in lines[i:end]]
    return None


def shown_depth(lines: list[AreaLine]) -> int:
    """The deepest level whose lines, with those above, fit in AREA_LINES (at least 1)."""
    counts = Counter(line.depth for line in lines)
    depth, total = 1, counts[0] + counts[1]
    while counts[depth + 1] and total + counts[depth + 1] <= AREA_LINES:
        depth += 1
        total += counts[depth]
    return depth


def areas_section(_: Translator, f: PageFigures, area: str | None = None) -> str:
    """One collapsible table per area directly below the campaign's (or below `area`), with
    every area under it on its own line, down to shown_depth; pledges counted at the top area
    itself get a line of their own."""
    lines = subtree(f.areas, area) if area else f.areas
    if not lines:
        return ""
    root, rest = lines[0], lines[1:]
    deepest = shown_depth(lines)
    head = (f'<thead><tr><th scope="col">{escape(_("Area"))}</th>'
            f'<th scope="col">{escape(_("Pledged"))}</th>'
            f'<th scope="col">{escape(_("Received"))}</th>'
            f'<th scope="col">{escape(_("Pledges"))}</th>'
            f'<th scope="col">{escape(_("Given"))}</th></tr></thead>')
    groups: list[list[tuple[AreaLine, str | None]]] = []
    for i, line in enumerate(rest):
        if line.depth > deepest:
            continue
        cut = line.depth == deepest and i + 1 < len(rest) and rest[i + 1].depth > deepest
        link = f"/c/{f.prefix}?area={quote(line.code)}&lang={_.lang}" if cut else None
        if line.depth == 1:
            groups.append([(line, link)])
        elif groups:
            groups[-1].append((line, link))
    tops = [g[0][0] for g in groups]
    own = AreaLine(root.code, root.name, root.level, 0, None,
                   root.pledged - sum(t.pledged for t in tops),
                   root.received - sum(t.received for t in tops),
                   root.pledges - sum(t.pledges for t in tops),
                   root.given - sum(t.given for t in tops))
    if not groups:
        groups.append([(own, None)])
    elif own.pledges or own.given:
        groups.append([(AreaLine(own.code, _("{area} (directly)", area=own.name), own.level, 1,
                                 None, own.pledged, own.received, own.pledges, own.given),
                        None)])
    out = []
    if area:
        out.append("<p>" + escape(_("{area} and the areas below it.", area=root.name)) +
                   f' <a href="/c/{escape(f.prefix)}?lang={_.lang}">' +
                   escape(_("The whole campaign")) + "</a></p>")
    if len(lines) > sum(len(g) for g in groups) + 1:
        out.append("<p>" + escape(_("Too many areas for one page: open an area's name to see "
                                    "the areas below it.")) + "</p>")
    for group in groups:
        top = group[0][0]
        parts = [_.money(top.pledged), _("received {received}", received=_.money(top.received))]
        if top.given:
            parts.append(_("given {given}", given=_.money(top.given)))
        summary = escape(f"{top.name}: " + " · ".join(parts))
        rows = "".join(_row(_, line, line.depth - 1, link) for line, link in group)
        out.append(f'<details><summary>{summary}</summary><div class="wide"><table><caption>'
                   f"{escape(top.name)}</caption>{head}<tbody>{rows}</tbody></table></div>"
                   "</details>")
    return "\n".join(out)


def chart(_: Translator, days: list[tuple[date, int]],
          given: list[tuple[date, int]] | None = None) -> str:
    """Money received (and given) each day as an inline SVG bar chart, described in words."""
    if not days and not given:
        return "<p>" + escape(_("Nothing received yet.")) + "</p>"
    received = dict(days)
    out = dict(given or [])
    span = sorted(set(received) | set(out))
    first, last = span[0], span[-1]
    count = (last - first).days + 1
    top = max([*received.values(), *out.values(), 1])
    step = CHART_WIDTH / count
    width = max(step * (0.45 if given is not None else 0.8), 1)
    scale = (CHART_HEIGHT - CHART_TOP) / top
    bars = []
    for series, css, shift in ((received, "", 0.0), (out, ' class="given"', width)):
        for day, amount in series.items():
            x = (day - first).days * step + shift
            h = amount * scale
            bars.append(f'<rect{css} x="{x:.1f}" y="{CHART_HEIGHT - h:.1f}" width="{width:.1f}" '
                        f'height="{h:.1f}"><title>{escape(_.date(day))}: '
                        f"{escape(_.money(amount))}</title></rect>")
    biggest = max(days, key=lambda pair: pair[1]) if days else (first, 0)
    words = _("Money received each day from {start} to {end}; the most in one day: {amount} on "
              "{date}.", start=_.date(first), end=_.date(last), amount=_.money(biggest[1]),
              date=_.date(biggest[0]))
    if out:  # the second series, in green, said in words too
        words += " " + _("Support given (green): {amount} in all.",
                         amount=_.money(sum(out.values())))
    labels = (f'<text x="0" y="{CHART_HEIGHT + 22}">{escape(_.date(first))}</text>'
              f'<text x="{CHART_WIDTH}" y="{CHART_HEIGHT + 22}" text-anchor="end">'
              f"{escape(_.date(last))}</text>"
              f'<text x="0" y="20">{escape(_.money(top))}</text>')
    return (f'<figure><svg viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT + 28}" role="img" '
            f'aria-labelledby="chart-words">{"".join(bars)}{labels}</svg>'
            f'<figcaption id="chart-words">{escape(words)}</figcaption></figure>')


def honour_section(_: Translator, f: PageFigures) -> str:
    if not f.honour:
        return "<p>" + escape(_("Nobody on the roll yet: pledges appear here once they are "
                                "received.")) + "</p>"
    lines = []
    for line in f.honour:
        what = _.money(line.amount)
        if line.item:
            what = (f"{_.number(line.quantity)} × " if line.quantity else "") + line.item + \
                (f", {_.money(line.amount)}" if line.amount else "")
        if not line.received:
            what += " · " + _("registered, not yet received")
        lines.append(f"<li>{escape(line.name)} — {escape(what)}</li>")
    return f"<ol>{''.join(lines)}</ol>"


def helped_section(_: Translator, f: PageFigures) -> str:
    """As a commune notice board: "N.V.A. — Ấp 1 — 2.000.000 ₫, 03/12/2026"; never a name."""
    if f.helped is None:
        return ""
    shown, total = f.helped
    lines = []
    for h in shown:
        what = _.money(h.value) if h.kind == Kind.MONEY else (
            _(KIND_NAMES[Kind(h.kind)]) + (f" {_.money(h.value)}" if h.value else ""))
        lines.append(f"<li>{escape(f'{h.initials} — {h.village} — {what}, {_.date(h.given_on)}')}"
                     "</li>")
    body = f"<ol>{''.join(lines)}</ol>" if lines else "<p>" + escape(
        _("No household has been helped yet.")) + "</p>"
    more = "" if total <= len(shown) else "<p>" + escape(_(
        "The newest {shown} of {total}.", shown=_.number(len(shown)), total=_.number(total))
    ) + "</p>"
    heading = _("Households helped")
    return (f'<section aria-labelledby="helped"><h2 id="helped">{escape(heading)}</h2>'
            f"{body}{more}</section>")


def page(_: Translator, f: PageFigures, languages: tuple[str, ...], updated: datetime,
         photos: bool = False, area: str | None = None) -> str:
    """The campaign's page; with `area` (a code of its table), the table from that area down."""
    status = "" if f.status == "open" else f" · {_(f.status)}"
    return template("page.html").substitute(
        lang=_.lang, title=escape(f.name), name=escape(f.name), where=escape(f.area),
        prefix=escape(f.prefix), languages_label=escape(_("Language")),
        switch=switch(_.lang, languages, f"/c/{f.prefix}" + (
            f"?area={quote(area)}" if area else "")),
        dates=escape(f"{_.date(f.starts_on)} – {_.date(f.ends_on)}{status}"),
        money_heading=escape(_("The fund")), figures=figures_list(_, f),
        items=items_section(_, f, photos), areas_heading=escape(_("By area")),
        areas=areas_section(_, f, area), days_heading=escape(_("Received and given day by day")),
        chart=chart(_, f.received_by_day, f.given.by_day), helped=helped_section(_, f),
        honour_heading=escape(_("Honour roll")), honour=honour_section(_, f),
        updated=escape(_("Last updated {time}", time=_.datetime(updated))),
        all_campaigns=escape(_("All campaigns")))


def index(_: Translator, links: list[CampaignLink], languages: tuple[str, ...]) -> str:
    if links:
        items = "".join(
            f'<li><a href="/c/{escape(c.prefix)}">{escape(c.name)}</a> — {escape(c.area)}, '
            f"{escape(_.date(c.starts_on))} – {escape(_.date(c.ends_on))}</li>" for c in links)
        body = f"<ul>{items}</ul>"
    else:
        body = "<p>" + escape(_("There is no campaign yet.")) + "</p>"
    return template("index.html").substitute(
        lang=_.lang, title=escape(_("Campaigns")), languages_label=escape(_("Language")),
        switch=switch(_.lang, languages, "/"), campaigns=body)


def not_found(_: Translator, languages: tuple[str, ...]) -> str:
    return template("index.html").substitute(
        lang=_.lang, title=escape(_("This campaign does not exist.")),
        languages_label=escape(_("Language")), switch=switch(_.lang, languages, "/"),
        campaigns=f'<p><a href="/">{escape(_("All campaigns"))}</a></p>')
