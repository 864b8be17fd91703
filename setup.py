# Metadata lives in pyproject.toml; this file adds what it cannot say: the `test` extra installs the
# sandbox from the sandbox/ folder next to this file (pip has no relative-path requirements).
from pathlib import Path

from setuptools import setup

SANDBOX = Path(__file__).resolve().parent / "sandbox"

setup(
	extras_require={
		# ruff pinned: its formatter output changes between releases and the tests run `ruff format --check`.
		"test": ["pytest>=7", "ruff==0.17.6", "stancer-sandbox @ " + SANDBOX.as_uri()],
	}
)
