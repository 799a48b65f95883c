# A small game in the style of the GodotSteam lobby and networking tutorials, run headless by
# tests/godot/engine/two_instance.sh. Roles:
#   host      (no arguments): creates a public lobby, prints `STEAM_ID <id>` and `LOBBY <id>`,
#             accepts P2P sessions from lobby members only, exchanges messages with the guest,
#             then expects the guest to leave and a later send to it to fail with code 4; after
#             its PASS it stays online until the file GAME_HOLD_FILE exists (if set).
#   guest     (`+connect_lobby <id>` as the first two arguments, as Steam passes them): joins,
#             hand-shakes, exchanges messages, prints PASS and quits.
#   stranger  (env GAME_ROLE=stranger, GAME_TARGET=<host id>): not in the lobby; sends to the host,
#             whose members-only policy ignores it, and expects connect-fail code 4.
# Each exchange is GAME_MESSAGES reliable and as many unreliable messages each way (unreliable
# ones are acknowledged and resent, since loss is allowed), all gzip-compressed dictionaries.
# Every instance prints PASS only after checking what it received, and gives up with FAIL after
# GAME_TIMEOUT_S seconds.
extends Node

const PACKET_READ_LIMIT = 32
const RESEND_AFTER_MS = 500
const DECOMPRESS_LIMIT = 65536  # Godot 3.2 has no decompress_dynamic: a generous fixed buffer

var role := "host"
var steam_id := 0
var lobby_id := 0
var lobby_members := []
var messages := 10
var deadline_ms := 0
var finished := false
var quitting := false

# Exchange state with the peer (the guest for the host, the host for the guest).
var peer_id := 0
var handshake_seen := false
var exchange_started := false
var reliable_next := 0
var unreliable_seen := {}
var unreliable_acked := {}
var unreliable_sent_at := {}
var peer_done := false
var done_sent := false
var exchange_ok := false

# Host after the exchange; stranger.
var guest_left := false
var quit_probe_sent := false
var rejected := {}
var fail_codes := []
var stranger_target := 0
var stranger_packets := 0


func _ready() -> void:
	Steam.connect("lobby_created", self, "_on_lobby_created")
	Steam.connect("lobby_joined", self, "_on_lobby_joined")
	Steam.connect("lobby_chat_update", self, "_on_lobby_chat_update")
	Steam.connect("p2p_session_request", self, "_on_p2p_session_request")
	Steam.connect("p2p_session_connect_fail", self, "_on_p2p_session_connect_fail")
	messages = int(_env("GAME_MESSAGES", "10"))
	deadline_ms = OS.get_ticks_msec() + int(_env("GAME_TIMEOUT_S", "90")) * 1000

	var init: Dictionary = Steam.steamInitEx()
	if init["status"] != 0:
		_finish(false, "steamInitEx failed: %s" % init)
		return
	steam_id = Steam.getSteamID()
	print("STEAM_ID %d" % steam_id)
	print("NAME %s" % Steam.getPersonaName())
	if steam_id <= 0 or Steam.getPersonaName() == "" or not Steam.loggedOn():
		_finish(false, "identity not valid right after steamInitEx")
		return

	if _env("GAME_ROLE", "") == "stranger":
		role = "stranger"
		stranger_target = int(_env("GAME_TARGET", "0"))
		var payload := var2bytes({"message": "handshake", "from": steam_id}).compress(File.COMPRESSION_GZIP)
		if not Steam.sendP2PPacket(stranger_target, payload, Steam.P2P_SEND_RELIABLE, 0):
			_finish(false, "the stranger's send was refused")
		return
	check_command_line()
	if role == "host":
		create_lobby()


func _process(_delta: float) -> void:
	if finished:
		# The host stays online after its PASS until the test releases it, so the stranger's
		# attempt ends by its timeout and not by the host's logout.
		if role == "host" and not quitting:
			var hold := _env("GAME_HOLD_FILE", "")
			if hold == "" or File.new().file_exists(hold) or OS.get_ticks_msec() > deadline_ms:
				quitting = true
				get_tree().quit(0)
		return
	Steam.run_callbacks()
	if lobby_id > 0 or role == "stranger":
		read_all_p2p_packets()
	if exchange_started and not exchange_ok:
		_resend_unreliable()
	if OS.get_ticks_msec() > deadline_ms:
		var session := ""
		if peer_id != 0 or stranger_target != 0:
			session = " session=%s" % Steam.getP2PSessionState(peer_id if peer_id != 0 else stranger_target)
		_finish(false, "timed out (%s%s)" % [_state(), session])


