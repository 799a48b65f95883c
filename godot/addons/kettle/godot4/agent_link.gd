# The game's end of the link to kettle-agent (docs/protocol.md §16), Godot 4.x: starting the
# agent, the token hello, length-prefixed TCP frames and tagged UDP datagrams, and handing the
# agent's messages over strictly in its `seq` order. Steam.gd decides what the messages mean.
#
# Mirrors ../agent_link.gd (Godot 3.x) function by function, in the same order; only engine APIs
# differ (RefCounted, PackedByteArray, var_to_bytes, FileAccess/DirAccess, OS.create_process,
# Time, StreamPeerTCP.poll(), slice() with an exclusive end) and the hello's dialect byte (4).
# tests/godot/godot4_check.py keeps the two in step.
extends RefCounted

# Message kinds (protocol.md §16.3). Game -> agent:
const KIND_CALL = 1
const KIND_SEND = 2
const KIND_CALLBACK_DONE = 3
const KIND_HELLO = 4
const KIND_CONSUMED = 5
# Agent -> game:
const KIND_REPLY = 1
const KIND_PACKET = 2
const KIND_CALLBACK = 3
const KIND_WELCOME = 4

const PROTOCOL_VERSION = 1
const DIALECT = 4  # Godot 4.x Variant type ids
const TAG_SIZE = 16
const MAX_TCP_FRAME = 2 * 1024 * 1024 + 4 * 1024
const MAX_DATAGRAM = 1400

var _tcp: StreamPeerTCP = null
var _udp: PacketPeerUDP = null
var _tag := PackedByteArray()
var _error := ""  # non-empty once the link is unusable: why
var _pid := -1
var _refused := ""

# Outgoing bookkeeping: every message gets the next seq; tcp_before counts TCP messages sent.
var _send_seq := 0
var _tcp_sent := 0

# Incoming: frames are parsed from _tcp_buf; messages wait in _pending (seq -> message) until
# every earlier seq was handled or is known to be a lost datagram (§16.2).
var _tcp_buf := PackedByteArray()
var _next_seq := 0
var _tcp_received := 0
var _pending := {}


func is_dead() -> bool:
	return _error != ""


func error() -> String:
	return _error


func pid() -> int:
	return _pid


# Why the last send_tcp refused a message without sending it.
func refused() -> String:
	return _refused


# Starts the agent at `agent_path` with `args` (the handshake file is added here), waits for
# its handshake file, connects and authenticates. Returns "" or why it failed.
func start(agent_path: String, args: Array, timeout_ms: int) -> String:
	var dir := OS.get_user_data_dir()
	if not DirAccess.dir_exists_absolute(dir):
		DirAccess.make_dir_recursive_absolute(dir)
	var handshake := "%s/kettle-agent-%s.handshake" % [dir, Crypto.new().generate_random_bytes(12).hex_encode()]
	var full_args := PackedStringArray(["--handshake-file", handshake, "--dialect", str(DIALECT)])
	for a in args:
		full_args.append(str(a))
	_pid = OS.create_process(agent_path, full_args)
	if _pid <= 0:
		return _fail("could not start %s" % agent_path)

	var deadline := Time.get_ticks_msec() + timeout_ms
	while not FileAccess.file_exists(handshake):
		if Time.get_ticks_msec() > deadline:
			return _fail("%s (pid %d) wrote no handshake file within %d s" % [agent_path, _pid, timeout_ms / 1000])
		OS.delay_msec(2)
	var f := FileAccess.open(handshake, FileAccess.READ)
	if f == null:
		return _fail("cannot read the handshake file %s" % handshake)
	var line := f.get_as_text().strip_edges()
	f.close()
	DirAccess.remove_absolute(handshake)

	var words := line.split(" ", false)
	if words.size() != 5 or words[0] != "kettle-agent" or words[1] != str(PROTOCOL_VERSION):
		return _fail("unexpected handshake file content from kettle-agent (version mismatch?)")
	var tcp_port := int(words[2])
	var udp_port := int(words[3])
	var token := _hex_decode(words[4])
	if tcp_port <= 0 or udp_port <= 0 or token.size() != 32:
		return _fail("malformed handshake file from kettle-agent")

	_tcp = StreamPeerTCP.new()
	if _tcp.connect_to_host("127.0.0.1", tcp_port) != OK:
		return _fail("cannot connect to kettle-agent on 127.0.0.1:%d" % tcp_port)
	# Godot 4 updates the status only in poll().
	_tcp.poll()
	while _tcp.get_status() == StreamPeerTCP.STATUS_CONNECTING:
		if Time.get_ticks_msec() > deadline:
			return _fail("kettle-agent did not accept the connection in time")
		OS.delay_msec(1)
		_tcp.poll()
	if _tcp.get_status() != StreamPeerTCP.STATUS_CONNECTED:
		return _fail("cannot connect to kettle-agent on 127.0.0.1:%d" % tcp_port)
	_tcp.set_no_delay(true)

	var hello := "KTLA".to_ascii_buffer()
	hello.append_array(PackedByteArray([PROTOCOL_VERSION, DIALECT, 0, 0]))
	hello.append_array(token)
	if _tcp.put_data(hello) != OK:
		return _fail("kettle-agent closed the connection during the hello")

	var welcome = wait_message(deadline - Time.get_ticks_msec())
	if welcome == null:
		return _fail(_error if _error != "" else "kettle-agent sent no WELCOME")
	if int(welcome[0]) != KIND_WELCOME or welcome.size() < 5 or typeof(welcome[3]) != TYPE_PACKED_BYTE_ARRAY or welcome[3].size() != TAG_SIZE:
		return _fail("kettle-agent's first message is not a WELCOME")
	_tag = welcome[3]

	_udp = PacketPeerUDP.new()
	if _udp.connect_to_host("127.0.0.1", udp_port) != OK:
		return _fail("cannot open the UDP socket to kettle-agent")
	send_udp(KIND_HELLO, [])
	return ""


