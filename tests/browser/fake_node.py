#!/usr/bin/env python3
"""A stand-in for a micros node's HTTP side, for developing and testing the web UI while the
node has no HTTP server: serves web/ and answers /rest, /config, /config/reboot like the spec
(COMPAT §3.3, §3.4, §9) for a `system` module and an `rgb`-like module with widgets.

Only used by the browser tests in their "fake" mode (MICROS_BROWSER_TARGET=fake, or automatic
when the micros binary has no HTTP server). Listens on 127.0.0.1 only.

    python3 fake_node.py --port 8000 --web ../../web
"""
import argparse
import json
import mimetypes
import os
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "0.1.0-0"
# The keys GET /config shows (the node hides hwuid, guimeta, socport, version, auth, soctout).
CONFIG = {
    "staessid": "your_wifi_name", "stapwd": "your_wifi_passwd", "devfid": "node01",
    "appwd": "ADmin123", "dbg": True, "nwmd": "STA", "webui": True, "webui_max_con": 3,
    "devip": "n/a", "cron": False, "crontasks": "n/a", "timirq": False, "timirqcbf": "n/a",
    "timirqseq": 1000, "irq1": False, "irq1_cbf": "n/a", "irq1_trig": "n/a", "irq2": False,
    "irq2_cbf": "n/a", "irq2_trig": "n/a", "irq3": False, "irq3_cbf": "n/a", "irq3_trig": "n/a",
    "irq4": False, "irq4_cbf": "n/a", "irq4_trig": "n/a", "irq_prell_ms": 300,
    "boothook": "n/a", "aioqueue": 5, "utc": 60, "boostmd": True, "cstmpmap": "n/a",
    "espnow": False, "ha": True, "webport": 8000, "geoloc": "n/a", "tz": "n/a",
}
RGB_WIDGETS = [
    {"type": "color", "callback": "color r=:range: g=:range: b=:range: smooth=True force=True",
     "range": [0, 255, 2]},
    {"type": "button", "callback": "toggle state=:options: smooth=True", "result": False,
     "options": ["True", "False"]},
    {"type": "slider", "callback": "brightness percent=:range: smooth=True wake=True",
     "range": [0, 100, 2]},
    {"type": "button", "callback": "random ", "result": False, "options": ["None"]},
    {"type": "status", "callback": "status ", "wtype": "auto"},
]
AUTH_PAGE = (b'<!doctype html><html><head><meta charset="utf-8"><title>Auth required</title>'
             b'</head><body><script src="/auth.js" data-micros-auth="1"></script></body></html>')


