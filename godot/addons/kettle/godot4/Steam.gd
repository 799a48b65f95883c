# The `Steam` autoload (Godot 4.x): GodotSteam's names, argument orders, return shapes, signals
# and constants on top of Kettle. Everything real runs in kettle-agent (tools/agent), a helper
# process this node starts in steamInit()/steamInitEx() and talks to over loopback
# (docs/protocol.md §16, agent_link.gd). P2P packets are pushed by the agent ahead of time and
# read here from local per-channel queues, so the tutorial's read loop costs no round trip.
#
# Signals are emitted only inside run_callbacks() (called by the game, or on the SceneTree's
# process_frame when `kettle/auto_run_callbacks` or steamInit's embed_callbacks is on).
#
# Mirrors ../Steam.gd (Godot 3.x) part by part and in the same order: signals, constants, init and
# identity, P2P networking, lobbies, no-op stubs, the link to the agent. The GodotSteam surface
# (names, parameters, defaults, return shapes, constant values) is identical (spec p2p-api.md
# §0.1); only engine APIs differ: typed signals, PackedByteArray, FileAccess, path_join, slice()
# with an exclusive end, process_mode, process_frame in place of _process, and the 4.x type names
# in _TYPE_NAMES (the ids of typeof()).
# tests/godot/godot4_check.py keeps the two in step.
extends Node

const AgentLink = preload("agent_link.gd")

signal persona_state_change(steam_id: int, flags: int)
signal join_requested(lobby_id: int, steam_id: int)
signal lobby_invite(inviter: int, lobby: int, game: int)
signal lobby_joined(lobby: int, permissions: int, locked: bool, response: int)
signal lobby_data_update(success: int, lobby_id: int, member_id: int)
signal lobby_chat_update(lobby_id: int, changed_id: int, making_change_id: int, chat_state: int)
signal lobby_message(lobby_id: int, user: int, message: String, chat_type: int)
signal lobby_match_list(lobbies: Array)
signal lobby_kicked(lobby_id: int, admin_id: int, due_to_disconnect: int)
signal lobby_created(connect: int, lobby_id: int)
signal p2p_session_request(remote_steam_id: int)
signal p2p_session_connect_fail(remote_steam_id: int, session_error: int)
signal network_messages_session_request(remote_steam_id: int)
signal network_messages_session_failed(reason: int, remote_steam_id: int, connection_state: int, debug_message: String)