# Closing TCP is the agent's signal to log out and exit (§16.1.5).
func close() -> void:
	if _tcp != null:
		_tcp.disconnect_from_host()
	if _udp != null:
		_udp.close()
	_tcp = null
	_udp = null
	if _error == "":
		_error = "closed"


# False with the link still alive (is_dead() false) when the message is larger than the agent
# takes: nothing was sent (refused() says why). False on a dead link otherwise.
func send_tcp(kind: int, payload: Array) -> bool:
	if is_dead():
		return false
	var msg := [kind, _send_seq, _tcp_sent]
	msg += payload
	# What StreamPeer.put_var writes (u32 length, then the Variant), built here as in the 3.x
	# script (whose put_var reports no error).
	var body := var_to_bytes(msg)
	if body.size() > MAX_TCP_FRAME:
		# The agent would drop the whole link over such a frame.
		_refused = "the arguments take %d bytes, more than kettle-agent accepts in one call (%d)" % [body.size(), MAX_TCP_FRAME]
		return false
	_send_seq += 1
	_tcp_sent += 1
	var frame := PackedByteArray([body.size() & 0xFF, (body.size() >> 8) & 0xFF, (body.size() >> 16) & 0xFF, (body.size() >> 24) & 0xFF])
	frame.append_array(body)
	if _tcp.put_data(frame) != OK:
		_fail("kettle-agent closed the connection")
		return false
	return true


func send_udp(kind: int, payload: Array) -> bool:
	if is_dead():
		return false
	var msg := [kind, _send_seq, _tcp_sent]
	msg += payload
	_send_seq += 1
	# duplicate(): a 4.x packed array held in a Variant is shared by reference.
	var datagram := _tag.duplicate()
	datagram.append_array(var_to_bytes(msg))
	# A datagram that cannot go out counts as lost: the agent skips its seq (§16.2).
	_udp.put_packet(datagram)
	return true


# The next message in the agent's order, or null if none is ready now (never blocks).
func poll_message():
	var m = _take_ready()
	if m != null:
		return m
	_pump()
	return _take_ready()


# Waits up to `timeout_ms` for the next message; null on timeout or a dead link. The wait
# spins briefly (replies on loopback come within microseconds), then naps 0.1 ms per round.
func wait_message(timeout_ms: int):
	var deadline: int = Time.get_ticks_msec() + maxi(timeout_ms, 0)
	var spins := 0
	while true:
		var m = poll_message()
		if m != null or is_dead():
			return m
		if Time.get_ticks_msec() > deadline:
			return null
		spins += 1
		if spins > 200:
			OS.delay_usec(100)
	return null


