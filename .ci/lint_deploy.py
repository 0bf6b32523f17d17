"""Helm lint, render, schema checks, doc examples, alerts and manifest drift, offline.

Run by .ci/lint-deploy inside its tool virtualenv (see there); not on its own.
"""
import copy
import difflib
import glob
import io
import os
import re
import sys

import yaml
import helm_python as helm
import kubernetes_validate as kv
import promql_parser

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import helm_examples  # noqa: E402
import demo_smoke  # noqa: E402
import chart_readme  # noqa: E402

CHART = "deploy/helm/urssaf-gateway"
MANIFEST_VALUES = "deploy/manifests/values.yaml"
MANIFEST_OUT = "deploy/manifests/urssaf-gateway.yaml"
DOCS = ["README.md", "docs/deploy.md"]
RELEASE = "urssaf-gateway"
NAMESPACE = "urssaf-gateway"
K8S_VERSIONS = ["1.30.0", kv.latest_version()]
# Install order for the committed plain manifests.
KIND_ORDER = ["NetworkPolicy", "ServiceAccount", "Secret", "ConfigMap", "Service",
              "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress",
              "HTTPRoute", "ServiceMonitor", "PrometheusRule"]
DASHBOARD = f"{CHART}/dashboards/urssaf-gateway.json"
# The gateway's own metric names start with this; alerts and the dashboard may only use names
# the binary exports (GATEWAY_METRICS, filled from its /metrics below).
METRIC_PREFIX = "urssaf_gateway_"
# Exported only in some set-ups, so absent from the scrape of the chart's default install.
CONDITIONAL_METRICS = {"urssaf_gateway_redis_up": "registered only when Redis is configured",
                       "urssaf_gateway_webhook_pending": "one series per tenant with a webhook, only with metrics.perTenantLabels"}
GATEWAY_METRICS = set()
ALERTS = {"UrssafGatewayBreakerOpen", "UrssafGatewayTokenFetchFailing", "UrssafGatewayUrssafErrors",
          "UrssafGatewayHttp5xx", "UrssafGatewayRedisDown", "UrssafGatewayReconciliationFailing",
          "UrssafGatewayVersionSkew"}

failures = []
if os.environ.get("LINT_DEPLOY_HADOLINT") != "ok":
    failures.append("Dockerfile (hadolint, base image pins)")


def fail(msg):
    failures.append(msg)
    print(f"FAIL: {msg}")


def section(title):
    print(f"\n==> {title}", flush=True)


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (PyYAML keeps the last)."""


def _mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_values(path):
    with open(path) as f:
        return yaml.load(f, Loader=UniqueKeyLoader) or {}


def deep_merge(base, over):
    """Helm's coalescing for -f layers: maps merge, everything else replaces."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def example_values(example):
    values = {}
    for kind, payload in example.layers:
        if kind == "file":
            layer = yaml.load(payload, Loader=UniqueKeyLoader) or {}
        elif kind == "set":
            layer = helm.parse_set_string(payload)
        elif kind == "set-string":
            layer = helm.parse_set_string_values(payload)
        else:
            layer = helm.parse_set_json(payload)
        values = deep_merge(values, layer)
    return values


def render(values):
    """Schema-validate values and render; returns {template path: text}."""
    with helm.Chart.load(CHART) as chart:
        chart.validate_schema(values)
        return chart.render(values, name=RELEASE, namespace=NAMESPACE,
                            is_install=True, revision=1)


def split_docs(rendered):
    """[(source, raw text, object)] for every non-empty YAML document."""
    docs = []
    for source in sorted(rendered):
        if not source.endswith((".yaml", ".yml")):
            continue
        for raw in re.split(r"^---\s*$", rendered[source], flags=re.M):
            obj = yaml.load(raw, Loader=UniqueKeyLoader)
            if obj is None:
                continue
            docs.append((source, raw.strip("\n"), obj))
    return docs


