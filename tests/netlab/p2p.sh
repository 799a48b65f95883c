#!/usr/bin/env bash
# tests/netlab/p2p.sh CASE: two players exchange P2P data through real NATs (issue 5's matrix).
#
#   CASE         routers                                  players      path
#   cone-cone    nat-a cone,      nat-b cone              alice, bob   direct (198.51.100.x)
#   sym-sym      nat-a symmetric, nat-b symmetric         alice, bob   relayed
#   cone-sym     nat-a cone,      nat-b symmetric         alice, bob   any, delivered
#   firewalled   nat-a firewall + no inbound UDP from     alice, bob   relayed
#                anything but 203.0.113.0/24, nat-b cone
#   lan          nat-a cone (both players behind it)      alice, carol direct (10.1.0.x)
#   upgrade      as firewalled, then the rule is lifted   alice, bob   relayed, then direct
#                while alice keeps sending
#
# Each way (A -> B, then B -> A; the lower SteamID is the transport initiator, so both roles get
# exercised), twice with fresh processes: B runs `kettle-cli listen --count 1 --accept all
# --json` and, once B is logged in, A runs `send --type 2 --file <1 MiB random>` (returns once
# the data is acknowledged); then B runs `listen --count 1000 ...` and A `send --type 0 --bytes
# 100 --count 1000`. Checks: the 1 MiB message arrives once, byte-exact
# (size and sha256), from A, on channel 0; at least P2P_MIN_UNRELIABLE (default 950) of the
# 1,000 unreliable 100-byte packets arrive; the session A's `send` reports is active, has no
# error, and is relayed or direct as the case requires, with remote_ip the peer's public
# address (direct through NATs), its LAN address (lan) or the relay's (203.0.113.10) when
# relayed (the relay address comes from the server's listening line, relay=HOST:PORT). In the
# firewalled case the router rule must have dropped datagrams (a direct path was tried).
#
# Written against the kettle-cli contract of issue 5 (tools/cli/README.md once it lands):
#   send --to STEAMID [--type 0-3] [--channel N] (--text T | --file F | --bytes N) [--count N]
#     prints {"sent": BYTES, "session": {connection_active, connecting, session_error,
#             using_relay, bytes_queued_for_send, packets_queued_for_send, remote_ip, remote_port}}
#   listen [--channel N] [--count N] [--accept all|none] [--json]
#     prints a ready line {"listening":true,...}, then one line per packet
#     {"from":"7656...","channel":N,"size":N,"sha256":"..."} (flushed), then {"done":true,...}
# `send --count N` sends the payload N times in one session (1,000 logins would not fit the
# time budget).
#
# upgrade: a relayed session must move to a direct path that appears later. alice (the lower
# SteamID: the transport initiator, who decides the path) sends 80 unreliable packets 0.2 s apart
# to bob; once bob has received the first (necessarily through the relay: the rule is on and has
# dropped punches), the rule is lifted. alice's final session state must be direct with bob's
# public address, and >= 90% of the packets must arrive across the switch.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

case_name=${1:?usage: p2p.sh cone-cone|sym-sym|cone-sym|firewalled|lan|upgrade}
P2P_MIN_UNRELIABLE=${P2P_MIN_UNRELIABLE:-950}
UNRELIABLE_COUNT=1000
RELIABLE_BYTES=$((1 << 20))

a=alice b=bob
case $case_name in
  cone-cone) nat_a=cone nat_b=cone expect=direct ;;
  sym-sym) nat_a=symmetric nat_b=symmetric expect=relay ;;
  cone-sym) nat_a=cone nat_b=symmetric expect=any ;;
  firewalled) nat_a=firewall nat_b=cone expect=relay ;;
  lan) nat_a=cone nat_b=cone expect=direct b=carol ;;
  upgrade) nat_a=firewall nat_b=cone expect=direct ;;
  *) nl_fail "unknown case '$case_name'" ;;
esac

