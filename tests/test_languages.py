"""A third language, added without code: `loa locale init`, then a deployment offering it.

The language is bdq (Bahnar), which Babel has no data for, read from the test-only catalog in
tests/data/locales: its few strings are markers, the rest must show in Vietnamese.
"""

import pytest
from babel.messages.pofile import read_po
from telegram import Bot
from telegram.error import BadRequest

from bot.app import build_application, serving
from bot.cli import main
from bot.config import load_config
from bot.emulator import Emulator
from bot.i18n import LANGUAGE_NAME, TEMPLATE, Translator, language_name, use_catalogs
from models.users import Role, get_user, grant
from tests.conftest import ROOT, TOKEN, Loa, loa_config
from tests.test_broadcasts import people
from tests.test_config import write
from tests.test_i18n import TEST_CATALOGS
from tests.test_pledging import open_campaign


@pytest.fixture
async def loa(areas_db, db_url):
    """Loa offering vi, en and the test-only bdq, as a commune's deployment would."""
    async with Emulator(token=TOKEN, bot_username="loa_test_bot") as emu:
        config = loa_config(emu.api_url, db_url, LOA_LANGUAGES="vi,en,bdq",
                            LOA_CATALOGS=str(TEST_CATALOGS))
        app = build_application(config, areas_db)
        try:
            async with serving(app):
                yield Loa(emu, areas_db, config, app.bot_data["services"])
        finally:
            use_catalogs(None)


def loa_cli(capsys, *args: str) -> tuple[int, str, str]:
    """`loa ARGS` in this process: exit code, stdout, stderr."""
    try:
        code = main(list(args))
    finally:
        use_catalogs(None)
    out, err = capsys.readouterr()
    return code, out, err


def test_locale_init_starts_a_catalog_named_in_its_language(tmp_path, capsys):
    (tmp_path / "catalogs").mkdir()
    config = write(tmp_path, "[locale]\ncatalogs = 'catalogs'\nlanguages = ['vi', 'en', 'bdq']\n")
    init = ("--config", str(config), "locale", "init")
    code, out, err = loa_cli(capsys, *init, "bdq", "--name", "Tiếng Ba Na")
    path = tmp_path / "catalogs" / "bdq" / "LC_MESSAGES" / "loa.po"
    assert code == 0, err
    assert out.startswith(f"{path}: ") and "Add bdq to locale.languages" in out
    with path.open("rb") as fh:
        po = read_po(fh)
    with TEMPLATE.open("rb") as fh:
        template = read_po(fh)
    assert po.locale_identifier == "bdq" and not po.fuzzy
    assert {m.id for m in po} == {m.id for m in template}
    assert [m.string for m in po if m.id and m.string and any(m.string)] == ["Tiếng Ba Na"]
    try:
        loaded = load_config(config, env={})
        assert loaded.languages == ("vi", "en", "bdq")
        assert language_name("bdq") == "Tiếng Ba Na"
        assert Translator("bdq", loaded.timezone)("Skip") == "Bỏ qua"
    finally:
        use_catalogs(None)

    assert loa_cli(capsys, *init, "bdq", "--name", "Ba Na") == (
        1, "", f"loa: {path} exists: translate on in it with Poedit or any .po editor\n")
    with path.open("rb") as fh:
        assert read_po(fh).get(LANGUAGE_NAME).string == "Tiếng Ba Na"    # left as it was
    code, _out, err = loa_cli(capsys, *init, "vi", "--name", "Việt")
    assert code == 1 and "locales/vi/LC_MESSAGES/loa.po exists" in err
    for bad in ("Ba Na", "b", "BDQ", "../x"):
        code, _out, err = loa_cli(capsys, *init, bad, "--name", "x")
        assert (code, err.count("\n")) == (1, 1)
        assert err.startswith(f"loa: {bad!r} is not a language code: give 2 or 3")
    code, _out, err = loa_cli(capsys, *init, "jra", "--name", " ")
    assert code == 1 and "--name: give the language's name" in err
    assert sorted(p.name for p in (tmp_path / "catalogs").iterdir()) == ["bdq"]


def test_a_language_listed_without_its_catalog_stops_loa_with_one_line(capsys, monkeypatch):
    monkeypatch.setenv("LOA_LANGUAGES", "vi,en,jra")
    assert loa_cli(capsys, "--config", str(ROOT / "config.toml"), "users") == (
        2, "", f"loa: LOA_LANGUAGES: no catalog for language 'jra' under {ROOT / 'locales'}; "
               f"create it with `loa locale init jra --name \"...\"`\n")


