# Kettle demo: a lobby screen and a tic-tac-toe board played over P2P, written the way the
# GodotSteam lobby and networking tutorials write it (handshake, send to all lobby members,
# read_all_p2p_packets with PACKET_READ_LIMIT, session requests accepted only from lobby members,
# p2p_session_connect_fail, +connect_lobby). Only GodotSteam functions are called, so the same
# script runs on GodotSteam unchanged.
#
# The lobby owner plays X and starts each game once the other player's handshake has arrived.
# Every move is a reliable packet; the receiver checks it (right player, right turn, free cell)
# before applying it.
#
# The signals below exist for smoke.gd, which plays a whole game without a display when the game
# is started with --headless-smoke (see README.md).
extends Control

signal identity_ready(ok, why)
signal lobby_list_updated(lobbies)  # Array of {"lobby_id", "name", "members"}
signal lobby_entered(lobby_id)
signal members_changed(members)  # lobby_members
signal chat_received(sender_id, sender_name, text)
signal game_started(my_mark)
signal board_changed
signal game_over(winner, board)
signal board_verified(ok)
signal peer_left(steam_id)
signal problem(text)  # anything the player should see: a refused join, a bad packet, a lost peer

const Board = preload("res://board.gd")
const Smoke = preload("res://smoke.gd")

const PACKET_READ_LIMIT = 32
const LOBBY_MODE = "kettle-demo"  # lobby data "mode": the lobby list shows only this game's lobbies
const DECOMPRESS_LIMIT = 65536  # Godot 3.2 has no decompress_dynamic: a fixed buffer, larger than any packet here

var steam_id := 0
var steam_name := ""
var lobby_id := 0
var lobby_members := []  # [{"steam_id": int, "steam_name": String}] as in the lobby tutorial
var pending_lobby_name := ""
var handshakes := {}  # steam_id -> true: members whose handshake arrived

var board = Board.new()
var game_id := 0
var in_game := false
var my_mark := ""
var opponent_id := 0
var my_result := {}
var peer_result := {}

onready var lobby_screen: Control = $Lobby
onready var identity_label: Label = $Lobby/Identity
onready var lobby_name_edit: LineEdit = $Lobby/HostRow/LobbyName
onready var filter_edit: LineEdit = $Lobby/SearchRow/Filter
onready var lobby_list: ItemList = $Lobby/Lobbies
onready var lobby_status: Label = $Lobby/Status
onready var room_screen: Control = $Room
onready var room_title: Label = $Room/Side/Title
onready var member_list: ItemList = $Room/Side/Members
onready var chat_log: RichTextLabel = $Room/Side/Chat
onready var chat_edit: LineEdit = $Room/Side/ChatRow/Message
onready var game_status: Label = $Room/Game/Status
onready var board_grid: GridContainer = $Room/Game/Board
onready var new_game_button: Button = $Room/Game/NewGame


func _ready() -> void:
	Steam.connect("lobby_created", self, "_on_lobby_created")
	Steam.connect("lobby_joined", self, "_on_lobby_joined")
	Steam.connect("lobby_match_list", self, "_on_lobby_match_list")
	Steam.connect("lobby_chat_update", self, "_on_lobby_chat_update")
	Steam.connect("lobby_message", self, "_on_lobby_message")
	Steam.connect("p2p_session_request", self, "_on_p2p_session_request")
	Steam.connect("p2p_session_connect_fail", self, "_on_p2p_session_connect_fail")
	_build_board_buttons()
	$Lobby/HostRow/Host.connect("pressed", self, "_on_host_pressed")
	$Lobby/SearchRow/Refresh.connect("pressed", self, "_on_refresh_pressed")
	$Lobby/Join.connect("pressed", self, "_on_join_pressed")
	lobby_list.connect("item_activated", self, "_on_lobby_activated")
	$Room/Side/ChatRow/Send.connect("pressed", self, "_on_send_pressed")
	chat_edit.connect("text_entered", self, "_on_chat_entered")
	$Room/Side/Leave.connect("pressed", self, "leave_lobby")
	new_game_button.connect("pressed", self, "start_new_game")
	_show_lobby_screen()

	if "--headless-smoke" in OS.get_cmdline_args():
		var smoke = Smoke.new()
		smoke.name = "Smoke"
		add_child(smoke)
		smoke.attach(self, OS.get_cmdline_args())

	var init: Dictionary = Steam.steamInit()
	print("Did Steam initialize?: %s" % init)
	if init["status"] != 1:
		_problem("Could not start networking: %s" % init["verbal"])
		identity_label.text = "Not connected: %s" % init["verbal"]
		emit_signal("identity_ready", false, str(init["verbal"]))
		return
	steam_id = Steam.getSteamID()
	steam_name = Steam.getPersonaName()
	identity_label.text = "You are %s (%d)" % [steam_name, steam_id]
	lobby_name_edit.text = "%s's game" % steam_name
	emit_signal("identity_ready", true, "")
	check_command_line()