# EP2PSend
const P2P_SEND_UNRELIABLE = 0
const P2P_SEND_UNRELIABLE_NO_DELAY = 1
const P2P_SEND_RELIABLE = 2
const P2P_SEND_RELIABLE_WITH_BUFFERING = 3
# EP2PSessionError
const P2P_SESSION_ERROR_NONE = 0
const P2P_SESSION_ERROR_NOT_RUNNING_APP = 1
const P2P_SESSION_ERROR_NO_RIGHTS_TO_APP = 2
const P2P_SESSION_ERROR_DESTINATION_NOT_LOGGED_ON = 3
const P2P_SESSION_ERROR_TIMEOUT = 4
const P2P_SESSION_ERROR_MAX = 5
# ELobbyType
const LOBBY_TYPE_PRIVATE = 0
const LOBBY_TYPE_FRIENDS_ONLY = 1
const LOBBY_TYPE_PUBLIC = 2
const LOBBY_TYPE_INVISIBLE = 3
const LOBBY_TYPE_PRIVATE_UNIQUE = 4
# ELobbyComparison
const LOBBY_COMPARISON_EQUAL_TO_OR_LESS_THAN = -2
const LOBBY_COMPARISON_LESS_THAN = -1
const LOBBY_COMPARISON_EQUAL = 0
const LOBBY_COMPARISON_GREATER_THAN = 1
const LOBBY_COMPARISON_EQUAL_TO_GREATER_THAN = 2
const LOBBY_COMPARISON_NOT_EQUAL = 3
# ELobbyDistanceFilter
const LOBBY_DISTANCE_FILTER_CLOSE = 0
const LOBBY_DISTANCE_FILTER_DEFAULT = 1
const LOBBY_DISTANCE_FILTER_FAR = 2
const LOBBY_DISTANCE_FILTER_WORLDWIDE = 3
# EChatMemberStateChange (bit flags)
const CHAT_MEMBER_STATE_CHANGE_ENTERED = 1
const CHAT_MEMBER_STATE_CHANGE_LEFT = 2
const CHAT_MEMBER_STATE_CHANGE_DISCONNECTED = 4
const CHAT_MEMBER_STATE_CHANGE_KICKED = 8
const CHAT_MEMBER_STATE_CHANGE_BANNED = 16
# EChatRoomEnterResponse
const CHAT_ROOM_ENTER_RESPONSE_SUCCESS = 1
const CHAT_ROOM_ENTER_RESPONSE_DOESNT_EXIST = 2
const CHAT_ROOM_ENTER_RESPONSE_NOT_ALLOWED = 3
const CHAT_ROOM_ENTER_RESPONSE_FULL = 4
const CHAT_ROOM_ENTER_RESPONSE_ERROR = 5
const CHAT_ROOM_ENTER_RESPONSE_BANNED = 6
const CHAT_ROOM_ENTER_RESPONSE_LIMITED = 7
const CHAT_ROOM_ENTER_RESPONSE_CLAN_DISABLED = 8
const CHAT_ROOM_ENTER_RESPONSE_COMMUNITY_BAN = 9
const CHAT_ROOM_ENTER_RESPONSE_MEMBER_BLOCKED_YOU = 10
const CHAT_ROOM_ENTER_RESPONSE_YOU_BLOCKED_MEMBER = 11
const CHAT_ROOM_ENTER_RESPONSE_RATE_LIMIT_EXCEEDED = 15
# EChatEntryType (Kettle lobby chat always reports CHAT_MSG)
const CHAT_ENTRY_TYPE_INVALID = 0
const CHAT_ENTRY_TYPE_CHAT_MSG = 1
# ESteamAPIInitResult (steamInitEx's status)
const STEAM_API_INIT_RESULT_OK = 0
const STEAM_API_INIT_RESULT_FAILED_GENERIC = 1
const STEAM_API_INIT_RESULT_NO_STEAM_CLIENT = 2
const STEAM_API_INIT_RESULT_VERSION_MISMATCH = 3
# EPersonaChange (flags of persona_state_change)
const PERSONA_CHANGE_NAME = 1
const PERSONA_CHANGE_STATUS = 2
# EResult (the codes Kettle reports; steamInit's status and lobby_created's connect)
const RESULT_NONE = 0
const RESULT_OK = 1
const RESULT_FAIL = 2
const RESULT_NO_CONNECTION = 3
const RESULT_INVALID_PASSWORD = 5
const RESULT_LOGGED_IN_ELSEWHERE = 6
const RESULT_INVALID_PROTOCOL_VER = 7
const RESULT_INVALID_PARAM = 8
const RESULT_FILE_NOT_FOUND = 9
const RESULT_BUSY = 10
const RESULT_INVALID_STATE = 11
const RESULT_INVALID_NAME = 12
const RESULT_ACCESS_DENIED = 15
const RESULT_TIMEOUT = 16
const RESULT_BANNED = 17
const RESULT_ACCOUNT_NOT_FOUND = 18
const RESULT_INVALID_STEAMID = 19
const RESULT_SERVICE_UNAVAILABLE = 20
const RESULT_NOT_LOGGED_ON = 21
const RESULT_PENDING = 22
const RESULT_LIMIT_EXCEEDED = 25
const RESULT_IGNORED = 41
const RESULT_INVALID_STEAM_ID = 19

const MAX_UNRELIABLE_SIZE = 1200
const MAX_RELIABLE_SIZE = 1048576
const CONSUMED_REPORT_BYTES = 65536
const AGENT_START_TIMEOUT_MS = 15000
const CALL_TIMEOUT_MS = 30000  # silence from the agent while a call waits: it is declared gone
const INIT_TIMEOUT_MS = 60000  # steamInit waits for the login, which has its own timeout
const DEFAULT_APP_ID = 480
const _MAX_ARG_NESTING = 32  # Arrays/Dictionaries inside an argument; the agent decodes 64 levels
# Type names for error texts, indexed by typeof() (Godot 4.x type ids).
const _TYPE_NAMES = ["null", "bool", "int", "float", "String", "Vector2", "Vector2i", "Rect2", "Rect2i", "Vector3",
		"Vector3i", "Transform2D", "Vector4", "Vector4i", "Plane", "Quaternion", "AABB", "Basis", "Transform3D",
		"Projection", "Color", "StringName", "NodePath", "RID", "Object", "Callable", "Signal", "Dictionary", "Array",
		"PackedByteArray", "PackedInt32Array", "PackedInt64Array", "PackedFloat32Array", "PackedFloat64Array",
		"PackedStringArray", "PackedVector2Array", "PackedVector3Array", "PackedColorArray", "PackedVector4Array"]

