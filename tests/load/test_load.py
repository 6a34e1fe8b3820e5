"""Load (bounded, loopback only): 1,000 concurrent shell sessions on a node started with
--maxconn 1024, hostile clients beside them (tricklers, clients that never read, clients
that vanish mid-reply), 10,000 pipelined commands, and an idle flood against micrOS's
default table of aioqueue clients. The node must keep answering (p99 `hello` measured on a
fresh connection under that load), close what it must, and leak nothing (RSS before and
after a second round; LeakSanitizer at exit in the ASan build).

The same for the web server: 10,000 pipelined HTTP requests on keep-alive connections,
answered in order; slow HTTP clients that trickle bytes or never read and clients that
vanish mid-reply, while a new client's `GET /rest` is timed (p99), and RSS before and after.

Figures are printed as "load: ..." lines; docs/reliability.md quotes them.
Run: python3 tests/load/test_load.py --micros build-test/micros
"""
import os
import resource
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "blackbox"))
import harness  # noqa: E402
from harness import Node  # noqa: E402
from test_http import Client  # noqa: E402

P = b"node01 $ "
# A small ASan quarantine, so that RSS reflects live memory rather than freed blocks held back.
os.environ.setdefault("ASAN_OPTIONS", "quarantine_size_mb=1")
SESSIONS = int(os.environ.get("LOAD_SESSIONS", "1000"))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


def recv_until(sock, pred, timeout=10.0):
    data = b""
    end = time.time() + timeout
    while not pred(data):
        left = end - time.time()
        if left <= 0:
            raise TimeoutError("got %r" % data[-200:])
        sock.settimeout(left)
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def open_sessions(port, n, batch=100):
    """Opens n shell sessions, each greeted and answering hello; returns the sockets."""
    socks = []
    for start in range(0, n, batch):
        group = []
        for _ in range(min(batch, n - start)):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            group.append(s)
        for s in group:
            assert recv_until(s, lambda d: d.endswith(P)) == P
            s.sendall(b"hello\n")
        for s in group:
            reply = recv_until(s, lambda d: d.endswith(P))
            assert reply.startswith(b"hello:node01:"), reply
        socks.extend(group)
    return socks


def hello_latencies(port, count):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    recv_until(s, lambda d: d.endswith(P))
    lat = []
    for _ in range(count):
        t0 = time.perf_counter()
        s.sendall(b"hello\n")
        recv_until(s, lambda d: d.endswith(P))
        lat.append(time.perf_counter() - t0)
    s.close()
    lat.sort()
    return lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]


