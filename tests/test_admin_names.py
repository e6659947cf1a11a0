"""Every model is named in admin as an admin reads Chinese: one name per model, never the
artefact of a plural translated as a count ("话术数" for "replies"), on every admin page."""

import pytest
from django.contrib import admin
from django.utils import translation

pytestmark = pytest.mark.django_db


def chinese_names() -> dict[str, tuple[str, str]]:
    """{model label: (verbose_name, verbose_name_plural)} in Simplified Chinese."""
    with translation.override("zh-hans"):
        return {
            model._meta.label: (str(model._meta.verbose_name), str(model._meta.verbose_name_plural))
            for model in admin.site._registry
        }


def test_no_model_is_named_as_a_count_and_no_two_share_a_name():
    names = chinese_names()
    counted = {label: plural for label, (_, plural) in names.items() if plural.endswith("数")}
    assert counted == {}
    plurals = [plural for _, plural in names.values()]
    assert len(set(plurals)) == len(plurals), sorted(plurals)


def test_admin_pages_use_those_names(admin_client):
    names = chinese_names()
    index = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for label, (_, plural) in names.items():
        assert plural in index, label
    for model in admin.site._registry:
        meta = model._meta
        answer = admin_client.get(
            f"/admin/{meta.app_label}/{meta.model_name}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        assert answer.status_code == 200, meta.label
        text = answer.content.decode()
        if "delete_selected" in text:  # the bulk delete action, named by the plural
            assert f"删除所选的 {names[meta.label][1]}" in text, meta.label