# ---------------------------------------------------------------- CRDs (no bundled schema)
def check_servicemonitor(obj):
    spec = obj.get("spec") or {}
    assert isinstance(spec.get("selector", {}).get("matchLabels"), dict), "spec.selector.matchLabels missing"
    eps = spec.get("endpoints")
    assert isinstance(eps, list) and eps, "spec.endpoints empty"
    for ep in eps:
        unknown = set(ep) - {"port", "path", "interval", "scrapeTimeout", "scheme",
                             "relabelings", "metricRelabelings", "honorLabels"}
        assert not unknown, f"unknown endpoint fields {sorted(unknown)}"
        assert ep.get("port"), "endpoint port missing"
        for field in ("relabelings", "metricRelabelings"):
            for r in ep.get(field) or []:
                assert isinstance(r, dict) and set(r) <= {
                    "sourceLabels", "separator", "targetLabel", "regex", "modulus",
                    "replacement", "action"}, f"{field}: not a RelabelConfig: {r}"


def _metric_names(expr):
    names = set()

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)
        for attr in ("expr", "lhs", "rhs", "vector_selector", "param"):
            child = getattr(node, attr, None)
            if isinstance(child, promql_parser.Expr):
                visit(child)
        for child in getattr(node, "args", None) or []:
            if isinstance(child, promql_parser.Expr):
                visit(child)
    visit(expr)
    return names


def exported_names(text):
    """Metric names in a Prometheus text exposition, histogram series (_bucket, _sum, _count)
    included."""
    names = set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[:2] == ["#", "TYPE"]:
            names.add(parts[2])
            if parts[3] in ("histogram", "summary"):
                names |= {parts[2] + s for s in ("_bucket", "_sum", "_count")}
    return names


def unknown_metrics(expr):
    """Gateway metric names an expression uses that the binary does not export."""
    return {m for m in _metric_names(promql_parser.parse(expr))
            if m.startswith(METRIC_PREFIX)} - GATEWAY_METRICS


def check_dashboard(path):
    """Every panel query parses as PromQL (Grafana's variables given sample values) and uses
    only exported metric names; returns the names used."""
    import json
    with open(path) as f:
        dash = json.load(f)
    used, n = set(), 0
    for panel in dash.get("panels", []):
        for t in panel.get("targets", []):
            expr = (t["expr"].replace("$__rate_interval", "5m").replace("${job}", "x")
                    .replace("$job", "x"))
            n += 1
            try:
                parsed = promql_parser.parse(expr)
            except ValueError as e:
                fail(f"{path}: panel {panel.get('title')!r}: PromQL does not parse: {e}: {expr}")
                continue
            names = {m for m in _metric_names(parsed) if m.startswith(METRIC_PREFIX)}
            used |= names
            for m in sorted(names - GATEWAY_METRICS):
                fail(f"{path}: panel {panel.get('title')!r} uses {m}, which the binary does not export")
    for var in dash.get("templating", {}).get("list", []):
        q = var.get("definition") or ""
        for m in re.findall(r"\b" + METRIC_PREFIX + r"[a-z0-9_]+", q):
            used.add(m)
            if m not in GATEWAY_METRICS:
                fail(f"{path}: variable {var.get('name')!r} uses {m}, which the binary does not export")
    print(f"{path}: {n} queries, {len(used)} gateway metrics, all exported")
    return used


