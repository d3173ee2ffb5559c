from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django import forms
from django.contrib.auth.models import Group

from apps.people.roles import Role
from apps.people.selectors import active_members, active_supervisors, desk_people
from apps.shifts.models import Shift, ShiftChange

if TYPE_CHECKING:
    from apps.people.models import User


def _people(role: Role) -> forms.ModelChoiceField:
    people = active_members(role).order_by("first_name")
    return forms.ModelChoiceField(queryset=people)


class ShiftChangeForm(forms.Form):
    kind = forms.ChoiceField(choices=ShiftChange.Kind.choices, widget=forms.RadioSelect)
    counterpart = forms.ModelChoiceField(queryset=desk_people().none(), label="With")
    counterpart_shift = forms.ModelChoiceField(
        queryset=Shift.objects.none(),
        required=False,
        label="Their shift (for a swap)",
        help_text="The shift you take in return.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: object, requester: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        operators = Group.objects.get(name=Role.OPERATOR).user_set.filter(is_active=True)
        self.fields["counterpart"].queryset = operators.exclude(pk=requester.pk).order_by(  # type: ignore[attr-defined]
            "first_name"
        )
        now = datetime.now(UTC)
        self.fields["counterpart_shift"].queryset = (  # type: ignore[attr-defined]
            Shift.objects.filter(ends_at__gt=now, starts_at__lt=now + timedelta(weeks=6))
            .exclude(assignments__person=requester)
            .select_related("pattern")
            .order_by("starts_at")
        )


class AssignForm(forms.Form):
    person = _people(Role.OPERATOR)


class SupervisorForm(forms.Form):
    person = forms.ModelChoiceField(
        queryset=active_supervisors(),
        required=False,
        label="Covering supervisor",
    )


class DecisionForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.TextInput())


class HandoverForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        label="What the incoming shift must know",
    )
