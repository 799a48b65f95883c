#!/usr/bin/env bash
# tests/netlab/login.sh NAT_A NAT_B: kettle-cli logs in to a real kettle-server through real NATs.
#
# The server runs on the lab's public net (203.0.113.10:27015); alice and carol sit behind nat-a,
# bob behind nat-b. All three run `kettle-cli ... whoami` at the same time. Each must exit 0 with
# its own SteamID, and the address the server saw for the login (the value it returns as
# LoginOk.reflexive) must be the router's public address behind a NAT (cone, symmetric) and the
# host's own address where the LAN is routed (none, firewall). Afterwards the server must stop
# cleanly on SIGTERM.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

nat_a=${1:?usage: login.sh NAT_A NAT_B}
nat_b=${2:?usage: login.sh NAT_A NAT_B}
nl_init "login-${nat_a:0:3}-${nat_b:0:3}"
nl_up "$nat_a" "$nat_b"
# shellcheck disable=SC2119  # no extra server flags
nl_server_start

# The address kettle-server must see for HOST's traffic: its router's public address behind a
# NAT, the host's own address when the router does not translate.
expected_ip() {  # expected_ip HOST
  local r=${NL_ROUTER[$1]} mode=$nat_a
  [[ $r == nat-b ]] && mode=$nat_b
  case $mode in
    cone | symmetric) echo "${NL_ADDR[$r]}" ;;
    *) echo "${NL_ADDR[$1]}" ;;
  esac
}

declare -A pid
for h in alice bob carol; do
  nl_cli_bg "$h" "$h" whoami >"$NL_TMP/whoami-$h.out"
  pid[$h]=$NL_PID
done

declare -A sid
for h in alice bob carol; do
  rc=0
  wait "${pid[$h]}" || rc=$?
  out=$(cat "$NL_TMP/whoami-$h.out")
  [[ $rc -eq 0 ]] || nl_fail "$h: kettle-cli whoami exited $rc; stdout '$out'; stderr: $(tail -n 5 "$NL_TMP/cli-$h.log")"
  sid[$h]=$(nl_json_field "$out" steam_id)
  [[ ${sid[$h]} =~ ^7656[0-9]{13}$ ]] || nl_fail "$h: no SteamID in '$out'"
  [[ $(nl_json_field "$out" logged_on) == true ]] || nl_fail "$h: not logged_on in '$out'"
  want=$(expected_ip "$h")
  seen=$(nl_login_addr "${sid[$h]}")
  [[ ${seen%:*} == "$want" ]] ||
    nl_fail "$h: kettle-server saw the login from $seen, expected $want (nat-a=$nat_a nat-b=$nat_b)"
  nl_log "$h: logged in as ${sid[$h]}, server saw (reflexive) $seen"
done
[[ ${sid[alice]} != "${sid[bob]}" && ${sid[alice]} != "${sid[carol]}" && ${sid[bob]} != "${sid[carol]}" ]] ||
  nl_fail "SteamIDs not distinct: ${sid[*]}"

nl_server_stop
nl_log "PASS login nat-a=$nat_a nat-b=$nat_b"
