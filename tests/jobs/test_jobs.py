"""Background jobs (jobs/): a download above the threshold becomes a job, its page shows the state, the
download goes only to the person who asked (or the audit office), a failure shows a Japanese message and
can be retried. The test settings run tasks at once (django-tasks' immediate backend); a test that needs a
job to stay queued switches to the dummy backend, and the real worker runs in the browser journey."""

import csv
import datetime
import io
from unittest.mock import patch

import pytest
from django.test import Client
from django.urls import reverse

from auditreg.choices import Role
from auditreg.models import ChangeLog
from findings.models import Publication
from findings.renderers import render_csv
from findings.status_report import build
from jobs.choices import JobKind, JobState
from jobs.models import Job
from jobs.runner import job_execute
from tests.findings.status_report_helpers import build_history

pytestmark = pytest.mark.django_db

END = datetime.date(2025, 12, 31)
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def history(make_user, report):
    return build_history(make_user, report)


@pytest.fixture
def office(client, history):
    client.force_login(history.auditor)
    return client


@pytest.fixture
def small_threshold(settings):
    """CSV is a job above 5 rows here, so a fast format exercises the whole job path."""
    settings.EXPORT_SYNC_MAX_ROWS = {"csv": 5, "xlsx": 5, "pdf": 0}


def status_query(report, **extra) -> str:
    from urllib.parse import urlencode

    return urlencode({"reports": report.pk, "as_of": END.isoformat(), "per": "finding", **extra})


def start_export(client, report, fmt="csv", **filters):
    return client.post(f"{reverse('findings:status_export')}?{status_query(report, **filters)}", {"format": fmt})


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


# -- the threshold -----------------------------------------------------------------------------


def test_status_page_offers_a_link_under_the_threshold_and_a_job_button_above_it(office, report, settings):
    settings.EXPORT_SYNC_MAX_ROWS = {"csv": 33, "xlsx": 32, "pdf": 0}  # the report has 33 rows
    page = office.get(f"{reverse('findings:status_report')}?{status_query(report)}")
    downloads = {d["format"]: d["background"] for d in page.context["downloads"]}
    assert downloads == {"csv": False, "xlsx": True, "pdf": True}
    html = page.content.decode()
    assert "format=csv" in html and "format=xlsx" not in html and "format=pdf" not in html
    assert html.count(f'action="{reverse("findings:status_export")}?') == 2
    assert "Excel を作成" in html and "PDF を作成" in html
    # a filter that leaves fewer rows brings the link back (意見 only: 30 rows; 指摘 only: 3 rows)
    page = office.get(f"{reverse('findings:status_report')}?{status_query(report, kind='指摘')}")
    assert {d["format"]: d["background"] for d in page.context["downloads"]}["xlsx"] is False


def test_a_direct_download_above_the_threshold_is_not_rendered_in_the_request(office, report, small_threshold):
    with patch("findings.renderers.render_csv") as render:
        response = office.get(f"{reverse('findings:status_report')}?{status_query(report, format='csv')}")
    render.assert_not_called()
    assert response.status_code == 302 and "format=" not in response["Location"]
    assert not Job.objects.exists()  # a GET starts nothing
    follow = office.get(response["Location"])
    assert "CSV は時間がかかるため" in "".join(str(m) for m in follow.context["messages"])
    # under the threshold the file comes at once, as before
    small = office.get(f"{reverse('findings:status_report')}?{status_query(report, kind='指摘', format='csv')}")
    assert small.status_code == 200 and [r[0] for r in csv_rows(small.content)[1:]] == ["指摘01", "指摘02", "指摘03"]


# -- a job from start to download --------------------------------------------------------------


