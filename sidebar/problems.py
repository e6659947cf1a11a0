"""Responses that explain a problem (sidebar.explanations) as a full page, a panel fragment
or JSON, for every view."""

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse

from sidebar.explanations import Explanation


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
