# Bad input from GDScript against the real Steam autoload and the real kettle-agent (issue 7,
# acceptance 2), run by bad_input.sh in a private copy of tests/godot/engine/game/:
#   1. before steamInit: every function gives its failure value and starts no agent;
#   2. after steamInitEx: wrong types, negative and huge sizes and channels, invalid Steam IDs,
#      bad lobby keys/values, bad chat messages, arguments the agent cannot take: each gives the
#      documented failure value (p2p-api.md §2.6, §3) and prints an error;
#   3. while bad_input.sh throws garbage at the agent's sockets (AGENT_PID below), P2P loopback
#      keeps working, until the file GARBAGE_DONE_FILE exists;
#   4. nothing was harmed: loopback both ways, a new lobby with its signals, data and chat.
# With BAD_INPUT_PART=connect only init and step 4 run: bad_input.sh starts the agent through
# agent_prelude.py then, which puts garbage on its ports before the game connects.
# Every error the game must print is announced as `EXPECT_ERROR <text>`; bad_input.sh checks that
# each appears in an engine ERROR line and that no other ERROR line was printed.
extends SceneTree

const LOBBY_PREFIX = 109775240917155840
const NOBODY = 76561197960265729 + 4000000  # a well-formed user id nobody has
const PHASE_TIMEOUT_MS = 20000
const GARBAGE_TIMEOUT_MS = 90000

var steam = null
var self_id := 0
var failures := []
var signals := []  # [name, args...] in emission order


func _init() -> void:
	call_deferred("_run")


func _check(cond: bool, what: String) -> void:
	if not cond:
		failures.append(what)
		print("CHECK FAILED: %s" % what)


func _phase(name: String) -> void:
	print("PHASE %s at %d ms" % [name, OS.get_ticks_msec()])


func _same(a, b) -> bool:
	return typeof(a) == typeof(b) and var2str(a) == var2str(b)


# One call that must return `want` and print `error` (none if "").
func _case(name: String, args: Array, want, error: String) -> void:
	var got = steam.callv(name, args)
	if not _same(got, want):  # the message only then: _show of a 1 MiB argument is slow
		_check(false, "%s(%s) gave %s, want %s" % [name, _show(args), _show([got]), _show([want])])
	if error != "":
		print("EXPECT_ERROR " + error)


func _show(args: Array) -> String:
	var parts := PoolStringArray()
	for a in args:
		var s := var2str(a).replace("\n", " ")
		parts.append(s if s.length() <= 40 else "%s...(%d chars)" % [s.substr(0, 30), s.length()])
	return parts.join(", ")


func _on_signal(a = null, b = null, c = null, d = null, name := "") -> void:
	var entry := [name]
	for v in [a, b, c, d]:
		if v != null:
			entry.append(v)
	signals.append(entry)


func _watch(signal_name: String, arg_count: int) -> void:
	var binds := []
	for _i in range(4 - arg_count):
		binds.append(null)
	binds.append(signal_name)
	steam.connect(signal_name, self, "_on_signal", binds)


# Runs callbacks until a signal named `name` came (returns it) or the deadline passed ([]).
func _wait_signal(name: String, timeout_ms: int = PHASE_TIMEOUT_MS) -> Array:
	var deadline := OS.get_ticks_msec() + timeout_ms
	while OS.get_ticks_msec() < deadline:
		steam.run_callbacks()
		for i in range(signals.size()):
			if signals[i][0] == name:
				var s: Array = signals[i]
				signals.remove(i)
				return s
		OS.delay_msec(2)
	return []


func _bytes(n: int, fill: int) -> PoolByteArray:
	var b := PoolByteArray()
	b.resize(n)
	for i in range(min(n, 64)):
		b[i] = (fill + i) & 0xFF
	return b


