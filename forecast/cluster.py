"""Zone simulations on a Dask distributed cluster (``--scheduler ADDRESS``).

Imported only when a scheduler address is given: without one nothing here (nor
dask) is loaded. The simulation job (fitted ModelSet, the cut ledger, the
zones' projects) goes to every worker once (``Client.scatter(broadcast=True)``);
each task then simulates a batch of zones on it with
``forecast.simulate.run_zones``, exactly as a forked worker does, so the
numbers equal a local run's (each zone draws from its own seeded stream; group
totals are summed in fixed point, in any order).

Failures: a task that raises is retried once (``retries=1``), and a task whose
worker dies is rescheduled on another worker by the scheduler. A batch that
still fails is split into single zones, each retried once again, so that the
error names the zone that fails rather than its batch.

Start a cluster with ``dask scheduler`` on one machine and ``dask worker
tcp://HOST:8786 --nthreads 1`` on each core of the others (README, "A Dask
cluster"); every worker needs the same ``forecast`` installed.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterator, Mapping

from distributed import Client, as_completed

from .exceptions import ForecastError

__all__ = ["client", "close_clients", "map_zones", "worker_count"]

_CLIENTS: dict[str, Client] = {}
_LOCK = threading.Lock()
#: Seconds to wait for the scheduler to answer before giving up.
CONNECT_TIMEOUT = 20


def client(address: str) -> Client:
    """A client of the scheduler at ``address``, one per address and process.

    Raises
    ------
    ForecastError
        When the scheduler does not answer.
    """
    with _LOCK:
        c = _CLIENTS.get(address)
        if c is not None and c.status == "running":
            return c
        try:
            c = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as err:
            raise ForecastError(
                f"Cannot reach the Dask scheduler at {address!r}: {err}. Start one with "
                f"`dask scheduler` and workers with `dask worker {address}`, or drop --scheduler."
            ) from err
        _CLIENTS[address] = c
        return c


def close_clients() -> None:
    """Close every client this process opened (e.g. before its cluster goes away)."""
    with _LOCK:
        for c in _CLIENTS.values():
            c.close()
        _CLIENTS.clear()


def worker_count(address: str) -> int:
    """Threads across the cluster's workers (at least 1): how many tasks run at once."""
    info = client(address).scheduler_info().get("workers", {})
    return max(1, sum(int(w.get("nthreads", 1)) for w in info.values()))


def _gather(c: Client, futures: Mapping[Any, list[str]]) -> Iterator[tuple[list[str], Any, BaseException | None]]:
    """``(zones, result, error)`` of each future as it finishes."""
    for fut in as_completed(list(futures), loop=c.loop):
        try:
            yield futures[fut], fut.result(), None
        except Exception as err:  # noqa: BLE001 - reported with the zones it belongs to
            yield futures[fut], None, err
        finally:
            fut.release()


def map_zones(job: Any, batches: list[list[str]], address: str,
              run: Callable[[Any, list[str]], tuple[list[tuple[str, Any]], Any]],
              progress: Callable[[int], Any] | None) -> Iterator[tuple[str, Any]]:
    """Yield ``(zone_id, result)`` of every zone, simulated on the cluster by
    ``run(job, zones)`` (``simulate.run_zones``) batch by batch, in the order
    the batches finish; group sums are merged into ``job.sums``.

    Raises
    ------
    ForecastError
        Naming each zone that failed twice, with its error.
    """
    c = client(address)
    shared = c.scatter(job, broadcast=True, hash=False)
    try:
        futures = {c.submit(run, shared, b, retries=1, pure=False): b for b in batches}
        failed: list[str] = []
        for batch, result, err in _gather(c, futures):
            if err is not None:
                failed += batch
                continue
            yield from _take(job, result, progress)
        if failed:  # again zone by zone, to tell the failing zone from its batch-mates
            singles = {c.submit(run, shared, [z], retries=1, pure=False): [z] for z in failed}
            errors = []
            for (z,), result, err in _gather(c, singles):
                if err is not None:
                    errors.append(f"{z}: {type(err).__name__}: {err}")
                else:
                    yield from _take(job, result, progress)
            if errors:
                raise ForecastError(f"{len(errors)} zone(s) failed on the cluster at {address}: "
                                    + "; ".join(errors[:10]))
    finally:
        shared.release()


def _take(job: Any, result: Any, progress: Callable[[int], Any] | None) -> Iterator[tuple[str, Any]]:
    rows, sums = result
    if sums is not None:
        job.sums.merge(sums)
    yield from rows
    if progress is not None:
        progress(len(rows))
