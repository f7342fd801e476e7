"""Accounts joining, moving within and leaving the organization, and what follows on AWS:
Organizations' invitations (handshakes, which moto 5.2.5 lacks), the StackSets automatic
deployments (`stacksets.StackSets.organization_changed`) and GuardDuty's organization
auto-enable of accounts that join later.

Sources: Organizations API Reference (InviteAccountToOrganization, AcceptHandshake,
DescribeHandshake, ListHandshakesForAccount, ListHandshakesForOrganization, CancelHandshake,
DeclineHandshake, Handshake, HandshakeConstraintViolationException, DuplicateHandshakeException,
the Account shape's JoinedMethod CREATED | INVITED); Organizations User Guide ("Inviting an AWS
account to join your organization": invitations expire after 15 days; an invited account gets no
OrganizationAccountAccessRole, the management account creates it by hand if it wants one:
"Creating OrganizationAccountAccessRole in an invited member account"); GuardDuty API Reference,
UpdateOrganizationConfiguration (`autoEnableOrganizationMembers`: "NEW: Indicates that when a
new account joins the organization, they will have GuardDuty enabled automatically. ALL: ...
This includes NEW accounts that join the organization ... It may take up to 24 hours to update
the configuration for all the member accounts"); aws-facts.md, "New accounts" and "GuardDuty
delegated administrator".
"""

from __future__ import annotations

import math
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .protocol import JSON, AwsRequest, Identity, Response, error, json_response

HANDSHAKE_DAYS = 15
_ACCOUNT = re.compile(r"\d{12}")
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_HANDSHAKE_ID = re.compile(r"h-[0-9a-z]{8,32}")

# Organizations' texts (the API Reference's descriptions of each error or reason).
ALREADY_IN_ORG = "The handshake request is invalid because the invited account is already a member of an organization."
DUPLICATE = "A handshake with the same action and target already exists."
NOT_FOUND = "We can't find a handshake with the HandshakeId that you specified."
ALREADY_IN_STATE = "The specified handshake is already in the requested state."
BAD_TRANSITION = "You can't perform the operation on the handshake in its current state."
ACCESS_DENIED = "You don't have permissions to perform the requested operation."


def _org_error(code: str, message: str, reason: str | None = None) -> Response:
    return error(JSON, 400, code, message, extra={"Reason": reason} if reason else None)


def _ext() -> Any:
    from . import extensions

    return extensions


def _backend(master: str, partition: str) -> Any:
    from moto.organizations.models import organizations_backends

    return organizations_backends[master][partition]


@dataclass
class Handshake:
    id: str
    master: str
    partition: str
    org_id: str
    target_type: str  # ACCOUNT | EMAIL
    target: str
    notes: str
    requested: float
    state: str = "OPEN"
    account: str | None = None  # the account that accepted or declined

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:organizations::{self.master}:handshake/{self.org_id}/invite/{self.id}"

    @property
    def expires(self) -> float:
        return self.requested + HANDSHAKE_DAYS * 86400

    def view(self) -> dict[str, Any]:
        backend = _backend(self.master, self.partition)
        org = backend.org
        feature_set = org.feature_set if org is not None else "ALL"
        try:
            master_name = backend.get_account_by_id(self.master).name
        except Exception:  # noqa: BLE001
            master_name = "master"
        resources: list[dict[str, Any]] = [
            {"Type": "ORGANIZATION", "Value": self.org_id, "Resources": [
                {"Type": "MASTER_EMAIL", "Value": org.master_account_email if org is not None else ""},
                {"Type": "MASTER_NAME", "Value": master_name},
                {"Type": "ORGANIZATION_FEATURE_SET", "Value": feature_set},
            ]},
            {"Type": self.target_type, "Value": self.target},
        ]
        if self.notes:
            resources.append({"Type": "NOTES", "Value": self.notes})
        return {
            "Id": self.id,
            "Arn": self.arn,
            "Parties": [{"Id": self.org_id, "Type": "ORGANIZATION"}, {"Id": self.target, "Type": self.target_type}],
            "State": self.state,
            "RequestedTimestamp": self.requested,
            "ExpirationTimestamp": self.expires,
            "Action": "INVITE",
            "Resources": resources,
        }


@dataclass
class PendingJoin:
    account: str
    master: str
    partition: str
    due: float


