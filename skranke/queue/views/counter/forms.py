"""Forms of the counter page."""

from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from skranke.catalogue.models import Queue, SubjectArea
from skranke.lib.validators import validate_no_cpr
from skranke.organisation.models import Counter, Location, Team
from skranke.queue.models import (
    Outcome,
    ReferredTo,
    Ticket,
)

# How many of the next numbers in each queue the panel names (to call one of them directly).
NEXT_NUMBERS_SHOWN = 5

# The outcomes in the order of their shortcut keys 1–4 on the page.
OUTCOME_KEYS = {
    Outcome.RESOLVED_FIRST_CONTACT: "1",
    Outcome.PASSED_TO_BACK_OFFICE: "2",
    Outcome.REFERRED: "3",
    Outcome.NOT_RESOLVED: "4",
}


# Forms ------------------------------------------------------------------------------------------


class OpenCounterForm(forms.Form):
    """Which counter at one centre, which of its queues to serve and under which team."""

    counter = forms.ModelChoiceField(
        queryset=Counter.objects.none(),
        empty_label=None,
        error_messages={
            "required": gettext_lazy("Choose a counter."),
            "invalid_choice": gettext_lazy("Choose one of this centre's counters."),
        },
    )
    queues = forms.ModelMultipleChoiceField(
        queryset=Queue.objects.none(),
        error_messages={
            "required": gettext_lazy("Choose at least one queue to serve."),
            "invalid_choice": gettext_lazy("Choose among this centre's queues."),
            "invalid_pk_value": gettext_lazy("Choose among this centre's queues."),
        },
    )
    longest_waiting_first = forms.BooleanField(required=False)
    # Which of the employee's teams the visits finished here count under (none: their first).
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose one of your own teams.")},
    )

    def __init__(
        self, location: Location, *args: Any, teams: list[Team] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.location = location
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = Team.objects.filter(
            pk__in=[team.pk for team in teams or []]
        )
        cast(forms.ModelChoiceField, self.fields["counter"]).queryset = location.counters.filter(
            active=True
        )
        cast(forms.ModelChoiceField, self.fields["queues"]).queryset = location.queues.filter(
            active=True
        )


class CallNumberForm(forms.Form):
    number = forms.CharField(
        max_length=10,
        error_messages={"required": gettext_lazy("Type the number to call, e.g. P012.")},
    )

    def clean_number(self) -> str:
        return str(self.cleaned_data["number"]).strip().upper()


class TransferForm(forms.Form):
    queue = forms.ModelChoiceField(
        queryset=Queue.objects.none(),
        error_messages={
            "required": gettext_lazy("Choose the queue to transfer to."),
            "invalid_choice": gettext_lazy("Choose one of this centre's queues."),
        },
    )

    def __init__(self, ticket: Ticket, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queues = (
            Queue.objects.filter(location=ticket.location_id, active=True)
            .exclude(pk=ticket.queue_id)
            .order_by("kind", "sort_order", "prefix")
        )
        cast(forms.ModelChoiceField, self.fields["queue"]).queryset = self.queues


class NoteForm(forms.Form):
    note = forms.CharField(max_length=200, required=False, validators=[validate_no_cpr])


class FinishForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=Outcome.choices,
        error_messages={"required": gettext_lazy("Choose the outcome of the visit.")},
    )
    referred_to = forms.ChoiceField(choices=[("", "–"), *ReferredTo.choices], required=False)
    subject_area = forms.ModelChoiceField(
        queryset=SubjectArea.objects.none(),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose one of the subject areas.")},
    )

    def __init__(self, ticket: Ticket, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"subject_area": ticket.service.subject_area_id})
        super().__init__(*args, **kwargs)
        areas = SubjectArea.objects.filter(Q(active=True) | Q(pk=ticket.service.subject_area_id))
        cast(forms.ModelChoiceField, self.fields["subject_area"]).queryset = areas

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("outcome") == Outcome.REFERRED:
            if not cleaned.get("referred_to"):
                self.add_error(
                    "referred_to", _("Choose the authority the citizen was referred to.")
                )
        else:
            # An authority left chosen from a change of mind is not a referral.
            cleaned["referred_to"] = ""
        return cleaned