func _pump() -> void:
	if is_dead():
		return
	# In 4.x poll() is how a closed connection shows up (FIN with nothing left to read).
	_tcp.poll()
	if _tcp.get_status() != StreamPeerTCP.STATUS_CONNECTED:
		_fail("kettle-agent closed the connection")
		return
	var n: int = _tcp.get_available_bytes()
	var r: Array = _tcp.get_partial_data(n) if n > 0 else [OK, PackedByteArray()]
	if r[0] != OK:
		_fail("kettle-agent closed the connection")
		return
	if r[1].size() > 0:
		_tcp_buf.append_array(r[1])
		if not _parse_frames():
			return
	# After TCP, so a datagram sent before a TCP message is already queued here (loopback).
	while _udp != null and _udp.get_available_packet_count() > 0:
		_accept_datagram(_udp.get_packet())


func _parse_frames() -> bool:
	var at := 0
	var size := _tcp_buf.size()
	while size - at >= 4:
		var length := _tcp_buf[at] | (_tcp_buf[at + 1] << 8) | (_tcp_buf[at + 2] << 16) | (_tcp_buf[at + 3] << 24)
		if length <= 0 or length > MAX_TCP_FRAME:
			_fail("kettle-agent sent a malformed frame (length %d)" % length)
			return false
		if size - at - 4 < length:
			break
		var msg = bytes_to_var(_tcp_buf.slice(at + 4, at + 4 + length))
		at += 4 + length
		_tcp_received += 1
		if not _store(msg):
			return false
	if at > 0:
		_tcp_buf = PackedByteArray() if at == size else _tcp_buf.slice(at, size)
	return true


func _accept_datagram(p: PackedByteArray) -> void:
	if p.size() <= TAG_SIZE or p.size() > MAX_DATAGRAM:
		return
	for i in range(TAG_SIZE):
		if p[i] != _tag[i]:
			return
	_store(bytes_to_var(p.slice(TAG_SIZE, p.size())))


func _store(msg) -> bool:
	if typeof(msg) != TYPE_ARRAY or msg.size() < 3 or typeof(msg[0]) != TYPE_INT or typeof(msg[1]) != TYPE_INT or typeof(msg[2]) != TYPE_INT:
		_fail("kettle-agent sent a message that is not [kind, seq, tcp_before, ...]")
		return false
	var seq: int = msg[1]
	if seq >= _next_seq and not _pending.has(seq):
		_pending[seq] = msg
	return true


func _take_ready():
	while not _pending.is_empty():
		if _pending.has(_next_seq):
			var m = _pending[_next_seq]
			_pending.erase(_next_seq)
			_next_seq += 1
			return m
		# The next seq is missing. If some waiting message had all its earlier TCP messages
		# delivered already, every missing seq below it was a lost datagram (§16.2).
		var lowest := -1
		var lost := false
		for seq in _pending:
			if lowest < 0 or seq < lowest:
				lowest = seq
			if _pending[seq][2] <= _tcp_received:
				lost = true
		if not lost:
			return null
		_next_seq = lowest
	return null


# Marks the link unusable (the first reason sticks) and drops the connection.
func fail(why: String) -> String:
	return _fail(why)


func _fail(why: String) -> String:
	if _error == "":
		_error = why
	if _tcp != null:
		_tcp.disconnect_from_host()
	return _error


static func _hex_decode(hex: String) -> PackedByteArray:
	var out := PackedByteArray()
	if hex.length() % 2 != 0:
		return out
	for i in range(0, hex.length(), 2):
		var hi := _nibble(hex.unicode_at(i))
		var lo := _nibble(hex.unicode_at(i + 1))
		if hi < 0 or lo < 0:
			return PackedByteArray()
		out.append(hi * 16 + lo)
	return out


static func _nibble(c: int) -> int:
	if c >= 48 and c <= 57:
		return c - 48
	if c >= 97 and c <= 102:
		return c - 87
	if c >= 65 and c <= 70:
		return c - 55
	return -1
