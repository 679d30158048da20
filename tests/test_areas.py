"""Area import: idempotent, all or nothing, bad rows named by line; search ignores diacritics."""

import subprocess
import sys

import pytest
from sqlmodel import select

from models.areas import (
    Area,
    AreaImportError,
    by_code,
    child_page,
    fold,
    import_areas,
    is_within,
    label,
    parse_csv,
    search,
)
from tests.conftest import EXAMPLES, ROOT


def imp(db, text):
    return db.call(lambda s: import_areas(s, parse_csv(text)))


def count(db):
    return db.call(lambda s: len(list(s.exec(select(Area)))))


def test_examples_import_and_reimport_changes_nothing(db):
    thu_thua = (EXAMPLES / "areas-thu-thua.csv").read_text(encoding="utf-8")
    first = imp(db, thu_thua)
    assert first.created == count(db) and first.created >= 14
    again = imp(db, thu_thua)
    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)
    assert count(db) == first.created


def test_reimport_updates_names_and_moves_subtrees(db):
    imp(db, "code,name,level,parent_code\nP,Long An,tỉnh,\nD,Thu Thua,huyện,P\n"
            "C,My An,xã,D\nV,Ấp 1,ấp,C\nD2,Tân Trụ,huyện,P\n")
    result = imp(db, "code,name,level,parent_code\nD,Thủ Thừa,huyện,P\nC,Mỹ An,xã,D2\n")
    assert (result.created, result.updated) == (0, 2)

    def check(s):
        village, commune, d2 = by_code(s, "V"), by_code(s, "C"), by_code(s, "D2")
        assert by_code(s, "D").name == "Thủ Thừa"
        assert is_within(village, d2) and is_within(commune, d2)
        assert not is_within(village, by_code(s, "D"))
        assert label(s, village) == "Ấp 1, Mỹ An, Tân Trụ"
    db.call(check)


HEAD = "code,name,level,parent_code\nNEW,New,tỉnh,\n"  # a good row first: it must not land


@pytest.mark.parametrize(("csv_text", "expected"), [
    (HEAD + "A,An,xã,\nA,Bình,xã,\n", "line 4: code 'A' already used on line 3"),
    (HEAD + "A,,xã,\n", "line 3: name must be 1-200 characters"),
    (HEAD + "A,An,,\n", "line 3: level must be 1-50 characters"),
    (HEAD + "A B,An,xã,\n", "line 3: code 'A B' must be 1-32 letters"),
    (HEAD + "A,An,xã,A\n", "line 3: area 'A' cannot be its own parent"),
    (HEAD + "A,An,xã,\nB,Bình,ấp,ZZ\n", "line 4: parent_code 'ZZ' is neither in this file"),
    (HEAD + "A,An,xã,B\nB,Bình,ấp,A\n", "line 3: area 'A' would be inside itself"),
    (HEAD + "A,An,xã,,extra\n", "line 3: too many fields"),
    ("code,name,level\nA,An,xã\n", "line 1: missing column(s) parent_code"),
])
def test_bad_rows_are_reported_and_nothing_is_applied(db, csv_text, expected):
    imp(db, "code,name,level,parent_code\nKEEP,Kept,tỉnh,\n")
    with pytest.raises(AreaImportError) as caught:
        imp(db, csv_text)
    assert expected in str(caught.value)
    assert db.call(lambda s: by_code(s, "NEW")) is None
    assert count(db) == 1


def test_search_ignores_case_and_diacritics(areas_db):
    def check(s):
        assert fold("  Thủ  THỪA ") == "thu thua" and fold("Đak Smar") == "dak smar"
        found = search(s, "thu thua")
        assert [a.level for a in found][:2] == ["huyện", "thị trấn"]
        assert [a.name for a in search(s, "lo ku")] == ["Lơ Ku"]
        inside = search(s, "ap 1", within=by_code(s, "28042"))
        assert [label(s, a) for a in inside] == ["Ấp 1, Tân Thành, Thủ Thừa"]
        assert search(s, "%") == [] and search(s, "  ") == []
    areas_db.call(check)


def test_children_are_paged_and_flag_subtrees(areas_db):
    def check(s):
        district = by_code(s, "804")
        page, total = child_page(s, district.id, 0, 8)
        assert total == 12 and len(page) == 8
        flags = {a.name: has for a, has in page}
        assert flags["Bình An"] is True and flags["Long Thạnh"] is False
        rest, _ = child_page(s, district.id, 8, 8)
        assert len(rest) == 4 and not {a.id for a, _ in rest} & {a.id for a, _ in page}
    areas_db.call(check)


def test_cli_import_reports_line_numbers(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,level,parent_code\nX,Xã X,xã,\nY,Ấp Y,ấp,NOPE\n", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "LOA_DATABASE_URL": f"sqlite:///{tmp_path}/a.db"}
    run = [sys.executable, "-m", "bot.cli", "areas", "import"]
    result = subprocess.run([*run, str(bad)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 1
    assert f"{bad}:3: parent_code 'NOPE' is neither in this file nor imported" in result.stderr
    assert "nothing imported" in result.stderr and "Traceback" not in result.stderr
    good = subprocess.run([*run, str(EXAMPLES / "areas-lo-ku.csv")], capture_output=True,
                          text=True, env=env, cwd=ROOT)
    assert good.returncode == 0 and "3 created, 0 updated, 0 unchanged" in good.stdout
