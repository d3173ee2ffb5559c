from pathlib import Path

from apps.desk.spreadsheet import spreadsheet_cell

APPS = Path(__file__).resolve().parents[2] / "apps"


def test_a_real_number_keeps_its_sign_and_text_that_looks_like_one_does_not() -> None:
    assert spreadsheet_cell(-3) == -3
    assert spreadsheet_cell(-0.5) == -0.5
    assert spreadsheet_cell("-3") == "'-3"
    assert spreadsheet_cell(None) == ""
    assert spreadsheet_cell("BTCUSDT") == "BTCUSDT"


def test_every_csv_the_desk_writes_goes_through_the_formula_guard() -> None:
    writers = [
        path.relative_to(APPS).as_posix()
        for path in APPS.rglob("*.py")
        if "csv.writer(" in path.read_text() or "DictWriter(" in path.read_text()
    ]
    assert writers == ["desk/spreadsheet.py"]
