"""The exchange's population: who trades, from where, with which money."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .spec import INSTRUMENTS, MS_PER_DAY

KINDS = ("retail", "api", "mm", "whale")


@dataclass
class Account:
    idx: int
    account_id: str
    kind: str
    registered_at: int
    kyc: int
    vip: int
    api_allowed: bool
    mm: bool
    referrer: int | None
    activity: float  # relative taker activity on a day it is active
    p_active: float  # chance to be active on a given day
    qty_scale: float  # order size, in multiples of a contract's typical order
    symbols: list[int]
    channel: str
    ips: list[str]
    devices: list[str]
    addresses: list[str]
    leverage: int
    balance: float
    scripted: bool = False  # behaviour in the evaluated window is written by a plan

    @property
    def cap_factor(self) -> float:
        """Largest position the account normally holds, in typical orders."""
        return {"mm": 600.0, "whale": 700.0}.get(self.kind, 6.0 * self.qty_scale)


@dataclass
class Population:
    accounts: list[Account]
    hot_wallets: list[str]
    nat_ips: list[str]
    vpn_ips: list[str]
    families: list[list[int]]
    rng: np.random.Generator
    used_ids: set[str] = field(default_factory=set)
    used_ips: set[str] = field(default_factory=set)
    family_members: set[int] = field(default_factory=set)
    first_day: int = 0

    def new_id(self) -> str:
        while True:
            aid = f"U{int(self.rng.integers(10_000_000, 99_999_999))}"
            if aid not in self.used_ids:
                self.used_ids.add(aid)
                return aid

    def new_ip(self) -> str:
        while True:
            a = int(self.rng.choice([23, 31, 37, 46, 62, 78, 81, 94, 103, 112, 118, 151, 175, 188]))
            b, c, d = (int(x) for x in self.rng.integers(1, 255, size=3))
            ip = f"{a}.{b}.{c}.{d}"
            if ip not in self.used_ips:
                self.used_ips.add(ip)
                return ip

    def new_device(self, server: bool = False) -> str:
        prefix = "srv-" if server else "dev-"
        return prefix + "".join(self.rng.choice(list("0123456789abcdef"), 16))

    def new_address(self) -> str:
        if self.rng.random() < 0.6:
            return "0x" + "".join(self.rng.choice(list("0123456789abcdef"), 40))
        alphabet = list("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
        return "T" + "".join(self.rng.choice(alphabet, 33))

    def pick(self, kind: str | tuple[str, ...], n: int, min_balance: float = 0.0) -> list[int]:
        """Unscripted established accounts of a kind, marked scripted from now on."""
        kinds = (kind,) if isinstance(kind, str) else kind
        pool = [
            a.idx
            for a in self.accounts
            if a.kind in kinds
            and a.registered_at < self.first_day
            and not a.scripted
            and a.balance >= min_balance
            and a.referrer is None
            and a.idx not in self.family_members
        ]
        chosen = [int(i) for i in self.rng.choice(pool, size=n, replace=False)]
        for i in chosen:
            self.accounts[i].scripted = True
        return chosen

    def add_account(self, kind: str, registered_at: int, **kw: object) -> int:
        """A new account written by a plan (scripted; no background behaviour)."""
        acc = _make_account(self, len(self.accounts), kind, registered_at)
        for key, value in kw.items():
            setattr(acc, key, value)
        acc.scripted = True
        self.accounts.append(acc)
        return acc.idx


def _symbols_for(pop: Population, kind: str) -> list[int]:
    w = np.array([i.weight for i in INSTRUMENTS])
    if kind == "mm":
        return list(range(len(INSTRUMENTS)))
    n = {"retail": int(pop.rng.integers(1, 4)), "api": int(pop.rng.integers(2, 5))}.get(kind, 2)
    return sorted(int(s) for s in pop.rng.choice(len(w), size=n, replace=False, p=w / w.sum()))


def _make_account(pop: Population, idx: int, kind: str, registered_at: int) -> Account:
    rng = pop.rng
    server = kind in ("api", "mm")
    qty_scale = {
        "retail": float(np.clip(rng.lognormal(0.0, 0.9), 0.1, 25.0)),
        "api": float(np.clip(rng.lognormal(0.4, 0.6), 0.2, 10.0)),
        "mm": float(rng.uniform(1.5, 4.0)),
        "whale": float(rng.uniform(30.0, 120.0)),
    }[kind]
    activity = {
        "retail": float(rng.lognormal(0.8, 1.0)),
        "api": float(rng.lognormal(3.5, 0.5)),
        "mm": 0.0,
        "whale": float(rng.lognormal(1.5, 0.5)),
    }[kind]
    ips = [pop.new_ip()]
    if not server and rng.random() < 0.3:
        ips.append(str(rng.choice(pop.nat_ips)))
    if not server and rng.random() < 0.05:
        ips.append(str(rng.choice(pop.vpn_ips)))
    devices = [pop.new_device(server)]
    if not server and rng.random() < 0.4:
        devices.append(pop.new_device())
    addresses = [pop.new_address()]
    if rng.random() < 0.35:
        addresses.insert(0, str(rng.choice(pop.hot_wallets)))
    balance = {
        "retail": float(rng.lognormal(7.0, 1.3)),
        "api": float(rng.lognormal(10.0, 0.8)),
        "mm": float(rng.uniform(2e6, 8e6)),
        "whale": float(rng.uniform(1e6, 6e6)),
    }[kind]
    return Account(
        idx=idx,
        account_id=pop.new_id(),
        kind=kind,
        registered_at=registered_at,
        kyc=int(rng.choice([1, 2, 2, 3])) if kind == "retail" else 3,
        vip={"retail": int(rng.choice(4, p=[0.7, 0.2, 0.07, 0.03])), "api": 3, "mm": 9}.get(
            kind, 6
        ),
        api_allowed=kind in ("api", "mm"),
        mm=kind == "mm",
        referrer=None,
        activity=activity,
        p_active={"retail": 0.4, "api": 0.9, "mm": 1.0, "whale": 0.5}[kind],
        qty_scale=qty_scale,
        symbols=_symbols_for(pop, kind),
        channel="api" if server else str(rng.choice(["web", "app", "app"])),
        ips=ips,
        devices=devices,
        addresses=addresses,
        leverage=int(rng.choice([3, 5, 10, 20, 50])) if kind == "retail" else 5,
        balance=balance,
    )


def build_population(
    n_accounts: int, first_day: int, last: int, rng: np.random.Generator
) -> Population:
    """Everyone who exists before the first history day (plus a few recent sign-ups)."""
    pop = Population([], [], [], [], [], rng, first_day=first_day)
    pop.hot_wallets = [pop.new_address() for _ in range(6)]
    pop.nat_ips = [pop.new_ip() for _ in range(max(8, n_accounts // 250))]
    pop.vpn_ips = [pop.new_ip() for _ in range(10)]
    n_mm = max(6, n_accounts // 500)
    n_api = max(20, n_accounts * 3 // 100)
    n_whale = max(10, n_accounts * 6 // 1000)
    kinds = ["mm"] * n_mm + ["api"] * n_api + ["whale"] * n_whale
    kinds += ["retail"] * (n_accounts - len(kinds))
    for idx, kind in enumerate(kinds):
        u = rng.random()
        age_days = float(rng.uniform(20, 1500)) if u > 0.06 else float(rng.uniform(1, 19))
        reg = first_day - int(age_days * MS_PER_DAY) + int(rng.integers(0, MS_PER_DAY))
        if u < 0.01 and kind == "retail":  # organic sign-ups during the recorded days
            reg = int(rng.integers(first_day, last))
        pop.accounts.append(_make_account(pop, idx, kind, reg))
    retail = [a.idx for a in pop.accounts if a.kind == "retail"]
    rng.shuffle(retail)
    pos = 0
    while pos < len(retail) * 0.06:  # families and small offices behind one home IP
        size = int(rng.integers(2, 5))
        group = retail[pos : pos + size]
        pos += size
        home = pop.accounts[group[0]].ips[0]
        for i in group[1:]:
            pop.accounts[i].ips[0] = home
        pop.families.append(group)
        pop.family_members.update(group)
    referrers = rng.choice(retail, size=len(retail) // 12, replace=False)
    for r in referrers:  # ordinary referrals between established users
        pop.accounts[int(r)].referrer = int(rng.choice(retail))
        if pop.accounts[int(r)].referrer == int(r):
            pop.accounts[int(r)].referrer = None
    return pop
