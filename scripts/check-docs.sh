#!/usr/bin/env bash
# Checks that the prose still says what the code is (run by .ci/run and `make check-docs`):
#  1. every repository path that a doc, the README, a comment or a build file cites exists
#     (`core/src/tape.cpp`, `tests/ops/attention_test.cpp:12`, `examples/digits/`, globs
#     such as `tests/core/*thread*_test.cpp`), every bare `NAME.md` it names, and every
#     `<tapegrad/...>` header; the README error catalogue's test column (`core/tape_errors`,
#     `nn/catalogue`) names test files that exist;
#  2. the README's op table: each op it lists is declared in a header it names, and every
#     op declared at namespace scope in ops/include is named somewhere in the README;
#  3. the README's layer table: each layer it lists is a class in the header it names,
#     and every module class in nn/include is in the table or named as not a layer below.
# Prints each problem with file and line; exits 1 if there is any.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PY'
import glob, os, re, subprocess, sys

problems = []
def problem(where, text):
    problems.append(f"{where}: {text}")

files = subprocess.run(["git", "ls-files"], capture_output=True, text=True, check=True).stdout.split()
files = [f for f in files if os.path.isfile(f)]
cited_in = [f for f in files
            if re.search(r"\.(md|cpp|hpp|h|py|sh|cmake|dox|in|txt)$|(^|/)(Makefile|Doxyfile|run|CMakeLists\.txt)$", f)
            and not f.startswith("tests/data/") and "/corpus/" not in f
            and f != "scripts/check-docs.sh"]  # its comments show patterns, not paths

# ---- 1. cited paths -------------------------------------------------------------------
roots = "core|io|ops|optim|reference|nn|distributed|include|tests|examples|benchmarks|docs|scripts|fuzz|cmake|\\.ci"
path_re = re.compile(r"(?<![\w./<>@~-])((?:%s)/[\w./*-]*[\w*/])" % roots)
header_re = re.compile(r"<(tapegrad/[\w/]+\.hpp)>")
md_names = {os.path.basename(f) for f in files if f.endswith(".md")}
include_dirs = [d for d in glob.glob("*/include") if os.path.isdir(d)] + ["include"]

def path_exists(p, cited_from=""):
    p = re.sub(r":\d+(-\d+)?$", "", p).rstrip(".")
    if re.search(r"(^|/)[A-Z][A-Z_]*(/|$)", p):
        return True  # a placeholder such as fuzz/corpus/T or examples/NAME
    if any(ch in p for ch in "*?["):
        return bool(glob.glob(p))
    # as written, relative to the citing file's top folder (tests/ for "nn/x.hpp" included
    # by a test), or a build product named after its source (benchmarks/x_benchmark)
    top = cited_from.split("/")[0] if "/" in cited_from else ""
    for candidate in (p, os.path.join(top, p), os.path.join("tests", p)):
        for suffix in ("", ".cpp", ".hpp", ".py"):
            if os.path.exists(candidate + suffix):
                return True
    # The error catalogue's test column: DIR/NAME is tests/DIR/NAME_test.cpp, and
    # DIR/catalogue is tests/DIR/error_catalogue_test.cpp.
    d, _, name = p.partition("/")
    if name == "catalogue":
        name = "error_catalogue"
    return os.path.exists(f"tests/{d}/{name}_test.cpp")

for f in cited_in:
    try:
        text = open(f, encoding="utf-8").read()
    except UnicodeDecodeError:
        continue
    for n, line in enumerate(text.splitlines(), 1):
        if "http://" in line or "https://" in line:
            line = re.sub(r"https?://\S+", "", line)
        for m in path_re.finditer(line):
            p = m.group(1)
            # build products, generated folders and paths inside other repositories
            if re.match(r"(tests|examples|benchmarks|fuzz|docs)/.*(build|html)\b", p) and not path_exists(p):
                continue
            if not path_exists(p, f):
                problem(f"{f}:{n}", f"cites {p}, which does not exist")
        # a bare file name such as NOTES.md must be a file of this repository
        for m in re.finditer(r"(?<![\w./-])([\w-]+\.md)\b", line):
            if m.group(1) not in md_names:
                problem(f"{f}:{n}", f"names {m.group(1)}, which is not a file of this repository")
        for m in header_re.finditer(line):
            h = m.group(1)
            if not any(os.path.exists(os.path.join(d, h)) for d in include_dirs):
                problem(f"{f}:{n}", f"names <{h}>, which no include/ folder has")

# ---- 2. the README's op table ------------------------------------------------------------
readme = open("README.md", encoding="utf-8").read()
readme_lines = readme.splitlines()

def table_after(heading_pattern, first_col):
    """Rows (line number, cells) of the first table whose header row starts with
    `| first_col |` after the line matching heading_pattern."""
    start = next(i for i, l in enumerate(readme_lines) if re.search(heading_pattern, l))
    rows, inside = [], False
    for i in range(start, len(readme_lines)):
        l = readme_lines[i]
        if l.startswith(f"| {first_col} |"):
            inside = True
            continue
        if inside:
            if not l.startswith("|"):
                break
            if set(l.replace("|", "").strip()) <= set("-: "):
                continue
            rows.append((i + 1, [c.strip() for c in l.strip().strip("|").split("|")]))
    if not rows:
        problem("README.md", f"no table starting with '| {first_col} |' after /{heading_pattern}/")
    return rows