def test_export_job_runs_and_its_file_is_the_filtered_report(office, history, report, small_threshold):
    response = start_export(office, report, "csv", kind="意見")
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("jobs:job_detail", args=[job.pk])
    assert (job.kind, job.state, job.attempts, job.requested_by) == (JobKind.EXPORT, JobState.DONE, 1, history.auditor)
    assert job.params["format"] == "csv" and job.params["query"]["kind"] == ["意見"]
    assert job.task_id and job.started_at <= job.finished_at
    assert job.result.name.startswith(f"exports/{job.pk}/")

    page = office.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    download = reverse("jobs:job_download", args=[job.pk])
    assert f'href="{download}"' in html and "完了" in html
    assert "job-progress.js" not in html  # finished: nothing polls any more

    file = office.get(download)
    assert file.status_code == 200 and file["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        "attachment; filename*=utf-8''" in file["Content-Disposition"].lower()
    )  # RFC 5987: the charset's case is free
    expected = render_csv(build(reports=[report], as_of=END, kind="意見"))
    assert file.content == expected  # the same bytes as an independent render of the filtered report
    assert len(csv_rows(file.content)) == 1 + 30

    status = office.get(reverse("jobs:job_status", args=[job.pk])).json()
    assert status == {"state": "done", "label": "完了", "finished": True}


def test_queued_job_page_polls_with_a_self_hosted_script_and_a_meta_refresh_fallback(
    office, report, settings, small_threshold
):
    settings.TASKS = DUMMY  # nothing runs: the job stays queued as it would with the worker busy
    start_export(office, report, "csv")
    job = Job.objects.get()
    assert job.state == JobState.QUEUED and job.attempts == 0
    page = office.get(reverse("jobs:job_detail", args=[job.pk]))
    html = page.content.decode()
    assert "待機中" in html and 'aria-current="step">待機中' in html
    assert '<script src="/static/js/job-progress.js" defer></script>' in html
    assert "<script>" not in html  # no inline script (CSP script-src 'self')
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    assert f'data-status-url="{reverse("jobs:job_status", args=[job.pk])}"' in html
    assert office.get(reverse("jobs:job_status", args=[job.pk])).json() == {
        "state": "queued",
        "label": "待機中",
        "finished": False,
    }
    assert office.get(reverse("jobs:job_download", args=[job.pk])).status_code == 404  # not yet
    # long queued: the page says a worker may be missing
    Job.objects.filter(pk=job.pk).update(created_at=job.created_at - datetime.timedelta(minutes=5))
    assert "db_worker" in office.get(reverse("jobs:job_detail", args=[job.pk])).content.decode()
    # the worker runs it (the same function the task calls), once
    assert job_execute(job_id=job.pk) == "done"
    assert job_execute(job_id=job.pk) == "skipped"
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DONE, 1)


def test_running_state_is_shown_while_the_job_works(office, report, small_threshold):
    seen = {}

    def render_and_look(report_obj):
        job = Job.objects.get()
        seen["state"] = job.state
        seen["json"] = office.get(reverse("jobs:job_status", args=[job.pk])).json()
        seen["page"] = office.get(reverse("jobs:job_detail", args=[job.pk])).content.decode()
        return b"a,b\r\n"

    with patch.dict("findings.renderers.RENDERERS", {"csv": (render_and_look, "text/csv; charset=utf-8")}):
        start_export(office, report, "csv")
    assert seen["state"] == JobState.RUNNING
    assert seen["json"] == {"state": "running", "label": "作成中", "finished": False}
    assert 'aria-current="step">作成中' in seen["page"]


# -- failure and retry -------------------------------------------------------------------------


