"""Newsroom forms for the cases room. Bilingual fields: fill one language or both."""

from datetime import datetime, time
from typing import Any, cast

from django import forms
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from jiandu.cases.metrics import local_zone
from jiandu.cases.models import (
    HOLD_HOURS_MAX,
    HOLD_HOURS_MIN,
    Case,
    Citation,
    EventType,
    Person,
    PersonRole,
    Policy,
    Position,
    Precision,
)
from jiandu.cases.text import has_chinese

# Words the public URL map uses under /cases/: no case may take them as its address.
RESERVED_SLUGS = {"search", "feed", "api", "export", "evidence", "people", "sitemap-xml"}

TEXTAREA = forms.Textarea(attrs={"rows": 3})


def _need_one(cleaned: dict, name: str, label: str | Promise) -> None:
    if not (cleaned.get(f"{name}_zh") or cleaned.get(f"{name}_en")):
        raise forms.ValidationError(
            _("Write the %(field)s in Chinese or in English.") % {"field": label}
        )


class Bilingual:
    """Each `*_zh` / `*_en` field's widget declares its language (`lang`): a screen reader
    reads an English text in an English voice on a Chinese page, the browser checks its
    spelling in the right language, and a page's checker knows it is content in English, not
    an untranslated label (issue 18, item 10)."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name.endswith(("_zh", "_en")):
                field.widget.attrs["lang"] = name[-2:]


class CaseForm(Bilingual, forms.ModelForm):
    class Meta:
        model = Case
        fields = [
            "title_zh",
            "title_en",
            "summary_zh",
            "summary_en",
            "allegations_zh",
            "allegations_en",
        ]
        widgets = {
            "summary_zh": TEXTAREA,
            "summary_en": TEXTAREA,
            "allegations_zh": TEXTAREA,
            "allegations_en": TEXTAREA,
        }

    def clean(self) -> dict:
        cleaned = cast("dict[str, Any]", super().clean())  # Form.clean returns cleaned_data
        _need_one(cleaned, "title", _("title"))
        return cleaned


class NewCaseForm(CaseForm):
    slug = forms.SlugField(
        label=_("Address"),
        required=False,
        help_text=_(
            "For /cases/<address>/: letters, digits, hyphens. Empty: from the English title."
        ),
    )

    class Meta(CaseForm.Meta):
        fields = ["slug", *CaseForm.Meta.fields]

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS or Case.objects.filter(slug=slug).exclude(slug="").exists():
            raise forms.ValidationError(_("This address is taken. Choose another."))
        return slug


class PersonForm(Bilingual, forms.ModelForm):
    slug = forms.SlugField(
        label=_("Address"),
        required=False,
        help_text=_("For /cases/people/<address>/. Left empty, it is made from the English name."),
    )

    class Meta:
        model = Person
        fields = ["slug", "name_zh", "name_en", "summary_zh", "summary_en"]
        widgets = {"summary_zh": TEXTAREA, "summary_en": TEXTAREA}

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        taken = Person.objects.filter(slug=slug)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if slug and taken.exists():
            raise forms.ValidationError(_("This address is taken. Choose another."))
        return slug or self.instance.slug

    def clean(self) -> dict:
        cleaned = cast("dict[str, Any]", super().clean())  # Form.clean returns cleaned_data
        _need_one(cleaned, "name", _("name"))
        return cleaned


class DateInput(forms.DateInput):
    input_type = "date"


class PositionForm(Bilingual, forms.ModelForm):
    class Meta:
        model = Position
        fields = [
            "title_zh",
            "title_en",
            "organisation_zh",
            "organisation_en",
            "place_zh",
            "place_en",
            "start",
            "start_precision",
            "end",
            "end_precision",
        ]
        widgets = {"start": DateInput(), "end": DateInput()}


class LinkPersonForm(Bilingual, forms.Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=Person.objects.all())
    role = forms.ChoiceField(label=_("Role in the case"), choices=PersonRole.choices)
    note_zh = forms.CharField(label=_("note (Chinese)"), required=False, max_length=300)
    note_en = forms.CharField(label=_("note (English)"), required=False, max_length=300)


class CitationForm(forms.ModelForm):
    class Meta:
        model = Citation
        fields = ["outlet", "title", "published_on", "url", "quote"]
        widgets = {"published_on": DateInput(), "quote": TEXTAREA}


class CitationChoices(forms.ModelMultipleChoiceField):
    """A case's sources to tick, each by its outlet and date; an outlet without Chinese is
    declared English (a name quoted as the source gives it, not a label to translate)."""

    def label_from_instance(self, obj: Citation) -> str:
        if has_chinese(obj.outlet):
            return str(obj)
        if obj.published_on is None:
            return format_html('<span lang="en">{}</span>', obj.outlet)
        return format_html('<span lang="en">{}</span> {}', obj.outlet, obj.published_on)


class _CaseBound(Bilingual, forms.Form):
    """A form whose choices are the case's own citations."""

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "citations" in self.fields:
            cast(
                forms.ModelMultipleChoiceField, self.fields["citations"]
            ).queryset = case.citations.all()
        if "people" in self.fields:
            cast(forms.ModelMultipleChoiceField, self.fields["people"]).queryset = case.people.all()


