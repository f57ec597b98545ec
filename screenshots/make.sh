#!/usr/bin/env bash
# Screenshots of the real portdash dashboard in a real terminal:
# xterm under Xvfb, keys sent with xdotool, captured with ImageMagick `import`.
#
#   bash screenshots/make.sh                    # uses .build/release or .build/debug
#   PORTDASH_BIN=/path/to/portdash bash screenshots/make.sh
#
# Writes screenshots/{dashboard,conflict-details,help,kill-confirm,reserve-prompt}.png.
# Builds nothing. Touches no real state: the lease file lives in a temp dir,
# and every process it starts (listeners, Xvfb, xterm) is stopped on exit.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
OUT="$ROOT/screenshots"

# ---------------------------------------------------------------- binary
if [[ -z "${PORTDASH_BIN:-}" ]]; then
    if [[ -x .build/release/portdash ]]; then PORTDASH_BIN=.build/release/portdash
    else PORTDASH_BIN=.build/debug/portdash; fi
fi
[[ "$PORTDASH_BIN" = /* ]] || PORTDASH_BIN="$ROOT/$PORTDASH_BIN"
if [[ ! -x "$PORTDASH_BIN" ]]; then
    echo "make.sh: no portdash binary at $PORTDASH_BIN (build it first, or set PORTDASH_BIN)" >&2
    exit 1
fi
BIN=$PORTDASH_BIN

log() { printf 'make.sh: %s\n' "$*" >&2; }

# ---------------------------------------------------------------- 1. tools
need=()
command -v Xvfb    >/dev/null || need+=(xvfb)
command -v xterm   >/dev/null || need+=(xterm)
command -v xdotool >/dev/null || need+=(xdotool)
command -v xwininfo >/dev/null || need+=(x11-utils)
# `import` must be ImageMagick's, and `convert` the real one too.
{ command -v import >/dev/null && import -version 2>/dev/null | grep -q ImageMagick; } || need+=(imagemagick)
[[ -e /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ]] || need+=(fonts-dejavu-core)
command -v python3 >/dev/null || need+=(python3)
command -v ss      >/dev/null || need+=(iproute2)
if (( ${#need[@]} )); then
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
        apt-get update >/dev/null
        apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
    fi
fi

# ---------------------------------------------------------------- cleanup
TMP=$(mktemp -d /tmp/portdash-shots.XXXXXX)
PGIDS=()        # every background thing runs in its own session: kill the group
XVFB_PID=""
cleanup() {
    local rc=$?
    set +e
    if (( rc != 0 )) && [[ -s "$TMP/bg.log" ]]; then
        log "failed (exit $rc); output of the scene's processes:"
        sed 's/^/  | /' "$TMP/bg.log" >&2
    fi
    for g in "${PGIDS[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
    for _ in $(seq 1 30); do          # up to 3 s for them to go
        local alive=0
        for g in "${PGIDS[@]}"; do kill -0 -- "-$g" 2>/dev/null && alive=1; done
        (( alive )) || break
        sleep 0.1
    done
    for g in "${PGIDS[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
    if [[ -n "$XVFB_PID" ]]; then
        kill "$XVFB_PID" 2>/dev/null
        for _ in $(seq 1 30); do kill -0 "$XVFB_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$XVFB_PID" 2>/dev/null
    fi
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Start "$@" in a new session (its own process group); remember the group.
spawn() {
    setsid "$@" </dev/null >>"$TMP/bg.log" 2>&1 &
    local pid=$!
    PGIDS+=("$pid")
    LAST_PID=$pid
}

# Wait (bounded) until COMMAND succeeds.
wait_for() {
    local what=$1 tries=$2; shift 2
    for _ in $(seq 1 "$tries"); do
        if "$@"; then return 0; fi
        sleep 0.1
    done
    log "timed out waiting for $what"
    [[ -s "$TMP/bg.log" ]] && sed 's/^/  | /' "$TMP/bg.log" >&2
    return 1
}

# ---------------------------------------------------------------- 2. ports
port_busy() { [[ -n "$(ss -tanH "( sport = :$1 )" 2>/dev/null)" ]]; }
listening() { [[ -n "$(ss -ltnH "( sport = :$1 )" 2>/dev/null)" ]]; }
range_free() {
    local p
    for ((p = $1; p < $1 + 11; p++)); do port_busy "$p" && return 1; done
    return 0
}
A=""
if range_free 5000; then A=5000
else
    for ((s = 25000; s < 60000; s += 11)); do
        if range_free "$s"; then A=$s; break; fi
    done
fi
[[ -n "$A" ]] || { log "no 11 free consecutive ports found"; exit 1; }
B=$((A + 10))
RANGE="$A-$B"
export PORTDASH_STATE="$TMP/state/leases.json"
mkdir -p "$TMP/state"
G=(--range "$RANGE" --state "$PORTDASH_STATE")
log "range $RANGE, state $PORTDASH_STATE"

# The scene, by offset into the range:
#   +0 free            +1 foreign http.server (127.0.0.1)   +2 reserved "db"
#   +3 ours: "web" run  +4 foreign socket server on ::1      +5 free
#   +6 conflict: "api" leased to a sleep, held by a stranger
#   +7 foreign forked server (parent + child share the socket)  +8..+10 free
P_HTTP=$((A + 1)); P_DB=$((A + 2)); P_WEB=$((A + 3)); P_V6=$((A + 4))
P_API=$((A + 6)); P_FORK=$((A + 7))

# ---------------------------------------------------------------- 3. scene
cat >"$TMP/ipv6-echo.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::1", int(sys.argv[1])))
s.listen(8)
time.sleep(3600)
EOF
cat >"$TMP/prefork-worker.py" <<'EOF'
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
os.fork()          # parent and worker both hold the listening socket
time.sleep(3600)
EOF
cat >"$TMP/stray-listener.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(8)
time.sleep(3600)
EOF

spawn python3 -m http.server "$P_HTTP" --bind 127.0.0.1
spawn python3 "$TMP/ipv6-echo.py" "$P_V6"
spawn python3 "$TMP/prefork-worker.py" "$P_FORK"
"$BIN" reserve "${G[@]}" "$P_DB" db >/dev/null 2>>"$TMP/bg.log"
spawn "$BIN" run "${G[@]}" web --preferred "$P_WEB" -- python3 -m http.server '{port}' --bind 127.0.0.1
# The conflict: "api" is leased to a sleeping process, but a stranger holds the port.
spawn sleep 3600
SLEEP_PID=$LAST_PID
"$BIN" lease "${G[@]}" api --pid "$SLEEP_PID" --preferred "$P_API" >/dev/null 2>>"$TMP/bg.log"
spawn python3 "$TMP/stray-listener.py" "$P_API"

for p in "$P_HTTP" "$P_V6" "$P_FORK" "$P_WEB" "$P_API"; do
    wait_for "a listener on $p" 100 listening "$p"
done

# ---------------------------------------------------------------- 4. X + xterm
D=""
for n in $(seq 99 199); do
    if [[ ! -e /tmp/.X11-unix/X$n && ! -e /tmp/.X$n-lock ]]; then D=$n; break; fi
done
[[ -n "$D" ]] || { log "no free X display number"; exit 1; }
Xvfb ":$D" -screen 0 1400x900x24 -nolisten tcp >"$TMP/xvfb.log" 2>&1 &
XVFB_PID=$!
wait_for "Xvfb :$D" 100 test -S "/tmp/.X11-unix/X$D"
export DISPLAY=":$D"

spawn xterm -display "$DISPLAY" -geometry 120x32+0+0 -fa 'DejaVu Sans Mono' -fs 11 \
    -bg black -fg grey90 -bw 0 -xrm 'XTerm*allowSendEvents: true' \
    -title portdash -e env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color \
    PORTDASH_STATE="$PORTDASH_STATE" "$BIN" --range "$RANGE"
XTERM_PID=$LAST_PID

WID=$(timeout 15 xdotool search --sync --onlyvisible --pid "$XTERM_PID" 2>/dev/null | head -n1 || true)
[[ -n "$WID" ]] || WID=$(timeout 10 xdotool search --sync --onlyvisible --class xterm | head -n1 || true)
[[ -n "$WID" ]] || { log "the xterm window never appeared"; exit 1; }
xdotool windowfocus --sync "$WID" 2>/dev/null || xdotool windowfocus "$WID"

key()  { xdotool key --window "$WID" --delay 80 "$@"; sleep 0.4; }
type_() { xdotool type --window "$WID" --delay 80 "$1"; sleep 0.4; }

# Capture the xterm window alone: the window's own geometry, cropped from root
# (works without a window manager, and with one).
shot() {
    local name=$1 geo
    sleep 0.6
    geo=$(xwininfo -id "$WID" | awk '
        /Absolute upper-left X/ {x=$NF} /Absolute upper-left Y/ {y=$NF}
        /Width:/ {w=$NF} /Height:/ {h=$NF}
        END {printf "%dx%d+%d+%d", w, h, x, y}')
    import -display "$DISPLAY" -window root -crop "$geo" +repage "$OUT/$name.png"
    log "wrote screenshots/$name.png ($geo)"
}

# The first scans: the dashboard must show the scene before the first shot.
sleep 2.5

# ---------------------------------------------------------------- 5. shots
# Main view: the forked server (+7) selected, details open.
key g
for _ in 1 2 3 4 5 6 7; do key j; done
key Return
sleep 1.2          # one more scan for the details
shot dashboard
key Return         # details closed again

# The conflict (+6) with its details: the lease's holder against the stranger.
key g j j j j j j
key Return
sleep 1.2
shot conflict-details
key Return

key question
shot help
key Escape         # any key closes help
sleep 0.3

# Kill confirmation on the foreign http.server (+1); answer no.
key g j
key x
shot kill-confirm
key n

# Reserve prompt on a free port (+5); cancel.
key g j j j j j
key r
type_ cache
shot reserve-prompt
key Escape

# ---------------------------------------------------------------- 6. done
# xterm closes with the dashboard, maybe before the key-up: ignore that error.
xdotool key --window "$WID" q >/dev/null 2>&1 || true
for _ in $(seq 1 30); do kill -0 "$XTERM_PID" 2>/dev/null || break; sleep 0.1; done
log "done"
