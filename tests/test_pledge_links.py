"""Pledge links: the Pledge button under a broadcast in a group is a link to the private chat,
"/start pl<campaign id>"; it opens that campaign's pledge, after onboarding for a newcomer, and
says so when the campaign no longer takes pledges. Invite codes keep working beside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.messages import pledge_start
from models.areas import by_code
from models.campaigns import Campaign, CampaignStatus
from models.dialogs import get_dialog
from models.invites import Invite, create_invite
from models.pledges import Pledge
from models.users import Role, actor_for, get_user, grant
from tests.test_pledging import open_campaign


def set_status(loa, campaign_id: int, status: CampaignStatus) -> None:
    def change(s):
        campaign = s.get(Campaign, campaign_id)
        campaign.status = status
        s.add(campaign)
    loa.db.call(change)


def pledged(loa, user_id: int) -> list[tuple[int, int]]:
    return loa.db.call(lambda s: [(p.campaign_id, p.amount) for p in s.exec(
        select(Pledge).where(Pledge.user_id == user_id))])


def test_a_start_argument_is_a_pledge_link_only_as_pl_and_a_campaign_id():
    assert pledge_start("pl7") == 7 and pledge_start("pl1234567890123") == 1234567890123
    for other in ("pl", "pl0", "pl07", "pl7x", "PL7", "xpl7", "pl12345678901234",
                  "plAbCdEfGhIjKlMn"):  # an invite code is 16 characters, whatever it starts with
        assert pledge_start(other) is None


async def pledge_as_lan(loa, user_id: int, amount: str):
    """From "Who is pledging?" to the receipt: Lan herself, money, anonymous."""
    await loa.tap(user_id, "Individual")
    await loa.tap(user_id, "Use “Lan”")
    await loa.tap(user_id, "💵 Money")
    await loa.send(user_id, amount)
    await loa.tap(user_id, "No, stay anonymous")
    return await loa.tap(user_id, "✅ Confirm")


async def test_someone_onboarded_pledges_by_the_link_even_outside_their_area(loa):
    home = open_campaign(loa)  # the district's: covers Lan's hamlet
    elsewhere = open_campaign(loa, code="28054", name="Áo ấm Bình An")  # not Lan's commune
    await loa.onboard(601, name="Lan", lang="en")
    assert (await loa.send(601, "/pledge")).plain == "Who is pledging?"
    assert loa.db.call(get_dialog, 601).data == {"campaign_id": home.id}  # /pledge: hers only
    who = await loa.send(601, f"/start pl{elsewhere.id}")
    assert who.plain == "Who is pledging?"
    assert loa.db.call(get_dialog, 601).data == {"campaign_id": elsewhere.id}
    assert "is registered: ₫200,000" in (await pledge_as_lan(loa, 601, "200k")).plain
    assert pledged(loa, 601) == [(elsewhere.id, 200_000)]


async def test_a_newcomer_by_the_link_is_onboarded_first_then_taken_to_the_pledge(loa):
    campaign = open_campaign(loa)
    loa.user(602, "Hùng", "vi")
    language = await loa.send(602, f"/start pl{campaign.id}")
    assert "Hãy chọn ngôn ngữ" in language.plain
    assert loa.db.call(get_dialog, 602).data == {"pledge": campaign.id}  # kept in the database
    await loa.tap(602, "Tiếng Việt")
    await loa.tap(602, "Tôi đồng ý")
    await loa.send(602, "Ấp 1")
    await loa.tap(602, "Ấp 1, Tân Thành, Thủ Thừa")
    await loa.next(602)  # the phone question
    loa.emu.tap(602, "Bỏ qua")
    assert (await loa.next(602)).plain.startswith("Xong! Địa bàn của bạn:")
    who = await loa.next(602)
    assert who.plain == "Bạn đăng ký ủng hộ với tư cách nào?"
    assert loa.db.call(get_dialog, 602).data == {"campaign_id": campaign.id}

    loa.user(603, "Mai", "vi")  # a plain /start onboards as before, and no pledge follows
    await loa.send(603, "/start")
    assert loa.db.call(get_dialog, 603).data == {}


async def test_a_closed_or_unknown_campaign_says_so_and_offers_what_pledge_would(loa):
    await loa.onboard(604, name="Lan", lang="en")
    unknown = await loa.send(604, "/start pl999999")
    assert unknown.plain == ("The campaign you chose is not taking pledges now: it has ended, "
                             "is paused or no longer exists.")
    assert (await loa.next(604)).plain == "There is no open campaign to pledge to right now."

    closed = open_campaign(loa, name="Lũ lụt 2025")
    open_campaign(loa, name="Vì người nghèo")
    open_campaign(loa, name="Áo ấm")
    set_status(loa, closed.id, CampaignStatus.CLOSED)
    assert (await loa.send(604, f"/start pl{closed.id}")).plain.startswith(
        "The campaign you chose is not taking pledges now")
    offer = await loa.next(604)
    assert offer.plain == "Which campaign do you pledge to?"
    assert [b for row in offer.buttons() for b in row][:2] == ["Vì người nghèo", "Áo ấm"]

    paused = open_campaign(loa, name="Tạm dừng")
    set_status(loa, paused.id, CampaignStatus.PAUSED)
    await loa.onboard(605, name="Mai", lang="vi")
    said = await loa.send(605, f"/start pl{paused.id}")
    assert said.plain == ("Cuộc vận động bạn vừa chọn hiện không nhận đăng ký ủng hộ: đã kết "
                          "thúc, đang tạm dừng hoặc không còn nữa.")
    assert (await loa.next(605)).plain == "Bạn ủng hộ cuộc vận động nào?"


async def test_from_a_closed_campaign_to_the_one_open_the_question_names_it(loa):
    closed = open_campaign(loa, name="Lũ lụt 2025")
    other = open_campaign(loa, name="Áo ấm <Tết> & sách vở")  # names are people's words
    set_status(loa, closed.id, CampaignStatus.CLOSED)
    await loa.onboard(608, name="Lan", lang="en")
    assert (await loa.send(608, f"/start pl{closed.id}")).plain.startswith(
        "The campaign you chose is not taking pledges now")
    who = await loa.next(608)
    assert who.plain == ("You can pledge to another campaign that is taking pledges: "
                         "Áo ấm <Tết> & sách vở\nWho is pledging?")
    assert "<b>Áo ấm &lt;Tết&gt; &amp; sách vở</b>" in who.text
    assert loa.db.call(get_dialog, 608).data == {"campaign_id": other.id}
    assert "is registered: ₫300,000" in (await pledge_as_lan(loa, 608, "300k")).plain
    assert pledged(loa, 608) == [(other.id, 300_000)]

    await loa.onboard(609, name="Mai", lang="vi")
    await loa.send(609, f"/start pl{closed.id}")
    assert (await loa.next(609)).plain == ("Bạn có thể ủng hộ cuộc vận động khác đang nhận đăng "
                                           "ký: Áo ấm <Tết> & sách vở\n"
                                           "Bạn đăng ký ủng hộ với tư cách nào?")


async def test_the_pledge_button_of_a_closed_campaign_offers_the_open_one(loa):
    closed = open_campaign(loa, name="Lũ lụt 2025")
    other = open_campaign(loa, name="Áo ấm 2026")
    set_status(loa, closed.id, CampaignStatus.CLOSED)
    await loa.onboard(610, name="Lan", lang="vi")
    help_ = await loa.send(610, "/help")                 # any message to hang the old button on
    loa.emu.press(610, f"pl:new:{closed.id}", help_.message_id)
    assert (await loa.next(610)).plain.startswith("Cuộc vận động bạn vừa chọn hiện không nhận")
    assert (await loa.next(610)).plain == ("Bạn có thể ủng hộ cuộc vận động khác đang nhận đăng "
                                           "ký: Áo ấm 2026\n"
                                           "Bạn đăng ký ủng hộ với tư cách nào?")
    assert loa.db.call(get_dialog, 610).data == {"campaign_id": other.id}


async def test_invite_codes_still_work_even_one_that_starts_with_pl(loa):
    loa.db.call(grant, 606, Role.OFFICER, "28042")

    def invite(s):
        officer = actor_for(s, get_user(s, 606), frozenset())
        made = create_invite(s, officer, Role.VILLAGE_HEAD, by_code(s, "28042-A3"),
                             timedelta(days=1), datetime.now(UTC))
        made.code = "pl12345678901234"  # as random as any other: still an invite
        s.add(made)
        return made.code
    code = loa.db.call(invite)
    welcome = await loa.send(loa.user(607, "Hùng", "vi"), f"/start {code}")
    assert welcome.plain.startswith("Chào mừng! Từ nay bạn dùng Loa với vai trò trưởng ấp")
    assert loa.db.call(lambda s: s.exec(select(Invite.used_by)).one()) == 607
