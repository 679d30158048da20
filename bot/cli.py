"""The `loa` command: run the bot, the sandbox, migrations, area and household imports, roles
and exports.

Every failure a person can cause (a missing token, a bad file, an unknown area) ends with one
clear line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError
from telegram.error import InvalidToken, NetworkError

from bot import loop
from bot.config import Config, ConfigError, load_config
from bot.db import Database
from bot.exporting import FORMATS, expected_rows, tables, write
from bot.i18n import (
    DOMAIN,
    LANGUAGE_CODE,
    LANGUAGE_NAME,
    LOCALES_DIR,
    TEMPLATE,
    Translator,
    catalog_path,
)
from bot.logs import setup_logging
from bot.migrate import upgrade
from models.areas import AreaImportError, by_code, import_areas, parse_csv
from models.exports import NotInside, campaign_by_prefix
from models.households import HouseholdImportError, import_households, parse_households_csv
from models.invites import revoke_role
from models.users import AccessDenied, Actor, NotAVillage, Role, User, grant, list_users

log = logging.getLogger("loa")


class Failure(Exception):
    """A problem worded for the operator: printed as one line, exit code 1."""


def _db(config: Config) -> Database:
    upgrade(config.database_url)
    return Database(config.database_url)


def cmd_run(config: Config, args: argparse.Namespace) -> None:
    from bot.app import build_application, run

    config.require_token()
    webhook = args.webhook or config.webhook_url is not None
    if webhook and config.webhook_url is None:
        raise ConfigError("LOA_WEBHOOK_URL is not set: give the https address Telegram posts "
                          "to, e.g. https://loa.example.vn/telegram (webhook.url)")
    if webhook and config.webhook_secret is None:
        raise ConfigError("LOA_WEBHOOK_SECRET is not set: webhook mode needs a secret in the "
                          "environment, e.g. from: python -c 'import secrets; "
                          "print(secrets.token_urlsafe(32))'")
    lock = _one_sqlite_process(config.database_url)  # noqa: F841 (held while Loa runs)
    app = build_application(config, _db(config))
    log.info("starting: %s", f"webhook {config.webhook_url}" if webhook else
             f"polling {config.api_url}")
    loop.run(run(app, webhook))
    log.info("stopped cleanly")


def _one_sqlite_process(url: str) -> TextIO | None:
    """SQLite serves one Loa process: a second `loa run` on the same file stops at once.
    (Several processes need PostgreSQL.) The lock goes with the process, however it ends."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise Failure(f"another Loa process (pid {holder}) already runs on {parsed.database}: "
                      "SQLite serves one process; for several workers use PostgreSQL "
                      "(LOA_DATABASE_URL)") from None
    handle.truncate(0)
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def cmd_inbox_failed(config: Config, args: argparse.Namespace) -> None:
    from models.inbox import set_aside

    rows = _db(config).call(set_aside, args.limit)
    if not rows:
        print("no update is set aside")
    for row in rows:
        print(f"{row.id}\tperson {row.person or '-'}\t{row.received_at:%Y-%m-%d %H:%M:%S}Z\t"
              f"{row.tries} tries\t{row.error}\t{_what(row.payload)}")


def _what(payload: str) -> str:
    """What the person did, in a few words: the text they typed or the button they pressed."""
    data = json.loads(payload)
    for kind, body in data.items():
        if isinstance(body, dict):
            said = body.get("text") or body.get("data") or body.get("caption") or ""
            return f"{kind}: {said[:60]!r}" if said else kind
    return "?"


def cmd_inbox_retry(config: Config, args: argparse.Namespace) -> None:
    from models.inbox import retry

    try:
        _db(config).call(retry, args.id)
    except LookupError as exc:
        raise Failure(f"{exc.args[0]} (see loa inbox failed)") from None
    print(f"{args.id}: back in its person's queue; a running Loa handles it within seconds")