func _process(_delta: float) -> void:
	Steam.run_callbacks()
	if lobby_id > 0:
		read_all_p2p_packets()


# ---------------------------------------------------------------- lobby screen

func _on_host_pressed() -> void:
	host_lobby(lobby_name_edit.text.strip_edges())


func _on_refresh_pressed() -> void:
	refresh_lobbies(filter_edit.text.strip_edges())


func _on_join_pressed() -> void:
	var selected := lobby_list.get_selected_items()
	if selected.empty():
		_problem("Pick a lobby first")
		return
	join_lobby(lobby_list.get_item_metadata(selected[0]))


func _on_lobby_activated(index: int) -> void:
	join_lobby(lobby_list.get_item_metadata(index))


func host_lobby(lobby_name: String) -> void:
	if lobby_name == "":
		_problem("Give the lobby a name")
		return
	if lobby_id == 0:
		pending_lobby_name = lobby_name
		lobby_status.text = "Creating lobby..."
		Steam.createLobby(Steam.LOBBY_TYPE_PUBLIC, 2)


# Lists this game's public lobbies; with a filter, only those whose name is exactly `name_filter`.
func refresh_lobbies(name_filter: String) -> void:
	lobby_status.text = "Searching..."
	Steam.addRequestLobbyListDistanceFilter(Steam.LOBBY_DISTANCE_FILTER_WORLDWIDE)
	Steam.addRequestLobbyListStringFilter("mode", LOBBY_MODE, Steam.LOBBY_COMPARISON_EQUAL)
	if name_filter != "":
		Steam.addRequestLobbyListStringFilter("name", name_filter, Steam.LOBBY_COMPARISON_EQUAL)
	Steam.requestLobbyList()


func _on_lobby_match_list(these_lobbies: Array) -> void:
	lobby_list.clear()
	var found := []
	for this_lobby in these_lobbies:
		var entry := {
			"lobby_id": this_lobby,
			"name": Steam.getLobbyData(this_lobby, "name"),
			"members": Steam.getNumLobbyMembers(this_lobby),
		}
		found.append(entry)
		lobby_list.add_item("%s  (%d/2)" % [entry["name"], entry["members"]])
		lobby_list.set_item_metadata(lobby_list.get_item_count() - 1, this_lobby)
	lobby_status.text = "%d lobbies" % found.size()
	emit_signal("lobby_list_updated", found)


func _on_lobby_created(connect: int, this_lobby_id: int) -> void:
	if connect != 1:
		_problem("Could not create the lobby (result %d)" % connect)
		return
	lobby_id = this_lobby_id
	print("Created a lobby: %s" % lobby_id)
	Steam.setLobbyJoinable(lobby_id, true)
	Steam.setLobbyData(lobby_id, "name", pending_lobby_name)
	Steam.setLobbyData(lobby_id, "mode", LOBBY_MODE)
	# Relay when no direct path exists (Kettle's server relay; Steam's relays on Steam)
	Steam.allowP2PPacketRelay(true)


func check_command_line() -> void:
	var these_arguments: Array = OS.get_cmdline_args()
	# Steam (and Kettle's launchers) start the game with +connect_lobby <id> to join a lobby
	if these_arguments.size() > 1 and these_arguments[0] == "+connect_lobby" and int(these_arguments[1]) > 0:
		print("Command line lobby ID: %s" % these_arguments[1])
		join_lobby(int(these_arguments[1]))


func join_lobby(this_lobby_id: int) -> void:
	if lobby_id != 0:
		return
	lobby_status.text = "Joining lobby %d..." % this_lobby_id
	lobby_members.clear()
	Steam.joinLobby(this_lobby_id)


