"""Static checks of the Frappe side of the app, without frappe.

Generic on purpose: every doctype, hook, form script, page and translation added later is checked
by the same rules, so they grow with the app.
"""

import ast
import csv
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "stancer_integration"
SANDBOX = ROOT / "sandbox"  # the sandbox's own distribution: package stancer_sandbox
MODULE_NAME = "Stancer Integration"
# Packages that must never import frappe: the app's core, and the sandbox. {id: (sys.path entry, package)}
FRAMEWORK_FREE = {"stancer": (ROOT, PKG / "stancer"), "sandbox": (SANDBOX, SANDBOX / "stancer_sandbox")}
DOTTED = re.compile(r"^stancer_integration(\.[A-Za-z_]\w*)+$")
OTHER_APPS = re.compile(r"^(frappe|erpnext|payments|webshop)\.")
OTHER_APP_PATH = re.compile(r"^(frappe|erpnext|payments|webshop)(\.[A-Za-z_]\w*)+$")
LAYOUT_FIELDTYPES = {"Section Break", "Column Break", "Tab Break", "HTML", "Button", "Heading", "Fold"}

# Attributes every Document has (or that frappe sets on it) and that are not fields of its JSON.
# Names used as `self.x(...)` are method calls and are skipped without being listed here.
DOCUMENT_ATTRIBUTES = {
	"name",
	"doctype",
	"flags",
	"owner",
	"modified",
	"modified_by",
	"creation",
	"docstatus",
	"idx",
	"parent",
	"parenttype",
	"parentfield",
	"meta",
	"amended_from",
	"get",
	"set",
	"append",
	"db_set",
	"save",
	"insert",
	"reload",
	"is_new",
	"get_password",
	"get_doc_before_save",
	"has_value_changed",
	"as_dict",
}
# `frm.doc.x` names that are not fields.
FORM_DOC_ATTRIBUTES = {"name", "doctype", "docstatus", "owner", "creation", "modified", "idx"}


def scrub(name):
	return name.replace(" ", "_").replace("-", "_").lower()


def package_files(*suffixes):
	return sorted(
		path
		for path in PKG.rglob("*")
		if path.is_file() and path.suffix in suffixes and "__pycache__" not in path.parts
	)


def rel(path):
	return str(path.relative_to(ROOT))


# -- doctypes ------------------------------------------------------------------------------------


def doctype_jsons():
	return sorted(PKG.glob("*/doctype/*/*.json"))


def load(path):
	return json.loads(path.read_text(encoding="utf-8"))


def app_doctypes():
	"""{doctype name: json dict} of every doctype in the app."""
	found = {}
	for path in doctype_jsons():
		try:
			meta = load(path)
		except ValueError:
			continue
		if isinstance(meta, dict) and meta.get("name"):
			found[meta["name"]] = meta
	return found


def fieldnames(meta):
	return [field.get("fieldname") for field in meta.get("fields", [])]


DOCTYPE_JSONS = doctype_jsons()
DOCTYPE_IDS = [path.parent.name for path in DOCTYPE_JSONS]


def test_app_has_doctypes():
	assert DOCTYPE_JSONS, "no */doctype/*/*.json found: is the test looking in the right place?"


