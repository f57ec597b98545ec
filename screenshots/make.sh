#!/usr/bin/env bash
# Screenshots of the real portdash dashboard in a real terminal:
# xterm under Xvfb, keys sent with xdotool, captured with ImageMagick `import`.
#
#   bash screenshots/make.sh                    # uses .build/release or .build/debug
#   bash screenshots/make.sh projects           # only the two-checkouts shot
#   PORTDASH_BIN=/path/to/portdash bash screenshots/make.sh
#
# Writes screenshots/{dashboard,conflict-details,help,kill-confirm,reserve-prompt,every-listener,filter,projects}.png.
# Builds nothing. Touches no real state: the lease file lives in a temp dir,
# and every process it starts (listeners, Xvfb, xterm) is stopped on exit.
#
# No fixed sleeps: after each key it waits until xterm's own screen shows the
# key's effect. xterm writes its screen as text to a file when it gets
# Ctrl+Shift+F12 (the print-immediate action, bound below), so what is checked
# is what xterm has drawn, not what some other terminal would show.
set -euo pipefail

log() { printf 'make.sh: %s\n' "$*" >&2; }

# ---------------------------------------------------------------- waiting

# now_us: the wall clock in microseconds.
now_us() { echo "${EPOCHREALTIME/./}"; }

# wait_quietly SECONDS COMMAND...: polls COMMAND until it succeeds; 1 after SECONDS.
wait_quietly() {
    local end=$(( $(now_us) + $1 * 1000000 )); shift
    until "$@"; do
        (( $(now_us) < end )) || return 1
        sleep 0.05
    done
}

# wait_for WHAT SECONDS COMMAND...: the same, but a timeout is an error that
# shows the scene's output.
wait_for() {
    local what=$1; shift
    wait_quietly "$@" && return 0
    log "timed out waiting for $what"
    [[ -s "$TMP/bg.log" ]] && sed 's/^/  | /' "$TMP/bg.log" >&2
    return 1
}

# ---------------------------------------------------------------- set-up

