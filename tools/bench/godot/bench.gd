# kettle-bench --scenario godot-rtt, the Godot side (tools/bench/godot_rtt.cpp starts two of these).
# Each instance logs in through the `Steam` autoload (its own kettle-agent), prints
# `STEAM_ID <id>`, and the two meet through files in BENCH_DIR (Godot 3.2 cannot read stdin):
# each writes `<role>.id` and waits for the other's, then pre-accepts that peer's session.
# Then, busy-polling the GodotSteam read API (no frame waits):
#   echo  (BENCH_ROLE=echo) sends every 64-byte packet back as it came, until a reliable
#         4-byte `BYE!` arrives; prints `RESULT {"role":"echo","echoed":N}`.
#   ping  (BENCH_ROLE=ping) sends BENCH_WARMUP + BENCH_PINGS 64-byte unreliable packets
#         (P2P_SEND_UNRELIABLE, channel 0), one in flight, each timed with OS.get_ticks_usec()
#         from before sendP2PPacket to the matching echo being read; a round trip without an
#         answer in BENCH_PING_TIMEOUT_MS counts as lost. Prints
#         `RESULT {"role":"ping","samples_us":[...],"lost":L,...}` (warm-up excluded), sends
#         `BYE!` reliably and exits once the echo side wrote `echo.done` (quitting earlier
#         could log out before BYE! arrived).
# Anything that goes wrong prints `FAIL <why>` and exits 1; the run gives up after BENCH_TIMEOUT_S.
extends Node

const PAYLOAD_SIZE = 64
const BYE = "BYE!"

var role := ""
var peer := 0
var deadline_us := 0


func _ready() -> void:
	role = _env("BENCH_ROLE", "")
	deadline_us = OS.get_ticks_usec() + int(_env("BENCH_TIMEOUT_S", "60")) * 1000000
	if role != "ping" and role != "echo":
		_finish(false, "BENCH_ROLE must be ping or echo")
		return
	var init: Dictionary = Steam.steamInitEx()
	if init.get("status", -1) != Steam.STEAM_API_INIT_RESULT_OK:
		_finish(false, "steamInitEx failed: %s" % init)
		return
	print("STEAM_ID %d" % Steam.getSteamID())
	var dir := _env("BENCH_DIR", "")
	if dir == "" or not _write_file(dir.plus_file(role + ".id"), str(Steam.getSteamID())):
		_finish(false, "cannot write %s.id into BENCH_DIR '%s'" % [role, dir])
		return
	var other := dir.plus_file(("echo" if role == "ping" else "ping") + ".id")
	if not _wait_for_file(other):
		_finish(false, "the other instance wrote no %s in time" % other)
		return
	var f := File.new()
	if f.open(other, File.READ) != OK:
		_finish(false, "cannot read %s" % other)
		return
	peer = int(f.get_as_text().strip_edges())
	f.close()
	if not Steam.acceptP2PSessionWithUser(peer):
		_finish(false, "acceptP2PSessionWithUser(%d) refused" % peer)
		return
	if role == "echo":
		_echo()
	else:
		_ping()


func _echo() -> void:
	var echoed := 0
	while true:
		if Steam.getAvailableP2PPacketSize(0) > 0:
			var p: Dictionary = Steam.readP2PPacket(PAYLOAD_SIZE, 0)
			var data: PoolByteArray = p.get("data", PoolByteArray())
			if p.get("remote_steam_id", 0) != peer:
				continue
			if data.size() == PAYLOAD_SIZE:
				Steam.sendP2PPacket(peer, data, Steam.P2P_SEND_UNRELIABLE, 0)
				echoed += 1
			elif data.get_string_from_ascii() == BYE:
				print("RESULT {\"role\":\"echo\",\"echoed\":%d}" % echoed)
				_finish(_write_file(_env("BENCH_DIR", "").plus_file("echo.done"), "done"), "cannot write echo.done")
				return
		elif OS.get_ticks_usec() > deadline_us:
			_finish(false, "timed out after echoing %d packets" % echoed)
			return