def test_failed_job_shows_a_japanese_message_without_traceback_and_can_be_retried(
    office, history, report, small_threshold, caplog
):
    def broken(report_obj):
        raise RuntimeError("disk on fire /srv/secret/path")

    with patch.dict("findings.renderers.RENDERERS", {"csv": (broken, "text/csv; charset=utf-8")}):
        start_export(office, report, "csv")
    job = Job.objects.get()
    assert job.state == JobState.FAILED and job.finished_at is not None
    assert job.error.startswith("作成中に予期しないエラーが発生しました（処理番号") and str(job.pk) in job.error
    assert "disk on fire" in caplog.text  # the traceback goes to the log …
    html = office.get(reverse("jobs:job_detail", args=[job.pk])).content.decode()
    assert job.error in html and "失敗" in html
    for leak in ["Traceback", "RuntimeError", "disk on fire", "/srv/secret"]:
        assert leak not in html  # … never to the user
    assert office.get(reverse("jobs:job_download", args=[job.pk])).status_code == 404
    assert office.get(reverse("jobs:job_status", args=[job.pk])).json()["state"] == "failed"

    retry = reverse("jobs:job_retry", args=[job.pk])
    assert f'action="{retry}"' in html
    assert office.get(retry).status_code == 405  # POST only
    response = office.post(retry)
    assert response.status_code == 302 and response["Location"] == reverse("jobs:job_detail", args=[job.pk])
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error) == (JobState.DONE, 2, "")
    assert office.get(reverse("jobs:job_download", args=[job.pk])).content == render_csv(
        build(reports=[report], as_of=END)
    )
    assert ChangeLog.objects.filter(action="job.retried", object_id=job.pk).count() == 1
    # a job that did not fail is not run again
    office.post(retry)
    job.refresh_from_db()
    assert job.attempts == 2


def test_publication_job_fails_clearly_when_its_number_was_taken_meanwhile(office, history, report, settings):
    settings.TASKS = DUMMY
    url = f"{reverse('findings:publication_create')}?{status_query(report)}"
    office.post(url, {"number": 3, "published_on": "2026-01-20"})
    job = Job.objects.get(kind=JobKind.PUBLICATION)
    assert job.state == JobState.QUEUED and not Publication.objects.exists()
    with patch("findings.renderers.render_pdf", return_value=b"%PDF-stub"):
        from findings.publishing import publish

        publish(reports=[report], as_of=END, per="finding", number=3, published_on=END, by=history.auditor)
        assert job_execute(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.error == "公表番号 第3号 はすでに使われています。"
    assert Publication.objects.count() == 1 and job.publication is None


# -- who sees a job ----------------------------------------------------------------------------


def test_only_the_requester_or_the_audit_office_sees_a_job_and_its_file(client, history, report, make_user):
    admin = make_user("admin1", Role.ADMIN)
    other_auditor = make_user("auditor2", Role.AUDITOR)
    client.force_login(admin)
    with patch("findings.renderers.render_pdf", return_value=b"%PDF-stub"):
        start_export(client, report, "pdf")  # PDF is a job at any size
    job = Job.objects.get()
    assert job.requested_by == admin and job.state == JobState.DONE
    urls = [reverse(f"jobs:{n}", args=[job.pk]) for n in ("job_detail", "job_status", "job_download")]

    for user, expected in [
        (admin, 200),  # the person who asked
        (other_auditor, 200),  # the audit office
        (make_user("admin2", Role.ADMIN), 403),  # another admin: office role, not the requester
        (history.staff_a, 403),
        (history.head_b, 403),
    ]:
        c = Client()
        c.force_login(user)
        assert [c.get(u).status_code for u in urls] == [expected] * 3, user.username
        assert c.post(reverse("jobs:job_retry", args=[job.pk])).status_code == (302 if expected == 200 else 403)
    anonymous = Client()
    for u in urls:
        response = anonymous.get(u)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert Client().get(reverse("jobs:job_detail", args=[999999])).status_code == 302
    c = Client()
    c.force_login(other_auditor)
    assert c.get(reverse("jobs:job_detail", args=[999999])).status_code == 404


@pytest.mark.parametrize("role", [Role.SECTION_STAFF, Role.SECTION_HEAD])
def test_section_users_cannot_start_a_job(client, make_user, report, role):
    client.force_login(make_user("someone", role))
    assert start_export(client, report, "pdf").status_code == 403
    assert not Job.objects.exists()


def test_bad_export_request_gets_a_message_not_a_job(office, report):
    response = office.post(f"{reverse('findings:status_export')}?{status_query(report)}", {"format": "exe"})
    assert response.status_code == 302 and not Job.objects.exists()
    response = office.post(f"{reverse('findings:status_export')}?as_of=yesterday", {"format": "pdf"})
    assert response.status_code == 302 and not Job.objects.exists()
    assert office.get(reverse("findings:status_export")).status_code == 405


def test_job_pages_run_a_fixed_number_of_queries(office, report, small_threshold, django_assert_max_num_queries):
    start_export(office, report, "csv")
    job = Job.objects.get()
    for name, limit in [("job_detail", 8), ("job_status", 5), ("job_download", 5)]:
        with django_assert_max_num_queries(limit):
            assert office.get(reverse(f"jobs:{name}", args=[job.pk])).status_code == 200


def test_a_job_left_running_by_a_lost_worker_can_be_retried_after_a_while(office, report, settings, small_threshold):
    settings.TASKS = DUMMY
    start_export(office, report, "csv")
    job = Job.objects.get()
    now = job.created_at
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, started_at=now - datetime.timedelta(minutes=5))
    page = office.get(reverse("jobs:job_detail", args=[job.pk])).content.decode()
    assert "再試行する" not in page  # still plausibly working
    office.post(reverse("jobs:job_retry", args=[job.pk]))
    assert Job.objects.get().state == JobState.RUNNING
    Job.objects.filter(pk=job.pk).update(started_at=now - datetime.timedelta(minutes=31))
    page = office.get(reverse("jobs:job_detail", args=[job.pk])).content.decode()
    assert "処理が中断された可能性があります" in page and "再試行する" in page
    office.post(reverse("jobs:job_retry", args=[job.pk]))
    assert Job.objects.get().state == JobState.QUEUED