var _link = null  # AgentLink while an agent runs
var _initialized := false
var _auto_callbacks := false  # run_callbacks() on every process_frame
var _dead_reported := false
var _warned := {}  # function name -> true: the one-time warnings already printed

# Received packets: channel -> {"a": Array of [steam_id, PackedByteArray], "h": index of the oldest}.
var _queues := {}
var _consumed := 0  # packet bytes read by the game so far (CONSUMED, §16.4)
var _consumed_reported := 0


func _ready() -> void:
	process_mode = Node.PROCESS_MODE_ALWAYS
	_set_auto_callbacks(_auto_callbacks or _setting("kettle/auto_run_callbacks", false) == true)


func _on_process_frame() -> void:
	if _initialized:
		run_callbacks()


func _notification(what: int) -> void:
	if what == NOTIFICATION_PREDELETE or what == NOTIFICATION_WM_CLOSE_REQUEST:
		_close_link()


func _exit_tree() -> void:
	_close_link()


# ---------------------------------------------------------------- init and identity

func steamInit(retrieve_stats = true, app_id = 0, embed_callbacks = false) -> Dictionary:
	return _init_common("steamInit", [retrieve_stats, app_id, embed_callbacks], RESULT_SERVICE_UNAVAILABLE, RESULT_OK)


func steamInitEx(retrieve_stats = true, app_id = 0, embed_callbacks = false) -> Dictionary:
	return _init_common("steamInitEx", [retrieve_stats, app_id, embed_callbacks], STEAM_API_INIT_RESULT_NO_STEAM_CLIENT, STEAM_API_INIT_RESULT_OK)


func steamShutdown() -> void:
	if _link != null and not _link.is_dead():
		_call("steamShutdown", [], null, INIT_TIMEOUT_MS)
	_close_link()


func run_callbacks() -> void:
	if not _initialized or _link == null:
		return
	_report_consumed()
	_call("run_callbacks", [], null)


func isSteamRunning() -> bool:
	return _initialized and _as_bool(_call("isSteamRunning", [], false))


func loggedOn() -> bool:
	return _initialized and _as_bool(_call("loggedOn", [], false))


func getSteamID() -> int:
	if not _initialized:
		return 0
	return _as_int(_call("getSteamID", [], 0))


func getPersonaName() -> String:
	return _c("getPersonaName", [], "")


func getFriendPersonaName(steam_id) -> String:
	return _c("getFriendPersonaName", [steam_id], "")


func setPersonaName(name) -> void:
	_c("setPersonaName", [name], null)


func requestUserInformation(steam_id, require_name_only = true) -> bool:
	return _c("requestUserInformation", [steam_id, require_name_only], false)


func getPersonaState() -> int:
	return _c("getPersonaState", [], 0)


func getFriendPersonaState(steam_id) -> int:
	return _c("getFriendPersonaState", [steam_id], 0)


func getAppID() -> int:
	return _c("getAppID", [], 0)


func isSubscribed() -> bool:
	return _c("isSubscribed", [], false)


func isSubscribedApp(app_id) -> bool:
	return _c("isSubscribedApp", [app_id], false)


# ---------------------------------------------------------------- P2P networking

