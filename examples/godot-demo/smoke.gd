# --headless-smoke: one whole game between two instances without a display, driven through the
# same functions the buttons call (tests/godot/engine/demo_smoke.sh runs it). Roles:
#   --headless-smoke --host NAME   hosts a public lobby named NAME, prints `LOBBY <id>`
#   --headless-smoke --join NAME   searches for it: first with a filter that matches nothing, then by
#                                  NAME (the lobby list's string filter), and joins the result
#   +connect_lobby ID --headless-smoke   joins ID from the command line, as Steam starts a game
# Once the game starts the guest also sends BAD_PACKETS to the host (garbage bytes, a compressed
# non-dictionary, an out-of-turn move with a non-int cell, an unknown message); the host must drop
# exactly those, each with a "Dropped ..." warning, and play on unharmed.
# Both players greet each other in lobby chat, the host (X) and the guest (O) play their fixed
# preference lists, which ends in X winning on the diagonal with the board EXPECTED_BOARD; both
# boards must agree. The host says "gg"; the guest then leaves the lobby and prints PASS; the
# host prints PASS once it saw the guest leave. Any problem the game reports, or no PASS within
# --smoke-timeout seconds (default 90), prints `FAIL <why>` and exits 1.
extends Node

const PREFERENCES = {"X": [4, 0, 8, 2, 6, 1, 3, 5, 7], "O": [1, 2, 3, 5, 6, 7, 0, 4, 8]}
const EXPECTED_BOARD = "XOO.X...X"
const BAD_PACKETS = 4

var main: Node
var role := "host"  # host or guest
var lobby_name := ""
var join_by_search := false
var deadline_ms := 0
var finished := false

var searches := 0  # lobby list answers seen
var bogus_filter := ""
var peer_name := ""
var greeted := false  # we sent our greeting
var peer_greeted := false  # the other player's greeting arrived
var gg_seen := false
var game_done := false
var verified := false
var peer_left := false
var dropped := 0  # host: the guest's bad packets that were dropped


func attach(game: Node, args: Array) -> void:
	main = game
	var timeout_s := 90
	for i in range(args.size()):
		var next: String = args[i + 1] if i + 1 < args.size() else ""
		match args[i]:
			"--host":
				role = "host"
				lobby_name = next
			"--join":
				role = "guest"
				lobby_name = next
				join_by_search = true
			"+connect_lobby":
				role = "guest"
			"--smoke-timeout":
				timeout_s = int(next)
	deadline_ms = OS.get_ticks_msec() + timeout_s * 1000
	if role == "host" and lobby_name == "":
		_finish(false, "--host needs a lobby name")
		return
	for s in ["identity_ready", "lobby_list_updated", "lobby_entered", "members_changed", "chat_received",
			"game_started", "board_changed", "game_over", "board_verified", "peer_left", "problem"]:
		main.connect(s, self, "_on_" + s)


func _process(_delta: float) -> void:
	if not finished and OS.get_ticks_msec() > deadline_ms:
		_finish(false, "timed out: %s" % _state())


func _state() -> String:
	return "role=%s lobby=%d members=%d searches=%d greeted=%s peer_greeted=%s game_done=%s verified=%s gg=%s peer_left=%s dropped=%d board=%s" % [
		role, main.lobby_id, main.lobby_members.size(), searches, greeted, peer_greeted, game_done,
		verified, gg_seen, peer_left, dropped, main.board.as_string()]


func _finish(ok: bool, why: String = "") -> void:
	if finished:
		return
	finished = true
	print("PASS" if ok else "FAIL %s: %s" % [role, why])
	get_tree().quit(0 if ok else 1)


func _on_identity_ready(ok: bool, why: String) -> void:
	if not ok:
		_finish(false, "steamInit failed: %s" % why)
		return
	print("STEAM_ID %d" % main.steam_id)
	if role == "host":
		main.call_deferred("host_lobby", lobby_name)
	elif join_by_search:
		bogus_filter = "no such lobby %d" % main.steam_id
		main.call_deferred("refresh_lobbies", bogus_filter)


