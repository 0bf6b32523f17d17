"""Runs the shell examples of the README and docs/ marked `<!-- ci: run -->` (or
`<!-- ci: run for N s -->`, for a loop that never ends: run N seconds, must print something) in
one bash session against the gateway started by .ci/readme-examples, as a reader would paste
them. Blocks marked `<!-- ci: run alone -->` start what they need themselves (the standalone
simulator): each runs in its own session with the built binary on PATH, port 8090 replaced by
a free port, a wait for the simulator to answer after the line that starts it, and every
background job stopped at the end.

What changes from the text, and only that: the gateway's address (the README says
127.0.0.1:8080 or localhost:8080; the CI gateway is on a free port) and `curl`, which fails the
run on any HTTP error answer (`--fail-with-body`), so that an example answering 4xx/5xx fails.
`KEY` and `SIM` are what the banner printed, as the README tells the reader.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile

MARK = re.compile(r"<!-- ci: run(?: for (\d+) s)?( alone)? -->\s*\n```(?:sh|bash)\n(.*?)```", re.S)


def blocks(text, alone=False):
    return [(int(m.group(1)) if m.group(1) else None, m.group(3), text[: m.start()].count("\n") + 2)
            for m in MARK.finditer(text) if bool(m.group(2)) == alone]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_alone(path, body, line):
    port = free_port()
    lines = []
    for raw in body.replace("8090", str(port)).splitlines():
        lines.append(raw)
        if raw.strip().startswith("urssaf-gateway simulator") and raw.rstrip().endswith("&"):
            lines.append(f"for _ in $(seq 100); do command curl -s -o /dev/null http://127.0.0.1:{port}/__admin/stats && break; sleep 0.1; done")
    script = ("set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"
              'curl() { command curl --fail-with-body --show-error "$@"; }\n' + "\n".join(lines) + "\n")
    print(f"--- {path} line {line} (alone, simulator on {port})", flush=True)
    # A scratch directory (the campaign writes its report there) that still sees bench/.
    work = tempfile.mkdtemp(prefix="examples-")
    os.symlink(os.path.abspath("bench"), os.path.join(work, "bench"))
    env = dict(os.environ, PATH=os.path.dirname(os.environ["GATEWAY_BIN"]) + ":" + os.environ["PATH"])
    for k in list(env):
        if k.startswith("GATEWAY__") or k == "GATEWAY_CONFIG":
            del env[k]
    r = subprocess.run(["bash", "-c", script], env=env, cwd=work)
    if r.returncode:
        sys.exit(f"{path} line {line}: the example failed (exit {r.returncode})")


def main(readme, *others):
    gw = os.environ["GATEWAY_URL"]
    found = blocks(open(readme, encoding="utf-8").read())
    if not found:
        sys.exit(f"{readme}: no block marked <!-- ci: run -->")
    alone = 0
    for path in (readme, *others):
        for _, body, line in blocks(open(path, encoding="utf-8").read(), alone=True):
            run_alone(path, body, line)
            alone += 1
    prelude = (
        "set -euo pipefail\n"
        f"export KEY={os.environ['GATEWAY_API_KEY']!r} SIM={os.environ['SIMULATOR_URL']!r}\n"
        'curl() { command curl --fail-with-body --show-error "$@"; }\n'
    )
    script = prelude
    for seconds, body, line in found:
        body = body.replace("http://127.0.0.1:8080", gw).replace("http://localhost:8080", gw)
        if seconds:
            # A loop: its own process, stopped after `seconds`; what it printed must be JSON lines.
            script += (f"echo '--- README line {line} (for {seconds} s)'\n"
                       f"out=$(timeout {seconds} bash -c {quote(prelude + body)} || [ $? -eq 124 ])\n"
                       'echo "$out"\n'
                       '[ -n "$out" ] || { echo "the loop printed nothing"; exit 1; }\n'
                       'echo "$out" | jq -e . >/dev/null\n')
        else:
            script += f"echo '--- README line {line}'\n{body}\necho\n"
    r = subprocess.run(["bash", "-c", script])
    if r.returncode:
        sys.exit(f"a README example failed (exit {r.returncode})")
    print(f"examples: {len(found)} README blocks ran against {gw}, {alone} blocks on their own")


def quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


if __name__ == "__main__":
    main(*(sys.argv[1:] or ["README.md"]))
