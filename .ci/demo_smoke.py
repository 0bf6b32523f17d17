"""Runs the real gateway binary the way the chart's default install runs it.

The chart's default (embedded simulator, no tenant) generates a demo API key,
stores it in a Secret and gives the gateway only its SHA-256 as the `demo`
tenant's api_key_hashes. This takes the rendered Deployment, ConfigMap and
Secrets, rebuilds the container's environment and secret files on loopback,
starts the binary and checks that the key from the Secret is accepted (and a
wrong one refused). Skipped when no binary is built.
"""
import base64
import hashlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request


def _binary():
    explicit = os.environ.get("URSSAF_GATEWAY_BIN")
    if explicit:
        return explicit
    found = [p for p in ("target/release/urssaf-gateway", "target/debug/urssaf-gateway") if os.path.isfile(p)]
    return max(found, key=os.path.getmtime) if found else None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, key):
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def _pod_environment(objs, workdir):
    """(env, demo api key) of the gateway container, secret volumes written under workdir.
    Secrets the chart only refers to (made by the operator) may be passed among objs."""
    by_kind = {}
    for o in objs:
        by_kind.setdefault(o["kind"], {})[o["metadata"]["name"]] = o
    secrets = {n: {k: base64.b64decode(v).decode() for k, v in (s.get("data") or {}).items()}
               for n, s in by_kind.get("Secret", {}).items()}
    configmaps = {n: c.get("data") or {} for n, c in by_kind.get("ConfigMap", {}).items()}
    (deploy,) = by_kind["Deployment"].values()
    pod = deploy["spec"]["template"]["spec"]
    (c,) = [c for c in pod["containers"] if c["name"] == "gateway"]
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {}
    for m in c.get("volumeMounts", []):
        v = volumes[m["name"]]
        local = os.path.join(workdir, m["name"])
        os.makedirs(local)
        if "projected" in v:
            for source in v["projected"]["sources"]:
                for k, val in secrets[source["secret"]["name"]].items():
                    with open(os.path.join(local, k), "w") as f:
                        f.write(val)
        elif "secret" in v or "configMap" in v:
            data = secrets[v["secret"]["secretName"]] if "secret" in v else configmaps[v["configMap"]["name"]]
            items = (v.get("secret") or v.get("configMap")).get("items") or [{"key": k, "path": k} for k in data]
            for it in items:
                with open(os.path.join(local, it["path"]), "w") as f:
                    f.write(data[it["key"]])
        mounts[m["mountPath"]] = local
    env = {}
    for src in c.get("envFrom", []):
        env.update(configmaps[src["configMapRef"]["name"]])
    for e in c.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
        else:
            ref = e["valueFrom"]["secretKeyRef"]
            env[e["name"]] = secrets[ref["name"]][ref["key"]]
    for k, v in env.items():
        for path, local in mounts.items():
            if v == path or v.startswith(path + "/"):
                env[k] = local + v[len(path):]
    demo = [s for n, s in secrets.items() if n.endswith("-demo")]
    return env, (demo[0]["api_key"] if demo else None)


