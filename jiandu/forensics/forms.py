"""Forms of the authentication workbench."""

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiandu.forensics.models import CheckEntry

TOPIC_LABELS = {
    CheckEntry.Topic.ORIGIN: _("Origin and chain of custody"),
    CheckEntry.Topic.METADATA: _("Metadata consistency"),
    CheckEntry.Topic.CORROBORATION: _("Corroboration (a second source, matching files)"),
    CheckEntry.Topic.IDENTIFIED: _("People and places identified"),
    CheckEntry.Topic.OFFICIAL: _("Official confirmation"),
}
OUTCOME_LABELS: dict[str, Promise] = {
    CheckEntry.Outcome.CONFIRMED: pgettext_lazy("checklist outcome", "Confirmed"),
    CheckEntry.Outcome.DISPUTED: _("Disputed"),
    CheckEntry.Outcome.OPEN: _("Open"),
}


# Nothing is chosen until the reader chooses: an empty first choice, so a careless click on
# "Record" confirms nothing (a browser sends a select's first option when nobody touched it).
OUTCOME_CHOICES = [
    ("", _("— choose —")),
    (CheckEntry.Outcome.OPEN, OUTCOME_LABELS[CheckEntry.Outcome.OPEN]),
    (CheckEntry.Outcome.CONFIRMED, OUTCOME_LABELS[CheckEntry.Outcome.CONFIRMED]),
    (CheckEntry.Outcome.DISPUTED, OUTCOME_LABELS[CheckEntry.Outcome.DISPUTED]),
]


class CheckForm(forms.Form):
    """One checklist entry; one form per topic on the page, told apart by the topic as prefix
    (the submit button carries the topic). The verdict has no default: recording needs one
    chosen on purpose."""

    outcome = forms.ChoiceField(
        label=_("Conclusion"),
        choices=OUTCOME_CHOICES,
        error_messages={
            "required": _(
                "Choose a conclusion for this question (confirmed, disputed or still open), "
                "then press Record again. Nothing was recorded."
            )
        },
    )
    note = forms.CharField(
        label=_("Note (how you checked)"), max_length=4000, required=False, widget=forms.Textarea
    )


class LookupForm(forms.Form):
    file = forms.FileField(label=_("File"))


class TextSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Words in scans and photos of documents"),
        max_length=200,
        help_text=_(
            "Searches the text read from the files you can read (Chinese, Simplified or "
            "Traditional, and English); spaces and case are ignored."
        ),
    )