func _env(name: String, default_value: String) -> String:
	var v := OS.get_environment(name)
	return v if v != "" else default_value


func _state() -> String:
	return "role=%s lobby=%d members=%d handshake=%s reliable=%d/%d unreliable_seen=%d acked=%d peer_done=%s exchange_ok=%s guest_left=%s rejected=%s fails=%s" % [
		role, lobby_id, lobby_members.size(), handshake_seen, reliable_next, messages,
		unreliable_seen.size(), unreliable_acked.size(), peer_done, exchange_ok, guest_left,
		rejected.keys(), fail_codes]


func _finish(ok: bool, why: String = "") -> void:
	if finished:
		return
	finished = true
	if ok:
		print("PASS")
	else:
		print("FAIL %s: %s" % [role, why])
	if ok and role == "host":
		return  # _process quits once released
	quitting = true
	get_tree().quit(0 if ok else 1)


# ---------------------------------------------------------------- lobby (the lobby tutorial)

func check_command_line() -> void:
	var args: Array = OS.get_cmdline_args()
	if args.size() > 1 and args[0] == "+connect_lobby" and int(args[1]) > 0:
		role = "guest"
		join_lobby(int(args[1]))


func create_lobby() -> void:
	if lobby_id == 0:
		Steam.createLobby(Steam.LOBBY_TYPE_PUBLIC, 10)


func join_lobby(this_lobby_id: int) -> void:
	lobby_members.clear()
	Steam.joinLobby(this_lobby_id)


func _on_lobby_created(connect: int, this_lobby_id: int) -> void:
	if connect != 1:
		_finish(false, "lobby_created(%d, %d)" % [connect, this_lobby_id])
		return
	lobby_id = this_lobby_id
	var ok := Steam.setLobbyJoinable(lobby_id, true)
	ok = Steam.setLobbyData(lobby_id, "name", "kettle engine test") and ok
	ok = Steam.setLobbyData(lobby_id, "mode", "GodotSteam test") and ok
	ok = Steam.allowP2PPacketRelay(true) and ok
	if not ok:
		_finish(false, "a lobby setter or allowP2PPacketRelay returned false")
		return
	print("LOBBY %d" % lobby_id)


func _on_lobby_joined(this_lobby_id: int, _permissions: int, _locked: bool, response: int) -> void:
	if response != Steam.CHAT_ROOM_ENTER_RESPONSE_SUCCESS:
		_finish(false, "lobby_joined response %d" % response)
		return
	lobby_id = this_lobby_id
	get_lobby_members()
	if role == "guest":
		if Steam.getLobbyOwner(lobby_id) == steam_id or lobby_members.size() != 2:
			_finish(false, "unexpected lobby after joining: %s" % [lobby_members])
			return
		if Steam.getLobbyData(lobby_id, "name") != "kettle engine test":
			_finish(false, "lobby data 'name' is '%s'" % Steam.getLobbyData(lobby_id, "name"))
			return
		peer_id = Steam.getLobbyOwner(lobby_id)
	make_p2p_handshake()


func get_lobby_members() -> void:
	lobby_members.clear()
	var count: int = Steam.getNumLobbyMembers(lobby_id)
	for i in range(count):
		var member_id: int = Steam.getLobbyMemberByIndex(lobby_id, i)
		lobby_members.append({"steam_id": member_id, "steam_name": Steam.getFriendPersonaName(member_id)})


func _is_member(id: int) -> bool:
	for m in lobby_members:
		if m["steam_id"] == id:
			return true
	return false


func _on_lobby_chat_update(this_lobby_id: int, changed_id: int, _making_change_id: int, chat_state: int) -> void:
	if this_lobby_id != lobby_id:
		return
	get_lobby_members()
	if chat_state == Steam.CHAT_MEMBER_STATE_CHANGE_ENTERED:
		print("%s joined" % Steam.getFriendPersonaName(changed_id))
	elif role == "host" and changed_id == peer_id:
		print("GUEST_LEFT %d state %d" % [changed_id, chat_state])
		guest_left = true
		_probe_departed_guest()


