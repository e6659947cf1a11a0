"""A long customer record for bench/records.py, made inside the deployment's own database (run
through `manage.py shell`, so it needs only Django set up)."""

from datetime import timedelta

from django.utils import timezone

from sidebar.records import versions
from sidebar.records.models import DEFAULT_STAGES, CustomerStage, Edit, Note, Stage
from sidebar.replies.models import Send

STAFF = [("zhangsan", "张三"), ("lisi", "李四")]


def fill(external_userid: str, *, notes: int, events: int) -> None:
    """`notes` follow-up notes on the customer (each with its "note written" event), and
    further timeline events up to `events` in all: stage changes, remark and tag edits, and
    replies sent, spread over the last days."""
    now = timezone.now()
    stages = [
        Stage.objects.get_or_create(name=name, defaults={"order": n})[0]
        for n, name in enumerate(DEFAULT_STAGES)
    ]
    common = {"target_kind": "contact", "target_id": external_userid, "target_name": "陈小明"}
    edits, sends = [], []
    for n in range(notes):
        userid, name = STAFF[n % 2]
        at = now - timedelta(hours=3 * n + 1)
        note = Note.objects.create(
            **common,
            author_userid=userid,
            author_name=name,
            text=f"第 {n} 次跟进：客户问了续费价格，约了下次演示。",
            due_at=at + timedelta(days=2) if n % 3 == 0 else None,
            created_at=at,
            updated_at=at,
        )
        edits.append(
            Edit(
                **common,
                created_at=at,
                staff_userid=userid,
                staff_name=name,
                action=Edit.Action.NOTE_ADDED,
                after={"text": note.text},
                outcome=Edit.Outcome.SAVED,
                note_id=note.pk,
            )
        )
    for n in range(events - notes):
        userid, name = STAFF[n % 2]
        at = now - timedelta(hours=3 * n + 2)
        if n % 4 == 3:
            sends.append(
                Send(
                    created_at=at,
                    staff_userid=userid,
                    staff_name=name,
                    entry="single_chat_tools",
                    target_id=external_userid,
                    reply_title=f"话术 {n}",
                    kind="text",
                    outcome=Send.Outcome.SENT,
                )
            )
            continue
        action, before, after = [
            (Edit.Action.STAGE, {"stage": "待跟进"}, {"stage": "跟进中"}),
            (Edit.Action.REMARK, {"remark": "陈先生"}, {"remark": f"陈总 {n}"}),
            (Edit.Action.TAGS, {"tags": ["重要客户"]}, {"tags": ["重要客户", "展会"]}),
        ][n % 4]
        edits.append(
            Edit(
                **common,
                created_at=at,
                staff_userid=userid,
                staff_name=name,
                action=action,
                before=before,
                after=after,
                outcome=Edit.Outcome.SAVED,
            )
        )
    Edit.objects.bulk_create(edits)
    Send.objects.bulk_create(sends)
    CustomerStage.objects.update_or_create(
        target_kind="contact",
        target_id=external_userid,
        defaults={"stage": stages[1], "set_by_userid": "zhangsan", "target_name": "陈小明"},
    )
    versions.changed(external_userid)  # as every change the app makes


def empty(external_userid: str) -> None:
    """The customer's record gone again (notes, events, sends, stage)."""
    for model in (Note, Edit, CustomerStage):
        model.objects.filter(target_id=external_userid).delete()
    Send.objects.filter(target_id=external_userid).delete()
    versions.changed(external_userid)
