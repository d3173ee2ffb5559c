"""The layers run one way (docs/architecture.md): an app imports only apps on floors below
its own. Every module under apps/ is parsed; imports at module level, inside functions and
under TYPE_CHECKING all count, since each is a dependency a reader has to follow."""

import ast
from pathlib import Path

import pytest

APPS = Path(__file__).resolve().parent.parent / "apps"

# Ground floor first. An app may import the apps on the floors below its own, never one on
# its own floor or above. Keep in step with the list in docs/architecture.md.
FLOORS: list[tuple[str, ...]] = [
    ("desk",),  # history naming the actor, row lock, domain error, admin base, charts
    ("people",),  # who: users, roles, sign-in, the view and API guards, DeskRequest
    ("accounts", "notifications"),  # the exchange's accounts; telling people
    ("alerts",),  # the alert, its intake and queue; never restricts
    ("detection", "shifts"),  # finds (never acts); the rota, on duty, routing, handover
    ("cases",),  # investigations, escalation, timers
    ("actions",),  # measures, approval, execution, restrictions, customer service's lookup
    ("reports",),  # read models spanning apps: shift dashboard and reports, handover items
    ("console",),  # the roof: home pages, any record's history, API docs, the demo
]
FLOOR = {app: n for n, apps in enumerate(FLOORS) for app in apps}


# An app's pages are its own: no other app imports its views (views.py and any *_views.py),
# URLs, API or template tags (the console, the roof, gathers pages by URL name, not by import).
PAGES = {"views", "urls", "lookup_urls", "api", "api_urls", "templatetags"}


def is_pages(module: str) -> bool:
    return module in PAGES or module.endswith("_views")


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, dotted name) for every import of a module under `apps.` anywhere in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, node.module)]
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.startswith("apps.")]