func sendP2PPacket(remote_steam_id, data, send_type, channel = 0) -> bool:
	if not _require_init("sendP2PPacket"):
		return false
	var id = _int_arg(remote_steam_id)
	var type = _int_arg(send_type)
	var ch = _int_arg(channel)
	if typeof(data) == TYPE_ARRAY:
		data = PackedByteArray(data)
	if id == null or type == null or ch == null or typeof(data) != TYPE_PACKED_BYTE_ARRAY:
		push_error("Steam.sendP2PPacket: expects (remote_steam_id: int, data: PackedByteArray, send_type: int, channel: int = 0), got (%s)" % _type_names([remote_steam_id, data, send_type, channel]))
		return false
	# The agent's checks and texts (spec §2.6), made here because unreliable sends never wait
	# for the agent's answer and huge reliable ones should not travel to be refused.
	var why := ""
	var limit: int = MAX_UNRELIABLE_SIZE if type <= P2P_SEND_UNRELIABLE_NO_DELAY else MAX_RELIABLE_SIZE
	if not _is_user_id(id):
		why = "argument 1 (remote_steam_id) is not a user's Steam ID: %d" % id
	elif type < 0 or type > 3:
		why = "argument 3 (send_type) must be 0 to 3, got %d" % type
	elif ch < 0 or ch > 255:
		why = "argument 4 (channel) must be 0 to 255, got %d" % ch
	elif data.size() == 0:
		why = "argument 2 (data) is empty (packets are 1 byte or more)"
	elif data.size() > limit:
		why = "argument 2 (data) is %d bytes, more than send type %d allows (%d)" % [data.size(), type, limit]
	if why != "":
		push_error("Steam.sendP2PPacket: " + why)
		return false
	if type <= P2P_SEND_UNRELIABLE_NO_DELAY:
		# Fire and forget over UDP; the return value follows from the argument rules alone.
		return _link.send_udp(AgentLink.KIND_SEND, [id, data, type, ch])
	return _as_bool(_call("sendP2PPacket", [id, data, type, ch], false))


func getAvailableP2PPacketSize(channel = 0) -> int:
	if not _require_init("getAvailableP2PPacketSize"):
		return 0
	var ch = _channel_arg("getAvailableP2PPacketSize", 1, channel)
	if ch == null:
		return 0
	_pump()
	var q = _queues.get(ch)
	if q == null or q["h"] >= q["a"].size():
		return 0
	return q["a"][q["h"]][1].size()


func readP2PPacket(packet_size, channel = 0) -> Dictionary:
	if not _require_init("readP2PPacket"):
		return {}
	var size = _int_arg(packet_size)
	if size == null:
		push_error("Steam.readP2PPacket: argument 1 (packet_size) must be int, got %s" % _type_name(packet_size))
		return {}
	if size <= 0:
		push_error("Steam.readP2PPacket: argument 1 (packet_size) must be 1 or more, got %d" % size)
		return {}
	var ch = _channel_arg("readP2PPacket", 2, channel)
	if ch == null:
		return {}
	_pump()
	var q = _queues.get(ch)
	if q == null or q["h"] >= q["a"].size():
		return {}
	var item: Array = q["a"][q["h"]]
	q["a"][q["h"]] = null
	q["h"] += 1
	if q["h"] >= q["a"].size():
		q["a"] = []
		q["h"] = 0
	elif q["h"] >= 64 and q["h"] * 2 >= q["a"].size():
		q["a"] = q["a"].slice(q["h"])
		q["h"] = 0
	var data: PackedByteArray = item[1]
	_consumed += data.size()
	if _consumed - _consumed_reported >= CONSUMED_REPORT_BYTES:
		_report_consumed()
	if data.size() > size:
		data = data.slice(0, size)  # too small a buffer: the rest of the packet is gone
	var id: int = item[0]
	return {"data": data, "remote_steam_id": id, "steam_id_remote": id, "steamIDRemote": id}


func acceptP2PSessionWithUser(remote_steam_id) -> bool:
	return _c("acceptP2PSessionWithUser", [remote_steam_id], false)


func closeP2PSessionWithUser(remote_steam_id) -> bool:
	var ok: bool = _c("closeP2PSessionWithUser", [remote_steam_id], false)
	if ok:
		_drop_packets(_int_arg(remote_steam_id), -1)
	return ok


func closeP2PChannelWithUser(remote_steam_id, channel) -> bool:
	var ok: bool = _c("closeP2PChannelWithUser", [remote_steam_id, channel], false)
	if ok:
		_drop_packets(_int_arg(remote_steam_id), _int_arg(channel))
	return ok


func getP2PSessionState(remote_steam_id) -> Dictionary:
	return _c("getP2PSessionState", [remote_steam_id], {})


func allowP2PPacketRelay(allow) -> bool:
	return _c("allowP2PPacketRelay", [allow], false)


# ---------------------------------------------------------------- lobbies

func createLobby(lobby_type, max_members = 2) -> void:
	_c("createLobby", [lobby_type, max_members], null)


