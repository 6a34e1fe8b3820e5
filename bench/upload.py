#!/usr/bin/env python3
"""bench/upload.py MICROS [MB] [RUNS] - upload throughput of the file server on loopback, the
node's RSS during it, and a reference measured in the same run (docs/benchmarks.md, "File
server uploads").

Starts MICROS (a Release build) with a temporary data folder and fileserver=True, and a
reference sink: a separate Python process that takes the same HTTP upload and writes the body
to a file in the same folder (recv_into 256 KiB, write, rename: what the node does, without
parsing anything). Then, RUNS times (default 5), alternately: one POST /fs/files of MB MiB
(default 50) of random bytes as one multipart part to the node, and the same bytes to the sink,
both from memory in 256 KiB writes by the same client code; during the node's uploads a thread
samples its VmRSS every 5 ms, and its CPU time is read from /proc/PID/schedstat around each
upload. Finally the file is downloaded back. Prints per run and the median and best of each,
and the ratio node/reference of the medians: on a machine shared with other work the wall-clock
figures move with the load, the ratio much less. MB/s are 10^6 bytes per second. Loopback
only."""
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

SINK = r'''
import os, socket, sys
d = sys.argv[1]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(4)
print(srv.getsockname()[1], flush=True)
buf = bytearray(256 << 10)
mv = memoryview(buf)
while True:
    c, _ = srv.accept()
    head = b""
    while b"\r\n\r\n" not in head:
        k = c.recv(4096)
        if not k:
            break
        head += k
    h, _, rest = head.partition(b"\r\n\r\n")
    n = 0
    for line in h.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    tmp = os.path.join(d, "sink.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, rest)
    left = n - len(rest)
    while left > 0:
        k = c.recv_into(mv, min(len(buf), left))
        if not k:
            break
        os.write(fd, mv[:k])
        left -= k
    os.close(fd)
    os.rename(tmp, os.path.join(d, "sink.bin"))
    c.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
    c.close()
'''


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
    """CPU seconds the process ran so far (nanoseconds from /proc/PID/schedstat; the
    utime + stime of /proc/PID/stat count in 10 ms ticks, too coarse for one upload)."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            return int(f.read().split()[0]) / 1e9
    except OSError:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def upload(port, size, piece):
    """One multipart upload of size bytes; returns seconds from the first body byte to the
    reply."""
    b = b"----benchBoundary7"
    pre = (b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; filename="big.bin"'
           b"\r\n\r\n")
    post = b"\r\n--" + b + b"--\r\n"
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(("POST /fs/files HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: "
               "multipart/form-data; boundary=%s\r\ncontent-length: %d\r\n\r\n"
               % (b.decode(), len(pre) + size + len(post))).encode())
    t0 = time.perf_counter()
    s.sendall(pre)
    for _ in range(size // len(piece)):
        s.sendall(piece)
    s.sendall(post)
    reply = s.recv(4096)
    t1 = time.perf_counter()
    s.close()
    assert b" 200 " in reply.split(b"\r\n")[0], reply
    return t1 - t0


def main():
    micros = sys.argv[1]
    mb = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    data = tempfile.mkdtemp(prefix="micros-bench-up-")
    os.makedirs(os.path.join(data, "config"))
    with open(os.path.join(data, "config", "node_config.json"), "w") as f:
        f.write('{"webui": true, "fileserver": true, "upload_max": 1024}')
    port, web = free_port(), free_port()
    p = subprocess.Popen([micros, "--data", data, "--port", str(port), "--webport", str(web),
                          "--bind", "127.0.0.1", "--quiet"], stdout=subprocess.DEVNULL)
    sink = subprocess.Popen([sys.executable, "-c", SINK, data], stdout=subprocess.PIPE)
    try:
        sink_port = int(sink.stdout.readline())
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", web), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.3)
        idle = rss_kb(p.pid)
        peak = [idle]
        size = mb << 20
        piece = os.urandom(256 << 10)
        load0 = os.getloadavg()
        node, ref, cpus, ref_cpus = [], [], [], []
        for i in range(runs):
            stop = threading.Event()

            def sample():
                while not stop.is_set():
                    peak[0] = max(peak[0], rss_kb(p.pid))
                    time.sleep(0.005)

            t = threading.Thread(target=sample)
            t.start()
            c0 = cpu_s(p.pid)
            dt = upload(web, size, piece)
            cpus.append(cpu_s(p.pid) - c0)
            stop.set()
            t.join()
            node.append(size / 1e6 / dt)
            r0 = cpu_s(sink.pid)
            ref.append(size / 1e6 / upload(sink_port, size, piece))
            ref_cpus.append(cpu_s(sink.pid) - r0)
            print("run %d: node %.0f MB/s (CPU %.3f s), reference %.0f MB/s (CPU %.3f s)"
                  % (i + 1, node[-1], cpus[-1], ref[-1], ref_cpus[-1]), flush=True)
        load1 = os.getloadavg()
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
        mn, mr = statistics.median(node), statistics.median(ref)
        cpu, rcpu = statistics.median(cpus), statistics.median(ref_cpus)
        print("upload %d MiB x %d: node median %.0f MB/s (best %.0f), reference median %.0f MB/s "
              "(best %.0f), node/reference %.2f; CPU per upload: node %.3f s (%.0f MB per CPU "
              "second), reference %.3f s; download %.0f MB/s; RSS idle %d KiB, peak %d KiB "
              "(+%d KiB); load %.1f -> %.1f"
              % (mb, runs, mn, max(node), mr, max(ref), mn / mr, cpu,
                 size / 1e6 / cpu if cpu else 0, rcpu, size / 1e6 / (t1 - t0), idle, peak[0],
                 peak[0] - idle, load0[0], load1[0]))
    finally:
        p.terminate()
        sink.kill()
        p.wait(5)
        sink.wait(5)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
