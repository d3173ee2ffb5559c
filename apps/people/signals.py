from typing import Any

from django.utils import timezone


def stamp_last_login(sender: Any, user: Any, **kwargs: Any) -> None:
    """Record the sign-in time without saving the person, so no history row is written."""
    type(user).objects.filter(pk=user.pk).update(last_login=timezone.now())


# The audit chain (apps.desk.audit) gets a person's roles and a role's permissions as well:
# they live in Django's m2m tables, which simple-history does not follow.


def _groups_of(user_ids: list[Any]) -> dict[Any, list[str]]:
    from django.contrib.auth.models import Group

    names: dict[Any, list[str]] = {pk: [] for pk in user_ids}
    for user_id, name in Group.objects.filter(user__in=user_ids).values_list("user", "name"):
        names[user_id].append(name)
    return {pk: sorted(found) for pk, found in names.items()}


def _permissions_of(group_ids: list[Any]) -> dict[Any, list[str]]:
    from django.contrib.auth.models import Permission

    names: dict[Any, list[str]] = {pk: [] for pk in group_ids}
    rows = Permission.objects.filter(group__in=group_ids).values_list(
        "group", "content_type__app_label", "codename"
    )
    for group_id, app, codename in rows:
        names[group_id].append(f"{app}.{codename}")
    return {pk: sorted(found) for pk, found in names.items()}


def _chain(model: str, changes: dict[Any, dict[str, Any]], kind: str, reason: str) -> None:
    from apps.desk.audit import Link, append, current_actor

    now, actor = timezone.now(), current_actor()
    append(
        [
            Link(now, model, str(pk), kind, actor, reason, None, change)
            for pk, change in sorted(changes.items(), key=lambda item: str(item[0]))
        ]
    )


def _affected(instance: Any, action: str, reverse: bool, pk_set: Any) -> list[Any] | None:
    """The ids on the owning side whose set changed (users for groups, groups for
    permissions); None when nothing is to be chained for this step."""
    if action == "pre_clear" and reverse:
        # Which owners lose this group / permission is only known before the clear.
        instance._audit_cleared = list(
            getattr(instance, _REVERSE[type(instance)._meta.label_lower]).values_list(
                "pk", flat=True
            )
        )
        return None
    if action not in ("post_add", "post_remove", "post_clear"):
        return None
    if not reverse:
        return [instance.pk]
    if action == "post_clear":
        return getattr(instance, "_audit_cleared", [])
    return list(pk_set or [])


_REVERSE = {"auth.group": "user_set", "auth.permission": "group_set"}


def _user_groups_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    users = _affected(instance, action, reverse, pk_set)
    if users:
        groups = _groups_of(users)
        _chain(
            "people.user",
            {pk: {"groups": g} for pk, g in groups.items()},
            "changed",
            "roles changed",
        )


def _group_permissions_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    groups = _affected(instance, action, reverse, pk_set)
    if groups:
        permissions = _permissions_of(groups)
        _chain(
            "auth.group",
            {pk: {"permissions": p} for pk, p in permissions.items()},
            "changed",
            "permissions changed",
        )


def _group_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kw: Any) -> None:
    if not raw:
        kind = "created" if created else "changed"
        _chain("auth.group", {instance.pk: {"name": instance.name}}, kind, f"role {kind}")


def _group_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    _chain("auth.group", {instance.pk: {}}, "deleted", "role deleted")


def _user_permissions_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    # permission.user_set.add(...) (reverse, rare) names the people in pk_set.
    users = list(pk_set or []) if reverse else [instance.pk]
    from django.contrib.auth import get_user_model

    rows = get_user_model().user_permissions.through.objects.filter(user__in=users)
    held: dict[Any, list[str]] = {pk: [] for pk in users}
    for user_id, app, codename in rows.values_list(
        "user", "permission__content_type__app_label", "permission__codename"
    ):
        held[user_id].append(f"{app}.{codename}")
    _chain(
        "people.user",
        {pk: {"user_permissions": sorted(p)} for pk, p in held.items()},
        "changed",
        "permissions changed",
    )


def chain_people_changes() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models.signals import m2m_changed, post_delete, post_save

    user = get_user_model()
    m2m_changed.connect(
        _user_groups_changed, sender=user.groups.through, dispatch_uid="people.chain_groups"
    )
    m2m_changed.connect(
        _user_permissions_changed,
        sender=user.user_permissions.through,
        dispatch_uid="people.chain_user_permissions",
    )
    m2m_changed.connect(
        _group_permissions_changed,
        sender=Group.permissions.through,
        dispatch_uid="people.chain_group_permissions",
    )
    post_save.connect(_group_saved, sender=Group, dispatch_uid="people.chain_group_saved")
    post_delete.connect(_group_deleted, sender=Group, dispatch_uid="people.chain_group_deleted")