func _on_lobby_joined(this_lobby_id: int, _permissions: int, _locked: bool, response: int) -> void:
	if response != Steam.CHAT_ROOM_ENTER_RESPONSE_SUCCESS:
		var why: String = {
			Steam.CHAT_ROOM_ENTER_RESPONSE_DOESNT_EXIST: "this lobby no longer exists",
			Steam.CHAT_ROOM_ENTER_RESPONSE_NOT_ALLOWED: "you don't have permission to join",
			Steam.CHAT_ROOM_ENTER_RESPONSE_FULL: "the lobby is full",
			Steam.CHAT_ROOM_ENTER_RESPONSE_BANNED: "you are banned from this lobby",
			Steam.CHAT_ROOM_ENTER_RESPONSE_LIMITED: "limited users cannot join",
		}.get(response, "unexpected response %d" % response)
		_problem("Failed to join the lobby: %s" % why)
		lobby_status.text = "Could not join: %s" % why
		return
	lobby_id = this_lobby_id
	handshakes.clear()
	get_lobby_members()
	_show_room_screen()
	make_p2p_handshake()
	emit_signal("lobby_entered", lobby_id)
	_maybe_start_game()


func get_lobby_members() -> void:
	lobby_members.clear()
	var num_members: int = Steam.getNumLobbyMembers(lobby_id)
	for this_member in range(num_members):
		var member_steam_id: int = Steam.getLobbyMemberByIndex(lobby_id, this_member)
		var member_steam_name: String = Steam.getFriendPersonaName(member_steam_id)
		lobby_members.append({"steam_id": member_steam_id, "steam_name": member_steam_name})
	_refresh_member_list()
	emit_signal("members_changed", lobby_members)


func _is_member(this_steam_id: int) -> bool:
	for this_member in lobby_members:
		if this_member["steam_id"] == this_steam_id:
			return true
	return false


func _on_lobby_chat_update(this_lobby_id: int, change_id: int, _making_change_id: int, chat_state: int) -> void:
	if this_lobby_id != lobby_id:
		return
	var changer_name: String = Steam.getFriendPersonaName(change_id)
	if chat_state == Steam.CHAT_MEMBER_STATE_CHANGE_ENTERED:
		_chat_line("* %s joined the lobby" % changer_name)
	elif chat_state == Steam.CHAT_MEMBER_STATE_CHANGE_LEFT:
		_chat_line("* %s left the lobby" % changer_name)
	elif chat_state == Steam.CHAT_MEMBER_STATE_CHANGE_DISCONNECTED:
		_chat_line("* %s disconnected" % changer_name)
	elif chat_state == Steam.CHAT_MEMBER_STATE_CHANGE_KICKED:
		_chat_line("* %s was kicked" % changer_name)
	elif chat_state == Steam.CHAT_MEMBER_STATE_CHANGE_BANNED:
		_chat_line("* %s was banned" % changer_name)
	get_lobby_members()
	if chat_state != Steam.CHAT_MEMBER_STATE_CHANGE_ENTERED:
		handshakes.erase(change_id)
		if change_id == opponent_id and in_game:
			_end_game("%s left: game over" % changer_name)
		emit_signal("peer_left", change_id)
	_update_board()


func leave_lobby() -> void:
	if lobby_id == 0:
		return
	Steam.leaveLobby(lobby_id)
	lobby_id = 0
	for this_member in lobby_members:
		if this_member["steam_id"] != steam_id:
			Steam.closeP2PSessionWithUser(this_member["steam_id"])
	lobby_members.clear()
	handshakes.clear()
	in_game = false
	opponent_id = 0
	game_id = 0
	board.reset()
	my_result = {}
	peer_result = {}
	_show_lobby_screen()


# ---------------------------------------------------------------- lobby chat

func _on_send_pressed() -> void:
	_on_chat_entered(chat_edit.text)


func _on_chat_entered(text: String) -> void:
	if send_chat(text.strip_edges()):
		chat_edit.clear()


func send_chat(text: String) -> bool:
	if lobby_id == 0 or text == "":
		return false
	if not Steam.sendLobbyChatMsg(lobby_id, text):
		_problem("The chat message was not sent")
		return false
	return true


func _on_lobby_message(this_lobby_id: int, user: int, message: String, _chat_type: int) -> void:
	if this_lobby_id != lobby_id:
		return
	var sender_name: String = Steam.getFriendPersonaName(user)
	_chat_line("%s: %s" % [sender_name, message])
	emit_signal("chat_received", user, sender_name, message)


# ---------------------------------------------------------------- P2P (the networking tutorial)

func make_p2p_handshake() -> void:
	print("Sending P2P handshake to the lobby")
	send_p2p_packet(0, {"message": "handshake", "from": steam_id})