@pytest.mark.parametrize("path", DOCTYPE_JSONS, ids=DOCTYPE_IDS)
class TestDoctypeJson:
	def test_valid_json_named_after_its_folder(self, path):
		meta = load(path)
		assert meta.get("doctype") == "DocType", f"{rel(path)} is not a DocType export"
		assert path.stem == path.parent.name, f"{rel(path)}: the file is not named after its folder"
		assert scrub(meta.get("name", "")) == path.parent.name, (
			f"{rel(path)}: name {meta.get('name')!r} does not match the folder {path.parent.name!r}"
		)
		assert meta.get("module") == MODULE_NAME, f"{rel(path)}: module is {meta.get('module')!r}"
		assert scrub(meta["module"]) == path.parents[2].name, f"{rel(path)} is not in its module's folder"

	def test_fields(self, path):
		meta = load(path)
		names = fieldnames(meta)
		assert all(names), f"{rel(path)}: a field has no fieldname"
		duplicates = sorted({name for name in names if names.count(name) > 1})
		assert not duplicates, f"{rel(path)}: duplicate fieldnames {duplicates}"
		for field in meta.get("fields", []):
			assert re.fullmatch(r"[a-z][a-z0-9_]*", field["fieldname"]), (
				f"{rel(path)}: {field['fieldname']!r}"
			)
			if field.get("fieldtype") in ("Link", "Table", "Table MultiSelect", "Dynamic Link"):
				assert field.get("options"), (
					f"{rel(path)}: {field['fieldname']} ({field['fieldtype']}) has no options"
				)
			if field.get("fieldtype") == "Dynamic Link":
				assert field["options"] in names, f"{rel(path)}: {field['fieldname']} points at no field"
		if "field_order" in meta:
			assert sorted(meta["field_order"]) == sorted(names), f"{rel(path)}: field_order and fields differ"

	def test_child_tables_point_at_child_doctypes(self, path):
		doctypes = app_doctypes()
		for field in load(path).get("fields", []):
			target = doctypes.get(field.get("options"))
			if field.get("fieldtype") in ("Table", "Table MultiSelect") and target is not None:
				assert target.get("istable"), (
					f"{rel(path)}: {field['fieldname']} → {target['name']} is not a child table"
				)

	def test_autoname_field_exists(self, path):
		meta = load(path)
		autoname = meta.get("autoname") or ""
		if autoname.startswith("field:"):
			assert autoname.split(":", 1)[1] in fieldnames(meta), f"{rel(path)}: autoname {autoname!r}"

	def test_folder_files(self, path):
		meta = load(path)
		folder, name = path.parent, path.parent.name
		required = ["__init__.py", f"{name}.py"]
		if not meta.get("istable"):
			required += [f"{name}.js", f"test_{name}.py"]
		missing = [file for file in required if not (folder / file).is_file()]
		assert not missing, f"{rel(folder)} lacks {missing}"


# -- fields used by controllers and form scripts --------------------------------------------------


def class_members(tree):
	"""Names defined in any class body of a module (methods, class attributes)."""
	names = set()
	for node in ast.walk(tree):
		if isinstance(node, ast.ClassDef):
			for item in node.body:
				if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
					names.add(item.name)
				elif isinstance(item, ast.Assign):
					names.update(target.id for target in item.targets if isinstance(target, ast.Name))
	return names


def type_annotations(tree):
	"""Fields declared in the auto-generated `if TYPE_CHECKING:` block of the controller class."""
	names = set()
	for node in ast.walk(tree):
		if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
			for item in node.body:
				if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
					names.add(item.target.id)
	return names


def other_doctype_docs(function, doctype):
	"""True when `doc` in this function is assigned from another doctype (frappe.get_doc("X", …))."""
	for node in ast.walk(function):
		if (
			isinstance(node, ast.Assign)
			and any(isinstance(t, ast.Name) and t.id == "doc" for t in node.targets)
			and isinstance(node.value, ast.Call)
			and node.value.args
			and isinstance(node.value.args[0], ast.Constant)
			and node.value.args[0].value != doctype
		):
			return True
	return False


def controller_attributes(tree, doctype):
	"""(line, name) of every `self.x` / `doc.x` that reads or writes a would-be field."""
	called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
	skip_doc = set()
	for function in ast.walk(tree):
		if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) and other_doctype_docs(
			function, doctype
		):
			skip_doc.update(id(node) for node in ast.walk(function))
	found = []
	for node in ast.walk(tree):
		if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
			continue
		owner = node.value.id
		if owner not in ("self", "doc") or (owner == "doc" and id(node) in skip_doc):
			continue
		if id(node) in called or node.attr.startswith("_"):
			continue
		found.append((node.lineno, node.attr))
	return found


@pytest.mark.parametrize("path", DOCTYPE_JSONS, ids=DOCTYPE_IDS)
def test_controller_uses_only_its_fields(path):
	meta = load(path)
	controller = path.with_suffix(".py")
	if not controller.is_file():
		pytest.skip(f"{rel(controller)} missing (reported by test_folder_files)")
	tree = ast.parse(controller.read_text(encoding="utf-8"))
	fields = set(fieldnames(meta))
	allowed = fields | class_members(tree) | DOCUMENT_ATTRIBUTES
	unknown = sorted(
		{
			f"{name} (line {line})"
			for line, name in controller_attributes(tree, meta["name"])
			if name not in allowed
		}
	)
	assert not unknown, f"{rel(controller)} uses fields that {path.name} does not have: {unknown}"


