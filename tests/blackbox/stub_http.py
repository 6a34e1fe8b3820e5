"""Local HTTP(S) stub servers for tests of the node's HTTP client, webhooks and Telegram.

make_ca(dir) writes a throw-away CA and a server certificate for 127.0.0.1 with openssl.
StubServer runs a threaded http.server on a free loopback port (TLS when given a cert) that
records every request and answers:
  GET  /hello              200 "hello"
  ANY  /echo               200 JSON {"method", "path", "headers", "body"}
  GET  /status/<n>         status n
  GET  /slow/<ms>          200 after ms milliseconds
  GET  /big/<n>            200 with n bytes
  POST /hook...            200 "ok" (a webhook)
  /bot<token>/<method>     the Telegram Bot API: getMe, sendMessage, getUpdates (see Telegram)
Run standalone (the C unit test does): python3 stub_http.py <dir> prints
"<http_port> <https_port> <ca_file>" and serves until stdin closes.
"""
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def make_ca(d):
    """Creates ca.pem/ca.key and server.pem/server.key (CN/SAN 127.0.0.1, localhost) in d."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    p = lambda n: os.path.join(d, n)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=micros-test-ca",
        "-keyout", p("ca.key"), "-out", p("ca.pem"))
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
        p("server.key"), "-out", p("server.csr"))
    with open(p("ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
        "-CAcreateserial", "-days", "2", "-extfile", p("ext.cnf"), "-out", p("server.pem"))
    return p("ca.pem"), p("server.pem"), p("server.key")


class Telegram:
    """A minimal Telegram Bot API: records sent messages, hands out queued updates."""

    def __init__(self, token="123:TEST"):
        self.token = token
        self.sent = []          # sendMessage bodies (dicts)
        self.updates = []       # pending update dicts for getUpdates
        self.next_update = 1000
        self.lock = threading.Lock()

    def push_message(self, text, chat_id=4242, username="tester"):
        """Queues an incoming chat message for the bot's next getUpdates."""
        with self.lock:
            self.next_update += 1
            self.updates.append({"update_id": self.next_update,
                                 "message": {"message_id": self.next_update,
                                             "chat": {"id": chat_id, "type": "private",
                                                      "username": username},
                                             "from": {"id": chat_id, "username": username},
                                             "date": int(time.time()), "text": text}})

    def handle(self, method, params):
        if method == "getMe":
            return {"ok": True, "result": {"id": 123, "is_bot": True, "username": "micros_bot"}}
        if method == "sendMessage":
            with self.lock:
                self.sent.append(params)
            return {"ok": True, "result": {"message_id": len(self.sent),
                                           "chat": {"id": params.get("chat_id")},
                                           "text": params.get("text")}}
        if method == "getUpdates":
            offset = int(params.get("offset", 0) or 0)
            with self.lock:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                return {"ok": True, "result": list(self.updates)}
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that give up (timeouts, size limits) are part of the tests


class StubServer:
    def __init__(self, cert=None, key=None, telegram=None):
        self.requests = []
        self.telegram = telegram
        self.fail = False  # answer 503 to everything
        stub = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def reply(self, code, body, ctype="text/plain"):
                if isinstance(body, str):
                    body = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def handle_any(self):
                n = int(self.headers.get("Content-Length", 0) or 0)
                body = self.rfile.read(n) if n else b""
                rec = {"method": self.command, "path": self.path,
                       "headers": {k.lower(): v for k, v in self.headers.items()},
                       "body": body.decode(errors="replace"), "time": time.time()}
                stub.requests.append(rec)
                path = self.path.split("?")[0]
                if stub.fail:
                    return self.reply(503, "down")
                if path == "/hello":
                    return self.reply(200, "hello")
                if path == "/echo":
                    return self.reply(200, json.dumps(rec), "application/json")
                if path.startswith("/status/"):
                    return self.reply(int(path[8:]), "status")
                if path.startswith("/slow/"):
                    time.sleep(int(path[6:]) / 1000.0)
                    return self.reply(200, "slow")
                if path.startswith("/big/"):
                    return self.reply(200, b"x" * int(path[5:]))
                if path.startswith("/hook"):
                    return self.reply(200, "ok")
                if path.startswith("/bot") and stub.telegram:
                    token, _, method = path[4:].partition("/")
                    if token != stub.telegram.token:
                        return self.reply(401, json.dumps({"ok": False, "error_code": 401,
                                                           "description": "Unauthorized"}),
                                          "application/json")
                    params = {}
                    if body:
                        try:
                            params = json.loads(body)
                        except ValueError:
                            params = {}
                    if "?" in self.path:
                        from urllib.parse import parse_qsl
                        params.update(dict(parse_qsl(self.path.split("?", 1)[1])))
                    res = stub.telegram.handle(method, params)
                    if res is not None:
                        return self.reply(200, json.dumps(res), "application/json")
                return self.reply(404, "not found")

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any

        self.httpd = _Server(("127.0.0.1", 0), H)
        if cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, tls):
        return "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


if __name__ == "__main__":
    d = sys.argv[1]
    ca, cert, key = make_ca(d)
    plain = StubServer()
    tls = StubServer(cert, key)
    print(plain.port, tls.port, ca, flush=True)
    sys.stdin.read()
    plain.stop()
    tls.stop()
