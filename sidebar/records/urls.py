from django.urls import path

from sidebar.records import views

app_name = "records"
urlpatterns = [
    path("<slug:kind>/<str:target_id>/", views.section, name="section"),
    path("<slug:kind>/<str:target_id>/remark/", views.remark, name="remark"),
    path("<slug:kind>/<str:target_id>/tags/", views.tag_editor, name="tags"),
    path("<slug:kind>/<str:target_id>/notes/", views.add_note, name="add-note"),
    path("<slug:kind>/<str:target_id>/notes/<int:note_id>/", views.note, name="note"),
    path(
        "<slug:kind>/<str:target_id>/notes/<int:note_id>/delete/",
        views.delete_note,
        name="delete-note",
    ),
    path(
        "<slug:kind>/<str:target_id>/notes/<int:note_id>/done/", views.note_done, name="note-done"
    ),
    path("<slug:kind>/<str:target_id>/stage/", views.stage, name="stage"),
    path("<slug:kind>/<str:target_id>/timeline/", views.events, name="timeline"),
]