@pytest.mark.parametrize("path", DOCTYPE_JSONS, ids=DOCTYPE_IDS)
def test_controller_type_annotations_match_fields(path):
	"""A stale auto-generated type is a field that was renamed or dropped in the JSON."""
	meta = load(path)
	controller = path.with_suffix(".py")
	if not controller.is_file():
		pytest.skip(f"{rel(controller)} missing (reported by test_folder_files)")
	declared = type_annotations(ast.parse(controller.read_text(encoding="utf-8")))
	stale = sorted(declared - set(fieldnames(meta)) - {"parent", "parentfield", "parenttype", "amended_from"})
	assert not stale, f"{rel(controller)} declares types for fields {path.name} does not have: {stale}"


JS_STRING = r"""["'](\w+)["']"""
JS_FIELD_PATTERNS = [
	re.compile(r"\bfrm\.doc\.(\w+)"),
	re.compile(r"\bfrm\.set_value\(\s*" + JS_STRING),
	re.compile(r"\bfrm\.toggle_(?:display|reqd|enable)\(\s*" + JS_STRING),
	re.compile(r"\bfrm\.set_df_property\(\s*" + JS_STRING),
	re.compile(r"\bfrm\.fields_dict\.(\w+)"),
	re.compile(r"\bfrm\.fields_dict\[\s*" + JS_STRING),
	# set_query("field", fn); set_query("field", "child_table", fn) names a child field: skipped.
	re.compile(r"\bfrm\.set_query\(\s*" + JS_STRING + r"\s*,\s*(?![\s\"'])"),
]
# frm.toggle_display(["a", "b"], …) and frm.set_df_property(["a"], …) take lists too.
JS_FIELD_LISTS = re.compile(r"\bfrm\.(?:toggle_(?:display|reqd|enable)|set_df_property)\(\s*\[([^\]]*)\]")


def form_script_fields(source):
	names = set()
	for pattern in JS_FIELD_PATTERNS:
		names.update(match.group(1) for match in pattern.finditer(source))
	for match in JS_FIELD_LISTS.finditer(source):
		names.update(re.findall(JS_STRING, match.group(1)))
	return names


def test_form_script_field_extraction():
	source = """
		frm.doc.company; frm.set_value("currency", x); frm.toggle_reqd('secret_key', 1);
		frm.toggle_display(["mode", 'webhook_id'], 0); frm.set_df_property("enabled", "read_only", 1);
		frm.fields_dict.public_key.$wrapper; frm.fields_dict["api_base_url"];
		frm.set_query("payment_account", () => ({})); frm.set_query("item", "items", () => ({}));
	"""
	assert form_script_fields(source) == {
		"company",
		"currency",
		"secret_key",
		"mode",
		"webhook_id",
		"enabled",
		"public_key",
		"api_base_url",
		"payment_account",
	}


@pytest.mark.parametrize("path", DOCTYPE_JSONS, ids=DOCTYPE_IDS)
def test_form_script_uses_only_its_fields(path):
	script = path.with_suffix(".js")
	if not script.is_file():
		pytest.skip(f"no form script {rel(script)}")
	fields = set(fieldnames(load(path))) | FORM_DOC_ATTRIBUTES
	used = {
		name for name in form_script_fields(script.read_text(encoding="utf-8")) if not name.startswith("_")
	}
	unknown = sorted(used - fields)
	assert not unknown, f"{rel(script)} uses fields that {path.name} does not have: {unknown}"


LIST_ADD_FIELDS = re.compile(r"\badd_fields\s*:\s*\[([^\]]*)\]")


def list_script_fields(source):
	"""`doc.x` in list view settings (get_indicator, formatters) and `add_fields: [...]`."""
	names = set(re.findall(r"(?<![\w.])doc\.(\w+)", source))
	for match in LIST_ADD_FIELDS.finditer(source):
		names.update(re.findall(JS_STRING, match.group(1)))
	return names


def test_list_script_field_extraction():
	source = """add_fields: ["outcome", 'needs_attention'], get_indicator(doc) { doc.status; frm.doc.x; }"""
	assert list_script_fields(source) == {"outcome", "needs_attention", "status"}