install_missing_tools() {
    local need=()
    command -v Xvfb    >/dev/null || need+=(xvfb)
    command -v xterm   >/dev/null || need+=(xterm)
    command -v xdotool >/dev/null || need+=(xdotool)
    command -v xwininfo >/dev/null || need+=(x11-utils)
    # `import` must be ImageMagick's, and `convert` the real one too.
    { command -v import >/dev/null && import -version 2>/dev/null | grep -q ImageMagick; } || need+=(imagemagick)
    [[ -e /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ]] || need+=(fonts-dejavu-core)
    command -v python3 >/dev/null || need+=(python3)
    command -v ss      >/dev/null || need+=(iproute2)
    command -v git     >/dev/null || need+=(git)
    (( ${#need[@]} )) || return 0
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
        apt-get update >/dev/null
        apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
    fi
}

# The binary, by the bench's one rule (bench/benchlib/binary.py): $PORTDASH_BIN,
# else the release build, else the debug build.
find_binary() {
    if ! BIN=$(PYTHONPATH="$ROOT/bench" python3 -m benchlib.binary --allow-debug ${PORTDASH_BIN:+"$PORTDASH_BIN"}); then
        log "(or set PORTDASH_BIN to a built binary)"
        exit 1
    fi
}

PGIDS=()        # every background thing runs in its own session: kill the group
XVFB_PID=""
groups_gone() {
    local g
    for g in "${PGIDS[@]}"; do kill -0 -- "-$g" 2>/dev/null && return 1; done
    return 0
}
process_gone() { ! kill -0 "$1" 2>/dev/null; }

cleanup() {
    local rc=$?
    set +e
    if (( rc != 0 )) && [[ -s "$TMP/bg.log" ]]; then
        log "failed (exit $rc); output of the scene's processes:"
        sed 's/^/  | /' "$TMP/bg.log" >&2
    fi
    for g in "${PGIDS[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
    wait_quietly 3 groups_gone
    for g in "${PGIDS[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
    if [[ -n "$XVFB_PID" ]]; then
        kill "$XVFB_PID" 2>/dev/null
        wait_quietly 3 process_gone "$XVFB_PID" || kill -KILL "$XVFB_PID" 2>/dev/null
    fi
    rm -rf "$TMP"
    exit "$rc"
}

# Start "$@" in a new session (its own process group); remember the group.
spawn() {
    setsid "$@" </dev/null >>"$TMP/bg.log" 2>&1 &
    local pid=$!
    PGIDS+=("$pid")
    LAST_PID=$pid
}

# ---------------------------------------------------------------- ports

port_busy() { [[ -n "$(ss -tanH "( sport = :$1 )" 2>/dev/null)" ]]; }
listening() { [[ -n "$(ss -ltnH "( sport = :$1 )" 2>/dev/null)" ]]; }
range_free() {
    local p
    for ((p = $1; p < $1 + 11; p++)); do port_busy "$p" && return 1; done
    return 0
}

# A: the first of 11 free ports, 5000 if 5000-5010 are free, else from 25000 up.
pick_range() {
    local s
    A=""
    if range_free 5000; then A=5000
    else
        for ((s = 25000; s < 60000; s += 11)); do
            if range_free "$s"; then A=$s; break; fi
        done
    fi
    [[ -n "$A" ]] || { log "no 11 free consecutive ports found"; exit 1; }
    RANGE="$A-$((A + 10))"
    # The scene, by offset into the range:
    #   +0 free            +1 foreign http.server (127.0.0.1)   +2 reserved "db"
    #   +3 ours: "web" run  +4 foreign socket server on ::1      +5 free
    #   +6 conflict: "api" leased to a sleep, held by a stranger
    #   +7 foreign forked server (parent + child share the socket)  +8..+10 free
    P_HTTP=$((A + 1)); P_DB=$((A + 2)); P_WEB=$((A + 3)); P_V6=$((A + 4))
    P_FREE=$((A + 5)); P_API=$((A + 6)); P_FORK=$((A + 7))
    # Outside the pool, for the every-listener view (Tab).
    P_OUT=$((A + 100))
}

# ---------------------------------------------------------------- scene

write_scene_scripts() {
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
}

start_scene() {
    local G=(--range "$RANGE" --state "$PORTDASH_STATE") p
    write_scene_scripts
    spawn python3 -m http.server "$P_HTTP" --bind 127.0.0.1
    spawn python3 "$TMP/ipv6-echo.py" "$P_V6"
    spawn python3 "$TMP/prefork-worker.py" "$P_FORK"
    spawn python3 -m http.server "$P_OUT" --bind 127.0.0.1
    "$BIN" reserve "${G[@]}" "$P_DB" db >/dev/null 2>>"$TMP/bg.log"
    spawn "$BIN" run "${G[@]}" web --preferred "$P_WEB" -- python3 -m http.server '{port}' --bind 127.0.0.1
    # The conflict: "api" is leased to a sleeping process, but a stranger holds the port.
    spawn sleep 3600
    "$BIN" lease "${G[@]}" api --pid "$LAST_PID" --preferred "$P_API" >/dev/null 2>>"$TMP/bg.log"
    spawn python3 "$TMP/stray-listener.py" "$P_API"
    for p in "$P_HTTP" "$P_V6" "$P_FORK" "$P_WEB" "$P_API" "$P_OUT"; do
        wait_for "a listener on $p" 10 listening "$p"
    done
}

# One repository in two checkouts (main, and a feature-x worktree), each
# running `portdash up` on the same pool: six ports, two projects.
start_project_scene() {
    local repo="$TMP/shop" wt="$TMP/shop-feature-x"
    mkdir -p "$repo"
    git -C "$repo" init -q -b main
    cat >"$repo/portdash.toml" <<'EOF'
[services.api]
command = "python3 -m http.server {port} --bind 127.0.0.1"

[services.web]
command = "python3 -m http.server {port} --bind 127.0.0.1"
depends_on = ["api"]
ports = ["debug"]
env = { API_URL = "http://127.0.0.1:{api.port}" }
EOF
    git -C "$repo" add portdash.toml
    git -C "$repo" -c user.name=demo -c user.email=demo@example.com commit -qm shop
    git -C "$repo" worktree add -q -b feature-x "$wt" 2>>"$TMP/bg.log"
    # One after the other, so that main gets the first three ports.
    spawn env -C "$repo" "$BIN" up --range "$RANGE"
    wait_for "main's services" 30 listening $((A + 1))
    spawn env -C "$wt" "$BIN" up --range "$RANGE"
    wait_for "feature-x's services" 30 listening $((A + 4))
    # The router, so that the URLs are names (plain HTTP: --no-tls keeps the CA and the trust stores out of it).
    SERVE_PORT=$((A + 20))
    spawn "$BIN" serve --listen "127.0.0.1:$SERVE_PORT" --no-tls --range "$RANGE"
    wait_for "portdash serve" 30 listening "$SERVE_PORT"
}

# ---------------------------------------------------------------- X + xterm

start_x() {
    local n
    D=""
    for n in $(seq 99 199); do
        if [[ ! -e /tmp/.X11-unix/X$n && ! -e /tmp/.X$n-lock ]]; then D=$n; break; fi
    done
    [[ -n "$D" ]] || { log "no free X display number"; exit 1; }
    Xvfb ":$D" -screen 0 1400x900x24 -nolisten tcp >"$TMP/xvfb.log" 2>&1 &
    XVFB_PID=$!
    wait_for "Xvfb :$D" 10 test -S "/tmp/.X11-unix/X$D"
    export DISPLAY=":$D"
}

# The dashboard in xterm; WID is its window. Ctrl+Shift+F12 makes xterm write
# its current screen as plain text to $SCREENS/screen<timestamp>.
start_xterm() {
    SCREENS="$TMP/screens"
    mkdir -p "$SCREENS"
    spawn xterm -display "$DISPLAY" -geometry 120x32+0+0 -fa 'DejaVu Sans Mono' -fs 11 \
        -bg black -fg grey90 -bw 0 -xrm 'XTerm*allowSendEvents: true' \
        -xrm "XTerm*printFileImmediate: $SCREENS/screen" -xrm 'XTerm*printOptsImmediate: 1' \
        -xrm 'XTerm*printModeImmediate: 0' \
        -xrm 'XTerm*VT100.translations: #override Ctrl Shift <Key>F12: print-immediate()' \
        -title portdash -e env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color \
        PORTDASH_STATE="$PORTDASH_STATE" "$BIN" --range "$RANGE"
    XTERM_PID=$LAST_PID
    WID=$(timeout 15 xdotool search --sync --onlyvisible --pid "$XTERM_PID" 2>/dev/null | head -n1 || true)
    [[ -n "$WID" ]] || WID=$(timeout 10 xdotool search --sync --onlyvisible --class xterm | head -n1 || true)
    [[ -n "$WID" ]] || { log "the xterm window never appeared"; exit 1; }
    xdotool windowfocus --sync "$WID" 2>/dev/null || xdotool windowfocus "$WID"
}

key()   { xdotool key --window "$WID" --delay 80 "$@"; }
type_() { xdotool type --window "$WID" --delay 80 "$1"; }

# ---------------------------------------------------------------- the screen

screen_written() { compgen -G "$SCREENS/screen*" >/dev/null; }

# xterm_screen: what xterm shows now, as text (one line per row).
xterm_screen() {
    rm -f "$SCREENS"/screen*
    xdotool key --window "$WID" ctrl+shift+F12
    wait_quietly 5 screen_written || return 1
    cat "$SCREENS"/screen*
}

# screen_shows PATTERN...: a row of xterm's screen matches each extended regex
# PATTERN; a PATTERN written !REGEX must match no row.
screen_shows() {
    local screen p
    screen=$(xterm_screen) || return 1
    printf '%s\n' "$screen" >"$TMP/last-screen.txt"
    for p in "$@"; do
        if [[ $p == '!'* ]]; then
            grep -qE -- "${p:1}" <<<"$screen" && return 1
        else
            grep -qE -- "$p" <<<"$screen" || return 1
        fi
    done
    return 0
}

# wait_for_screen WHAT PATTERN...: until screen_shows PATTERN...; on a timeout,
# the last screen read is shown.
wait_for_screen() {
    local what=$1; shift
    wait_quietly 20 screen_shows "$@" && return 0
    log "timed out waiting for $what; xterm's screen was:"
    sed 's/^/  | /' "$TMP/last-screen.txt" >&2
    return 1
}

# Capture the xterm window alone: the window's own geometry, cropped from root
# (works without a window manager, and with one).
shot() {
    local name=$1 geo
    geo=$(xwininfo -id "$WID" | awk '
        /Absolute upper-left X/ {x=$NF} /Absolute upper-left Y/ {y=$NF}
        /Width:/ {w=$NF} /Height:/ {h=$NF}
        END {printf "%dx%d+%d+%d", w, h, x, y}')
    import -display "$DISPLAY" -window root -crop "$geo" +repage "$OUT/$name.png"
    log "wrote screenshots/$name.png ($geo)"
}

# ---------------------------------------------------------------- shots

# Every row of the scene as the first scans show it (+7: both pids of the forked server).
wait_for_scene() {
    wait_for_screen "the scene on the dashboard" "2 ours +3 foreign +1 conflict" \
        "^$P_HTTP +foreign" "^$P_DB +ours +db" "^$P_WEB +ours +web +[0-9]" "^$P_V6 +foreign" \
        "^$P_API +conflict +api" "^$P_FORK +foreign +[0-9]+,[0-9]+ "
}

# Main view: the forked server (+7) selected, details open.
shoot_dashboard() {
    key g j j j j j j j
    key Return
    wait_for_screen "the details of $P_FORK" "^ $P_FORK details" "sockets: 127\.0\.0\.1:$P_FORK LISTEN"
    shot dashboard
    key Return         # details closed again
    wait_for_screen "the details closed" "!^ $P_FORK details"
}

# The conflict (+6) with its details: the lease's holder against the stranger.
shoot_conflict_details() {
    key g j j j j j j
    key Return
    wait_for_screen "the details of $P_API" "^ $P_API details" "conflict: held by"
    shot conflict-details
    key Return
    wait_for_screen "the details closed" "!^ $P_API details"
}

shoot_help() {
    key question
    wait_for_screen "the help" "portdash keys" "press any key to go back"
    shot help
    key Escape         # any key closes help
    wait_for_screen "the list again" "!portdash keys" "Enter Details"
}

# Kill confirmation on the foreign http.server (+1); answer no.
shoot_kill_confirm() {
    key g j
    key x
    wait_for_screen "the kill box" "Kill what holds port $P_HTTP\?" "y: kill"
    shot kill-confirm
    key n
    wait_for_screen "the kill box closed" "!Kill what holds port"
}

# Every listener on the host (Tab), the one outside the pool among them; back.
shoot_every_listener() {
    key Tab
    wait_for_screen "every listener" "every listener" "^$P_OUT +foreign +[0-9]" "^$P_FORK +foreign"
    shot every-listener
    key Tab
    wait_for_screen "the pool again" "pool $RANGE" "!^$P_OUT "
}

# An active filter: only the python servers.
shoot_filter() {
    key slash
    type_ http.server
    key Return
    wait_for_screen "the filter kept" 'filter "http.server"' "^$P_HTTP +foreign" "!^$P_V6 "
    shot filter
    key slash Escape
    wait_for_screen "the filter cleared" "filter cleared" "^$P_V6 "
}

# Reserve prompt on a free port (+5); cancel.
shoot_reserve_prompt() {
    key g j j j j j
    key r
    type_ cache
    wait_for_screen "the reserve prompt" "Reserve $P_FREE for service: cache"
    shot reserve-prompt
    key Escape
    wait_for_screen "the prompt cancelled" "reserve cancelled"
}

# Both checkouts' services, feature-x's web (+4) selected with its details.
shoot_projects() {
    wait_for_screen "both checkouts on the dashboard" "6 ours" "^$A +ours +api · shop@main" \
        "^$((A + 4)) +ours +web · shop-feature-x@feature-x +[0-9]"
    key g j j j j
    key Return
    wait_for_screen "the details of $((A + 4))" "^ $((A + 4)) details" "readiness: port" "web.shop-feature-x.localhost:$SERVE_PORT"
    shot projects
    key Return
    wait_for_screen "the details closed" "!^ $((A + 4)) details"
}

# xterm closes with the dashboard, maybe before the key-up: ignore that error.
quit_dashboard() {
    xdotool key --window "$WID" q >/dev/null 2>&1 || true
    wait_quietly 3 process_gone "$XTERM_PID" || true
}

main() {
    cd "$(dirname "${BASH_SOURCE[0]}")/.."
    ROOT=$(pwd)
    OUT="$ROOT/screenshots"
    install_missing_tools
    find_binary
    TMP=$(mktemp -d /tmp/portdash-shots.XXXXXX)
    trap cleanup EXIT
    trap 'exit 130' INT TERM HUP
    export PORTDASH_STATE="$TMP/state/leases.json"
    mkdir -p "$TMP/state"
    start_x
    if [[ ${1:-} != projects ]]; then
        pick_range
        log "range $RANGE, state $PORTDASH_STATE"
        start_scene
        start_xterm
        wait_for_scene
        shoot_dashboard
        shoot_conflict_details
        shoot_help
        shoot_kill_confirm
        shoot_reserve_prompt
        shoot_every_listener
        shoot_filter
        quit_dashboard
    fi
    pick_range       # the scene's range is still held: a new one
    log "projects: range $RANGE"
    start_project_scene
    start_xterm
    shoot_projects
    quit_dashboard
    log "done"
}

main "$@"