func _ping() -> void:
	var pings := int(_env("BENCH_PINGS", "2000"))
	var warmup := int(_env("BENCH_WARMUP", "100"))
	var timeout_us := int(_env("BENCH_PING_TIMEOUT_MS", "200")) * 1000
	var samples := PoolIntArray()
	var send_us := PoolIntArray()  # time inside sendP2PPacket alone: the GDScript side of a send
	var lost := 0
	var warmup_lost := 0
	var verify_failures := 0
	var stale := 0
	var payload := PoolByteArray()
	payload.resize(PAYLOAD_SIZE)
	for seq in range(warmup + pings):
		if OS.get_ticks_usec() > deadline_us:
			_finish(false, "timed out after %d round trips" % seq)
			return
		# Bytes 0-3: the sequence number; the rest a pattern derived from it, checked on return.
		for k in range(PAYLOAD_SIZE):
			payload[k] = (seq >> (8 * k)) & 0xFF if k < 4 else (seq + k) & 0xFF
		var t0 := OS.get_ticks_usec()
		if not Steam.sendP2PPacket(peer, payload, Steam.P2P_SEND_UNRELIABLE, 0):
			_finish(false, "sendP2PPacket refused round trip %d" % seq)
			return
		if seq >= warmup:
			send_us.append(OS.get_ticks_usec() - t0)
		var answered := false
		while not answered:
			if Steam.getAvailableP2PPacketSize(0) > 0:
				var p: Dictionary = Steam.readP2PPacket(PAYLOAD_SIZE, 0)
				var t1 := OS.get_ticks_usec()
				var data: PoolByteArray = p.get("data", PoolByteArray())
				if data.size() < 4 or (data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24)) != seq:
					stale += 1  # the late echo of a round trip already counted as lost
					continue
				answered = true
				if p.get("remote_steam_id", 0) != peer or data != payload:
					verify_failures += 1
				elif seq >= warmup:
					samples.append(t1 - t0)
			elif OS.get_ticks_usec() - t0 > timeout_us:
				break
		if not answered:
			if seq < warmup:
				warmup_lost += 1
			else:
				lost += 1
	print("RESULT {\"role\":\"ping\",\"samples_us\":[%s],\"send_us\":[%s],\"lost\":%d,\"warmup_lost\":%d,\"stale\":%d,\"verify_failures\":%d}" % [
		_join(samples), _join(send_us), lost, warmup_lost, stale, verify_failures])
	if not Steam.sendP2PPacket(peer, BYE.to_ascii(), Steam.P2P_SEND_RELIABLE, 0):
		_finish(false, "the reliable BYE! was refused")
		return
	_finish(_wait_for_file(_env("BENCH_DIR", "").plus_file("echo.done")), "the echo side never confirmed BYE!")


# Written under another name and renamed, so the reader never sees a partial file.
func _write_file(path: String, text: String) -> bool:
	var f := File.new()
	if f.open(path + ".tmp", File.WRITE) != OK:
		return false
	f.store_string(text)
	f.close()
	return Directory.new().rename(path + ".tmp", path) == OK


# Polls for `path` until the run's deadline (the other instance may still be logging in).
func _wait_for_file(path: String) -> bool:
	var f := File.new()
	while not f.file_exists(path):
		if OS.get_ticks_usec() > deadline_us:
			return false
		OS.delay_msec(1)
	return true


func _join(values: PoolIntArray) -> String:
	var text := PoolStringArray()
	for v in values:
		text.append(str(v))
	return text.join(",")


func _env(name: String, default_value: String) -> String:
	var v := OS.get_environment(name)
	return v if v != "" else default_value


func _finish(ok: bool, why: String = "") -> void:
	if not ok:
		print("FAIL %s: %s" % [role, why])
	get_tree().quit(0 if ok else 1)
