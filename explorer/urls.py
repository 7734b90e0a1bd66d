"""HTTP routes: the contract's URLs (DESIGN.md).

Who may drive is decided here, around the views: `drivers_only` answers 403
to a command from anyone EXPLORER_CONTROLS does not let drive (explorer.web.access).
"""

from django.urls import include, path, re_path

from explorer.web import dashboard_views, diagram_views, exports, loading_views, tour_views, views
from explorer.web.access import drivers_only

urlpatterns = [
    path("", views.index, name="index"),
    path("api/state.json", views.state_json, name="state-json"),
    # GET is the status the page shows everyone; only a driver may POST a command.
    path("api/sim/", drivers_only(views.sim_api, methods=["POST"]), name="sim-api"),
    # The contexts' names are for those who may switch to them.
    path("api/contexts/", drivers_only(views.kube_contexts), name="kube-contexts"),
    # 503 while the event loop falls behind (explorer.live.looplag), so a liveness probe notices.
    path("healthz", views.healthz, name="healthz"),
    path("dashboard/status/", dashboard_views.status_fragments, name="dashboard-status"),
    path("api/loading/", loading_views.loading_progress, name="loading"),
    path("api/search/", dashboard_views.search, name="search"),
    path("tours/", tour_views.tour_list, name="tour-list"),
    path("tours/<slug:slug>/<int:number>/", tour_views.tour_step, name="tour-step"),
    path("follow/start/", tour_views.follow_start, name="follow-start"),
    path("follow/<slug:room>/", tour_views.follow_page, name="follow-page"),
    path("follow/<slug:room>/state/", tour_views.room_state, name="room-state"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("view/nodes/", diagram_views.node_jump, name="node-jump"),
    # A cluster names its nodes and components: any text routes (a line break too), so every panel
    # and view opens. A diagram's name must not hold a control character: it may name the download.
    re_path(r"^view/(?P<view>(?s:.+))/$", diagram_views.view_page, name="view"),
    re_path(r"^component/(?P<component_id>(?s:.+))/$", diagram_views.component_panel, name="component"),
    re_path(r"^diagram/(?P<view>[^\x00-\x1f\x7f]+?)\.(?P<fmt>svg|dot|png)$", exports.diagram, name="diagram"),
]

handler403 = "explorer.web.errors.permission_denied"
handler404 = "explorer.web.errors.not_found"
handler500 = "explorer.web.errors.server_error"