def imported_apps(source: str) -> list[tuple[int, str]]:
    """(line, app) for every import of `apps.<app>` anywhere in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "apps":  # from apps import alerts
                names = [f"apps.{alias.name}" for alias in node.names]
            else:
                names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "apps" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


def forbidden_imports(app: str, source: str) -> list[str]:
    return [
        f"line {line}: {app} (floor {FLOOR[app]}) imports {other} (floor {FLOOR.get(other, '?')})"
        for line, other in imported_apps(source)
        if other != app and FLOOR.get(other, len(FLOORS)) >= FLOOR[app]
    ]


def _modules() -> list[Path]:
    return sorted(p for p in APPS.rglob("*.py") if "migrations" not in p.parts)


def test_every_app_has_a_floor() -> None:
    apps = {p.name for p in APPS.iterdir() if p.is_dir() and (p / "apps.py").exists()}
    assert apps == set(FLOOR), "place each app on a floor here and in docs/architecture.md"


@pytest.mark.parametrize("module", _modules(), ids=lambda p: str(p.relative_to(APPS)))
def test_no_app_imports_one_on_its_own_floor_or_above(module: Path) -> None:
    app = module.relative_to(APPS).parts[0]
    if app not in FLOOR:  # apps/__init__.py
        return
    assert forbidden_imports(app, module.read_text()) == []


@pytest.mark.parametrize("module", _modules(), ids=lambda p: str(p.relative_to(APPS)))
def test_no_app_imports_another_apps_pages(module: Path) -> None:
    app = module.relative_to(APPS).parts[0]
    foreign_pages = [
        f"line {line}: {name}"
        for line, name in imported_modules(module.read_text())
        if name.split(".")[1] != app and is_pages((name.split(".")[2:3] or [""])[0])
    ]
    assert foreign_pages == []


def test_the_check_sees_imports_inside_functions_and_every_spelling() -> None:
    source = (
        "import apps.cases.models\n"
        "from apps import reports\n"
        "from apps.desk.history import save_by\n"
        "from . import selectors\n"
        "def f():\n"
        "    from apps.actions.services import action_request\n"
    )
    assert [app for _, app in imported_apps(source)] == ["cases", "reports", "desk", "actions"]
    problems = forbidden_imports("alerts", source)
    assert len(problems) == 3 and all("imports desk" not in p for p in problems)
    assert forbidden_imports("console", source) == []


def test_the_floors_in_the_docs_are_these() -> None:
    docs = (APPS.parent / "docs" / "architecture.md").read_text()
    for n, apps in enumerate(FLOORS, start=1):
        assert f"{n}. " + ", ".join(f"`{app}`" for app in apps) in docs


def test_the_pages_check_sees_a_foreign_view_in_either_spelling() -> None:
    source = "from apps.alerts import views\ndef f():\n    import apps.cases.urls\n"
    names = [name for _, name in imported_modules(source)]
    assert "apps.alerts.views" in names and "apps.cases.urls" in names
    assert is_pages("escalation_views") and is_pages("api") and not is_pages("selectors")


# Cross-app reads go through the owning app's selectors, writes through its services: a module
# imports another app's `models` only under `if TYPE_CHECKING:` (for annotations). Foreign
# keys name their target as a string ("accounts.ExchangeAccount"); the words an app shares
# (statuses, severities, kinds) live in its `vocabulary.py`. No exceptions: the demo loader
# moves alerts, cases and measures back in time through each app's own demo services.


def _under_type_checking(tree: ast.AST) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in {
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        }:
            for child in node.body:
                inside.update(id(sub) for sub in ast.walk(child))
    return inside


def foreign_models_imports(app: str, source: str) -> list[tuple[int, str]]:
    """(line, app) for every import of another app's `models` outside `if TYPE_CHECKING:`,
    at any depth (inside functions too) and in either spelling."""
    tree = ast.parse(source)
    allowed = _under_type_checking(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in allowed:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        for name in names:
            parts = name.split(".")
            if parts[:1] == ["apps"] and parts[2:3] == ["models"] and parts[1] != app:
                found.append((node.lineno, parts[1]))
    return sorted(set(found))


def _models_imports() -> dict[tuple[str, str], list[int]]:
    found: dict[tuple[str, str], list[int]] = {}
    for module in _modules():
        app = module.relative_to(APPS).parts[0]
        for line, other in foreign_models_imports(app, module.read_text()):
            found.setdefault((str(module.relative_to(APPS)), other), []).append(line)
    return found


def test_no_module_imports_another_apps_models_outside_type_checking() -> None:
    found_at = sorted(
        f"{module} line {lines[0]}: imports {other}.models"
        for (module, other), lines in _models_imports().items()
    )
    assert found_at == [], "read through its selectors, write through its services"


def test_the_models_check_sees_every_spelling_and_spares_type_checking() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "import apps.cases.models\n"
        "from apps.alerts.models import Alert\n"
        "from apps.actions import models\n"
        "from apps.shifts.models.rota import Shift\n"
        "from apps.reports.models import Mine\n"
        "from apps.alerts.vocabulary import Status\n"
        "if TYPE_CHECKING:\n"
        "    from apps.people.models import User\n"
        "def f():\n"
        "    from apps.accounts.models import ExchangeAccount\n"
    )
    assert [other for _, other in foreign_models_imports("reports", source)] == [
        "cases",
        "alerts",
        "actions",
        "shifts",
        "accounts",
    ]


def private_imports(source: str) -> list[str]:
    """`module.name` for every `from apps.<...> import _name`: a helper two modules share is
    public, in one place (a package's own relative imports are its business)."""
    return [
        f"line {node.lineno}: {node.module}.{alias.name}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.level == 0
        if (node.module or "").startswith("apps.")
        for alias in node.names
        if alias.name.startswith("_")
    ]


def test_no_module_imports_another_modules_private_helpers() -> None:
    found = [
        f"{module.relative_to(APPS)} {where}"
        for module in _modules()
        for where in private_imports(module.read_text())
    ]
    assert found == [], "make the helper public where both can import it"


def test_the_private_check_sees_a_private_name_among_others() -> None:
    source = "from apps.alerts.views import (\n    page,\n    _user,\n)\nfrom .x import _y\n"
    assert private_imports(source) == ["line 1: apps.alerts.views._user"]