def cmd_web(config: Config, args: argparse.Namespace) -> None:
    """The public page alone (the bot elsewhere, or none): needs web.listen."""
    from bot.http import serve_page

    if not config.web_listen:
        raise ConfigError("LOA_WEB_LISTEN is not set: give host:port, e.g. 127.0.0.1:8080 "
                          "(web.listen in config.toml)")
    loop.run(serve_page(config, _db(config)))


def cmd_sandbox(config: Config, args: argparse.Namespace) -> None:
    from bot.sandbox import run_sandbox

    run_sandbox(config, keep=args.keep)


def cmd_db_upgrade(config: Config, args: argparse.Namespace) -> None:
    upgrade(config.database_url)
    print("database is up to date")


def cmd_backup(config: Config, args: argparse.Namespace) -> None:
    """A consistent copy of a SQLite database while Loa runs (SQLite's online backup: pages
    are copied between writes). PostgreSQL has pg_dump for that."""
    url = make_url(config.database_url)
    if url.get_backend_name() != "sqlite":
        raise Failure("loa backup copies a SQLite database; for PostgreSQL use pg_dump, e.g. "
                      "pg_dump -Fc -f loa.dump DATABASE")
    source_path = Path(url.database or "")
    if not source_path.is_file():
        raise Failure(f"no database at {source_path}")
    target = Path(args.file)
    if target.exists() or target.resolve() == source_path.resolve():
        raise Failure(f"{target} exists: give a new file's name")
    part = target.with_name(target.name + ".part")
    try:
        with sqlite3.connect(source_path) as source, sqlite3.connect(part) as copy:
            source.backup(copy, pages=1024)
        part.replace(target)
    except (OSError, sqlite3.Error) as exc:
        part.unlink(missing_ok=True)
        raise Failure(f"{target}: cannot write the backup ({exc})") from None
    print(f"{target}: {target.stat().st_size} bytes, a copy of {source_path}")


def cmd_locale_init(config: Config, args: argparse.Namespace) -> None:
    """A new language's catalog from the template: every string to translate, its name set."""
    from babel.messages.pofile import read_po, write_po

    code, name = args.code, args.name.strip()
    if not LANGUAGE_CODE.fullmatch(code):
        raise Failure(f"{code!r} is not a language code: give 2 or 3 lowercase letters "
                      f"(ISO 639), e.g. bdq for Bahnar")
    if not name:
        raise Failure('--name: give the language\'s name in itself, e.g. "Tiếng Ba Na"')
    existing = catalog_path(code)
    if existing is not None:
        raise Failure(f"{existing} exists: translate on in it with Poedit or any .po editor")
    with TEMPLATE.open("rb") as fh:
        po = read_po(fh)
    po.locale, po.fuzzy = code, False
    po[LANGUAGE_NAME].string = name
    path = (config.catalogs or LOCALES_DIR) / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("xb") as fh:
            write_po(fh, po, width=0, no_location=True)
    except OSError as exc:
        raise Failure(f"{path}: cannot write it ({exc.strerror or exc})") from None
    print(f"{path}: {len(po)} strings to translate, the language named {name!r}. Until "
          f"translated they show in Vietnamese. Add {code} to locale.languages and restart Loa.")


def cmd_areas_import(config: Config, args: argparse.Namespace) -> None:
    path = Path(args.file)
    text = _read_text(path)
    db = _db(config)
    try:
        result = db.call(lambda session: import_areas(session, parse_csv(text)))
    except AreaImportError as exc:
        for line, message in exc.errors:
            print(f"{path}:{line}: {message}", file=sys.stderr)
        raise Failure(f"{path}: nothing imported ({len(exc.errors)} problem(s))") from None
    print(f"{path}: {result.created} created, {result.updated} updated, "
          f"{result.unchanged} unchanged")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Failure(f"{path}: cannot read it as UTF-8 text ({exc.__class__.__name__})") from None


