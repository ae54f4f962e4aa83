"""The default questionnaire, version 1: the five questions the tip line asked before the
newsroom could design its own. Made by the data migration and again after any flush of the
database (a `post_migrate` receiver), so an installation never runs without a questionnaire.
Answers stored before versions existed carry no version and read as answers to this one."""

from typing import Any

from jiandu.conf import hour_now

DEFAULT = [
    (
        "who",
        "涉及哪些人？他们担任什么职务？",
        "涉及哪些人？他們擔任什麼職務？",
        "Who is involved, and what is their position?",
    ),
    ("where", "事情发生在哪里？", "事情發生在哪裡？", "Where did it happen?"),
    ("when", "事情发生在什么时候？", "事情發生在什麼時候？", "When did it happen?"),
    ("how_known", "您是如何知道这些的？", "您是如何知道這些的？", "How do you know this?"),
    ("files_show", "这些文件显示了什么？", "這些檔案顯示了什麼？", "What do the files show?"),
]


def create_default(
    version_model: Any, question_model: Any, *, reviewed_model: bool = False
) -> None:
    """Version 1 with the five questions, unless some version exists (the models are passed in,
    so the data migration can give its historical ones). `reviewed_model`: the model has the
    review's fields (state, live_hour), so version 1 is made live explicitly (a new version is
    a draft by default); the older historical model has none, and migration 0003 makes its
    rows live. Version 1 has no author: it is the product's, not a member's."""
    if version_model.objects.exists():
        return
    hour = hour_now()
    live = {"state": "live", "live_hour": hour} if reviewed_model else {}
    version = version_model.objects.create(number=1, created_hour=hour, **live)
    for order, (key, hans, hant, en) in enumerate(DEFAULT):
        question_model.objects.create(
            version=version,
            key=key,
            kind="short",
            required=False,
            group=1 if order < 3 else 2,
            order=order,
            label_zh_hans=hans,
            label_zh_hant=hant,
            label_en=en,
        )


def ensure_default(sender: Any = None, **kwargs: Any) -> None:
    """The `post_migrate` receiver: after `migrate`, or a test's flush, version 1 is there."""
    from jiandu.tipline.models import Question, QuestionnaireVersion

    create_default(QuestionnaireVersion, Question, reviewed_model=True)
