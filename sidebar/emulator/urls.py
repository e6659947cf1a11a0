from django.urls import path

from sidebar.emulator import views

app_name = "emulator"
urlpatterns = [
    path("", views.page, name="page"),
    path("assets/<str:name>", views.asset, name="asset"),
    path("api/state", views.state, name="state"),
    path("api/bubble", views.bubble, name="bubble"),
    path("media/<str:media_id>", views.media, name="media"),
    path("api/sign-out", views.sign_out, name="sign-out"),
    path("api/reset-credentials", views.reset_credentials, name="reset-credentials"),
    path("api/forget-lookups", views.forget_lookups, name="forget-lookups"),
    path("api/send-reminders", views.send_reminders, name="send-reminders"),
    path("api/wecom-change", views.wecom_change, name="wecom-change"),
    path("api/juzi/<path:action>", views.juzi, name="juzi"),
    path("api/<path:action>", views.standin_action, name="standin"),
]
