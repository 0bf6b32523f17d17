"""HTTP/1.1 over plain sockets, so a client can tell exactly what happened on each connection:
a request written and then the connection closed without an answer is visible here, where
higher-level clients retry or hide it."""

import re
import socket
import urllib.request


class Closed(Exception):
    """The connection ended before a complete answer."""


def connect(port, timeout=30.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def request_bytes(method, path, headers=(), body=b""):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _more(self):
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError) as e:
            raise Closed(str(e))
        if not chunk:
            raise Closed("eof")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._more()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exactly(self, n):
        while len(self.buf) < n:
            self._more()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def response(self):
        """(status, headers as a lower-cased dict, body); raises Closed."""
        status_line = self._line()
        m = re.match(rb"HTTP/1\.[01] (\d{3})", status_line)
        if not m:
            raise Closed(f"bad status line {status_line!r}")
        status = int(m.group(1))
        headers = {}
        while True:
            line = self._line()
            if not line:
                break
            k, _, v = line.partition(b":")
            headers[k.strip().lower().decode()] = v.strip().decode()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    self._line()
                    break
                body += self._exactly(size)
                self._line()
        else:
            body = self._exactly(int(headers.get("content-length", "0")))
        return status, headers, body


def get(port, path, timeout=5.0):
    """One request on a fresh connection: (status, body); (None, error) when unreachable."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return None, str(e)


def metric(text, name, **labels):
    """Sum of the samples of `name` whose labels include `labels`; None when absent."""
    total, seen = 0.0, False
    for line in text.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        if head != name and not head.startswith(name + "{"):
            continue
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
            seen = True
    return total if seen else None
