"""Print the runtime and dev dependencies declared in pyproject.toml, one per line."""

import tomllib
from pathlib import Path

project = tomllib.loads(Path(__file__).resolve().parents[1].joinpath("pyproject.toml").read_text())[
    "project"
]
for dep in [*project["dependencies"], *project["optional-dependencies"]["dev"]]:
    print(dep)
