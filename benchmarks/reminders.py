"""Reminder scheduler with 100,000 pending reminders: memory and CPU of the sweep that serves them.

    .venv/bin/python benchmarks/reminders.py [--reminders 100000] [--batch 200]

Reminders are database rows, not scheduled jobs, so the process holds nothing per reminder. This loads
``--reminders`` subscriptions with pending reminders spread over the next 12 hours, then measures:
1. an idle sweep (nothing due) — what the bot pays every 20 s whatever the number of pending reminders;
2. draining every reminder as due (clock moved 12 h ahead) with the same ``ReminderStore`` calls the cog
   makes (claim with a SKIP LOCKED lease, then finish), delivery stubbed out;
and prints wall and CPU time, reminders/s, and the process's RSS and Python heap before and after.
Target: flat memory (no growth with the number of reminders), no per-reminder job objects.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import resource
import time
import tracemalloc

from engagement_data import database, make_servers


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(count: int, batch: int) -> None:
    from cogs.reminders.repository import ReminderStore

    async with database() as pool:
        await make_servers(pool, 1000, "reminders")
        await pool.execute(
            """
            INSERT INTO reminder_subscriptions (server_id, discord_user_id)
            SELECT 1 + g % 1000, 100000 + g FROM generate_series(1, $1) g
            """,
            count,
        )
        await pool.execute(
            """
            INSERT INTO reminders (server_id, discord_user_id, due_at)
            SELECT server_id, discord_user_id, now() + random() * interval '12 hours' FROM reminder_subscriptions
            """
        )
        await pool.execute("ANALYZE")
        store = ReminderStore(pool)
        print(f"pending reminders: {await store.pending()}")
        tracemalloc.start()
        rss_before, heap_before = rss_mb(), tracemalloc.get_traced_memory()[0]

        now = dt.datetime.now(dt.UTC)
        began, cpu = time.perf_counter(), time.process_time()
        for _ in range(10):
            assert await store.claim_due(now - dt.timedelta(minutes=1), dt.timedelta(minutes=5), batch) == []
        idle = (time.perf_counter() - began) / 10
        idle_cpu = (time.process_time() - cpu) / 10
        print(f"idle sweep: {idle * 1000:.2f} ms wall, {idle_cpu * 1000:.2f} ms CPU")

        later = now + dt.timedelta(hours=12, minutes=1)
        began, cpu, delivered, peak_rss = time.perf_counter(), time.process_time(), 0, rss_before
        while due := await store.claim_due(later, dt.timedelta(minutes=5), batch):
            for reminder in due:  # delivery stubbed: the cog sends a DM here
                await store.finish(reminder)
            delivered += len(due)
            peak_rss = max(peak_rss, rss_mb())
        wall, cpu_used = time.perf_counter() - began, time.process_time() - cpu
        heap_after, heap_peak = tracemalloc.get_traced_memory()
        print(
            f"drained {delivered} reminders in {wall:.1f} s ({delivered / wall:.0f}/s), CPU {cpu_used:.1f} s "
            f"({cpu_used / max(delivered, 1) * 1e6:.0f} µs per reminder)"
        )
        print(
            f"RSS {rss_before:.1f} MB before, peak {peak_rss:.1f} MB, after {rss_mb():.1f} MB; Python heap "
            f"{heap_before / 1e6:.2f} MB before, peak {heap_peak / 1e6:.2f} MB, after {heap_after / 1e6:.2f} MB"
        )
        print(f"pending after: {await store.pending()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.reminders, args.batch))