# The guest's last packets and its leaving travel different ways (P2P, server), so this runs
# once both the exchange and the departure were seen, in whichever order they came.
func _probe_departed_guest() -> void:
	if not guest_left or not exchange_ok or quit_probe_sent:
		return
	# A send to a player who is gone starts a new attempt that must time out (code 4).
	quit_probe_sent = Steam.sendP2PPacket(peer_id, _pack({"message": "anyone there?"}), Steam.P2P_SEND_RELIABLE, 0)
	if not quit_probe_sent:
		_finish(false, "the send to the departed guest was refused")


# ---------------------------------------------------------------- P2P (the networking tutorial)

func make_p2p_handshake() -> void:
	send_p2p_packet(0, {"message": "handshake", "from": steam_id})


func _pack(packet_data: Dictionary) -> PoolByteArray:
	return var2bytes(packet_data).compress(File.COMPRESSION_GZIP)


func send_p2p_packet(target: int, packet_data: Dictionary, send_type: int = 2) -> void:  # 2 = Steam.P2P_SEND_RELIABLE
	var channel: int = 0
	var this_data: PoolByteArray
	this_data.append_array(_pack(packet_data))
	if target == 0:
		if lobby_members.size() > 1:
			for this_member in lobby_members:
				if this_member["steam_id"] != steam_id:
					if not Steam.sendP2PPacket(this_member["steam_id"], this_data, send_type, channel):
						_finish(false, "sendP2PPacket to %d returned false" % this_member["steam_id"])
	else:
		if not Steam.sendP2PPacket(target, this_data, send_type, channel):
			_finish(false, "sendP2PPacket to %d returned false" % target)


func read_all_p2p_packets(read_count: int = 0) -> void:
	if read_count >= PACKET_READ_LIMIT:
		return
	if Steam.getAvailableP2PPacketSize(0) > 0:
		read_p2p_packet()
		read_all_p2p_packets(read_count + 1)


func read_p2p_packet() -> void:
	var packet_size: int = Steam.getAvailableP2PPacketSize(0)
	if packet_size > 0:
		var this_packet: Dictionary = Steam.readP2PPacket(packet_size, 0)
		if this_packet.empty():
			_finish(false, "read an empty packet with non-zero size")
			return
		var packet_sender: int = this_packet["remote_steam_id"]
		if this_packet["steam_id_remote"] != packet_sender or this_packet["steamIDRemote"] != packet_sender:
			_finish(false, "the legacy sender keys disagree: %s" % [this_packet])
			return
		var packet_code: PoolByteArray = this_packet["data"]
		if packet_code.size() != packet_size:
			_finish(false, "read %d bytes, expected %d" % [packet_code.size(), packet_size])
			return
		var raw := packet_code.decompress(DECOMPRESS_LIMIT, File.COMPRESSION_GZIP)
		if raw.size() == 0:
			_finish(false, "a packet from %d is not gzip" % packet_sender)
			return
		var readable_data = bytes2var(raw)
		if typeof(readable_data) != TYPE_DICTIONARY:
			_finish(false, "a packet from %d is not a dictionary" % packet_sender)
			return
		_on_packet(packet_sender, readable_data)


func _on_p2p_session_request(remote_id: int) -> void:
	var this_requester: String = Steam.getFriendPersonaName(remote_id)
	# Members-only policy: the tutorial invites this check.
	if not _is_member(remote_id):
		print("REJECTED %d (%s is not in the lobby)" % [remote_id, this_requester])
		rejected[remote_id] = true
		_check_host_done()
		return
	print("%s is requesting a P2P session" % this_requester)
	Steam.acceptP2PSessionWithUser(remote_id)
	peer_id = remote_id
	make_p2p_handshake()


