extends SceneTree
# compress_from_cpp.gd - Kettle's C++ compress() output checked by the real engine (Godot 3).
#
#   run-gd compress_from_cpp.gd FILE      (FILE written by godot_compress_cross_gen)
#
# FILE: a line "kettle-compress-cross 1 COUNT", then COUNT lines
# "NAME SIZE INPUT_HEX DEFLATE_HEX GZIP_HEX". For every line and both modes (DEFLATE 1, GZIP 3):
#  - PoolByteArray.decompress(SIZE, mode) of the C++ bytes gives the input back, and so does a
#    larger buffer (the engine cuts the result to the real size);
#  - the engine's own compress(mode) of the input is the C++ bytes, byte for byte.
# Prints "compress_from_cpp: N passed, M failed" and PASS only if nothing failed and the file
# held as many lines as its first line says.

var _nibble = []
var passed = 0
var failed = 0


func _init():
	_nibble.resize(256)
	for i in range(256):
		_nibble[i] = -1
	for i in range(10):
		_nibble[48 + i] = i  # 0-9
	for i in range(6):
		_nibble[97 + i] = 10 + i  # a-f
	var args = _user_args()
	if args.size() != 1:
		_fail("usage: compress_from_cpp.gd FILE")
	else:
		var path = args[0]
		if not path.is_abs_path():
			path = OS.get_environment("RUN_GD_CWD").plus_file(path)
		_check_file(path)
	print("compress_from_cpp: %d passed, %d failed" % [passed, failed])
	if failed == 0 and passed > 0:
		print("PASS")
		quit(0)
	else:
		print("FAILED")
		quit(1)


# The arguments after this script's path (run-gd passes them through to the engine).
func _user_args():
	var mine = get_script().resource_path.get_file()
	var out = []
	var seen = false
	for a in OS.get_cmdline_args():
		if seen:
			out.append(a)
		elif a.get_file() == mine:
			seen = true
	return out


func _fail(msg):
	failed += 1
	print("FAIL: ", msg)


func _check(cond, msg):
	if cond:
		passed += 1
	else:
		_fail(msg)


# Lowercase hex to bytes; null if the text is not hex.
func _from_hex(text):
	var chars = text.to_ascii()
	if chars.size() % 2 != 0:
		return null
	var n = chars.size() / 2
	var out = PoolByteArray()
	out.resize(n)
	for i in range(n):
		var hi = _nibble[chars[2 * i]]
		var lo = _nibble[chars[2 * i + 1]]
		if hi < 0 or lo < 0:
			return null
		out[i] = hi * 16 + lo
	return out


func _check_file(path):
	var f = File.new()
	if f.open(path, File.READ) != OK:
		_fail("cannot open " + path)
		return
	var header = f.get_line().split(" ")
	if header.size() != 3 or header[0] != "kettle-compress-cross" or header[1] != "1":
		_fail("%s does not start with 'kettle-compress-cross 1 COUNT'" % path)
		f.close()
		return
	var expected = int(header[2])
	var lines = 0
	while not f.eof_reached():
		var line = f.get_line()
		if line == "":
			continue
		lines += 1
		_check_line(line)
	f.close()
	_check(expected > 0 and lines == expected, "%d lines, the header says %d" % [lines, expected])


func _check_line(line):
	var p = line.split(" ")
	if p.size() != 5:
		_fail("a line has %d fields, not 5: %s" % [p.size(), line.substr(0, 80)])
		return
	var name = p[0]
	var size = int(p[1])
	var input_hex = p[2]
	var input = _from_hex(input_hex)
	if typeof(input) == TYPE_NIL or input.size() != size or input.hex_encode() != input_hex:
		_fail("%s: the input is not %d bytes of hex" % [name, size])
		return
	for m in [[1, p[3], "deflate"], [3, p[4], "gzip"]]:
		var mode = m[0]
		var packed_hex = m[1]
		var what = "%s %s" % [name, m[2]]
		var packed = _from_hex(packed_hex)
		if typeof(packed) == TYPE_NIL or packed.size() == 0 or packed.hex_encode() != packed_hex:
			_fail("%s: the compressed bytes are not hex" % what)
			continue
		var out = packed.decompress(size, mode)
		_check(out.size() == size and out.hex_encode() == input_hex,
				"%s: decompress(%d) gives %d bytes, not the input" % [what, size, out.size()])
		var larger = packed.decompress(size + 1000, mode)
		_check(larger.size() == size and larger.hex_encode() == input_hex,
				"%s: decompress(%d) gives %d bytes, not the input" % [what, size + 1000, larger.size()])
		var engine = input.compress(mode).hex_encode()
		_check(engine == packed_hex, "%s: the engine's compress() differs: %s" % [what, engine.substr(0, 80)])
