"""WebCli over raw sockets: COMPAT hard cases 33-41 as Part A 8-10 adapts them, keep-alive,
pipelining, HTTP/1.0, HEAD, every limit, traversal, auth, /config, 503 when full."""
import json
import os
import socket
import threading
import time
import unittest

import harness
from harness import Node


class Reply:
    def __init__(self, status, reason, headers, body, raw_head):
        self.status, self.reason, self.headers, self.body, self.raw_head = (
            status, reason, headers, body, raw_head)

    def json(self):
        return json.loads(self.body)


class Client:
    """One HTTP connection that reads replies exactly (by content-length)."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed, have %r" % self.buf)
        self.buf += chunk

    def read_reply(self, head_only=False, timeout=5.0):
        while b"\r\n\r\n" not in self.buf:
            self._fill(timeout)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        version, status, reason = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            assert name == name.lower(), "header name not lower-case: %r" % name
            headers[name] = value.strip()
        n = 0 if head_only or status in ("304",) else int(headers["content-length"])
        while len(self.buf) < n:
            self._fill(timeout)
        body, self.buf = self.buf[:n], self.buf[n:]
        return Reply(int(status), reason, headers, body, head)

    def request(self, method, path, headers=None, body=b"", version="HTTP/1.1"):
        h = {"Host": "127.0.0.1"}
        h.update(headers or {})
        if body:
            h["Content-Length"] = str(len(body))
        req = "%s %s %s\r\n" % (method, path, version)
        req += "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
        self.send(req.encode() + body)
        return self.read_reply(head_only=(method == "HEAD"))

    def is_closed(self, timeout=2.0):
        try:
            self.sock.settimeout(timeout)
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def get(port, path, timeout=5.0, **kw):
    c = Client(port, timeout=timeout)
    try:
        return c.request("GET", path, **kw)
    finally:
        c.close()


def raw(port, data, timeout=5.0):
    """Sends raw bytes, returns the first reply and whether the server closed after it."""
    c = Client(port, timeout)
    try:
        c.send(data)
        r = c.read_reply(timeout=timeout)
        return r, c.is_closed()
    finally:
        c.close()


class HttpNode(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Node(config={"webui": True, "webui_max_con": 3, "aioqueue": 8})
        cls.port = cls.node.webport
        os.makedirs(os.path.join(cls.node.data_dir, "web", "sub"), exist_ok=True)
        with open(os.path.join(cls.node.data_dir, "web", "hello.txt"), "w") as f:
            f.write("hello from web/\n")
        with open(os.path.join(cls.node.data_dir, "web", "sub", "style.css"), "w") as f:
            f.write("body{}\n")

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    # --- REST (hard cases 33-37) ---

    def test_rest_root_is_json(self):
        r = get(self.port, "/rest")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["content-type"], "application/json")
        self.assertEqual(r.headers["connection"], "keep-alive")
        self.assertEqual(int(r.headers["content-length"]), len(r.body))
        j = r.json()
        self.assertEqual(list(j), ["result", "state"])
        self.assertTrue(j["state"])
        self.assertEqual(list(j["result"]), ["micrOS", "node", "auth", "usr_endpoints"])
        self.assertRegex(j["result"]["micrOS"], r"^\d+\.\d+\.\d+-\d+$")
        self.assertEqual(j["result"]["node"], "node01")
        self.assertIs(j["result"]["auth"], False)
        self.assertEqual(j["result"]["usr_endpoints"], ["config"])
        self.assertEqual(get(self.port, "/rest/").json(), j)

    def test_rest_system_info(self):
        j = get(self.port, "/rest/system/info").json()
        self.assertTrue(j["state"])
        self.assertIn("Mem usage [%]", j["result"])
        self.assertIn("uptime", j["result"])

    def test_task_start_errors_and_hint(self):
        j = get(self.port, "/rest/system/heartbeat/&").json()
        self.assertEqual(j, {"result": {"system.heartbeat": "Starting"}, "state": True})
        r = get(self.port, "/rest/foo/bar")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"result": "Core error: LM_foo->bar: No module named 'LM_foo'",
                                    "state": False})
        j = get(self.port, "/rest/hello").json()
        self.assertFalse(j["state"])
        self.assertTrue(j["result"].startswith("Shell: for hints type help.\n"))

    def test_modules_and_task_list(self):
        j = get(self.port, "/rest/modules").json()
        self.assertTrue(j["state"])
        self.assertIsInstance(j["result"], list)
        self.assertEqual(j["result"][-1], "task")
        j = get(self.port, "/rest/task/list").json()
        self.assertTrue(j["state"])
        self.assertIn("idle", j["result"]["active"])

    def test_query_string_adds_keywords(self):
        j = get(self.port, "/rest/system/info?x=1").json()
        self.assertFalse(j["state"])
        self.assertIn("unexpected keyword argument 'x'", j["result"])
        j = get(self.port, "/rest/robustness/recursion_limit?limit=3").json()
        self.assertTrue(j["state"])
        self.assertTrue(j["result"].endswith("Recursion limit: 3"))

    def test_dash_does_not_split(self):
        # Part A 9: /rest/mod/fn/-3 passes -3 (the original passed 3)
        self.assertTrue(get(self.port, "/rest/robustness/recursion_limit/3").json()["result"]
                        .endswith("Recursion limit: 3"))
        j = get(self.port, "/rest/robustness/memory_leak/-5").json()
        self.assertFalse(j["state"])
        self.assertIn(": -5", j["result"])

    def test_percent_decoding_and_sudo(self):
        j = get(self.port, "/rest/robustness/func_sudo/pwd=%22ADmin123%22").json()
        self.assertEqual(j, {"result": "Access granted", "state": True})
        j = get(self.port, "/rest/robustness/func_sudo?pwd=ADmin123").json()
        self.assertEqual(j, {"result": "Access granted", "state": True})
        j = get(self.port, "/rest/robustness/func_sudo").json()
        self.assertFalse(j["state"])
        self.assertIn("Access denied", j["result"])
        # empty segments vanish
        j = get(self.port, "/rest//robustness//recursion_limit//2/").json()
        self.assertTrue(j["result"].endswith("Recursion limit: 2"))

    def test_apple_shortcuts_style_get(self):
        # "Get Contents of URL" (NSURLSession: HTTP/1.1, Accept */*, gzip) + "result"
        r = get(self.port, "/rest/robustness/recursion_limit/4",
                headers={"Accept": "*/*", "Accept-Encoding": "gzip, deflate, br",
                         "User-Agent": "Shortcuts/1"})
        self.assertEqual(r.status, 200)
        self.assertTrue(r.json()["result"].endswith("Recursion limit: 4"))

    # --- framing (Part A 8) ---

    def test_keep_alive_several_requests(self):
        c = Client(self.port)
        try:
            for i in range(5):
                r = c.request("GET", "/rest/robustness/recursion_limit/%d" % i)
                self.assertEqual(r.json()["result"].split("\n")[-1], "Recursion limit: %d" % i)
            r = c.request("GET", "/rest", headers={"Connection": "close"})
            self.assertEqual(r.headers["connection"], "close")
            self.assertTrue(c.is_closed())
        finally:
            c.close()

    def test_pipelining_in_order(self):
        c = Client(self.port)
        try:
            reqs = b"".join(b"GET /rest/robustness/memory_leak/-%d HTTP/1.1\r\nHost: x\r\n\r\n" % i
                            for i in range(1, 11))
            c.send(reqs)
            for i in range(1, 11):
                r = c.read_reply()
                self.assertEqual(r.status, 200)
                self.assertTrue(r.json()["result"].endswith(": -%d" % i), r.body)
        finally:
            c.close()

    def test_http10(self):
        r, closed = raw(self.port, b"GET /rest HTTP/1.0\r\n\r\n")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["connection"], "close")
        self.assertTrue(closed)
        c = Client(self.port)
        try:
            for _ in range(2):
                r = c.request("GET", "/rest", version="HTTP/1.0",
                              headers={"Connection": "keep-alive"})
                self.assertEqual(r.headers["connection"], "keep-alive")
        finally:
            c.close()

    def test_no_headers_at_all(self):
        r, _ = raw(self.port, b"GET /rest HTTP/1.1\r\n\r\n")
        self.assertEqual(r.status, 200)

    def test_head(self):
        c = Client(self.port)
        try:
            full = c.request("GET", "/hello.txt")
            head = c.request("HEAD", "/hello.txt")
            self.assertEqual(head.status, 200)
            self.assertEqual(head.headers["content-length"], str(len(full.body)))
            # no body follows: the next reply starts right away
            self.assertEqual(c.request("GET", "/rest").status, 200)
        finally:
            c.close()

    def test_bad_requests(self):
        r, closed = raw(self.port, b"PUT /rest HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(r.status, 405)
        self.assertIn("GET", r.headers["allow"])
        r, closed = raw(self.port, b"get /rest HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(r.status, 405)
        r, closed = raw(self.port, b"GET /rest\r\n\r\n")
        self.assertEqual((r.status, r.body), (400, b"Bad request"))
        self.assertTrue(closed)
        r, _ = raw(self.port, b"GET /rest HTTP/1.1\r\nHost x\r\n\r\n")
        self.assertEqual((r.status, r.body), (400, b"Invalid headers"))
        r, _ = raw(self.port, b"\x01\x02\x03 / HTTP/1.1\r\n\r\n")
        self.assertEqual(r.status, 400)
        r, _ = raw(self.port, b"GET /rest HTTP/2\r\n\r\n")
        self.assertEqual(r.status, 505)
        r, _ = raw(self.port, b"GET /rest HTTP/3.0\r\n\r\n")
        self.assertEqual(r.status, 505)
        r, _ = raw(self.port, b"POST /rest HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        self.assertEqual(r.status, 404)
        self.assertEqual(get(self.port, "/no/such/path").status, 404)

    # --- limits (Part A 10) ---

    def test_long_request_line_414(self):
        r, closed = raw(self.port, b"GET /rest/" + b"a" * 5000 + b" HTTP/1.1\r\n\r\n")
        self.assertEqual(r.status, 414)
        self.assertTrue(closed)
        r, closed = raw(self.port, b"GET /" + b"a" * 6000)  # not even a complete line
        self.assertEqual(r.status, 414)

    def test_huge_headers_431(self):
        big = b"X-Big: " + b"b" * 9000 + b"\r\n"
        r, closed = raw(self.port, b"GET /rest HTTP/1.1\r\n" + big + b"\r\n")
        self.assertEqual(r.status, 431)
        self.assertTrue(closed)
        many = b"".join(b"X-H%d: v\r\n" % i for i in range(60))
        r, _ = raw(self.port, b"GET /rest HTTP/1.1\r\n" + many + b"\r\n")
        self.assertEqual(r.status, 431)

    def test_big_body_413(self):
        r, closed = raw(self.port, b"POST /config HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n")
        self.assertEqual(r.status, 413)
        self.assertTrue(closed)

    def test_chunked_body(self):
        body = b'{"utc": 60}'
        chunked = b"5\r\n" + body[:5] + b"\r\n" + (b"%x\r\n" % len(body[5:])) + body[5:] + b"\r\n0\r\n\r\n"
        r, _ = raw(self.port, b"POST /config HTTP/1.1\r\nx-micros-auth: ADmin123\r\n"
                              b"Transfer-Encoding: chunked\r\n\r\n" + chunked)
        self.assertEqual(r.json(), {"state": True, "result": "Config updated"})

    # --- static files and traversal (hard case 41) ---

    def test_static_files_from_data_web(self):
        r = get(self.port, "/hello.txt")
        self.assertEqual((r.status, r.body), (200, b"hello from web/\n"))
        self.assertEqual(r.headers["content-type"], "text/plain")
        r = get(self.port, "/sub/style.css")
        self.assertEqual(r.headers["content-type"], "text/css")
        r = get(self.port, "/sub/st%79le.css?x=1")
        self.assertEqual(r.body, b"body{}\n")

    def test_traversal_refused(self):
        for path in ("/../config/node_config.json", "/%2e%2e/config/node_config.json",
                     "/sub/../../config/node_config.json", "/sub/..%2f..%2fconfig/node_config.json",
                     "/..%5cconfig%5cnode_config.json", "/..\\config\\node_config.json",
                     "/hello.txt%00.css", "/sub/%2E%2E/hello.txt"):
            r, _ = raw(self.port, b"GET " + path.encode() + b" HTTP/1.1\r\n\r\n")
            self.assertEqual(r.status, 404, path)
            self.assertNotIn(b"appwd", r.body)

    # --- config endpoints and auth (hard cases 39-40) ---

    def test_config_needs_auth(self):
        r = get(self.port, "/config")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json(), {"state": False, "result": "Auth required"})
        self.assertEqual(r.headers["content-type"], "application/json")
        self.assertEqual(r.headers["cache-control"], "no-store")
        self.assertEqual(r.headers["x-content-type-options"], "nosniff")
        self.assertEqual(r.headers["referrer-policy"], "no-referrer")
        self.assertNotIn("www-authenticate", r.headers)
        r = get(self.port, "/config", headers={"Accept": "text/html,application/xhtml+xml"})
        self.assertEqual(r.status, 401)
        self.assertEqual(r.headers["content-type"], "text/html")
        self.assertIn(b'src="/auth.js"', r.body)
        self.assertNotIn("www-authenticate", r.headers)
        r = get(self.port, "/config", headers={"x-micros-auth": "wrongPass1"})
        self.assertEqual(r.status, 401)
        r = Client(self.port).request("POST", "/config/reboot", body=b"{}")
        self.assertEqual(r.status, 401)

    def test_config_get(self):
        r = get(self.port, "/config", headers={"X-Micros-Auth": "ADmin123"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["content-type"], "application/json")
        j = r.json()
        for hidden in ("hwuid", "guimeta", "socport", "version", "auth", "soctout"):
            self.assertNotIn(hidden, j)
        self.assertEqual(j["devfid"], "node01")
        # secrets are masked (issue 13 "secrets never leave"; was the clear appwd)
        self.assertEqual(j["appwd"], "********")
        self.assertIs(j["webui"], True)
        self.assertEqual(j["webui_max_con"], 3)

    def test_config_post(self):
        auth = {"x-micros-auth": "ADmin123"}
        c = Client(self.port)
        try:
            r = c.request("POST", "/config", headers=auth, body=b'{"bogus":1,"devfid":""}')
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, b'{"state": false, "result": "Config update failed", '
                                     b'"failed": ["bogus", "devfid: Device name cannot be empty"]}')
            r = c.request("POST", "/config", headers=auth,
                          body=b'{"utc": 120, "boothook": "", "cron": "yes", "appwd": "short"}')
            j = r.json()
            self.assertFalse(j["state"])
            self.assertEqual(j["failed"][0], "cron: expects True or False")
            self.assertTrue(j["failed"][1].startswith("appwd: Password must include"))
            cfg = c.request("GET", "/config", headers=auth).json()
            self.assertEqual(cfg["utc"], 120)
            self.assertEqual(cfg["boothook"], "n/a")
            r = c.request("POST", "/config", headers=auth, body=b'{"utc": 60}')
            self.assertEqual(r.json(), {"state": True, "result": "Config updated"})
            r = c.request("POST", "/config", headers=auth, body=b'[1, 2]')
            self.assertEqual(r.status, 400)
            r = c.request("DELETE", "/config", headers=auth)
            self.assertEqual(r.status, 405)
        finally:
            c.close()


def vm_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class HttpStaticFiles(unittest.TestCase):
    """Files of the node's web/ folder stream from disk: any size, bounded memory, and the
    upload temp folder is never served."""

    @classmethod
    def setUpClass(cls):
        # Sanitizer builds keep freed memory in a quarantine that would count as growth.
        asan = os.environ.get("ASAN_OPTIONS", "")
        asan = (asan + ":" if asan else "") + "quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
        cls.node = Node(config={"webui": True, "webui_max_con": 24}, extra_args=("--maxconn", "32"),
                        env={"ASAN_OPTIONS": asan})
        cls.port = cls.node.webport
        web = os.path.join(cls.node.data_dir, "web")
        os.makedirs(os.path.join(web, "user_data", "tmp"), exist_ok=True)
        cls.big = os.urandom(2_500_000)
        with open(os.path.join(web, "big.bin"), "wb") as f:
            f.write(cls.big)
        cls.five = os.urandom(5 * 1024 * 1024)
        with open(os.path.join(web, "five.bin"), "wb") as f:
            f.write(cls.five)
        with open(os.path.join(web, "user_data", "tmp", "1.part"), "wb") as f:
            f.write(b"half an upload")

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def test_file_over_1mb_is_served_whole(self):
        c = Client(self.port, timeout=20)
        try:
            r = c.request("GET", "/big.bin")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.headers["content-length"], str(len(self.big)))
            self.assertEqual(r.headers["cache-control"], "no-cache")
            self.assertEqual(r.body, self.big)
            # the connection is kept: HEAD and a second GET on it
            r = c.request("HEAD", "/big.bin")
            self.assertEqual((r.status, r.headers["content-length"]), (200, str(len(self.big))))
            r = c.request("GET", "/big.bin")
            self.assertEqual(r.body, self.big)
        finally:
            c.close()

    def test_upload_temp_folder_is_not_served(self):
        r = get(self.port, "/user_data/tmp/1.part")
        self.assertEqual(r.status, 404)
        self.assertNotIn(b"half an upload", r.body)

    def test_parallel_downloads_keep_memory_bounded(self):
        pid = self.node.proc.pid
        get(self.port, "/big.bin", timeout=20)  # warm up
        before = vm_rss_kb(pid)
        peak = [before]
        errors = []
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], vm_rss_kb(pid))
                time.sleep(0.02)

        def download():
            try:
                r = get(self.port, "/five.bin", timeout=60)
                if r.status != 200 or r.body != self.five:
                    errors.append("bad reply %d, %d bytes" % (r.status, len(r.body)))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))

        sampler = threading.Thread(target=sample)
        sampler.start()
        threads = [threading.Thread(target=download) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done.set()
        sampler.join()
        self.assertEqual(errors, [])
        growth_mb = (peak[0] - before) / 1024
        print("20 parallel downloads of a 5 MB static file: VmRSS %d kB -> peak %d kB (+%.1f MB)"
              % (before, peak[0], growth_mb))
        # A whole-file buffer per download would need 100 MB.
        self.assertLess(growth_mb, 40)


class HttpFull(unittest.TestCase):
    """webui_max_con=1: a slow client holds the only slot; 408 frees it; 503 meanwhile."""

    @classmethod
    def setUpClass(cls):
        cls.node = Node(config={"webui": True, "webui_max_con": 1})
        cls.port = cls.node.webport

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def test_idle_keepalive_gives_way(self):
        a = Client(self.port)
        try:
            self.assertEqual(a.request("GET", "/rest").status, 200)
            time.sleep(0.4)
            t0 = time.time()
            self.assertEqual(get(self.port, "/rest").status, 200)
            # at once, not after the lobby's 4.5 s wait (margin for a loaded machine)
            self.assertLess(time.time() - t0, 3.0)
            self.assertTrue(a.is_closed())
        finally:
            a.close()

    def test_trickled_head_408_frees_the_slot_for_a_waiter(self):
        # a head trickled one line a second: 408 at the head deadline (2 s), and the client
        # waiting in the lobby then gets the slot (200) instead of a 503
        time.sleep(0.3)
        slow = Client(self.port, timeout=20)
        slow.send(b"GET /rest HTTP/1.1\r\nHost: x\r\n")
        t0 = time.time()
        result = {}

        def second():
            try:
                result["r"] = get(self.port, "/rest", timeout=12)
                result["t"] = time.time() - t0
            except Exception as e:  # reported below
                result["e"] = e

        time.sleep(0.5)
        th = threading.Thread(target=second)
        th.start()
        try:
            for _ in range(3):
                time.sleep(0.6)
                slow.send(b"X-Slow: 1\r\n")
        except OSError:
            pass  # closed after its 408
        reply = slow.read_reply(timeout=10)
        took = time.time() - t0
        th.join(15)
        slow.close()
        self.assertEqual(reply.status, 408)
        # at the 2 s head deadline, not at the 10 s request limit (the upper margin is for a
        # loaded machine: it only has to tell the two apart)
        self.assertTrue(1.8 < took < 8.0, took)
        self.assertNotIn("e", result)
        self.assertEqual(result["r"].status, 200)  # admitted, not the 503 after 4.5 s
        self.assertLess(result["t"], 5.0)

    def test_slowloris_408_and_503_when_full(self):
        # Issue 13 follow-up: a request head must be complete within http_head_ms (2 s), the
        # whole request within 10 s. So the slot is held past the lobby's 4.5 s wait only by
        # a trickled body (was: a trickled head, 408 after 10 s).
        time.sleep(0.3)
        slow = Client(self.port, timeout=20)
        slow.send(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
        t0 = time.time()
        result = {}

        def second():
            try:
                # the server holds a newcomer up to 5 s before the 503: wait longer than that
                result["r"] = get(self.port, "/rest", timeout=12)
                result["t"] = time.time() - t0
            except Exception as e:  # reported below
                result["e"] = e

        time.sleep(0.5)
        th = threading.Thread(target=second)
        th.start()
        for _ in range(4):  # trickle the body: never complete
            time.sleep(1)
            slow.send(b"x")
        th.join(15)
        self.assertNotIn("e", result)
        r = result["r"]
        self.assertEqual(r.status, 503)
        self.assertEqual(r.headers["retry-after"], "5")
        self.assertTrue(4.0 < result["t"] < 8.0, result["t"])
        reply = slow.read_reply(timeout=15)
        self.assertEqual(reply.status, 408)
        self.assertTrue(9.0 < time.time() - t0 < 13.0)
        self.assertTrue(slow.is_closed())
        slow.close()
        t1 = time.time()
        self.assertEqual(get(self.port, "/rest").status, 200)  # the slot is free again
        self.assertLess(time.time() - t1, 3.0)  # not held in the lobby (4.5 s)


class HttpAuth(unittest.TestCase):
    """auth=True: REST runs only task, modules and modules loaded already (COMPAT §3.3)."""

    def test_auth_gate(self):
        node = Node(config={"webui": True, "auth": True})
        try:
            j = get(node.webport, "/rest").json()
            self.assertIs(j["result"]["auth"], True)
            self.assertEqual(get(node.webport, "/rest/robustness/recursion_limit/2").json(),
                             {"result": "Auth:Protected", "state": True})
            self.assertTrue(get(node.webport, "/rest/modules").json()["state"])
            self.assertTrue(get(node.webport, "/rest/task/list").json()["state"])
            sh = node.shell()
            sh.cmd("ADmin123")
            sh.cmd("robustness recursion_limit 1")
            sh.close()
            j = get(node.webport, "/rest/robustness/recursion_limit/2").json()
            self.assertTrue(j["state"])
            self.assertTrue(j["result"].endswith("Recursion limit: 2"))
        finally:
            node.stop()


class HttpMisc(unittest.TestCase):
    def test_webui_off_means_no_http(self):
        node = Node(config={"webui": False})
        try:
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", node.webport), timeout=1).close()
        finally:
            node.stop()

    def test_shell_answers_while_http_is_flooded(self):
        node = Node(config={"webui": True})
        stop = threading.Event()

        def flood():
            c = Client(node.webport)
            req = b"GET /rest/system/info HTTP/1.1\r\n\r\n" * 50
            try:
                while not stop.is_set():
                    c.send(req)
                    for _ in range(50):
                        c.read_reply()
            finally:
                c.close()

        th = threading.Thread(target=flood)
        th.start()
        try:
            time.sleep(0.3)
            sh = node.shell()
            worst = 0
            for _ in range(20):
                t0 = time.time()
                self.assertTrue(sh.cmd("hello").startswith(b"hello:node01:"))
                worst = max(worst, time.time() - t0)
            sh.close()
            # a starved shell would wait for the flood; the margin is for a loaded machine
            self.assertLess(worst, 1.5)
        finally:
            stop.set()
            th.join(10)
            node.stop()

    def test_reboot_over_the_web(self):
        node = Node(config={"webui": True})
        try:
            c = Client(node.webport)
            r = c.request("POST", "/config/reboot", headers={"x-micros-auth": "ADmin123"},
                          body=b"{}")
            self.assertEqual(r.json(), {"state": True, "result": "Soft reboot scheduled"})
            c.close()
            time.sleep(0.5)
            node.wait_ready()
            end = time.time() + 5
            while True:
                try:
                    self.assertEqual(get(node.webport, "/rest").status, 200)
                    break
                except OSError:
                    if time.time() > end:
                        raise
                    time.sleep(0.1)
        finally:
            node.stop()


class WebPortBusy(unittest.TestCase):
    def test_busy_web_port_leaves_the_shell_running(self):
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        node = Node(config={"webui": True}, extra_args=("--webport", str(port)))
        try:
            sh = node.shell()
            self.assertEqual(sh.cmd("system heartbeat"), b"<3 heartbeat <3\nnode01 $ ")
            sh.close()
            self.assertIn("http: cannot listen on 127.0.0.1:%d: address already in use" % port,
                          node.output())
        finally:
            node.stop()
            blocker.close()


if __name__ == "__main__":
    harness.main()