async def test_a_person_reads_the_third_language_and_vietnamese_where_it_is_untranslated(loa):
    open_campaign(loa)
    person = loa.user(501, "Y Blơng", "vi")
    hello = await loa.send(person, "/start")
    assert hello.buttons() == [["Tiếng Việt", "English"], ["Tiếng Ba Na"]]
    consent = await loa.tap(person, "Tiếng Ba Na")
    assert "Loa lưu gì và để làm gì" in consent.plain                  # untranslated: vi
    assert consent.buttons() == [["(bdq) I agree", "Không, cảm ơn"]]   # translated beside it
    where = await loa.tap(person, "(bdq) I agree")
    assert "Bạn sống ở đâu?" in where.plain
    await loa.send(person, "Ấp 1")
    await loa.tap(person, "Ấp 1, Tân Thành, Thủ Thừa")
    await loa.next(person)                                               # the phone question
    assert loa.emu.reply_keyboard(person) == [["📱 Chia sẻ số điện thoại"], ["Bỏ qua"]]  # fuzzy
    loa.emu.tap(person, "Bỏ qua")
    done = await loa.next(person)
    assert "Xong! Địa bàn của bạn: Ấp 1, Tân Thành, Thủ Thừa." in done.plain
    assert loa.db.call(get_user, person).language == "bdq"

    cards = await loa.send(person, "/campaigns")
    assert "(bdq) 0\xa0₫ / 500.000.000\xa0₫ (0%)" in cards.plain        # Vietnamese money
    assert cards.buttons() == [["🤝 Đăng ký ủng hộ"]]
    privacy = await loa.send(person, "/privacy")
    assert "Ngôn ngữ: Tiếng Ba Na" in privacy.plain

    choose = await loa.send(person, "/language")
    assert choose.buttons() == [["Tiếng Việt", "English"], ["Tiếng Ba Na"]]
    assert (await loa.tap(person, "English")).plain == "Language set: English."
    await loa.send(person, "/language")
    assert (await loa.tap(person, "Tiếng Ba Na")).plain == "(bdq) Language set: Tiếng Ba Na."
    assert loa.db.call(get_user, person).language == "bdq"


async def test_the_menus_of_newcomers_leave_out_a_language_telegram_cannot_name(loa):
    assert loa.emu.commands(language_code="vi") and loa.emu.commands(language_code="en")
    assert loa.emu.commands()[0]["description"] == loa.emu.commands(language_code="vi")[0][
        "description"]
    async with Bot(TOKEN, base_url=loa.emu.base_url) as bot:
        with pytest.raises(BadRequest, match="nvalid language code specified"):  # as Telegram
            await bot.set_my_commands([("start", "x")], language_code="bdq")


async def test_an_officer_broadcasts_to_the_third_languages_readers_only(loa):
    open_campaign(loa)
    loa.db.call(grant, 401, Role.OFFICER, "28042")                      # Tân Thành
    await loa.onboard(401, name="Tím", lang="en")
    bahnar = people(loa.db, loa.emu, 600, 2, lang="bdq")
    vietnamese = people(loa.db, loa.emu, 700, 2, lang="vi")
    await loa.send(401, "/broadcast")
    await loa.send(401, "Họp làng lúc 8 giờ")
    roles = await loa.tap(401, "✅ All of Tân Thành (xã)")
    assert roles.buttons()[0] == ["☑ citizen", "☐ village head", "☐ officer"]
    languages = await loa.tap(401, "Next ➡")
    assert languages.buttons() == [["All languages"], ["Tiếng Việt", "English"],
                                   ["Tiếng Ba Na"], ["⬅ Back", "✖ Cancel"]]
    await loa.tap(401, "Tiếng Ba Na")
    await loa.tap(401, "🤝 Pledge button: Vì người nghèo")
    await loa.next(401)                                                  # the preview
    decide = await loa.next(401)
    assert decide.plain == ("This will reach 2 people: citizen in Tân Thành, Thủ Thừa, Long An. "
                            "Only those who read Tiếng Ba Na.")
    await loa.tap(401, "📤 Send now")
    for reader in bahnar:
        got = await loa.next(reader)
        assert got.plain == "📢 Ủy ban MTTQ xã Tân Thành\n\nHọp làng lúc 8 giờ"
        assert got.buttons() == [["🤝 Đăng ký ủng hộ"]]                 # Vietnamese fallback
    final = await loa.emu.wait_for(lambda m: m.chat_id == 401 and "finished" in (m.plain or ""),
                                   timeout=10)
    assert "Sent 2 of 2" in final.plain
    for reader in vietnamese:
        await loa.quiet(reader)
