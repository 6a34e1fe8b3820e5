#!/usr/bin/env bash
# http_wrk.sh - REST throughput of micros against nginx, side by side in one run.
#
#   bench/http_wrk.sh [BUILD_DIR] [SECONDS]
#
# Starts build/micros (webui on, loopback) and nginx (temporary config, one worker, serving
# a small static file of about the size of the REST reply) on free loopback ports, runs
# Debian's wrk with 8 connections against GET /rest/system/info (micros) and the static file
# (nginx): once with keep-alive and once with a new connection per request
# (-H "Connection: close"). Prints the figures and writes them into the "HTTP" section of
# docs/benchmarks.md, next to the ARCHITECTURE budgets. Installs wrk and nginx with apt-get
# when they are missing (as root). Only 127.0.0.1 is ever contacted; every run is bounded.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
secs="${2:-5}"
micros="$build/micros"
doc="$here/docs/benchmarks.md"

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "http_wrk.sh needs: ${need[*]} (sudo apt-get install -y ${need[*]})" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
[ -x "$micros" ] || { echo "no $micros: run 'make build' first" >&2; exit 1; }

tmp="$(mktemp -d /tmp/micros-bench-http.XXXXXX)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 100); do
        python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2).close()" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "port $1 did not open" >&2
    exit 1
}

# micros: 8 benchmark connections must fit (webui_max_con and the shared client table).
mkdir -p "$tmp/node/config"
echo '{"webui": true, "webui_max_con": 12, "aioqueue": 16}' >"$tmp/node/config/node_config.json"
mport="$(free_port)"; sport="$(free_port)"
"$micros" --data "$tmp/node" --port "$sport" --webport "$mport" --bind 127.0.0.1 --quiet &
pids+=($!)
wait_port "$mport"
murl="http://127.0.0.1:$mport/rest/system/info"
body_len="$(curl -s "$murl" | wc -c)"

# nginx: one worker (our node is one thread), static file of the same size, no logging.
nport="$(free_port)"
mkdir -p "$tmp/nginx/www" "$tmp/nginx/logs"
head -c "$body_len" /dev/zero | tr '\0' 'x' >"$tmp/nginx/www/info.json"
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
    server {
        listen 127.0.0.1:$nport;
        root $tmp/nginx/www;
        default_type application/json;
    }
}
CONF
"$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" &
pids+=($!)
wait_port "$nport"
nurl="http://127.0.0.1:$nport/info.json"
chmod -R a+rX "$tmp" # nginx's worker may run as www-data
code="$(curl -s -o /dev/null -w '%{http_code}' "$nurl")"
[ "$code" = 200 ] || { echo "nginx answered $code, not 200" >&2; exit 1; }
code="$(curl -s -o /dev/null -w '%{http_code}' "$murl")"
[ "$code" = 200 ] || { echo "micros answered $code, not 200" >&2; exit 1; }

# run_wrk URL [extra wrk args]: prints "req/s non2xx errors"
run_wrk() {
    local url="$1"; shift
    local out
    out="$(wrk -t1 -c8 -d"${secs}s" "$@" "$url")"
    local rps non2xx errs
    rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
    non2xx="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
    errs="$(awk '/Socket errors/ {gsub(",",""); print $4+$6+$8+$10}' <<<"$out")"
    echo "${rps:-0} ${non2xx:-0} ${errs:-0}"
}

load="$(cut -d" " -f1 /proc/loadavg)" # the machine is shared: say how busy it was
echo "warming up..." >&2
wrk -t1 -c8 -d1s "$murl" >/dev/null
wrk -t1 -c8 -d1s "$nurl" >/dev/null

read -r m_ka m_ka_bad m_ka_err <<<"$(run_wrk "$murl")"
read -r n_ka n_ka_bad n_ka_err <<<"$(run_wrk "$nurl")"
read -r m_nc m_nc_bad m_nc_err <<<"$(run_wrk "$murl" -H "Connection: close")"
read -r n_nc n_nc_bad n_nc_err <<<"$(run_wrk "$nurl" -H "Connection: close")"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "met" : "missed" }'; }
r_ka="$(ratio "$m_ka" "$n_ka")"; r_nc="$(ratio "$m_nc" "$n_nc")"

cpu="$(awk -F: '/model name/ {gsub(/^ +/, "", $2); print $2; exit}' /proc/cpuinfo)"
section="$(cat <<MD
## HTTP

\`bench/http_wrk.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, ${cpu:-unknown CPU}, load ${load} at start): Debian's \`wrk\`
(1 thread, 8 connections, ${secs} s each) on \`GET /rest/system/info\` of a Release \`micros\`
(one thread), and in the same run on nginx (one worker, access log off) serving a static
file of the same size (${body_len} bytes). Everything on 127.0.0.1; wrk shares the machine.

| run | micros req/s | nginx req/s | micros / nginx | budget | |
|---|---|---|---|---|---|
| keep-alive, 8 connections | ${m_ka} | ${n_ka} | ${r_ka} | ≥ 40,000 | $(verdict "$m_ka" 40000) |
| new connection per request (\`Connection: close\`) | ${m_nc} | ${n_nc} | ${r_nc} | ≥ 10,000 | $(verdict "$m_nc" 10000) |

Non-2xx replies / socket errors: micros ${m_ka_bad}/${m_ka_err} and ${m_nc_bad}/${m_nc_err}, nginx ${n_ka_bad}/${n_ka_err} and ${n_nc_bad}/${n_nc_err}.
Each micros request runs the whole command path (parse, executor, \`system info\`, JSON render);
nginx only sends a file, so the ratio is against the practical ceiling of this machine.
MD
)"
echo "$section"

mkdir -p "$(dirname "$doc")"
[ -f "$doc" ] || printf '# Benchmarks\n\nMeasured figures against the budgets of the architecture notes.\n' >"$doc"
python3 - "$doc" "$section" <<'PY'
import re, sys
path, section = sys.argv[1], sys.argv[2].rstrip() + "\n"
text = open(path).read()
m = re.search(r"^## HTTP\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
if m:
    text = text[:m.start()] + section + ("\n" if text[m.end():] else "") + text[m.end():]
else:
    text = text.rstrip() + "\n\n" + section
open(path, "w").write(text)
PY
echo "written to $doc" >&2
