"""`loa reconcile FILE --campaign PREFIX [--apply]`: the chat's summary, from the office
computer; the same words as in the chat (handlers/reconcile.py), as plain text."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlmodel import Session, select

from bot.config import Config
from bot.context import translator
from bot.db import Database
from bot.pages import visible
from handlers.reconcile import (
    OUTCOMES,
    ROLES,
    applied_text,
    line_text,
    problem_text,
    summary_text,
    thanks,
)
from models.base import utcnow
from models.campaigns import Campaign
from models.reconcile import PLANNED, apply_plan, make_plan, office_actor
from models.statements import (
    MAX_BYTES,
    NAMES,
    Question,
    StatementProblem,
    known_layout,
    read_statement,
    remember_layout,
)


def _columns(args: argparse.Namespace, failure: type[Exception]) -> dict[str, int]:
    columns = {}
    for given in args.column:
        role, _sep, number = given.partition("=")
        if role not in NAMES or not number.isdigit() or int(number) < 1:
            raise failure(f"--column {given}: write ROLE=N, e.g. credit=3 (roles: "
                          f"{', '.join(NAMES)})")
        columns[role] = int(number) - 1
    return columns


def reconcile(config: Config, db: Database, args: argparse.Namespace,
              failure: type[Exception]) -> None:
    _ = translator(config, args.lang)
    path = Path(args.file)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise failure(f"{path}: {visible(problem_text(_, StatementProblem('too_large')))}")
        content = path.read_bytes()
    except OSError as exc:
        raise failure(f"{path}: cannot read it ({exc.strerror})") from None
    columns = _columns(args, failure)

    def run(session: Session):
        campaign = session.exec(select(Campaign).where(
            Campaign.ref_prefix == args.campaign.strip().upper())).first()
        if campaign is None:
            raise failure(f"no campaign with the code prefix {args.campaign}")
        found = read_statement(path.name, content, lambda sig: known_layout(session, sig),
                               columns)
        if isinstance(found, Question):
            return found
        if columns:
            remember_layout(session, found.signature, columns)
        if not args.apply:
            return make_plan(session, office_actor(), campaign.id, found), None
        return apply_plan(session, office_actor(), campaign.id, found, utcnow(),
                          thanks(config), args.accept_amounts, args.gifts)

    try:
        result = db.call(run)
    except StatementProblem as problem:
        raise failure(f"{path}: {visible(problem_text(_, problem))}") from None
    if isinstance(result, Question):
        heads = ", ".join(f"{i + 1}={h}" for i, h in result.choices)
        raise failure(f"{path}: which column holds {_(ROLES[result.role])}? ({heads}); "
                      f"answer with --column {result.role}=N")
    plan, applied = result
    print(visible(summary_text(_, plan)))
    for outcome in PLANNED:
        if plan.count(outcome):
            print(f"\n{visible(_(OUTCOMES[outcome]))}")
            for line in plan.lines[outcome]:
                print(visible(line_text(_, line)))
    if applied is not None:
        print("\n" + applied_text(_, applied))
