from django.urls import path

from sidebar.replies import views

app_name = "replies"
urlpatterns = [
    path("", views.library, name="library"),
    path("mine/", views.mine, name="mine"),
    path("own/", views.own_save, name="own-create"),
    path("own/<int:reply_id>/", views.own_save, name="own-edit"),
    path("own/<int:reply_id>/delete/", views.own_delete, name="own-delete"),
    path("<int:reply_id>/star/", views.star, name="star"),
    path("<int:reply_id>/send/", views.send, name="send"),
    path("<int:reply_id>/file", views.file, name="file"),
    path("sends/<int:send_id>/result/", views.result, name="result"),
    path("covers/<str:token>", views.cover, name="cover"),
    # A reply's file for a hosted sidebar to fetch: signed, expiring (file_urls).
    path("shared/<str:token>/<str:name>", views.shared_file, name="shared-file"),
]
