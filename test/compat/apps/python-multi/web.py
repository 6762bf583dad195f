"""The web process: the standard library's HTTP server on $PORT."""
import http.server
import os
import signal
import sys


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"Hello from python-multi, {os.environ.get('RELEASE_VERSION', 'unknown release')}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
port = int(os.environ.get("PORT", "5000"))
print(f"python-multi web listening on {port}", flush=True)
http.server.HTTPServer(("", port), Hello).serve_forever()