class Node:
    def __init__(self):
        self.lock = threading.Lock()
        self.config = dict(CONFIG)
        self.boot = time.monotonic()
        self.down_until = 0.0
        self.rgb = {"R": 0, "G": 0, "B": 0, "S": 0, "BR": 100}
        self.cpu = 3.0

    def uptime(self):
        up = int(time.monotonic() - self.boot)
        return "%d %d:%d:%d" % (up // 86400, up // 3600 % 24, up // 60 % 60, up % 60)

    def top(self):
        self.cpu = (self.cpu * 7 + (time.monotonic() * 37) % 23) / 8
        return {"Mem usage [%]": 2.5, "FS usage [%]": 6.5, "CPU load [%]": round(self.cpu, 1)}

    def run(self, toks):
        """One REST command -> (result, state), like the executor with json=True."""
        args = [t for t in toks if "=" not in t]
        kw = dict(t.split("=", 1) for t in toks if "=" in t)
        if not toks:
            return None, False
        if toks[0] == "modules":
            return ["system", "rgb", "task"], True
        if toks[0] in ("hello", "version", "conf"):
            return ("Shell: for hints type help.\nShell: for LM exec: [1](LM)module [2]function "
                    "[3...]optional params\n"), False
        mod, fn = toks[0], (args[1] if len(args) > 1 else "")
        if mod == "system":
            if fn == "info":
                d = self.top()
                d.update({"CPU clock [MHz]": 2300, "upython": "fake", "board": "x86_64",
                          "uptime": self.uptime(), "mac": "02:00:00:00:00:01"})
                return d, True
            if fn == "top":
                return self.top(), True
            if fn == "help":
                if kw or args[2:] == ["True"]:
                    return [json.dumps({"type": "graph", "callback": "top ", "refresh": 5000,
                                        "limit": 30})], True
                return ["info", "top", "clock"], True
        if mod == "rgb":
            if fn == "help" and args[2:] == ["True"]:
                return [json.dumps(w) for w in RGB_WIDGETS], True
            if fn == "help":
                return ["color r=<0-1000-10> g=<0-1000-10> b=<0-1000-10>",
                        "toggle state=<True,False>", "brightness percent=<0-100>", "random",
                        "status"], True
            if fn == "status":
                return dict(self.rgb), True
            try:
                if fn == "color":
                    for k in "rgb":
                        self.rgb[k.upper()] = int(kw.get(k, self.rgb[k.upper()]))
                    self.rgb["S"] = 1
                    return "SET", True
                if fn == "toggle":
                    self.rgb["S"] = 1 if kw.get("state", "True") == "True" else 0
                    return "ON" if self.rgb["S"] else "OFF", True
                if fn == "brightness":
                    self.rgb["BR"] = int(kw.get("percent", 100))
                    return "BR: %d" % self.rgb["BR"], True
                if fn == "random":
                    self.rgb.update({"R": 200, "G": 40, "B": 120, "S": 1})
                    return "R: 200, G: 40, B: 120", True
            except ValueError as e:
                return "Core error: LM_rgb->%s: %s" % (fn, e), False
        return "Core error: LM_%s->%s: No module named 'LM_%s'" % (mod, fn, mod), False

    def config_update(self, body):
        failed, new = [], {}
        for k, v in body.items():
            if k not in self.config:
                failed.append(k)
                continue
            cur = self.config[k]
            if v == "":
                v = "n/a"
            if isinstance(cur, bool) and not isinstance(v, bool):
                failed.append("%s: expected a bool" % k)
            elif isinstance(cur, int) and not isinstance(cur, bool) and (
                    isinstance(v, bool) or not isinstance(v, int)):
                failed.append("%s: expected an int" % k)
            elif isinstance(cur, str) and not isinstance(v, str):
                failed.append("%s: expected a string" % k)
            elif k == "devfid" and v == "n/a":
                failed.append("devfid: Device name cannot be empty")
            else:
                new[k] = v
        if not failed:
            self.config.update(new)
        return failed


NODE = Node()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    web = "."

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body, ctype="application/json", extra=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("content-length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("content-type", ctype)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def down(self):
        """While 'rebooting' the node answers nothing."""
        if time.monotonic() < NODE.down_until:
            self.close_connection = True
            return True
        return False

    def authorized(self):
        if self.headers.get("x-micros-auth") == NODE.config["appwd"]:
            return True
        extra = [("cache-control", "no-store"), ("x-content-type-options", "nosniff"),
                 ("referrer-policy", "no-referrer")]
        accept = self.headers.get("accept", "")
        if self.command == "GET" and ("text/html" in accept or "application/xhtml+xml" in accept):
            extra.append(("content-security-policy", "default-src 'self'"))
            self.reply(401, AUTH_PAGE, "text/html", extra)
        else:
            self.reply(401, {"state": False, "result": "Auth required"}, extra=extra)
        return False

    def body(self):
        n = int(self.headers.get("content-length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def do_GET(self):
        if self.down():
            return
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/rest"):
            segs = [urllib.parse.unquote(s) for s in path[len("/rest"):].split("/") if s]
            if not segs:
                res = {"micrOS": VERSION, "node": NODE.config["devfid"], "auth": False,
                       "usr_endpoints": ["dashboard", "config", "config/ui"]}
                return self.reply(200, {"result": res, "state": True})
            with NODE.lock:
                res, state = NODE.run(segs)
            return self.reply(200, {"result": res, "state": state})
        if path == "/config":
            if self.authorized():
                self.reply(200, dict(NODE.config))
            return
        rel = {"/": "index.html", "/dashboard": "dashboard.html",
               "/config/ui": "config.html"}.get(path, path.lstrip("/"))
        if ".." in rel.split("/") or "\\" in rel or "\0" in rel:
            return self.reply(404, b"", "text/plain")
        full = os.path.join(self.web, rel)
        if not os.path.isfile(full):
            return self.reply(404, b"", "text/plain")
        with open(full, "rb") as f:
            data = f.read()
        self.reply(200, data, mimetypes.guess_type(full)[0] or "text/plain")

    do_HEAD = do_GET

    def do_POST(self):
        if self.down():
            return
        path = urllib.parse.urlsplit(self.path).path
        data = self.body()
        if path == "/config":
            if not self.authorized():
                return
            try:
                body = json.loads(data or b"null")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return self.reply(200, {"state": False, "result": "Config update failed",
                                        "failed": ["body: expected a JSON object"]})
            with NODE.lock:
                failed = NODE.config_update(body)
            if failed:
                return self.reply(200, {"state": False, "result": "Config update failed",
                                        "failed": failed})
            return self.reply(200, {"state": True, "result": "Config updated"})
        if path == "/config/reboot":
            if not self.authorized():
                return
            self.reply(200, {"state": True, "result": "Soft reboot scheduled"})
            with NODE.lock:
                NODE.down_until = time.monotonic() + 2.0
                NODE.boot = NODE.down_until
            return
        self.reply(404, b"", "text/plain")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--web", default=os.path.join(os.path.dirname(__file__), "..", "..", "web"))
    a = ap.parse_args()
    Handler.web = os.path.abspath(a.web)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    print("fake node on http://127.0.0.1:%d serving %s" % (a.port, Handler.web), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