func joinLobby(steam_lobby_id) -> void:
	_c("joinLobby", [steam_lobby_id], null)


func leaveLobby(steam_lobby_id) -> void:
	_c("leaveLobby", [steam_lobby_id], null)


func inviteUserToLobby(steam_lobby_id, steam_id_invitee) -> bool:
	return _c("inviteUserToLobby", [steam_lobby_id, steam_id_invitee], false)


func getNumLobbyMembers(steam_lobby_id) -> int:
	return _c("getNumLobbyMembers", [steam_lobby_id], 0)


func getLobbyMemberByIndex(steam_lobby_id, member) -> int:
	return _as_int(_c("getLobbyMemberByIndex", [steam_lobby_id, member], 0))


func getLobbyOwner(steam_lobby_id) -> int:
	return _as_int(_c("getLobbyOwner", [steam_lobby_id], 0))


func setLobbyOwner(steam_lobby_id, steam_id_new_owner) -> bool:
	return _c("setLobbyOwner", [steam_lobby_id, steam_id_new_owner], false)


func getLobbyMemberLimit(steam_lobby_id) -> int:
	return _c("getLobbyMemberLimit", [steam_lobby_id], 0)


func setLobbyMemberLimit(steam_lobby_id, max_members) -> bool:
	return _c("setLobbyMemberLimit", [steam_lobby_id, max_members], false)


func setLobbyJoinable(steam_lobby_id, joinable) -> bool:
	return _c("setLobbyJoinable", [steam_lobby_id, joinable], false)


func setLobbyType(steam_lobby_id, lobby_type) -> bool:
	return _c("setLobbyType", [steam_lobby_id, lobby_type], false)


func setLobbyData(steam_lobby_id, key, value) -> bool:
	return _c("setLobbyData", [steam_lobby_id, key, value], false)


func getLobbyData(steam_lobby_id, key) -> String:
	return _c("getLobbyData", [steam_lobby_id, key], "")


func deleteLobbyData(steam_lobby_id, key) -> bool:
	return _c("deleteLobbyData", [steam_lobby_id, key], false)


func getAllLobbyData(steam_lobby_id) -> Dictionary:
	return _c("getAllLobbyData", [steam_lobby_id], {})


func getLobbyDataCount(steam_lobby_id) -> int:
	return _c("getLobbyDataCount", [steam_lobby_id], 0)


func getLobbyDataByIndex(steam_lobby_id, index) -> Dictionary:
	return _c("getLobbyDataByIndex", [steam_lobby_id, index], {})


func setLobbyMemberData(steam_lobby_id, key, value) -> void:
	_c("setLobbyMemberData", [steam_lobby_id, key, value], null)


func getLobbyMemberData(steam_lobby_id, steam_id_user, key) -> String:
	return _c("getLobbyMemberData", [steam_lobby_id, steam_id_user, key], "")


func requestLobbyData(steam_lobby_id) -> bool:
	return _c("requestLobbyData", [steam_lobby_id], false)


func sendLobbyChatMsg(steam_lobby_id, message_body) -> bool:
	return _c("sendLobbyChatMsg", [steam_lobby_id, message_body], false)


func requestLobbyList() -> void:
	_c("requestLobbyList", [], null)


func addRequestLobbyListStringFilter(key_to_match, value_to_match, comparison_type) -> void:
	_c("addRequestLobbyListStringFilter", [key_to_match, value_to_match, comparison_type], null)


func addRequestLobbyListNumericalFilter(key_to_match, value_to_match, comparison_type) -> void:
	_c("addRequestLobbyListNumericalFilter", [key_to_match, value_to_match, comparison_type], null)


func addRequestLobbyListNearValueFilter(key_to_match, value_to_be_close_to) -> void:
	_c("addRequestLobbyListNearValueFilter", [key_to_match, value_to_be_close_to], null)


func addRequestLobbyListFilterSlotsAvailable(slots_available) -> void:
	_c("addRequestLobbyListFilterSlotsAvailable", [slots_available], null)


func addRequestLobbyListDistanceFilter(distance_filter) -> void:
	_c("addRequestLobbyListDistanceFilter", [distance_filter], null)


func addRequestLobbyListResultCountFilter(max_results) -> void:
	_c("addRequestLobbyListResultCountFilter", [max_results], null)


