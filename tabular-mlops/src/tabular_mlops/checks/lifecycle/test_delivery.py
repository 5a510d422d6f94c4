"""The delivery metrics, checked against answers worked out by hand on a synthetic history.

Each test builds a Git repository with commits at known committer dates and registry tags
made by ``gto.api``. GTO writes its tags through dulwich or pygit2, which stamp them with the
clock and ignore ``GIT_COMMITTER_DATE``, so :meth:`History.redate` re-creates each tag GTO
made (same name, target and message) with ``git tag``, which takes the tagger date from
that variable; ``gto.api.history`` then reads the date chosen here.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from typer.testing import CliRunner

from tabular_mlops.cli import app
from tabular_mlops.lifecycle.delivery import (
    DeliveryError,
    delivery_metrics,
    format_table,
)
from tabular_mlops.lifecycle.registry import artifact_name

from ..support import PROJECT_ROOT
from .conftest import History, at

ARTIFACT = artifact_name(PROJECT_ROOT)


@pytest.fixture(scope="module")
def with_rollback(tmp_path_factory: pytest.TempPathFactory) -> History:
    """Four versions, five production assignments; the third is rolled back after 6 hours."""
    history = History(tmp_path_factory.mktemp("delivery") / "repo", ARTIFACT)
    history.commit("2024-01-01 09:00")
    c2 = history.commit("2024-01-02 09:00")
    history.register("v1.0.0", c2, "2024-01-02 12:00")
    history.assign("v1.0.0", "2024-01-03 09:00")  # A1
    history.commit("2024-01-05 09:00")
    c4 = history.commit("2024-01-06 09:00")
    history.register("v1.1.0", c4, "2024-01-06 12:00")
    history.assign("v1.1.0", "2024-01-08 09:00")  # A2
    c5 = history.commit("2024-01-10 09:00")
    history.register("v1.2.0", c5, "2024-01-10 12:00")
    history.assign("v1.2.0", "2024-01-10 18:00", stage="staging")  # not a deployment
    history.assign("v1.2.0", "2024-01-11 09:00")  # A3
    history.assign("v1.1.0", "2024-01-11 15:00")  # A4: back to the older v1.1.0, a rollback
    c6 = history.commit("2024-01-13 09:00")
    history.register("v1.2.1", c6, "2024-01-13 12:00")
    history.assign("v1.2.1", "2024-01-15 09:00")  # A5
    return history


def test_the_four_metrics_of_a_history_with_a_rollback(with_rollback):
    report = delivery_metrics(with_rollback.root, ARTIFACT, now=at("2024-01-22 09:00"))

    # Deployment frequency: 5 prod assignments (the staging one does not count) from A1,
    # 2024-01-03 09:00, to now, 2024-01-22 09:00: 19 days = 19/7 weeks; 5 / (19/7) = 35/19.
    assert report.deployment_frequency.count == 5
    assert report.deployment_frequency.value == pytest.approx(35 / 19)
    # Lead time, hours from each new commit to the assignment that first deployed it:
    #   A1, v1.0.0, first deployment, all its history: 01-01 09:00 -> 48, 01-02 09:00 -> 24
    #   A2, v1.1.0 replaces v1.0.0: commits 01-05 -> 72, 01-06 -> 48
    #   A3, v1.2.0 replaces v1.1.0: commit 01-10 -> 24
    #   A4 deploys v1.1.0 again: nothing new
    #   A5, v1.2.1 replaces v1.1.0 (back in prod): commits 01-10 -> 120, 01-13 -> 48
    # sorted 24 24 48 [48] 48 72 120: the median of the 7 is 48 hours.
    assert report.lead_time.count == 7
    assert report.lead_time.value == pytest.approx(48)
    # Change failure rate: A3 was rolled back by A4: 1 of 5.
    assert report.change_failure_rate.value == pytest.approx(1 / 5)
    # Time to restore: A3 (01-11 09:00) to A4 (01-11 15:00) = 6 hours.
    assert report.time_to_restore.count == 1
    assert report.time_to_restore.value == pytest.approx(6)
    assert [made.version for made in report.deployments] == [
        "v1.0.0",
        "v1.1.0",
        "v1.2.0",
        "v1.1.0",
        "v1.2.1",
    ]
    assert [made.rollback for made in report.deployments] == [False, False, False, True, False]
    assert report.message is None


def test_the_table_shows_each_metric(with_rollback):
    table = format_table(delivery_metrics(with_rollback.root, ARTIFACT, now=at("2024-01-22 09:00")))

    assert "2024-01-03 09:00 .. 2024-01-22 09:00 UTC (19.0 days)" in table
    for expected in ("1.84 per week", "2.0 d (median)", "20%", "6.0 h (median)"):
        assert expected in table, table


def test_since_limits_the_window_but_not_what_was_deployed_before(with_rollback, monkeypatch):
    monkeypatch.chdir(with_rollback.root)
    result = CliRunner().invoke(app, ["delivery-metrics", "--json", "--since", "2024-01-10"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # A3, A4 and A5 are in the window from 2024-01-10 00:00 to now (the real clock).
    start = at("2024-01-10 00:00")
    end = datetime.fromisoformat(report["window"]["end"])
    assert datetime.fromisoformat(report["window"]["start"]) == start
    assert report["deployment_frequency"]["value"] == pytest.approx(
        3 / ((end - start) / timedelta(weeks=1))
    )
    # Lead time: A3 adds 01-10 09:00 (24 h); A5 adds it again (120 h) and 01-13 (48 h):
    # v1.1.0, deployed before the window, is what A5 replaces. Median of 24 48 120: 48.
    assert report["lead_time_for_changes"]["count"] == 3
    assert report["lead_time_for_changes"]["value"] == pytest.approx(48)
    assert report["change_failure_rate"]["value"] == pytest.approx(1 / 3)
    assert report["time_to_restore"]["value"] == pytest.approx(6)


@pytest.fixture(scope="module")
def without_rollback(tmp_path_factory: pytest.TempPathFactory) -> History:
    """Two versions, each deployed once, the second replacing the first."""
    history = History(tmp_path_factory.mktemp("delivery") / "repo", ARTIFACT)
    c1 = history.commit("2024-03-01 09:00")
    history.register("v1.0.0", c1, "2024-03-01 10:00")
    history.assign("v1.0.0", "2024-03-01 12:00")
    c2 = history.commit("2024-03-02 09:00")
    history.register("v1.1.0", c2, "2024-03-02 10:00")
    history.assign("v1.1.0", "2024-03-04 09:00")
    return history


def test_without_a_rollback_nothing_failed_and_there_is_nothing_to_restore(without_rollback):
    report = delivery_metrics(without_rollback.root, ARTIFACT, now=at("2024-03-15 12:00"))

    # 2 assignments from 03-01 12:00 to 03-15 12:00, 14 days = 2 weeks: 1 per week.
    assert report.deployment_frequency.value == pytest.approx(1.0)
    # Lead times: 03-01 09:00 -> 03-01 12:00 is 3 h; 03-02 09:00 -> 03-04 09:00 is 48 h;
    # the median of two is their mean, 25.5 h.
    assert report.lead_time.value == pytest.approx(25.5)
    assert report.change_failure_rate.value == 0.0
    assert report.change_failure_rate.count == 2
    assert report.time_to_restore.value is None
    assert report.time_to_restore.reason == (
        "no production assignment in the window was rolled back"
    )


def test_a_window_shorter_than_a_week_has_no_rate(without_rollback):
    # From 03-01 12:00 to 03-04 12:00: 3 days, too short for a weekly rate.
    report = delivery_metrics(without_rollback.root, ARTIFACT, now=at("2024-03-04 12:00"))

    assert report.deployment_frequency.value is None
    assert report.deployment_frequency.count == 2
    assert "3.0 days" in str(report.deployment_frequency.reason)
    assert "deployment frequency   -  (the window is 3.0 days long" in format_table(report)
    assert report.lead_time.value == pytest.approx(25.5)


def test_a_version_deployed_again_brings_no_new_commits(tmp_path):
    history = History(tmp_path / "repo", ARTIFACT)
    c1 = history.commit("2024-04-01 09:00")
    history.register("v1.0.0", c1, "2024-04-01 10:00")
    history.assign("v1.0.0", "2024-04-01 12:00")  # c1: 3 h
    c2 = history.commit("2024-04-02 09:00")
    history.register("v1.1.0", c2, "2024-04-02 10:00")
    history.assign("v1.1.0", "2024-04-02 13:00")  # c2: 4 h
    history.assign("v1.0.0", "2024-04-02 15:00")  # rollback, 2 h after
    history.assign("v1.1.0", "2024-04-03 09:00")  # v1.1.0 again: c2 was deployed before

    report = delivery_metrics(history.root, ARTIFACT, now=at("2024-04-10 12:00"))

    # Only the first deployments count: 3 h and 4 h, median 3.5 h.
    assert report.lead_time.count == 2
    assert report.lead_time.value == pytest.approx(3.5)
    assert report.change_failure_rate.value == pytest.approx(1 / 4)
    assert report.time_to_restore.value == pytest.approx(2)


def test_no_production_assignment_gives_a_message_and_no_numbers(tmp_path, monkeypatch):
    history = History(tmp_path / "repo", ARTIFACT)
    commit = history.commit("2024-05-01 09:00")
    history.register("v1.0.0", commit, "2024-05-01 10:00")
    history.assign("v1.0.0", "2024-05-01 11:00", stage="staging")

    report = delivery_metrics(history.root, ARTIFACT, now=at("2024-06-01 09:00"))

    assert report.message is not None
    assert f"no version of '{ARTIFACT}' has been assigned to 'prod' yet" in report.message
    for metric in (
        report.deployment_frequency,
        report.lead_time,
        report.change_failure_rate,
        report.time_to_restore,
    ):
        assert metric.value is None
        assert metric.reason
    monkeypatch.chdir(history.root)
    result = CliRunner().invoke(app, ["delivery-metrics"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == report.message


def test_a_repository_without_commits_has_no_assignment_yet(tmp_path):
    report = delivery_metrics(History(tmp_path / "repo", ARTIFACT).root, ARTIFACT)

    assert report.message is not None
    assert report.deployments == []


def test_outside_a_git_repository_the_error_says_so(tmp_path):
    with pytest.raises(DeliveryError, match="is not in a Git repository"):
        delivery_metrics(tmp_path, ARTIFACT)


def test_a_since_that_is_not_a_date_is_refused_with_the_format(tmp_path):
    result = CliRunner().invoke(app, ["delivery-metrics", "--since", "last week"])

    assert result.exit_code == 1
    assert "--since 'last week' is not a date: use YYYY-MM-DD" in result.output
