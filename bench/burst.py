#!/usr/bin/env python3
"""N concurrent GETs released at the same instant (standard library only).

Usage: burst.py URL BEARER N
Opens N connections first, then sends all N requests together, so a fresh gateway sees them
all before its first token fetch can finish. Prints "ok=<2xx> other=<non-2xx or failed>
p50_ms=<median answer time> max_ms=<last answer>" (from the release) and a "status:count" line.
"""

import asyncio
import sys
import time
from collections import Counter
from urllib.parse import urlsplit


async def one(host, port, request, go, started):
    reader, writer = await asyncio.open_connection(host, port)
    await go.wait()
    writer.write(request)
    await writer.drain()
    head = await reader.readline()
    await reader.read()  # Connection: close, so the answer ends at EOF
    writer.close()
    parts = head.split()
    status = parts[1].decode() if len(parts) > 1 else "none"
    return status, time.monotonic() - started[0]


async def main(url, bearer, n):
    u = urlsplit(url)
    path = u.path + ("?" + u.query if u.query else "")
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nAuthorization: Bearer {bearer}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    go = asyncio.Event()
    started = [0.0]
    tasks = [
        asyncio.create_task(one(u.hostname, u.port or 80, request, go, started))
        for _ in range(n)
    ]
    await asyncio.sleep(0.5)  # let every connection open before the release
    started[0] = time.monotonic()
    go.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    statuses = Counter(r[0] if isinstance(r, tuple) else "error" for r in results)
    times = [r[1] for r in results if isinstance(r, tuple)]
    ok = sum(c for s, c in statuses.items() if s.startswith("2"))
    times.sort()
    p50 = times[len(times) // 2] * 1000 if times else 0.0
    last = times[-1] * 1000 if times else 0.0
    print(f"ok={ok} other={n - ok} p50_ms={p50:.0f} max_ms={last:.0f}")
    print(" ".join(f"{s}:{c}" for s, c in sorted(statuses.items())))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
