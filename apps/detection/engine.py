"""Run the rules over a window and emit alerts exactly per shared/contracts/alerts.md."""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any

import pandas as pd

from .context import Context
from .feed import Feed, keys_checked, read_feed
from .linking import Linkage, link_window
from .memory import AccountMemory
from .rules import RULES
from .rules.base import Finding, Rule, fit_evidence, judged
from .rules.covered import withhold_covered

SOURCE = "riskdesk.detection/1"
ACCOUNT_LEVEL = "accounts"  # the partition that runs the rules not split by symbol


def _iso(moment: pd.Timestamp) -> str:
    return moment.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def dedup_key(rule: Rule, finding: Finding) -> str:
    """``<rule>:<subject>:<symbol>:<window date>``: the same finding in a re-run, a retry
    or an overlapping window gets the same key. Over 200 chars, the subject is hashed."""
    date = finding.window_start.strftime("%Y-%m-%d")
    symbol = finding.symbol or "-"
    key = f"{rule.code}:{finding.subject}:{symbol}:{date}"
    if len(key) > 200:
        digest = hashlib.sha256(finding.subject.encode()).hexdigest()[:32]
        key = f"{rule.code}:{digest}:{symbol}:{date}"
    return key


def to_alert(
    rule: Rule,
    finding: Finding,
    detected_at: str,
    source: str,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    urgency, explanation = judged(rule.code, finding, params or rule.default_params)
    evidence = dict(finding.evidence)
    if explanation:
        evidence["explain"] = explanation
    return {
        "dedup_key": dedup_key(rule, finding),
        "rule": rule.code,
        "category": rule.category,
        "severity": urgency.severity,
        "score": urgency.score,
        "accounts": list(finding.accounts),
        "symbol": finding.symbol,
        "window_start": _iso(finding.window_start),
        "window_end": _iso(finding.window_end),
        "detected_at": detected_at,
        "summary": finding.summary,
        "metrics": finding.metrics,
        "evidence": fit_evidence(evidence),
        "source": source,
    }


def detect(
    feed: Feed,
    params: dict[str, dict[str, Any]] | None = None,
    enabled: set[str] | None = None,
    source: str = SOURCE,
    *,
    symbols: Iterable[str] | None = None,
    linkage: Linkage | Future[Linkage] | None = None,
    detected_at: pd.Timestamp | None = None,
    memory: AccountMemory | None = None,
    only: set[str] | None = None,
    findings: dict[str, list[Finding]] | None = None,
    views: dict[str, Any] | None = None,
    beside: Executor | None = None,
) -> list[dict[str, Any]]:
    """Every enabled rule over ``feed``; alerts sorted by dedup_key. ``memory``: what the
    desk knew of the accounts before the window (empty when not given). ``only``: emit
    just these rules' alerts (the other enabled rules still withhold what they cover).

    ``findings``: rule code -> findings, read before running a rule and filled with every
    rule run (a caller hands in findings made elsewhere, e.g. on a wider feed, and gets
    all of them back). ``views``: the store of what the rules compute once per context
    (coded views, per-symbol references such as the typical order), handed in and
    filled: the live detector keeps a whole day's references for its narrower cycles.
    ``beside``: a one-thread executor that shares the rules with this thread once the work
    handed to it before is done (SharedRules); the findings are the same.

    With ``symbols``, only the per-symbol rules run, on those symbols' rows: one part of
    a window split across workers. ``detect_part(feed, ACCOUNT_LEVEL)`` runs the rest; the
    union of the parts equals the whole run (pass the whole window's ``linkage`` to
    every part so all parts agree on the clusters).
    """
    chosen = [r for code, r in RULES.items() if enabled is None or code in enabled]
    if only is not None:
        chosen = [rule for rule in chosen if rule.code in only]
    whole = feed
    if symbols is not None:
        wanted = set(symbols)
        feed = restrict(feed, wanted)
        chosen = [rule for rule in chosen if rule.per_symbol]
    ctx = Context.build(feed, linkage=linkage, memory=memory)
    if views is not None:
        ctx.__dict__["_views"] = views
    contexts = {True: ctx}
    moment = detected_at or pd.Timestamp.now(tz="UTC")
    stamp = _iso(moment)
    settings = {
        code: {**rule.default_params, **((params or {}).get(code) or {})}
        for code, rule in RULES.items()
        if enabled is None or code in enabled
    }
    found: dict[str, list[Finding]] = findings if findings is not None else {}
    # The rules that do not read the links first: they may still be in the making.
    order = sorted(chosen, key=lambda rule: rule.reads_links)
    shared = None
    if beside is not None and symbols is None:
        unread = [rule for rule in order if not rule.reads_links]
        read = [rule for rule in order if rule.reads_links]
        shared = SharedRules(
            [
                rule.code
                for rule in heavy_at_the_ends(unread) + heavy_at_the_ends(read)
                if rule.code not in found
            ],
            lambda code: RULES[code].run(ctx, settings[code]),
        )
        beside.submit(shared.work, front=False)
        shared.work(front=True)

    def findings_of(code: str) -> list[Finding]:
        # A covering rule not run in this call (another part's) is run here once; an
        # account-level one on the whole window, as its own part would run it.
        if code not in settings:
            return []
        if code not in found and shared is not None and code in shared.runs:
            found[code] = shared.runs[code].result()
        if code not in found:
            per_symbol = RULES[code].per_symbol or symbols is None
            if per_symbol not in contexts:
                contexts[per_symbol] = Context.build(whole, linkage=ctx.linking, memory=memory)
            found[code] = RULES[code].run(contexts[per_symbol], settings[code])
        return found[code]

    alerts = []
    for rule in order:
        kept, _ = withhold_covered(rule.code, rule.covered_by, findings_of(rule.code), findings_of)
        for finding in kept:
            if symbols is None or finding.symbol in wanted:
                alerts.append(to_alert(rule, finding, stamp, source, settings[rule.code]))
    return sorted(alerts, key=lambda alert: alert["dedup_key"])


def heavy_at_the_ends(rules: list[Rule]) -> list[Rule]:
    """``rules`` with the heavy ones at both ends, alternately, the others between in
    their order: SharedRules' threads take from the two ends, so each takes a heavy rule
    first and both finish on light ones (one thread waiting out another's heavy rule at
    the end of a run cost half a second on the bench window)."""
    heavy = [rule for rule in rules if rule.heavy]
    return heavy[::2] + [rule for rule in rules if not rule.heavy] + heavy[1::2][::-1]


class SharedRules:
    """The rules of one run, shared by two threads: the detecting thread takes them in
    their order from the front, the thread beside it (once it has linked the accounts and
    checked the ids) from the back, so the last rules run on the second core instead of
    one after another on the first. Each rule runs once, on whichever thread took it; its
    findings are in ``runs``, a Future that the alerts wait for. A rule only computes
    findings (withholding what another covers waits for both, on the detecting thread),
    so no rule ever waits for a rule the other thread holds."""

    def __init__(self, codes: list[str], run: Callable[[str], list[Finding]]) -> None:
        self._waiting = deque(codes)
        self._lock = Lock()
        self._run = run
        self.runs: dict[str, Future[list[Finding]]] = {}

    def work(self, front: bool) -> None:
        """Run the waiting rules from the front or the back until none is left."""
        while (code := self._take(front)) is not None:
            try:
                self.runs[code].set_result(self._run(code))
            except Exception as error:  # raised where the findings are read
                self.runs[code].set_exception(error)

    def _take(self, front: bool) -> str | None:
        with self._lock:
            if not self._waiting:
                return None
            code = self._waiting.popleft() if front else self._waiting.pop()
            self.runs[code] = Future()
            return code


# Given the window, what the desk remembers of its accounts (one read per run).
Recall = Callable[[Feed], AccountMemory]


@dataclass
class WindowRun:
    """A window's alerts, with what they were found from (kept for the memory update)."""

    alerts: list[dict[str, Any]]
    linkage: Linkage
    feed: Feed
    memory: AccountMemory


def run_window(
    folder: Path,
    params: dict[str, dict[str, Any]] | None = None,
    enabled: set[str] | None = None,
    source: str = SOURCE,
    *,
    recall: Recall | None = None,
) -> WindowRun:
    """Read the window in ``folder`` and run every enabled rule over it, in this process,
    judged against what ``recall`` returns for the window (nothing when None). The ids
    are checked on a second thread meanwhile; a breach raises FeedError."""
    feed = read_feed(folder, checking_keys=False)
    with ThreadPoolExecutor(max_workers=1) as beside:
        memory = recall(feed) if recall is not None else AccountMemory.empty()
        # Identifiers are as broad as the desk has ever seen them, not only in this window.
        # The accounts are linked on a second thread while the rules that do not read the
        # links run (Rule.reads_links): much of linking is numpy and Arrow work that
        # releases the GIL. The same thread checks the ids after linking, beside the rules
        # that wait for the links: on two cores a third busy thread only slowed the other
        # two, and after linking the second core had nothing to do.
        linking = beside.submit(
            link_window,
            feed,
            widths=memory.widths,
            remembered=memory.identifiers,
            kept=memory.clusters,
        )
        with keys_checked(feed, beside):
            alerts = detect(
                feed, params, enabled, source, linkage=linking, memory=memory, beside=beside
            )
        return WindowRun(alerts, linking.result(), feed, memory)


def detect_window(
    folder: Path,
    params: dict[str, dict[str, Any]] | None = None,
    enabled: set[str] | None = None,
    source: str = SOURCE,
) -> tuple[list[dict[str, Any]], Linkage]:
    """The alerts of ``run_window`` with no memory, and the linkage they were found with."""
    run = run_window(folder, params, enabled, source)
    return run.alerts, run.linkage


def detect_part(
    feed: Feed,
    part: str | list[str],
    linkage: Linkage,
    params: dict[str, dict[str, Any]] | None = None,
    enabled: set[str] | None = None,
    detected_at: pd.Timestamp | None = None,
    memory: AccountMemory | None = None,
) -> list[dict[str, Any]]:
    """One worker's share: a list of symbols, or ACCOUNT_LEVEL for the unsplit rules.
    Every part reads the memory: a part withholds what another part's rule covers
    (rules/covered.py), and runs that rule as it would run on the whole window."""
    if part == ACCOUNT_LEVEL:
        account_rules = {code for code, rule in RULES.items() if not rule.per_symbol}
        return detect(
            feed,
            params,
            enabled,
            linkage=linkage,
            detected_at=detected_at,
            memory=memory,
            only=account_rules,
        )
    return detect(
        feed,
        params,
        enabled,
        symbols=part,
        linkage=linkage,
        detected_at=detected_at,
        memory=memory,
    )


def split_symbols(counts: pd.Series, parts: int) -> list[list[str]]:
    """Symbols dealt into ``parts`` groups of similar row counts (largest first);
    ``counts`` is rows per symbol, e.g. ``feed.value_counts(folder, "orders", "symbol")``."""
    groups: list[list[str]] = [[] for _ in range(max(1, parts))]
    loads = [0] * len(groups)
    for symbol, count in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        lightest = loads.index(min(loads))
        groups[lightest].append(str(symbol))
        loads[lightest] += int(count)
    return [sorted(group) for group in groups if group]


def restrict(feed: Feed, symbols: set[str]) -> Feed:
    """The window cut down to some symbols (instruments, orders, trades, positions, marks)."""
    cut = Feed(folder=feed.folder, files=feed.files)
    for name in (
        "instruments",
        "accounts",
        "logins",
        "transfers",
        "orders",
        "trades",
        "positions",
        "mark_prices",
        "promotions",
    ):
        frame = feed.table(name)
        if frame is not None and "symbol" in frame.columns:
            # isin on the categorical compares its few categories, not millions of rows.
            frame = frame[frame["symbol"].isin(symbols)].reset_index(drop=True)
        setattr(cut, name, frame)
    return cut
