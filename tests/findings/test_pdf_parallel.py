"""The PDF's parts laid out on two cores (findings.pdf_parallel, findings.renderers._render_framed): the
same document as one laid out serially, the jobs' results in order whichever process ran them, the
serial path where a fork is not safe, and a second process that fails replaced by this one.

Data: the 10,000-character measure of test_pdf_print (about ten printed pages)."""

import io
import logging
import os
import threading

import pytest
from django.test import override_settings
from django.urls import reverse

from findings import pdf_parallel, renderers
from findings.status_report import build
from tests.findings import test_pdf_print
from tests.findings.test_pdf_print import AS_OF, assert_same_document, squash

long_history = test_pdf_print.long_history  # the fixture: a 10,000-character measure

pytestmark = pytest.mark.django_db


@pytest.fixture
def forkable(monkeypatch):
    """Fork as the job worker does on an idle machine. The test runner's workers have a helper thread of
    their own (so fork_is_safe() says no there); it takes no lock the child needs."""
    monkeypatch.setattr(pdf_parallel, "fork_is_safe", lambda: True)
    monkeypatch.setattr(pdf_parallel, "core_free", lambda: True)
    ran = []
    real_run = pdf_parallel.run

    def run(jobs):
        results, forked = real_run(jobs)
        ran.append((len(jobs), forked))
        return results, forked

    monkeypatch.setattr(pdf_parallel, "run", run)
    return ran


def test_a_report_split_for_two_cores_prints_as_laid_out_serially(long_history, report, forkable, monkeypatch):
    built = build(reports=[report], as_of=AS_OF, order="number")
    with override_settings(PDF_PROCESSES=1):
        serial = renderers.render_pdf(built)
    # the last page is laid out first (to count the pages); then the first page and the table pages
    assert forkable == [(2, False)]  # both in this process
    forkable.clear()
    parallel = renderers.render_pdf(built)
    assert forkable == [(2, True)]  # the first page laid out in a second process
    assert_same_document(parallel, serial, built)


def test_jobs_come_back_in_order_from_both_processes(forkable):
    here = os.getpid()
    results, forked = pdf_parallel.run([lambda i=i: (i, os.getpid()) for i in range(5)])
    assert forked
    assert [i for i, _ in results] == [0, 1, 2, 3, 4]
    pids = {i: pid for i, pid in results}
    assert {pids[1], pids[3]} == {here}  # every other job stays here
    assert {pids[0], pids[2], pids[4]} != {here} and here not in {pids[0], pids[2], pids[4]}


def test_what_the_second_process_fails_is_done_here(forkable, caplog):
    here = os.getpid()

    def fails_elsewhere(i):
        def job():
            if os.getpid() != here and i == 2:
                raise RuntimeError("out of memory, say")
            return i, os.getpid()

        return job

    def killed_elsewhere():
        if os.getpid() != here:
            os._exit(9)  # as if killed before handing anything back
        return "here"

    with caplog.at_level(logging.WARNING, logger="findings.pdf_parallel"):
        results, forked = pdf_parallel.run([fails_elsewhere(i) for i in range(4)])
        assert forked
        assert [i for i, _ in results] == [0, 1, 2, 3]
        assert results[0][1] != here and results[2][1] == here  # job 0 done there, job 2 again here
        assert "1 of its 2 parts" in caplog.text
        caplog.clear()
        assert pdf_parallel.run([killed_elsewhere, lambda: "mine"]) == (["here", "mine"], True)
        assert "status 9 after 0 of its 1 parts" in caplog.text


def test_no_fork_when_no_core_is_idle(monkeypatch):
    monkeypatch.setattr(pdf_parallel, "fork_is_safe", lambda: True)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 1.0, 1.0))  # both cores busy
    assert not pdf_parallel.can_fork()
    assert pdf_parallel.run([os.getpid, os.getpid]) == ([os.getpid()] * 2, False)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.6, 1.0, 1.0))  # one core idle
    assert pdf_parallel.can_fork()


def test_no_fork_with_another_thread_or_one_process_configured():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not pdf_parallel.fork_is_safe()
        results, forked = pdf_parallel.run([os.getpid, os.getpid])
        assert results == [os.getpid()] * 2 and not forked
    finally:
        stop.set()
        thread.join()
    with override_settings(PDF_PROCESSES=1):
        assert not pdf_parallel.can_fork()  # one process configured


def test_the_command_lays_out_on_two_cores_and_keeps_its_database(long_history, report, forkable, tmp_path):
    from django.core.management import call_command

    from findings.models import Finding
    from tests.findings.test_exports import pdf_pages

    def command(name: str) -> bytes:
        out = tmp_path / name
        args = ["--report", report.code, "--as-of", AS_OF.isoformat(), "--format", "pdf", "-o", str(out)]
        call_command("status_report", *args, stdout=io.StringIO())
        return out.read_bytes()

    with override_settings(PDF_PROCESSES=1):
        serial = command("serial.pdf")
    parallel = command("parallel.pdf")
    assert forkable == [(2, False), (2, True)]  # first page and table pages
    assert [squash(t) for t in pdf_pages(parallel)] == [squash(t) for t in pdf_pages(serial)]
    # the child forgot the parent's connection and never closed it: this process still queries
    assert Finding.objects.filter(report=report).count() == len(build(reports=[report], as_of=AS_OF).rows)


def test_a_pdf_job_lays_out_on_two_cores_and_records_its_file(client, long_history, report, forkable):
    from jobs.choices import JobState
    from jobs.models import Job
    from tests.findings.test_exports import pdf_pages
    from tests.jobs.test_jobs import END, start_export

    client.force_login(long_history.auditor)
    start_export(client, report, "pdf")  # a job at any size; the test settings run it at once
    job = Job.objects.get()
    assert job.state == JobState.DONE and forkable == [(2, True)]  # saved after the child's work
    content = client.get(reverse("jobs:job_download", args=[job.pk])).content
    with override_settings(PDF_PROCESSES=1):
        serial = renderers.render_pdf(build(reports=[report], as_of=END, per="finding"))
    assert [squash(t) for t in pdf_pages(content)] == [squash(t) for t in pdf_pages(serial)]