@pytest.mark.parametrize("path", DOCTYPE_JSONS, ids=DOCTYPE_IDS)
def test_list_script_uses_only_its_fields(path):
	script = path.with_name(f"{path.parent.name}_list.js")
	if not script.is_file():
		pytest.skip(f"no list view script {rel(script)}")
	fields = set(fieldnames(load(path))) | FORM_DOC_ATTRIBUTES
	unknown = sorted(list_script_fields(script.read_text(encoding="utf-8")) - fields)
	assert not unknown, f"{rel(script)} uses fields that {path.name} does not have: {unknown}"


# -- hooks -----------------------------------------------------------------------------------------


def hooks_strings():
	"""Every string constant in hooks.py (values, dict keys, list items)."""
	tree = ast.parse((PKG / "hooks.py").read_text(encoding="utf-8"))
	return [
		node.value
		for node in ast.walk(tree)
		if isinstance(node, ast.Constant) and isinstance(node.value, str)
	]


def module_file(dotted):
	base = ROOT.joinpath(*dotted.split("."))
	for candidate in (base.with_suffix(".py"), base / "__init__.py"):
		if candidate.is_file():
			return candidate
	return None


def top_level_names(tree):
	"""Functions, classes, assignments and imports at a module's top level, with class bodies."""
	names = {}
	for node in tree.body:
		if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
			names[node.name] = None
		elif isinstance(node, ast.ClassDef):
			names[node.name] = {
				item.name for item in node.body if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
			}
		elif isinstance(node, ast.Assign):
			names.update({target.id: None for target in node.targets if isinstance(target, ast.Name)})
		elif isinstance(node, ast.Import | ast.ImportFrom):
			# A name re-exported by import is as callable as one defined here.
			names.update({(alias.asname or alias.name).split(".")[0]: None for alias in node.names})
	return names


def resolve(dotted):
	"""None when `dotted` is a function/class (or Class.method) of a module of the app, else why not."""
	parts = dotted.split(".")
	for split in range(len(parts) - 1, 0, -1):
		path = module_file(".".join(parts[:split]))
		if path is None:
			continue
		rest = parts[split:]
		names = top_level_names(ast.parse(path.read_text(encoding="utf-8")))
		if rest[0] not in names:
			missing_module = ".".join(parts[: split + 1])
			return f"no module {missing_module}, and no {rest[0]} at the top level of {rel(path)}"
		if len(rest) == 1:
			return None
		methods = names[rest[0]]
		if len(rest) == 2 and methods is not None and rest[1] in methods:
			return None
		return f"{'.'.join(rest)} is not a method of a class in {rel(path)}"
	return "no such module"


def test_hooks_resolution_helper():
	assert resolve("stancer_integration.stancer.client.StancerClient") is None
	assert resolve("stancer_integration.stancer.client.StancerClient.payment_page_url") is None
	assert resolve("stancer_integration.stancer.money.to_minor") is None
	assert resolve("stancer_integration.stancer.money.nothing_here")
	assert resolve("stancer_integration.stancer.client.StancerClient.nothing_here")
	assert resolve("stancer_integration.nothing.here").startswith("no module stancer_integration.nothing")


def test_hooks_dotted_paths_resolve():
	strings = hooks_strings()
	ours = sorted({s for s in strings if DOTTED.match(s) and s.count(".") >= 2})
	assert ours, "hooks.py names no function of the app"
	problems = [f"{path}: {why}" for path in ours if (why := resolve(path))]
	assert not problems, "hooks.py points at missing code:\n" + "\n".join(problems)


def test_hooks_other_apps_paths_have_a_dotted_shape():
	bad = sorted({s for s in hooks_strings() if OTHER_APPS.match(s) and not OTHER_APP_PATH.match(s)})
	assert not bad, f"hooks.py has malformed dotted paths: {bad}"


def test_hooks_app_paths_look_complete():
	# "stancer_integration.x" alone or a typo like "stancer_intergation.x.y" would silently do nothing.
	suspicious = sorted(
		{
			s
			for s in hooks_strings()
			if re.match(r"^stancer_\w*\.", s) and not (DOTTED.match(s) and s.count(".") >= 2)
		}
	)
	assert not suspicious, f"hooks.py strings that look like broken paths: {suspicious}"