func send_p2p_packet(target: int, packet_data: Dictionary) -> void:
	var send_type: int = Steam.P2P_SEND_RELIABLE
	var channel: int = 0
	var this_data: PoolByteArray
	var compressed_data: PoolByteArray = var2bytes(packet_data).compress(File.COMPRESSION_GZIP)
	this_data.append_array(compressed_data)
	if target == 0:
		if lobby_members.size() > 1:
			for this_member in lobby_members:
				if this_member["steam_id"] != steam_id:
					if not Steam.sendP2PPacket(this_member["steam_id"], this_data, send_type, channel):
						_problem("Could not send to %s" % this_member["steam_name"])
	elif not Steam.sendP2PPacket(target, this_data, send_type, channel):
		_problem("Could not send to %s" % Steam.getFriendPersonaName(target))


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
		if this_packet.empty() or this_packet == null:
			print("WARNING: read an empty packet with non-zero size!")
			return
		var packet_sender: int = this_packet["remote_steam_id"]
		var packet_code: PoolByteArray = this_packet["data"]
		# Untrusted bytes: anything that is not a compressed dictionary is dropped, never trusted.
		var raw: PoolByteArray = packet_code.decompress(DECOMPRESS_LIMIT, File.COMPRESSION_GZIP)
		var readable_data = bytes2var(raw) if raw.size() > 0 else null
		if typeof(readable_data) != TYPE_DICTIONARY:
			_problem("Dropped a packet from %d that is not a compressed dictionary" % packet_sender)
			return
		print("Packet from %d: %s" % [packet_sender, readable_data])
		_on_packet(packet_sender, readable_data)


func _on_p2p_session_request(remote_id: int) -> void:
	var this_requester: String = Steam.getFriendPersonaName(remote_id)
	# Only players in our lobby may open a session; everyone else is ignored (the request
	# expires and the sender gets p2p_session_connect_fail).
	if not _is_member(remote_id):
		print("Ignoring a P2P session request from %s (%d): not in the lobby" % [this_requester, remote_id])
		return
	print("%s is requesting a P2P session" % this_requester)
	Steam.acceptP2PSessionWithUser(remote_id)
	make_p2p_handshake()


func _on_p2p_session_connect_fail(this_steam_id: int, session_error: int) -> void:
	var why: String
	if session_error == 0:
		why = "no error given"
	elif session_error == 1:
		why = "target user not running the same game"
	elif session_error == 2:
		why = "local user doesn't own app / game"
	elif session_error == 3:
		why = "target user isn't connected to Steam"
	elif session_error == 4:
		why = "connection timed out"
	elif session_error == 5:
		why = "unused"
	else:
		why = "unknown error %s" % session_error
	print("WARNING: Session failure with %s: %s" % [this_steam_id, why])
	if this_steam_id == opponent_id and in_game:
		_end_game("Lost the connection to %s (%s)" % [Steam.getFriendPersonaName(this_steam_id), why])
	_problem("Session failure with %s: %s" % [Steam.getFriendPersonaName(this_steam_id), why])


# ---------------------------------------------------------------- the game

func _on_packet(sender: int, data: Dictionary) -> void:
	if not _is_member(sender):
		_problem("Dropped a packet from %d, who is not in the lobby" % sender)
		return
	match str(data.get("message", "")):
		"handshake":
			handshakes[sender] = true
			_maybe_start_game()
		"start":
			_on_start(sender, data)
		"move":
			_on_move(sender, data)
		"result":
			if _field_int(data, "game") == game_id and sender == opponent_id:
				peer_result = data
				_check_results()
		_:
			_problem("Dropped an unknown message from %d: %s" % [sender, data])


# A field of a received dictionary as an int, or -1 when it is missing or not an int (a peer's
# packet is untrusted: int() on an Array would stop the script).
func _field_int(data: Dictionary, key: String) -> int:
	var v = data.get(key)
	return v if typeof(v) == TYPE_INT else -1


func _other_member() -> int:
	for this_member in lobby_members:
		if this_member["steam_id"] != steam_id:
			return this_member["steam_id"]
	return 0


# The owner starts a game as soon as a new opponent has hand-shaken; a rematch against the same
# player starts with the "New game" button.
func _maybe_start_game() -> void:
	if not in_game and _other_member() != opponent_id:
		start_new_game()


func start_new_game() -> void:
	var other := _other_member()
	if in_game or lobby_id == 0 or Steam.getLobbyOwner(lobby_id) != steam_id:
		return
	if lobby_members.size() != 2 or not handshakes.has(other):
		return
	game_id += 1
	send_p2p_packet(other, {"message": "start", "game": game_id, "x": steam_id, "o": other})
	_begin_game(other, "X")


func _on_start(sender: int, data: Dictionary) -> void:
	if sender != Steam.getLobbyOwner(lobby_id) or _field_int(data, "o") != steam_id or _field_int(data, "x") != sender or _field_int(data, "game") <= 0:
		_problem("Dropped a bad start message from %d: %s" % [sender, data])
		return
	game_id = _field_int(data, "game")
	_begin_game(sender, "O")