class Hostile:
    """Tricklers, never-readers and vanishers, run in one thread for a bounded time."""

    def __init__(self, port, seconds):
        self.port = port
        self.seconds = seconds
        self.never_read_closed = 0
        self.never_read = 0
        self.vanished = 0
        self.trickled = 0
        self.error = None
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        try:
            self._run()
        except Exception as e:  # reported by the test
            self.error = e

    def _run(self):
        end = time.time() + self.seconds
        tricklers = [socket.create_connection(("127.0.0.1", self.port)) for _ in range(10)]
        readers = []
        for _ in range(5):  # never read: output piles up until the node's cap closes them
            s = socket.create_connection(("127.0.0.1", self.port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.setblocking(False)
            readers.append(s)
        self.never_read = len(readers)
        # no blanks: a blank-only message closes a micrOS session, and input without a
        # newline runs as it comes (COMPAT A1), so each byte is a command of its own
        line = b"hello"
        i = 0
        while time.time() < end:
            for s in tricklers:  # one byte at a time
                s.sendall(line[i % len(line):i % len(line) + 1])
                self.trickled += 1
            for s in list(readers):
                try:
                    s.send(b"help lm\n" * 64)
                except BlockingIOError:
                    pass
                except OSError:
                    readers.remove(s)
                    s.close()
                    self.never_read_closed += 1
            for _ in range(3):  # vanish mid-reply: ask for a long reply, then reset
                v = socket.create_connection(("127.0.0.1", self.port), timeout=10)
                # greeted first: the node has taken it in, so vanishers the node has not yet
                # seen reset stay a few. Unpaced, a loaded node that stalled found up to a
                # listen backlog of them at once; with 1,000 sessions in a 1,024 table they
                # filled it and it evicted idle sessions of the test (their hello got EOF).
                recv_until(v, lambda d: d.endswith(P))
                v.sendall(b"help lm\n" * 8)
                v.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                v.close()
                self.vanished += 1
            i += 1
            time.sleep(0.02)
        for s in tricklers + readers:
            s.close()


class Load(unittest.TestCase):
    def test_thousand_sessions_hostile_clients_and_no_leak(self):
        raise_nofile(4096)
        node = Node(extra_args=("--maxconn", "1024"))
        try:
            pid = node.proc.pid
            hello_latencies(node.port, 50)  # warm up
            rss0 = rss_kb(pid)
            p50_idle, p99_idle = hello_latencies(node.port, 300)
            rounds = []
            for rnd in range(2):
                t0 = time.time()
                socks = open_sessions(node.port, SESSIONS)
                opened = time.time() - t0
                rss_open = rss_kb(pid)
                hostile = Hostile(node.port, 4.0)
                hostile.thread.start()
                p50, p99 = hello_latencies(node.port, 300)
                hostile.thread.join(30)
                self.assertIsNone(hostile.error)
                # every one of the sessions is still served after the storm
                for s in socks:
                    s.sendall(b"hello\n")
                for s in socks:
                    got = recv_until(s, lambda d: d.endswith(P))
                    self.assertTrue(got.startswith(b"hello:"), got)
                for s in socks:
                    s.close()
                time.sleep(1.0)
                rounds.append((opened, rss_open, p50, p99, rss_kb(pid), hostile))
                print("load: round %d: %d sessions opened in %.2f s, RSS %d KB with them open; "
                      "hello p50 %.2f ms p99 %.2f ms under load; RSS after close %d KB; "
                      "hostile: %d trickled bytes, %d/%d never-readers closed by the node, "
                      "%d vanished mid-reply"
                      % (rnd + 1, SESSIONS, opened, rss_open, p50 * 1e3, p99 * 1e3, rss_kb(pid),
                         hostile.trickled, hostile.never_read_closed, hostile.never_read,
                         hostile.vanished), flush=True)
            print("load: idle node RSS %d KB, hello p50 %.3f ms p99 %.3f ms (no load)"
                  % (rss0, p50_idle * 1e3, p99_idle * 1e3), flush=True)
            # the node keeps answering: p99 stays under a generous bound even under ASan
            for r in rounds:
                self.assertLess(r[3], 0.25)
                self.assertEqual(r[5].never_read_closed, r[5].never_read)
            # nothing grows from one round to the next: each round makes some 2,500 connections,
            # so a leak of 1.5 KB per connection would show; the allocator's own noise (ASan's
            # quarantine, free lists) stays well below. LeakSanitizer at exit is the exact check.
            self.assertLess(rounds[1][4] - rounds[0][4], 3 * 1024)
            sh = node.shell()
            self.assertTrue(sh.cmd("hello").startswith(b"hello:node01:"))
            sh.close()
        finally:
            node.stop()
        self.assertNotIn("LeakSanitizer", node.output())

    def test_ten_thousand_pipelined_commands(self):
        node = Node()
        try:
            sh = node.shell()
            t0 = time.time()
            total = 0
            for _ in range(100):  # 100 writes of 100 lines each, replies read after each write
                sh.sock.sendall(b"hello\n" * 100)
                data = recv_until(sh.sock, lambda d: d.count(P) >= 100)
                self.assertEqual(data.count(b"hello:node01:"), 100)
                total += 100
            dt = time.time() - t0
            print("load: %d pipelined hello in %.2f s (%.0f/s)" % (total, dt, total / dt), flush=True)
            sh.close()
        finally:
            node.stop()

    def idle_flood(self, flood_src):
        """Default table (aioqueue 5): 300 idle connections from flood_src, then a person
        connects from 127.0.0.1, five times."""
        raise_nofile(4096)
        node = Node()
        try:
            flood = []
            for _ in range(300):
                try:
                    flood.append(socket.create_connection(("127.0.0.1", node.port), timeout=5,
                                                          source_address=(flood_src, 0)))
                except OSError:
                    break
            waits = []
            for attempt in range(5):
                time.sleep(1.1)
                t0 = time.time()
                sh = node.shell(timeout=10)
                self.assertEqual(sh.greeting, P)
                self.assertTrue(sh.cmd("hello").startswith(b"hello:node01:"))
                waits.append(time.time() - t0)
                sh.close()
            print("load: idle flood of %d connections from %s, aioqueue 5: a person got a prompt "
                  "in %.0f ms at worst" % (len(flood), flood_src, max(waits) * 1e3), flush=True)
            for s in flood:
                s.close()
            self.assertLess(max(waits), 2.0, waits)
        finally:
            node.stop()

    def test_idle_flood_never_locks_a_person_out(self):
        """The flood from the person's own address (127.0.0.1)."""
        self.idle_flood("127.0.0.1")

    def test_idle_flood_from_another_address_never_locks_a_person_out(self):
        """The flood from an attacker's address (127.0.0.2): the lobby serves the lone client
        of an address first."""
        self.idle_flood("127.0.0.2")


HTTP_LEAK = b"GET /rest/robustness/memory_leak/-%d HTTP/1.1\r\nHost: x\r\n\r\n"


def http_rest_latency(port):
    """A new client: connect, GET /rest, read the reply; returns the seconds it took."""
    t0 = time.perf_counter()
    c = Client(port, timeout=10)
    r = c.request("GET", "/rest")
    c.sock.close()
    assert r.status == 200 and r.json()["state"] is True, r.body
    return time.perf_counter() - t0


class HttpHostile(Hostile):
    """Slow HTTP clients: tricklers of a request's bytes, never-readers of pipelined pages,
    vanishers that reset while their replies are being written."""

    def _run(self):
        end = time.time() + self.seconds
        req = b"GET /rest/system/info HTTP/1.1\r\nHost: x\r\n\r\n"
        tricklers = [socket.create_connection(("127.0.0.1", self.port)) for _ in range(4)]
        readers = []
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", self.port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.setblocking(False)
            readers.append(s)
        self.never_read = len(readers)
        i = 0
        while time.time() < end:
            for s in tricklers:  # one byte per tick, requests back to back
                s.sendall(req[i % len(req):i % len(req) + 1])
                self.trickled += 1
            for s in list(readers):
                try:
                    s.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 32)
                except BlockingIOError:
                    pass
                except OSError:
                    readers.remove(s)
                    s.close()
                    self.never_read_closed += 1
            for _ in range(2):
                v = socket.create_connection(("127.0.0.1", self.port))
                v.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 16)
                v.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                v.close()
                self.vanished += 1
            i += 1
            time.sleep(0.02)
        for s in tricklers + readers:
            s.close()


