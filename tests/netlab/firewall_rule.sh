#!/usr/bin/env bash
# tests/netlab/firewall_rule.sh: the "no inbound UDP" rule (lib.sh nl_block_inbound_udp) really
# stops hole punching, so the P2P matrix's firewalled case tests the relay and not a punch.
#
# netlab's own punch test (python3 rendezvous + punch + relay on the server host) between alice
# (nat-a: firewall) and bob (nat-b: cone): without the rule it connects directly (exit 0); with
# the rule on nat-a it must fall back to the relay (exit 2), and the rule's counter must show
# dropped datagrams.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

nl_init fwrule
command -v python3 >/dev/null || nl_skip_or_fail "python3 not found (netlab's punch test needs it)"
nl_up firewall cone

punch() {  # punch LOG: netlab punch alice bob; prints its exit code
  local rc=0
  nl_netlab punch alice bob >"$NL_TMP/$1" 2>&1 || rc=$?
  echo "$rc"
}

rc=$(punch punch-open.log)
[[ $rc -eq 0 ]] || nl_fail "without the rule, alice <-> bob should connect directly; netlab punch exited $rc"
nl_log "without the rule: direct (punch exit 0)"

nl_block_inbound_udp nat-a
rc=$(punch punch-blocked.log)
[[ $rc -eq 2 ]] || nl_fail "with the rule on nat-a, only the relay should work; netlab punch exited $rc (0 direct, 2 relay only, 1 nothing)"
dropped=$(nl_blocked_count nat-a)
[[ ${dropped:-0} -gt 0 ]] || nl_fail "the rule dropped nothing (counter '${dropped}')"
nl_log "with the rule: relay only (punch exit 2), $dropped inbound datagrams dropped"
nl_log "PASS firewall rule"