func _run() -> void:
	steam = root.get_node("Steam")
	_watch("lobby_created", 2)
	_watch("lobby_joined", 4)
	_watch("lobby_message", 4)
	_watch("p2p_session_connect_fail", 2)
	var connect_only := OS.get_environment("BAD_INPUT_PART") == "connect"
	if not connect_only:
		_before_init()
	_phase("init")
	var init: Dictionary = steam.steamInitEx()
	_check(init.get("status", -1) == 0, "steamInitEx status 0: %s" % init)
	self_id = steam.getSteamID()
	_check(self_id > 0 and steam.loggedOn(), "identity after steamInitEx")
	if failures.empty() and not connect_only:
		_phase("bad arguments")
		_after_init()
	if failures.empty() and not connect_only:
		_phase("garbage")
		_under_garbage()
	if failures.empty():
		_phase("unharmed")
		_unharmed()
	_phase("end")
	if failures.empty():
		print("PASS")
	quit(0 if failures.empty() else 1)


func _before_init() -> void:
	var user := 76561197960265730
	var lobby := LOBBY_PREFIX + 1
	var why := "called before a successful steamInit()/steamInitEx(); returns its failure value"
	_check(steam.getSteamID() == 0 and not steam.isSteamRunning() and not steam.loggedOn(), "silent getters before init")
	_case("getPersonaName", [], "", "Steam.getPersonaName: " + why)
	_case("getFriendPersonaName", [user], "", "Steam.getFriendPersonaName: " + why)
	_case("sendP2PPacket", [user, PoolByteArray([1]), 2, 0], false, "Steam.sendP2PPacket: " + why)
	_case("readP2PPacket", [64, 0], {}, "Steam.readP2PPacket: " + why)
	_case("getAvailableP2PPacketSize", [0], 0, "Steam.getAvailableP2PPacketSize: " + why)
	_case("acceptP2PSessionWithUser", [user], false, "Steam.acceptP2PSessionWithUser: " + why)
	_case("closeP2PSessionWithUser", [user], false, "Steam.closeP2PSessionWithUser: " + why)
	_case("getP2PSessionState", [user], {}, "Steam.getP2PSessionState: " + why)
	_case("createLobby", [2, 4], null, "Steam.createLobby: " + why)
	_case("joinLobby", [lobby], null, "Steam.joinLobby: " + why)
	_case("getLobbyData", [lobby, "k"], "", "Steam.getLobbyData: " + why)
	_case("setLobbyData", [lobby, "k", "v"], false, "Steam.setLobbyData: " + why)
	_case("getAllLobbyData", [lobby], {}, "Steam.getAllLobbyData: " + why)
	_case("getNumLobbyMembers", [lobby], 0, "Steam.getNumLobbyMembers: " + why)
	_case("getLobbyOwner", [lobby], 0, "Steam.getLobbyOwner: " + why)
	_case("sendLobbyChatMsg", [lobby, "hi"], false, "Steam.sendLobbyChatMsg: " + why)
	_case("requestLobbyList", [], null, "Steam.requestLobbyList: " + why)
	# Bad arguments before init: still only the failure value (one error per function).
	_case("readP2PPacket", [-1, 300], {}, "")
	_case("sendP2PPacket", [0, "x", 9, -1], false, "")
	steam.run_callbacks()
	_check(steam._link == null, "no kettle-agent started before steamInit")
	_check(signals.empty(), "no signals before steamInit: %s" % [signals])


