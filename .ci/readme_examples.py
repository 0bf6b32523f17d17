"""Runs the shell examples of the README and docs/ marked `<!-- ci: run -->` (or
`<!-- ci: run for N s -->`, for a loop that never ends: run N seconds, must print something) as a
newcomer does: one bash session, one terminal (the gateway started in its background by the
README's own line, its stdout and stderr mixed with the examples' output), the embedded default
with no settings at all, and `KEY` and `SIM` set by pasting the `export` line of the banner the
gateway printed, as the README says; the banner's `try:` line is run as printed too. Blocks
marked `<!-- ci: run alone -->` start what they need themselves (the standalone simulator): each
runs in its own session with the built binary on PATH, port 8090 replaced by a free port, a wait
for the simulator to answer after the line that starts it, and every background job stopped at
the end.

What changes from the text, and only that: the gateway's port (the README says 8080: here a free
one, given as `serve --port N` on the line that starts it and in the URLs), and `curl`, which
fails the run on any HTTP error answer (`--fail-with-body`), so that an example answering
4xx/5xx fails.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile

MARK = re.compile(r"<!-- ci: run(?: for (\d+) s)?( alone)? -->\s*\n```(?:sh|bash)\n(.*?)```", re.S)
START = re.compile(r"^urssaf-gateway\s*&\s*$", re.M)
PRELUDE = ("set -euo pipefail\n"
           'curl() { command curl --fail-with-body --show-error "$@"; }\n')


def blocks(text, alone=False):
    return [(int(m.group(1)) if m.group(1) else None, m.group(3), text[: m.start()].count("\n") + 2)
            for m in MARK.finditer(text) if bool(m.group(2)) == alone]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env():
    env = dict(os.environ, PATH=os.path.dirname(os.environ["GATEWAY_BIN"]) + ":" + os.environ["PATH"])
    for k in list(env):
        if k.startswith("GATEWAY__") or k in ("GATEWAY_CONFIG", "RUST_LOG"):
            del env[k]
    return env


def run_alone(path, body, line):
    port = free_port()
    lines = []
    for raw in body.replace("8090", str(port)).splitlines():
        lines.append(raw)
        if raw.strip().startswith("urssaf-gateway simulator") and raw.rstrip().endswith("&"):
            lines.append(f"for _ in $(seq 100); do command curl -s -o /dev/null http://127.0.0.1:{port}/__admin/stats && break; sleep 0.1; done")
    script = "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + PRELUDE + "\n".join(lines) + "\n"
    print(f"--- {path} line {line} (alone, simulator on {port})", flush=True)
    # A scratch directory (the campaign writes its report there) that still sees bench/.
    work = tempfile.mkdtemp(prefix="examples-")
    os.symlink(os.path.abspath("bench"), os.path.join(work, "bench"))
    r = subprocess.run(["bash", "-c", script], env=clean_env(), cwd=work)
    if r.returncode:
        sys.exit(f"{path} line {line}: the example failed (exit {r.returncode})")


def paste_banner(terminal):
    """What the reader does once the banner is printed: paste its `export` line, try its
    `try:` line."""
    return (f"for _ in $(seq 300); do grep -q '^curl ' {terminal} && break; sleep 0.1; done\n"
            f"grep -q '^curl ' {terminal} || {{ echo 'no banner'; exit 1; }}\n"
            f"eval \"$(grep -m1 '^export KEY=' {terminal})\"\n"
            f"eval \"$(grep -m1 '^curl ' {terminal})\"\necho\n")


def main(readme, *others):
    found = blocks(open(readme, encoding="utf-8").read())
    if not found or not any(START.search(body) for _, body, _ in found):
        sys.exit(f"{readme}: no block marked <!-- ci: run -->, or none starts `urssaf-gateway &`")
    alone = 0
    for path in (readme, *others):
        for _, body, line in blocks(open(path, encoding="utf-8").read(), alone=True):
            run_alone(path, body, line)
            alone += 1
    port = free_port()
    gw = f"http://127.0.0.1:{port}"
    terminal = os.path.join(tempfile.mkdtemp(prefix="terminal-"), "terminal.log")
    # One terminal: everything the session and its background jobs write, shown and recorded.
    script = (f"exec > >(tee {terminal}) 2>&1\n"
              "trap 'for p in $(jobs -p); do kill $p; wait $p; done 2>/dev/null || true' EXIT\n" + PRELUDE)
    for seconds, body, line in found:
        body = body.replace("http://127.0.0.1:8080", gw).replace("http://localhost:8080", gw)
        started = START.search(body)
        body = START.sub(f"urssaf-gateway serve --port {port} &", body)
        if seconds:
            # A loop: its own process (it inherits KEY), stopped after `seconds`; what it printed
            # must be JSON lines.
            script += (f"echo '--- README line {line} (for {seconds} s)'\n"
                       f"out=$(timeout {seconds} bash -c {quote(PRELUDE + body)} || [ $? -eq 124 ])\n"
                       'echo "$out"\n'
                       '[ -n "$out" ] || { echo "the loop printed nothing"; exit 1; }\n'
                       'echo "$out" | jq -e . >/dev/null\n')
        else:
            script += f"echo '--- README line {line}'\n{body}\necho\n"
        if started:
            script += paste_banner(terminal)
    r = subprocess.run(["bash", "-c", script], env=clean_env())
    if r.returncode:
        sys.exit(f"a README example failed (exit {r.returncode})")
    print(f"examples: {len(found)} README blocks ran against {gw}, {alone} blocks on their own")


def quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


if __name__ == "__main__":
    main(*(sys.argv[1:] or ["README.md"]))
