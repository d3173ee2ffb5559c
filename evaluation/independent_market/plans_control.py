"""Planted control and limit abuse: common control, combined positions, opens, theft."""

from __future__ import annotations

from .book import DayBook
from .kit import Kit, history_deposits, history_logins, qty, round_trips, usual_login
from .spec import INSTRUMENTS, MS_PER_DAY, MS_PER_MIN

NON_MM = ("retail", "api", "whale")


def common_control(kit: Kit, strength: str, v: int) -> None:
    variant = v % 5
    size = {
        0: int(kit.rng.integers(6, 11)),
        1: int(kit.rng.integers(4, 7)),
        2: int(kit.rng.integers(3, 6)),
        3: int(kit.rng.integers(5, 8)),
        4: 3,
    }[variant]
    g = kit.pop.pick(NON_MM, size, min_balance=300)
    s = kit.sym(tag="cc")
    hist = None
    addr = ""
    if variant == 0:
        kit.share_device(g)
        kit.share_ip(g)
        addr = kit.share_address(g)
        hist = history_deposits(g, addr)
        how = f"{size} accounts log in from one device and IP and deposit from one address"
    elif variant == 1:
        addr = kit.share_address(g)
        hist = history_deposits(g, addr)
        how = f"{size} accounts, distinct IPs and devices, funded from and paid out to one address"
    elif variant == 2:
        how = f"{size} accounts with nothing shared trade in lockstep (same side, within 1.5 s)"
    elif variant == 3:
        kit.share_device(g[:2])
        how = f"a master account funds {size - 1} others by internal transfer; they trade alike"
    else:
        dev = kit.pop.new_device()
        hist = history_logins(g, device=dev)
        how = f"{size} accounts used one device on the history days (not in the window)"

    def run(book: DayBook) -> None:
        rng = book.rng
        if variant in (0, 1):
            for i in g:
                book.transfer(i, book.at(0.0, 0.1), "deposit", rng.uniform(800, 3000), addr)
            if variant == 1:
                for i in g:
                    book.transfer(
                        i, book.at(0.85, 0.99), "withdrawal", rng.uniform(500, 2500), addr
                    )
        if variant == 3:
            for i in g[1:]:
                book.internal(book.at(0.0, 0.08), g[0], i, float(rng.uniform(1000, 5000)))
        if variant == 2:
            for _ in range(int(rng.integers(15, 31))):
                t, side = book.at(0.1, 0.9), int(rng.integers(0, 2))
                t2 = min(book.end - 5_000, t + int(rng.integers(2, 30)) * MS_PER_MIN)
                for i in g:
                    d = int(rng.integers(0, 1500))
                    book.take(t + d, s, i, side, qty(s, 2.0), exclude=set(g))
                    book.take(t2 + d, s, i, 1 - side, qty(s, 2.0), exclude=set(g))
        else:
            for i in g:
                round_trips(book, i, s, int(rng.integers(3, 12)), 1.5, exclude=set(g))

    kit.add("common_control", g, None, strength, how, run, history_run=hist)


def combined_position(kit: Kit, strength: str, v: int) -> None:
    variant = v % 4
    size, share = {0: (3, 0.62), 1: (2, 0.57), 2: (4, 0.28), 3: (2, 0.53)}[variant]
    g = kit.pop.pick(("whale", "api", "retail"), size, min_balance=5000)
    s = kit.sym(tag="cpl")
    hist = None
    if variant == 0:
        kit.share_device(g)
        kit.share_ip(g)
        link = "share a device and IP"
    elif variant == 1:
        addr = kit.share_address(g)
        hist = history_deposits(g, addr)
        link = "are funded from one address"
    elif variant == 2:
        link = "were funded by internal transfers from the first and build in lockstep"
    else:
        dev = kit.pop.new_device()
        hist = history_logins(g, device=dev)
        link = "used one device on history days only"
    inst = INSTRUMENTS[s]
    each = int(inst.position_limit * share * kit.rng.uniform(0.97, 1.03))
    side = int(kit.rng.integers(0, 2))

    def run(book: DayBook) -> None:
        rng = book.rng
        if variant == 2:
            for i in g[1:]:
                book.internal(book.at(0.0, 0.03), g[0], i, float(rng.uniform(2e4, 8e4)))
        t0 = book.at(0.05, 0.3)
        for i in g:
            for k, q in enumerate(_chunks(each, 6)):
                lag = 0 if variant != 2 else int(rng.integers(0, 900))
                t = t0 + k * int(rng.integers(3, 9)) * MS_PER_MIN + lag
                book.take(t, s, i, side, q, exclude=set(g))

    how = (
        f"{size} accounts that {link} each hold ~{share:.0%} of the {inst.symbol} position "
        f"limit on the same side, together {share * size:.0%}"
    )
    kit.add("combined_position_limit", g, s, strength, how, run, history_run=hist)


def _chunks(total: int, k: int) -> list[int]:
    base = total // k
    return [base] * (k - 1) + [total - base * (k - 1)]


