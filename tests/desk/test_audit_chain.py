import datetime as dt
import io
import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from apps.alerts.services import alert_claim, alerts_offer
from apps.desk.audit import GENESIS, body, link_hash
from apps.desk.audit_verify import verify
from apps.desk.chain_sql import TABLE, seal, unseal
from apps.desk.history import acting_task
from apps.desk.models import AuditEntry
from apps.desk.selectors import day_closing_hash
from apps.detection.models import DetectionRule
from tests.alerts.payloads import stored_alert


def links_after(seq: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(seq__gt=seq).order_by("seq"))


def head() -> int:
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def raw(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def as_superuser(sql: str, params: list | None = None) -> None:
    """What a database superuser can do: lift the triggers, write, put them back."""
    vendor = connection.vendor
    for statement in unseal(vendor):
        raw(statement)
    raw(sql, params)
    for statement in seal(vendor):
        raw(statement)


def verify_audit() -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, err.getvalue() + str(error)
    return 0, out.getvalue()


@pytest.mark.django_db
def test_an_alert_received_and_claimed_is_chained_with_who_what_and_the_changed_fields(
    operator,
) -> None:
    start = head()
    alert = stored_alert(1)
    alert_claim(alert=alert, by=operator)

    created, claimed = links_after(start)
    assert (created.model, created.object_id, created.kind) == (
        "alerts.alert",
        str(alert.pk),
        "created",
    )
    assert json.loads(created.changes)["dedup_key"] == alert.dedup_key
    assert (claimed.kind, claimed.actor) == ("changed", f"user:{operator.pk}")
    changed = json.loads(claimed.changes)
    assert changed["status"] == "claimed" and changed["assignee_id"] == operator.pk
    assert "summary" not in changed  # only what the claim changed
    assert claimed.prev_hash == created.hash
    assert verify().broken is None


@pytest.mark.django_db
def test_a_bulk_offer_and_a_rule_switched_off_are_chained(operator) -> None:
    alert = stored_alert(2)
    start = head()
    with acting_task("route_alerts"):
        alerts_offer(offers=[(alert, operator)], at=timezone.now(), reason="routed to the shift")
    rule = DetectionRule.objects.first()
    assert rule is not None
    rule.enabled = False
    rule.save()

    offer, switched = links_after(start)
    assert json.loads(offer.changes)["offered_to_id"] == operator.pk
    assert offer.reason == "routed to the shift" and offer.history_id is not None
    assert offer.actor == "task:route_alerts"
    assert (switched.model, json.loads(switched.changes)) == (
        "detection.detectionrule",
        {"enabled": False},
    )


@pytest.mark.django_db
def test_a_role_given_to_a_person_and_a_permission_given_to_a_role_are_chained(
    operator,
) -> None:
    start = head()
    operator.groups.add(Group.objects.get(name="supervisor"))
    group = Group.objects.get(name="auditor")
    group.permissions.add(Permission.objects.get(codename="change_alert"))

    role, permission = links_after(start)
    assert (role.model, role.object_id) == ("people.user", str(operator.pk))
    assert json.loads(role.changes) == {"groups": ["operator", "supervisor"]}
    assert permission.model == "auth.group"
    assert "alerts.change_alert" in json.loads(permission.changes)["permissions"]


@pytest.mark.django_db
def test_the_database_refuses_update_and_delete_on_the_chain() -> None:
    stored_alert(3)
    seq = head()
    for sql in (
        f"UPDATE {TABLE} SET changes = '{{}}' WHERE seq = %s",
        f"DELETE FROM {TABLE} WHERE seq = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            raw(sql, [seq])
    assert AuditEntry.objects.filter(seq=seq).exists()


@pytest.mark.django_db
def test_verify_audit_names_a_link_changed_with_raw_sql_past_the_triggers(operator) -> None:
    alert = stored_alert(4)
    alert_claim(alert=alert, by=operator)
    assert verify_audit()[0] == 0
    claim = AuditEntry.objects.get(seq=head())
    honest = claim.hash

    # The claim now says someone else claimed it.
    as_superuser(f"UPDATE {TABLE} SET actor = 'user:999' WHERE seq = %s", [claim.seq])
    code, said = verify_audit()
    assert code == 1
    claim.refresh_from_db()
    tampered = link_hash(claim.prev_hash, body(claim))
    assert f"link {claim.seq}: the hash of its content is {honest}, should be {tampered}" in said


@pytest.mark.django_db
def test_a_link_rewritten_with_its_own_hash_recomputed_breaks_the_next_one(operator) -> None:
    alert = stored_alert(5)
    alert_claim(alert=alert, by=operator)
    created = AuditEntry.objects.get(seq=head() - 1)
    created.changes = created.changes.replace('"high"', '"low"')
    forged = link_hash(created.prev_hash, body(created))
    as_superuser(
        f"UPDATE {TABLE} SET changes = %s, hash = %s WHERE seq = %s",
        [created.changes, forged, created.seq],
    )
    verdict = verify()
    assert verdict.broken is not None and verdict.broken.seq == created.seq + 1
    assert verdict.broken.what == "the previous hash it holds"
    assert (verdict.broken.says, verdict.broken.should) != (forged, forged)
    assert verdict.broken.should == forged


@pytest.mark.django_db
def test_verify_audit_catches_a_removed_link(operator) -> None:
    alert = stored_alert(6)
    alert_claim(alert=alert, by=operator)
    stored_alert(7)
    gone = head() - 1
    as_superuser(f"DELETE FROM {TABLE} WHERE seq = %s", [gone])
    code, said = verify_audit()
    assert code == 1
    assert f"link {gone + 1}: its number (the link before it is missing) is {gone + 1}" in said


@pytest.mark.django_db
def test_an_empty_or_intact_chain_verifies_and_the_first_link_follows_genesis() -> None:
    first = AuditEntry.objects.order_by("seq").first()
    if first is not None:  # the migrations' own links (roles, rules)
        assert (first.seq, first.prev_hash) == (1, GENESIS)
    stored_alert(8)
    code, said = verify_audit()
    assert code == 0 and f"last hash {AuditEntry.objects.get(seq=head()).hash}" in said


@pytest.mark.django_db
def test_the_day_closing_hash_is_the_last_link_of_that_utc_day() -> None:
    stored_alert(9)
    stored_alert(10)
    today = timezone.now().astimezone(dt.UTC).date()
    assert day_closing_hash(today) == AuditEntry.objects.get(seq=head()).hash
    assert day_closing_hash(today + dt.timedelta(days=1)) is None


@pytest.mark.django_db
def test_a_person_starting_to_watch_a_case_is_chained_with_the_watchers(supervisor) -> None:
    from apps.cases.services import case_watch
    from tests.cases.helpers import case_objects

    case = case_objects()[0]
    start = head()
    case_watch(case=case, by=supervisor, watching=True)

    (watched,) = [link for link in links_after(start) if link.model == "cases.case"]
    assert supervisor.pk in json.loads(watched.changes)["watchers"]
    assert verify().broken is None
