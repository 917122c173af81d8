"""The README stays true: it starts with the two commands and documents every setting."""

from __future__ import annotations

from pathlib import Path

from orderflow.config import Settings

ROOT = Path(__file__).resolve().parents[1]


class TestReadme:
    def test_the_first_commands_are_make_demo_and_make_test(self) -> None:
        text = (ROOT / "README.md").read_text()
        first_block = text.split("```sh", 1)[1].split("```", 1)[0]
        commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
        assert commands[:2] == ["make demo", "make test"]

    def test_every_setting_is_in_the_configuration_table(self) -> None:
        text = (ROOT / "README.md").read_text()
        table = text.split("<!-- settings-table -->", 1)[1].split("<!-- /settings-table -->")[0]
        missing = [
            f"ORDERFLOW_{name.upper()}"
            for name in Settings.model_fields
            if f"`ORDERFLOW_{name.upper()}`" not in table
        ]
        assert missing == [], f"add these settings to README's configuration table: {missing}"

    def test_ci_runs_the_readme_test_command(self) -> None:
        script = (ROOT / ".ci" / "run").read_text()
        assert script.rstrip().splitlines()[-1] == "make test"