def test_hooks_asset_files_exist():
	missing = []
	for value in hooks_strings():
		if value.startswith("/assets/stancer_integration/"):
			path = PKG / "public" / value.removeprefix("/assets/stancer_integration/")
		elif re.fullmatch(r"(public|templates)/[\w./-]+\.(js|css|html|json)", value):
			path = PKG / value
		else:
			continue
		if not path.is_file():
			missing.append(value)
	assert not missing, f"hooks.py names files that do not exist: {missing}"


# -- modules, guests, translations ------------------------------------------------------------------


def test_modules_txt_matches_module_folders():
	lines = [line.strip() for line in (PKG / "modules.txt").read_text(encoding="utf-8").splitlines()]
	declared = {scrub(line) for line in lines if line}
	folders = {path.name for path in PKG.iterdir() if (path / "doctype").is_dir()}
	assert declared == folders, f"modules.txt {sorted(declared)} vs folders with doctype/ {sorted(folders)}"
	for folder in folders:
		assert (PKG / folder / "__init__.py").is_file()
		assert (PKG / folder / "doctype" / "__init__.py").is_file()


def is_guest_whitelist(decorator):
	return (
		isinstance(decorator, ast.Call)
		and ast.unparse(decorator.func) in ("frappe.whitelist", "whitelist")
		and any(
			kw.arg == "allow_guest" and isinstance(kw.value, ast.Constant) and kw.value.value is True
			for kw in decorator.keywords
		)
	)


def guest_reason(lines, lineno):
	"""The `#` comment on the decorator line or in the comment/decorator lines just above it."""
	comments = []
	line = lines[lineno - 1]
	if "#" in line:
		comments.append(line.split("#", 1)[1])
	index = lineno - 2
	while index >= 0 and lines[index].strip().startswith(("#", "@")):
		if lines[index].strip().startswith("#"):
			comments.append(lines[index])
		index -= 1
	return any(re.search(r"guest", comment, re.IGNORECASE) for comment in comments)


def test_guest_endpoints_say_why():
	undocumented = []
	for path in package_files(".py"):
		source = path.read_text(encoding="utf-8")
		if "allow_guest" not in source:
			continue
		lines = source.splitlines()
		for node in ast.walk(ast.parse(source)):
			if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
				for decorator in node.decorator_list:
					if is_guest_whitelist(decorator) and not guest_reason(lines, decorator.lineno):
						undocumented.append(f"{rel(path)}:{decorator.lineno} {node.name}")
	assert not undocumented, (
		"guest endpoints without a `# … guest …` comment saying why anyone may call them: "
		+ ", ".join(undocumented)
	)


def test_guest_reason_detection():
	lines = [
		"# Guest: the customer pays without an account",
		"@frappe.whitelist(allow_guest=True)",
		"def pay(): pass",
		"@frappe.whitelist(allow_guest=True)",
		"def other(): pass",
		"@frappe.whitelist(allow_guest=True)  # guests come back from Stancer's page",
	]
	assert guest_reason(lines, 2)
	assert not guest_reason(lines, 4)
	assert guest_reason(lines, 6)


FR_CSV = PKG / "translations" / "fr.csv"


def read_translations():
	with FR_CSV.open(encoding="utf-8", newline="") as handle:
		return list(csv.reader(handle))


def test_translations_csv_format():
	if not FR_CSV.is_file():
		pytest.skip(
			"translations/fr.csv does not exist yet (test_translations_cover_every_string fails for it)"
		)
	sources = []
	for number, row in enumerate(read_translations(), start=1):
		if not row:
			continue
		assert len(row) in (2, 3), f"fr.csv line {number}: {len(row)} columns: {row}"
		assert row[0].strip() and row[1].strip(), f"fr.csv line {number}: empty source or translation: {row}"
		sources.append((row[0], row[2] if len(row) == 3 else ""))
	duplicates = sorted({source for source in sources if sources.count(source) > 1})
	assert not duplicates, f"fr.csv translates these twice: {duplicates}"


def python_messages(source):
	messages = set()
	for node in ast.walk(ast.parse(source)):
		if (
			isinstance(node, ast.Call)
			and isinstance(node.func, ast.Name)
			and node.func.id in ("_", "__")
			and node.args
			and isinstance(node.args[0], ast.Constant)
			and isinstance(node.args[0].value, str)
		):
			messages.add(node.args[0].value)
	return messages


