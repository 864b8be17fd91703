"""`python -m stancer_integration.sandbox --port N`: same as the `stancer-sandbox` command."""

from stancer_integration.sandbox.cli import main

if __name__ == "__main__":
	raise SystemExit(main())
