"""Households: the CSV import (idempotent, all or nothing, bad rows by line), who sees names,
corrections in the officer's scope, and erasure that keeps the support counted."""

from datetime import date

import pytest
from sqlmodel import select

from bot.cli import main as loa_main
from models.areas import by_code
from models.campaigns import CampaignDraft, create_campaign
from models.households import (
    Household,
    HouseholdImportError,
    add_household,
    category_of,
    correct_household,
    erase_household,
    find_households,
    household_for,
    import_households,
    parse_households_csv,
)
from models.support import Support, SupportDraft, given_by_area, record_support
from models.users import AccessDenied, Role, actor_for, ensure_user, grant
from tests.conftest import EXAMPLES

ADMINS = frozenset({1})
CSV = """code,name,area_code,category,members
H1,Nguyễn Văn Thử,28042-A1,nghèo,4
H2,Trần Thị Mẫu,28042-A2,Cận nghèo,
H3,Lê Văn Ví Dụ,28039,KHO KHAN,2
"""


def code(s, value):
    return s.exec(select(Household).where(Household.code == value)).one()


def actor(s, user_id):
    return actor_for(s, ensure_user(s, user_id)[0], ADMINS)


def test_categories_are_read_folded():
    assert category_of("Cận Nghèo") == "near_poor"
    assert category_of("ngheo") == "poor"
    assert category_of("khó khăn") == "hardship"
    assert category_of("giàu") is None


def test_import_is_idempotent_and_updates_by_code(areas_db):
    first = areas_db.call(lambda s: import_households(s, parse_households_csv(CSV)))
    again = areas_db.call(lambda s: import_households(s, parse_households_csv(CSV)))
    assert (first.created, again.created, again.unchanged) == (3, 0, 3)
    changed = CSV.replace("Trần Thị Mẫu,28042-A2,Cận nghèo,", "Trần Thị Mẫu,28042-A3,nghèo,5")
    result = areas_db.call(lambda s: import_households(s, parse_households_csv(changed)))
    assert (result.updated, result.unchanged) == (1, 2)
    h2 = areas_db.call(code, "H2")
    assert (h2.category, h2.members) == ("poor", 5)


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(areas_db):
    bad = CSV + ("H4,,28042-A1,nghèo,\n"
                 "H5,Phạm Văn Năm,28042-A1,giàu,\n"
                 "H6,Võ Thị Sáu,28042-A1,nghèo,nhiều\n"
                 "H1,Trùng Mã,28042-A1,nghèo,\n")
    with pytest.raises(HouseholdImportError) as caught:
        parse_households_csv(bad)
    lines = dict(caught.value.errors)
    assert sorted(lines) == [5, 6, 7, 8]
    assert "name" in lines[5] and "category" in lines[6] and "members" in lines[7]
    assert "line 2" in lines[8]
    unknown = CSV + "H7,Đặng Văn Bảy,99999,nghèo,\n"
    with pytest.raises(HouseholdImportError) as caught:
        areas_db.call(lambda s: import_households(s, parse_households_csv(unknown)))
    assert caught.value.errors == [(5, "unknown area code '99999'")]
    assert areas_db.call(lambda s: len(s.exec(select(Household)).all())) == 0


def test_the_example_file_imports(areas_db):
    text = (EXAMPLES / "households-thu-thua.csv").read_text(encoding="utf-8")
    result = areas_db.call(lambda s: import_households(s, parse_households_csv(text)))
    assert result.created >= 24


def seed(s):
    import_households(s, parse_households_csv(CSV))
    grant(s, 50, Role.OFFICER, "28042")  # Tân Thành
    grant(s, 51, Role.OFFICER, "28039")  # Long Thạnh
    grant(s, 52, Role.VILLAGE_HEAD, "28042-A1")


