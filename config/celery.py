import os

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("nuanxin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _fresh_connections(task=None, **kwargs):
    """What Django does at the start of each request: drop connections past CONN_MAX_AGE or left
    unusable by an error (settings.CELERY_DB_REUSE_MAX keeps them between tasks otherwise).
    Not for a task run eagerly: it runs inside its caller's transaction."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()