func _after_init() -> void:
	var one := PoolByteArray([1])
	steam.createLobby(steam.LOBBY_TYPE_PUBLIC, 4)
	var created := _wait_signal("lobby_created")
	_check(created.size() == 3 and created[1] == 1, "lobby_created(1, id): %s" % [created])
	var joined := _wait_signal("lobby_joined")
	_check(joined.size() == 5 and joined[4] == 1, "lobby_joined(.., 1): %s" % [joined])
	if created.size() != 3:
		return
	var lobby: int = created[2]
	var me := self_id
	var deep := [1]
	for _i in range(40):
		deep = [deep]
	var nested := [1]
	for _i in range(20):
		nested = [nested]
	var huge_text := "x".repeat(3 * 1024 * 1024)

	_phase("wrong types")
	# Wrong types, checked by the agent.
	_case("getFriendPersonaName", [str(me)], "", "Steam.getFriendPersonaName: argument 1 (steam_id) must be int, got String")
	_case("getFriendPersonaName", [[me]], "", "Steam.getFriendPersonaName: argument 1 (steam_id) must be int, got Array")
	_case("getFriendPersonaName", [null], "", "Steam.getFriendPersonaName: argument 1 (steam_id) must be int, got null")
	_case("getFriendPersonaName", [{"id": me}], "", "Steam.getFriendPersonaName: argument 1 (steam_id) must be int, got Dictionary")
	_case("getFriendPersonaName", [1.5], "", "Steam.getFriendPersonaName: argument 1 (steam_id) must be int, got float 1.5")
	_case("acceptP2PSessionWithUser", ["x"], false, "Steam.acceptP2PSessionWithUser: argument 1 (remote_steam_id) must be int, got String")
	_case("getP2PSessionState", [Vector2(1, 2)], {}, "Steam.getP2PSessionState: argument 1 (remote_steam_id) must be int, got Vector2")
	_case("closeP2PSessionWithUser", [root], false, "Steam.closeP2PSessionWithUser: argument 1 (remote_steam_id) must be int, got Object")
	_case("getLobbyData", [lobby, 5], "", "Steam.getLobbyData: argument 2 (key) must be String, got int")
	_case("getLobbyData", [nested, "k"], "", "Steam.getLobbyData: argument 1 (steam_lobby_id) must be int, got Array")
	_case("setLobbyData", [lobby, "k", 7], false, "Steam.setLobbyData: argument 3 (value) must be String, got int")
	_case("setLobbyData", [lobby, PoolByteArray([65]), "v"], false, "Steam.setLobbyData: argument 2 (key) must be String, got PackedByteArray")
	_case("setLobbyData", [str(lobby), "k", "v"], false, "Steam.setLobbyData: argument 1 (steam_lobby_id) must be int, got String")
	_case("sendLobbyChatMsg", [lobby, PoolByteArray([104, 105])], false, "Steam.sendLobbyChatMsg: argument 2 (message_body) must be String, got PackedByteArray")
	_case("getAllLobbyData", [2.5], {}, "Steam.getAllLobbyData: argument 1 (steam_lobby_id) must be int, got float 2.5")
	_case("getNumLobbyMembers", [true], 0, "Steam.getNumLobbyMembers: argument 1 (steam_lobby_id) must be int, got bool")
	_case("getLobbyMemberByIndex", [lobby, 0.5], 0, "Steam.getLobbyMemberByIndex: argument 2 (member) must be int, got float 0.5")
	_case("setLobbyJoinable", [lobby, "yes"], false, "Steam.setLobbyJoinable: argument 2 (joinable) must be bool, got String")
	_case("allowP2PPacketRelay", [2], false, "Steam.allowP2PPacketRelay: argument 1 (allow) must be bool, got int")
	_case("createLobby", ["public", 4], null, "Steam.createLobby: argument 1 (lobby_type) must be int, got String")
	_case("joinLobby", [null], null, "Steam.joinLobby: argument 1 (steam_lobby_id) must be int, got null")
	_case("requestUserInformation", [me, "yes"], false, "Steam.requestUserInformation: argument 2 (require_name_only) must be bool, got String")
	# Wrong types, checked by the autoload itself.
	var send_types := "Steam.sendP2PPacket: expects (remote_steam_id: int, data: PoolByteArray, send_type: int, channel: int = 0), got "
	_case("sendP2PPacket", [me, "hello", 2, 0], false, send_types + "(int, String, int, int)")
	_case("sendP2PPacket", [str(me), one, 2, 0], false, send_types + "(String, PoolByteArray, int, int)")
	_case("sendP2PPacket", [me, one, "2", 0], false, send_types + "(int, PoolByteArray, String, int)")
	_case("sendP2PPacket", [me, one, 2, 1.5], false, send_types + "(int, PoolByteArray, int, float 1.5)")
	_case("sendP2PPacket", [me, null, 2, 0], false, send_types + "(int, null, int, int)")
	_case("sendP2PPacket", [me, {}, 2, 0], false, send_types + "(int, Dictionary, int, int)")
	_case("readP2PPacket", ["64", 0], {}, "Steam.readP2PPacket: argument 1 (packet_size) must be int, got String")
	_case("readP2PPacket", [64, null], {}, "Steam.readP2PPacket: argument 2 (channel) must be int, got null")
	_case("getAvailableP2PPacketSize", ["0"], 0, "Steam.getAvailableP2PPacketSize: argument 1 (channel) must be int, got String")
	# Integral floats and an Array of bytes are what Godot converts for a native method: accepted.
	_case("sendP2PPacket", [me, [1, 2, 3], 2.0, 5], true, "")
	_check(steam.getAvailableP2PPacketSize(5.0) == 3, "an Array sent as bytes is readable on channel 5")
	var r: Dictionary = steam.readP2PPacket(16, 5)
	_check(_same(r.get("data"), PoolByteArray([1, 2, 3])), "the Array's bytes: %s" % [r])

	_phase("negative")
	# Negative and out-of-range sizes, channels and send types.
	_case("readP2PPacket", [-1], {}, "Steam.readP2PPacket: argument 1 (packet_size) must be 1 or more, got -1")
	_case("readP2PPacket", [0, 0], {}, "Steam.readP2PPacket: argument 1 (packet_size) must be 1 or more, got 0")
	_case("readP2PPacket", [64, -1], {}, "Steam.readP2PPacket: argument 2 (channel) must be 0 to 255, got -1")
	_case("readP2PPacket", [64, 256], {}, "Steam.readP2PPacket: argument 2 (channel) must be 0 to 255, got 256")
	_case("getAvailableP2PPacketSize", [-5], 0, "Steam.getAvailableP2PPacketSize: argument 1 (channel) must be 0 to 255, got -5")
	_case("getAvailableP2PPacketSize", [1 << 40], 0, "Steam.getAvailableP2PPacketSize: argument 1 (channel) must be 0 to 255, got 1099511627776")
	_case("sendP2PPacket", [me, one, 2, 256], false, "Steam.sendP2PPacket: argument 4 (channel) must be 0 to 255, got 256")
	_case("sendP2PPacket", [me, one, 0, -1], false, "Steam.sendP2PPacket: argument 4 (channel) must be 0 to 255, got -1")
	_case("sendP2PPacket", [me, one, 7, 0], false, "Steam.sendP2PPacket: argument 3 (send_type) must be 0 to 3, got 7")
	_case("sendP2PPacket", [me, one, -1, 0], false, "Steam.sendP2PPacket: argument 3 (send_type) must be 0 to 3, got -1")
	_case("sendP2PPacket", [me, PoolByteArray(), 2, 0], false, "Steam.sendP2PPacket: argument 2 (data) is empty (packets are 1 byte or more)")
	_case("closeP2PChannelWithUser", [me, -1], false, "Steam.closeP2PChannelWithUser: argument 2 (channel) must be 0 to 255, got -1")
	_case("getLobbyMemberByIndex", [lobby, -1], 0, "Steam.getLobbyMemberByIndex: argument 2 (member) must be 0 to 249, got -1")
	_case("setLobbyMemberLimit", [lobby, -5], false, "Steam.setLobbyMemberLimit: argument 2 (max_members) must be 1 to 250, got -5")
	_phase("huge")
	# Huge sizes.
	_case("sendP2PPacket", [me, _bytes(1048577, 3), 2, 0], false, "Steam.sendP2PPacket: argument 2 (data) is 1048577 bytes, more than send type 2 allows (1048576)")
	_case("sendP2PPacket", [me, _bytes(1048577, 3), 3, 0], false, "Steam.sendP2PPacket: argument 2 (data) is 1048577 bytes, more than send type 3 allows (1048576)")
	_case("sendP2PPacket", [me, _bytes(1201, 4), 0, 0], false, "Steam.sendP2PPacket: argument 2 (data) is 1201 bytes, more than send type 0 allows (1200)")
	_case("sendP2PPacket", [me, _bytes(1201, 4), 1, 0], false, "Steam.sendP2PPacket: argument 2 (data) is 1201 bytes, more than send type 1 allows (1200)")
	_case("setLobbyData", [lobby, "k", huge_text], false, "Steam.setLobbyData: the arguments take ")
	_case("sendLobbyChatMsg", [lobby, huge_text], false, "Steam.sendLobbyChatMsg: the arguments take ")
	_case("getLobbyData", [lobby, huge_text], "", "Steam.getLobbyData: the arguments take ")
	_case("getLobbyData", [deep, "k"], "", "Steam.getLobbyData: argument 1 is nested more than 32 levels deep")
	_case("getLobbyMemberByIndex", [lobby, 1 << 40], 0, "Steam.getLobbyMemberByIndex: argument 2 (member) must be 0 to 249, got 1099511627776")
	_phase("largest")
	# The largest sizes allowed still work: a 1 MiB reliable and a 1200-byte unreliable loopback,
	# read with a buffer of 2^40 bytes (sized to the real packet).
	_case("sendP2PPacket", [me, _bytes(1048576, 5), 2, 7], true, "")
	_check(steam.getAvailableP2PPacketSize(7) == 1048576, "1 MiB loopback readable")
	r = steam.readP2PPacket(1 << 40, 7)
	_check(r.get("data", PoolByteArray()).size() == 1048576 and r.get("remote_steam_id") == me, "readP2PPacket(2^40) gives the 1 MiB packet")
	_check(_same(r.get("data", PoolByteArray()).subarray(0, 63), _bytes(64, 5)), "1 MiB loopback content")

	_phase("ids")
	# Invalid Steam IDs.
	var not_user := "is not a user's Steam ID: "
	for bad in [0, -1, lobby, 9223372036854775807]:
		_case("sendP2PPacket", [bad, one, 2, 0], false, "Steam.sendP2PPacket: argument 1 (remote_steam_id) %s%d" % [not_user, bad])
	_case("acceptP2PSessionWithUser", [0], false, "Steam.acceptP2PSessionWithUser: argument 1 (remote_steam_id) %s0" % not_user)
	_case("acceptP2PSessionWithUser", [-1], false, "Steam.acceptP2PSessionWithUser: argument 1 (remote_steam_id) %s-1" % not_user)
	_case("acceptP2PSessionWithUser", [lobby], false, "Steam.acceptP2PSessionWithUser: argument 1 (remote_steam_id) %s%d" % [not_user, lobby])
	_case("acceptP2PSessionWithUser", [9223372036854775807], false, "Steam.acceptP2PSessionWithUser: argument 1 (remote_steam_id) %s9223372036854775807" % not_user)
	_case("getP2PSessionState", [0], {}, "Steam.getP2PSessionState: argument 1 (remote_steam_id) %s0" % not_user)
	_case("getP2PSessionState", [NOBODY], {}, "")  # well-formed, no session: {} silently
	_case("closeP2PSessionWithUser", [-1], false, "Steam.closeP2PSessionWithUser: argument 1 (remote_steam_id) %s-1" % not_user)
	_case("closeP2PSessionWithUser", [NOBODY], false, "")  # no session: false silently
	_case("getFriendPersonaName", [lobby], "", "Steam.getFriendPersonaName: argument 1 (steam_id) %s%d" % [not_user, lobby])
	var not_lobby := "is not a lobby's Steam ID: "
	_case("getLobbyData", [me, "k"], "", "Steam.getLobbyData: argument 1 (steam_lobby_id) %s%d" % [not_lobby, me])
	_case("getAllLobbyData", [-1], {}, "Steam.getAllLobbyData: argument 1 (steam_lobby_id) %s-1" % not_lobby)
	_case("getAllLobbyData", [0], {}, "Steam.getAllLobbyData: argument 1 (steam_lobby_id) %s0" % not_lobby)
	_case("setLobbyData", [9223372036854775807, "k", "v"], false, "Steam.setLobbyData: argument 1 (steam_lobby_id) %s9223372036854775807" % not_lobby)
	_case("getNumLobbyMembers", [me], 0, "Steam.getNumLobbyMembers: argument 1 (steam_lobby_id) %s%d" % [not_lobby, me])
	_case("inviteUserToLobby", [lobby, lobby], false, "Steam.inviteUserToLobby: argument 2 (steam_id_invitee) %s%d" % [not_user, lobby])
	_case("sendLobbyChatMsg", [0, "hi"], false, "Steam.sendLobbyChatMsg: argument 1 (steam_lobby_id) %s0" % not_lobby)
	# Async ones still answer through their signal (spec §3.2), and the lobby we are in stays.
	_case("joinLobby", [me], null, "Steam.joinLobby: argument 1 (steam_lobby_id) %s%d" % [not_lobby, me])
	var refused := _wait_signal("lobby_joined")
	_check(refused.size() == 5 and refused[4] == 2, "joinLobby(user id) -> lobby_joined(.., 2): %s" % [refused])
	_case("createLobby", [2, 0], null, "Steam.createLobby: argument 2 (max_members) must be 1 to 250, got 0")
	var bad_create := _wait_signal("lobby_created")
	_check(bad_create.size() == 3 and bad_create[1] == 8 and bad_create[2] == 0, "createLobby(2, 0) -> lobby_created(8, 0): %s" % [bad_create])
	_case("createLobby", [4, 2], null, "Steam.createLobby: argument 1 (lobby_type) must be 0 to 3, got 4")
	bad_create = _wait_signal("lobby_created")
	_check(bad_create.size() == 3 and bad_create[1] == 8 and bad_create[2] == 0, "createLobby(4, 2) -> lobby_created(8, 0): %s" % [bad_create])
	_check(steam.getNumLobbyMembers(lobby) == 1 and steam.getLobbyOwner(lobby) == me, "still the owner of lobby %d" % lobby)

	_phase("keys")
	# Lobby keys and values (1-255 and 0-8191 bytes) and chat messages (1-4095 bytes of UTF-8).
	_case("setLobbyData", [lobby, "", "v"], false, "Steam.setLobbyData: argument 2 (key) must be 1 to 255 bytes of UTF-8, got 0")
	_case("setLobbyData", [lobby, "k".repeat(256), "v"], false, "Steam.setLobbyData: argument 2 (key) must be 1 to 255 bytes of UTF-8, got 256")
	_case("setLobbyData", [lobby, "k", "v".repeat(8192)], false, "Steam.setLobbyData: argument 3 (value) must be at most 8191 bytes of UTF-8, got 8192")
	_case("setLobbyData", [lobby, "é".repeat(128), "v"], false, "Steam.setLobbyData: argument 2 (key) must be 1 to 255 bytes of UTF-8, got 256")
	_case("getLobbyData", [lobby, ""], "", "Steam.getLobbyData: argument 2 (key) must be 1 to 255 bytes of UTF-8, got 0")
	_case("deleteLobbyData", [lobby, "k".repeat(300)], false, "Steam.deleteLobbyData: argument 2 (key) must be 1 to 255 bytes of UTF-8, got 300")
	_case("setLobbyMemberData", [lobby, "", "v"], null, "Steam.setLobbyMemberData: argument 2 (key) must be 1 to 255 bytes of UTF-8, got 0")
	_case("getLobbyMemberData", [lobby, me, "k".repeat(256)], "", "Steam.getLobbyMemberData: argument 3 (key) must be 1 to 255 bytes of UTF-8, got 256")
	_case("sendLobbyChatMsg", [lobby, ""], false, "Steam.sendLobbyChatMsg: argument 2 (message_body) is empty")
	_case("sendLobbyChatMsg", [lobby, "m".repeat(5000)], false, "Steam.sendLobbyChatMsg: argument 2 (message_body) is 5000 bytes of UTF-8, more than the 4095 a chat message holds")
	# The boundaries themselves are fine.
	var key255 := "k".repeat(255)
	var value8191 := "v".repeat(8191)
	_case("setLobbyData", [lobby, key255, value8191], true, "")
	_case("getLobbyData", [lobby, key255], value8191, "")
	_check(steam.getAllLobbyData(lobby).size() == 1, "exactly one lobby key set")
	_check(steam._link != null and not steam._link.is_dead(), "the agent link survived the bad input")
	_check(steam.getSteamID() == me and steam.isSteamRunning(), "the agent still answers")


