"""Choosing an area: walk the tree with buttons (paged, with Back) or type part of a name.

One picker serves every flow that needs an area (onboarding, /area, /invite, later campaigns,
broadcasts, deadlines). Each flow makes a Picker with its purpose, the top of the tree the
person may reach, and what happens on a pick. Button data is "ap:<purpose>:<o|p>:<id>:<page>";
it is checked again on the server when pressed, since callback data can be forged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.context import Me, escape, presser, reply, services
from handlers.router import nav_row
from models.areas import Area, child_page, get_area, having_children, label, search
from models.dialogs import get_dialog
from models.users import Actor, Role

PAGE_SIZE = 8
RESULTS = 8

OnPick = Callable[[Update, ContextTypes.DEFAULT_TYPE, Me, Area], Awaitable[None]]


@dataclass(frozen=True)
class View:
    node: Area | None
    node_label: str
    children: list[tuple[Area, bool]]
    total: int


def _view(session: Session, node_id: int | None, page: int) -> View:
    node = get_area(session, node_id)
    children, total = child_page(session, node.id if node else None, page * PAGE_SIZE,
                                 PAGE_SIZE)
    return View(node, label(session, node) if node else "", children, total)


def _search(session: Session, text: str, root_id: int | None) -> list[tuple[Area, str, bool]]:
    within = get_area(session, root_id)
    found = search(session, text, within, RESULTS)
    parents = having_children(session, found)
    levels = defaultdict(set)  # huyện and thị trấn Thủ Thừa: say which is which
    for a in found:
        levels[a.name].add(a.level)
    return [(a, (a.level + " " if len(levels[a.name]) > 1 else "") + label(session, a),
             a.id in parents) for a in found]


@dataclass(frozen=True)
class Picker:
    purpose: str
    prompt: str  # already marked with N_; translated when shown
    on_pick: OnPick
    scoped: bool = False  # True: only inside the person's scope (admins: anywhere)
    allowed: Callable[[Actor], bool] = lambda actor: True  # who may use this picker at all
    steps: tuple[tuple[str, str], ...] = ()  # (flow, step) a press must belong to

    def root(self, person: Me) -> Area | None:
        return person.actor.scope if self.scoped else None

    def may_see(self, person: Me, area: Area | None) -> bool:
        """Checked on every press: a scoped picker never leaves the person's scope."""
        if not self.allowed(person.actor):
            return False
        if not self.scoped:
            return True
        return person.actor.role is Role.ADMIN if area is None else person.actor.covers(area)

    def _data(self, op: str, area_id: int | None, page: int = 0) -> str:
        return f"ap:{self.purpose}:{op}:{area_id or 0}:{page}"

    async def show(self, update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                   node_id: int | None = None, page: int = 0, to: int | None = None) -> None:
        """The tree at one node: its children as buttons, Choose-this and Back below; `to`
        sends it to that chat (the person's private one) rather than answering in place."""
        _ = person._
        root = self.root(person)
        if node_id is None and root is not None:
            node_id = root.id
        view = await services(context).db.run(_view, node_id, page)
        rows, row = [], []
        for child, has_children in view.children:
            op = "o" if has_children else "p"
            row.append(InlineKeyboardButton(child.name + (" ›" if has_children else ""),
                                            callback_data=self._data(op, child.id)))
            if len(row) == 2:
                rows.append(row)
                row = []
        if row:
            rows.append(row)
        nav = []
        if page > 0:
            nav.append(InlineKeyboardButton("◀", callback_data=self._data("o", node_id,
                                                                          page - 1)))
        if (page + 1) * PAGE_SIZE < view.total:
            nav.append(InlineKeyboardButton("▶", callback_data=self._data("o", node_id,
                                                                          page + 1)))
        if nav:
            rows.append(nav)
        if view.node is not None:
            rows.append([InlineKeyboardButton(_("✅ Choose all of {level} {area}",
                                                level=view.node.level, area=view.node.name),
                                              callback_data=self._data("p", view.node.id))])
            if root is None or view.node.id != root.id:
                rows.append([InlineKeyboardButton(_("⬅ Back"), callback_data=self._data(
                    "o", view.node.parent_id))])
        if self.steps:  # inside a flow: it can be left here too
            rows.append(nav_row(_, back=False))
        text = _(self.prompt)
        if view.node is not None:
            text += "\n" + _("Now at: <b>{area}</b> ({level})", area=escape(view.node_label),
                             level=escape(view.node.level))
        if not view.total and view.node is None:
            text += "\n" + _("No areas have been loaded yet: ask the administrator.")
        text += "\n" + _("Tap a place to open it, or type part of its name.")
        if to is not None:
            await context.bot.send_message(to, text, reply_markup=InlineKeyboardMarkup(rows))
            return
        await reply(update, text, InlineKeyboardMarkup(rows))

    async def search(self, update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                     text: str) -> None:
        """Typed text: areas whose names contain it, ignoring case and diacritics."""
        _ = person._
        root = self.root(person)
        found = await services(context).db.run(_search, text, root.id if root else None)
        if not found:
            await reply(update, _("No area matches “{text}”. Type another part of the name, "
                                  "for example “thu thua” or “my an”.", text=escape(text[:50])))
            return
        # A commune found by name opens on its villages (and "the whole commune"), so people
        # land where they live and village-level news reaches them.
        rows = [[InlineKeyboardButton(name + (" ›" if has_children else ""),
                                      callback_data=self._data("o" if has_children else "p",
                                                               area.id))]
                for area, name, has_children in found]
        rows.append([InlineKeyboardButton(_("Browse the list instead"),
                                          callback_data=self._data("o", root.id if root
                                                                   else None))])
        await reply(update, _("Which one do you mean?"), InlineKeyboardMarkup(rows))

    async def _pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        person = await presser(update, context)
        if person is None:
            return
        _ = person._
        try:
            _prefix, _purpose, op, raw_id, raw_page = query.data.split(":")
            area_id, page = int(raw_id) or None, max(0, int(raw_page))
            if op not in ("o", "p"):
                raise ValueError(op)
        except ValueError:
            await query.answer(_("This button is not valid."), show_alert=True)
            return
        db = services(context).db
        area = await db.run(get_area, area_id)
        if (area_id and area is None) or not self.may_see(person, area):
            await query.answer(_("That area is outside what you may choose."), show_alert=True)
            return
        dialog = await db.run(get_dialog, person.id)
        if self.steps and (dialog is None or (dialog.flow, dialog.step) not in self.steps):
            await query.answer(_("This button has expired."), show_alert=True)
            return
        await query.answer()
        if op == "p" and area is not None:
            await self.on_pick(update, context, person, area)
        else:
            await self.show(update, context, person, area_id, page)

    def handler(self) -> CallbackQueryHandler:
        return CallbackQueryHandler(self._pressed, pattern=f"^ap:{self.purpose}:")