nl_init "p2p-$case_name"
nl_up "$nat_a" "$nat_b"
[[ $case_name == firewalled || $case_name == upgrade ]] && nl_block_inbound_udp nat-a
# shellcheck disable=SC2086  # NETLAB_SERVER_ARGS: extra server flags, word-split on purpose
NL_SERVER_TIMEOUT=400 nl_server_start ${NETLAB_SERVER_ARGS:-}
[[ -n $NL_RELAY ]] || nl_fail "kettle-server announced no relay (no relay=HOST:PORT in its listening line)"
RELAY_IP=${NL_RELAY%:*}  # the address a relayed session reports as remote_ip
nl_log "relay $NL_RELAY"

# SteamIDs (dev login creates the accounts).
declare -A sid
for h in "$a" "$b"; do
  out=$(nl_cli "$h" "$h" whoami) || nl_fail "$h: whoami failed: $(tail -n 5 "$NL_TMP/cli-$h.log")"
  sid[$h]=$(nl_json_field "$out" steam_id)
  [[ ${sid[$h]} =~ ^7656[0-9]{13}$ ]] || nl_fail "$h: no SteamID in '$out'"
done
nl_log "$a=${sid[$a]} $b=${sid[$b]}"

head -c "$RELIABLE_BYTES" /dev/urandom >"$NL_TMP/reliable.bin"
reliable_sha=$(sha256sum "$NL_TMP/reliable.bin" | cut -d' ' -f1)

as_dotted() {  # remote_ip as printed (dotted, or a host-order uint32) -> dotted
  local v=$1
  if [[ $v =~ ^[0-9]+$ ]] && ((v > 255)); then
    printf '%d.%d.%d.%d' $((v >> 24 & 255)) $((v >> 16 & 255)) $((v >> 8 & 255)) $((v & 255))
  else
    printf '%s' "$v"
  fi
}
is_true() { [[ $1 == true || $1 == 1 ]]; }

# The address a direct session from FROM should report for TO: TO's LAN address when both sit
# behind the same router, else TO's router's public address (the NAT modes in this matrix).
direct_ip() {  # direct_ip FROM TO
  if [[ $case_name == lan ]]; then echo "${NL_ADDR[$2]}"; else echo "${NL_ADDR[${NL_ROUTER[$2]}]}"; fi
}

check_session() {  # check_session LABEL JSON FROM TO
  local label=$1 json=$2 ip relay
  [[ -n $json ]] || nl_fail "$label: send printed nothing"
  [[ $(nl_json_field "$json" sent) =~ ^[0-9]+$ ]] || nl_fail "$label: no \"sent\" in '$json'"
  is_true "$(nl_json_field "$json" connection_active)" || nl_fail "$label: session not active: $json"
  [[ $(nl_json_field "$json" session_error) == 0 ]] || nl_fail "$label: session_error set: $json"
  relay=$(nl_json_field "$json" using_relay)
  ip=$(as_dotted "$(nl_json_field "$json" remote_ip)")
  if is_true "$relay"; then
    [[ $expect != direct ]] || nl_fail "$label: relayed, but $case_name must connect directly: $json"
    [[ $ip == "$RELAY_IP" ]] || nl_fail "$label: relayed, remote_ip $ip is not the relay's $RELAY_IP: $json"
  else
    [[ $expect != relay ]] || nl_fail "$label: direct, but $case_name cannot punch (must be relayed): $json"
    [[ $ip == "$(direct_ip "$3" "$4")" ]] ||
      nl_fail "$label: direct, remote_ip $ip is not $4's address $(direct_ip "$3" "$4"): $json"
  fi
  nl_log "$label: $(is_true "$relay" && echo relayed || echo direct), remote $ip:$(nl_json_field "$json" remote_port)"
}

