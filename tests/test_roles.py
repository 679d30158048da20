"""Roles and scope: who may invite whom, where; invites are single-use and expire."""

from datetime import UTC, datetime, timedelta

import pytest

from models.areas import by_code
from models.dialogs import get_dialog, save_dialog
from models.invites import (
    MAX_OPEN,
    Invite,
    InviteProblem,
    InviteRefused,
    TooManyInvites,
    create_invite,
    invitable_roles,
    redeem_invite,
    revoke_role,
)
from models.privacy import erase_person
from models.users import (
    AccessDenied,
    Role,
    actor_for,
    ensure_user,
    forget,
    get_user,
    grant,
    revoke,
)

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ADMINS = frozenset({1})


def actor(s, user_id):
    return actor_for(s, ensure_user(s, user_id)[0], ADMINS)


def test_officer_acts_only_inside_their_subtree(areas_db):
    areas_db.call(grant, 10, Role.OFFICER, "28042")      # officer of Tân Thành commune

    def check(s):
        officer = actor(s, 10)
        assert officer.covers(by_code(s, "28042-A1"))    # a hamlet of Tân Thành
        assert officer.covers(by_code(s, "28042"))
        assert not officer.covers(by_code(s, "28054"))   # Bình An, a neighbour commune
        assert not officer.covers(by_code(s, "804"))     # the district above
        assert not officer.covers(by_code(s, "23656"))   # Lơ Ku, another province
        admin = actor(s, 1)
        assert admin.role is Role.ADMIN and admin.covers(by_code(s, "23656"))
        citizen = actor(s, 20)
        assert not citizen.covers(by_code(s, "28042-A1")) and invitable_roles(citizen) == ()
    areas_db.call(check)


def test_only_officers_invite_and_only_inside_scope(areas_db):
    areas_db.call(grant, 10, Role.OFFICER, "28042")
    areas_db.call(grant, 11, Role.VILLAGE_HEAD, "28042-A1")

    def attempts(s):
        officer, head, citizen = actor(s, 10), actor(s, 11), actor(s, 20)
        invite = create_invite(s, officer, Role.VILLAGE_HEAD, by_code(s, "28042-A2"), DAY, NOW)
        assert invite.expires_at == NOW + DAY and len(invite.code) == 16
        for who, role, code in [(officer, Role.VILLAGE_HEAD, "28054-VK"),
                                (officer, Role.OFFICER, "804"),
                                (head, Role.VILLAGE_HEAD, "28042-A1"),
                                (citizen, Role.VILLAGE_HEAD, "28042-A1"),
                                (officer, Role.CITIZEN, "28042-A1"),
                                (officer, Role.ADMIN, "28042")]:
            with pytest.raises(AccessDenied):
                create_invite(s, who, role, by_code(s, code), DAY, NOW)
    areas_db.call(attempts)


def test_invite_is_single_use_and_expires(areas_db):
    areas_db.call(grant, 10, Role.OFFICER, "28042")

    def flow(s):
        officer = actor(s, 10)
        invite = create_invite(s, officer, Role.VILLAGE_HEAD, by_code(s, "28042-A2"), DAY, NOW)
        newcomer = ensure_user(s, 30)[0]
        redeemed = redeem_invite(s, newcomer, invite.code, Role.CITIZEN, ADMINS, NOW + DAY / 2)
        assert redeemed.role is Role.VILLAGE_HEAD and redeemed.area.code == "28042-A2"
        assert actor(s, 30).covers(by_code(s, "28042-A2"))
        with pytest.raises(InviteRefused) as used:
            redeem_invite(s, ensure_user(s, 31)[0], invite.code, Role.CITIZEN, ADMINS, NOW)
        assert used.value.problem is InviteProblem.USED
        late = create_invite(s, officer, Role.OFFICER, by_code(s, "28042"), DAY, NOW)
        with pytest.raises(InviteRefused) as expired:
            redeem_invite(s, ensure_user(s, 32)[0], late.code, Role.CITIZEN, ADMINS, NOW + 2 * DAY)
        assert expired.value.problem is InviteProblem.EXPIRED
        with pytest.raises(InviteRefused) as unknown:
            redeem_invite(s, ensure_user(s, 33)[0], "nope", Role.CITIZEN, ADMINS, NOW)
        assert unknown.value.problem is InviteProblem.UNKNOWN
        head_invite = create_invite(s, officer, Role.VILLAGE_HEAD, by_code(s, "28042-A3"),
                                    DAY, NOW)
        with pytest.raises(InviteRefused) as lower:
            redeem_invite(s, officer.user, head_invite.code, Role.OFFICER, ADMINS, NOW)
        assert lower.value.problem is InviteProblem.DEMOTION
        assert s.get(Invite, head_invite.id).used_at is None   # a refused code stays usable
    areas_db.call(flow)