def cmd_households_import(config: Config, args: argparse.Namespace) -> None:
    path = Path(args.file)
    text = _read_text(path)
    try:
        result = _db(config).call(lambda s: import_households(s, parse_households_csv(text)))
    except HouseholdImportError as exc:
        for line, message in exc.errors:
            print(f"{path}:{line}: {message}", file=sys.stderr)
        raise Failure(f"{path}: nothing imported ({len(exc.errors)} problem(s))") from None
    print(f"{path}: {result.created} created, {result.updated} updated, "
          f"{result.unchanged} unchanged" +
          (f", {result.erased} left erased" if result.erased else ""))


def cmd_grant(config: Config, args: argparse.Namespace) -> None:
    role = Role(args.role)
    if role is not Role.CITIZEN and not args.area:
        raise Failure(f"the {role} role needs --area CODE")
    try:
        user = _db(config).call(grant, args.telegram_id, role, args.area, config.head_titles)
    except (LookupError, AccessDenied) as exc:
        raise Failure(str(exc.args[0])) from None
    except NotAVillage as exc:
        raise Failure(f"{exc}; other levels can be added in config.toml [areas.head_titles]"
                      ) from None
    print(f"{user.id}: {user.role}" + (f" of area {args.area}" if args.area else ""))


def cmd_revoke(config: Config, args: argparse.Namespace) -> None:
    try:
        user = _db(config).call(revoke_role, args.telegram_id)
    except LookupError as exc:
        raise Failure(str(exc.args[0])) from None
    print(f"{user.id}: {user.role}")


def cmd_users(config: Config, args: argparse.Namespace) -> None:
    def rows(session):
        from models.areas import get_area

        out = []
        for user in list_users(session, Role(args.role) if args.role else None):
            scope = get_area(session, user.scope_area_id)
            role = "admin" if user.id in config.admins else user.role
            out.append(f"{user.id}\t{role}\t{scope.code if scope else '-'}\t{user.name}")
        return out

    for admin in sorted(config.admins):
        print(f"{admin}\tadmin (config)")
    for row in _db(config).call(rows):
        print(row)


def cmd_reconcile(config: Config, args: argparse.Namespace) -> None:
    """Print what the statement would change; with --apply, change it (one transaction)."""
    from bot.reconcile_cli import reconcile

    args.lang = _language(config, args.lang)
    reconcile(config, _db(config), args, Failure)
class ProgressBar:
    """Rows done of the rows expected, on one line of stderr, redrawn at most five times a
    second (a 100,000-row export takes seconds; the office computer should not look stuck)."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO = sys.stderr,
                 clock: Callable[[], float] = time.monotonic, every: float = 0.2):
        self.total, self.stream, self.clock, self.every = max(total, 1), stream, clock, every
        self.shown = float("-inf")

    def __call__(self, done: int) -> None:
        now = self.clock()
        if now - self.shown < self.every:
            return
        self.shown = now
        filled = self.WIDTH * min(done, self.total) // self.total
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] "
                          f"{done}/{self.total} rows")
        self.stream.flush()

    def finish(self, done: int) -> None:
        self.shown = float("-inf")
        self(done)
        self.stream.write("\n")


LARGE = 10_000  # rows from which an export shows its progress
CLI_ACTOR = Actor(User(id=0, name="loa"), Role.ADMIN, None)  # the operator: every area


def _language(config: Config, given: str | None) -> str:
    """--lang: any configured language, the deployment's default when not given."""
    lang = given or config.default_language
    if lang not in config.languages:
        raise Failure(f"unknown language {lang!r}: use one of {', '.join(config.languages)}")
    return lang


