"""The load generator: `python -m bench.load < spec.json > result.json`, a process of its own.

It shares the machine's cores with the server, so it is kept light (aiohttp on uvloop, one
connection per simulated user, kept alive) and reports its own CPU use. Two kinds of run:

- "mixed": simulated users with exponential think time in the fixed mix of the benchmark,
  through phases of rising load (shorter think time), stopping after the first phase whose p95
  is over the limit; or of falling load, stopping after the first phase within it.
- "closed": N workers sending back to back, alternating phases of the trivial endpoint and of
  counters calling and finishing, so both are measured in the same run and interleaved.

A request counts in the phase in which it started, if it started inside that phase's measuring
window (after the phase's settling time).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import resource
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp

REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=10)
OUTCOME = {"outcome": "resolved_first_contact"}
# The fixed mix: a citizen's share of the 75 % that citizens send (counters send the rest).
CITIZEN_MIX = [("ticket", 40), ("status", 20), ("issue", 15)]


def percentile(values: list[float], share: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default), as DESIGN.md defines."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Phase:
    name: str
    start: float
    settle: float
    end: float
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_examples: list[str] = field(default_factory=list)
    cpu_start: float = 0.0
    cpu_end: float = 0.0

    def measuring(self, started: float) -> bool:
        return self.start + self.settle <= started < self.end

    def summary(self) -> dict[str, Any]:
        window = self.end - self.start - self.settle
        every = [value for values in self.samples.values() for value in values]
        kinds = {
            kind: _stats(values, self.errors.get(kind, 0), window)
            for kind, values in sorted(self.samples.items())
        }
        for kind, count in self.errors.items():
            kinds.setdefault(kind, _stats([], count, window))
        return {
            "name": self.name,
            "seconds": round(window, 2),
            **_stats(every, sum(self.errors.values()), window),
            "kinds": kinds,
            "error_examples": self.error_examples[:5],
            "loadgen_cpu_share": round((self.cpu_end - self.cpu_start) / window, 3),
        }


def _stats(values: list[float], errors: int, window: float) -> dict[str, Any]:
    def ms(share: float) -> float | None:
        value = percentile(values, share)
        return None if value is None else round(value * 1000, 2)

    return {
        "requests": len(values) + errors,
        "errors": errors,
        "throughput": round((len(values) + errors) / window, 1),
        "p50_ms": ms(0.50),
        "p95_ms": ms(0.95),
        "p99_ms": ms(0.99),
        "mean_ms": round(1000 * sum(values) / len(values), 2) if values else None,
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Client:
    """Sends requests and files each one under the phase it started in."""

    def __init__(self, base: str, session: aiohttp.ClientSession) -> None:
        self.base = base
        self.session = session
        self.phase: Phase | None = None

    async def request(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        expect: int = 200,
    ) -> Any:
        """Send one request; returns the JSON answer, or None when it failed (counted)."""
        phase = self.phase
        headers = {"Authorization": f"Bearer {token}"} if token else None
        started = time.perf_counter()
        answer: Any = None
        problem = ""
        try:
            async with self.session.request(
                method, self.base + path, json=body, headers=headers
            ) as response:
                text = await response.read()
                if response.status == expect:
                    answer = json.loads(text)
                else:
                    problem = f"{kind}: {response.status} {text[:200]!r}"
        except (TimeoutError, aiohttp.ClientError, ValueError) as error:
            problem = f"{kind}: {type(error).__name__} {error}"
        elapsed = time.perf_counter() - started
        if phase is not None and phase.measuring(started):
            if problem:
                phase.errors[kind] += 1
                if len(phase.error_examples) < 5:
                    phase.error_examples.append(problem)
            else:
                phase.samples[kind].append(elapsed)
        return answer


class CounterUser:
    """A staff member at one counter: call the next citizen, finish, call the next …"""

    def __init__(self, client: Client, counter: dict[str, Any]) -> None:
        self.client = client
        self.counter = counter
        self.ticket_id: int | None = None

    async def act(self) -> None:
        if self.ticket_id is None:
            answer = await self.client.request(
                "call-next",
                "POST",
                f"/api/v1/counters/{self.counter['id']}/call-next",
                token=self.counter["token"],
            )
            if answer and answer.get("ticket"):
                self.ticket_id = answer["ticket"]["id"]
        else:
            await self.finish("finish")

    async def finish(self, kind: str) -> None:
        await self.client.request(
            kind,
            "POST",
            f"/api/v1/tickets/{self.ticket_id}/finish",
            token=self.counter["token"],
            body=OUTCOME,
        )
        self.ticket_id = None


class Citizen:
    """Draws numbers and looks at their own number and the centre's status."""

    def __init__(self, client: Client, seed: dict[str, Any], token: str, rng: random.Random):
        self.client = client
        self.seed = seed
        self.token = token
        self.rng = rng

    async def act(self) -> None:
        kinds, weights = zip(*CITIZEN_MIX, strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        if kind == "ticket":
            await self.client.request("ticket", "GET", f"/api/v1/tickets/{self.token}")
        elif kind == "status":
            path = f"/api/v1/locations/{self.seed['location']}/status"
            await self.client.request("status", "GET", path)
        else:
            body = {"location": self.seed["location"], "service": self.seed["service"]}
            answer = await self.client.request(
                "issue", "POST", "/api/v1/tickets", body=body, expect=201
            )
            if answer:
                self.token = answer["token"]


async def _user_loop(
    user: CounterUser | Citizen, think: list[float], stop: asyncio.Event, rng: random.Random
) -> None:
    await asyncio.sleep(rng.uniform(0, think[0]))
    while not stop.is_set():
        await user.act()
        await asyncio.sleep(rng.expovariate(1 / think[0]))


async def run_mixed(spec: dict[str, Any], session: aiohttp.ClientSession) -> list[dict]:
    seed, rng = spec["seed"], random.Random(spec.get("random_seed", 1))
    client = Client(spec["base_url"], session)
    counters = [CounterUser(client, counter) for counter in seed["counters"]]
    tokens = itertools.cycle(seed["citizen_tokens"])
    citizens = [
        Citizen(client, seed, next(tokens), random.Random(rng.random()))
        for _ in range(spec["users"] - len(counters))
    ]
    think = [spec["phases"][0]["think_seconds"]]  # shared and changed between phases
    stop = asyncio.Event()
    users: list[CounterUser | Citizen] = [*counters, *citizens]
    tasks = [
        asyncio.create_task(_user_loop(user, think, stop, random.Random(rng.random())))
        for user in users
    ]
    results = []
    for number, step in enumerate(spec["phases"]):
        think[0] = step["think_seconds"]
        settle = spec["warmup_seconds"] if number == 0 else spec["settle_seconds"]
        phase = await _measure(client, f"think {step['think_seconds']} s", settle, spec)
        summary = phase.summary()
        summary["think_seconds"] = step["think_seconds"]
        results.append(summary)
        over = summary["p95_ms"] is None or summary["p95_ms"] > spec["p95_limit_ms"]
        # Rising load stops at the first phase over the limit, falling load at the first within.
        if over == (spec.get("stop_when", "over") == "over"):
            break
    stop.set()
    await asyncio.gather(*tasks)
    for user in counters:  # leave no citizen at a counter for the next run
        if user.ticket_id is not None:
            await user.finish("drain")
    return results


async def _measure(client: Client, name: str, settle: float, spec: dict[str, Any]) -> Phase:
    start = time.perf_counter()
    phase = Phase(name, start, settle, start + settle + spec["measure_seconds"])
    client.phase = phase
    await asyncio.sleep(settle)
    phase.cpu_start = _cpu_seconds()
    await asyncio.sleep(spec["measure_seconds"])
    phase.cpu_end = _cpu_seconds()
    return phase


async def run_closed(spec: dict[str, Any], session: aiohttp.ClientSession) -> list[dict]:
    """Alternate phases of `trivial` and `counter` workloads at the same concurrency."""
    client = Client(spec["base_url"], session)
    counters = [CounterUser(client, counter) for counter in spec["seed"]["deep_counters"]]
    results = []
    for workload in spec["order"]:
        stop = asyncio.Event()

        async def trivial(stop: asyncio.Event = stop) -> None:
            while not stop.is_set():
                await client.request("trivial", "GET", spec["trivial_path"])

        async def counter(user: CounterUser, stop: asyncio.Event = stop) -> None:
            while not stop.is_set():
                await user.act()
            if user.ticket_id is not None:
                await user.finish("drain")

        if workload == "trivial":
            tasks = [asyncio.create_task(trivial()) for _ in range(spec["concurrency"])]
        else:
            tasks = [asyncio.create_task(counter(user)) for user in counters]
        phase = await _measure(client, workload, spec["settle_seconds"], spec)
        stop.set()
        await asyncio.gather(*tasks)
        summary = phase.summary()
        summary["workload"] = workload
        results.append(summary)
    return results


async def main(spec: dict[str, Any]) -> list[dict]:
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector, timeout=REQUEST_TIMEOUT) as session:
        if spec["kind"] == "mixed":
            return await run_mixed(spec, session)
        return await run_closed(spec, session)


if __name__ == "__main__":
    try:
        import uvloop

        run: Any = uvloop.run
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        run = asyncio.run
    json.dump(run(main(json.load(sys.stdin))), sys.stdout)
