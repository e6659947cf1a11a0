"""Uploaded files are inert on our origin: what a file is comes from its whole content, never
its name; every route that serves one (the preview, the news cover, the signed address for a
hosted sidebar) types it by that, with nosniff and a sandboxing CSP; a decompression bomb is
refused on save; names lose what would disguise them; admins see their previews."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sidebar.replies import file_urls, samples
from sidebar.replies.models import Reply
from sidebar.replies.views import cover_path
from tests.replies import factories, polyglots
from tests.replies.test_admin import ADD, _errors, form

pytestmark = pytest.mark.django_db

SAFE_TYPES = {"image/png", "image/jpeg", "video/mp4", "application/octet-stream"}


@pytest.fixture
def editor(client):
    """A Django admin user who may only add, change and view replies, as in the report."""
    user = User.objects.create_user("editor", password="editor-password", is_staff=True)
    for action in ("add", "change", "view"):
        user.user_permissions.add(Permission.objects.get(codename=f"{action}_reply"))
    client.force_login(user)
    return client


def save(editor, kind, name, content, **fields):
    """Post the admin's add form; the saved Reply, or the form's errors as a string."""
    category = factories.category()
    data = form(category, kind, upload=SimpleUploadedFile(name, content), **fields)
    response = editor.post(ADD, data)
    if response.status_code != 302:
        return _errors(response)
    return Reply.objects.get(title=data["title"])


def served_everywhere(client, reply) -> dict:
    """The answers of every route that serves the reply's file, by route."""
    answers = {"preview": client.get(reverse("sidebar:replies:file", args=[reply.pk]))}
    if reply.kind == "news":
        answers["cover"] = client.get(cover_path(reply))
    shared = file_urls.signed_path(reply)
    answers["shared"] = client.get(shared)
    return answers


def assert_inert(response, *, content_type: str, download: bool):
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment" if download else "inline"), disposition


@pytest.mark.parametrize(
    ("kind", "name", "make", "served_as", "extra"),
    [
        ("image", "poster.html", polyglots.png_with_script, "image/png", {}),
        ("video", "clip.html", polyglots.mp4_with_script, "video/mp4", {}),
        (
            "news",
            "poster.html",
            polyglots.png_with_script,
            "image/png",
            {"link": "https://example.com/a", "card_title": "新品"},
        ),
    ],
)
def test_a_polyglot_that_is_a_real_picture_or_video_is_served_as_one(
    editor, kind, name, make, served_as, extra
):
    reply = save(editor, kind, name, make(), **extra)
    assert isinstance(reply, Reply), reply
    assert reply.upload_shape in ("png", "mp4")
    for route, response in served_everywhere(editor, reply).items():
        assert_inert(response, content_type=served_as, download=False), route


@pytest.mark.parametrize(
    ("kind", "name", "content", "said"),
    [
        ("image", "poster.png", polyglots.png_signature_then_html(), "不是 JPG 或 PNG 图片"),
        ("image", "logo.png", polyglots.SVG, "不是 JPG 或 PNG 图片"),
        ("image", "page.png", polyglots.HTML, "不是 JPG 或 PNG 图片"),
        ("image", "photo.jpg", samples.jpeg()[:-200], "不是 JPG 或 PNG 图片"),  # cut short
        ("video", "clip.mp4", polyglots.ftyp_then_html(), "不是 MP4 视频"),
        ("video", "clip.mp4", samples.mp4()[:-1], "不是 MP4 视频"),  # its boxes do not add up
    ],
)
def test_what_only_looks_like_a_picture_or_video_is_refused_on_save(
    editor, kind, name, content, said
):
    errors = save(editor, kind, name, content)
    assert isinstance(errors, str) and said in errors, errors
    assert not Reply.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.svg", polyglots.SVG),
        ("page.png", polyglots.HTML),
        ("index.html", polyglots.HTML),
        ("poster.html", polyglots.png_with_script()),
    ],
)
def test_any_file_of_the_file_kind_is_a_download(editor, name, content):
    reply = save(editor, "file", name, content)
    assert isinstance(reply, Reply), reply
    for route, response in served_everywhere(editor, reply).items():
        assert_inert(response, content_type="application/octet-stream", download=True), route