class Joins:
    def __init__(self, state: Any) -> None:
        self.state = state
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.handshakes: dict[str, Handshake] = {}
            self.pending: list[PendingJoin] = []
            # Seconds between an account's arrival and GuardDuty's auto-enable of it.
            self.guardduty_delay_s = 0.0
            self._next_due = math.inf

    # -- control API -----------------------------------------------------------------------

    def control_guardduty(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if method == "POST":
                unknown = set(body) - {"delay_s"}
                if unknown:
                    raise ValueError(f"unknown auto-enable fields: {sorted(unknown)}")
                if "delay_s" in body:
                    value = body["delay_s"]
                    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 3600:
                        raise ValueError("`delay_s` must be a number of seconds from 0 to 3600")
                    self.guardduty_delay_s = float(value)
            return {
                "delay_s": self.guardduty_delay_s,
                "pending": [{"account": p.account, "due_in_s": max(0.0, round(p.due - time.time(), 3))} for p in self.pending],
            }

    def control_invite(self, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /_radiant/organizations/invite {"account", "name", "email"}`: the account joins
        the seeded organization as InviteAccountToOrganization followed by the account's own
        AcceptHandshake would make it join (a shortcut for tests that do not need the
        handshake)."""
        from .seeding import MANAGEMENT_ACCOUNT

        unknown = set(body) - {"account", "name", "email", "partition"}
        if unknown:
            raise ValueError(f"unknown invite fields: {sorted(unknown)}")
        account = str(body.get("account") or "")
        if not _ACCOUNT.fullmatch(account):
            raise ValueError("`account` must be a 12-digit account id")
        partition = str(body.get("partition") or "aws")
        with self.lock:
            backend = _backend(MANAGEMENT_ACCOUNT, partition)
            if backend.org is None:
                raise ValueError("no organization: seed one first")
            if _ext().org_master_of(account, partition) is not None:
                raise ValueError(f"account {account} is already in an organization")
            hs = self._new_handshake(MANAGEMENT_ACCOUNT, partition, backend.org.id, "ACCOUNT", account, "")
            self._accept(hs, account, body.get("name"), body.get("email"))
            return {"account": account, "handshake_id": hs.id, "joined_method": "INVITED"}

    # -- events ----------------------------------------------------------------------------

    def joined(self, master: str, partition: str, account: str) -> None:
        """An account joined (CreateAccount, or an accepted invitation)."""
        with self.lock:
            self.pending.append(PendingJoin(account, master, partition, time.time() + self.guardduty_delay_s))
            self._next_due = min(self._next_due, self.pending[-1].due)
        self.state.stacksets.organization_changed(master, partition, account)
        self.advance()

    def moved(self, master: str, partition: str, account: str) -> None:
        self.state.stacksets.organization_changed(master, partition, account)

    def left(self, master: str, partition: str, account: str) -> None:
        with self.lock:
            self.pending = [p for p in self.pending if p.account != account]
        self.state.stacksets.organization_changed(master, partition, account)

    # -- GuardDuty auto-enable -------------------------------------------------------------

    def advance(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        if now < self._next_due:
            return
        with self.lock:
            due = [p for p in self.pending if p.due <= now]
            self.pending = [p for p in self.pending if p.due > now]
            self._next_due = min((p.due for p in self.pending), default=math.inf)
        for join in due:
            self._auto_enable(join)

    def _auto_enable(self, join: PendingJoin) -> None:
        """The account, still in the organization, becomes an Enabled member of the GuardDuty
        administrator in every Region where that administrator's organization configuration says
        `autoEnableOrganizationMembers` NEW or ALL (at the time GuardDuty acts), with a detector
        (GuardDuty enabled in it, the administrator's frequency) whose protection plans are those
        the configuration auto-enables (features with `autoEnable` NEW or ALL)."""
        ext = _ext()
        state = self.state
        if ext.org_master_of(join.account, join.partition) != join.master:
            return
        with state.lock:
            configs = dict(state.org_config)
            admins = dict(state.gd_admins)
        try:
            email = _backend(join.master, join.partition).get_account_by_id(join.account).email
        except Exception:  # noqa: BLE001
            email = ""
        for (admin, region), conf in sorted(configs.items()):
            if admins.get((join.master, region)) != admin or ext.partition_of(region) != join.partition:
                continue
            if conf.get("autoEnableOrganizationMembers") not in ("NEW", "ALL") or admin == join.account:
                continue
            with state.lock:
                if join.account in state.members.get((admin, region), {}):
                    continue
            admin_det = ext._gd_first_detector(admin, region)
            if admin_det is None:
                continue
            ext._gd_enable_member(state, admin_det, admin, join.account, region)
            det = ext._gd_first_detector(join.account, region)
            enabled = [{"name": name, "status": "ENABLED"} for name, mode in sorted(conf.get("features", {}).items()) if mode in ("NEW", "ALL")]
            if det is not None and enabled:
                det.features = ext._merge_features(det.features, enabled)
            with state.lock:
                state.members.setdefault((admin, region), {})[join.account] = {
                    "accountId": join.account,
                    "email": email,
                    "administratorId": admin,
                    "masterId": admin,
                    "relationshipStatus": "Enabled",
                    "invitedAt": ext.now_iso(),
                    "updatedAt": ext.now_iso(),
                }

    # -- handshakes ------------------------------------------------------------------------

    def _new_handshake(self, master: str, partition: str, org_id: str, kind: str, target: str, notes: str) -> Handshake:
        hs = Handshake(
            id="h-" + uuid.uuid4().hex[:12], master=master, partition=partition, org_id=org_id,
            target_type=kind, target=target, notes=notes, requested=time.time(),
        )
        self.handshakes[hs.id] = hs
        return hs

    def _expire(self) -> None:
        now = time.time()
        for hs in self.handshakes.values():
            if hs.state == "OPEN" and hs.expires <= now:
                hs.state = "EXPIRED"

    def _accept(self, hs: Handshake, account: str, name: Any = None, email: Any = None) -> None:
        """The account joins the organization: in the root, JoinedMethod INVITED, joined now,
        and no OrganizationAccountAccessRole (Organizations creates that role only in accounts it
        creates)."""
        from moto.core.utils import utcnow
        from moto.organizations import utils as org_utils
        from moto.organizations.models import FakeAccount, organizations_backends

        backend = _backend(hs.master, hs.partition)
        acct = FakeAccount.__new__(FakeAccount)  # not FakeAccount(...): its __init__ creates the role
        acct.type = "ACCOUNT"
        acct.region = backend.org.region
        acct.organization_id = backend.org.id
        acct.master_account_id = hs.master
        acct.create_account_status_id = org_utils.make_random_create_account_status_id()
        acct.id = account
        acct.name = str(name or f"account-{account}")
        acct.email = str(email or (hs.target if hs.target_type == "EMAIL" else f"aws+{account}@example.com"))
        acct.create_time = utcnow()
        acct.status = "ACTIVE"
        acct.state = "ACTIVE"
        acct.joined_method = "INVITED"
        acct.parent_id = backend.org.root_id
        acct.attached_policies = []
        acct.tags = {}
        backend.accounts.append(acct)
        for policy_id in (org_utils.DEFAULT_SCP_POLICY_ID, org_utils.DEFAULT_RCP_POLICY_ID):
            backend.attach_policy(PolicyId=policy_id, TargetId=account)
        organizations_backends.master_accounts[account] = (hs.master, hs.partition)
        hs.state, hs.account = "ACCEPTED", account
        self.joined(hs.master, hs.partition, account)


def _joins(state: Any) -> Joins:
    return state.joins


def org_invite(state: Any, req: AwsRequest, ident: Identity) -> Response | None:
    """InviteAccountToOrganization: "You can only call this operation from the management
    account." Target ACCOUNT (an account id) or EMAIL; an account already in an organization is a
    HandshakeConstraintViolationException (ALREADY_IN_AN_ORGANIZATION), a second open invitation
    of the same target a DuplicateHandshakeException."""
    joins = _joins(state)
    ext = _ext()
    body = req.json()
    master = ext.org_master_of(ident.account, req.partition)
    if master is None:
        return _org_error("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
    if master != ident.account:
        return _org_error("AccessDeniedException", ACCESS_DENIED)
    target = body.get("Target") if isinstance(body.get("Target"), dict) else {}
    kind, value = str(target.get("Type") or ""), str(target.get("Id") or "")
    if kind == "ACCOUNT" and not _ACCOUNT.fullmatch(value):
        return _org_error("InvalidInputException", "You specified the wrong type of entity (account, organization, or email) as a party.", "INVALID_PARTY_TYPE_TARGET")
    if kind == "EMAIL" and not _EMAIL.fullmatch(value):
        return _org_error("InvalidInputException", "You specified an invalid email address for the invited account owner.", "INVALID_EMAIL_ADDRESS_TARGET")
    if kind not in ("ACCOUNT", "EMAIL"):
        return _org_error("InvalidInputException", "You specified the wrong type of entity (account, organization, or email) as a party.", "INVALID_PARTY_TYPE_TARGET")
    if kind == "ACCOUNT" and ext.org_master_of(value, req.partition) is not None:
        return _org_error("HandshakeConstraintViolationException", ALREADY_IN_ORG, "ALREADY_IN_AN_ORGANIZATION")
    backend = _backend(ident.account, req.partition)
    with joins.lock:
        joins._expire()
        if any(h.state == "OPEN" and h.master == ident.account and (h.target_type, h.target) == (kind, value) for h in joins.handshakes.values()):
            return _org_error("DuplicateHandshakeException", DUPLICATE)
        hs = joins._new_handshake(ident.account, req.partition, backend.org.id, kind, value, str(body.get("Notes") or ""))
        return json_response({"Handshake": hs.view()}, content_type="application/x-amz-json-1.1")


def _handshake(joins: Joins, req: AwsRequest, ident: Identity) -> tuple[Handshake | None, Response | None]:
    hid = str(req.json().get("HandshakeId") or "")
    if not _HANDSHAKE_ID.fullmatch(hid):
        return None, _org_error("InvalidInputException", "You provided a value that doesn't match the required pattern.", "INVALID_PATTERN")
    joins._expire()
    hs = joins.handshakes.get(hid)
    if hs is None or not _visible_or_invitee(hs, ident.account, req.partition):
        return None, _org_error("HandshakeNotFoundException", NOT_FOUND)
    return hs, None


def _visible_or_invitee(hs: Handshake, account: str, partition: str) -> bool:
    if hs.partition != partition:
        return False
    if account in (hs.master, hs.account) or (hs.target_type == "ACCOUNT" and hs.target == account):
        return True
    # An EMAIL invitation: the emulator does not know which account owns the address; any
    # account outside an organization may answer it.
    return hs.target_type == "EMAIL" and hs.state == "OPEN" and _ext().org_master_of(account, partition) is None


def org_accept(state: Any, req: AwsRequest, ident: Identity) -> Response | None:
    """AcceptHandshake, by the invited account only ("Only a member account can accept ...
    Invitation to join (INVITE)"): the account joins the organization."""
    joins = _joins(state)
    with joins.lock:
        hs, err = _handshake(joins, req, ident)
        if err is not None:
            return err
        assert hs is not None
        if ident.account == hs.master:
            return _org_error("AccessDeniedException", ACCESS_DENIED)
        if hs.state == "ACCEPTED":
            return _org_error("HandshakeAlreadyInStateException", ALREADY_IN_STATE)
        if hs.state != "OPEN":
            return _org_error("InvalidHandshakeTransitionException", BAD_TRANSITION)
        if _ext().org_master_of(ident.account, req.partition) is not None:
            return _org_error("HandshakeConstraintViolationException", ALREADY_IN_ORG, "ALREADY_IN_AN_ORGANIZATION")
        joins._accept(hs, ident.account)
        return json_response({"Handshake": hs.view()}, content_type="application/x-amz-json-1.1")


def org_decline(state: Any, req: AwsRequest, ident: Identity) -> Response | None:
    joins = _joins(state)
    with joins.lock:
        hs, err = _handshake(joins, req, ident)
        if err is not None:
            return err
        assert hs is not None
        if ident.account == hs.master:
            return _org_error("AccessDeniedException", ACCESS_DENIED)
        if hs.state == "DECLINED":
            return _org_error("HandshakeAlreadyInStateException", ALREADY_IN_STATE)
        if hs.state != "OPEN":
            return _org_error("InvalidHandshakeTransitionException", BAD_TRANSITION)
        hs.state, hs.account = "DECLINED", ident.account
        return json_response({"Handshake": hs.view()}, content_type="application/x-amz-json-1.1")


def org_cancel(state: Any, req: AwsRequest, ident: Identity) -> Response | None:
    joins = _joins(state)
    with joins.lock:
        hs, err = _handshake(joins, req, ident)
        if err is not None:
            return err
        assert hs is not None
        if ident.account != hs.master:
            return _org_error("AccessDeniedException", ACCESS_DENIED)
        if hs.state == "CANCELED":
            return _org_error("HandshakeAlreadyInStateException", ALREADY_IN_STATE)
        if hs.state != "OPEN":
            return _org_error("InvalidHandshakeTransitionException", BAD_TRANSITION)
        hs.state = "CANCELED"
        return json_response({"Handshake": hs.view()}, content_type="application/x-amz-json-1.1")


def org_describe_handshake(state: Any, req: AwsRequest, ident: Identity) -> Response | None:
    joins = _joins(state)
    with joins.lock:
        hs, err = _handshake(joins, req, ident)
        if err is not None:
            return err
        assert hs is not None
        return json_response({"Handshake": hs.view()}, content_type="application/x-amz-json-1.1")


def _list_handshakes(joins: Joins, req: AwsRequest, items: list[Handshake]) -> Response:
    from .org_limits import page_token

    body = req.json()
    flt = body.get("Filter") if isinstance(body.get("Filter"), dict) else {}
    if flt.get("ActionType") not in (None, "INVITE"):
        items = []
    page, nxt, err = page_token(req, [h.view() for h in sorted(items, key=lambda h: h.requested)])
    if err is not None:
        return err
    out: dict[str, Any] = {"Handshakes": page}
    if nxt:
        out["NextToken"] = nxt
    return json_response(out, content_type="application/x-amz-json-1.1")


def org_list_handshakes_for_account(state: Any, req: AwsRequest, ident: Identity) -> Response | None:
    joins = _joins(state)
    with joins.lock:
        joins._expire()
        items = [h for h in joins.handshakes.values() if _visible_or_invitee(h, ident.account, req.partition) and ident.account != h.master]
        return _list_handshakes(joins, req, items)


def org_list_handshakes_for_organization(state: Any, req: AwsRequest, ident: Identity) -> Response | None:
    ext = _ext()
    if ext.org_master_of(ident.account, req.partition) != ident.account:
        return _org_error("AccessDeniedException", ACCESS_DENIED)
    joins = _joins(state)
    with joins.lock:
        joins._expire()
        items = [h for h in joins.handshakes.values() if h.master == ident.account and h.partition == req.partition]
        return _list_handshakes(joins, req, items)


# -- membership changes made by moto: their post hooks ------------------------------------------------


def org_account_id_before(state: Any, req: AwsRequest, ident: Identity) -> Any:
    return str(req.json().get("AccountId") or "")


def org_moved_after(state: Any, req: AwsRequest, ident: Identity, _body: bytes) -> None:
    if req.snapshot:
        _joins(state).moved(ident.account, req.partition, str(req.snapshot))


def org_removed_after(state: Any, req: AwsRequest, ident: Identity, _body: bytes) -> None:
    if req.snapshot:
        _joins(state).left(ident.account, req.partition, str(req.snapshot))


PRE_HOOKS: dict[tuple[str, str], Any] = {
    ("organizations", "InviteAccountToOrganization"): org_invite,
    ("organizations", "AcceptHandshake"): org_accept,
    ("organizations", "DeclineHandshake"): org_decline,
    ("organizations", "CancelHandshake"): org_cancel,
    ("organizations", "DescribeHandshake"): org_describe_handshake,
    ("organizations", "ListHandshakesForAccount"): org_list_handshakes_for_account,
    ("organizations", "ListHandshakesForOrganization"): org_list_handshakes_for_organization,
}

BEFORE_HOOKS: dict[tuple[str, str], Any] = {
    ("organizations", "MoveAccount"): org_account_id_before,
    ("organizations", "RemoveAccountFromOrganization"): org_account_id_before,
}

POST_HOOKS: dict[tuple[str, str], Any] = {
    ("organizations", "MoveAccount"): org_moved_after,
    ("organizations", "RemoveAccountFromOrganization"): org_removed_after,
}