def check_prometheusrule(obj):
    groups = (obj.get("spec") or {}).get("groups")
    assert isinstance(groups, list) and groups, "spec.groups empty"
    seen = set()
    for g in groups:
        assert set(g) <= {"name", "interval", "rules", "limit", "partial_response_strategy"}, \
            f"unknown group fields {sorted(set(g) - {'name', 'interval', 'rules'})}"
        assert g.get("name") and isinstance(g.get("rules"), list) and g["rules"], "group needs name and rules"
        for r in g["rules"]:
            name = r.get("alert") or r.get("record")
            assert name and ("alert" in r) != ("record" in r), f"rule needs exactly one of alert/record: {r}"
            assert set(r) <= {"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}, \
                f"{name}: unknown rule fields"
            try:
                parsed = promql_parser.parse(r["expr"])
            except ValueError as e:
                raise AssertionError(f"{name}: PromQL does not parse: {e}: {r['expr']}")
            unknown = {m for m in _metric_names(parsed) if m.startswith(METRIC_PREFIX)} - GATEWAY_METRICS
            assert not unknown, f"{name}: unknown gateway metrics {sorted(unknown)}"
            if "for" in r:
                assert re.fullmatch(r"([0-9]+(ms|s|m|h|d|w|y))+", str(r["for"])), f"{name}: bad for: {r['for']}"
            if "alert" in r:
                seen.add(name)
                ann = r.get("annotations") or {}
                assert ann.get("summary") and ann.get("description"), f"{name}: summary/description missing"
                assert (r.get("labels") or {}).get("severity"), f"{name}: severity label missing"
    return seen


def check_httproute(obj):
    spec = obj.get("spec") or {}
    assert set(spec) <= {"parentRefs", "hostnames", "rules"}, f"unknown spec fields {sorted(spec)}"
    refs = spec.get("parentRefs")
    assert isinstance(refs, list) and refs and all(isinstance(p, dict) and p.get("name") for p in refs), \
        "spec.parentRefs needs named entries"
    for rule in spec.get("rules") or []:
        backends = rule.get("backendRefs") or []
        assert backends and all(b.get("name") and isinstance(b.get("port"), int) for b in backends), \
            "rules[].backendRefs need name and port"


CRDS = {("monitoring.coreos.com/v1", "ServiceMonitor"): check_servicemonitor,
        ("monitoring.coreos.com/v1", "PrometheusRule"): check_prometheusrule,
        ("gateway.networking.k8s.io/v1", "HTTPRoute"): check_httproute}


# ---------------------------------------------------------------- the chart's own promises
def check_pod_hardening(obj, where, configmaps):
    """Restricted PSS, probes, graceful stop budget (the gateway container)."""
    if obj["kind"] != "Deployment":
        return
    pod = obj["spec"]["template"]["spec"]
    psc = pod.get("securityContext", {})
    if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        fail(f"{where}: pod seccompProfile must be RuntimeDefault")
    if pod.get("automountServiceAccountToken") is not False:
        fail(f"{where}: automountServiceAccountToken must be false")
    gateway = [c for c in pod["containers"] if c["name"] == "gateway"]
    if len(gateway) != 1:
        fail(f"{where}: exactly one container must be named gateway")
        return
    c = gateway[0]
    sc = c.get("securityContext", {})
    want = {"runAsNonRoot": True, "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False}
    for k, v in want.items():
        if sc.get(k) is not v:
            fail(f"{where}: container gateway securityContext.{k} must be {v}")
    if sc.get("runAsUser", psc.get("runAsUser")) != 65532:
        fail(f"{where}: container gateway must run as uid 65532")
    if "ALL" not in sc.get("capabilities", {}).get("drop", []):
        fail(f"{where}: container gateway must drop ALL capabilities")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        if probe not in c:
            fail(f"{where}: container gateway has no {probe}")
    if not c.get("resources", {}).get("limits"):
        fail(f"{where}: container gateway has no resource limits")
    pre = c.get("lifecycle", {}).get("preStop", {})
    if "exec" in pre:
        fail(f"{where}: preStop must use the native sleep action (no shell in the image)")
    sleep = pre.get("sleep", {}).get("seconds", 0)
    cm_env = configmaps.get(c["envFrom"][0]["configMapRef"]["name"], {}) if c.get("envFrom") else {}
    drain = int(cm_env.get("GATEWAY__SERVER__DRAIN_SECONDS", 5))
    shutdown = int(cm_env.get("GATEWAY__SERVER__SHUTDOWN_TIMEOUT_SECONDS", 25))
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace <= sleep + drain + shutdown:
        fail(f"{where}: terminationGracePeriodSeconds {grace} <= preStop {sleep} + drain {drain} + shutdown {shutdown}")
    for e in c.get("env") or []:
        if "SECRET" in e["name"] and "value" in e and not e["name"].endswith("_FILE"):
            fail(f"{where}: {e['name']} holds a secret in plain env")
    replicas = obj["spec"].get("replicas")
    if cm_env.get("GATEWAY__UPSTREAM__ENVIRONMENT") == "embedded" and "GATEWAY__UPSTREAM__BASE_URL" not in cm_env \
            and replicas != 1:
        fail(f"{where}: embedded simulator with replicas={replicas}: pods would disagree")


def validate_docs(docs, label):
    configmaps = {}
    for _, _, obj in docs:
        if obj.get("kind") == "ConfigMap":
            configmaps[obj["metadata"]["name"]] = obj.get("data", {})
            for k in obj.get("data", {}):
                if re.search(r"CLIENT_SECRET$|REDIS__URL$|ENCRYPTION_KEY$", k):
                    fail(f"{label}: ConfigMap carries secret key {k}")
    n = 0
    for source, _, obj in docs:
        where = f"{label}: {obj.get('kind')}/{obj.get('metadata', {}).get('name')} ({source})"
        check = CRDS.get((obj.get("apiVersion"), obj.get("kind")))
        if check:
            try:
                assert obj.get("metadata", {}).get("name"), "metadata.name missing"
                check(obj)
            except AssertionError as e:
                fail(f"{where}: {e}")
            continue
        for version in K8S_VERSIONS:
            try:
                kv.validate(obj, version, strict=True)
            except kv.ValidationError as e:
                path = "/".join(str(p) for p in e.path)
                fail(f"{where}: k8s {version}: {path}: {e.message}")
            except kv.SchemaNotFoundError:
                fail(f"{where}: k8s {version}: no schema for {obj.get('apiVersion')} {obj.get('kind')}")
        check_pod_hardening(obj, where, configmaps)
        n += 1
    print(f"{label}: {len(docs)} objects, {n} validated against Kubernetes {', '.join(K8S_VERSIONS)} (strict)")


def render_and_validate(values, label):
    try:
        docs = split_docs(render(values))
    except Exception as e:  # HelmValuesError, HelmRenderError, YAML errors
        fail(f"render [{label}]: {type(e).__name__}: {str(e).strip().splitlines()[-1]}")
        return None
    validate_docs(docs, label)
    return docs


# ---------------------------------------------------------------- 2. metric names, chart README
section("metric names the binary exports (its /metrics, run as the chart's default install)")
# Where the metrics are declared: src/metrics.rs and the files of src/metrics/.
METRICS_SOURCE = "".join(open(p).read() for p in ["src/metrics.rs", *sorted(glob.glob("src/metrics/*.rs"))])
msg, text = demo_smoke.scrape_metrics(render({}), split_docs)
print(msg)
if msg.startswith("FAIL"):
    fail(msg[6:])
if text:
    GATEWAY_METRICS |= exported_names(text)
else:
    # No binary: the names registered in the source, so that typos are still caught.
    GATEWAY_METRICS |= set(re.findall(r'"(' + METRIC_PREFIX + r'[a-z0-9_]+)"', METRICS_SOURCE))
    GATEWAY_METRICS |= {n + s for n in set(GATEWAY_METRICS) for s in ("_bucket", "_sum", "_count")}
for name, why in CONDITIONAL_METRICS.items():
    if f'"{name}"' not in METRICS_SOURCE:
        fail(f"CONDITIONAL_METRICS: {name} is not in src/metrics.rs or src/metrics/ any more")
    GATEWAY_METRICS.add(name)
print(f"{len([m for m in GATEWAY_METRICS if m.startswith(METRIC_PREFIX)])} gateway metric names "
      f"({', '.join(f'{k}: {v}' for k, v in CONDITIONAL_METRICS.items())})")
check_dashboard(DASHBOARD)

section(f"{chart_readme.README} generated from values.yaml")
fresh_readme = chart_readme.render()
current_readme = open(chart_readme.README).read() if os.path.exists(chart_readme.README) else None
if os.environ.get("LINT_DEPLOY_UPDATE") == "1" and current_readme != fresh_readme:
    with open(chart_readme.README, "w") as f:
        f.write(fresh_readme)
    print(f"rewrote {chart_readme.README}")
elif current_readme != fresh_readme:
    diff = difflib.unified_diff((current_readme or "").splitlines(True), fresh_readme.splitlines(True),
                                chart_readme.README + " (committed)", chart_readme.README + " (generated)")
    sys.stdout.writelines(list(diff)[:40])
    fail(f"{chart_readme.README} is stale: run .ci/lint-deploy --update (or python3 .ci/chart_readme.py --write)")
else:
    print("ok")

# ---------------------------------------------------------------- 3. helm lint
section("helm lint (strict)")
scenarios = sorted(glob.glob(f"{CHART}/ci/*-values.yaml"))
if not scenarios:
    fail(f"no {CHART}/ci/*-values.yaml scenario files")
for values_file in [None] + scenarios:
    label = os.path.basename(values_file) if values_file else "chart defaults"
    values = load_values(values_file) if values_file else None
    report = helm.lint(CHART, values, strict=True)
    problems = [m for m in report.get("messages", []) if m["severity"] >= 2]
    for m in problems:
        fail(f"helm lint [{label}] {m['path']}: {m['error']}")
    for e in report.get("errors") or []:
        fail(f"helm lint [{label}]: {e}")
    infos = [m["error"] for m in report.get("messages", []) if m["severity"] < 2]
    print(f"{label}: {'ok' if not problems and not report.get('errors') else 'FAILED'}"
          + (f" (info: {'; '.join(infos)})" if infos else ""))

# ---------------------------------------------------------------- 3+4. values files under deploy/
section("values files under deploy/: helm template + Kubernetes schema validation")
values_files = sorted(set(glob.glob("deploy/**/*values*.yaml", recursive=True)))
alerts_seen = set()
for values_file in values_files:
    docs = render_and_validate(load_values(values_file), values_file)
    for _, _, obj in docs or []:
        if obj.get("kind") == "PrometheusRule":
            alerts_seen |= check_prometheusrule(obj) & ALERTS
for missing in sorted(ALERTS - alerts_seen):
    fail(f"alert {missing} is never rendered by a values file under deploy/")

section("examples in " + " and ".join(DOCS))
with helm.Chart.load(CHART) as chart:
    chart_keys = set(chart.values)
examples, problems = helm_examples.find(".", DOCS, chart_keys)
for p in problems:
    fail(p)
per_doc = {d: 0 for d in DOCS}
for ex in examples:
    per_doc[ex.where.split(":")[0]] += 1
    try:
        values = example_values(ex)
    except Exception as e:
        fail(f"{ex.where}: values do not parse: {e}")
        continue
    render_and_validate(values, ex.where)
for doc, n in per_doc.items():
    if n == 0:
        fail(f"{doc}: no helm example found (the extractor may be broken)")

section("bad values must be refused")
HASH = "0" * 64
BAD = {  # what: (values, text the refusal must contain)
    "log.format not in enum": ({"log": {"format": "xml"}}, "/log/format"),
    "upstream.environment not in enum": ({"upstream": {"environment": "prod"}}, "/upstream/environment"),
    "replicaCount as string": ({"replicaCount": "2"}, "/replicaCount"),
    "unknown top-level key": ({"replicas": 3}, "'replicas' not allowed"),
    "tenant id with upper case": ({"tenants": {"Acme": {"existingSecret": "a", "apiKeyHashes": [HASH]}}}, "'Acme'"),
    "tenant without credentials": ({"tenants": {"acme": {"apiKeyHashes": [HASH]}}}, "/tenants/acme"),
    "api key hash not sha256 hex": ({"tenants": {"acme": {"existingSecret": "a", "apiKeyHashes": ["abc"]}}}, "apiKeyHashes/0"),
    "tenant without api keys": ({"upstream": {"environment": "sandbox"}, "tenants": {"acme": {"existingSecret": "a"}}}, "no API key can act"),
    "grace period too short": ({"terminationGracePeriodSeconds": 30}, "terminationGracePeriodSeconds"),
    "production without tenants": ({"upstream": {"environment": "production"}}, "declare at least one tenant"),
    "sandbox without tenants": ({"upstream": {"environment": "sandbox"}}, "declare at least one tenant"),
    "embedded with 2 replicas": ({"replicaCount": 2}, "replicaCount 1"),
    "embedded with autoscaling": ({"autoscaling": {"enabled": True}}, "replicaCount 1"),
    "embedded tenant with 2 replicas": ({"replicaCount": 2, "upstream": {"environment": "sandbox"}, "tenants": {"acme": {
        "existingSecret": "a", "apiKeyHashes": [HASH], "environment": "embedded"}}}, "replicaCount 1"),
    "metrics port equals http port": ({"metrics": {"port": 8080}}, "metrics.port must differ"),
    "config key also a named value": ({"config": {"server": {"port": 9000}}}, "config.server.port is also set"),
    "secret in config": ({"config": {"tenants": {"x": {"client_secret": "s"}}}}, "config.tenants.x.client_secret"),
    "redis url in config": ({"config": {"redis": {"url": "redis://r:6379"}}}, "config.redis.url"),
    "redis urls in config": ({"config": {"redis": {"urls": "redis://r:6379"}}}, "config.redis.urls"),
    "redis mode not in enum": ({"redis": {"mode": "ring"}}, "/redis/mode"),
    "redis urls with credentials": ({"redis": {"mode": "cluster", "urls": ["redis://:pw@r:6379"]}}, "/redis/urls/0"),
    "redis url and urls": ({"redis": {"url": "redis://a:6379", "mode": "cluster", "urls": ["redis://b:6379"]}}, "set one"),
    "redis sentinel without master": ({"redis": {"mode": "sentinel", "urls": ["redis://s:26379"]}}, "redis.sentinelMaster"),
    "redis cluster without nodes": ({"redis": {"mode": "cluster"}}, "list the nodes"),
    "camelCase config section": ({"config": {"tokenSettings": {}}}, "'tokenSettings'"),
    "HTTPRoute without parentRefs": ({"httpRoute": {"enabled": True}}, "/httpRoute"),
    "admin view without metrics port": ({"metrics": {"port": None}, "admin": {"tokenHashes": [HASH]}}, "set metrics.port"),
    "admin token hash not sha256 hex": ({"admin": {"tokenHashes": ["x"]}}, "/admin/tokenHashes/0"),
    "two tenants directories": ({"tenantsDirectory": {"secrets": ["t"]}, "config": {"tenants_dir": "/t"}}, "config.tenants_dir and tenantsDirectory"),
    "search values above 1000": ({"limits": {"maxSearchValues": 5000}}, "/limits/maxSearchValues"),
    "inline webhook without secret": ({"tenants": {"acme": {"clientId": "c", "clientSecret": "s", "apiKeyHashes": [HASH],
        "webhookUrl": "https://h.example/x"}}}, "/tenants/acme"),
    "webhook secret not whsec_": ({"tenants": {"acme": {"clientId": "c", "clientSecret": "s", "apiKeyHashes": [HASH],
        "webhookUrl": "https://h.example/x", "webhookSecret": "hunter2"}}}, "/tenants/acme/webhookSecret"),
    "events poll interval zero": ({"events": {"pollIntervalSeconds": 0}}, "/events/pollIntervalSeconds"),
    "unknown alert disabled": ({"metrics": {"prometheusRule": {"disabled": ["Nope"]}}}, "prometheusRule/disabled"),
    "webhook egress port out of range": ({"networkPolicy": {"egress": {"webhookPorts": [0]}}}, "/networkPolicy/egress/webhookPorts/0"),
    "global.imageRegistry not a host": ({"global": {"imageRegistry": "https://r.example"}}, "/global/imageRegistry"),
}
for what, (values, expect) in BAD.items():
    try:
        render(values)
    except Exception as e:
        msg = str(e)
        if expect not in msg:
            fail(f"refused for another reason than expected ({what}): wanted {expect!r} in: {msg.strip()[-200:]}")
        else:
            print(f"refused ({what}): {msg.strip().splitlines()[-1].strip()[:110]}")
    else:
        fail(f"values.schema.json/templates accepted bad values: {what}")

section("chart default (+ a `config` file) and the real binary: the demo key is accepted")
# The config file is mounted and named by GATEWAY_CONFIG, as a gateway setting the chart
# does not name: the gateway must start with it.
msg = demo_smoke.run(render({"config": {"token": {"refresh_margin_seconds": 120}}}), split_docs)
if msg.startswith("FAIL"):
    fail(msg[6:])
else:
    print(msg)

section("tenants directory from a Secret, admin view and limits, with the real binary")
# admin token "foo": its SHA-256 is the hash below.
ADMIN_HASH = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
msg = demo_smoke.run_tenants_directory(render({
    "tenantsDirectory": {"secrets": ["urssaf-tenants"], "reloadSeconds": 1},
    "admin": {"tokenHashes": [ADMIN_HASH]},
    "limits": {"tenantConcurrency": 32, "maxSearchValues": 50},
    "check": {"intervalSeconds": 0, "concurrency": 4},
}), split_docs, "foo")
if msg.startswith("FAIL"):
    fail(msg[6:])
else:
    print(msg)

section("a tenant's webhook from its Secret, with the real binary")
msg = demo_smoke.run_webhook_tenant(render({
    "tenants": {"acme": {"existingSecret": "acme-urssaf", "environment": "embedded", "apiKeyHashes": [ADMIN_HASH],
                         "webhookUrl": "http://127.0.0.1:9/hooks"}},
    "events": {"pollIntervalSeconds": 60, "sweepIntervalSeconds": 3600, "lookbackDays": 30, "retentionDays": 3,
               "allowPrivateTargets": True, "webhookTimeoutSeconds": 5, "webhookMaxConcurrent": 2, "enabled": True},
}), split_docs, "foo", "acme-urssaf")
if msg.startswith("FAIL"):
    fail(msg[6:])
else:
    print(msg)

# ---------------------------------------------------------------- 5. plain manifests
section(f"{MANIFEST_OUT} up to date")
try:
    docs = split_docs(render(load_values(MANIFEST_VALUES)))
except Exception as e:
    fail(f"render [{MANIFEST_VALUES}]: {type(e).__name__}: {e}")
    docs = []
if docs:
    hooks = [d for d in docs if "helm.sh/hook" in (d[2].get("metadata", {}).get("annotations") or {})]
    docs = [d for d in docs if d not in hooks]
    unknown = {d[2]["kind"] for d in docs} - set(KIND_ORDER)
    if unknown:
        fail(f"add {sorted(unknown)} to KIND_ORDER in .ci/lint_deploy.py")
    docs.sort(key=lambda d: (KIND_ORDER.index(d[2]["kind"]) if d[2]["kind"] in KIND_ORDER else 99,
                             d[2]["metadata"]["name"]))
    out = io.StringIO()
    out.write("# Plain Kubernetes manifests for urssaf-gateway, for kustomize / GitOps users.\n"
              f"# GENERATED by `.ci/lint-deploy --update` from the Helm chart ({CHART})\n"
              f"# with {MANIFEST_VALUES} (release {RELEASE!r}, namespace {NAMESPACE!r}).\n"
              "# Do not edit: change the chart or the values file and re-render; CI fails on drift.\n")
    for source, raw, _ in docs:
        raw = "\n".join(line.rstrip() for line in raw.splitlines()).strip("\n")
        out.write(f"---\n# Source: {source}\n{raw}\n")
    fresh = out.getvalue()
    current = open(MANIFEST_OUT).read() if os.path.exists(MANIFEST_OUT) else None
    if os.environ.get("LINT_DEPLOY_UPDATE") == "1":
        if current != fresh:
            with open(MANIFEST_OUT, "w") as f:
                f.write(fresh)
            print(f"rewrote {MANIFEST_OUT}")
        else:
            print("already up to date")
    elif current != fresh:
        diff = difflib.unified_diff((current or "").splitlines(True), fresh.splitlines(True),
                                    MANIFEST_OUT + " (committed)", MANIFEST_OUT + " (fresh render)")
        sys.stdout.writelines(list(diff)[:80])
        fail(f"{MANIFEST_OUT} is stale: run .ci/lint-deploy --update and commit it")
    else:
        print("ok")

    kust = yaml.load(open("deploy/manifests/kustomization.yaml"), Loader=UniqueKeyLoader)
    for res in kust.get("resources", []):
        if not os.path.exists(os.path.join("deploy/manifests", res)):
            fail(f"deploy/manifests/kustomization.yaml: resource {res} does not exist")

print()
if failures:
    print(f"lint-deploy: {len(failures)} problem(s)")
    sys.exit(1)
print("lint-deploy: all checks passed")
