"""Followers whose following WeCom's events ended (sidebar.events.handling): left out of what
externalcontact/get answers, so a lookup by them is refused at once, however WeCom keeps a
one-way relation after a customer deleted the staff member."""

from sidebar.events.models import EndedFollow


def without_ended(external_userid: str, answer: dict) -> dict:
    """`answer` (externalcontact/get, all pages) without the followers who ended."""
    ended = set(
        EndedFollow.objects.filter(external_userid=external_userid).values_list("userid", flat=True)
    )
    if not ended:
        return answer
    followers = [f for f in answer.get("follow_user") or [] if f.get("userid") not in ended]
    return {**answer, "follow_user": followers}
