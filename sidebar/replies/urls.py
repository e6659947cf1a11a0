from django.urls import path

from sidebar.replies import views

app_name = "replies"
urlpatterns = [
    path("", views.library, name="library"),
    path("<int:reply_id>/send/", views.send, name="send"),
    path("<int:reply_id>/file", views.file, name="file"),
    path("sends/<int:send_id>/result/", views.result, name="result"),
    path("covers/<str:token>", views.cover, name="cover"),
    # A reply's file for a hosted sidebar to fetch: signed, expiring (file_urls).
    path("shared/<str:token>/<str:name>", views.shared_file, name="shared-file"),
]