# listen_start TO COUNT: TO's listener in the background (LPID); returns once it has printed its
# ready line ({"listening":true,...}: logged in, accepting), so a sender started afterwards
# finds TO online.
listen_start() {
  local to=$1 deadline
  NL_CLI_TIMEOUT=120 nl_cli_bg "$to" "$to" listen --count "$2" --accept all --json >"$NL_TMP/listen-$to.out"
  LPID=$NL_PID
  deadline=$(($(nl_ms) + 20000))
  until grep -q '"listening": *true' "$NL_TMP/listen-$to.out"; do
    kill -0 "$LPID" 2>/dev/null || nl_fail "$to: listen ended before its ready line: $(tail -n 5 "$NL_TMP/cli-$to.log")"
    (($(nl_ms) < deadline)) || nl_fail "$to: listen printed no ready line within 20 s"
    sleep 0.05
  done
}

# listen_collect LABEL FROM TO: waits (bounded) for the listener to end by itself, else SIGTERMs it
# (lost unreliable packets would keep it waiting), and sets LINES to its output, every line a
# JSON object from FROM on channel 0.
listen_collect() {
  local label=$1 from=$2 to=$3 stopped=no rc=0 bad deadline
  deadline=$(($(nl_ms) + 5000))
  while kill -0 "$LPID" 2>/dev/null && (($(nl_ms) < deadline)); do sleep 0.05; done
  kill -TERM "$LPID" 2>/dev/null && stopped=yes
  wait "$LPID" || rc=$?
  local all
  all=$(cat "$NL_TMP/listen-$to.out")
  # A listener stopped by SIGTERM may have been cut off in the middle of its last line.
  if [[ $stopped == yes && -n $all && ${all: -1} != "}" ]]; then all=$(sed '$d' <<<"$all"); fi
  bad=$(grep -cv '^{.*}$' <<<"$all" || true)
  ((bad == 0)) || nl_fail "$label: $bad lines of listen output are not JSON objects"
  # Besides one line per packet (they carry sha256), listen prints one ready line and a final
  # {"done":true,...} line.
  bad=$(grep -v '"sha256"' <<<"$all" | grep -cv '"listening": *true\|"done": *true' || true)
  ((bad == 0)) || nl_fail "$label: $bad unexpected lines in listen output: $all"
  LINES=$(grep '"sha256"' <<<"$all" || true)
  bad=$(grep -v "\"from\": *\"${sid[$from]}\"" <<<"$LINES" | grep -c . || true)
  ((bad == 0)) || nl_fail "$label: $bad packets not from ${sid[$from]}: $(head -n 3 <<<"$LINES")"
  bad=$(grep -v '"channel": *0[,}]' <<<"$LINES" | grep -c . || true)
  ((bad == 0)) || nl_fail "$label: $bad packets not on channel 0"
  LISTEN_INFO="listen exit $rc, stopped by the test: $stopped"
}

