#!/usr/bin/env bash
# The Steam autoload's agent link under injected faults: lost and reordered datagrams from
# lossy_agent.py (a stand-in agent), nested calls from signal handlers, CONSUMED, a vanished agent.
#   link_faults.sh GAME_DIR
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/engine_lib.sh"
[ $# -eq 1 ] || { echo "usage: link_faults.sh GAME_DIR"; exit 2; }
command -v python3 >/dev/null || { echo "FAIL: python3 not found"; exit 1; }
engine_setup "$1"
KETTLE_AGENT="$HERE/lossy_agent.py" timeout -k 5 120 "$GODOT" --path "$GAME" -s res://link_faults.gd > "$WORK/link_faults.log" 2>&1
engine_judge link_faults "$WORK/link_faults.log" $?
