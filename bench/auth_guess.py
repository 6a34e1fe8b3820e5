#!/usr/bin/env python3
"""Password guessing rate against a node with auth on (issue 13, item 2).

Starts micros (auth True) and runs attackers for --seconds: each attacker has its own source
address 127.0.0.<n>, opens a shell connection, sends a wrong password, waits at most 50 ms
for the answer and closes, again and again (the fastest way to make guesses). A guess
counts as "compared" when the node logged a failed login for it (`auth: failed login`,
written only when a password is really compared; guesses inside a back-off window are
refused unseen). Prints guesses sent and compared, per minute.

    bench/auth_guess.py --micros build/micros [--addresses 1] [--seconds 60]
"""
import argparse
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "blackbox"))
import harness  # noqa: E402


def attacker(port, addr, end, counts, idx):
    n = 0
    while time.time() < end:
        try:
            s = socket.socket()
            s.bind((addr, 0))
            s.settimeout(1.0)
            s.connect(("127.0.0.1", port))
            s.recv(64)
            s.sendall(("Wrong%05dGuessQ" % n).encode())
            s.settimeout(0.05)
            try:
                s.recv(64)
            except socket.timeout:
                pass
            s.close()
            n += 1
        except OSError:
            time.sleep(0.01)
    counts[idx] = n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--micros", required=True)
    ap.add_argument("--addresses", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=60)
    a = ap.parse_args()
    harness.MICROS = os.path.abspath(a.micros)
    node = harness.Node(config={"auth": True, "appwd": "Secr3tPassXyz", "aioqueue": 50},
                        extra_args=("--maxconn", "256"))
    try:
        end = time.time() + a.seconds
        counts = [0] * a.addresses
        th = [threading.Thread(target=attacker,
                               args=(node.port, "127.0.0.%d" % (i + 1), end, counts, i))
              for i in range(a.addresses)]
        for t in th:
            t.start()
        for t in th:
            t.join()
        time.sleep(0.5)
    finally:
        node.stop()
    compared = len(re.findall(r"auth: failed login from", node.output()))
    per_min = 60.0 / a.seconds
    print("auth_guess: %d address(es), %.0f s: %d guesses sent (%.0f/min), %d compared "
          "(%.1f/min)" % (a.addresses, a.seconds, sum(counts), sum(counts) * per_min, compared,
                          compared * per_min))


if __name__ == "__main__":
    main()