JS_MESSAGE = re.compile(r"""(?<![\w.$])(__?)\(\s*(["'])((?:\\.|(?!\2)[^\\])*)\2\s*[,)]""", re.DOTALL)
JS_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}


def template_messages(source, *, js):
	"""`__("…")` in .js; `_("…")` and `__("…")` in .html (Jinja and inline scripts)."""
	messages = set()
	for match in JS_MESSAGE.finditer(source):
		if js and match.group(1) != "__":
			continue
		messages.add(re.sub(r"\\(.)", lambda m: JS_ESCAPES.get(m.group(1), m.group(1)), match.group(3)))
	return messages


def test_message_extraction():
	assert python_messages('_("A"); _("B {0}").format(x); foo._("no"); _(variable); __("C")') == {
		"A",
		"B {0}",
		"C",
	}
	js = """__("Pay"); __('It\\'s {0}', [x]); frappe._("no"); obj.__("no"); _("no in js"); __(`tpl`)"""
	assert template_messages(js, js=True) == {"Pay", "It's {0}"}
	html = """{{ _("Pay now") }} <script>__("Loading…")</script> {{ _('Back') }}"""
	assert template_messages(html, js=False) == {"Pay now", "Loading…", "Back"}


def all_messages():
	"""{message: first file using it} over the package's .py, .js and .html files."""
	found = {}
	for path in package_files(".py", ".js", ".html"):
		source = path.read_text(encoding="utf-8")
		if path.suffix == ".py":
			messages = python_messages(source)
		else:
			messages = template_messages(source, js=path.suffix == ".js")
		for message in messages:
			found.setdefault(message, rel(path))
	return found


def test_translations_cover_every_string():
	messages = all_messages()
	translated = {row[0] for row in read_translations() if len(row) >= 2} if FR_CSV.is_file() else set()
	missing = sorted(set(messages) - translated)
	assert not missing, f"{len(missing)} strings have no row in translations/fr.csv:\n" + "\n".join(
		f"  {message!r}  ({messages[message]})" for message in missing
	)


# -- the framework-free core -----------------------------------------------------------------------


def imported_modules(tree):
	for node in ast.walk(tree):
		if isinstance(node, ast.Import):
			yield from (alias.name for alias in node.names)
		elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
			yield node.module


