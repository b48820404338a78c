"""Alerts: ``gbpower health --notify``, ``gbpower alert job|unit`` — delivered to a real loopback HTTP
receiver and a fake ``sendmail`` on PATH; one alert per new problem, one per recovery, never a
storm; a failed delivery is retried; the webhook URL (which embeds a token) is never logged."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from loaders.alerts import AlertState, health_update, job_update, notify, unit_update
from loaders.alerts.channels import Email, Webhook, configured_channels
from loaders.cli import main
from loaders.health.model import Check, Report, Status
from tests.python.alert_receivers import WebhookReceiver, fake_sendmail, mails, path_with
from tests.python.test_health import write_run_results

NOW = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)


def report(*checks: tuple[str, str, Status, str]) -> Report:
    r = Report(NOW)
    r.checks = [Check(c, s, st, m) for c, s, st, m in checks]
    return r


OK_DBT = ("dbt", "last run", Status.OK, "dbt build 5m ago: 10 success")
STALE_FREQ = ("freshness", "FREQ/iris", Status.WARN, "newest 40m ago")
STALE_FREQ_ERR = ("freshness", "FREQ/iris", Status.ERROR, "newest 3h ago")
GAP = ("gaps", "DISEBSP", Status.ERROR, "2 periods missing")


@pytest.fixture
def receiver():
    with WebhookReceiver() as r:
        yield r


def test_one_alert_per_new_problem_one_per_recovery_never_a_storm(receiver, tmp_path):
    hook = [Webhook(receiver.url)]
    state = tmp_path / "state"

    def run(*checks, minutes: int = 0):
        return notify(
            health_update(report(*checks)),
            channels=hook,
            state_dir=state,
            now=NOW + timedelta(minutes=minutes),
            source="health",
        )

    assert run(OK_DBT).sent == {}  # healthy: nothing to say
    assert run(OK_DBT, STALE_FREQ, minutes=15).ok
    assert len(receiver.posts) == 1
    first = receiver.texts[0]
    assert "1 new problem" in first and "NEW WARN  health freshness FREQ/iris: newest 40m ago" in first
    assert receiver.posts[0]["content_type"] == "application/json"
    for i in range(2, 10):  # the same warning for two hours: no more alerts
        run(OK_DBT, STALE_FREQ, minutes=15 * i)
    assert len(receiver.posts) == 1
    run(OK_DBT, STALE_FREQ_ERR, GAP, minutes=160)  # worse (warn -> error) and a new one: one alert
    assert len(receiver.posts) == 2
    assert "NEW ERROR  health freshness FREQ/iris" in receiver.texts[1]
    assert "NEW ERROR  health gaps DISEBSP: 2 periods missing" in receiver.texts[1]
    run(OK_DBT, STALE_FREQ, GAP, minutes=175)  # better but not fixed: no alert
    assert len(receiver.posts) == 2
    run(OK_DBT, GAP, minutes=190)  # FREQ recovered
    assert len(receiver.posts) == 3
    assert "1 recovered" in receiver.texts[2] and "RECOVERED  health freshness FREQ/iris" in receiver.texts[2]
    assert "ERROR  health gaps DISEBSP" in receiver.texts[2]  # still open, listed
    run(OK_DBT, minutes=205)
    assert len(receiver.posts) == 4 and "All clear" in receiver.texts[3]
    run(OK_DBT, minutes=220)
    assert len(receiver.posts) == 4


def test_failed_delivery_is_retried_and_only_that_channel_is_told_again(receiver, tmp_path):
    outbox = tmp_path / "outbox"
    sendmail = fake_sendmail(tmp_path / "bin", outbox)
    channels = [Webhook(receiver.url), Email(("ops@example.org",), str(sendmail))]
    state = tmp_path / "state"
    receiver.status = 500
    out = notify(health_update(report(GAP)), channels=channels, state_dir=state, now=NOW)
    assert not out.ok and list(out.failed) == ["webhook http://127.0.0.1"]
    assert "HTTP 500" in next(iter(out.failed.values()))
    assert receiver.posts == [] and len(mails(outbox)) == 1
    receiver.status = 200
    out = notify(health_update(report(GAP)), channels=channels, state_dir=state, now=NOW + timedelta(minutes=15))
    assert out.ok and len(receiver.posts) == 1 and "NEW ERROR  health gaps DISEBSP" in receiver.texts[0]
    assert len(mails(outbox)) == 1  # the mail channel had it already


def test_email_goes_through_local_sendmail_with_subject_and_recipients(tmp_path, monkeypatch):
    outbox = tmp_path / "outbox"
    fake_sendmail(tmp_path / "bin", outbox)
    env = {"PATH": path_with(tmp_path / "bin"), "GBPOWER_ALERT_EMAIL": "a@example.org, b@example.org"}
    (channel,) = configured_channels(env)
    assert isinstance(channel, Email) and channel.sendmail == str(tmp_path / "bin/sendmail")
    notify(health_update(report(GAP)), channels=[channel], state_dir=tmp_path / "s", now=NOW, source="health")
    (mail,) = mails(outbox)
    assert "ARGS: -oi -- a@example.org b@example.org" in mail
    assert "\nTo: a@example.org, b@example.org\n" in mail
    assert "Subject: [gbpower " in mail and "health: 1 new problem" in mail
    assert "NEW ERROR  health gaps DISEBSP: 2 periods missing" in mail


def test_sendmail_failure_is_reported(tmp_path):
    sendmail = fake_sendmail(tmp_path / "bin", tmp_path / "outbox", exit_code=75)
    out = notify(
        health_update(report(GAP)),
        channels=[Email(("ops@example.org",), str(sendmail))],
        state_dir=tmp_path / "s",
        now=NOW,
    )
    assert not out.ok and "sendmail exit code 75" in next(iter(out.failed.values()))


def test_webhook_token_never_logged_when_unreachable(tmp_path, caplog):
    url = f"http://127.0.0.1:9/hooks/{WebhookReceiver.TOKEN}"  # discard port: nothing listens
    with caplog.at_level(logging.DEBUG):
        out = notify(health_update(report(GAP)), channels=[Webhook(url)], state_dir=tmp_path / "s", now=NOW)
    assert not out.ok
    text = caplog.text + repr(out.failed) + (tmp_path / "s/alerts.json").read_text()
    assert WebhookReceiver.TOKEN not in text and "127.0.0.1" in text


def test_job_failures_alert_once_then_recovery_and_units_do_not_double(receiver, tmp_path):
    hook = [Webhook(receiver.url)]
    state = tmp_path / "state"
    log = tmp_path / "dbt-build.log"
    log.write_text("line 1\nDatabase Error: boom\n")
    for i in range(3):
        notify(job_update("dbt-build", 2, log), channels=hook, state_dir=state, now=NOW + timedelta(minutes=30 * i))
    # systemd's OnFailure= for the same job after run-job's hook told it: nothing new
    notify(unit_update("gbpower-dbt-build"), channels=hook, state_dir=state, now=NOW + timedelta(minutes=91))
    assert len(receiver.posts) == 1
    assert "NEW ERROR  job dbt-build: failed with exit code 2" in receiver.texts[0]
    assert "Database Error: boom" in receiver.texts[0]
    notify(job_update("dbt-build", 0), channels=hook, state_dir=state, now=NOW + timedelta(minutes=120))
    assert len(receiver.posts) == 2 and "RECOVERED  job dbt-build" in receiver.texts[1]
    notify(job_update("api-catch-up", 124), channels=hook, state_dir=state, now=NOW + timedelta(minutes=130))
    assert "job api-catch-up: timed out" in receiver.texts[2]


def test_a_unit_failure_alerts_once_per_quiet_period_without_a_false_recovery(receiver, tmp_path):
    hook = [Webhook(receiver.url)]
    state = tmp_path / "state"
    for minutes in (0, 5, 60, 300):  # a crash loop within 6 h: one alert
        notify(
            unit_update("gbpower-iris.service"), channels=hook, state_dir=state, now=NOW + timedelta(minutes=minutes)
        )
    assert len(receiver.posts) == 1 and "NEW ERROR  unit gbpower-iris.service" in receiver.texts[0]
    notify(health_update(report(OK_DBT)), channels=hook, state_dir=state, now=NOW + timedelta(hours=7))
    assert len(receiver.posts) == 1  # the quiet period ran out silently: no "recovered" (nobody knows)
    notify(unit_update("gbpower-iris.service"), channels=hook, state_dir=state, now=NOW + timedelta(hours=8))
    assert len(receiver.posts) == 2


def test_damaged_state_file_does_not_silence_alerts(receiver, tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "alerts.json").write_text("{not json")
    notify(health_update(report(GAP)), channels=[Webhook(receiver.url)], state_dir=state, now=NOW)
    assert len(receiver.posts) == 1
    with AlertState(state).locked() as s:
        assert set(s.problems) == {"health:gaps:DISEBSP"}


@pytest.fixture
def cli_env(tmp_path, monkeypatch, receiver):
    monkeypatch.setenv("GBPOWER_DUCKDB", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("GBPOWER_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("GBPOWER_QUARANTINE_DIR", str(tmp_path / "q"))
    monkeypatch.setenv("GBPOWER_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("GBPOWER_ALERT_WEBHOOK", receiver.url)
    monkeypatch.setenv("GBPOWER_ALERT_EMAIL", "ops@example.org")
    fake_sendmail(tmp_path / "bin", tmp_path / "outbox")
    monkeypatch.setenv("PATH", path_with(tmp_path / "bin"))
    monkeypatch.delenv("GBPOWER_SENDMAIL", raising=False)
    return tmp_path


def test_health_notify_cli_alerts_new_problems_and_recovery(cli_env, receiver, capsys, caplog):
    rr = cli_env / "target/run_results.json"
    args = ["health", "--notify", "--no-iris", "--dataset", "FREQ", "--run-results", str(rr)]
    write_run_results(rr, datetime.now(UTC), {"model.gbpower.x": "error"})
    with caplog.at_level(logging.DEBUG):
        assert main(args) == 0  # an ERROR in the report, but under --notify the exit code is delivery
        assert main(args) == 0
    assert len(receiver.posts) == 1 and "NEW ERROR  health dbt last run" in receiver.texts[0]
    assert len(mails(cli_env / "outbox")) == 1
    write_run_results(rr, datetime.now(UTC), {"model.gbpower.x": "success"})
    assert main(args) == 0
    assert len(receiver.posts) == 2 and "RECOVERED  health dbt last run" in receiver.texts[1]
    assert len(mails(cli_env / "outbox")) == 2
    out = capsys.readouterr()
    assert WebhookReceiver.TOKEN not in out.out + out.err + caplog.text
    receiver.status = 503
    write_run_results(rr, datetime.now(UTC), {"model.gbpower.x": "fail"})
    assert main(args) == 3  # the webhook could not be told: the job fails (and run-job's hook says so)


def test_alert_job_and_unit_cli(cli_env, receiver):
    log = cli_env / "export-sheets.log"
    log.write_text("Traceback …\nPermissionError: sheet\n")
    assert main(["alert", "job", "export-sheets", "1", "--log", str(log)]) == 0
    assert main(["alert", "unit", "gbpower-export-sheets"]) == 0
    assert len(receiver.posts) == 1 and "PermissionError: sheet" in receiver.texts[0]
    assert main(["alert", "job", "export-sheets", "0"]) == 0
    assert len(receiver.posts) == 2 and "RECOVERED  job export-sheets" in receiver.texts[1]
    assert main(["alert", "test"]) == 0
    assert receiver.texts[-1].startswith("[gbpower] test alert")


def test_alert_test_without_channels_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.delenv("GBPOWER_ALERT_WEBHOOK", raising=False)
    monkeypatch.delenv("GBPOWER_ALERT_EMAIL", raising=False)
    with pytest.raises(SystemExit) as exc:
        main(["alert", "test"])
    assert exc.value.code == 2 and "no alert channel configured" in capsys.readouterr().err


def test_problems_are_recorded_even_with_no_channel(tmp_path):
    out = notify(health_update(report(GAP)), channels=[], state_dir=tmp_path, now=NOW)
    assert out.ok and out.channels == 0
    with AlertState(Path(tmp_path)).locked() as s:
        assert "health:gaps:DISEBSP" in s.problems


def test_health_notify_without_a_channel_keeps_the_usual_exit_code(cli_env, monkeypatch):
    monkeypatch.delenv("GBPOWER_ALERT_WEBHOOK")
    monkeypatch.delenv("GBPOWER_ALERT_EMAIL")
    rr = cli_env / "target/run_results.json"
    write_run_results(rr, datetime.now(UTC), {"model.gbpower.x": "error"})
    assert main(["health", "--notify", "--no-iris", "-d", "FREQ", "--run-results", str(rr)]) == 2
