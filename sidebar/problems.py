"""Responses that explain a problem (sidebar.explanations) as a full page, a panel fragment
or JSON, for every view."""

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse

from sidebar.explanations import Explanation

# Views whose answers the page puts into its panel (HTML fragments), by URL name.
FRAGMENT_VIEWS = {
    "lookup",
    "home",
    "library",
    # The customer record's parts (sidebar/records/urls.py).
    "section",
    "remark",
    "tags",
    "add-note",
    "note",
    "delete-note",
    "note-done",
    "stage",
    "timeline",
}


def problem_page(
    request, explanation: Explanation, *, retry: bool = False, signin_view: str = "sidebar:signin"
):
    """A full page; with `retry`, a button that starts sign-in again at `signin_view`."""
    context = {"explanation": explanation, "retry_url": reverse(signin_view) if retry else ""}
    return render(request, "sidebar/problem.html", context, status=explanation.http_status)


def problem_fragment(request, explanation: Explanation, *, status: int | None = None):
    status = explanation.http_status if status is None else status
    context = {"explanation": explanation}
    return render(request, "sidebar/fragments/problem.html", context, status=status)


def json_problem(request, explanation: Explanation):
    body = {"error": str(explanation.title), "detail": str(explanation.detail)}
    return JsonResponse(body, status=explanation.http_status)


def problem_for(request, explanation: Explanation):
    """The explanation in the shape the request expects: JSON for the page's JSON calls
    (they ask for it), a fragment for its panel's fetches, a full page otherwise."""
    if "application/json" in request.headers.get("Accept", ""):
        return json_problem(request, explanation)
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name in FRAGMENT_VIEWS:
        return problem_fragment(request, explanation)
    return problem_page(request, explanation)
