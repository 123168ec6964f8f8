"""A large export started through the API is written by a real worker on Redis
and PostgreSQL; the web side serves the stored file and the progress the
worker left in the shared cache."""
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from reports.models import ExportJob
from tests.integration.conftest import wait_until
from tests.reports.conftest import ledger  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration


def test_export_runs_on_a_real_worker(org, ledger, celery_workers, settings):  # noqa: F811
    settings.EXPORT_INLINE_MAX_ROWS = 1
    celery_workers.start("export")
    api = APIClient()
    api.force_authenticate(org.supervisor1)
    response = api.post(reverse("report-export-list"), {"source": "arrears", "filters": {"order": "address"}},
                        format="json")
    assert response.status_code == 202, response.json()
    job_id = response.json()["id"]
    wait_until(lambda: ExportJob.objects.get(pk=job_id).is_finished, message="export to finish")
    job = ExportJob.objects.get(pk=job_id)
    assert job.status == "done", job.message
    detail = api.get(reverse("report-export-detail", args=[job_id])).json()
    assert detail["progress"]["percent"] == 100 and detail["download_url"]
    download = api.get(reverse("report-export-download", args=[job_id]))
    ws = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)] == [org.customer1.account_no,
                                                                         org.customer1b.account_no]