func _on_p2p_session_connect_fail(this_steam_id: int, session_error: int) -> void:
	print("CONNECT_FAIL %d %d" % [this_steam_id, session_error])
	fail_codes.append(session_error)
	if session_error != Steam.P2P_SESSION_ERROR_TIMEOUT:
		_finish(false, "connect-fail code %d (expected 4)" % session_error)
		return
	if role == "stranger" and this_steam_id == stranger_target:
		var state: Dictionary = Steam.getP2PSessionState(stranger_target)
		if stranger_packets != 0:
			_finish(false, "the stranger read %d packets from the host" % stranger_packets)
		elif state.get("connection_active", -1) != 0 or state.get("session_error", -1) != 4:
			_finish(false, "state after the failure: %s" % state)
		else:
			_finish(true)
	elif role == "host" and this_steam_id == peer_id and guest_left:
		_check_host_done()
	else:
		_finish(false, "unexpected connect-fail for %d" % this_steam_id)


# ---------------------------------------------------------------- the exchange

func _blob(i: int) -> String:
	return "message %d from %d: %s" % [i, steam_id, "x".repeat(i * 37 % 500)]


func _on_packet(sender: int, data: Dictionary) -> void:
	if role == "stranger":
		stranger_packets += 1
		return
	if sender != peer_id:
		_finish(false, "a packet from %d, who is not the peer %d: %s" % [sender, peer_id, data])
		return
	match data.get("message", ""):
		"handshake":
			if data.get("from", 0) != sender:
				_finish(false, "handshake 'from' %s != sender %d" % [data.get("from"), sender])
				return
			handshake_seen = true
			_start_exchange()
		"rel":
			var expected_text := "message %d from %d: %s" % [reliable_next, sender, "x".repeat(reliable_next * 37 % 500)]
			if data.get("i", -1) != reliable_next or data.get("text", "") != expected_text:
				_finish(false, "reliable message %s, expected #%d" % [data, reliable_next])
				return
			reliable_next += 1
		"unrel":
			var i: int = data.get("i", -1)
			if i < 0 or i >= messages or data.get("text", "") != "u%d-%d" % [i, sender]:
				_finish(false, "bad unreliable message %s" % [data])
				return
			unreliable_seen[i] = true
			send_p2p_packet(peer_id, {"message": "ack", "i": i})
		"ack":
			unreliable_acked[int(data.get("i", -1))] = true
		"done":
			peer_done = true
		_:
			_finish(false, "unknown message %s" % [data])
			return
	_check_exchange()


func _start_exchange() -> void:
	if exchange_started:
		return
	exchange_started = true
	for i in range(messages):
		send_p2p_packet(peer_id, {"message": "rel", "i": i, "text": _blob(i)})
	_resend_unreliable()


func _resend_unreliable() -> void:
	var now := OS.get_ticks_msec()
	for i in range(messages):
		if unreliable_acked.has(i):
			continue
		if unreliable_sent_at.has(i) and now - unreliable_sent_at[i] < RESEND_AFTER_MS:
			continue
		unreliable_sent_at[i] = now
		var payload := _pack({"message": "unrel", "i": i, "text": "u%d-%d" % [i, steam_id]})
		if payload.size() > 1200 or not Steam.sendP2PPacket(peer_id, payload, Steam.P2P_SEND_UNRELIABLE, 0):
			_finish(false, "unreliable send #%d refused" % i)
			return


func _check_exchange() -> void:
	var mine_done := reliable_next == messages and unreliable_seen.size() == messages and unreliable_acked.size() == messages
	if mine_done and not done_sent:
		# Checked before our "done" goes out: the peer cannot have quit yet, it waits for it.
		var state: Dictionary = Steam.getP2PSessionState(peer_id)
		if state.get("connection_active", 0) != 1 or state.get("session_error", -1) != 0:
			_finish(false, "session state with the peer: %s" % state)
			return
		done_sent = true
		send_p2p_packet(peer_id, {"message": "done"})
	if mine_done and peer_done and not exchange_ok:
		exchange_ok = true
		print("EXCHANGE_OK %d reliable and %d unreliable each way" % [messages, messages])
		if role == "guest":
			_finish(true)
		else:
			_probe_departed_guest()


func _check_host_done() -> void:
	if role != "host" or not exchange_ok:
		return
	var want_stranger := _env("GAME_EXPECT_STRANGER", "") == "1"
	if want_stranger and rejected.empty():
		return
	if not quit_probe_sent or fail_codes.empty():
		return
	_finish(true)
