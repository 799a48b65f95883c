#!/usr/bin/env bash
# The demo project (examples/godot-demo) played headless: a real `kettle-server --dev` and two
# Godot 3 instances, each with its own kettle-agent started by the Steam autoload, run the demo's
# --headless-smoke path (examples/godot-demo/smoke.gd): the host creates a public lobby with a
# unique name; the guest either finds it through the lobby list's string filter (JOIN_MODE search)
# or is started with `+connect_lobby <id>` (JOIN_MODE connect_lobby); they chat in the lobby, play
# one game of tic-tac-toe over P2P (the host drops 4 bad packets the guest slips in), compare
# boards, and the guest leaves. Both must print PASS.
#   demo_smoke.sh KETTLE_SERVER_BIN KETTLE_AGENT_BIN DEMO_DIR search|connect_lobby
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/engine_lib.sh"
[ $# -eq 4 ] || { echo "usage: demo_smoke.sh KETTLE_SERVER_BIN KETTLE_AGENT_BIN DEMO_DIR search|connect_lobby"; exit 2; }
SERVER_BIN="$1"
AGENT_BIN="$2"
JOIN_MODE="$4"
case "$JOIN_MODE" in search|connect_lobby) ;; *) echo "FAIL: unknown join mode $JOIN_MODE"; exit 2 ;; esac
for b in "$SERVER_BIN" "$AGENT_BIN"; do
    [ -x "$b" ] || { echo "FAIL: $b is not built"; exit 1; }
done
engine_setup "$3"
SMOKE_TIMEOUT_S="${SMOKE_TIMEOUT_S:-90}"
RUN_TIMEOUT=$((SMOKE_TIMEOUT_S + 30))

engine_start_server "$SERVER_BIN"
echo "kettle-server on $UDP"

play() {  # play NAME [GODOT ARGS...]; sets GAME_PID
    local name="$1"; shift
    env KETTLE_AGENT="$AGENT_BIN" KETTLE_SERVER="$UDP" KETTLE_SERVER_KEY="$KEY" KETTLE_NAME="$name" \
        timeout -k 5 "$RUN_TIMEOUT" "$GODOT" --path "$GAME" "$@" > "$WORK/$name.log" 2>&1 &
    GAME_PID=$!
    ENGINE_PIDS+=("$GAME_PID")
}

# A name no earlier run left behind, so the filter can only match this host's lobby.
LOBBY_NAME="smoke $$ $RANDOM"
play alice --headless-smoke --host "$LOBBY_NAME" --smoke-timeout "$SMOKE_TIMEOUT_S"
HOST_PID=$GAME_PID
if [ "$JOIN_MODE" = search ]; then
    # Started at once: the guest's search must cope with a lobby that does not exist yet.
    play bob --headless-smoke --join "$LOBBY_NAME" --smoke-timeout "$SMOKE_TIMEOUT_S"
else
    LOBBY="$(engine_wait_line "$WORK/alice.log" "$HOST_PID" '^LOBBY [0-9]+$' 90 | cut -d' ' -f2)"
    if [ -z "$LOBBY" ]; then
        echo "FAIL: the host made no lobby"; cat "$WORK/alice.log"; exit 1
    fi
    echo "alice made lobby $LOBBY"
    play bob +connect_lobby "$LOBBY" --headless-smoke --smoke-timeout "$SMOKE_TIMEOUT_S"
fi
GUEST_PID=$GAME_PID

fails=0
wait "$GUEST_PID"; engine_judge "guest bob" "$WORK/bob.log" $? || fails=$((fails + 1))
wait "$HOST_PID"; engine_judge "host alice" "$WORK/alice.log" $? || fails=$((fails + 1))
for who in alice bob; do
    if ! grep -qx 'GAME_OVER X XOO.X...X' "$WORK/$who.log" || ! grep -qx 'BOARDS_AGREE' "$WORK/$who.log"; then
        echo "FAIL: $who did not finish the game with agreeing boards"; fails=$((fails + 1))
    fi
done
if ! grep -q '^CHAT alice: ' "$WORK/bob.log" || ! grep -q '^CHAT bob: ' "$WORK/alice.log"; then
    echo "FAIL: the lobby chat did not reach both players"; fails=$((fails + 1))
fi
if ! grep -qx 'DROPPED_BAD_PACKET 4' "$WORK/alice.log"; then
    echo "FAIL: the host did not drop the guest's 4 bad packets"; fails=$((fails + 1))
fi
engine_stop_server || fails=$((fails + 1))
if [ $fails -ne 0 ]; then
    echo "----- kettle-server log (last 40 lines):"; tail -40 "$WORK/server.log"
fi
echo "demo_smoke ($JOIN_MODE): $((7 - fails)) passed, $fails failed"
[ $fails -eq 0 ]
