"""Runs the app's Frappe test cases inside a real bench, when one is named.

Frappe cannot be installed from PyPI, so these run only where a Frappe 15 + ERPNext 15 +
payments bench exists with this app installed on a site. Set STANCER_BENCH (the bench folder)
and STANCER_SITE (the site); otherwise the test is skipped and says so.
"""

import os
import shutil
import subprocess

import pytest

BENCH = os.environ.get("STANCER_BENCH")
SITE = os.environ.get("STANCER_SITE")


@pytest.mark.skipif(
	not (BENCH and SITE),
	reason="Frappe bench tests skipped: set STANCER_BENCH=/path/to/bench and STANCER_SITE=<site> to run them",
)
@pytest.mark.parametrize(
	"module",
	# Frappe's runner finds the doctypes' tests by itself; the browser test lives beside them.
	[None, "stancer_integration.tests.test_browser"],
	ids=["app", "browser"],
)
def test_frappe_test_cases_pass_in_the_bench(module):
	bench = shutil.which("bench") or os.path.join(BENCH, "env", "bin", "bench")
	command = [bench, "--site", SITE, "run-tests", "--app", "stancer_integration"]
	result = subprocess.run(
		[*command, "--module", module] if module else command,
		cwd=BENCH,
		capture_output=True,
		text=True,
		timeout=3600,
	)
	output = result.stdout + result.stderr
	print(output[-20000:])
	assert result.returncode == 0, output[-5000:]
	assert "Ran " in output and " 0 tests" not in output