# Each message type gets a fresh listener and a fresh sender: two send processes in a row against
# one listener would also test a peer restarting mid-session, which is a separate concern.
one_way() {  # one_way FROM TO
  local from=$1 to=$2 out rel unrel label

  label="$from -> $to reliable"
  listen_start "$to" 1
  out=$(NL_CLI_TIMEOUT=45 nl_cli "$from" "$from" send --to "${sid[$to]}" --type 2 --file "$NL_TMP/reliable.bin") ||
    nl_fail "$label: send --type 2 (1 MiB) failed: $(tail -n 5 "$NL_TMP/cli-$from.log")"
  check_session "$label" "$out" "$from" "$to"
  [[ $(nl_json_field "$out" sent) == "$RELIABLE_BYTES" ]] || nl_fail "$label: sent != $RELIABLE_BYTES: $out"
  listen_collect "$label" "$from" "$to"
  rel=$(grep -c "\"size\": *${RELIABLE_BYTES}[,}]" <<<"$LINES" || true)
  ((rel == 1)) || nl_fail "$label: the 1 MiB message arrived $rel times ($LISTEN_INFO)"
  grep "\"size\": *${RELIABLE_BYTES}[,}]" <<<"$LINES" | grep -q "\"sha256\": *\"$reliable_sha\"" ||
    nl_fail "$label: the 1 MiB message is not byte-exact (sha256 differs)"
  nl_log "$label: 1 MiB arrived byte-exact ($LISTEN_INFO)"

  label="$from -> $to unreliable"
  listen_start "$to" "$UNRELIABLE_COUNT"
  out=$(NL_CLI_TIMEOUT=45 nl_cli "$from" "$from" send --to "${sid[$to]}" --type 0 --bytes 100 \
    --count "$UNRELIABLE_COUNT") ||
    nl_fail "$label: send --type 0 --count $UNRELIABLE_COUNT failed: $(tail -n 5 "$NL_TMP/cli-$from.log")"
  check_session "$label" "$out" "$from" "$to"
  listen_collect "$label" "$from" "$to"
  unrel=$(grep -c '"size": *100[,}]' <<<"$LINES" || true)
  ((unrel <= UNRELIABLE_COUNT)) || nl_fail "$label: $unrel packets for $UNRELIABLE_COUNT sent"
  ((unrel >= P2P_MIN_UNRELIABLE)) ||
    nl_fail "$label: only $unrel of $UNRELIABLE_COUNT packets arrived (need $P2P_MIN_UNRELIABLE; $LISTEN_INFO)"
  nl_log "$label: $unrel/$UNRELIABLE_COUNT arrived ($LISTEN_INFO)"
}

upgrade() {
  local label="$a -> $b relayed, then direct" out deadline dropped unrel spid count=80
  listen_start "$b" "$count"
  NL_CLI_TIMEOUT=60 nl_cli_bg "$a" "$a" send --to "${sid[$b]}" --type 0 --bytes 100 --count "$count" \
    --interval 0.2 --timeout 45 >"$NL_TMP/send-$a.out"
  spid=$NL_PID
  deadline=$(($(nl_ms) + 25000))
  until grep -q '"sha256"' "$NL_TMP/listen-$b.out"; do
    kill -0 "$spid" 2>/dev/null || nl_fail "$label: send ended before bob got a packet: $(tail -n 5 "$NL_TMP/cli-$a.log")"
    (($(nl_ms) < deadline)) || nl_fail "$label: no packet reached $b within 25 s"
    sleep 0.05
  done
  dropped=$(nl_blocked_count nat-a)
  ((${dropped:-0} > 0)) || nl_fail "$label: the no-inbound-UDP rule dropped nothing before the first packet"
  nl_log "$label: first packet arrived (relayed; the rule dropped $dropped datagrams); lifting the rule"
  nl_unblock_inbound_udp nat-a
  wait "$spid" || nl_fail "$label: send failed: $(tail -n 5 "$NL_TMP/cli-$a.log")"
  out=$(cat "$NL_TMP/send-$a.out")
  check_session "$label" "$out" "$a" "$b"
  listen_collect "$label" "$a" "$b"
  unrel=$(grep -c '"size": *100[,}]' <<<"$LINES" || true)
  ((unrel * 10 >= count * 9)) || nl_fail "$label: only $unrel of $count packets arrived across the switch ($LISTEN_INFO)"
  nl_log "$label: $unrel/$count arrived ($LISTEN_INFO)"
}

if [[ $case_name == upgrade ]]; then
  upgrade
  nl_server_stop
  nl_log "PASS p2p $case_name"
  exit 0
fi
one_way "$a" "$b"
one_way "$b" "$a"
if [[ $case_name == firewalled ]]; then
  # bob's punches and handshakes towards alice must have been tried and dropped: the case tests a
  # blocked direct path falling back to the relay, not a client that never tried direct.
  dropped=$(nl_blocked_count nat-a)
  ((${dropped:-0} > 0)) || nl_fail "the no-inbound-UDP rule on nat-a dropped nothing: no direct attempt reached it"
  nl_log "no-inbound-UDP rule on nat-a dropped $dropped datagrams"
fi
nl_server_stop
nl_log "PASS p2p $case_name"