def cmd_export(config: Config, args: argparse.Namespace) -> None:
    path = Path(args.output)
    fmt = (args.format or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise Failure(f"unknown format {fmt!r}: use --format xlsx or --format csv")
    lang = _language(config, args.lang)
    db = _db(config)
    what = args.export
    area = getattr(args, "area", None)
    actor = CLI_ACTOR
    if what == "upward" and area:  # the part of that area, as its officer would report it
        scope = db.call(by_code, area)
        if scope is None:
            raise Failure(f"no area with code {area!r}")
        actor, area = Actor(CLI_ACTOR.user, Role.OFFICER, scope), None
    if what in ("pledges", "totals", "upward"):
        campaign = db.call(campaign_by_prefix, args.campaign)
        if campaign is None:
            raise Failure(f"no campaign with the reference prefix {args.campaign!r}")
        item_id = campaign.id
    else:
        item_id = args.deadline if what == "reports" else args.id
    try:
        found = tables(db, actor, what, item_id, datetime.now(config.timezone).date(), area)
    except NotInside:
        raise Failure(f"area {area!r} is not inside the campaign's area") from None
    except (LookupError, AccessDenied):
        if what == "upward":  # an officer of that area could not report on this campaign
            raise Failure(f"area {args.area!r} and the campaign's area do not meet") from None
        raise Failure(f"no area with code {area!r}" if area and what in ("pledges", "totals")
                      else f"no {'deadline' if what == 'reports' else what} #{item_id}"
                      ) from None
    expected = expected_rows(found)
    bar = ProgressBar(expected) if expected >= LARGE else None
    try:
        rows = write(path, found, what, fmt, Translator(lang, config.timezone), bar)
    except OSError as exc:
        raise Failure(f"{path}: cannot write it ({exc.strerror or exc})") from None
    if bar is not None:
        bar.finish(rows)
    print(f"{path}: {rows} rows")


def _export_parsers(sub) -> None:
    export = sub.add_parser("export", help="write pledges, totals, reports, a broadcast's "
                            "recipients or the report upward to .xlsx or CSV"
                            ).add_subparsers(dest="export", required=True)
    helps = {"pledges": "the pledges of a campaign",
             "totals": "a campaign's totals rolled up the area tree",
             "reports": "the reports of a deadline, missing areas included",
             "broadcast": "the recipients of a broadcast and what became of each message",
             "upward": "a campaign's result as reported to the level above, a row per area"}
    for what, text in helps.items():
        e = export.add_parser(what, help=text)
        if what in ("pledges", "totals", "upward"):
            e.add_argument("--campaign", required=True, metavar="PREFIX",
                           help="the campaign's reference prefix, as in TT26-0042")
            e.add_argument("--area", metavar="CODE", help="only this area of the campaign"
                           if what != "upward" else "report as this area's officer would")
        elif what == "reports":
            e.add_argument("--deadline", required=True, type=int, metavar="ID")
        else:
            e.add_argument("--id", required=True, type=int, metavar="N")
        e.add_argument("--format", help="xlsx or csv (default: from the file name)")
        e.add_argument("-o", "--output", required=True, metavar="FILE")
        e.add_argument("--lang", help="language of the headers (default: the deployment's)")
        e.set_defaults(fn=cmd_export)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="loa", description="Loa, the commune loudspeaker bot.")
    p.add_argument("--config", help="config file (default: LOA_CONFIG or ./config.toml)")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the bot (long polling, or a webhook)")
    run.add_argument("--webhook", action="store_true",
                     help="receive updates on webhook.url (LOA_WEBHOOK_URL); on when it is set")
    run.set_defaults(fn=cmd_run)
    box = sub.add_parser("inbox", help="incoming updates").add_subparsers(dest="inbox",
                                                                          required=True)
    failed = box.add_parser("failed", help="list the updates set aside after failing")
    failed.add_argument("--limit", type=int, default=100)
    failed.set_defaults(fn=cmd_inbox_failed)
    again = box.add_parser("retry", help="handle a set-aside update again")
    again.add_argument("id", type=int)
    again.set_defaults(fn=cmd_inbox_retry)
    sub.add_parser("web", help="serve the public page alone (web.listen)").set_defaults(
        fn=cmd_web)
    sb = sub.add_parser("sandbox", help="try Loa in the terminal: emulator, bot and personas")
    sb.add_argument("--keep", action="store_true", help="keep the throwaway database")
    sb.set_defaults(fn=cmd_sandbox)
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="apply pending migrations").set_defaults(fn=cmd_db_upgrade)
    bk = sub.add_parser("backup", help="copy the SQLite database while Loa runs")
    bk.add_argument("file", help="the new file to write")
    bk.set_defaults(fn=cmd_backup)
    lc = sub.add_parser("locale", help="languages").add_subparsers(dest="locale", required=True)
    li = lc.add_parser("init", help="start a new language's catalog from the template")
    li.add_argument("code", help="the language's ISO 639 code, e.g. bdq for Bahnar")
    li.add_argument("--name", required=True, help='its name in itself, e.g. "Tiếng Ba Na"')
    li.set_defaults(fn=cmd_locale_init)
    areas = sub.add_parser("areas", help="administrative areas").add_subparsers(
        dest="areas", required=True)
    imp = areas.add_parser("import", help="import code,name,level,parent_code rows")
    imp.add_argument("file")
    imp.set_defaults(fn=cmd_areas_import)
    households = sub.add_parser("households", help="the poor and near-poor households of the "
                                "areas").add_subparsers(dest="households", required=True)
    imp = households.add_parser("import", help="import code,name,area_code,category[,members] "
                                "rows")
    imp.add_argument("file")
    imp.set_defaults(fn=cmd_households_import)
    roles = [r.value for r in Role if r is not Role.ADMIN]
    g = sub.add_parser("grant", help="give a Telegram user a role bound to an area")
    g.add_argument("telegram_id", type=int)
    g.add_argument("role", choices=roles)
    g.add_argument("--area", help="area code (needed for village_head and officer)")
    g.set_defaults(fn=cmd_grant)
    r = sub.add_parser("revoke", help="make a user a citizen again")
    r.add_argument("telegram_id", type=int)
    r.set_defaults(fn=cmd_revoke)
    u = sub.add_parser("users", help="list users and their roles")
    u.add_argument("--role", choices=[r.value for r in Role])
    u.set_defaults(fn=cmd_users)
    rc = sub.add_parser("reconcile", help="check a bank statement against a campaign's pledges")
    rc.add_argument("file")
    rc.add_argument("--campaign", required=True, help="the campaign's code prefix, e.g. TT26")
    rc.add_argument("--apply", action="store_true", help="apply (without it, only report)")
    rc.add_argument("--accept-amounts", action="store_true",
                    help="with --apply: receive code matches with another amount as paid")
    rc.add_argument("--gifts", action="store_true",
                    help="with --apply: record credits with no code as gifts through the bank")
    rc.add_argument("--column", action="append", default=[], metavar="ROLE=N",
                    help="the column (1 = A) holding date, credit or description")
    rc.add_argument("--lang", help="language of the report (default: the deployment's)")
    rc.set_defaults(fn=cmd_reconcile)
    _export_parsers(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        config = load_config(args.config, check_catalogs=args.fn is not cmd_locale_init)
        setup_logging(config.log_level, config.token, json_lines=config.log_json)
        args.fn(config, args)
    except (ConfigError, Failure) as exc:
        print(f"loa: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ConfigError) else 1
    except InvalidToken:
        print("loa: LOA_TELEGRAM_TOKEN was refused by the Bot API server", file=sys.stderr)
        return 2
    except NetworkError as exc:
        detail = str(exc).replace(os.environ.get("LOA_TELEGRAM_TOKEN") or "\0", "<token>")
        print(f"loa: cannot reach the Bot API at LOA_TELEGRAM_API_URL ({detail})",
              file=sys.stderr)
        return 1
    except OperationalError as exc:
        print(f"loa: cannot use the database at LOA_DATABASE_URL ({exc.orig})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
