extends SceneTree
# variant_from_cpp.gd - Kettle's C++ Variant encoder read back by the real engine (Godot 3).
#
#   run-gd variant_from_cpp.gd FILE SHARED_GODOT_DIR
#
# FILE: JSON written by godot_variant_from_cpp_gen ({"format": "kettle-variant-cross",
# "count": N, "cases": [{"name", "hex", "gdscript"}]}). SHARED_GODOT_DIR holds vectorlib.gd.
# For every case:
#  1. bytes2var() of the C++ bytes succeeds and equals the value the GDScript expression
#     builds (compiled by the real GDScript compiler), compared deeply: Dictionaries key by key
#     in order (3.x compares Dictionaries by reference), NaN equal to NaN;
#  2. var2bytes() of that decoded value gives the C++ bytes back (NodePath pad bytes zeroed,
#     since 3.2.3 leaves them uninitialised);
#  3. var2bytes() of the expression's value gives the C++ bytes too.
# Prints "variant_from_cpp: N passed, M failed" and PASS only if nothing failed and the file
# held as many cases as it says.

var lib = null
var passed = 0
var failed = 0
var _decoded = false


func _init():
	var args = _user_args()
	if args.size() != 2:
		_fail("usage: variant_from_cpp.gd FILE SHARED_GODOT_DIR")
	else:
		lib = load(_abs(args[1]).plus_file("vectorlib.gd")).new()
		_check_file(_abs(args[0]))
	print("variant_from_cpp: %d passed, %d failed" % [passed, failed])
	if failed == 0 and passed > 0:
		print("PASS")
		quit(0)
	else:
		print("FAILED")
		quit(1)


func _abs(path):
	if path.is_abs_path():
		return path
	return OS.get_environment("RUN_GD_CWD").plus_file(path)


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


func _check_file(path):
	var f = File.new()
	if f.open(path, File.READ) != OK:
		_fail("cannot open " + path)
		return
	var r = JSON.parse(f.get_as_text())
	f.close()
	if r.error != OK or typeof(r.result) != TYPE_DICTIONARY:
		_fail("bad JSON in " + path)
		return
	var doc = r.result
	if doc.get("format") != "kettle-variant-cross" or typeof(doc.get("cases")) != TYPE_ARRAY:
		_fail("not a kettle-variant-cross file: " + path)
		return
	var cases = doc["cases"]
	_check(cases.size() == int(doc["count"]) and cases.size() > 100,
		"the file holds %d cases, says %s" % [cases.size(), str(doc["count"])])
	# Every expression in one script, as selftest.gd does: the real GDScript compiler builds them.
	var src = "extends Reference\n"
	for i in range(cases.size()):
		src += "func c_%d():\n\treturn %s\n" % [i, cases[i]["gdscript"]]
	var gd = GDScript.new()
	gd.source_code = src
	if gd.reload() != OK:
		_fail("the gdscript expressions do not compile")
		return
	var inst = gd.new()
	for i in range(cases.size()):
		var c = cases[i]
		var bytes = lib.hex_to_bytes(c["hex"])
		var want = inst.call("c_%d" % i)
		var got = _decode(bytes)
		if not _decoded:
			_fail("%s: bytes2var refused %s" % [c["name"], c["hex"]])
			continue
		_check(_same(got, want), "%s: bytes2var gives %s, the expression %s" % [c["name"], var2str(got), var2str(want)])
		var again = _norm_hex(var2bytes(got))
		_check(again == c["hex"], "%s: the engine re-encodes it as %s, C++ wrote %s" % [c["name"], again, c["hex"]])
		var own = _norm_hex(var2bytes(want))
		_check(own == c["hex"], "%s: the engine encodes the expression as %s, C++ wrote %s" % [c["name"], own, c["hex"]])


# A failing bytes2var() aborts the function that called it; _decoded stays false then.
func _decode(bytes):
	_decoded = false
	var v = bytes2var(bytes, false)
	_decoded = true
	return v


func _norm_hex(bytes):
	return lib.zero_nodepath_padding(bytes)[0].hex_encode()


func _same(a, b):
	if typeof(a) != typeof(b):
		return false
	match typeof(a):
		TYPE_REAL:
			return a == b or (is_nan(a) and is_nan(b))
		TYPE_ARRAY, TYPE_RAW_ARRAY, TYPE_INT_ARRAY, TYPE_REAL_ARRAY, TYPE_STRING_ARRAY, \
		TYPE_VECTOR2_ARRAY, TYPE_VECTOR3_ARRAY, TYPE_COLOR_ARRAY:
			var x = Array(a)
			var y = Array(b)
			if x.size() != y.size():
				return false
			for i in range(x.size()):
				if not _same(x[i], y[i]):
					return false
			return true
		TYPE_DICTIONARY:
			if not _same(a.keys(), b.keys()):
				return false
			for k in a.keys():
				if not _same(a[k], b[k]):
					return false
			return true
	return a == b
