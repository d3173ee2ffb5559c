"""The linked-account graph of a case, drawn on the server as inline SVG.

Accounts are nodes; AccountLink rows are edges labelled with their kinds. The layout is a
Fruchterman-Reingold force layout started from a circle in account-id order, with no
randomness: the same case always draws the same picture."""

import math
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from apps.accounts.models import AccountLink

SHORT: dict[str, str] = {
    AccountLink.Kind.IP: "IP",
    AccountLink.Kind.DEVICE: "device",
    AccountLink.Kind.ADDRESS: "address",
    AccountLink.Kind.TRANSFER: "transfer",
    AccountLink.Kind.TRADES_WITH: "trades-with",
}
MAX_SUBJECTS = 40  # beyond this a drawing is no longer read; the table lists them all
MAX_OUTSIDERS = 8  # accounts outside the case linked to it, most-linked first


@dataclass
class Graph:
    subjects: list[str]
    outsiders: list[str]
    edges: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    width: int = 560
    height: int = 360
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    omitted: int = 0

    @property
    def nodes(self) -> list[str]:
        return self.subjects + self.outsiders


def case_graph(account_ids: list[str]) -> Graph:
    ordered = sorted(dict.fromkeys(account_ids))
    shown = ordered[:MAX_SUBJECTS]
    inside = set(shown)
    links = AccountLink.objects.filter(Q(account_a__in=shown) | Q(account_b__in=shown)).values_list(
        "account_a_id", "account_b_id", "kind"
    )
    edges: dict[tuple[str, str], list[str]] = {}
    outside_degree: dict[str, int] = {}
    for a, b, kind in links:
        edges.setdefault((a, b), []).append(SHORT.get(kind, kind))
        for end in (a, b):
            if end not in inside:
                outside_degree[end] = outside_degree.get(end, 0) + 1
    outsiders = sorted(outside_degree, key=lambda a: (-outside_degree[a], a))[:MAX_OUTSIDERS]
    keep = inside | set(outsiders)
    graph = Graph(
        subjects=shown,
        outsiders=sorted(outsiders),
        edges={k: sorted(set(v)) for k, v in edges.items() if k[0] in keep and k[1] in keep},
        omitted=len(ordered) - len(shown),
    )
    graph.positions = layout(graph.nodes, list(graph.edges), graph.width, graph.height)
    return graph


def layout(
    nodes: list[str], edges: list[tuple[str, str]], width: int, height: int, rounds: int = 200
) -> dict[str, tuple[float, float]]:
    n = len(nodes)
    margin = 48
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


def render_svg(graph: Graph, *, link_for: dict[str, str] | None = None) -> SafeString:
    """The graph as inline SVG; colours come from desk.css classes (both themes), never
    from style attributes, which the CSP forbids."""
    link_for = link_for or {}
    out = [
        f'<svg class="case-graph" viewBox="0 0 {graph.width} {graph.height}" role="img" '
        f'aria-label="Linked accounts: {len(graph.subjects)} in the case, '
        f'{len(graph.outsiders)} linked outside it">'
    ]
    for (a, b), kinds in graph.edges.items():
        (x1, y1), (x2, y2) = graph.positions[a], graph.positions[b]
        out.append(
            f'<line class="edge edge-{escape(kinds[0])}" x1="{x1:.1f}" y1="{y1:.1f}" '
            f'x2="{x2:.1f}" y2="{y2:.1f}"/>'
        )
    for (a, b), kinds in graph.edges.items():
        (x1, y1), (x2, y2) = graph.positions[a], graph.positions[b]
        label = " · ".join(kinds)
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        w = 6.2 * len(label) + 8
        out.append(
            f'<g class="edge-label"><rect x="{mx - w / 2:.1f}" y="{my - 8:.1f}" width="{w:.1f}" '
            f'height="15" rx="3"/><text x="{mx:.1f}" y="{my + 3.5:.1f}">{escape(label)}</text></g>'
        )
    for node in graph.nodes:
        x, y = graph.positions[node]
        inside = node in graph.subjects
        radius = 9 if inside else 6
        circle = (
            f'<circle class="node {"node-subject" if inside else "node-outside"}" '
            f'cx="{x:.1f}" cy="{y:.1f}" r="{radius}"/>'
            f'<text class="node-label" x="{x:.1f}" y="{y + radius + 12:.1f}">{escape(node)}</text>'
        )
        href = link_for.get(node)
        if href:
            circle = f'<a href="{escape(href)}"><title>{escape(node)}</title>{circle}</a>'
        out.append(circle)
    out.append("</svg>")
    return mark_safe("".join(out))