def _serve(binary, env, workdir, probe):
    """Starts the binary with the pod's env on loopback, runs probe(base, metrics_base)."""
    port, metrics_port = _free_port(), _free_port()
    env.update(GATEWAY__SERVER__PORT=str(port), GATEWAY__SERVER__METRICS_PORT=str(metrics_port),
               GATEWAY__SERVER__HOST="127.0.0.1", GATEWAY__SERVER__DRAIN_SECONDS="0",
               GATEWAY__LOG__LEVEL="warn", PATH=os.environ.get("PATH", ""))
    log = open(os.path.join(workdir, "gateway.log"), "w+")
    proc = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while _get_ready(base) != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                return f"FAIL: {binary} did not become ready: {log.read()[-600:]}"
            time.sleep(0.1)
        return probe(base, f"http://127.0.0.1:{metrics_port}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _keys_work(base, key):
    url = f"{base}/v1/clients?email=nobody@example.org"
    good, bad = _get(url, key), _get(url, key + "x")
    if bad != 401:
        return f"FAIL: a wrong key got {bad}, not 401: the check proves nothing"
    if good in (401, 403) or good >= 500:
        return f"FAIL: the key got {good}"
    return None


def run(rendered, split_docs):
    binary = _binary()
    if not binary:
        return "skipped: no target/{release,debug}/urssaf-gateway (cargo build) nor $URSSAF_GATEWAY_BIN"
    objs = [o for _, _, o in split_docs(rendered)]
    with tempfile.TemporaryDirectory() as workdir:
        try:
            env, key = _pod_environment(objs, workdir)
        except (KeyError, ValueError) as e:
            return f"FAIL: cannot rebuild the pod's environment from the render: {e!r}"
        if not key:
            return "FAIL: the default render has no demo Secret with an api_key"
        return _serve(binary, env, workdir, lambda base, _: _keys_work(base, key)
                      or f"ok: {binary} accepts the chart-made demo key (a wrong key gets 401)")


def _secret(name, data):
    return {"kind": "Secret", "metadata": {"name": name},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


def run_tenants_directory(rendered, split_docs, admin_token):
    """The chart's tenantsDirectory with an operator-made Secret holding one tenant file: the
    tenant's key is accepted, and the admin view (admin.tokenHashes) lists it."""
    key = "tenants-dir-smoke-key"
    tenant = (f"api_key_hashes: [\"{hashlib.sha256(key.encode()).hexdigest()}\"]\n"
              "environment: embedded\nclient_id: acme-client\n")
    secrets = [_secret("urssaf-tenants", {"acme.yaml": tenant, "acme.client_secret": "s3cret"})]

    def probe(base, metrics):
        failed = _keys_work(base, key)
        if failed:
            return failed
        req = urllib.request.Request(f"{metrics}/admin/tenants",
                                     headers={"Authorization": f"Bearer {admin_token}"})
        with urllib.request.urlopen(req, timeout=5) as r:
            body = r.read().decode()
        if '"acme"' not in body or '"directory"' not in body:
            return f"FAIL: the admin view does not list tenant acme from the directory: {body[:300]}"
        return "ok: the tenants directory from the Secret is read; the admin view lists it"
    return _run_with(rendered, split_docs, secrets, probe)


def run_webhook_tenant(rendered, split_docs, key, secret_name):
    """A tenant with webhookUrl and its Secret's webhook_secret: the gateway starts with the
    chart's WEBHOOK_URL / WEBHOOK_SECRET_FILE and the tenant's deliveries API answers (409
    webhook_not_configured would mean the wiring is lost)."""
    secrets = [_secret(secret_name, {"client_id": "acme-client", "client_secret": "s3cret",
                                     "webhook_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})]

    def probe(base, _):
        failed = _keys_work(base, key)
        if failed:
            return failed
        status = _get(f"{base}/v1/webhook-deliveries", key)
        if status != 200:
            return f"FAIL: GET /v1/webhook-deliveries answered {status}, not 200: the webhook is not configured"
        return "ok: the tenant's webhook URL and signing secret reach the gateway"
    return _run_with(rendered, split_docs, secrets, probe)


def _run_with(rendered, split_docs, secrets, probe):
    binary = _binary()
    if not binary:
        return "skipped: no built binary"
    objs = [o for _, _, o in split_docs(rendered)] + secrets
    with tempfile.TemporaryDirectory() as workdir:
        try:
            env, _ = _pod_environment(objs, workdir)
        except (KeyError, ValueError) as e:
            return f"FAIL: cannot rebuild the pod's environment from the render: {e!r}"
        return _serve(binary, env, workdir, probe)


def _get_ready(base):
    try:
        return _get(base + "/readyz", None)
    except (urllib.error.URLError, ConnectionError, socket.timeout):
        return 0


def scrape_metrics(rendered, split_docs):
    """(message, /metrics text) of the binary run as the chart's default install, after one
    API call that reaches Urssaf (the simulator), so that request, Urssaf, token and breaker
    series exist. The text is None when skipped or failed."""
    binary = _binary()
    if not binary:
        return "skipped: no target/{release,debug}/urssaf-gateway (cargo build) nor $URSSAF_GATEWAY_BIN", None
    objs = [o for _, _, o in split_docs(rendered)]
    scraped = {}

    def probe(base, metrics):
        failed = _keys_work(base, key)
        if failed:
            return failed
        with urllib.request.urlopen(f"{metrics}/metrics", timeout=5) as r:
            scraped["text"] = r.read().decode()
        return f"ok: scraped {metrics}/metrics of {binary}"
    with tempfile.TemporaryDirectory() as workdir:
        try:
            env, key = _pod_environment(objs, workdir)
        except (KeyError, ValueError) as e:
            return f"FAIL: cannot rebuild the pod's environment from the render: {e!r}", None
        msg = _serve(binary, env, workdir, probe)
    return msg, scraped.get("text")
