"""What the bench benchmarks share: their command line (`--site` and counts) and a connection
to the site as Administrator, closed at the end. Run from the bench's `sites` folder."""

import argparse

import frappe


def run_on_site(doc, run, **counts):
	"""Parse `--site` and `--<count> N` (defaults from `counts`), connect, `run(**counts)`."""
	parser = argparse.ArgumentParser(description=doc.splitlines()[0])
	parser.add_argument("--site", required=True)
	for name, default in counts.items():
		parser.add_argument(f"--{name}", type=int, default=default)
	args = vars(parser.parse_args())
	frappe.init(site=args.pop("site"), sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		run(**args)
	finally:
		frappe.destroy()
