"""SIGTERM during reads: is every request written on a connection answered?

CONNS keep-alive connections each send reads one after another. A "balancer" thread polls
/readyz every 100 ms and, once the gateway says not ready, no new connection is opened (what a
Kubernetes Service does when the endpoint leaves); connections already open keep being used
until the gateway closes them (after a `Connection: close` answer, or by dropping them).
A request written and then met by the end of the connection instead of an answer is LOST.

Usage: sigterm.py GW_PORT GW_PID API_KEY CLIENT_ID [CONNS=32] [LOAD_BEFORE_S=3] [MAX_S=60]"""

import os
import signal
import socket
import sys
import threading
import time
from collections import Counter

from rawhttp import Closed, Reader, connect, get, request_bytes

port, pid, key, client = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
conns = int(sys.argv[5]) if len(sys.argv) > 5 else 32
before = float(sys.argv[6]) if len(sys.argv) > 6 else 3.0
max_s = float(sys.argv[7]) if len(sys.argv) > 7 else 60.0
REQ = request_bytes("GET", f"/v1/clients/{client}", [("Authorization", f"Bearer {key}")])

ready = threading.Event()
ready.set()
lock = threading.Lock()
c = Counter()
deadline = time.monotonic() + before + max_s


def count(k, n=1):
    with lock:
        c[k] += n


def balancer():
    while ready.is_set() and time.monotonic() < deadline:
        status, _ = get(port, "/readyz", timeout=2)
        if status != 200:
            ready.clear()
        time.sleep(0.1)


def worker():
    sock = reader = None
    fresh = True
    while time.monotonic() < deadline:
        if sock is None:
            if not ready.is_set():
                return
            try:
                sock = connect(port, timeout=30)
            except OSError:
                count("connect refused (nothing sent)")
                return
            reader, fresh = Reader(sock), True
        try:
            sock.sendall(REQ)
        except OSError:
            count("write failed: connection already closed by the server")
            sock.close()
            sock = None
            continue
        count("sent")
        try:
            status, headers, _ = reader.response()
        except (Closed, socket.timeout, OSError):
            count("LOST on a fresh connection" if fresh else "LOST on a kept-alive connection")
            sock.close()
            sock = None
            continue
        count(f"answered {status}")
        if not ready.is_set():
            count("answered during the drain")
            if headers.get("connection", "").lower() == "close":
                count("answered during the drain with Connection: close")
        fresh = False
        if headers.get("connection", "").lower() == "close":
            sock.close()
            sock = None


threading.Thread(target=balancer, daemon=True).start()
workers = [threading.Thread(target=worker) for _ in range(conns)]
for w in workers:
    w.start()
time.sleep(before)
with lock:
    at_signal = c["sent"]
os.kill(pid, signal.SIGTERM)
signalled = time.monotonic()
if os.environ.get("CHAOS_SIGNAL_FILE"):
    with open(os.environ["CHAOS_SIGNAL_FILE"], "w") as f:
        f.write(f"{time.time():.3f}\n")
for w in workers:
    w.join()
print(f"  {conns} keep-alive connections, SIGTERM after {before:.0f} s ({at_signal} requests sent by then); "
      f"clients done {time.monotonic() - signalled:.1f} s after SIGTERM")
lost = c["LOST on a fresh connection"] + c["LOST on a kept-alive connection"]
for k in sorted(c):
    print(f"    {k}: {c[k]}")
print(f"  requests sent and never answered: {lost}")
