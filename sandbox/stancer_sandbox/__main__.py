"""`python -m stancer_sandbox --port N`: same as the `stancer-sandbox` command."""

from stancer_sandbox.cli import main

if __name__ == "__main__":
	raise SystemExit(main())
