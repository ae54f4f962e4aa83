"""The cases room's data: people and their posts, cases with their sourced timelines, claims
whose sources disagree, published evidence, and the public revisions of each case.

Text fields come in pairs (`*_zh`, `*_en`, see jiandu.cases.text). The rows here are the
newsroom's working copy; what the public sees is the snapshot in the latest `Revision`.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from jiandu.cases.text import localize


class Precision(models.TextChoices):
    HOUR = "hour", _("to the hour")
    DAY = "day", _("to the day")
    MONTH = "month", _("to the month")
    YEAR = "year", _("to the year")


class Person(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    summary_zh = models.TextField(_("summary (Chinese)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name_en or self.name_zh or self.slug


class Position(models.Model):
    """A post a person held: title, organisation, place, from/to with their precision."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="positions")
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    organisation_zh = models.CharField(_("organisation (Chinese)"), max_length=200, blank=True)
    organisation_en = models.CharField(_("organisation (English)"), max_length=200, blank=True)
    place_zh = models.CharField(_("place (Chinese)"), max_length=200, blank=True)
    place_en = models.CharField(_("place (English)"), max_length=200, blank=True)
    start = models.DateField(_("from"), null=True, blank=True)
    start_precision = models.CharField(
        max_length=5, choices=Precision.choices, default=Precision.YEAR
    )
    end = models.DateField(_("to"), null=True, blank=True)
    end_precision = models.CharField(max_length=5, choices=Precision.choices, default=Precision.DAY)

    class Meta:
        ordering = ["person", "start"]

    def __str__(self) -> str:
        return f"{self.person}: {self.title_en or self.title_zh}"


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETRACTED = "retracted", _("Retracted")


