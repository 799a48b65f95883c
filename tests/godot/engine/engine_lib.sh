# Shared by the engine test scripts here: a private copy of the test game, the parse check and
# the PASS judgement of run-gd (../shared/godot/run-gd), for runs that run-gd cannot do itself
# (the game takes `+connect_lobby ID` as its first arguments, which needs the main scene; and
# Godot 3.2.3's --check-only does not know autoload names such as `Steam`, so only the addon's
# own scripts are parse-checked; a parse error in the game still shows as SCRIPT ERROR at run time).
# shellcheck shell=bash

GODOT="${RUN_GD_GODOT:-godot3-server}"
export LANG=en_US.UTF-8

engine_setup() {  # engine_setup GAME_DIR -> sets WORK, GAME (a copy with the addon link resolved)
    if ! command -v "$GODOT" >/dev/null 2>&1; then
        echo "FAIL: $GODOT not found (apt-get install -y godot3-server)"
        exit 1
    fi
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/kettle-engine.XXXXXX")"
    trap engine_cleanup EXIT
    GAME="$WORK/game"
    cp -rL "$1" "$GAME" || { echo "FAIL: cannot copy $1"; exit 1; }
    cd "$WORK" || exit 1
    local f out
    for f in "$GAME"/addons/kettle/*.gd; do
        out="$(timeout -k 5 60 "$GODOT" --path "$GAME" --check-only -s "res://addons/kettle/$(basename "$f")" 2>&1)"
        if [ $? -ne 0 ] || printf '%s\n' "$out" | grep -qE 'Parse Error|SCRIPT ERROR'; then
            printf '%s\n' "$out"
            echo "FAIL: parse check of addons/kettle/$(basename "$f")"
            exit 1
        fi
    done
}

ENGINE_PIDS=()
engine_cleanup() {
    local p
    for p in "${ENGINE_PIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$WORK"
}

# engine_judge NAME LOG RC: 0 if LOG has a line exactly PASS, no script error, and RC is 0.
engine_judge() {
    local name="$1" log="$2" rc="$3" ok=1
    if grep -qE 'SCRIPT ERROR|Parse Error' "$log"; then
        echo "FAIL: $name reported a script error"; ok=0
    fi
    if ! tr -d '\r' < "$log" | grep -qx 'PASS'; then
        echo "FAIL: $name printed no PASS line (exit $rc)"; ok=0
    fi
    if [ "$rc" -ne 0 ]; then
        echo "FAIL: $name exited $rc"; ok=0
    fi
    if [ $ok -eq 0 ]; then
        echo "----- $name output:"; cat "$log"; echo "-----"
        return 1
    fi
    echo "ok: $name"
    return 0
}

# engine_wait_line LOG PID REGEX TIMEOUT: prints the first line of LOG matching REGEX, waiting for
# it while PID runs (tail -f wakes on each write; no polling sleep).
engine_wait_line() {
    timeout "$4" tail -n +1 -f --pid="$2" "$1" 2>/dev/null | grep -m1 -E "$3"
}

# engine_start_server SERVER_BIN: a kettle-server --dev on 127.0.0.1 (OS-chosen port, files in
# $WORK), stopped by engine_cleanup; sets SERVER_PID, UDP (HOST:PORT) and KEY (its public key).
engine_start_server() {
    "$1" --dev --db "$WORK/kettle.db" --key "$WORK/server.key" --udp 127.0.0.1:0 --http off \
        > "$WORK/server.out" 2> "$WORK/server.log" &
    SERVER_PID=$!
    ENGINE_PIDS+=("$SERVER_PID")
    LISTEN="$(engine_wait_line "$WORK/server.out" "$SERVER_PID" '^kettle-server listening ' 60)"
    UDP="$(printf '%s\n' "$LISTEN" | sed -n 's/.* udp=\([^ ]*\).*/\1/p')"
    KEY="$(printf '%s\n' "$LISTEN" | sed -n 's/.* key=\([0-9a-f]*\).*/\1/p')"
    if [ -z "$UDP" ] || [ -z "$KEY" ]; then
        echo "FAIL: kettle-server did not start"; cat "$WORK/server.log"; exit 1
    fi
}

# engine_stop_server: SIGTERM to the server engine_start_server started; 1 (with the reason and
# the log's tail) unless it exits 0.
engine_stop_server() {
    local rc
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID"; rc=$?
    if [ $rc -ne 0 ]; then
        echo "FAIL: kettle-server exited $rc"; tail -20 "$WORK/server.log"
        return 1
    fi
}