# ---------------------------------------------------------------- no Kettle counterpart
# Overlay, stats and achievements: documented no-ops with GodotSteam's failure value and one
# warning each, so games that call them keep running.

func activateGameOverlay(_type = "") -> void:
	_stub("activateGameOverlay")


func activateGameOverlayToUser(_type, _steam_id) -> void:
	_stub("activateGameOverlayToUser")


func activateGameOverlayInviteDialog(_steam_lobby_id) -> void:
	_stub("activateGameOverlayInviteDialog")


func activateGameOverlayToWebPage(_url, _modal = false) -> void:
	_stub("activateGameOverlayToWebPage")


func activateGameOverlayToStore(_app_id = 0, _flag = 0) -> void:
	_stub("activateGameOverlayToStore")


func isOverlayEnabled() -> bool:
	_stub("isOverlayEnabled")
	return false


func requestCurrentStats() -> bool:
	_stub("requestCurrentStats")
	return false


func getAchievement(_achievement_name) -> Dictionary:
	_stub("getAchievement")
	return {"ret": false, "achieved": false}


func setAchievement(_achievement_name) -> bool:
	_stub("setAchievement")
	return false


func clearAchievement(_achievement_name) -> bool:
	_stub("clearAchievement")
	return false


func indicateAchievementProgress(_achievement_name, _current_progress, _max_progress) -> bool:
	_stub("indicateAchievementProgress")
	return false


func storeStats() -> bool:
	_stub("storeStats")
	return false


func getStatInt(_stat_name) -> int:
	_stub("getStatInt")
	return 0


func getStatFloat(_stat_name) -> float:
	_stub("getStatFloat")
	return 0.0


func setStatInt(_stat_name, _value) -> bool:
	_stub("setStatInt")
	return false


func setStatFloat(_stat_name, _value) -> bool:
	_stub("setStatFloat")
	return false


func getNumberOfCurrentPlayers() -> void:
	_stub("getNumberOfCurrentPlayers")


func getCurrentGameLanguage() -> String:
	_stub("getCurrentGameLanguage")
	return "english"


# ---------------------------------------------------------------- the link to the agent

func _init_common(name: String, args: Array, fail_status: int, ok_status: int) -> Dictionary:
	if _link == null or _link.is_dead():
		_close_link()
		var why := _start_agent()
		if why != "":
			push_error("Steam.%s: %s" % [name, why])
			return {"status": fail_status, "verbal": why}
	var r = _call(name, args, null, INIT_TIMEOUT_MS)
	if typeof(r) != TYPE_DICTIONARY or not r.has("status"):
		var why := "kettle-agent gave no answer to %s" % name
		return {"status": fail_status, "verbal": why}
	_initialized = int(r["status"]) == ok_status
	if _initialized and _as_bool(args[2]):
		_set_auto_callbacks(true)
	return r


func _start_agent() -> String:
	var path := _find_agent()
	if path == "":
		return "kettle-agent not found: set KETTLE_AGENT, put it in res://addons/kettle/bin/ (or next to the game's executable), or on PATH"
	var args := []
	var server := _config("KETTLE_SERVER", "kettle/server")
	args += ["--server", server if server != "" else "embedded"]
	var key := _config("KETTLE_SERVER_KEY", "kettle/server_key")
	if key != "":
		args += ["--server-key", key]
	var name := _config("KETTLE_NAME", "kettle/name")
	if name != "":
		args += ["--name", name]
	args += ["--app-id", str(_app_id())]
	# Extra flags for tests and diagnosis, e.g. "--log-level debug".
	for a in OS.get_environment("KETTLE_AGENT_ARGS").split(" ", false):
		args.append(a)
	_link = AgentLink.new()
	_dead_reported = false
	var why: String = _link.start(path, args, AGENT_START_TIMEOUT_MS)
	if why != "":
		_link.close()
		_link = null
	return why


func _find_agent() -> String:
	var env := OS.get_environment("KETTLE_AGENT")
	if env != "":
		return env if FileAccess.file_exists(env) else ""
	var candidates := [ProjectSettings.globalize_path("res://addons/kettle/bin/kettle-agent")]
	candidates.append(OS.get_executable_path().get_base_dir().path_join("kettle-agent"))
	for dir in OS.get_environment("PATH").split(":", false):
		candidates.append(dir.path_join("kettle-agent"))
	for c in candidates:
		if c.begins_with("/") and FileAccess.file_exists(c):
			return c
	return ""


