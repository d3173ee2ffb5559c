"""The desk's roles: one Django group each, with the model permissions the role holds.

This table is the one place a role's reach is written down; views and endpoints name the
roles they serve (apps.people.access), and the groups get these permissions after migrate.
"""

from typing import Any

from django.db.models import TextChoices


class Role(TextChoices):
    OPERATOR = "operator", "Risk operator"
    SUPERVISOR = "supervisor", "Supervisor"
    STRATEGY = "strategy", "Strategy"
    CUSTOMER_SERVICE = "customer_service", "Customer service"
    AUDITOR = "auditor", "Auditor"
    SYSTEM = "system", "System"


# The role shown in the header when a person holds several: the one with most reach first.
ROLE_PRECEDENCE = [
    Role.SUPERVISOR,
    Role.OPERATOR,
    Role.STRATEGY,
    Role.AUDITOR,
    Role.CUSTOMER_SERVICE,
    Role.SYSTEM,
]

STAFF_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.STRATEGY, Role.AUDITOR)
# The roles that work the desk: alerts, cases, measures, the shift's handover. Strategy and
# auditors read.
WORKING_ROLES = (Role.OPERATOR, Role.SUPERVISOR)
# Who follows (watches) cases; auditors read and change nothing.
FOLLOWING_ROLES = (*WORKING_ROLES, Role.STRATEGY)
# Who reads the shift's pages (rota, dashboard, handover).
SHIFT_READERS = (*WORKING_ROLES, Role.AUDITOR)
EVERY_PERSON = (*STAFF_ROLES, Role.CUSTOMER_SERVICE)
# Who reads the daily risk-control report; of them, who asks for a build (auditors read and
# change nothing), and who keeps the list it is mailed to.
REPORT_READERS = (Role.SUPERVISOR, Role.STRATEGY, Role.AUDITOR)
REPORT_BUILDERS = (Role.SUPERVISOR, Role.STRATEGY)
REPORT_MAIL_KEEPERS = (Role.SUPERVISOR,)

# "app_label.action_model" codenames per role; a "*" model means every model of the app.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.OPERATOR: [
        "accounts.view_*",
        "people.view_user",
        "shifts.view_*",
        "actions.view_*",
        "alerts.view_*",
        "cases.view_*",
        "cases.add_case",
    ],
    Role.SUPERVISOR: [
        "accounts.view_*",
        "people.view_user",
        "shifts.view_*",
        "actions.view_*",
        "alerts.view_*",
        "cases.view_*",
        "cases.add_case",
        "cases.change_case",
    ],
    Role.STRATEGY: ["accounts.view_*", "actions.view_*", "alerts.view_alert", "cases.view_*"],
    Role.CUSTOMER_SERVICE: ["accounts.view_exchangeaccount"],
    Role.AUDITOR: [
        "accounts.view_*",
        "people.view_user",
        "people.view_historicaluser",
        "alerts.view_*",
        "shifts.view_*",
        "actions.view_*",
        "cases.view_*",
    ],
    Role.SYSTEM: [],
}


def grant_role_permissions(**kwargs: Any) -> None:
    """Create the role groups and give each exactly the permissions of ROLE_PERMISSIONS."""
    from django.contrib.auth.models import Group, Permission

    for role, patterns in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted: set[int] = set()
        for pattern in patterns:
            app_label, codename = pattern.split(".", 1)
            permissions = Permission.objects.filter(content_type__app_label=app_label)
            if codename.endswith("*"):
                permissions = permissions.filter(codename__startswith=codename[:-1])
            else:
                permissions = permissions.filter(codename=codename)
            wanted.update(permissions.values_list("pk", flat=True))
        group.permissions.set(wanted)
