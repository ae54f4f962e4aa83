"""The moderators' queue in the newsroom: approve, edit (with a public reason) or reject."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiandu.accounts.http import MemberRequest
from jiandu.public.actions import do_moderate_comment
from jiandu.public.forms import ModerationForm
from jiandu.public.models import Comment, CommentStatus

moderator_required = permission_required("accounts.moderate_comments", raise_exception=True)


@login_required
@moderator_required
def queue(request: HttpRequest) -> HttpResponse:
    pending = Comment.objects.filter(status=CommentStatus.PENDING)
    recent = Comment.objects.exclude(status=CommentStatus.PENDING).order_by("-moderated_at")[:20]
    items = [
        {"comment": c, "form": ModerationForm(initial={"body": c.body}, prefix=str(c.pk))}
        for c in pending
    ]
    return render(request, "public/moderation.html", {"items": items, "recent": recent})


@login_required
@moderator_required
@require_POST
def decide(request: MemberRequest, comment_id: int) -> HttpResponse:
    comment = get_object_or_404(Comment, pk=comment_id, status=CommentStatus.PENDING)
    form = ModerationForm(request.POST, prefix=str(comment.pk))
    if not form.is_valid():
        pending = Comment.objects.filter(status=CommentStatus.PENDING)
        items = [
            {
                "comment": c,
                "form": form
                if c.pk == comment.pk
                else ModerationForm(initial={"body": c.body}, prefix=str(c.pk)),
            }
            for c in pending
        ]
        return render(request, "public/moderation.html", {"items": items, "recent": []}, status=400)
    do_moderate_comment(request.user, comment, **form.cleaned_data)
    messages.success(request, _("Decision saved."))
    return redirect("moderation:queue")


app_name = "moderation"
urlpatterns = [
    path("", queue, name="queue"),
    path("<int:comment_id>/", decide, name="decide"),
]