func _on_lobby_list_updated(lobbies: Array) -> void:
	if role != "guest" or main.lobby_id != 0:
		return
	searches += 1
	if searches == 1:
		if not lobbies.empty():
			_finish(false, "the filter '%s' matched %s" % [bogus_filter, lobbies])
			return
		main.call_deferred("refresh_lobbies", lobby_name)
		return
	for entry in lobbies:
		if entry["name"] != lobby_name:
			_finish(false, "the name filter let through %s" % [entry])
			return
	if lobbies.empty():
		# The host's lobby is not listed yet: ask again (bounded by the deadline).
		get_tree().create_timer(0.25).connect("timeout", main, "refresh_lobbies", [lobby_name])
		return
	if lobbies[0]["members"] != 1:
		_finish(false, "the lobby has %d members before we join" % lobbies[0]["members"])
		return
	main.call_deferred("join_lobby", lobbies[0]["lobby_id"])


func _on_lobby_entered(lobby_id: int) -> void:
	if role == "host":
		print("LOBBY %d" % lobby_id)


func _on_members_changed(members: Array) -> void:
	if members.size() != 2 or greeted:
		return
	var names := []
	for m in members:
		if m["steam_name"] == "":
			_finish(false, "a member without a persona name: %s" % [members])
			return
		names.append(m["steam_name"])
	if not (main.steam_name in names):
		_finish(false, "we are not in our own member list: %s" % [members])
		return
	names.erase(main.steam_name)
	peer_name = names[0]
	greeted = true
	if role == "host":
		main.call_deferred("send_chat", "hello %s, you play O" % peer_name)


func _on_chat_received(sender_id: int, sender_name: String, text: String) -> void:
	if sender_id == main.steam_id:
		return
	if peer_name == "" or sender_name != peer_name:
		_finish(false, "chat from '%s' (expected '%s'): %s" % [sender_name, peer_name, text])
		return
	print("CHAT %s: %s" % [sender_name, text])
	if text == "gg":
		gg_seen = true
		_maybe_done()
	elif not peer_greeted:
		peer_greeted = true
		if role == "guest":
			main.call_deferred("send_chat", "hi %s, good luck" % peer_name)


func _on_game_started(mark: String) -> void:
	var expected := "X" if role == "host" else "O"
	if mark != expected:
		_finish(false, "we play %s, expected %s" % [mark, expected])
		return
	if role == "guest":
		_send_bad_packets()
	call_deferred("_play")


func _send_bad_packets() -> void:
	var host: int = main.opponent_id
	var packets := [
		PoolByteArray([1, 2, 3, 4, 5]),
		var2bytes([1, 2]).compress(File.COMPRESSION_GZIP),
		var2bytes({"message": "move", "game": main.game_id, "turn": 0, "cell": [1]}).compress(File.COMPRESSION_GZIP),
		var2bytes({"message": "teleport", "cell": 4}).compress(File.COMPRESSION_GZIP),
	]
	for p in packets:
		if not Steam.sendP2PPacket(host, p, Steam.P2P_SEND_RELIABLE, 0):
			_finish(false, "could not send a bad packet")
			return


func _on_board_changed() -> void:
	call_deferred("_play")


func _play() -> void:
	if not main.in_game or main.board.mark_to_move() != main.my_mark:
		return
	for cell in PREFERENCES[main.my_mark]:
		if main.board.can_play(cell):
			if not main.play_cell(cell):
				_finish(false, "play_cell(%d) refused on %s" % [cell, main.board.as_string()])
			return


func _on_game_over(winner: String, board: String) -> void:
	print("GAME_OVER %s %s" % [winner, board])
	if winner != "X" or board != EXPECTED_BOARD:
		_finish(false, "game ended %s with %s, expected X with %s" % [winner, board, EXPECTED_BOARD])
		return
	game_done = true


func _on_board_verified(ok: bool) -> void:
	if not ok:
		_finish(false, "the boards disagree")
		return
	verified = true
	print("BOARDS_AGREE")
	if role == "host":
		main.call_deferred("send_chat", "gg")
	_maybe_done()


func _on_peer_left(_steam_id: int) -> void:
	if role == "host":
		peer_left = true
		_maybe_done()


func _on_problem(text: String) -> void:
	if role == "host" and text.begins_with("Dropped") and dropped < BAD_PACKETS:
		dropped += 1
		print("DROPPED_BAD_PACKET %d" % dropped)
		_maybe_done()
		return
	_finish(false, text)


func _maybe_done() -> void:
	if not (game_done and verified and peer_greeted):
		return
	if role == "guest" and gg_seen:
		main.leave_lobby()
		_finish(true)
	elif role == "host" and peer_left:
		if dropped != BAD_PACKETS:
			_finish(false, "dropped %d of the guest's %d bad packets" % [dropped, BAD_PACKETS])
			return
		_finish(true)