func _begin_game(other: int, mark: String) -> void:
	board.reset()
	in_game = true
	my_mark = mark
	opponent_id = other
	my_result = {}
	peer_result = {}
	print("Game %d against %s: you play %s" % [game_id, Steam.getFriendPersonaName(other), mark])
	_update_board()
	emit_signal("game_started", mark)


func play_cell(cell: int) -> bool:
	if not in_game or board.mark_to_move() != my_mark or not board.can_play(cell):
		return false
	var this_turn: int = board.turn
	board.play(cell)
	send_p2p_packet(opponent_id, {"message": "move", "game": game_id, "turn": this_turn, "cell": cell})
	_after_move()
	return true


func _on_move(sender: int, data: Dictionary) -> void:
	var cell := _field_int(data, "cell")
	var ok: bool = in_game and sender == opponent_id and _field_int(data, "game") == game_id
	ok = ok and _field_int(data, "turn") == board.turn and board.mark_to_move() != my_mark
	if not ok or not board.play(cell):
		_problem("Dropped an out-of-turn or invalid move from %d: %s" % [sender, data])
		return
	_after_move()


func _after_move() -> void:
	_update_board()
	emit_signal("board_changed")
	var result: String = board.winner()
	if result == "":
		return
	in_game = false
	my_result = {"message": "result", "game": game_id, "board": board.as_string(), "winner": result}
	send_p2p_packet(opponent_id, my_result)
	_update_board()
	emit_signal("game_over", result, board.as_string())
	_check_results()


# Both players send their final board; a difference means the two copies drifted apart.
func _check_results() -> void:
	if my_result.empty() or peer_result.empty():
		return
	var ok: bool = str(peer_result.get("board")) == my_result["board"] and str(peer_result.get("winner")) == my_result["winner"]
	if ok:
		game_status.text += "  (both boards agree)"
	else:
		_problem("The boards disagree: mine %s, theirs %s" % [my_result, peer_result])
	emit_signal("board_verified", ok)


func _end_game(why: String) -> void:
	in_game = false
	game_status.text = why
	_update_board()


# ---------------------------------------------------------------- UI

func _build_board_buttons() -> void:
	for i in range(9):
		var b := Button.new()
		b.rect_min_size = Vector2(72, 72)
		b.connect("pressed", self, "play_cell", [i])
		board_grid.add_child(b)


func _update_board() -> void:
	var my_turn: bool = in_game and board.mark_to_move() == my_mark
	for i in range(9):
		var b: Button = board_grid.get_child(i)
		var mark: String = board.cells[i]
		b.text = "" if mark == Board.EMPTY else mark
		b.disabled = not my_turn or mark != Board.EMPTY
	var result: String = board.winner()
	if in_game:
		game_status.text = "Your turn (%s)" % my_mark if my_turn else "Waiting for %s" % Steam.getFriendPersonaName(opponent_id)
	elif result == "draw":
		game_status.text = "Draw"
	elif result != "":
		game_status.text = "You win!" if result == my_mark else "You lose"
	elif lobby_members.size() < 2:
		game_status.text = "Waiting for a second player..."
	var owner: bool = lobby_id != 0 and Steam.getLobbyOwner(lobby_id) == steam_id
	new_game_button.disabled = in_game or not owner or lobby_members.size() != 2


func _refresh_member_list() -> void:
	member_list.clear()
	var owner: int = Steam.getLobbyOwner(lobby_id) if lobby_id != 0 else 0
	for this_member in lobby_members:
		var label: String = this_member["steam_name"]
		if this_member["steam_id"] == owner:
			label += " (host)"
		if this_member["steam_id"] == steam_id:
			label += " (you)"
		member_list.add_item(label)


func _chat_line(text: String) -> void:
	chat_log.add_text(text + "\n")


func _show_lobby_screen() -> void:
	room_screen.visible = false
	lobby_screen.visible = true
	lobby_status.text = ""


func _show_room_screen() -> void:
	lobby_screen.visible = false
	room_screen.visible = true
	room_title.text = "%s  (lobby %d)" % [Steam.getLobbyData(lobby_id, "name"), lobby_id]
	chat_log.clear()
	_update_board()


func _problem(text: String) -> void:
	print("WARNING: %s" % text)
	if lobby_id != 0:
		_chat_line("! %s" % text)
	else:
		lobby_status.text = text
	emit_signal("problem", text)