class HttpLoad(unittest.TestCase):
    def test_ten_thousand_pipelined_http_requests_in_order(self):
        node = Node(config={"webui": True, "webui_max_con": 4})
        try:
            conns = [Client(node.webport, timeout=10) for _ in range(2)]
            t0 = time.time()
            total = 0
            for rnd in range(50):  # 2 connections x 50 writes x 100 requests
                for k, c in enumerate(conns):
                    base = (rnd * 2 + k) * 100
                    c.send(b"".join(HTTP_LEAK % ((base + j) % 10000 + 1) for j in range(100)))
                for k, c in enumerate(conns):
                    base = (rnd * 2 + k) * 100
                    for j in range(100):
                        r = c.read_reply(timeout=10)
                        self.assertEqual(r.status, 200)
                        self.assertIn(b"): -%d\"" % ((base + j) % 10000 + 1), r.body)
                        self.assertNotEqual(r.headers.get("connection"), "close")
                        total += 1
            dt = time.time() - t0
            for c in conns:
                c.sock.close()
            self.assertEqual(total, 10000)
            print("load: %d pipelined HTTP requests on 2 keep-alive connections, all in order, "
                  "in %.2f s (%.0f/s)" % (total, dt, total / dt), flush=True)
        finally:
            node.stop()

    def test_slow_and_vanishing_http_clients_and_no_leak(self):
        node = Node(config={"webui": True, "webui_max_con": 16}, extra_args=("--maxconn", "32"))
        try:
            idle = sorted(http_rest_latency(node.webport) for _ in range(100))
            rss = [rss_kb(node.proc.pid)]
            for rnd in range(2):
                hostile = HttpHostile(node.webport, 4.0)
                hostile.thread.start()
                time.sleep(0.3)
                lat = []
                while hostile.thread.is_alive() and len(lat) < 400:
                    lat.append(http_rest_latency(node.webport))
                    time.sleep(0.005)
                hostile.thread.join()
                self.assertIsNone(hostile.error)
                lat.sort()
                p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]
                time.sleep(0.5)  # closed sessions are swept
                rss.append(rss_kb(node.proc.pid))
                print("load: HTTP round %d: %d tricklers (%d bytes), %d never-readers, %d vanished; "
                      "new client GET /rest: %d samples, p50 %.1f ms, p99 %.1f ms (idle p50 %.1f ms, "
                      "p99 %.1f ms); RSS %d kB (before: %d kB)" % (rnd + 1, 4, hostile.trickled, hostile.never_read,
                                                   hostile.vanished, len(lat), p50 * 1e3, p99 * 1e3,
                                                   idle[50] * 1e3, idle[99] * 1e3, rss[-1], rss[0]),
                      flush=True)
                self.assertGreater(len(lat), 50)
                self.assertLess(p99, 1.0)
            self.assertLess(rss[2] - rss[1], 3 * 1024, "RSS grew between identical rounds: %r" % rss)
            self.assertEqual(http_rest_latency(node.webport) < 2.0, True)
            self.assertIsNone(node.proc.poll())
        finally:
            node.stop()


if __name__ == "__main__":
    harness.main()
