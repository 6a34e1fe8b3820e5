#!/usr/bin/env bash
# bench/ratio.sh BUILD_DIR - the network core's figures (issue 12) as ratios against their
# references, measured side by side in one run:
#   - shell `hello` and `system info` round trips of micros against ideal_shell (bench/ref: one
#     poll loop, one write per reply: the physical limit on loopback), server and client pinned
#     to the same CPU (a cross-CPU wake-up on a VM costs ~80 us and hides everything else);
#   - syscalls per shell reply (strace: sendto calls for 200 hellos);
#   - fsyncs caused by a 10 s dashboard slider drag (50 `rgb color` calls a second), counted by
#     strace, with the default write-behind (persist_ms 1000).
# Only 127.0.0.1 is contacted; every run is bounded. HTTP against nginx: bench/http_wrk.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
micros="$build/micros"
[ -x "$micros" ] || { echo "no $micros: run 'make build' first" >&2; exit 1; }
tmp="$(mktemp -d /tmp/micros-ratio.XXXXXX)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
cc -O2 -o "$tmp/ideal_shell" "$here/bench/ref/ideal_shell.c"
cc -O2 -o "$tmp/hello_rt" "$here/bench/ref/hello_rt.c"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
median() { sed -n 's/.*median_us=\([0-9.]*\).*/\1/p'; }
N=${RATIO_N:-3000}

p_ideal=$(free_port)
taskset -c 0 "$tmp/ideal_shell" "$p_ideal" >/dev/null 2>&1 & pids+=($!)
p_sh=$(free_port); p_web=$(free_port)
mkdir -p "$tmp/data"
taskset -c 0 "$micros" --data "$tmp/data" --port "$p_sh" --webport "$p_web" --bind 127.0.0.1 \
    >"$tmp/micros.log" 2>&1 & pids+=($!)
mpid=$!
wait_port "$p_ideal"; wait_port "$p_sh"
taskset -c 0 "$tmp/hello_rt" "$p_sh" 300 hello >/dev/null   # warm up
ideal=$(taskset -c 0 "$tmp/hello_rt" "$p_ideal" "$N" hello | median)
hello=$(taskset -c 0 "$tmp/hello_rt" "$p_sh" "$N" hello | median)
info=$(taskset -c 0 "$tmp/hello_rt" "$p_sh" "$N" "system info" | median)
echo "## Shell round trips, pinned to CPU 0 ($(date -u +%F), load $(cut -d' ' -f1 /proc/loadavg))"
echo "| figure | micros | reference | ratio | budget |"
echo "|---|---|---|---|---|"
awk -v h="$hello" -v i="$ideal" 'BEGIN{printf "| shell `hello` median | %.1f us | ideal_shell `hello` %.1f us | %.2fx | <= 1.3x |\n", h, i, h/i}'
awk -v h="$info" -v i="$ideal" 'BEGIN{printf "| shell `system info` median | %.1f us | ideal_shell `hello` %.1f us | %.2fx | <= 2x |\n", h, i, h/i}'

if command -v strace >/dev/null; then
    strace -f -qq -c -e trace=sendto,recvfrom -o "$tmp/sc" -p "$mpid" & spid=$!
    sleep 0.5
    taskset -c 0 "$tmp/hello_rt" "$p_sh" 200 hello >/dev/null
    sleep 0.3; kill -INT "$spid"; wait "$spid" 2>/dev/null || true
    sends=$(awk '$NF=="sendto"{print $4}' "$tmp/sc")
    recvs=$(awk '$NF=="recvfrom"{print $4}' "$tmp/sc")
    echo "| writes per shell reply | $(awk -v s="${sends:-0}" -v r="${recvs:-1}" 'BEGIN{printf "%.2f", s/r}') sendto per request read (strace, $recvs requests) | 1 | | 1 |"

    strace -f -qq -c -e trace=fsync,fdatasync -o "$tmp/fs" -p "$mpid" & spid=$!
    sleep 0.5
    python3 - "$p_sh" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def prompt():
    d = b""
    while not d.endswith(b"$ "):
        d += s.recv(65536)
prompt()
t0 = time.time()
for i in range(500):          # 50 calls a second for 10 s
    s.sendall(b"rgb color %d %d %d\n" % (i % 256, 255 - i % 256, 128))
    prompt()
    time.sleep(max(0.0, t0 + (i + 1) * 0.02 - time.time()))
time.sleep(1.5)               # the write-behind delay passes: the last colour is written
PY
    kill -INT "$spid"; wait "$spid" 2>/dev/null || true
    fsyncs=$(awk '$NF=="fsync"||$NF=="fdatasync"{n+=$4} END{print n+0}' "$tmp/fs")
    echo "| fsyncs for a 10 s slider drag (500 \`rgb color\`) | $fsyncs | 1000 before (2 per call) | | a few |"
fi