class Case(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    summary_zh = models.TextField(_("summary (Chinese)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    allegations_zh = models.TextField(_("allegations (Chinese)"), blank=True)
    allegations_en = models.TextField(_("allegations (English)"), blank=True)
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    # Whether the working copy differs from the latest public revision.
    has_unpublished_changes = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Set when the author asks for review; cleared by any later edit and by publication.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    # The note for the public history asked with the review, a pair like the case's texts.
    submission_note_zh = models.TextField(blank=True)
    submission_note_en = models.TextField(blank=True)
    # Everyone who changed the working copy since the last publication (its text, timeline,
    # claims, sources, people or evidence): none of them may publish it, so no words reach the
    # public that only their author has read. Emptied by publication, copied to the revision.
    editors_since_publication = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    people = models.ManyToManyField(Person, through="CasePerson", related_name="cases")
    current_revision = models.OneToOneField(
        "Revision", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title_en or self.title_zh or self.slug


class PersonRole(models.TextChoices):
    SUBJECT = "subject", _("Official named in the case")
    OFFICIAL = "official", _("Other official")
    JOURNALIST = "journalist", _("Journalist")
    OTHER = "other", _("Other")


class CasePerson(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_people")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="case_roles")
    role = models.CharField(max_length=12, choices=PersonRole.choices)
    note_zh = models.CharField(_("note (Chinese)"), max_length=300, blank=True)
    note_en = models.CharField(_("note (English)"), max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "person"], name="case_person_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.role})"


class Citation(models.Model):
    """One source: an outlet's report on a date, with the words it used."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="citations")
    outlet = models.CharField(_("outlet"), max_length=120)
    title = models.CharField(_("headline"), max_length=300, blank=True)
    published_on = models.DateField(_("date"), null=True, blank=True)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    quote = models.TextField(_("quote"), blank=True)

    class Meta:
        ordering = ["published_on", "outlet"]

    def __str__(self) -> str:
        return f"{self.outlet} {self.published_on or ''}".strip()


class EventType(models.TextChoices):
    EVIDENCE_HANDED_OVER = "handed_over", _("Evidence handed to a journalist")
    EVIDENCE_PUBLISHED = "evidence_published", _("Evidence published")
    SPREAD_ONLINE = "spread_online", _("Spread online")
    DENIAL = "denial", _("Denial")
    AUTHORITIES_VERIFYING = "verifying", _("Authorities verifying")
    CONFIRMED = "confirmed", _("Confirmed")
    REMOVED = "removed", _("Removed from post")
    STILL_IN_POST = "still_in_post", _("Still in post")
    INVESTIGATED = "investigated", _("Investigated")
    CHARGED = "charged", _("Charged")
    SENTENCED = "sentenced", _("Sentenced")
    RELEASED = "released", _("Released")
    THREAT = "threat", _("Threat against the journalist")
    SOURCE_DETAINED = "source_detained", _("Source pursued or detained")
    DEMAND_FOR_ORIGINALS = "demand_originals", _("Demand for the originals")
    BACKGROUND = "background", _("Background")
    OTHER = "other", _("Other")


class Event(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=20, choices=EventType.choices)
    occurred_at = models.DateTimeField(_("date"))
    precision = models.CharField(max_length=5, choices=Precision.choices, default=Precision.DAY)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    people = models.ManyToManyField(Person, blank=True, related_name="events")
    citations = models.ManyToManyField(Citation, blank=True, related_name="events")

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.type}"


class Claim(models.Model):
    """A question the sources answer differently, e.g. "how many officials were removed"."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="claims")
    question_zh = models.CharField(_("question (Chinese)"), max_length=300, blank=True)
    question_en = models.CharField(_("question (English)"), max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.question_en or self.question_zh


class ClaimVersion(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="versions")
    value_zh = models.CharField(_("short answer (Chinese)"), max_length=60, blank=True)
    value_en = models.CharField(_("short answer (English)"), max_length=60, blank=True)
    statement_zh = models.TextField(_("statement (Chinese)"), blank=True)
    statement_en = models.TextField(_("statement (English)"), blank=True)
    claimed_by_zh = models.CharField(_("who says so (Chinese)"), max_length=200, blank=True)
    claimed_by_en = models.CharField(_("who says so (English)"), max_length=200, blank=True)
    citations = models.ManyToManyField(Citation, blank=True, related_name="claim_versions")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.value_en or self.value_zh


class VerificationStatus(models.TextChoices):
    VERIFIED = "verified", _("Verified")
    PARTLY = "partly", _("Partly verified")
    UNVERIFIED = "unverified", _("Not yet verified")
    DISPUTED = "disputed", _("Disputed")


class PublishedEvidence(models.Model):
    """A derivative file (redacted, metadata stripped) attached to a case for publication."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="evidence/")
    sha256 = models.CharField(max_length=64, db_index=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    caption_zh = models.CharField(_("caption (Chinese)"), max_length=300, blank=True)
    caption_en = models.CharField(_("caption (English)"), max_length=300, blank=True)
    verification_status = models.CharField(max_length=12, choices=VerificationStatus.choices)
    verification_note = models.TextField(blank=True)
    derived_from = models.CharField(max_length=120, blank=True)
    # The redaction studio's render record it was published from ("render:12"), and what was
    # done to the original, in each language (jiandu/redaction/describe.py).
    render = models.CharField(max_length=40, blank=True)
    treatment_zh = models.CharField(max_length=300, blank=True)
    treatment_en = models.CharField(max_length=300, blank=True)
    # A video's poster: one frame of the derivative, re-encoded from its pixels (no metadata),
    # published with it under its own hash, so the page shows a picture before anything plays.
    poster = models.FileField(upload_to="evidence/", blank=True)
    poster_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    # The Content Credentials as read back at publication: signer, actions, validation
    # (redaction.credentials.summary); empty when the file carries none.
    credentials = models.JSONField(default=dict, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]

    def __str__(self) -> str:
        return self.sha256


class Policy(models.TextChoices):
    """How a revision reached the public (the newsroom's publishing policy at the time)."""

    TWO_PEOPLE = "two_people", _("Two people: a second editor reviews and publishes")
    ONE_PERSON = "one_person", _("One person, after a cooling-off period")


HOLD_HOURS_MIN, HOLD_HOURS_MAX = 1, 24


def policy_for_log(policy: str, hold_hours: int | None) -> str:
    """The policy field of a page entry in the transparency log: "two-people", or
    "one-person-<hours>h" (the hold a reader of the log can hold the newsroom to)."""
    if policy == Policy.ONE_PERSON:
        return f"one-person-{hold_hours or 0}h"
    return "two-people"


class PublishingPolicy(models.Model):
    """The newsroom's publishing policy: one row (pk 1), changed only by an admin
    (jiandu.cases.actions.do_propose_policy), each change in the account audit.

    "two people" (the default) keeps every rule of the two-person review. "one person" lets an
    editor who edited request publication; the worker publishes it once `hold_hours` have
    passed, unless any member stops it or anyone edits the case. With more than one admin, a
    weaker policy (or another hold) waits in `proposed_*` for a second admin to confirm it.
    """

    mode = models.CharField(max_length=12, choices=Policy.choices, default=Policy.TWO_PEOPLE)
    hold_hours = models.PositiveSmallIntegerField(default=6)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    changed_at = models.DateTimeField(null=True)
    proposed_mode = models.CharField(max_length=12, choices=Policy.choices, blank=True)
    proposed_hold_hours = models.PositiveSmallIntegerField(null=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    proposed_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.mode} ({self.hold_hours} h)"


class HoldState(models.TextChoices):
    WAITING = "waiting", _("Waiting for the hold to pass")
    PUBLISHED = "published", _("Published")
    STOPPED = "stopped", _("Stopped")
    CANCELLED = "cancelled", _("Cancelled by an edit")


class PublicationHold(models.Model):
    """A one-person request to publish: published by the worker at `publish_after` unless a
    member stopped it or an edit cancelled it first. Kept after it ends, as the record of who
    asked, who stopped, and why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="holds")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    hold_hours = models.PositiveSmallIntegerField()
    publish_after = models.DateTimeField()
    state = models.CharField(max_length=10, choices=HoldState.choices, default=HoldState.WAITING)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    ended_at = models.DateTimeField(null=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(state="waiting"),
                name="one_waiting_hold_per_case",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"hold of case {self.case_id} until {self.publish_after:%Y-%m-%d %H:%M} ({self.state})"
        )


class RevisionKind(models.TextChoices):
    PUBLICATION = "publication", _("First publication")
    UPDATE = "update", _("Update")
    RETRACTION = "retraction", _("Retraction")


class Revision(models.Model):
    """One public version of a case: what was published, when, why, reviewed by whom.

    Append-only: a correction is a new revision, a retraction is a revision of kind
    "retraction". The snapshot is what every public page, feed, export and the API read.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=RevisionKind.choices)
    # Why this version: a pair like the case's other texts (one side may be empty), shown in
    # the reader's language and script (jiandu.cases.text.localize).
    note_zh = models.TextField(blank=True)
    note_en = models.TextField(blank=True)
    snapshot = models.JSONField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    publisher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField()
    # Who changed the case between the previous publication and this one (the record of
    # Case.editors_since_publication at publication; the publisher is never among them).
    editors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    # The policy it was published under (shown beside it in public and written into its
    # transparency-log entry); `hold_hours` only for the one-person policy.
    policy = models.CharField(max_length=12, choices=Policy.choices, default=Policy.TWO_PEOPLE)
    hold_hours = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["case", "number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="revision_number_once"),
        ]

    def __str__(self) -> str:
        return f"{self.case} r{self.number}"

    @property
    def note_pair(self) -> dict[str, str]:
        """The note as the pair the public pages localise ({"zh": ..., "en": ...})."""
        return {"zh": self.note_zh, "en": self.note_en}

    @property
    def note(self) -> str:
        """The note as one text in the active language (the feed and the JSON API, which give
        one string); pages use `note_pair` to mark a fallback with its language."""
        return localize(self.note_pair, get_language() or "zh-hans")[0]

    @property
    def policy_label(self) -> str:
        """How this revision was reviewed, in the reader's language (the public history)."""
        if self.kind == RevisionKind.RETRACTION:
            return str(_("retracted by an editor"))
        if self.policy == Policy.ONE_PERSON:
            return str(
                ngettext(
                    "published by one editor after a %(hours)d-hour hold",
                    "published by one editor after a %(hours)d-hour hold",
                    self.hold_hours or 0,
                )
                % {"hours": self.hold_hours or 0}
            )
        return str(_("reviewed by a second editor"))

    @property
    def log_policy(self) -> str | None:
        """The policy as the transparency log writes it ("two-people", "one-person-6h")."""
        return policy_for_log(self.policy, self.hold_hours)


class PublicPersonCase(models.Model):
    """The index of who is named in which case's current public revision (by the person's slug
    as the snapshot records it), rewritten inside the publication's transaction.

    A person's page would otherwise have to open every public snapshot to find theirs; this
    row is derived from the snapshot only (jiandu.cases.published.index_public_people), never
    from the working copy, so an unpublished edit to a case's people changes nothing here.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="public_people")
    person_slug = models.SlugField(max_length=80, db_index=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person_slug", "case"], name="public_person_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person_slug} in case {self.case_id}"


class SearchDocument(models.Model):
    """The folded text of a case's latest public revision (see jiandu.cases.search)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="search_document")
    body = models.TextField()

    def __str__(self) -> str:
        return f"search document of case {self.case_id}"


class PageView(models.Model):
    """How many times a public page was read on a day. Nothing about who read it.

    Written by jiandu.cases.viewcounts for the public site's fast path; moved here from the
    public room (migrations cases 0002 and public 0002 keep the rows).
    """

    path = models.CharField(max_length=300)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["path", "day"], name="pageview_once")]

    def __str__(self) -> str:
        return f"{self.path} {self.day}: {self.count}"
