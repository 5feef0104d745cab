"""The scheduler with a controlled clock: DST days, catch-up after downtime, one scheduler per database."""

import sys
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from briefing.config import load_config
from briefing.schedule import (
    SchedulerError, WallClockCronTrigger, make_scheduler, planned_jobs, run_command, scheduler_lock, serve, sync_jobs,
)

from .support import run_cli, write_config

BERLIN = ZoneInfo("Europe/Berlin")


def fire_times(trigger, start: datetime, end: datetime) -> list[datetime]:
    """Every fire time from start to end, the way the scheduler asks for them."""
    times, previous, now = [], None, start
    while True:
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None or fire > end:
            return times
        times.append(fire)
        previous, now = fire, fire


@pytest.mark.parametrize("crontab", ["30 2 * * *", "0 7 * * *", "59 1 * * *", "0 3 * * *"])
@pytest.mark.parametrize("first, last", [(date(2026, 3, 26), date(2026, 4, 2)), (date(2026, 10, 22), date(2026, 10, 29))])
def test_one_run_per_local_day_through_both_dst_changes(crontab, first, last):
    trigger = WallClockCronTrigger(crontab, "Europe/Berlin")
    start = datetime.combine(first, datetime.min.time(), BERLIN)
    end = datetime.combine(last, datetime.min.time(), BERLIN)
    times = fire_times(trigger, start, end)
    days = Counter(t.astimezone(BERLIN).date() for t in times)
    assert set(days) == {first + timedelta(days=n) for n in range((last - first).days)}
    assert set(days.values()) == {1}
    assert times == sorted(times) and len(set(times)) == len(times)


def test_apschedulers_own_cron_trigger_fires_twice_on_the_autumn_day():
    """The control: why WallClockCronTrigger exists."""
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab("30 2 * * *", timezone=BERLIN)
    day = datetime(2026, 10, 25, tzinfo=BERLIN)
    first = trigger.get_next_fire_time(None, day)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    assert first.date() == second.date() == date(2026, 10, 25)
    # Compared in UTC: two datetimes in the same zone compare by wall time, ignoring the fold.
    assert first.astimezone(timezone.utc) != second.astimezone(timezone.utc)


def test_a_time_in_the_spring_gap_runs_once_just_after_it():
    trigger = WallClockCronTrigger("30 2 * * *", "Europe/Berlin")
    fire = trigger.get_next_fire_time(None, datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN))
    assert fire.astimezone(BERLIN).isoformat() == "2026-03-29T03:30:00+02:00"


RUNS: list[datetime] = []


def record_run(label: str) -> None:
    RUNS.append(datetime.now(timezone.utc))


def scheduler_config(tmp_path, schedule="0 7 * * *", extra=""):
    return load_config(write_config(tmp_path, f"""
state: state.sqlite
scheduler: {{collect_every_minutes: null}}
audiences:
  - name: desk
    schedule: "{schedule}"
    timezone: Europe/Berlin
{extra}
"""))


def test_three_days_down_gives_one_catch_up_not_three(tmp_path):
    config = scheduler_config(tmp_path)
    job = planned_jobs(config, tmp_path / "config.yaml")[0]
    # The scheduler ran once and stored its job, then the machine was off for three days.
    scheduler = make_scheduler(config)
    scheduler.start(paused=True)
    three_days_ago = datetime.now(timezone.utc) - timedelta(days=3, hours=1)
    scheduler.add_job(record_run, job.trigger, args=("desk",), id=job.id, next_run_time=three_days_ago)
    scheduler.shutdown(wait=False)  # paused, then stopped: it must not have run or advanced the job

    RUNS.clear()
    restarted = make_scheduler(config)
    restarted.start(paused=True)
    stored = restarted.get_job(job.id)
    assert stored.next_run_time == three_days_ago
    # What `briefing schedule` does on start: the same id re-added, keeping the missed run.
    restarted.add_job(record_run, job.trigger, args=("desk",), id=job.id, replace_existing=True,
                      next_run_time=stored.next_run_time)
    restarted.resume()
    time.sleep(1.5)
    next_run = restarted.get_job(job.id).next_run_time
    restarted.shutdown(wait=True)
    assert len(RUNS) == 1
    assert next_run > datetime.now(timezone.utc)  # back on schedule: tomorrow (or today) at 07:00 Berlin
    assert next_run.astimezone(BERLIN).strftime("%H:%M") == "07:00"


