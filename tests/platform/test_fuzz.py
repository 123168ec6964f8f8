"""API fuzzing: schemathesis generates requests for every operation in /api/schema/
and checks that none answers 5xx and every response matches the schema.

It drives a live server with a staff token (the administrator: every endpoint is
open to it), on the demo data set so that ids in paths exist."""
import subprocess
import sys

import pytest
from rest_framework.authtoken.models import Token

from core_billing.models import User

# Run once, with the integration tests (CI's PostgreSQL pass), to keep CI short.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
EXAMPLES = 8


def test_no_server_errors_and_responses_match_the_schema(live_server, tmp_path, settings):
    from django.core.management import call_command

    call_command("seed_demo", customers=60, stdout=open(tmp_path / "seed.log", "w"))
    token = Token.objects.create(user=User.objects.get(username="admin")).key
    report = tmp_path / "schemathesis.txt"
    command = [sys.executable, "-m", "schemathesis.cli", "run", f"{live_server.url}/api/schema/",
               "--header", f"Authorization: Token {token}", "--checks", "not_a_server_error,response_schema_conformance",
               "--max-examples", str(EXAMPLES), "--seed", "20261128", "--phases", "examples,fuzzing",
               "--exclude-path-regex", r"auth/(login|logout|token)", "--request-timeout", "30"]
    with open(report, "w") as out:
        code = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, timeout=1500).returncode
    text = report.read_text()
    assert code == 0, text[-15000:]
