# The game side of the agent link under faults the real agent cannot produce on loopback:
# tests/godot/engine/lossy_agent.py drops and reorders its datagrams. Run by link_faults.sh with
# KETTLE_AGENT pointing at lossy_agent.py. Checks that packets come out in the agent's order
# with exactly the lost ones missing, callbacks run one at a time with nested calls working,
# CONSUMED reaches the agent, and a vanished agent gives failure values without a hang.
extends SceneTree

const SELF_ID = 76561197960265729
var steam = null
var failures := []
var emitted := []


func _init() -> void:
	call_deferred("_run")


func _check(cond: bool, what: String) -> void:
	if not cond:
		failures.append(what)
		print("CHECK FAILED: %s" % what)


func _on_persona(steam_id: int, flags: int) -> void:
	# A nested call from a handler: served by the agent while it waits for CALLBACK_DONE.
	emitted.append([steam_id, flags, steam.getPersonaName()])


func _run() -> void:
	steam = root.get_node("Steam")
	steam.connect("persona_state_change", self, "_on_persona")
	_check(steam.getPersonaName() == "", "getPersonaName before init is empty")
	var init: Dictionary = steam.steamInitEx()
	_check(init.get("status", -1) == 0, "steamInitEx status 0: %s" % init)
	_check(steam.getSteamID() == SELF_ID, "getSteamID")

	# Three bursts: packets over UDP (some lost, some swapped) and TCP, in seq order.
	var total_read := 0
	for round_number in range(3):
		var delivered: Array = steam._call("kettleTestBurst", [60], [])
		var got := []
		while steam.getAvailableP2PPacketSize(0) > 0:
			var p: Dictionary = steam.readP2PPacket(4096, 0)
			_check(p.get("remote_steam_id", 0) == SELF_ID, "sender id")
			var text: String = p["data"].get_string_from_ascii()
			got.append(int(text.split(" ")[1]))
			total_read += p["data"].size()
		var last := -1
		for i in got:
			_check(i > last, "round %d: packet %d after %d (order)" % [round_number, i, last])
			_check(delivered.has(i), "round %d: packet %d was never delivered" % [round_number, i])
			last = i
		for i in range(2, 60, 3):
			_check(got.has(i), "round %d: TCP packet %d missing" % [round_number, i])
		_check(got.size() >= delivered.size() - 8, "round %d: %d of %d delivered packets read" % [round_number, got.size(), delivered.size()])
		emitted.clear()
		steam.run_callbacks()
		_check(emitted.size() == 20, "round %d: 20 callbacks, got %d" % [round_number, emitted.size()])
		for k in range(emitted.size()):
			_check(emitted[k] == [SELF_ID, 2 + 3 * k, "lossy"], "round %d: callback %d is %s" % [round_number, k, emitted[k]])
	_check(steam._call("kettleTestConsumed", [], -1) == total_read, "CONSUMED total %d reached the agent" % total_read)

	# Loopback sends: unreliable over UDP (SEND), reliable as a CALL; a size-truncated read.
	_check(steam.sendP2PPacket(SELF_ID, "to myself".to_ascii(), 0, 0), "unreliable send to self")
	_check(steam.sendP2PPacket(SELF_ID, "reliable".to_ascii(), 2, 3), "reliable send to self")
	_check(steam.getAvailableP2PPacketSize(3) == 8, "reliable loopback readable on channel 3")
	_check(steam.getAvailableP2PPacketSize(0) == 9, "unreliable loopback readable on channel 0")
	var short: Dictionary = steam.readP2PPacket(4, 0)
	_check(short.get("data", PoolByteArray()).get_string_from_ascii() == "to m", "truncated read")
	_check(short.get("steam_id_remote", 0) == SELF_ID and short.get("steamIDRemote", 0) == SELF_ID, "legacy keys")
	_check(steam.getAvailableP2PPacketSize(0) == 0, "the rest of a truncated packet is gone")
	_check(steam.readP2PPacket(0, 3).empty(), "packet_size 0 reads nothing")
	_check(steam.readP2PPacket(8, 256).empty(), "channel 256 reads nothing")
	_check(steam.readP2PPacket(8, 3)["data"].get_string_from_ascii() == "reliable", "reliable loopback content")

	# Argument rules the game side applies itself.
	_check(not steam.sendP2PPacket(SELF_ID, PoolByteArray(), 0, 0), "empty send refused")
	var big := PoolByteArray()
	big.resize(1201)
	_check(not steam.sendP2PPacket(SELF_ID, big, 0, 0), "1201 unreliable bytes refused")
	_check(not steam.sendP2PPacket(SELF_ID, big, 4, 0), "send type 4 refused")
	_check(not steam.sendP2PPacket(SELF_ID, big, 2, 256), "channel 256 refused")
	_check(not steam.sendP2PPacket(0, big, 2, 0), "SteamID 0 refused")
	_check(not steam.sendP2PPacket(109775240917155841, big, 2, 0), "a lobby id refused")
	_check(not steam.sendP2PPacket("76561197960265729", big, 2, 0), "a String id refused")
	_check(steam.getAvailableP2PPacketSize(-1) == 0, "channel -1 is empty")

	# The agent vanishes: failure values at once, no hang, and no signals.
	var t0 := OS.get_ticks_msec()
	steam._call("kettleTestExit", [], null)
	_check(steam.getPersonaName() == "", "getPersonaName after the agent died")
	_check(not steam.isSteamRunning(), "isSteamRunning after the agent died")
	_check(steam.getSteamID() == 0, "getSteamID after the agent died")
	steam.run_callbacks()
	_check(OS.get_ticks_msec() - t0 < 5000, "a dead agent is noticed in under 5 s")

	# steamInit (EResult status 1) starts a new agent; embed_callbacks turns on the per-frame
	# run_callbacks of the autoload.
	_check(not steam.is_processing(), "no automatic run_callbacks by default")
	var again: Dictionary = steam.steamInit(true, 0, true)
	_check(again.get("status", -1) == 1, "steamInit after the agent died: %s" % again)
	_check(steam.getSteamID() == SELF_ID, "getSteamID from the new agent")
	_check(steam.is_processing(), "embed_callbacks turns on the autoload's _process")

	# Functions without a Kettle counterpart: failure values, no agent involved.
	var ach: Dictionary = steam.getAchievement("ACH")
	_check(ach.size() == 2 and ach.get("ret") == false and ach.get("achieved") == false, "getAchievement stub")
	_check(not steam.setAchievement("ACH") and not steam.setAchievement("ACH"), "setAchievement stub")
	_check(steam.getStatInt("kills") == 0 and not steam.isOverlayEnabled(), "stat and overlay stubs")
	steam.activateGameOverlayInviteDialog(1)

	if failures.empty():
		print("PASS")
	quit(0 if failures.empty() else 1)