def daily_open(kit: Kit, strength: str, v: int) -> None:
    a = kit.pop.pick(("whale", "api", "retail"), 1, min_balance=5000)[0]
    s = kit.sym(tag="dol")
    inst = INSTRUMENTS[s]
    mult = {
        "blatant": kit.rng.uniform(1.8, 2.5),
        "moderate": kit.rng.uniform(1.2, 1.4),
        "subtle": kit.rng.uniform(1.02, 1.08),
    }[strength]
    target = int(inst.daily_open_limit * mult)
    churn = v % 2 == 0 or strength == "subtle"
    chunk = int(inst.position_limit * (0.08 if churn else 0.3))

    def run(book: DayBook) -> None:
        opened, pos, t = 0, 0, book.at(0.02, 0.1)
        step = max(30_000, int((book.end - t) * 0.85 / max(1, 2 * target / chunk)))
        while opened < target:
            q = min(chunk, target - opened)
            side = int(book.rng.integers(0, 2)) if pos == 0 else (0 if pos > 0 else 1)
            book.take(t, s, a, side, q)
            opened += q
            pos += q if side == 0 else -q
            t += step
            if abs(pos) >= (chunk if churn else 0.6 * inst.position_limit):
                book.take(t, s, a, 1 if pos > 0 else 0, abs(pos), reduce_only=True)
                pos, t = 0, t + step

    how = f"opens {mult:.2f}x the {inst.symbol} daily opening limit " + (
        "by churning: many open-then-close cycles" if churn else "in a few large blocks"
    )
    kit.add("daily_open_limit", [a], s, strength, how, run)


def account_theft(kit: Kit, strength: str, v: int) -> None:
    variant = v % 4
    victim = kit.pop.pick(("retail", "api"), 1, min_balance=3000)[0]
    acc = kit.pop.accounts[victim]
    mule = None
    if variant in (1, 2):
        mule = kit.new_account(kit.start - int(kit.rng.uniform(0.3, 2.0) * MS_PER_DAY))
    s = kit.sym((5, 6, 4), tag="theft")
    thief_ip = (
        str(kit.rng.choice(kit.pop.nat_ips))
        if variant == 2
        else acc.ips[0]
        if variant == 3
        else kit.pop.new_ip()
    )
    thief_dev = kit.pop.new_device()
    thief_addr = kit.pop.new_address()
    bal = acc.balance

    def run(book: DayBook) -> None:
        rng = book.rng
        book.manual_login.add(victim)
        if rng.random() < 0.7:
            usual_login(book, victim, book.at(0.0, 0.15))
        t = book.at(0.2, 0.8)
        book.login(victim, t, thief_ip, thief_dev)
        if variant == 0:
            book.transfer(
                victim,
                t + int(rng.integers(3, 20)) * MS_PER_MIN,
                "withdrawal",
                bal * 0.92,
                thief_addr,
            )
        elif variant == 1 and mule is not None:
            book.login(mule, t - 3 * MS_PER_MIN, kit.pop.vpn_ips[0], thief_dev)
            t2 = t + int(rng.integers(2, 10)) * MS_PER_MIN
            book.internal(t2, victim, mule, bal * 0.85)
            book.transfer(
                mule,
                t2 + int(rng.integers(10, 60)) * MS_PER_MIN,
                "withdrawal",
                bal * 0.84,
                thief_addr,
            )
        elif variant == 2 and mule is not None:
            book.login(
                mule, t - 5 * MS_PER_MIN, str(rng.choice(kit.pop.vpn_ips)), kit.pop.new_device()
            )
            q = max(1, int(bal * 0.4 / (INSTRUMENTS[s].contract_size * book.prices.mid_at(s, t))))
            for k in range(int(rng.integers(10, 20))):
                tk = t + (k + 1) * int(rng.integers(30, 90)) * 1000
                hi, lo = book.away(s, tk, 1, 0.05), book.away(s, tk, 0, 0.05)
                book.cross(tk, s, hi, q, victim, mule, 0, maker_delay=2_000)
                book.cross(tk + 15_000, s, lo, q, victim, mule, 1, maker_delay=2_000)
        else:
            for k in range(3):
                book.transfer(
                    victim,
                    t + (k * 40 + int(rng.integers(5, 30))) * MS_PER_MIN,
                    "withdrawal",
                    bal * 0.25,
                    thief_addr,
                )

    how = {
        0: "login from a never-seen IP and device, then ~92% withdrawn to a never-seen address",
        1: "never-seen IP/device login, internal transfer to a fresh mule that withdraws",
        2: "never-seen device (carrier NAT IP); drained by buying high / selling low against "
        "a fresh mule account, no outflow from the victim",
        3: "never-seen device from the usual IP; three withdrawals of 25% to a new address",
    }
    accounts = [victim] + ([mule] if mule is not None else [])
    kit.add("account_theft", accounts, s if variant == 2 else None, strength, how[variant], run)