# Environment first, then the project setting.
func _config(env: String, setting: String) -> String:
	var v := OS.get_environment(env)
	if v != "":
		return v
	var s = _setting(setting, "")
	return str(s) if s != null else ""


func _setting(name: String, default_value):
	return ProjectSettings.get_setting(name) if ProjectSettings.has_setting(name) else default_value


# What set_process() does in the 3.x script, on the SceneTree's process_frame (which runs while
# the game is paused, as PAUSE_MODE_PROCESS did). Before _ready only the wish is kept.
func _set_auto_callbacks(on: bool) -> void:
	_auto_callbacks = on
	if not is_inside_tree():
		return
	var frame: Signal = get_tree().process_frame
	if on and not frame.is_connected(_on_process_frame):
		frame.connect(_on_process_frame)
	elif not on and frame.is_connected(_on_process_frame):
		frame.disconnect(_on_process_frame)


func _app_id() -> int:
	var v := _config("KETTLE_APP_ID", "kettle/app_id")
	if v != "" and int(v) > 0:
		return int(v)
	for path in ["res://steam_appid.txt", OS.get_executable_path().get_base_dir().path_join("steam_appid.txt")]:
		var f: FileAccess = FileAccess.open(path, FileAccess.READ) if FileAccess.file_exists(path) else null
		if f != null:
			var id := int(f.get_as_text().strip_edges())
			f.close()
			if id > 0:
				return id
	return DEFAULT_APP_ID


func _close_link() -> void:
	if _link != null:
		_link.close()
	_link = null
	_initialized = false
	_queues.clear()


# A GodotSteam function that needs an initialised client: before steamInit it prints one error
# and returns `fail` without starting an agent.
# A result of another type than `fail` (a confused agent) also gives `fail`, so the declared
# return types always hold.
func _c(name: String, args: Array, fail):
	if not _require_init(name):
		return fail
	var r = _call(name, args, fail)
	if fail != null and typeof(r) != typeof(fail):
		return fail
	return r


func _require_init(name: String) -> bool:
	if _initialized and _link != null:
		return true
	if not _warned.has(name):
		_warned[name] = true
		push_error("Steam.%s: called before a successful steamInit()/steamInitEx(); returns its failure value" % name)
	return false


# Runs `name` in the agent and returns its result (`fail` if the agent is gone or gave null).
# While waiting for the REPLY it handles everything the agent sent before it, in order:
# packets are queued, callbacks emitted (their handlers may call back in here).
func _call(name: String, args: Array, fail, timeout_ms: int = CALL_TIMEOUT_MS):
	if _link == null:
		_report_dead()
		return fail
	# Arguments nested deeper than the agent decodes would make it drop the link as broken.
	for i in range(args.size()):
		if _nesting(args[i], _MAX_ARG_NESTING) > _MAX_ARG_NESTING:
			push_error("Steam.%s: argument %d is nested more than %d levels deep" % [name, i + 1, _MAX_ARG_NESTING])
			return fail
	if not _link.send_tcp(AgentLink.KIND_CALL, [name, args]):
		if not _link.is_dead():  # refused before sending (too large); the link is fine
			push_error("Steam.%s: %s" % [name, _link.refused()])
			return fail
		_report_dead()
		return fail
	while true:
		var m = _link.wait_message(timeout_ms)
		if m == null:
			if not _link.is_dead():
				_link.fail("kettle-agent did not answer %s within %d s" % [name, timeout_ms / 1000])
			_report_dead()
			return fail
		if int(m[0]) == AgentLink.KIND_REPLY:
			if m.size() >= 5 and typeof(m[4]) == TYPE_STRING and m[4] != "":
				push_error(m[4])
			return fail if m.size() < 4 or m[3] == null else m[3]
		_handle(m)
	return fail


# Packets the agent pushed since the last call (reads never wait for the agent).
func _pump() -> void:
	if _link == null:
		return
	while true:
		var m = _link.poll_message()
		if m == null:
			break
		if int(m[0]) == AgentLink.KIND_REPLY:
			push_error("Steam: kettle-agent sent a reply nobody waits for")
			continue
		_handle(m)
	if _link.is_dead():
		_report_dead()