def imports_of(path):
	return imported_modules(ast.parse(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("subpackage", FRAMEWORK_FREE)
def test_core_never_imports_frappe(subpackage):
	files = sorted(FRAMEWORK_FREE[subpackage][1].rglob("*.py"))
	if not files:
		pytest.skip(f"{subpackage} has no Python file yet")
	offenders = [
		f"{rel(path)}: {name}"
		for path in files
		for name in imports_of(path)
		if name.split(".")[0] in ("frappe", "erpnext", "payments", "webshop")
	]
	assert not offenders, offenders


def module_names(top, package):
	"""Dotted names of every module of `package` (a folder below `top`, which goes on sys.path)."""
	return [
		".".join(path.relative_to(top).with_suffix("").parts).removesuffix(".__init__")
		for path in sorted(package.rglob("*.py"))
		if path.name != "__main__.py"
	]


def import_with_blocked(modules, blocked, path):
	"""Import `modules` in a fresh interpreter where importing any of `blocked` raises ImportError."""
	code = (
		"import sys\n"
		f"sys.path[:0] = {[str(entry) for entry in path]!r}\n"
		f"for name in {list(blocked)!r}:\n"
		"    sys.modules[name] = None  # any import of them raises ImportError\n"
		"import importlib\n"
		f"for module in {modules!r}:\n"
		"    importlib.import_module(module)\n"
	)
	return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_package_imports_without_frappe():
	modules = ["stancer_integration"]
	for top, package in FRAMEWORK_FREE.values():
		modules += module_names(top, package)
	path = [top for top, _ in FRAMEWORK_FREE.values()]
	result = import_with_blocked(modules, ("frappe", "erpnext", "payments", "webshop"), path)
	assert result.returncode == 0, result.stderr


# -- the app and the sandbox stay apart --------------------------------------------------------------


def is_bench_test_file(path):
	"""Bench tests and their helper run only in a developer's bench, where they may use the sandbox."""
	return path.name.startswith("test_") or (PKG / "tests") in path.parents


def test_app_never_imports_the_sandbox():
	offenders = [
		f"{rel(path)}: {name}"
		for path in package_files(".py")
		if not is_bench_test_file(path)
		for name in imports_of(path)
		if name.split(".")[0] == "stancer_sandbox"
	]
	assert not offenders, offenders
	# Nor by name (importlib, __import__): no production module mentions the package at all.
	named = [rel(path) for path in package_files(".py") if not is_bench_test_file(path)]
	named = [name for name in named if "stancer_sandbox" in (ROOT / name).read_text(encoding="utf-8")]
	assert not named, named


def test_sandbox_never_imports_the_app():
	files = sorted((SANDBOX / "stancer_sandbox").rglob("*.py"))
	assert files, "no sandbox/stancer_sandbox/*.py found: is the test looking in the right place?"
	offenders = [
		f"{rel(path)}: {name}"
		for path in files
		for name in imports_of(path)
		if name.split(".")[0] == "stancer_integration"
	]
	assert not offenders, offenders


def test_sandbox_imports_without_the_app():
	modules = module_names(SANDBOX, SANDBOX / "stancer_sandbox")
	result = import_with_blocked(modules, ("stancer_integration", "frappe"), [SANDBOX])
	assert result.returncode == 0, result.stderr


def test_no_sandbox_left_in_the_app():
	assert not (PKG / "sandbox").exists(), "the sandbox lives in sandbox/stancer_sandbox, outside the app"


# -- packaging and style -----------------------------------------------------------------------------


def requirement_names(requirements):
	return {re.match(r"[A-Za-z0-9_.-]+", line).group(0).lower().replace("_", "-") for line in requirements}


def read_toml(path):
	tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")
	return tomllib.loads(path.read_text(encoding="utf-8"))


def test_pyproject_dependencies():
	data = read_toml(ROOT / "pyproject.toml")
	names = requirement_names(data["project"]["dependencies"])
	assert "requests" in names
	assert "frappe" not in names, "frappe comes with the bench; listing it breaks bench installs"
	assert "frappe" in data["tool"]["bench"]["frappe-dependencies"]
	# What only the sandbox needs stays out of a merchant's bench.
	assert "werkzeug" not in names and "stancer-sandbox" not in names
	assert "stancer-sandbox" not in data["project"].get("scripts", {})
	assert data["tool"]["setuptools"]["packages"]["find"]["include"] == ["stancer_integration*"]


def test_sandbox_pyproject():
	data = read_toml(SANDBOX / "pyproject.toml")
	assert data["project"]["name"] == "stancer-sandbox"
	assert "werkzeug" in requirement_names(data["project"]["dependencies"])
	assert data["project"]["scripts"] == {"stancer-sandbox": "stancer_sandbox.cli:main"}
	assert data["tool"]["setuptools"]["packages"]["find"]["include"] == ["stancer_sandbox*"]


def test_app_packages_hold_no_sandbox():
	setuptools = pytest.importorskip("setuptools")
	found = setuptools.find_packages(str(ROOT), include=["stancer_integration*"])
	assert "stancer_integration" in found
	assert not [name for name in found if "sandbox" in name], found


def test_installed_metadata_lists_requests():
	try:
		requirements = importlib.metadata.requires("stancer_integration") or []
	except importlib.metadata.PackageNotFoundError:
		pytest.skip("stancer_integration is not installed (pip install -e .)")
	names = requirement_names(req for req in requirements if "extra ==" not in req)
	assert "requests" in names
	assert "frappe" not in names
	assert "werkzeug" not in names and "stancer-sandbox" not in names
	# The test extra brings the sandbox from this checkout's sandbox/ folder.
	test_extra = [req for req in requirements if re.search(r"""extra\s*==\s*["']test["']""", req)]
	assert [req for req in test_extra if req.startswith("stancer-sandbox @ file:")], test_extra


def ruff_command():
	if shutil.which("ruff"):
		return ["ruff"]
	try:
		import ruff  # noqa: F401
	except ImportError:
		return None
	return [sys.executable, "-m", "ruff"]


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]], ids=["check", "format"])
def test_ruff(args):
	command = ruff_command()
	if command is None:
		pytest.skip("ruff is not installed (pip install -e '.[test]')")
	result = subprocess.run(command + args, cwd=ROOT, capture_output=True, text=True, timeout=120)
	assert result.returncode == 0, result.stdout + result.stderr
