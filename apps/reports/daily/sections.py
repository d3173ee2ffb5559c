"""The report's sections, in order. One more section is one more function here:
`register_section("key", collect, order=N)` with `collect(window) -> Section`, from any app
at or below reports (apps.py `ready`), so the report never needs to know its content."""

from collections.abc import Callable
from dataclasses import dataclass

from apps.reports.daily.window import Section, Window

Collect = Callable[[Window], Section]


@dataclass(frozen=True)
class SectionSpec:
    key: str
    collect: Collect
    order: int


_SECTIONS: dict[str, SectionSpec] = {}


def register_section(key: str, collect: Collect, *, order: int) -> None:
    _SECTIONS[key] = SectionSpec(key, collect, order)


def sections() -> list[SectionSpec]:
    return sorted(_SECTIONS.values(), key=lambda spec: (spec.order, spec.key))


def register() -> None:
    from apps.reports.daily import chain, changes, desk, findings, measures

    register_section("changes", changes.changes, order=5)
    register_section("anomalies", findings.anomalies, order=10)
    register_section("rules", findings.rules, order=20)
    register_section("actions", measures.actions, order=30)
    register_section("promotion", findings.promotion, order=40)
    register_section("sla", desk.sla, order=50)
    register_section("restrictions", measures.restrictions, order=60)
    register_section("emergency", measures.emergency, order=70)
    register_section("carried", desk.carried, order=80)
    register_section("audit", chain.audit_chain, order=90)
