"""Authenticated POSTs whose body does not arrive: `Content-Length: 100` then nothing, and the
same body at 1 byte per second. How long until the gateway answers or closes, and with what?

Usage: stall.py GW_PORT API_KEY [MAX_WAIT_S=60]"""

import socket
import sys
import threading
import time

from rawhttp import Closed, Reader, connect

port, key = int(sys.argv[1]), sys.argv[2]
max_wait = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
HEAD = ("POST /v1/payment-requests HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n").encode()
results = {}


def run(name, trickle):
    sock = connect(port, timeout=max_wait)
    sock.sendall(HEAD)
    started = time.monotonic()
    outcome = []

    def read():
        try:
            status, headers, body = Reader(sock).response()
            outcome.append(f"answered {status} {headers.get('content-type', '')} "
                           f"code={_code(body)} connection={headers.get('connection', 'keep-alive')}")
        except socket.timeout:
            outcome.append("no answer, connection still open")
        except (Closed, OSError) as e:
            outcome.append(f"closed without an answer ({e})")

    reader = threading.Thread(target=read)
    reader.start()
    sent = 0
    while reader.is_alive() and time.monotonic() - started < max_wait:
        if trickle and sent < 99:  # never completes the 100 bytes within the wait
            try:
                sock.send(b" ")
                sent += 1
            except OSError:
                break
        reader.join(timeout=1.0)
    reader.join(timeout=0.1)
    elapsed = time.monotonic() - started
    if reader.is_alive() or not outcome:
        results[name] = f"still open after {max_wait:.0f} s (gave up waiting), {sent} body bytes sent"
    else:
        results[name] = f"{outcome[0]} after {elapsed:.1f} s, {sent} body bytes sent"
    sock.close()


def _code(body):
    import json
    try:
        return json.loads(body).get("code")
    except ValueError:
        return None


threads = [threading.Thread(target=run, args=("Content-Length: 100, then nothing", False)),
           threading.Thread(target=run, args=("Content-Length: 100 at 1 byte/s", True))]
for t in threads:
    t.start()
for t in threads:
    t.join()
for name in sorted(results):
    print(f"  {name}: {results[name]}")