def test_failed_publication_job_links_back_to_the_confirmation_page(office, history, report, settings):
    settings.TASKS = DUMMY
    office.post(
        f"{reverse('findings:publication_create')}?{status_query(report)}", {"number": 3, "published_on": "2026-01-20"}
    )
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED, error="公表番号 第3号 はすでに使われています。")
    html = office.get(reverse("jobs:job_detail", args=[job.pk])).content.decode()
    back = f"{reverse('findings:publication_create')}?reports={report.pk}&amp;as_of=2025-12-31&amp;per=finding"
    assert f'href="{back}"' in html and "公表番号 第3号 はすでに使われています。" in html
    assert office.get(back.replace("&amp;", "&")).status_code == 200


def test_purge_jobs_deletes_old_downloads_and_their_files_only(office, history, report, small_threshold):
    from django.core.management import call_command

    start_export(office, report, "csv")
    start_export(office, report, "csv", kind="指摘")
    old, recent = Job.objects.order_by("pk")
    storage = old.result.storage
    assert storage.exists(old.result.name)
    Job.objects.filter(pk=old.pk).update(finished_at=old.finished_at - datetime.timedelta(days=8))
    with patch("findings.renderers.render_pdf", return_value=b"%PDF-stub"):
        office.post(
            f"{reverse('findings:publication_create')}?{status_query(report)}",
            {"number": 1, "published_on": "2026-01-20"},
        )
    publication_job = Job.objects.get(kind=JobKind.PUBLICATION)
    assert publication_job.state == JobState.DONE
    Job.objects.filter(pk=publication_job.pk).update(
        finished_at=publication_job.finished_at - datetime.timedelta(days=30)
    )
    out = io.StringIO()
    call_command("purge_jobs", "--older-than", "7", stdout=out)
    assert out.getvalue().strip() == "1 件の書き出しを削除しました。"
    assert not storage.exists(old.result.name)
    assert set(Job.objects.values_list("pk", flat=True)) == {recent.pk, publication_job.pk}
    assert storage.exists(recent.result.name)
