"""Breaker open, then traffic idle: does it leave the open state on time (without traffic),
and are the first concurrent reads after the open period served?

Usage: breaker.py GW_PORT SIM_PORT API_KEY CLIENT_ID OPEN_SECONDS [CONCURRENT=8]"""

import http.client
import json
import sys
import threading
import time
import urllib.request

from rawhttp import get, metric

gw, sim, key, client, open_s = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
concurrent = int(sys.argv[6]) if len(sys.argv) > 6 else 8
path = f"/v1/clients/{client}"
STATE_LABELS = ("closed", "half_open", "open")


def faults(body):
    req = urllib.request.Request(f"http://127.0.0.1:{sim}/__admin/faults", data=json.dumps(body).encode(),
                                 method="PUT", headers={"content-type": "application/json"})
    urllib.request.urlopen(req, timeout=5).read()


def metrics():
    status, text = get(gw, "/metrics")
    return text if status == 200 else ""


def state():
    # State-set style: one series per state, 1 for the current one.
    text = metrics()
    on = [s for s in STATE_LABELS if metric(text, "urssaf_gateway_urssaf_breaker_state", state=s) == 1]
    return on[0] if on else None


def fast_fails():
    return metric(metrics(), "urssaf_gateway_urssaf_requests_total", operation="client_status", outcome="breaker_open") or 0


def read(conn):
    conn.request("GET", path, headers={"Authorization": f"Bearer {key}"})
    r = conn.getresponse()
    r.read()
    return r.status


# 1. Urssaf fails every call; reads until the breaker opens (fast 503s counted by the gateway).
faults({"error_503_rate": 1.0})
stop = threading.Event()
sent = [0]


def hammer():
    conn = http.client.HTTPConnection("127.0.0.1", gw, timeout=30)
    while not stop.is_set():
        try:
            read(conn)
            sent[0] += 1
        except (OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", gw, timeout=30)


before = fast_fails()
t0 = time.monotonic()
workers = [threading.Thread(target=hammer) for _ in range(8)]
for w in workers:
    w.start()
opened = None
while time.monotonic() - t0 < 60:
    if fast_fails() > before or state() == "open":
        opened_at = time.monotonic()
        opened = opened_at - t0
        break
    time.sleep(0.05)
stop.set()
for w in workers:
    w.join()
quiet = time.monotonic()
if opened is None:
    print("  the breaker did not open within 60 s of 100 % failures")
    sys.exit(0)
print(f"  Urssaf failing every call: breaker open after {opened:.1f} s ({sent[0]} reads sent)")

# 2. Urssaf is healthy again; no traffic at all for the open period (+0.5 s), watching the state.
faults({})
seen_half_open = None
while time.monotonic() - quiet < open_s + 0.5:
    if seen_half_open is None and state() == "half_open":
        seen_half_open = time.monotonic() - opened_at
    time.sleep(0.1)
st = state()
if st is None:
    print("  state metric urssaf_gateway_urssaf_breaker_state: absent")
else:
    when = f"{seen_half_open:.1f} s" if seen_half_open is not None else "never"
    print(f"  no traffic: half_open reached {when} after the open state was seen (open period {open_s:.0f} s); "
          f"state {open_s + 0.5:.1f} s after the last call: {st}")

# 3. The first reads after the open period arrive together.
conns = [http.client.HTTPConnection("127.0.0.1", gw, timeout=30) for _ in range(concurrent)]
for c in conns:
    c.connect()
barrier = threading.Barrier(concurrent)
statuses = [None] * concurrent


def first(i):
    barrier.wait()
    try:
        statuses[i] = read(conns[i])
    except (OSError, http.client.HTTPException) as e:
        statuses[i] = f"error {e}"


threads = [threading.Thread(target=first, args=(i,)) for i in range(concurrent)]
for t in threads:
    t.start()
for t in threads:
    t.join()
ok = sum(1 for s in statuses if s == 200)
print(f"  {concurrent} concurrent first reads after the open period: {ok} answered 200, "
      f"{concurrent - ok} not ({', '.join(str(s) for s in statuses if s != 200) or 'none'})")
time.sleep(0.2)
after = state()
conn = http.client.HTTPConnection("127.0.0.1", gw, timeout=30)
later = [read(conn) for _ in range(20)]
print(f"  state after them: {after if after is not None else 'n/a'}; the next 20 reads: "
      f"{sum(1 for s in later if s == 200)} × 200")
