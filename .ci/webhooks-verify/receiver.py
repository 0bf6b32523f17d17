"""A webhook receiver that checks each request with the Standard Webhooks Python library.

    receiver.py SECRET PORT_FILE LOG_FILE

Answers 204 to a request whose signature verifies and 400 otherwise; writes one JSON line per
request (ok, id, error, the headers and the body in base64) to LOG_FILE, and the port it
listens on to PORT_FILE.
"""

import base64
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

secret, port_file, log_file = sys.argv[1:4]
webhook = Webhook(secret)
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            webhook.verify(body, headers)
            ok, error = True, None
        except Exception as e:  # any refusal is recorded, the request answered 400
            ok, error = False, f"{type(e).__name__}: {e}"
        with lock, open(log_file, "a", encoding="utf-8") as log:
            log.write(json.dumps({
                "ok": ok,
                "id": headers.get("webhook-id"),
                "error": error,
                "headers": {k: headers.get(k) for k in ("webhook-id", "webhook-timestamp", "webhook-signature")},
                "body": base64.b64encode(body).decode(),
            }) + "\n")
        self.send_response(204 if ok else 400)
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file, "w", encoding="utf-8") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
