from django.urls import path

from partners import views

app_name = "partners"

urlpatterns = [
    path("", views.directory, name="home"),
    path("providers/", views.directory, name="directory"),
    path("providers/<slug:slug>/", views.provider_detail, name="provider"),
    path("methodology/", views.methodology, name="methodology"),
]
