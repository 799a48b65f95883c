# tests/netlab/lib.sh: the harness shared by the netlab test scripts (sourced, not run).
#
# A test script does:
#   source lib.sh
#   nl_init NAME            # own lab prefix and temp dir; teardown trap; skip/fail rule
#   nl_up MODE_A MODE_B     # netlab up --nat-a MODE_A --nat-b MODE_B
#   nl_server_start         # kettle-server in the `server` namespace; sets NL_KEY
#   nl_cli alice alice whoami   # kettle-cli in alice's namespace, logged in as alice
#
# Inputs (environment; ctest sets them, see CMakeLists.txt):
#   KETTLE_SERVER_BIN, KETTLE_CLI_BIN  the binaries under test
#   KETTLE_NETLAB                      the netlab script (default ../shared/netlab/netlab)
#   CI                                 set: a lab that cannot run is a failure, not a skip
#   NETLAB_KEEP_TMP                    set: keep the temp dir (logs) after the run
#
# Every process runs under `timeout`; the EXIT trap tears the lab down (netlab down also ends
# whatever still runs in the lab's namespaces), so a failing or interrupted test leaves nothing.
set -euo pipefail

NL_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KETTLE_NETLAB=${KETTLE_NETLAB:-$NL_SRC/../../../shared/netlab/netlab}
NL_SERVER_IP=203.0.113.10
NL_SERVER_PORT=27015
NL_SERVER="$NL_SERVER_IP:$NL_SERVER_PORT"
# netlab's fixed addressing (every lab uses the same; netlab README "Topology"). Constants rather
# than `netlab addr` calls, which cost ~0.5 s each on a busy machine.
# shellcheck disable=SC2034  # used by the scripts that source this file
declare -A NL_ADDR=([alice]=10.1.0.2 [carol]=10.1.0.3 [bob]=10.2.0.2 [nat-a]=198.51.100.11
  [nat-b]=198.51.100.12 [server]=203.0.113.10 [relay]=203.0.113.20)
# shellcheck disable=SC2034
declare -A NL_ROUTER=([alice]=nat-a [carol]=nat-a [bob]=nat-b)
NL_PREFIX=""
NL_TMP=""
NL_SERVER_PID=""
NL_T0=${EPOCHREALTIME/./}

nl_ms() { echo $(((${EPOCHREALTIME/./} - NL_T0) / 1000)); }  # ms since the script started
nl_log() { printf '[%6d ms] %s\n' "$(nl_ms)" "$*"; }
nl_fail() {
  echo "FAIL: $*" >&2
  exit 1
}

nl_skip_or_fail() {  # the README's rule: skip (77) where a lab cannot run, but never under CI
  if [[ -n ${CI:-} ]]; then
    echo "FAIL: $* (CI is set: the NAT tests must run here; CI runs them as root)" >&2
    exit 1
  fi
  echo "SKIP: $*" >&2
  exit 77
}

nl_netlab() { timeout 30 "$KETTLE_NETLAB" --prefix "$NL_PREFIX" "$@"; }

# On failure: each host's kernel UDP counters (InErrors, RcvbufErrors: datagrams the kernel
# dropped because a socket's receive buffer was full), to tell loss in the lab from loss in a
# program.
nl_udp_counters() {
  local h out
  for h in server alice carol bob; do
    out=$(timeout 5 "$KETTLE_NETLAB" exec --prefix "$NL_PREFIX" "$h" -- cat /proc/net/snmp 2>/dev/null |
      awk '/^Udp:/ { if (!hdr) { split($0, k); hdr = 1 } else { for (i = 2; i <= NF; i++) printf "%s=%s ", k[i], $i } }')
    [[ -z $out ]] || echo "udp counters $h: $out" >&2
  done
}

nl_teardown() {
  local rc=$?
  set +e
  if [[ -n $NL_PREFIX && $rc -ne 0 && $rc -ne 77 ]]; then nl_udp_counters; fi
  if [[ -n $NL_PREFIX ]]; then
    timeout 30 "$KETTLE_NETLAB" down -q --prefix "$NL_PREFIX" >/dev/null 2>&1 ||
      echo "warning: netlab down --prefix $NL_PREFIX failed" >&2
  fi
  if [[ -n $NL_TMP && -d $NL_TMP ]]; then
    if [[ $rc -ne 0 && $rc -ne 77 ]]; then
      local f
      for f in "$NL_TMP"/*.log "$NL_TMP"/*.out; do
        [[ -s $f ]] || continue
        echo "---- ${f##*/} (last 30 lines)" >&2
        tail -n 30 "$f" >&2
      done
    fi
    if [[ -n ${NETLAB_KEEP_TMP:-} ]]; then echo "kept $NL_TMP" >&2; else rm -rf "$NL_TMP"; fi
  fi
  exit "$rc"
}

