"""Scheduling: `briefing schedule` keeps each audience's briefing and an hourly collection on time.

APScheduler 3 with its jobs in the state database (SQLAlchemy job store), so a restart knows
what it missed. Three of APScheduler's defaults would lose or repeat briefings, so:

- `misfire_grace_time` defaults to 1 second: a daily job due while the process was down is
  silently skipped. Here jobs coalesce (many missed runs become one) with a grace of hours,
  and a job re-added on start keeps the missed run time it had in the store.
- A CronTrigger in a zone with daylight saving fires twice for a time in the repeated hour
  (02:30 Europe/Berlin on 2026-10-25). `WallClockCronTrigger` matches the cron line against
  the local wall clock and never fires twice for the same wall-clock time.
- A job that hangs would block the next one (max_instances=1): each job runs the CLI in a
  child process with an overall deadline, after which it is killed.

One scheduler per state database: a lock file next to it refuses a second one.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .config import Config
from .errors import BriefingError
from .state import open_store

log = logging.getLogger(__name__)

COLLECT_JOB = "collect"
_JOBS_TABLE = "apscheduler_jobs"


class SchedulerError(BriefingError):
    exit_code = 7


class WallClockCronTrigger(BaseTrigger):
    """A cron line read on the local wall clock: each wall-clock time fires at most once.

    On the autumn change the repeated hour is skipped the second time round; on the spring
    change a time inside the missing hour fires an hour later (02:30 becomes 03:30 summer
    time). So a daily schedule runs exactly once per local day.
    """

    def __init__(self, crontab: str, zone: str) -> None:
        self.crontab = crontab
        self.zone = zone
        self._wall = CronTrigger.from_crontab(crontab, timezone=timezone.utc)
        self._tz = ZoneInfo(zone)

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        # Like CronTrigger, count on from the previous fire time when there is one, so that the
        # scheduler can list (and coalesce) every run it missed.
        if previous_fire_time is None:
            start = self._wall_clock(now)
        else:
            start = self._wall_clock(previous_fire_time) + timedelta(seconds=1)
        while True:
            wall = self._wall.get_next_fire_time(None, start)
            if wall is None:
                return None
            # Naming the wall time in the zone picks the first of two repeated times (fold=0), and
            # reads a time in the spring gap with the winter offset, which lands an hour later.
            fire = wall.replace(tzinfo=self._tz).astimezone(timezone.utc)
            if previous_fire_time is None or fire > previous_fire_time:
                return fire
            start = wall + timedelta(seconds=1)  # a gap time mapped behind the previous run: skip it

    def _wall_clock(self, moment: datetime) -> datetime:
        return moment.astimezone(self._tz).replace(tzinfo=timezone.utc, fold=0)

    def __getstate__(self) -> dict:
        return {"crontab": self.crontab, "zone": self.zone}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["crontab"], state["zone"])  # type: ignore[misc]

    def __str__(self) -> str:
        return f"cron[{self.crontab}] {self.zone}"


@dataclass(frozen=True)
class PlannedJob:
    id: str
    name: str
    trigger: BaseTrigger
    args: tuple


def planned_jobs(config: Config, config_path: Path) -> list[PlannedJob]:
    """One job per audience that has a schedule, and the collection job."""
    deadline = config.scheduler.job_deadline_minutes * 60
    jobs = [
        PlannedJob(f"briefing:{a.name}", f"{a.name} briefing at '{a.schedule}' {a.timezone}",
                   WallClockCronTrigger(a.schedule, a.timezone), (str(config_path), a.name, a.timezone, deadline))
        for a in config.resolved_audiences() if a.schedule
    ]
    if config.scheduler.collect_every_minutes:
        minutes = config.scheduler.collect_every_minutes
        jobs.append(PlannedJob(COLLECT_JOB, f"collect every {minutes} min",
                               IntervalTrigger(minutes=minutes, timezone=timezone.utc), (str(config_path), deadline)))
    return jobs


class _Scheduler(BackgroundScheduler):
    def _process_jobs(self):
        # APScheduler 3 wakes its loop once more while shutting down and would then advance the
        # run time of a job that is due, losing that run; a stopped scheduler processes nothing.
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


def make_scheduler(config: Config) -> BackgroundScheduler:
    """A scheduler whose jobs live in the state database (created first, so it is ours)."""
    open_store(config.state).close()
    grace = config.scheduler.misfire_grace_hours
    return _Scheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{config.state}", tablename=_JOBS_TABLE)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": None if grace is None else int(grace * 3600)},
        timezone=timezone.utc,
    )


def sync_jobs(scheduler: BackgroundScheduler, jobs: Sequence[PlannedJob]) -> None:
    """Add each job under its fixed id, replacing the stored one but keeping a missed run time
    when the trigger is unchanged; remove stored jobs no longer configured."""
    wanted = {job.id for job in jobs}
    for stored in scheduler.get_jobs():
        if stored.id not in wanted:
            log.info("removing job %s: no longer in the configuration", stored.id)
            stored.remove()
    for job in jobs:
        stored = scheduler.get_job(job.id)
        keep = stored is not None and str(stored.trigger) == str(job.trigger) and stored.next_run_time is not None
        options = {"next_run_time": stored.next_run_time} if keep else {}
        function = run_collect_job if job.id == COLLECT_JOB else run_briefing_job
        scheduler.add_job(function, job.trigger, args=job.args, id=job.id, name=job.name,
                          replace_existing=True, **options)


def next_runs(config: Config, config_path: Path) -> list[tuple[str, str, datetime | None]]:
    """(id, description, next run) of every job, as a scheduler started now would have them."""
    scheduler = make_scheduler(config)
    scheduler.start(paused=True)
    try:
        sync_jobs(scheduler, planned_jobs(config, config_path))
        return [(job.id, job.name, job.next_run_time) for job in scheduler.get_jobs()]
    finally:
        scheduler.shutdown(wait=False)


def serve(config: Config, config_path: Path, stop: threading.Event | None = None) -> None:
    """Run the scheduler in the foreground until SIGTERM/SIGINT (or `stop` is set).

    A job in progress is allowed to finish (within its deadline) before returning.
    """
    stop = stop or threading.Event()
    with scheduler_lock(config.state):
        scheduler = make_scheduler(config)
        scheduler.start(paused=True)
        sync_jobs(scheduler, planned_jobs(config, config_path))
        for job in scheduler.get_jobs():
            log.info("job %s: next run %s", job.name, _local(job.next_run_time))
        restore = _stop_on_signals(stop)
        scheduler.resume()
        try:
            stop.wait()
        finally:
            log.info("stopping: waiting for any job in progress")
            scheduler.shutdown(wait=True)
            restore()
            log.info("stopped")


@contextmanager
def scheduler_lock(state: Path) -> Iterator[None]:
    """Hold `<state>.scheduler.lock` exclusively; a second scheduler on the same database is refused."""
    path = state.with_name(state.name + ".scheduler.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise SchedulerError(
            f"another `briefing schedule` ({holder}) is already running for {state}; stop it first, "
            "or give this one its own state: database"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def run_briefing_job(config_path: str, audience: str, zone: str, deadline_seconds: float) -> bool:
    """Build and send one audience's briefing for today (in its time zone), in a child process."""
    today = datetime.now(ZoneInfo(zone)).date().isoformat()
    return run_command(
        [sys.executable, "-m", "briefing", "run", "--config", config_path, "--audience", audience,
         "--date", today, "--send"],
        f"{audience} briefing for {today}", deadline_seconds,
    )


def run_collect_job(config_path: str, deadline_seconds: float) -> bool:
    return run_command([sys.executable, "-m", "briefing", "collect", "--config", config_path],
                       "collection", deadline_seconds)


def run_command(command: list[str], what: str, deadline_seconds: float) -> bool:
    """Run a job's command; kill it at the deadline so that the next job still runs."""
    log.info("%s: starting", what)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        output, _ = process.communicate(timeout=deadline_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        log.error("%s: still running after %.0f s, stopped (raise scheduler.job_deadline_minutes if it "
                  "needs longer)", what, deadline_seconds)
        return False
    for line in output.strip().splitlines():
        log.info("%s: %s", what, line)
    if process.returncode != 0:
        log.error("%s: failed with exit code %d", what, process.returncode)
        return False
    log.info("%s: done", what)
    return True


def _stop_on_signals(stop: threading.Event):
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handler(signum, frame):
        log.info("received %s", signal.Signals(signum).name)
        stop.set()

    for sig in previous:
        signal.signal(sig, handler)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


def _local(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M %Z") if moment else "never (paused)"
