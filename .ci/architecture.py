"""Two rules of docs/architecture.md the compiler does not keep, checked over src/:

- no circle between rooms (a room is a top-level module of src/; an arrow is a `crate::room`
  path in a file outside tests);
- no function over 150 lines (from its `fn` line to its closing brace).

    python3 .ci/architecture.py           check; exit 1 naming each breach
    python3 .ci/architecture.py --rooms   print each room's arrows (for the docs' table)

Standard library only; .ci/run calls it.
"""
import os
import re
import sys

SRC = "src"
LIMIT = 150
# Functions allowed over the limit for now, each with why; a stale entry is an error too.
LONG_ALLOWED = set()
FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?fn\s+(\w+)")


def rust_files():
    for dirpath, _, files in os.walk(SRC):
        for f in sorted(files):
            if f.endswith(".rs"):
                yield os.path.join(dirpath, f)


def is_test_file(path):
    name = os.path.basename(path)
    return name == "tests.rs" or name.endswith("_tests.rs") or "/tests/" in path


def code(text):
    """Without tests (`#[cfg(test)]` modules sit at a file's end) and without comments."""
    cut = text.find("#[cfg(test)]")
    if cut >= 0:
        text = text[:cut]
    return "\n".join(line.split("//", 1)[0] for line in text.split("\n"))


def rooms():
    arrows = {}
    for path in rust_files():
        room = path[len(SRC) + 1 :].split("/")[0].removesuffix(".rs")
        if room in ("main", "lib") or is_test_file(path):
            continue
        with open(path, encoding="utf-8") as f:
            text = code(f.read())
        found = arrows.setdefault(room, set())
        for m in re.finditer(r"crate::(\w+)", text):
            if m.group(1) != room:
                found.add(m.group(1))
    return arrows


def circles(arrows):
    """The groups of rooms that reach one another (strongly connected, Tarjan), each sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(room):
        index[room] = low[room] = len(index)
        stack.append(room)
        on.add(room)
        for nxt in sorted(arrows.get(room, ())):
            if nxt not in index:
                visit(nxt)
                low[room] = min(low[room], low[nxt])
            elif nxt in on:
                low[room] = min(low[room], index[nxt])
        if low[room] == index[room]:
            group = []
            while True:
                r = stack.pop()
                on.discard(r)
                group.append(r)
                if r == room:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for room in sorted(arrows):
        if room not in index:
            visit(room)
    return out


def strip_literals(line):
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(\\.|[^'\\])'", "''", line)
    return line.split("//", 1)[0]


def long_functions():
    out = []
    for path in rust_files():
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        for i, line in enumerate(lines):
            m = FN.match(line)
            if not m:
                continue
            depth, opened, j = 0, False, i
            while j < len(lines):
                s = strip_literals(lines[j])
                if not opened and ";" in s and "{" not in s:
                    break  # a declaration without a body (a trait's)
                depth += s.count("{") - s.count("}")
                opened = opened or "{" in s
                if opened and depth <= 0:
                    break
                j += 1
            if opened and j - i + 1 > LIMIT:
                out.append((path, m.group(5), i + 1, j - i + 1))
    return out


def main():
    arrows = rooms()
    if "--rooms" in sys.argv:
        for room in sorted(arrows):
            print(f"{room}: {', '.join(sorted(arrows[room])) or 'nothing'}")
        return 0
    failed = False
    for group in circles(arrows):
        failed = True
        inside = [f"{a} → {b}" for a in group for b in sorted(arrows[a]) if b in group]
        print(f"architecture: rooms in a circle: {', '.join(group)} ({'; '.join(inside)})")
    found = set()
    for path, name, line, n in long_functions():
        found.add((path, name))
        if (path, name) not in LONG_ALLOWED:
            failed = True
            print(f"architecture: {path}:{line}: fn {name} is {n} lines (at most {LIMIT})")
    for path, name in sorted(LONG_ALLOWED - found):
        failed = True
        print(f"architecture: {path}: fn {name} is no longer long: drop it from LONG_ALLOWED")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
