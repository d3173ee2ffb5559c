"""The linked-account graph of a case, drawn on the server as inline SVG.

Accounts are nodes; AccountLink rows are edges labelled with what they are ("3 transfers",
"via U1234", "device D-9…") and drawn thicker the stronger the pair. The layout is a
Fruchterman-Reingold force layout started from a circle in account-id order, with no
randomness: the same case always draws the same picture. The drawing grows with the
accounts, so 50 stay readable."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from apps.accounts.selectors import links_touching
from apps.accounts.vocabulary import SHORT_KINDS, LinkKind, shorten

if TYPE_CHECKING:
    from apps.accounts.models import AccountLink

MAX_SUBJECTS = 60  # beyond this a drawing is no longer read; the table lists them all
MAX_OUTSIDERS = 8  # accounts outside the case linked to it, most-linked first
WIDE_FROM = 12  # more nodes than this: the wide drawing (the case page agrees)
SHARED_KINDS = {LinkKind.IP, LinkKind.DEVICE, LinkKind.ADDRESS}


@dataclass
class Graph:
    subjects: list[str]
    outsiders: list[str]
    # Per pair: the kinds (for the colour), the labels, the strength (for the width).
    edges: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    labels: dict[tuple[str, str], str] = field(default_factory=dict)
    strength: dict[tuple[str, str], float] = field(default_factory=dict)
    # An IP, device or wallet used by three or more drawn accounts is a node of its own
    # (id -> label): one spoke per account instead of a labelled edge per pair.
    identifiers: dict[str, str] = field(default_factory=dict)
    # Why each account of the case is in the picture: its strongest link to another.
    reasons: list[tuple[str, str, str]] = field(default_factory=list)
    width: int = 560
    height: int = 360
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    omitted: int = 0

    @property
    def nodes(self) -> list[str]:
        return self.subjects + self.outsiders + list(self.identifiers)


def case_graph(account_ids: list[str]) -> Graph:
    ordered = sorted(dict.fromkeys(account_ids))
    shown = ordered[:MAX_SUBJECTS]
    inside = set(shown)
    links = links_touching(shown)
    edges: dict[tuple[str, str], list[AccountLink]] = {}
    outside_degree: dict[str, int] = {}
    for link in links:
        a, b = link.account_a_id, link.account_b_id
        edges.setdefault((a, b), []).append(link)
        for end in (a, b):
            if end not in inside:
                outside_degree[end] = outside_degree.get(end, 0) + 1
    outsiders = sorted(outside_degree, key=lambda a: (-outside_degree[a], a))[:MAX_OUTSIDERS]
    keep = inside | set(outsiders)
    drawn = {pair: found for pair, found in edges.items() if pair[0] in keep and pair[1] in keep}
    shared = _shared_identifiers(drawn)
    graph = Graph(
        subjects=shown,
        outsiders=sorted(outsiders),
        identifiers={
            node: f"{SHORT_KINDS.get(kind, kind)} {shorten(value)}"
            for node, (kind, value, _) in shared.items()
        },
        reasons=_reasons(shown, edges),
        omitted=len(ordered) - len(shown),
    )
    for node, (kind, _, users) in shared.items():
        for account in sorted(users):
            graph.edges[(account, node)] = [kind]
    spoken = {(kind, value) for kind, value, _ in shared.values()}
    for pair, found in drawn.items():
        told = [link for link in found if _still_to_tell(link, spoken, keep)]
        if told:
            graph.edges[pair] = sorted({link.kind for link in told})
            graph.labels[pair] = " · ".join(link.label() for link in told)
            graph.strength[pair] = max(link.strength or 0.0 for link in found)
    if len(graph.nodes) > WIDE_FROM:
        # Drawn across the whole page at its own pixel size, so text stays 11 px and 50
        # accounts get room; the page puts it below the two columns.
        graph.width, graph.height = 1300, min(900, max(480, 22 * len(graph.nodes)))
    graph.positions = layout(graph.nodes, list(graph.edges), graph.width, graph.height)
    return graph


def _shared_identifiers(
    drawn: dict[tuple[str, str], list[AccountLink]],
) -> dict[str, tuple[str, str, set[str]]]:
    """node id -> (kind, value, accounts) for each identifier of 3+ drawn accounts."""
    users: dict[tuple[str, str], set[str]] = {}
    for pair, found in drawn.items():
        for link in found:
            if link.kind in SHARED_KINDS:
                for value in link.evidence.get("values", []):
                    users.setdefault((link.kind, str(value)), set()).update(pair)
    return {
        f"{kind}:{value}": (kind, value, accounts)
        for (kind, value), accounts in sorted(users.items())
        if len(accounts) >= 3
    }


def _still_to_tell(link: AccountLink, spoken: set[tuple[str, str]], drawn: set[str]) -> bool:
    """Does this link add something the picture does not already show? Not an identifier
    drawn as its own node, nor a counterparty whose every account is drawn."""
    values = [str(v) for v in link.evidence.get("values", [])]
    if link.kind in SHARED_KINDS:
        return not values or any((link.kind, v) not in spoken for v in values)
    if link.kind == LinkKind.COUNTERPARTY:
        return not values or any(v not in drawn for v in values)
    return True


def _reasons(
    accounts: list[str], edges: dict[tuple[str, str], list[AccountLink]]
) -> list[tuple[str, str, str]]:
    """(account, the other account, why) for each account, by its strongest link."""
    best: dict[str, tuple[float, str, AccountLink]] = {}
    for (a, b), found in edges.items():
        for link in found:
            for me, other in ((a, b), (b, a)):
                if me in accounts and (me not in best or (link.strength or 0) > best[me][0]):
                    best[me] = (link.strength or 0.0, other, link)
    return [(me, best[me][1], best[me][2].reason()) for me in accounts if me in best]


def layout(
    nodes: list[str], edges: list[tuple[str, str]], width: int, height: int, rounds: int = 200
) -> dict[str, tuple[float, float]]:
    n = len(nodes)
    margin = 48 if width < 1000 else 90  # the wide drawing's labels are longer
    if n == 0:
        return {}
    if n == 1:
        return {nodes[0]: (width / 2, height / 2)}
    pos = {
        node: [math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)]
        for i, node in enumerate(nodes)
    }
    k = math.sqrt(4.0 / n)  # ideal distance in a 2 x 2 box
    temperature = 0.2
    for _ in range(rounds):
        move = {node: [0.0, 0.0] for node in nodes}
        for i, a in enumerate(nodes):
            for b in nodes[i + 1 :]:
                dx, dy = pos[a][0] - pos[b][0], pos[a][1] - pos[b][1]
                d = math.hypot(dx, dy) or 1e-6
                push = k * k / d
                move[a][0] += dx / d * push
                move[a][1] += dy / d * push
                move[b][0] -= dx / d * push
                move[b][1] -= dy / d * push
        for a, b in edges:
            dx, dy = pos[a][0] - pos[b][0], pos[a][1] - pos[b][1]
            d = math.hypot(dx, dy) or 1e-6
            pull = d * d / k
            move[a][0] -= dx / d * pull
            move[a][1] -= dy / d * pull
            move[b][0] += dx / d * pull
            move[b][1] += dy / d * pull
        for node in nodes:
            dx, dy = move[node]
            d = math.hypot(dx, dy) or 1e-6
            step = min(d, temperature)
            pos[node][0] += dx / d * step
            pos[node][1] += dy / d * step
        temperature *= 0.98
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    span_x, span_y = (max(xs) - min(xs)) or 1, (max(ys) - min(ys)) or 1
    return {
        node: (
            margin + (p[0] - min(xs)) / span_x * (width - 2 * margin),
            margin * 0.7 + (p[1] - min(ys)) / span_y * (height - 1.6 * margin),
        )
        for node, p in pos.items()
    }


def render_svg(
    graph: Graph, *, link_for: dict[str, str] | None = None, marked: Collection[str] = ()
) -> SafeString:
    """The graph as inline SVG; colours come from desk.css classes (both themes), never
    from style attributes, which the CSP forbids. `marked`: accounts drawn as restricted
    (a ring and the word), as every list of accounts marks them."""
    link_for = link_for or {}
    out = [
        f'<svg class="case-graph" viewBox="0 0 {graph.width} {graph.height}" role="img" '
        f'aria-label="Linked accounts: {len(graph.subjects)} in the case, '
        f'{len(graph.outsiders)} linked outside it">'
    ]
    for (a, b), kinds in graph.edges.items():
        (x1, y1), (x2, y2) = graph.positions[a], graph.positions[b]
        # Stroke width is a presentation attribute, not a style: the CSP allows it.
        width = 1 + 3 * graph.strength.get((a, b), 0.0)
        title = (
            f"{a} used {graph.identifiers[b]}"
            if b in graph.identifiers
            else f"{a} and {b}: {graph.labels.get((a, b), '')}"
        )
        out.append(
            f'<line class="edge edge-{escape(kinds[0])}" x1="{x1:.1f}" y1="{y1:.1f}" '
            f'x2="{x2:.1f}" y2="{y2:.1f}" stroke-width="{width:.1f}">'
            f"<title>{escape(title)}</title></line>"
        )
    for (a, b), label in graph.labels.items():
        (x1, y1), (x2, y2) = graph.positions[a], graph.positions[b]
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        w = 6.2 * len(label) + 8
        out.append(
            f'<g class="edge-label"><rect x="{mx - w / 2:.1f}" y="{my - 8:.1f}" width="{w:.1f}" '
            f'height="15" rx="3"/><text x="{mx:.1f}" y="{my + 3.5:.1f}">{escape(label)}</text></g>'
        )
    for node, label in graph.identifiers.items():
        x, y = graph.positions[node]
        out.append(
            f'<g class="node-identifier"><rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" '
            f'height="10"/><text class="node-label" x="{x:.1f}" y="{y + 17:.1f}">'
            f"{escape(label)}</text></g>"
        )
    for node in graph.subjects + graph.outsiders:
        x, y = graph.positions[node]
        inside = node in graph.subjects
        radius = 9 if inside else 6
        restricted = node in marked
        circle = (
            (
                f'<circle class="node-restricted" cx="{x:.1f}" cy="{y:.1f}" r="{radius + 5}"/>'
                if restricted
                else ""
            )
            + f'<circle class="node {"node-subject" if inside else "node-outside"}" '
            f'cx="{x:.1f}" cy="{y:.1f}" r="{radius}"/>'
            f'<text class="node-label" x="{x:.1f}" y="{y + radius + 12:.1f}">{escape(node)}</text>'
            + (
                f'<text class="node-label node-label-restricted" x="{x:.1f}" '
                f'y="{y + radius + 24:.1f}">restricted</text>'
                if restricted
                else ""
            )
        )
        href = link_for.get(node)
        if href:
            said = f"{node} (restricted)" if restricted else node
            circle = f'<a href="{escape(href)}"><title>{escape(said)}</title>{circle}</a>'
        out.append(circle)
    out.append("</svg>")
    return mark_safe("".join(out))
