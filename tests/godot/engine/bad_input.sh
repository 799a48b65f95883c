#!/usr/bin/env bash
# Bad input from GDScript (bad_input.gd) through the real Steam autoload and kettle-agent against a
# real `kettle-server --dev`, and garbage from another process (agent_garbage.py) at the agent's
# sockets while the game keeps working. Passes when the game prints PASS, every error the game
# announced (`EXPECT_ERROR <text>`) appears in an engine ERROR line, no other ERROR line was
# printed, the garbage found the agent's sockets, and kettle-server exits cleanly. A second,
# short run starts the agent through agent_prelude.py, which puts garbage and a silent connection
# on its TCP port before the game connects; the game must still connect and PASS.
#   bad_input.sh KETTLE_SERVER_BIN KETTLE_AGENT_BIN GAME_DIR
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/engine_lib.sh"
[ $# -eq 3 ] || { echo "usage: bad_input.sh KETTLE_SERVER_BIN KETTLE_AGENT_BIN GAME_DIR"; exit 2; }
SERVER_BIN="$(readlink -f "$1")"
AGENT_BIN="$(readlink -f "$2")"
for b in "$SERVER_BIN" "$AGENT_BIN"; do
    [ -x "$b" ] || { echo "FAIL: $b is not built"; exit 1; }
done
# The system interpreter when there is one: a version-manager shim (pyenv) takes seconds to start.
PYTHON="$(command -v /usr/bin/python3 || command -v python3)" || { echo "FAIL: python3 not found"; exit 1; }
command -v ss >/dev/null || { echo "FAIL: ss not found (iproute2)"; exit 1; }
engine_setup "$3"
cp "$HERE/bad_input.gd" "$GAME/bad_input.gd" || exit 1

engine_start_server "$SERVER_BIN"

LOG="$WORK/bad_input.log"
env KETTLE_AGENT="$AGENT_BIN" KETTLE_SERVER="$UDP" KETTLE_SERVER_KEY="$KEY" KETTLE_NAME=bad_input \
    GARBAGE_DONE_FILE="$WORK/garbage-done" \
    timeout -k 5 150 "$GODOT" --path "$GAME" -s res://bad_input.gd > "$LOG" 2>&1 &
GAME_PID=$!
ENGINE_PIDS+=("$GAME_PID")

fails=0
AGENT_PID="$(engine_wait_line "$LOG" "$GAME_PID" '^AGENT_PID [0-9]+$' 120 | cut -d' ' -f2)"
GODOT_PID="$(grep -m1 -E '^GODOT_PID [0-9]+$' "$LOG" | cut -d' ' -f2)"
if [ -n "$AGENT_PID" ] && [ -n "$GODOT_PID" ]; then
    if ! "$PYTHON" "$HERE/agent_garbage.py" "$AGENT_PID" "$GODOT_PID"; then
        echo "FAIL: the garbage did not go as planned"; fails=$((fails + 1))
    fi
    if ! kill -0 "$AGENT_PID" 2>/dev/null; then
        echo "FAIL: kettle-agent (pid $AGENT_PID) died from the garbage"; fails=$((fails + 1))
    fi
else
    echo "FAIL: the game never reached the garbage phase"; fails=$((fails + 1))
fi
touch "$WORK/garbage-done"
wait "$GAME_PID"
engine_judge bad_input "$LOG" $? || fails=$((fails + 1))

# Every announced error printed, nothing else printed as an error.
tr -d '\r' < "$LOG" | sed -n 's/^EXPECT_ERROR //p' > "$WORK/expected"
tr -d '\r' < "$LOG" | grep -E '^ERROR: ' > "$WORK/errors"
missing=0
while IFS= read -r text; do
    if ! grep -qF -- "$text" "$WORK/errors"; then
        echo "FAIL: no error printed for: $text"; missing=$((missing + 1))
    fi
done < "$WORK/expected"
unexpected="$(grep -vF -f "$WORK/expected" "$WORK/errors")"
if [ -n "$unexpected" ]; then
    echo "FAIL: errors nobody expected:"; printf '%s\n' "$unexpected"; fails=$((fails + 1))
fi
[ $missing -eq 0 ] || fails=$((fails + 1))
echo "bad_input: $(wc -l < "$WORK/expected") expected errors, $(wc -l < "$WORK/errors") printed, $missing missing"

# Garbage before the game connects: agent_prelude.py sits between the autoload and the agent.
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$PYTHON" "$HERE/agent_prelude.py" > "$WORK/agent-prelude"
chmod +x "$WORK/agent-prelude"
env KETTLE_AGENT="$WORK/agent-prelude" KETTLE_REAL_AGENT="$AGENT_BIN" KETTLE_SERVER="$UDP" KETTLE_SERVER_KEY="$KEY" \
    KETTLE_NAME=bad_input_connect BAD_INPUT_PART=connect \
    timeout -k 5 90 "$GODOT" --path "$GAME" -s res://bad_input.gd > "$WORK/connect.log" 2>&1
engine_judge bad_input.connect "$WORK/connect.log" $? || fails=$((fails + 1))
PRELUDE="$(grep -m1 '^PRELUDE ' "$WORK/connect.log")"
echo "${PRELUDE:-no PRELUDE line}"
case "$PRELUDE" in
    *noisy_dropped=3*) ;;
    *) echo "FAIL: the agent did not drop the three garbage connections before the game came"; fails=$((fails + 1)) ;;
esac

engine_stop_server || fails=$((fails + 1))
if [ $fails -ne 0 ]; then
    echo "----- game output without the expected errors:"
    tr -d '\r' < "$LOG" | grep -vE '^(EXPECT_ERROR |ERROR: call: Steam\.|   At: |UNDER_GARBAGE round )'
fi
[ $fails -eq 0 ] && echo "bad_input: PASS" || echo "bad_input: $fails failure(s)"
[ $fails -eq 0 ]