func _handle(m: Array) -> void:
	match int(m[0]):
		AgentLink.KIND_PACKET:
			if m.size() >= 6 and typeof(m[5]) == TYPE_PACKED_BYTE_ARRAY:
				_queue_packet(int(m[3]), int(m[4]), m[5])
		AgentLink.KIND_CALLBACK:
			if m.size() >= 5 and typeof(m[3]) == TYPE_STRING and typeof(m[4]) == TYPE_ARRAY:
				var emit_args := [m[3]]
				emit_args += m[4]
				callv("emit_signal", emit_args)
			if _link != null:
				_link.send_tcp(AgentLink.KIND_CALLBACK_DONE, [])


func _queue_packet(steam_id: int, channel: int, data: PackedByteArray) -> void:
	if not _queues.has(channel):
		_queues[channel] = {"a": [], "h": 0}
	_queues[channel]["a"].append([steam_id, data])


# Drops unread packets from `steam_id` (on `channel`, or all channels for -1). They count as
# consumed: the agent no longer holds them against the flow-control window.
func _drop_packets(steam_id: int, channel: int) -> void:
	for ch in _queues.keys():
		if channel >= 0 and ch != channel:
			continue
		var q = _queues[ch]
		var kept := []
		for i in range(q["h"], q["a"].size()):
			var item = q["a"][i]
			if item[0] == steam_id:
				_consumed += item[1].size()
			else:
				kept.append(item)
		q["a"] = kept
		q["h"] = 0


func _report_consumed() -> void:
	if _link != null and not _link.is_dead():
		_link.send_udp(AgentLink.KIND_CONSUMED, [_consumed])
		_consumed_reported = _consumed


func _report_dead() -> void:
	if _dead_reported:
		return
	_dead_reported = true
	var why: String = _link.error() if _link != null else "not running"
	push_error("Steam: kettle-agent is gone (%s); Steam functions now return their failure values until steamInit() starts a new one" % why)
	_initialized = false


func _stub(name: String) -> void:
	if not _warned.has(name):
		_warned[name] = true
		push_warning("Steam.%s: Kettle has no counterpart (no overlay, stats or achievements); it does nothing and returns GodotSteam's failure value" % name)


# A channel argument (0-255, spec §2.3), or null after printing what is wrong with it.
static func _channel_arg(name: String, position: int, channel):
	var ch = _int_arg(channel)
	if ch == null:
		push_error("Steam.%s: argument %d (channel) must be int, got %s" % [name, position, _type_name(channel)])
	elif ch < 0 or ch > 255:
		push_error("Steam.%s: argument %d (channel) must be 0 to 255, got %d" % [name, position, ch])
		ch = null
	return ch


# How deep `v` nests Arrays and Dictionaries (0 for a plain value); stops counting past `limit`.
static func _nesting(v, limit: int) -> int:
	var t := typeof(v)
	if t != TYPE_ARRAY and t != TYPE_DICTIONARY:
		return 0
	if limit < 0:
		return 1
	var deepest := 0
	for e in (v if t == TYPE_ARRAY else v.keys() + v.values()):
		deepest = maxi(deepest, _nesting(e, limit - 1))
	return deepest + 1


static func _type_name(v) -> String:
	var t := typeof(v)
	if t == TYPE_FLOAT:
		return "float %s" % v
	return _TYPE_NAMES[t] if t < _TYPE_NAMES.size() else "type %d" % t


static func _type_names(values: Array) -> String:
	var names := PackedStringArray()
	for v in values:
		names.append(_type_name(v))
	return ", ".join(names)


# GodotSteam's native functions take ints; GDScript callers sometimes pass integral floats.
static func _int_arg(v):
	if typeof(v) == TYPE_INT:
		return v
	if typeof(v) == TYPE_FLOAT and v == floor(v):
		return int(v)
	return null


static func _as_bool(v) -> bool:
	return v if typeof(v) == TYPE_BOOL else (typeof(v) == TYPE_INT and v != 0)


static func _as_int(v) -> int:
	return v if typeof(v) == TYPE_INT else 0


# An individual account: universe 1, type 1, instance 1, account number not 0 (p2p-api.md §0.3).
static func _is_user_id(id: int) -> bool:
	return (id >> 32) == 0x01100001 and (id & 0xFFFFFFFF) != 0