# Throws nothing itself: bad_input.sh aims garbage at the agent's sockets while this loops
# through loopback sends and reads, until GARBAGE_DONE_FILE appears.
func _under_garbage() -> void:
	var done_file := OS.get_environment("GARBAGE_DONE_FILE")
	print("AGENT_PID %d" % steam._link.pid())
	print("GODOT_PID %d" % OS.get_process_id())
	var f := File.new()
	var deadline := OS.get_ticks_msec() + GARBAGE_TIMEOUT_MS
	var rounds := 0
	var unreliable_read := 0
	while done_file != "" and not f.file_exists(done_file):
		if OS.get_ticks_msec() > deadline:
			_check(false, "no %s within %d s" % [done_file, GARBAGE_TIMEOUT_MS / 1000])
			return
		rounds += 1
		var tag := "round %d" % rounds
		if rounds % 4 == 0:
			# Output now and then: bad_input.sh's `tail -f | grep -m1` for AGENT_PID ends only
			# when tail writes again.
			print("UNDER_GARBAGE " + tag)
		_check(steam.sendP2PPacket(self_id, tag.to_utf8(), steam.P2P_SEND_UNRELIABLE, 2), "unreliable send, " + tag)
		_check(steam.sendP2PPacket(self_id, tag.to_utf8(), steam.P2P_SEND_RELIABLE, 1), "reliable send, " + tag)
		var r: Dictionary = steam.readP2PPacket(64, 1)
		_check(r.get("data", PoolByteArray()).get_string_from_utf8() == tag, "reliable loopback under garbage, %s: %s" % [tag, r])
		# Unreliable ones may be lost (the agent's socket is being flooded): counted, not required.
		while steam.getAvailableP2PPacketSize(2) > 0:
			steam.readP2PPacket(64, 2)
			unreliable_read += 1
		_check(steam.getSteamID() == self_id, "getSteamID under garbage, " + tag)
		if not failures.empty():
			return
		OS.delay_msec(5)
	print("UNDER_GARBAGE rounds=%d unreliable_read=%d" % [rounds, unreliable_read])
	_check(rounds > 0, "at least one round under garbage")


