from django.urls import path

from . import bulk_views, bureau_views, reorganisation_views, status_views, views, workflow_views

app_name = "findings"

urlpatterns = [
    path("", views.finding_list_view, name="finding_list"),
    path("export.csv", views.finding_export_csv, name="finding_export_csv"),
    path("saved-filters/", views.saved_filter_save_view, name="saved_filter_save"),
    path("saved-filters/<int:pk>/delete/", views.saved_filter_delete_view, name="saved_filter_delete"),
    path("saved-filters/<int:pk>/default/", views.saved_filter_default_view, name="saved_filter_default"),
    path("<int:pk>/", views.finding_detail_view, name="finding_detail"),
    path("<int:pk>/assign/", workflow_views.finding_assign_view, name="finding_assign"),
    path("measures/<int:pk>/", workflow_views.measure_detail_view, name="measure_detail"),
    path("measures/<int:pk>/save/", workflow_views.measure_save_view, name="measure_save"),
    path("measures/<int:pk>/reports/<int:report_pk>/submit/", workflow_views.report_submit_view, name="report_submit"),
    path(
        "measures/<int:pk>/reports/<int:report_pk>/section-return/",
        workflow_views.report_section_return_view,
        name="report_section_return",
    ),
    path("measures/<int:pk>/reports/<int:report_pk>/review/", workflow_views.report_review_view, name="report_review"),
    path("measures/<int:pk>/evidence/", workflow_views.evidence_upload_view, name="evidence_upload"),
    path("evidence/<int:pk>/", workflow_views.evidence_download_view, name="evidence_download"),
    path("mine/", workflow_views.worklist_view, name="worklist"),
    path("dashboard/", workflow_views.dashboard_view, name="dashboard"),
    path("bureau/", bureau_views.bureau_worklist_view, name="bureau_worklist"),
    path("status/", status_views.status_report_view, name="status_report"),
    path("publications/", status_views.publication_list_view, name="publication_list"),
    path("status/export/", status_views.status_export_start_view, name="status_export"),
    path("publications/new/", status_views.publication_create_view, name="publication_create"),
    path("publications/<int:number>/", status_views.publication_page_view, name="publication_page"),
    path("reports/", views.report_list_view, name="report_list"),
    path("reports/<str:code>/", views.report_detail_view, name="report_detail"),
]

# the audit office's bulk work and reorganisation hand-overs (findings.bulk_views, findings.reorganisation_views)
urlpatterns += [
    path("bulk/", bulk_views.bulk_select_view, name="bulk_select"),
    path("bulk/confirm/", bulk_views.bulk_confirm_view, name="bulk_confirm"),
    path("bulk/run/", bulk_views.bulk_run_view, name="bulk_run"),
    path("bulk/result/", bulk_views.bulk_result_view, name="bulk_result"),
    path("reorganisations/", reorganisation_views.reorganisation_list_view, name="reorganisation_list"),
    path("reorganisations/preview/", reorganisation_views.reorganisation_preview_view, name="reorganisation_preview"),
    path("reorganisations/<int:pk>/", reorganisation_views.reorganisation_detail_view, name="reorganisation_detail"),
    path(
        "reorganisations/<int:pk>/action/",
        reorganisation_views.reorganisation_action_view,
        name="reorganisation_action",
    ),
]