def test_sync_keeps_a_missed_run_replaces_a_changed_schedule_and_drops_removed_audiences(tmp_path):
    config = scheduler_config(tmp_path, extra="  - name: gone\n    schedule: '0 8 * * *'\n")
    scheduler = make_scheduler(config)
    scheduler.start(paused=True)
    sync_jobs(scheduler, planned_jobs(config, tmp_path / "config.yaml"))
    assert sorted(j.id for j in scheduler.get_jobs()) == ["briefing:desk", "briefing:gone"]
    missed = datetime.now(timezone.utc) - timedelta(hours=5)
    scheduler.modify_job("briefing:desk", next_run_time=missed)
    sync_jobs(scheduler, planned_jobs(config, tmp_path / "config.yaml"))
    assert scheduler.get_job("briefing:desk").next_run_time == missed

    changed = scheduler_config(tmp_path, schedule="15 6 * * *")
    sync_jobs(scheduler, planned_jobs(changed, tmp_path / "config.yaml"))
    (job,) = scheduler.get_jobs()
    assert job.id == "briefing:desk" and job.next_run_time > datetime.now(timezone.utc)
    assert job.next_run_time.astimezone(BERLIN).strftime("%H:%M") == "06:15"
    scheduler.shutdown(wait=False)


def test_a_second_scheduler_on_the_same_database_is_refused(tmp_path):
    state = tmp_path / "state.sqlite"
    with scheduler_lock(state):
        with pytest.raises(SchedulerError, match=r"another `briefing schedule` \(pid \d+\) is already running"):
            with scheduler_lock(state):
                pass
    with scheduler_lock(state):  # released: the next one may start
        pass


def test_the_cli_refuses_a_second_scheduler(tmp_path):
    config = scheduler_config(tmp_path)
    with scheduler_lock(config.state):
        result = run_cli("schedule", cwd=tmp_path)
    assert result.returncode == 7 and "already running" in result.stderr


def test_a_hanging_job_is_cut_off_at_its_deadline():
    started = time.monotonic()
    finished = run_command([sys.executable, "-c", "import time; time.sleep(60)"], "hang", deadline_seconds=1)
    assert finished is False and time.monotonic() - started < 10


def test_a_job_that_fails_is_reported_and_one_that_works_is_not():
    assert run_command([sys.executable, "-c", "raise SystemExit(3)"], "fails", 30) is False
    assert run_command([sys.executable, "-c", "print('fine')"], "works", 30) is True


def test_serve_stops_cleanly_when_asked(tmp_path):
    config = scheduler_config(tmp_path)
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(config, tmp_path / "config.yaml", stop))
    thread.start()
    time.sleep(1)
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    with scheduler_lock(config.state):  # the lock was released
        pass


def test_schedule_list_prints_each_jobs_next_run(tmp_path):
    write_config(tmp_path, """
state: state.sqlite
scheduler: {collect_every_minutes: 30}
audiences:
  - {name: desk, schedule: "0 7 * * 1-5", timezone: Europe/Berlin}
  - {name: weekend}
""")
    result = run_cli("schedule", "--list", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "desk briefing at '0 7 * * 1-5' Europe/Berlin  [briefing:desk]" in result.stdout
    assert "collect every 30 min  [collect]" in result.stdout
    assert "weekend" not in result.stdout


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_frequent_schedules_move_forward_and_repeat_no_wall_clock_time(day):
    trigger = WallClockCronTrigger("*/30 * * * *", "Europe/Berlin")
    start = datetime.combine(day, datetime.min.time(), BERLIN)
    times = fire_times(trigger, start, start + timedelta(hours=6))
    assert times == sorted(times) and len(set(times)) == len(times)
    walls = [t.astimezone(BERLIN).strftime("%H:%M") for t in times]
    assert len(walls) == len(set(walls))


def test_the_job_store_lives_in_a_state_database_the_jobs_can_open(tmp_path):
    from briefing.state import open_store

    config = scheduler_config(tmp_path)
    scheduler = make_scheduler(config)
    scheduler.start(paused=True)
    sync_jobs(scheduler, planned_jobs(config, tmp_path / "config.yaml"))
    scheduler.shutdown(wait=False)
    with open_store(config.state) as store:  # a fresh file first touched by the scheduler is still ours
        assert store.article_count() == 0
