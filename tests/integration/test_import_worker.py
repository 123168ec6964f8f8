"""A customer import queued by the API is picked up by a real worker on Redis
and written to PostgreSQL; the page's progress comes from the shared cache."""
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core_billing.models import Customer, ImportJob
from tests.core_billing.test_import import good_rows, workbook
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration


def test_import_runs_on_a_real_worker(org, celery_workers):
    celery_workers.start("import")
    api = APIClient()
    api.force_authenticate(org.supervisor1)
    upload = io.BytesIO(workbook(good_rows()))
    upload.name = "c.xlsx"
    response = api.post(reverse("import-list"), {"file": upload}, format="multipart")
    assert response.status_code == 202
    job_id = response.json()["id"]
    wait_until(lambda: ImportJob.objects.get(pk=job_id).is_finished, message="import to finish")
    job = ImportJob.objects.get(pk=job_id)
    assert job.status == "done", job.message
    assert Customer.objects.filter(account_no__in=["B0001", "B0002", "B0003"]).count() == 3
    progress = api.get(reverse("import-detail", args=[job_id])).json()["progress"]
    assert progress["percent"] == 100 and progress["phase"] == "done"
