"""HTTP routes: the contract's URLs (DESIGN.md)."""

from django.urls import path, re_path

from explorer.web import views

urlpatterns = [
    path("", views.index, name="index"),
    path("api/state.json", views.state_json, name="state-json"),
    path("api/sim/", views.sim_api, name="sim-api"),
    path("api/contexts/", views.kube_contexts, name="kube-contexts"),
    path("healthz", views.healthz, name="healthz"),
    re_path(r"^diagram/(?P<view>[A-Za-z0-9._/-]+?)\.(?P<fmt>svg|dot|png)$", views.diagram, name="diagram"),
]
