"""Splitting screens into pages by Telegram's measure: UTF-16 units of the visible text."""

from html.parser import HTMLParser

from bot import pages


def seen(markup: str) -> str:
    """What Telegram shows of an HTML text, by the standard library's parser (independent of
    the code under test)."""
    out: list[str] = []
    parser = HTMLParser(convert_charrefs=True)
    parser.handle_data = out.append
    parser.feed(markup)
    parser.close()
    return "".join(out)


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def balanced(markup: str) -> bool:
    stack: list[str] = []
    parser = HTMLParser()
    parser.handle_starttag = lambda tag, attrs: stack.append(tag)
    ok = [True]

    def end(tag):
        ok[0] = ok[0] and bool(stack) and stack.pop() == tag
    parser.handle_endtag = end
    parser.feed(markup)
    return ok[0] and not stack


def test_units_count_utf16_code_units():
    assert pages.units("Ấp 1") == 4
    assert pages.units("🤝") == 2  # outside the BMP: a surrogate pair
    assert pages.units("₫") == 1
    assert pages.visible_units("<b>a&amp;b</b> 🤝") == 6


def test_visible_length_matches_an_independent_html_parser():
    samples = ["<b>Vì người nghèo</b> &lt;3 &amp; 🏠", "<i>x</i>&quot;y&quot; <code>z</code>",
               "a &#128512; b", "plain"]
    for markup in samples:
        assert pages.visible_units(markup) == utf16(seen(markup).strip())


def test_shorten_never_cuts_a_tag_an_entity_or_a_surrogate_pair():
    markup = "<b>" + "Ấp 1 &amp; 🤝 " * 50 + "</b>"
    for limit in range(5, 120):
        cut = pages.shorten(markup, limit)
        assert utf16(seen(cut)) <= limit
        assert balanced(cut)
        assert "&am" not in cut.replace("&amp;", "")
        assert "\ud83e" not in seen(cut)
        assert cut.endswith("…</b>")
    assert pages.shorten("short", 10) == "short"


def test_shorten_an_emoji_text_at_a_surrogate_boundary():
    cut = pages.shorten("🤝" * 10, 6)
    assert seen(cut) == "🤝🤝…"  # 2 + 2 + 1 ≤ 6; a third 🤝 would make 7


def test_paginate_keeps_every_block_in_order_and_each_page_under_the_budget():
    blocks = [f"{i}. <b>{'Nguyễn Văn 🤝 ' * (i % 7)}</b> &amp; co" for i in range(500)]
    split = pages.paginate(blocks, "<b>Honour roll</b>", budget=1000)
    assert [i for p in split for i in p] == list(range(500))
    for p in split:
        text = pages.page_text(blocks, p, "<b>Honour roll</b>", budget=1000)
        assert utf16(seen(text).strip()) <= 1000
        assert balanced(text)


def test_a_block_longer_than_a_page_gets_a_page_of_its_own_shortened():
    blocks = ["a", "<b>" + "x" * 5000 + "</b>", "b"]
    split = pages.paginate(blocks, budget=4000)
    assert split == [[0], [1], [2]]
    text = pages.page_text(blocks, split[1], budget=4000)
    assert utf16(seen(text)) <= 4000 and balanced(text)


def test_no_blocks_is_one_empty_page():
    assert pages.paginate([], "head") == [[]]
    assert pages.split_text([], "head") == ["head"]


def test_split_text_puts_the_header_on_the_first_message_only():
    parts = pages.split_text([f"Ấp {i}, Tân Thành" for i in range(1000)], "📋 Header",
                             budget=4000)
    assert len(parts) > 1 and parts[0].startswith("📋 Header")
    assert all(not p.startswith("📋") for p in parts[1:])
    assert all(utf16(seen(p)) <= 4000 for p in parts)
    assert "Ấp 999, Tân Thành" in parts[-1]


def test_runs_join_items_under_the_budget():
    found = pages.runs([f"Ấp {i}" for i in range(300)], budget=100)
    assert ", ".join(found) == ", ".join(f"Ấp {i}" for i in range(300))
    assert all(utf16(r) <= 100 for r in found)


def test_nav_row_and_choices():
    assert pages.nav_row(0, 1, str) == []
    first = [b.text for b in pages.nav_row(0, 3, str)]
    middle = [b.text for b in pages.nav_row(1, 3, str)]
    last = [b.text for b in pages.nav_row(2, 3, str)]
    assert (first, middle, last) == (["1/3", "▶"], ["◀", "2/3", "▶"], ["◀", "3/3"])
    keyboard = pages.choices([(f"Chiến dịch {i} " * 10, f"x:{i}") for i in range(500)], 99,
                             lambda n: f"p:{n}")
    rows = keyboard.inline_keyboard
    assert sum(len(r) for r in rows) <= 100
    assert rows[-1][-1].text == "50/50"  # clamped to the last page
    assert all(len(b.text) <= pages.BUTTON_TEXT for r in rows for b in r)
    assert all(len(b.callback_data.encode()) <= 64 for r in rows for b in r)