func _unharmed() -> void:
	var me := self_id
	_check(steam._link != null and not steam._link.is_dead(), "the agent link is alive")
	_check(steam.isSteamRunning() and steam.loggedOn() and steam.getSteamID() == me, "identity after everything")
	# Unreliable loopback (resent until seen: loss is allowed), then reliable.
	var seen := false
	var deadline := OS.get_ticks_msec() + PHASE_TIMEOUT_MS
	while not seen and OS.get_ticks_msec() < deadline:
		_check(steam.sendP2PPacket(me, "final".to_utf8(), steam.P2P_SEND_UNRELIABLE, 3), "final unreliable send")
		var until := OS.get_ticks_msec() + 200
		while not seen and OS.get_ticks_msec() < until:
			var r: Dictionary = steam.readP2PPacket(64, 3)
			seen = r.get("data", PoolByteArray()).get_string_from_utf8() == "final" and r.get("remote_steam_id") == me
			if not seen:
				OS.delay_msec(1)
	_check(seen, "unreliable loopback after everything")
	_check(steam.sendP2PPacket(me, "final reliable".to_utf8(), steam.P2P_SEND_RELIABLE, 4), "final reliable send")
	var rr: Dictionary = steam.readP2PPacket(64, 4)
	_check(rr.get("data", PoolByteArray()).get_string_from_utf8() == "final reliable", "reliable loopback after everything: %s" % [rr])
	# A new lobby: lobby_created then lobby_joined, data and chat round trips.
	signals.clear()
	steam.createLobby(steam.LOBBY_TYPE_PUBLIC, 4)
	var created := _wait_signal("lobby_created")
	_check(created.size() == 3 and created[1] == 1 and created[2] > 0, "lobby_created(1, id) after everything: %s" % [created])
	var joined := _wait_signal("lobby_joined")
	_check(joined.size() == 5 and created.size() == 3 and joined[1] == created[2] and joined[4] == 1, "lobby_joined(id, .., 1) after everything: %s" % [joined])
	if created.size() != 3:
		return
	var lobby: int = created[2]
	_check(steam.setLobbyData(lobby, "mode", "unharmed"), "setLobbyData after everything")
	_check(steam.getLobbyData(lobby, "mode") == "unharmed", "getLobbyData after everything")
	_check(steam.sendLobbyChatMsg(lobby, "still here"), "sendLobbyChatMsg after everything")
	var msg := _wait_signal("lobby_message")
	_check(msg.size() == 5 and msg[1] == lobby and msg[2] == me and msg[3] == "still here" and msg[4] == 1, "lobby_message after everything: %s" % [msg])
	_check(steam.getNumLobbyMembers(lobby) == 1 and steam.getLobbyOwner(lobby) == me, "members of the new lobby")
	_check(_wait_signal("p2p_session_connect_fail", 1).empty(), "no connect-fail from any of it")
