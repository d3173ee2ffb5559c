"""Households (hard negatives) and accounts under one actual controller (incidents)."""

from __future__ import annotations

import numpy as np

from .population import add_transfers, device, frame_ms, home_ip
from .world import MS_PER_DAY, World

EVIDENCE_KINDS = ("device", "address", "transfer", "two_ips")


def plant_households(world: World, count: int) -> list[np.ndarray]:
    """2-4 people behind one home router: one shared IP and nothing else."""
    households = []
    for _ in range(count):
        members = world.claim(int(world.rng.integers(2, 5)), "household", established=False)
        world.household_ip[members] = members[0]
        world.new_group(members)  # family members do not trade with each other
        world.label("common_control", members, None, "hard_negative")
        households.append(members)
    return households


def plant_cluster(world: World, size: int, role: str, *, new_accounts: bool = False) -> np.ndarray:
    """Accounts run by one controller: shared device, funding wallet, IPs or transfers.

    Which of these show up varies per cluster, so linking is tested on weak clusters too.
    """
    rng = world.rng
    members = world.claim(size, role, established=not new_accounts)
    key = world.new_group(members)
    kinds = rng.choice(EVIDENCE_KINDS, size=int(rng.integers(1, 4)), replace=False)
    lo = world.start_ms - 20 * MS_PER_DAY
    if new_accounts:
        lo = world.start_ms - 2 * MS_PER_DAY
        world.registered_ms[members] = lo - rng.integers(0, MS_PER_DAY, size=size)
    visits = np.repeat(members, 3)
    ts = rng.integers(lo, world.end_ms, size=len(visits))
    if "device" in kinds:
        shared = np.array([f"ctl-dev-{key:05d}"] * len(visits), dtype=object)
        logins = {
            "account_id": world.ids[visits],
            "ts_ms": ts,
            "ip": _own_ip(world, visits),
            "device_id": shared,
        }
        world.add("logins", frame_ms(logins))
    if "two_ips" in kinds:
        ips = np.array([f"172.16.{key % 250}.{1 + i % 2}" for i in range(len(visits))], object)
        logins = {
            "account_id": world.ids[visits],
            "ts_ms": ts,
            "ip": ips,
            "device_id": device(visits),
        }
        world.add("logins", frame_ms(logins))
    if "address" in kinds:
        address = np.array([f"ctl-wallet-{key:05d}"] * size, dtype=object)
        amount = np.round(rng.lognormal(8.0, 0.8, size=size), 2)
        add_transfers(
            world,
            account=members,
            ts=rng.integers(lo, world.end_ms, size=size),
            kind="deposit",
            amount=amount,
            address=address,
        )
    if "transfer" in kinds:
        # The controller funds every other account from the first one.
        head, rest = members[0], members[1:]
        ts_out = rng.integers(lo, world.end_ms, size=len(rest))
        amount = np.round(rng.lognormal(7.0, 0.8, size=len(rest)), 2)
        heads = np.full(len(rest), head)
        add_transfers(
            world, account=heads, ts=ts_out, kind="internal_out", amount=amount, counterparty=rest
        )
        add_transfers(
            world, account=rest, ts=ts_out, kind="internal_in", amount=amount, counterparty=heads
        )
    world.label("common_control", members, None, "incident")
    return members


def _own_ip(world: World, accounts: np.ndarray) -> np.ndarray:
    return home_ip(world.household_ip[accounts])