# Labs of earlier runs of this test that were SIGKILLed (a ctest timeout) have no trap to clean
# them; their prefix names a process that is gone.
nl_reap_stale() {
  local name=$1 ns p pid
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^kt-$name-[0-9]+-server\$" || true); do
    p=${ns%-server}
    pid=${p##*-}
    if ! kill -0 "$pid" 2>/dev/null; then
      timeout 30 "$KETTLE_NETLAB" down -q --prefix "$p" >/dev/null 2>&1 || true
    fi
  done
}

nl_init() {  # nl_init NAME: NAME short, [a-z0-9.-]
  local name=$1
  [[ -x $KETTLE_NETLAB ]] || nl_skip_or_fail "netlab not found at $KETTLE_NETLAB (set KETTLE_NETLAB)"
  if ! timeout 30 "$KETTLE_NETLAB" check >/dev/null 2>&1; then
    nl_skip_or_fail "this machine cannot run a netlab lab (needs root, iproute2, nftables): $(
      timeout 30 "$KETTLE_NETLAB" check 2>&1 | tail -n 1)"
  fi
  [[ -x ${KETTLE_SERVER_BIN:-} ]] || nl_fail "KETTLE_SERVER_BIN not set or not executable: '${KETTLE_SERVER_BIN:-}'"
  [[ -x ${KETTLE_CLI_BIN:-} ]] || nl_fail "KETTLE_CLI_BIN not set or not executable: '${KETTLE_CLI_BIN:-}'"
  nl_reap_stale "$name"
  NL_PREFIX="kt-$name-$$"
  ((${#NL_PREFIX} <= 31)) || nl_fail "lab prefix '$NL_PREFIX' longer than netlab's 31 characters"
  NL_TMP=$(mktemp -d "${TMPDIR:-/tmp}/kettle-netlab-$name.XXXXXX")
  trap nl_teardown EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

nl_up() {  # nl_up MODE_A MODE_B
  nl_netlab up -q --nat-a "$1" --nat-b "$2" >"$NL_TMP/netlab-up.log" 2>&1 ||
    nl_fail "netlab up --nat-a $1 --nat-b $2 failed: $(cat "$NL_TMP/netlab-up.log")"
  nl_log "lab $NL_PREFIX up: nat-a=$1 nat-b=$2"
}

nl_exec() {  # nl_exec HOST CMD...: CMD in HOST's namespace (the caller bounds it with timeout)
  local h=$1
  shift
  "$KETTLE_NETLAB" exec --prefix "$NL_PREFIX" "$h" -- "$@"
}

# nl_spawn HOST CMD...: nl_exec in the background; NL_PID is CMD's own pid (netlab exec and
# `ip netns exec` replace themselves), so a signal or `wait` reaches CMD and not a subshell.
nl_spawn() {
  local h=$1
  shift
  "$KETTLE_NETLAB" exec --prefix "$NL_PREFIX" "$h" -- "$@" &
  # shellcheck disable=SC2034  # read by the caller
  NL_PID=$!
}

# kettle-server on 203.0.113.10:27015 in the `server` namespace, with a fresh database and key.
# Waits (bounded) for the listening line and sets NL_KEY (and NL_RELAY) from it. Extra arguments
# go to the server (e.g. --relay HOST:PORT).
nl_server_start() {
  local line fifo=$NL_TMP/server.fifo
  mkfifo "$fifo"
  # Not through nl_spawn: redirections on a function call are opened by this shell, and opening
  # the FIFO for writing would block until the read end below is open.
  "$KETTLE_NETLAB" exec --prefix "$NL_PREFIX" server -- \
    timeout --preserve-status -k 5 "${NL_SERVER_TIMEOUT:-120}" "$KETTLE_SERVER_BIN" \
    --udp "$NL_SERVER" --http off --dev --db "$NL_TMP/kettle.db" --key "$NL_TMP/server.key" "$@" \
    >"$fifo" 2>"$NL_TMP/server.log" &
  NL_SERVER_PID=$!
  exec {NL_SERVER_FD}<"$fifo"
  if ! read -r -t 30 -u "$NL_SERVER_FD" line; then
    nl_fail "kettle-server printed no listening line within 30 s"
  fi
  echo "$line" >"$NL_TMP/server.out"
  [[ $line =~ ^kettle-server\ listening\ udp=([^ ]+)\ .*key=([0-9a-f]{64}) ]] ||
    nl_fail "unexpected first line from kettle-server: '$line'"
  [[ ${BASH_REMATCH[1]} == "$NL_SERVER" ]] || nl_fail "kettle-server listens on ${BASH_REMATCH[1]}, not $NL_SERVER"
  NL_KEY=${BASH_REMATCH[2]}
  # the relay's HOST:PORT if the server announces one; read by the scripts
  NL_RELAY=""
  # shellcheck disable=SC2034
  if [[ $line =~ \ relay=([0-9.]+:[0-9]+)\  ]]; then NL_RELAY=${BASH_REMATCH[1]}; fi
  nl_log "kettle-server up on $NL_SERVER (pid $NL_SERVER_PID)"
}

# SIGTERM (timeout --preserve-status passes it on and returns the server's own status); the
# server must close its sessions and exit 0 (ASan's leak check included).
nl_server_stop() {
  [[ -n $NL_SERVER_PID ]] || return 0
  kill -TERM "$NL_SERVER_PID" 2>/dev/null || true
  local rc=0
  wait "$NL_SERVER_PID" || rc=$?
  NL_SERVER_PID=""
  [[ $rc -eq 0 ]] || nl_fail "kettle-server exited $rc after SIGTERM (see server.log)"
}

# nl_cli HOST NAME ARGS...: kettle-cli in HOST's namespace, logged in to the lab's server as NAME
# (dev login). stdout is the command's; stderr goes to $NL_TMP/cli-HOST.log. nl_cli_bg runs it
# in the background (NL_PID: the `timeout` that bounds kettle-cli; SIGTERM to it reaches the CLI).
NL_CLI_TIMEOUT=${NL_CLI_TIMEOUT:-30}
nl_cli_argv() {
  local h=$1 name=$2
  shift 2
  NL_ARGV=(timeout -k 5 "$NL_CLI_TIMEOUT" "$KETTLE_CLI_BIN" --server "$NL_SERVER" --server-key "$NL_KEY"
    --name "$name" --timeout 10 "$@")
}
nl_cli() {
  nl_cli_argv "$@"
  KETTLE_LOG=${KETTLE_LOG:-warn} nl_exec "$1" "${NL_ARGV[@]}" 2>>"$NL_TMP/cli-$1.log"
}
nl_cli_bg() {
  nl_cli_argv "$@"
  KETTLE_LOG=${KETTLE_LOG:-warn} nl_spawn "$1" "${NL_ARGV[@]}" 2>>"$NL_TMP/cli-$1.log"
}

# nl_json_field JSON KEY: the value of the first "KEY": in a flat JSON line, quotes stripped.
nl_json_field() {
  local v
  v=$(grep -o "\"$2\": *\(\"[^\"]*\"\|[^,}]*\)" <<<"$1" | head -n 1 | sed 's/^"[^"]*": *//; s/^"//; s/"$//') || true
  printf '%s' "$v"
}

# The client address kettle-server saw for STEAM_ID's login: the value LoginOk.reflexive carries
# back to the client (src/server/login.cpp sets both from the same field). The server logs the
# line before it sends LoginOk and spdlog's stderr sink flushes every line, so once the client
# is logged in the line is in the file.
nl_login_addr() {  # nl_login_addr STEAM_ID
  local line
  line=$(grep -m 1 "login ok .*steam_id=$1 .*addr=" "$NL_TMP/server.log") ||
    nl_fail "kettle-server logged no 'login ok' for steam_id=$1"
  line=${line##* addr=}
  echo "${line%% *}"
}

# nl_block_inbound_udp ROUTER: the router drops every UDP datagram that arrives on its WAN side
# from anywhere but the server net 203.0.113.0/24 (kettle-server and its relay), including
# replies to flows the LAN started. netlab's `firewall` and `cone` modes let a hole punch
# through (outbound traffic opens the way back); this models a network that allows no inbound
# UDP from peers at all, so only the relay can work. Its own table, so netlab's ruleset is
# untouched; a drop in any base chain is final, whatever the other chains accept.
nl_block_inbound_udp() {
  nl_exec "$1" timeout 10 nft -f - <<'NFT' || nl_fail "loading the no-inbound-UDP rule into $1 failed"
table ip kettle_no_inbound_udp {
  chain forward {
    type filter hook forward priority filter - 10; policy accept;
    iifname "wan0" meta l4proto udp ip saddr != 203.0.113.0/24 counter drop
  }
}
NFT
}

# nl_unblock_inbound_udp ROUTER: lifts nl_block_inbound_udp (the network "gets better").
nl_unblock_inbound_udp() {
  nl_exec "$1" timeout 10 nft delete table ip kettle_no_inbound_udp || nl_fail "removing the no-inbound-UDP rule from $1 failed"
}

# nl_blocked_count ROUTER: packets the no-inbound-UDP rule has dropped so far.
nl_blocked_count() {
  nl_exec "$1" timeout 10 nft list table ip kettle_no_inbound_udp | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}