# HTTP: micros and nginx (one worker) each pinned to CPU 0, wrk (1 thread, 8 connections) on
# CPU 1: GET /rest/system/heartbeat against a static file of its size, and a 4 kB static file
# on both, keep-alive and a new connection per request.
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
if command -v wrk >/dev/null && [ -x "$NGINX" ]; then
    secs=${RATIO_SECS:-5}
    kill "$mpid" 2>/dev/null || true
    mkdir -p "$tmp/web/config" "$tmp/web/web" "$tmp/nginx/www" "$tmp/nginx/logs"
    echo '{"webui": true, "webui_max_con": 12, "aioqueue": 16}' >"$tmp/web/config/node_config.json"
    head -c 4096 /dev/zero | tr '\0' 'x' >"$tmp/web/web/f4k.txt"
    cp "$tmp/web/web/f4k.txt" "$tmp/nginx/www/f4k.txt"
    p_sh=$(free_port); p_web=$(free_port); p_ng=$(free_port)
    taskset -c 0 "$micros" --data "$tmp/web" --port "$p_sh" --webport "$p_web" --bind 127.0.0.1 \
        --quiet >"$tmp/micros-web.log" 2>&1 & pids+=($!)
    webpid=$!
    wait_port "$p_web"
    hb_len=$(curl -s "http://127.0.0.1:$p_web/rest/system/heartbeat" | wc -c)
    head -c "$hb_len" /dev/zero | tr '\0' 'x' >"$tmp/nginx/www/hb.json"
    cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    server { listen 127.0.0.1:$p_ng; root $tmp/nginx/www; default_type application/json; }
}
CONF
    chmod -R a+rX "$tmp"
    taskset -c 0 "$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" &
    pids+=($!)
    ngpid=$!
    wait_port "$p_ng"
    ngworker=""
    for _ in $(seq 50); do
        ngworker=$(pgrep -P "$ngpid" | head -1) && [ -n "$ngworker" ] && break
        sleep 0.1
    done
    # CPU time a process has run, in ns (its main thread: both servers have one)
    cpu_ns() { awk '{print $1}' "/proc/$1/schedstat"; }
    # wrk for 1 s against one server; prints "req/s requests cpu_ns_used"
    round() {
        local pid=$1; shift
        local c0 c1 out
        c0=$(cpu_ns "$pid")
        out=$(taskset -c 1 wrk -t1 -c8 -d1s "$@")
        c1=$(cpu_ns "$pid")
        awk -v c=$((c1 - c0)) '/Requests\/sec/ {r=$2} / requests in / {n=$1} END {print r+0, n+0, c}' <<<"$out"
    }
    rps() { taskset -c 1 wrk -t1 -c8 -d"${secs}s" "$@" | awk '/Requests\/sec/ {print $2}'; }
    taskset -c 1 wrk -t1 -c8 -d1s "http://127.0.0.1:$p_web/rest/system/heartbeat" >/dev/null
    taskset -c 1 wrk -t1 -c8 -d1s "http://127.0.0.1:$p_ng/hb.json" >/dev/null
    # On a shared machine the load moves within seconds: micros and nginx take turns, one
    # second each, RATIO_ROUNDS times; the ratio is the median of the rounds' ratios (req/s
    # columns: means over the rounds). The server's own CPU time per request (schedstat) is
    # printed too: it does not depend on how much CPU the other processes left it.
    rounds=${RATIO_ROUNDS:-$secs}
    echo
    echo "## HTTP, server on CPU 0, wrk -t1 -c8 on CPU 1, $rounds alternating 1 s rounds each"
    echo "| figure | micros req/s | nginx req/s (1 worker, same size) | ratio (median of rounds) | budget | server CPU per request, micros / nginx |"
    echo "|---|---|---|---|---|---|"
    for case in "keep-alive|rest/system/heartbeat|hb.json|" "keep-alive|f4k.txt|f4k.txt|" \
                "new connection|rest/system/heartbeat|hb.json|close" "new connection|f4k.txt|f4k.txt|close"; do
        IFS='|' read -r label mpath npath close <<<"$case"
        extra=(); [ -n "$close" ] && extra=(-H "Connection: close")
        : >"$tmp/rounds"
        for _ in $(seq "$rounds"); do
            read -r m mreq mcpu < <(round "$webpid" "${extra[@]}" "http://127.0.0.1:$p_web/$mpath")
            read -r n nreq ncpu < <(round "$ngworker" "${extra[@]}" "http://127.0.0.1:$p_ng/$npath")
            echo "$m $n $mreq $mcpu $nreq $ncpu" >>"$tmp/rounds"
        done
        budget=">= 0.9x"; [ -n "$close" ] && budget=">= 1.0x"
        med=$(awk '{ print ($2 > 0 ? $1 / $2 : 0) }' "$tmp/rounds" | sort -g |
              awk '{ r[NR] = $1 } END { print (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }')
        awk -v l="$label" -v p="$mpath" -v b="$budget" -v med="$med" '
            { m += $1; n += $2; mr += $3; mc += $4; nr += $5; nc += $6 }
            END { mu = mr ? mc / mr / 1000 : 0; nu = nr ? nc / nr / 1000 : 0
                  printf "| %s `/%s` | %.0f | %.0f | %.2fx | %s | %.1f / %.1f us (%.2fx) |\n",
                         l, p, m / NR, n / NR, med, b, mu, nu, (mu > 0 ? nu / mu : 0) }' \
            "$tmp/rounds"
    done
fi