class EventForm(_CaseBound):
    type = forms.ChoiceField(label=_("What happened"), choices=EventType.choices)
    date = forms.DateField(
        label=_("date"),
        widget=DateInput(),
        help_text=_("Known only to the month or the year? Pick any day in it; it is not shown."),
    )
    hour = forms.IntegerField(
        label=_("Hour (0 to 23)"),
        min_value=0,
        max_value=23,
        required=False,
        help_text=_("Only when the sources give the time of day."),
    )
    precision = forms.ChoiceField(
        label=_("The date is known"), choices=Precision.choices, initial=Precision.DAY
    )
    description_zh = forms.CharField(
        label=_("description (Chinese)"), required=False, widget=TEXTAREA
    )
    description_en = forms.CharField(
        label=_("description (English)"), required=False, widget=TEXTAREA
    )
    people = forms.ModelMultipleChoiceField(
        label=_("People involved"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    citations = CitationChoices(
        label=_("Sources"),
        queryset=Citation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self) -> dict:
        cleaned = cast("dict[str, Any]", super().clean())  # Form.clean returns cleaned_data
        if cleaned.get("precision") == Precision.HOUR and cleaned.get("hour") is None:
            self.add_error("hour", _("Give the hour, or choose a coarser precision."))
        _need_one(cleaned, "description", _("description"))
        if cleaned.get("date"):
            hour = cleaned.get("hour") if cleaned.get("precision") == Precision.HOUR else 0
            cleaned["occurred_at"] = datetime.combine(
                cleaned["date"], time(hour or 0), tzinfo=local_zone()
            )
        return cleaned


class ClaimForm(Bilingual, forms.Form):
    question_zh = forms.CharField(label=_("question (Chinese)"), required=False, max_length=300)
    question_en = forms.CharField(label=_("question (English)"), required=False, max_length=300)

    def clean(self) -> dict:
        cleaned = cast("dict[str, Any]", super().clean())  # Form.clean returns cleaned_data
        _need_one(cleaned, "question", _("question"))
        return cleaned


class ClaimVersionForm(_CaseBound):
    value_zh = forms.CharField(label=_("short answer (Chinese)"), required=False, max_length=60)
    value_en = forms.CharField(label=_("short answer (English)"), required=False, max_length=60)
    statement_zh = forms.CharField(label=_("statement (Chinese)"), required=False, widget=TEXTAREA)
    statement_en = forms.CharField(label=_("statement (English)"), required=False, widget=TEXTAREA)
    claimed_by_zh = forms.CharField(
        label=_("who says so (Chinese)"), required=False, max_length=200
    )
    claimed_by_en = forms.CharField(
        label=_("who says so (English)"), required=False, max_length=200
    )
    citations = CitationChoices(
        label=_("Sources"),
        queryset=Citation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self) -> dict:
        cleaned = cast("dict[str, Any]", super().clean())  # Form.clean returns cleaned_data
        _need_one(cleaned, "value", _("short answer"))
        return cleaned


class NoteForm(forms.Form):
    """The note for the public history, in Chinese, English or both, like the case's other
    texts: a reader of the language left empty sees the other, marked with its language."""

    note_zh = forms.CharField(
        label=_("Note for the public history (Chinese)"),
        max_length=1000,
        required=False,
        widget=TEXTAREA,
        help_text=_("Simplified or Traditional; readers see it in their own script."),
    )
    note_en = forms.CharField(
        label=_("Note for the public history (English)"),
        max_length=1000,
        required=False,
        widget=TEXTAREA,
        help_text=_('Shown on the case page, e.g. "2012-11-23: confirmed by the city government".'),
    )

    def clean(self) -> dict:
        cleaned = cast("dict[str, Any]", super().clean())  # Form.clean returns cleaned_data
        _need_one(cleaned, "note", _("note"))
        return cleaned

    @property
    def pair(self) -> dict[str, str]:
        """The cleaned note as the pair `do_submit_for_review` takes."""
        return {"zh": self.cleaned_data["note_zh"], "en": self.cleaned_data["note_en"]}


class RetractForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the retraction (public)"), max_length=2000, widget=TEXTAREA
    )


class PolicyForm(forms.Form):
    """The admin's choice of publishing policy (jiandu.cases.actions.do_propose_policy)."""

    mode = forms.ChoiceField(
        label=_("Publishing policy"), choices=Policy.choices, widget=forms.RadioSelect
    )
    hold_hours = forms.IntegerField(
        label=_("Cooling-off period, in hours (one-person policy)"),
        min_value=HOLD_HOURS_MIN,
        max_value=HOLD_HOURS_MAX,
        initial=6,
        help_text=_(
            "From 1 to 24 hours. During the hold every member is notified and any member can "
            "stop the publication; any edit cancels it."
        ),
    )


class StopHoldForm(forms.Form):
    """Stopping a held publication is confirmed: a stray click must not stop a story."""

    confirm = forms.BooleanField(
        label=_("Yes, stop this publication. It is not published until someone asks again."),
    )
    reason = forms.CharField(
        label=_("Why (optional, seen by the newsroom only)"), max_length=300, required=False
    )