def test_names_only_for_officers_of_the_area(areas_db):
    areas_db.call(seed)

    def check(s):
        h1 = code(s, "H1")
        assert household_for(s, actor(s, 50), h1.id).name == "Nguyễn Văn Thử"
        assert household_for(s, actor(s, 1), h1.id).name == "Nguyễn Văn Thử"
        for other in (51, 52, 60):  # another commune's officer, a village head, a citizen
            with pytest.raises(AccessDenied):
                household_for(s, actor(s, other), h1.id)
        names, total = find_households(s, actor(s, 50))
        assert total == 2 and {h.code for h in names} == {"H1", "H2"}
        assert [h.code for h in find_households(s, actor(s, 51), "le van")[0]] == ["H3"]
        assert find_households(s, actor(s, 51), "thu")[1] == 0
        with pytest.raises(AccessDenied):
            find_households(s, actor(s, 51), within=by_code(s, "28042"))
    areas_db.call(check)


def test_officers_add_and_correct_inside_their_scope(areas_db):
    areas_db.call(seed)

    def check(s):
        officer = actor(s, 50)
        added = add_household(s, officer, "Hộ Mới", by_code(s, "28042-A4").id, "hardship", 3)
        assert added.code == "28042-A4.1"
        with pytest.raises(AccessDenied):
            add_household(s, actor(s, 51), "Hộ Khác", by_code(s, "28042-A4").id, "poor")
        with pytest.raises(AccessDenied):  # moving it out of the officer's scope
            correct_household(s, officer, added.id, area_id=by_code(s, "28039").id)
        with pytest.raises(ValueError):
            correct_household(s, officer, added.id, members=0)
        fixed = correct_household(s, officer, added.id, name="Hộ Đã Sửa", category="poor")
        assert (fixed.name, fixed.search_name, fixed.category) == ("Hộ Đã Sửa", "ho da sua",
                                                                   "poor")
    areas_db.call(check)


def test_erasure_blanks_the_household_and_keeps_its_support_counted(areas_db):
    areas_db.call(seed)

    def check(s):
        officer = actor(s, 50)
        campaign = create_campaign(s, officer, CampaignDraft(
            name="Tết 2027", description="", starts_on=date(2026, 12, 1),
            ends_on=date(2027, 1, 31), area_id=by_code(s, "28042").id, money_target=10**8))
        h1 = find_households(s, officer, "thu")[0][0]
        record_support(s, officer, SupportDraft(campaign.id, "money", 2_000_000,
                                                date(2026, 12, 2), household_id=h1.id,
                                                note="Ông Thử nhận", file_id="F1",
                                                file_kind="photo"), date(2026, 12, 2))
        with pytest.raises(AccessDenied):
            erase_household(s, actor(s, 51), h1.id)
        erase_household(s, officer, h1.id)
        s.refresh(h1)
        assert (h1.name, h1.search_name, h1.members) == ("", "", None)
        assert h1.erased_at is not None
        support = s.exec(select(Support)).one()
        assert (support.note, support.file_id, support.value) == ("", None, 2_000_000)
        assert given_by_area(s, campaign.id) == {by_code(s, "28042-A1").id: (1, 2_000_000)}
        assert find_households(s, officer, "thu")[1] == 0
        # importing the list again leaves the erased household erased
        result = import_households(s, parse_households_csv(CSV))
        assert result.erased == 1
        s.refresh(h1)
        assert h1.name == ""
    areas_db.call(check)


def test_the_command_line_imports_or_names_each_bad_line(areas_db, db_url, monkeypatch,
                                                         capsys, tmp_path):
    monkeypatch.setenv("LOA_DATABASE_URL", db_url)
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV + "H9,Hộ Chín,NOPE,nghèo,\nH10,Hộ Mười,28042-A1,nghèo,0\n",
                   encoding="utf-8")
    assert loa_main(["households", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:6: members '0' must be a whole number from 1 to 100" in err
    assert "nothing imported (1 problem(s))" in err and "Traceback" not in err
    bad.write_text(CSV + "H9,Hộ Chín,NOPE,nghèo,\n", encoding="utf-8")
    assert loa_main(["households", "import", str(bad)]) == 1
    assert f"{bad}:5: unknown area code 'NOPE'" in capsys.readouterr().err
    good = str(EXAMPLES / "households-thu-thua.csv")
    assert loa_main(["households", "import", good]) == 0
    assert "38 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert loa_main(["households", "import", good]) == 0
    assert "0 created, 0 updated, 38 unchanged" in capsys.readouterr().out