@pytest.mark.parametrize("kind", ["image", "file"])
def test_a_decompression_bomb_is_refused_on_save(editor, kind):
    bomb = polyglots.png_bomb()
    assert len(bomb) < 1024 * 1024  # a few hundred KB that claim 3.6 billion pixels
    errors = save(editor, kind, "bomb.png", bomb)
    assert isinstance(errors, str) and "60000×60000" in errors, errors
    assert "20 百万像素" in errors
    assert not Reply.objects.exists()


def test_a_large_real_picture_within_the_limit_is_kept(editor):
    reply = save(editor, "image", "wide.jpg", samples.jpeg(4000, 3000))
    assert isinstance(reply, Reply), reply
    assert reply.upload_shape == "jpeg"


def test_names_lose_what_would_disguise_them(editor):
    reply = save(editor, "file", "invoice\u202efdp.exe", samples.pdf())
    assert reply.upload_name == "invoicefdp.exe"
    disguised = "报价\u200f\u2066单\x07.pdf"
    typed = save(editor, "file", "a.pdf", samples.pdf(), title="报价", upload_name=disguised)
    assert typed.upload_name == "报价单.pdf"


def test_a_file_stored_before_shapes_were_read_is_read_when_first_served(editor):
    """Rows saved by an older version have no shape yet: the first serve reads the file, so a
    disguised file among them is a download from then on."""
    reply = Reply.objects.create(
        category=factories.category(),
        kind="image",
        title="旧图",
        upload=ContentFile(polyglots.HTML, name="old.png"),
    )
    Reply.objects.filter(pk=reply.pk).update(upload_shape=Reply.UNREAD)
    response = editor.get(reverse("sidebar:replies:file", args=[reply.pk]))
    assert_inert(response, content_type="application/octet-stream", download=True)
    assert Reply.objects.get(pk=reply.pk).upload_shape == ""


def test_every_answer_of_the_file_routes_carries_the_headers(client, editor):
    for path in (
        reverse("sidebar:replies:file", args=[999]),
        reverse("sidebar:replies:cover", args=["forged"]),
        reverse("sidebar:replies:shared-file", args=["forged", "x.png"]),
    ):
        answered = editor.get(path)
        assert answered.status_code == 404, path
        assert answered["X-Content-Type-Options"] == "nosniff"
        assert answered["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_admins_see_the_preview_and_the_current_file_link_works(editor):
    reply = save(editor, "image", "产品.png", samples.png())
    page = editor.get(f"/admin/replies/reply/{reply.pk}/change/").content.decode()
    preview = reverse("sidebar:replies:file", args=[reply.pk])
    assert f'<img class="bubble-image" src="{preview}"' in page  # the picture in the preview
    assert f'<a href="{preview}">产品.png</a>' in page  # 目前: the current file
    answered = editor.get(preview)
    assert answered.status_code == 200 and answered["Content-Type"] == "image/png"
    assert b"".join(answered.streaming_content) == samples.png()


def test_the_preview_is_for_signed_in_staff_and_reply_viewers_only(client, editor):
    reply = save(editor, "image", "产品.png", samples.png())
    preview = reverse("sidebar:replies:file", args=[reply.pk])
    nobody = client.__class__()
    assert nobody.get(preview).status_code in (401, 503)  # no WeCom session, no admin
    someone = User.objects.create_user("clerk", password="clerk-password", is_staff=True)
    nobody.force_login(someone)  # an admin user without the permission to view replies
    refused = nobody.get(preview)
    assert refused.status_code in (401, 503) and refused.get("Content-Type") != "image/png"
