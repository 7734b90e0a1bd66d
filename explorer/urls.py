"""HTTP routes: the contract's URLs (DESIGN.md)."""

from django.urls import path, re_path

from explorer.web import diagram_views, views

urlpatterns = [
    path("", views.index, name="index"),
    path("api/state.json", views.state_json, name="state-json"),
    path("api/sim/", views.sim_api, name="sim-api"),
    path("healthz", views.healthz, name="healthz"),
    path("view/nodes/", diagram_views.node_jump, name="node-jump"),
    path("view/<path:view>/", diagram_views.view_page, name="view"),
    path("component/<path:component_id>/", diagram_views.component_panel, name="component"),
    re_path(r"^diagram/(?P<view>[A-Za-z0-9._/-]+?)\.(?P<fmt>svg|dot|png)$", views.diagram, name="diagram"),
]