def test_an_invite_carries_its_issuers_authority_no_more(areas_db):
    """A revoked officer cannot take their role back with their own invite; a moved one's
    links to the old area die; revoking or erasing ends open invites; 50 open at most."""
    areas_db.call(grant, 10, Role.OFFICER, "28042")
    areas_db.call(grant, 12, Role.OFFICER, "28042")

    def invite(s, issuer, role, code):
        return create_invite(s, actor(s, issuer), role, by_code(s, code), DAY, NOW).code

    own = areas_db.call(invite, 10, Role.OFFICER, "28042")
    head = areas_db.call(invite, 10, Role.VILLAGE_HEAD, "28042-A1")
    areas_db.call(revoke_role, 10, NOW)
    with pytest.raises(InviteRefused) as refused:
        areas_db.call(lambda s: redeem_invite(s, get_user(s, 10), own, Role.CITIZEN, ADMINS,
                                              NOW))
    assert refused.value.problem is InviteProblem.EXPIRED  # revoking ended it
    assert areas_db.call(lambda s: actor(s, 10).role) is Role.CITIZEN

    # an invite that survived (made before the check existed, say) is refused all the same
    areas_db.call(lambda s: s.execute(Invite.__table__.update().values(expires_at=NOW + DAY)))
    with pytest.raises(InviteRefused) as refused:
        areas_db.call(lambda s: redeem_invite(s, ensure_user(s, 30)[0], head, Role.CITIZEN,
                                              ADMINS, NOW))
    assert refused.value.problem is InviteProblem.ISSUER

    moved = areas_db.call(invite, 12, Role.VILLAGE_HEAD, "28042-A2")
    areas_db.call(grant, 12, Role.OFFICER, "28057")
    with pytest.raises(InviteRefused) as refused:
        areas_db.call(lambda s: redeem_invite(s, ensure_user(s, 31)[0], moved, Role.CITIZEN,
                                              ADMINS, NOW))
    assert refused.value.problem is InviteProblem.ISSUER

    left = areas_db.call(invite, 12, Role.VILLAGE_HEAD, "28057-A1")
    areas_db.call(erase_person, 12)
    with pytest.raises(InviteRefused) as refused:
        areas_db.call(lambda s: redeem_invite(s, ensure_user(s, 32)[0], left, Role.CITIZEN,
                                              ADMINS, NOW))
    assert refused.value.problem is InviteProblem.ISSUER

    areas_db.call(grant, 13, Role.OFFICER, "28042")
    for _ in range(MAX_OPEN):
        areas_db.call(invite, 13, Role.VILLAGE_HEAD, "28042-A3")
    with pytest.raises(TooManyInvites):
        areas_db.call(invite, 13, Role.VILLAGE_HEAD, "28042-A3")


def test_grant_revoke_and_admin_only_from_config(areas_db):
    user = areas_db.call(grant, 40, Role.VILLAGE_HEAD, "28057-A6")
    assert (user.role, user.scope_area_id is not None) == ("village_head", True)
    with pytest.raises(LookupError):
        areas_db.call(grant, 40, Role.OFFICER, "NOPE")
    with pytest.raises(AccessDenied):
        areas_db.call(grant, 40, Role.ADMIN, "804")
    with pytest.raises(AccessDenied):
        areas_db.call(grant, 40, Role.OFFICER, None)
    user = areas_db.call(revoke, 40)
    assert (user.role, user.scope_area_id) == ("citizen", None)


def test_forget_erases_the_person_and_keeps_others_records(areas_db):
    areas_db.call(grant, 10, Role.OFFICER, "28042")

    def setup(s):
        invite = create_invite(s, actor(s, 10), Role.VILLAGE_HEAD, by_code(s, "28042-A4"),
                               DAY, NOW)
        save_dialog(s, 10, "invite", "area", role="village_head")
        return invite.id
    invite_id = areas_db.call(setup)
    assert areas_db.call(forget, 10) is True
    assert areas_db.call(lambda s: s.get(Invite, invite_id).created_by) is None
    assert areas_db.call(get_dialog, 10) is None
    assert areas_db.call(forget, 10) is False
