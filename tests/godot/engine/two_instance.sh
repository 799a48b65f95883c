#!/usr/bin/env bash
# Two headless Godot 3 instances of the tutorial-style test game (game/) meet through a real
# `kettle-server --dev`, each through its own kettle-agent started by the Steam autoload:
#   host      creates a public lobby and prints `LOBBY <id>`;
#   guest     is started with `+connect_lobby <id>` (as Steam starts a game), joins, hand-shakes,
#             and both exchange GAME_MESSAGES reliable and unreliable gzip'd dictionaries each way;
#   stranger  (not in the lobby) sends to the host, is ignored by its members-only policy, and
#             gets p2p_session_connect_fail(host, 4);
#   then the guest quits, and the host's next send to it ends in p2p_session_connect_fail(guest, 4).
# Each instance prints PASS only after checking all of that from its side.
#   two_instance.sh KETTLE_SERVER_BIN KETTLE_AGENT_BIN GAME_DIR
# The agents inherit a shortened P2P connect timeout (KETTLE_P2P_CONNECT_TIMEOUT, 4 s here instead
# of 20), so the two connect-fail cases take seconds, not minutes. The host's hold of unaccepted
# data (KETTLE_P2P_PENDING_HOLD) stays well above it, so the stranger's attempt ends by its own
# timeout and not in a race with the host dropping its request.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/engine_lib.sh"
[ $# -eq 3 ] || { echo "usage: two_instance.sh KETTLE_SERVER_BIN KETTLE_AGENT_BIN GAME_DIR"; exit 2; }
SERVER_BIN="$1"
AGENT_BIN="$2"
for b in "$SERVER_BIN" "$AGENT_BIN"; do
    [ -x "$b" ] || { echo "FAIL: $b is not built"; exit 1; }
done
engine_setup "$3"
GAME_TIMEOUT_S="${GAME_TIMEOUT_S:-120}"
export KETTLE_P2P_CONNECT_TIMEOUT="${KETTLE_P2P_CONNECT_TIMEOUT:-4}"
export KETTLE_P2P_PENDING_HOLD="${KETTLE_P2P_PENDING_HOLD:-30}"
RUN_TIMEOUT=$((GAME_TIMEOUT_S + 30))

engine_start_server "$SERVER_BIN"
echo "kettle-server on $UDP"

run_game() {  # run_game NAME [ENV=VALUE...] -- [GODOT ARGS...]; sets GAME_PID
    local name="$1"; shift
    local envs=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    env KETTLE_AGENT="$AGENT_BIN" KETTLE_SERVER="$UDP" KETTLE_SERVER_KEY="$KEY" KETTLE_NAME="$name" \
        GAME_TIMEOUT_S="$GAME_TIMEOUT_S" "${envs[@]}" \
        timeout -k 5 "$RUN_TIMEOUT" "$GODOT" --path "$GAME" "$@" > "$WORK/$name.log" 2>&1 &
    GAME_PID=$!
    ENGINE_PIDS+=("$GAME_PID")
}

run_game host GAME_EXPECT_STRANGER=1 GAME_HOLD_FILE="$WORK/release-host" --
HOST_PID=$GAME_PID
LOBBY="$(engine_wait_line "$WORK/host.log" "$HOST_PID" '^LOBBY [0-9]+$' 90 | cut -d' ' -f2)"
HOST_ID="$(grep -m1 -E '^STEAM_ID [0-9]+$' "$WORK/host.log" | cut -d' ' -f2)"
if [ -z "$LOBBY" ] || [ -z "$HOST_ID" ]; then
    echo "FAIL: the host made no lobby"; cat "$WORK/host.log"; exit 1
fi
echo "host $HOST_ID made lobby $LOBBY"

run_game guest -- +connect_lobby "$LOBBY"
GUEST_PID=$GAME_PID
run_game stranger GAME_ROLE=stranger GAME_TARGET="$HOST_ID" --
STRANGER_PID=$GAME_PID

fails=0
wait "$GUEST_PID"; engine_judge guest "$WORK/guest.log" $? || fails=$((fails + 1))
wait "$STRANGER_PID"; engine_judge stranger "$WORK/stranger.log" $? || fails=$((fails + 1))
touch "$WORK/release-host"  # the host stays online until the stranger is done
wait "$HOST_PID"; engine_judge host "$WORK/host.log" $? || fails=$((fails + 1))
if ! grep -qE "^REJECTED $(grep -m1 -E '^STEAM_ID ' "$WORK/stranger.log" | cut -d' ' -f2) " "$WORK/host.log"; then
    echo "FAIL: the host did not reject the stranger's session"; fails=$((fails + 1))
fi
engine_stop_server || fails=$((fails + 1))
if [ $fails -ne 0 ]; then
    echo "----- kettle-server log (last 40 lines):"; tail -40 "$WORK/server.log"
fi
echo "two_instance: $((4 - fails)) passed, $fails failed"
[ $fails -eq 0 ]
