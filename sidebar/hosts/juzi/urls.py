from django.urls import path

from sidebar.hosts.juzi import views

app_name = "juzi"
urlpatterns = [
    path("", views.page, name="page"),
    path("oauth/callback/", views.oauth_callback, name="callback"),
    path("signin/", views.sign_in_again, name="signin"),
]