def strip_comments(src):
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    return re.sub(r"//[^\n]*", "", src)

def header_text(folder, name):
    path = os.path.join(folder, name)
    return strip_comments(open(path).read()) if os.path.exists(path) else None

ops_dir = "ops/include/tapegrad/ops"
for n, cells in table_after(r"^Ops \(namespace `tg`", "group"):
    group, ops_cell, headers_cell = cells[0], cells[1], cells[2]
    headers = re.findall(r"`([\w.]+\.hpp)`", headers_cell)
    texts = [header_text(ops_dir, h) for h in headers]
    for h, t in zip(headers, texts):
        if t is None:
            problem(f"README.md:{n}", f"op table row '{group}' names {h}, not in {ops_dir}")
    texts = [t for t in texts if t]
    # the op names: backticked identifiers, before any parenthesis or space
    for tok in re.findall(r"`([^`]+)`", ops_cell):
        name = re.match(r"[A-Za-z_]\w*", tok)
        if not name or tok.startswith("tg::nn") or "<tapegrad" in tok or tok.endswith(".hpp") or "[" in tok:
            continue
        name = name.group(0)
        if name in {"correction", "take_along_axis"}:  # an argument; numpy's name
            continue
        if not any(re.search(r"\b%s\s*\(" % re.escape(name), t) for t in texts) and \
           not any(re.search(r"\b%s\s*\(" % re.escape(name), strip_comments(open(p).read()))
                   for p in glob.glob(ops_dir + "/*.hpp") + ["nn/include/tapegrad/nn/random.hpp"]):
            problem(f"README.md:{n}", f"op table row '{group}' lists `{name}`, which no ops header declares")

declared = set()
decl_re = re.compile(r"^(?:[\w:<>,]+(?:<[^;{}()]*>)?[\s*&]+)+(\w+)\s*\(", re.M)
def without_detail(src):
    """src without its `namespace detail { ... }` blocks (helpers for tapegrad's own code)."""
    out, i = [], 0
    for m in re.finditer(r"namespace detail\s*\{", src):
        if m.start() < i:
            continue
        out.append(src[i:m.start()])
        depth, j = 1, m.end()
        while depth and j < len(src):
            depth += {"{": 1, "}": -1}.get(src[j], 0)
            j += 1
        i = j
    return "".join(out) + src[i:]

for p in glob.glob(ops_dir + "/*.hpp"):
    for m in decl_re.finditer(without_detail(strip_comments(open(p).read()))):
        name = m.group(1)
        if not name.startswith("operator") and name not in {"if", "return", "for", "while"}:
            declared.add((name, p))
for name, p in sorted(declared):
    if not re.search(r"`[^`]*\b%s\b[^`]*`" % re.escape(name), readme):
        problem(p, f"declares the op `{name}`, which the README never names (add it to the op table)")

# ---- 3. the README's layer table ---------------------------------------------------------
nn_dir = "nn/include/tapegrad/nn"
listed = set()
for n, cells in table_after(r"^## Layers, modules and losses", "layer"):
    layer_cell, headers_cell = cells[0], cells[-1]
    headers = re.findall(r"`([\w.]+\.hpp)`", headers_cell)
    texts = [t for t in (header_text(nn_dir, h) for h in headers) if t]
    if len(texts) != len(headers):
        problem(f"README.md:{n}", f"layer table names a header not in {nn_dir}: {headers_cell}")
    for tok in re.findall(r"`([^`]+)`", layer_cell):
        name = re.match(r"[A-Z]\w*", tok)
        if not name:
            continue
        name = name.group(0)
        listed.add(name)
        if not any(re.search(r"\b(class|struct|using)\s+%s\b" % name, t) for t in texts):
            problem(f"README.md:{n}", f"layer table lists `{name}`, which {', '.join(headers)} does not define")

# Module classes that are not layers (containers' bases, wrappers, tools).
not_layers = {"Module", "Cloneable", "ModuleHolder", "AnyModule", "DataParallel", "RecurrentBase",
              "Recurrent", "RecurrentCell", "ConvNd", "Pool2d", "BatchNorm", "Activation", "ElementwiseActivation"}
module_re = re.compile(r"\b(?:class|struct)\s+(\w+)(?:\s+final)?\s*:\s*public\s+(?:tg::nn::)?(?:Module|Cloneable)\b")
for p in glob.glob(nn_dir + "/*.hpp"):
    for m in module_re.finditer(strip_comments(open(p).read())):
        name = m.group(1)
        if name not in listed and name not in not_layers:
            problem(p, f"defines the module `{name}`, which the README's layer table does not list")

for p in problems:
    print("check-docs:", p)
if problems:
    print(f"check-docs: {len(problems)} problem(s)")
    sys.exit(1)
print("check-docs: every cited path exists; the op and layer tables match the headers")
PY
