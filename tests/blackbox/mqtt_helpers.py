"""MQTT test helpers: a real Debian mosquitto broker on a free loopback port, and a small
MQTT 3.1.1 client (enough for tests and the fleet bench: connect with login/TLS, subscribe,
publish QoS 0/1, receive with the retain flag).
"""
import os
import select
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import time

from harness import free_port


def have_mosquitto():
    return shutil.which("mosquitto") is not None or os.path.exists("/usr/sbin/mosquitto")


class Broker:
    """mosquitto with a temp config: plain or TLS (cert/key), optional password file,
    optional persistence. restart() keeps the port."""

    def __init__(self, tls=None, users=None, persistence=False):
        self.dir = tempfile.mkdtemp(prefix="micros-mosq-")
        os.chmod(self.dir, 0o777)  # mosquitto drops root for its own user and must write here
        self.port = free_port()
        self.tls = tls  # (ca, cert, key)
        self.users = users or {}
        self.persistence = persistence
        self.proc = None
        self.log_path = os.path.join(self.dir, "mosquitto.log")
        self._write_config()
        self.start()

    def _write_config(self):
        lines = ["listener %d 127.0.0.1" % self.port]
        if self.tls:
            # Copies mosquitto can read after it drops root for its own user.
            files = []
            for src in self.tls:
                dst = os.path.join(self.dir, "tls-" + os.path.basename(src))
                shutil.copyfile(src, dst)
                os.chmod(dst, 0o644)
                files.append(dst)
            lines += ["cafile " + files[0], "certfile " + files[1], "keyfile " + files[2]]
        if self.users:
            pw = os.path.join(self.dir, "passwd")
            for i, (u, p) in enumerate(self.users.items()):
                subprocess.run(["mosquitto_passwd"] + (["-c"] if i == 0 else []) + ["-b", pw, u, p],
                               check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            lines += ["allow_anonymous false", "password_file " + pw]
        else:
            lines += ["allow_anonymous true"]
        if self.persistence:
            lines += ["persistence true", "persistence_location " + self.dir + "/"]
        lines += ["max_queued_messages 1000", "log_type all"]
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([exe, "-c", self.conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        end = time.time() + 10
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    with open(self.log_path) as f:
                        raise RuntimeError("mosquitto exited:\n" + f.read())
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if not self.log.closed:
            self.log.close()

    def restart(self):
        self.stop()
        self.start()

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _varint(n):
    out = b""
    while True:
        b = n % 128
        n //= 128
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def _s(x):
    if isinstance(x, str):
        x = x.encode()
    return struct.pack("!H", len(x)) + x


class Client:
    """A blocking MQTT 3.1.1 client for tests. Messages are (topic, payload bytes, retain)."""

    made = 0  # clients made by this process, for unique client ids

    def __init__(self, port, client_id=None, user=None, pwd=None, ca=None, clean=True,
                 keepalive=60, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if ca:
            ctx = ssl.create_default_context(cafile=ca)
            self.sock = ctx.wrap_socket(self.sock, server_hostname="127.0.0.1")
        self.buf = b""
        self.keepalive = keepalive
        self.last_send = time.time()
        self.pid = 0
        self.queue = []
        flags = 0x02 if clean else 0
        Client.made += 1
        payload = _s(client_id or "t%d-%d" % (os.getpid(), Client.made))
        if user is not None:
            flags |= 0x80
            payload += _s(user)
        if pwd is not None:
            flags |= 0x40
            payload += _s(pwd)
        var = _s("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive)
        self._send(0x10, var + payload)
        t, body = self._read_packet(timeout)
        if t != 0x20 or body[1] != 0:
            raise ConnectionError("CONNACK refused: %r" % body)
        self.session_present = bool(body[0] & 1)

    def _send(self, first, body):
        self.sock.sendall(bytes([first]) + _varint(len(body)) + body)
        self.last_send = time.time()

    def _ping_if_idle(self):
        # Keep-alive: the broker drops a client silent for 1.5 x keepalive.
        if time.time() - self.last_send > self.keepalive / 2:
            self._send(0xC0, b"")

    def _fill(self, timeout):
        r, _, _ = select.select([self.sock], [], [], timeout) if not (
            isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()) else ([self.sock], 0, 0)
        if not r:
            return False
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("broker closed the connection")
        self.buf += chunk
        return True

    def _parse(self):
        if len(self.buf) < 2:
            return None
        mult, n, i = 1, 0, 1
        while True:
            if i >= len(self.buf):
                return None
            b = self.buf[i]
            n += (b & 127) * mult
            mult *= 128
            i += 1
            if not b & 128:
                break
        if len(self.buf) < i + n:
            return None
        first, body = self.buf[0], self.buf[i:i + n]
        self.buf = self.buf[i + n:]
        return first, body

    def _read_packet(self, timeout):
        end = time.time() + timeout
        while True:
            p = self._parse()
            if p:
                return p
            left = end - time.time()
            if left <= 0 or not self._fill(left):
                raise TimeoutError("no packet from the broker")

    def subscribe(self, *filters, qos=0):
        self.pid = self.pid % 65535 + 1
        body = struct.pack("!H", self.pid) + b"".join(_s(f) + bytes([qos]) for f in filters)
        self._send(0x82, body)
        while True:
            t, b = self._read_packet(5)
            if t == 0x90:
                return
            self._handle(t, b)

    def publish(self, topic, payload, retain=False, qos=0):
        if isinstance(payload, str):
            payload = payload.encode()
        body = _s(topic)
        if qos:
            self.pid = self.pid % 65535 + 1
            body += struct.pack("!H", self.pid)
        self._send(0x30 | (qos << 1) | (1 if retain else 0), body + payload)

    def _handle(self, t, b):
        if t & 0xF0 == 0x30:
            qos = (t >> 1) & 3
            n = struct.unpack("!H", b[:2])[0]
            topic = b[2:2 + n].decode()
            rest = b[2 + n:]
            if qos:
                pid = rest[:2]
                rest = rest[2:]
                self._send(0x40, pid)
            self.queue.append((topic, rest, bool(t & 1)))

    def recv(self, timeout=5.0):
        """The next message, or None after timeout seconds."""
        end = time.time() + timeout
        while not self.queue:
            p = self._parse()
            if p:
                self._handle(*p)
                continue
            left = end - time.time()
            self._ping_if_idle()
            if left <= 0 or not self._fill(min(left, 5.0)):
                if time.time() >= end:
                    return None
        return self.queue.pop(0)

    def wait_for(self, pred, timeout=10.0):
        """Receives until pred(topic, payload, retain) is true; returns that message."""
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                return None
            m = self.recv(left)
            if m is None:
                return None
            if pred(*m):
                return m

    def collect(self, quiet=1.0, limit=10000):
        """Every message until none arrives for quiet seconds."""
        out = []
        while len(out) < limit:
            m = self.recv(quiet)
            if m is None:
                break
            out.append(m)
        return out

    def close(self):
        try:
            self._send(0xE0, b"")
        except OSError:
            pass
        self.sock.close()
