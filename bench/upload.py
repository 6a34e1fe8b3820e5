#!/usr/bin/env python3
"""bench/upload.py MICROS [MB] - upload throughput of the file server on loopback and the
node's RSS during it (docs/benchmarks.md, "File server uploads").

Starts MICROS (a Release build) with a temporary data folder and fileserver=True, measures its
idle RSS, then POSTs one multipart upload of MB MiB (default 50) from memory in 256 KiB
writes while a thread samples VmRSS every 5 ms; then downloads the file back. Prints MB/s
both ways and the RSS peak above idle. Loopback only."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_s(pid):
    """User + system CPU seconds the process used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    micros = sys.argv[1]
    mb = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    data = tempfile.mkdtemp(prefix="micros-bench-up-")
    os.makedirs(os.path.join(data, "config"))
    with open(os.path.join(data, "config", "node_config.json"), "w") as f:
        f.write('{"webui": true, "fileserver": true, "upload_max": 1024}')
    port, web = free_port(), free_port()
    p = subprocess.Popen([micros, "--data", data, "--port", str(port), "--webport", str(web),
                          "--bind", "127.0.0.1", "--quiet"], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", web), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.3)
        idle = rss_kb(p.pid)
        peak = [idle]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_kb(p.pid))
                time.sleep(0.005)

        t = threading.Thread(target=sample)
        t.start()
        b = b"----benchBoundary7"
        pre = (b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; filename="big.bin"'
               b"\r\n\r\n")
        post = b"\r\n--" + b + b"--\r\n"
        size = mb << 20
        piece = os.urandom(256 << 10)
        s = socket.create_connection(("127.0.0.1", web))
        s.sendall(("POST /fs/files HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: "
                   "multipart/form-data; boundary=%s\r\ncontent-length: %d\r\n\r\n"
                   % (b.decode(), len(pre) + size + len(post))).encode())
        c0 = cpu_s(p.pid)
        t0 = time.perf_counter()
        s.sendall(pre)
        for _ in range(size // len(piece)):
            s.sendall(piece)
        s.sendall(post)
        reply = s.recv(4096)
        t1 = time.perf_counter()
        s.close()
        stop.set()
        t.join()
        assert b" 200 " in reply.split(b"\r\n")[0], reply
        up = mb / (t1 - t0)
        cpu = cpu_s(p.pid) - c0
        s = socket.create_connection(("127.0.0.1", web))
        s.sendall(b"GET /user_data/big.bin HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        t0 = time.perf_counter()
        got = 0
        while True:
            d = s.recv(1 << 20)
            if not d:
                break
            got += len(d)
        t1 = time.perf_counter()
        s.close()
        assert got >= size, got
        print("upload %d MiB: %.0f MB/s wall, node CPU %.2f s (%.0f MB per CPU second); "
              "download: %.0f MB/s; RSS idle %d KiB, peak %d KiB (+%d KiB); load %s"
              % (mb, up, cpu, mb / cpu if cpu else 0, mb / (t1 - t0), idle, peak[0],
                 peak[0] - idle, os.getloadavg()[0]))
    finally:
        p.terminate()
        p.wait(5)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
