#!/usr/bin/env python3
"""Static check of the Godot 4.x `Steam` autoload (godot/addons/kettle/godot4) against the 3.x one.

No Godot 4 engine is packaged for Debian, so the 4.x scripts cannot be parse-checked by the engine
here. This script checks what can be checked without it:

1. no Godot 3-only API (PoolByteArray, var2bytes, File.new, yield(, string-form connect, ...) in
   the 4.x scripts (comments are ignored, code and strings are not);
2. every function, signal and constant of each 3.x script exists in its 4.x counterpart with the
   same parameter names and defaults (types stripped), the same constant values and the same order,
   and the 4.x scripts add no public name: the GodotSteam surface is the same in both;
3. sane structure: tab indentation, a block after every `...:` line, no indentation jumps,
   balanced brackets and terminated strings, only declarations at the top level;
4. the 4.x idioms the port depends on: hello dialect 4, OS.create_process, StreamPeerTCP.poll()
   before get_status(), embed_callbacks on process_frame, @tool in the plugin.

Then it checks itself: mutated copies of the 4.x scripts (a var2bytes call, a renamed parameter,
a changed constant, a swapped function order, a broken bracket, ...) must each fail the check, and a
3.x name inside a comment must not.

Usage: godot4_check.py [ADDON_DIR]   (default: godot/addons/kettle of this repository)
Prints one line per check and ends with "N passed, M failed"; exit 0 only if none failed.
"""

import os
import re
import sys

# ------------------------------------------------------------------------------------------ rules

# (pattern, what to use instead). Matched per logical line of code with comments removed.
FORBIDDEN = [
    (r"\bPool(Byte|Int|Real|String|Vector2|Vector3|Color)Array\b", "Packed*Array"),
    (r"\bvar2bytes\b", "var_to_bytes"),
    (r"\bbytes2var\b", "bytes_to_var"),
    (r"\bvar2str\b|\bstr2var\b", "var_to_str / str_to_var"),
    (r"\bFile\.new\b", "FileAccess.open / FileAccess.file_exists"),
    (r"\bFile\.(READ|WRITE|READ_WRITE|WRITE_READ|COMPRESSION_\w+)\b", "FileAccess.*"),
    (r"\bDirectory\.new\b", "DirAccess"),
    (r"\byield\s*\(", "await"),
    (r"\bOS\.execute\s*\(.*,\s*false\b", "OS.create_process (4.x OS.execute always blocks)"),
    (r"\bconnect\s*\(\s*\"", "signal.connect(callable)"),
    (r"\.empty\s*\(\s*\)", "is_empty()"),
    (r"\bfuncref\s*\(", "Callable"),
    (r"^\s*export\b", "@export"),
    (r"^\s*onready\s+var\b", "@onready var"),
    (r"^\s*tool\s*$", "@tool"),
    (r"^\s*(remote|master|puppet|remotesync|mastersync|puppetsync)\s+func\b", "@rpc"),
    (r"\bidle_frame\b", "process_frame"),
    (r"^\s*extends\s+Reference\b", "extends RefCounted"),
    (r"\bTYPE_RAW_ARRAY\b", "TYPE_PACKED_BYTE_ARRAY"),
    (r"\bTYPE_REAL\b", "TYPE_FLOAT"),
    (r"\bTYPE_(INT|REAL|STRING|VECTOR2|VECTOR3|COLOR)_ARRAY\b", "TYPE_PACKED_*_ARRAY"),
    (r"\bOS\.get_ticks_(msec|usec)\b", "Time.get_ticks_*"),
    (r"\bOS\.get_(unix_time|datetime|date|time)\b", "Time.*"),
    (r"\.plus_file\s*\(", "path_join"),
    (r"\.to_ascii\s*\(\s*\)", "to_ascii_buffer()"),
    (r"\.to_utf8\s*\(\s*\)", "to_utf8_buffer()"),
    (r"\.ord_at\s*\(", "unicode_at"),
    (r"\.subarray\s*\(", "slice (end exclusive)"),
    (r"\bpause_mode\b|\bPAUSE_MODE_\w+", "process_mode / PROCESS_MODE_*"),
    (r"\bNOTIFICATION_WM_QUIT_REQUEST\b", "NOTIFICATION_WM_CLOSE_REQUEST"),
    (r"\bsetget\b", "property get/set blocks"),
    (r"\.instance\s*\(\s*\)", "instantiate()"),
    (r"\b(rand_range|stepify|deg2rad|rad2deg|lin2db|db2lin)\s*\(", "the 4.x names"),
    (r"\bJSON\.print\b", "JSON.stringify"),
]

# Engine hooks that have another name in 4.x (3.x name -> 4.x name); their parameters may differ.
RENAMED = {
    "Steam.gd": {"_process": "_on_process_frame"},
    "plugin.gd": {"enable_plugin": "_enable_plugin", "disable_plugin": "_disable_plugin"},
}
# Private helpers only the 4.x script needs.
EXTRA_4X = {"Steam.gd": {"_set_auto_callbacks"}}
# Constants whose value must differ: the dialect, and the names of typeof()'s ids (Godot 4.3's table).
TYPE_NAMES_4X = ["null", "bool", "int", "float", "String", "Vector2", "Vector2i", "Rect2", "Rect2i", "Vector3", "Vector3i",
                 "Transform2D", "Vector4", "Vector4i", "Plane", "Quaternion", "AABB", "Basis", "Transform3D",
                 "Projection", "Color", "StringName", "NodePath", "RID", "Object", "Callable", "Signal", "Dictionary",
                 "Array", "PackedByteArray", "PackedInt32Array", "PackedInt64Array", "PackedFloat32Array",
                 "PackedFloat64Array", "PackedStringArray", "PackedVector2Array", "PackedVector3Array",
                 "PackedColorArray", "PackedVector4Array"]
VALUE_4X = {
    "agent_link.gd": {"DIALECT": "4"},
    "Steam.gd": {"_TYPE_NAMES": "[" + ", ".join('"%s"' % n for n in TYPE_NAMES_4X) + "]"},
}

FILES = ["Steam.gd", "agent_link.gd", "plugin.gd"]

TOP_LEVEL = re.compile(
    r"^(extends|class_name|const|var|signal|func|static\s+func|enum|class|tool|@tool|@export\w*|@onready|@icon)\b")
FUNC = re.compile(r"^(?:static\s+)?func\s+(\w+)\s*\((.*)\)\s*(?:->\s*[\w.\[\]]+\s*)?:$")
SIGNAL = re.compile(r"^signal\s+(\w+)\s*(?:\((.*)\))?$")
CONST = re.compile(r"^const\s+(\w+)\s*(?::\s*[\w.\[\]]+\s*)?:?=\s*(.+)$")
BLOCK_KEYWORDS = re.compile(r"^(if|elif|else|for|while|match|func|static\s+func|class)\b")


class Line:
    def __init__(self, number, indent, code):
        self.number = number  # first physical line
        self.indent = indent  # leading whitespace of the first physical line
        self.code = code  # the logical line: continuation lines joined, comments removed


def logical_lines(text, problems):
    """Splits GDScript into logical lines (brackets and backslashes join physical lines) with
    comments removed; appends structure problems (brackets, strings) to `problems`."""
    lines = []
    stack = []  # open brackets: (char, line number)
    code = []
    start = None
    indent = ""
    in_string = None  # the quote that opened the current string
    string_line = 0
    number = 0
    pairs = {")": "(", "]": "[", "}": "{"}
    for number, raw in enumerate(text.split("\n"), 1):
        i = 0
        if start is None and in_string is None:
            indent = raw[: len(raw) - len(raw.lstrip(" \t"))]
            start = number
        while i < len(raw):
            c = raw[i]
            if in_string:
                if c == "\\":
                    code.append(raw[i : i + 2])
                    i += 2
                    continue
                if raw.startswith(in_string, i):
                    code.append(in_string)
                    i += len(in_string)
                    in_string = None
                    continue
                code.append(c)
                i += 1
                continue
            if c == "#":
                break
            if c in "\"'":
                in_string = raw[i : i + 3] if raw.startswith(c * 3, i) else c
                string_line = number
                code.append(in_string)
                i += len(in_string)
                continue
            if c in "([{":
                stack.append((c, number))
            elif c in ")]}":
                if not stack or stack[-1][0] != pairs[c]:
                    problems.append("line %d: unbalanced '%s'" % (number, c))
                else:
                    stack.pop()
            code.append(c)
            i += 1
        if in_string and len(in_string) == 1:
            problems.append("line %d: unterminated string" % number)
            in_string = None
        if in_string:  # a triple-quoted string goes on
            code.append("\n")
            continue
        joined = "".join(code).rstrip()
        if stack or joined.endswith("\\"):
            if joined.endswith("\\"):
                code = [joined[:-1], " "]
            else:
                code.append(" ")
            continue
        if joined.strip():
            lines.append(Line(start, indent, joined.strip()))
        code = []
        start = None
    if in_string:
        problems.append("line %d: unterminated string" % string_line)
    for c, n in stack:
        problems.append("line %d: '%s' never closed" % (n, c))
    return lines


def check_structure(lines, problems):
    previous = None
    for line in lines:
        if " " in line.indent:
            problems.append("line %d: indentation with spaces (GDScript files here use tabs)" % line.number)
            continue
        level = len(line.indent)
        if level == 0 and not TOP_LEVEL.match(line.code):
            problems.append("line %d: not a declaration at the top level: %s" % (line.number, line.code[:60]))
        if previous is not None:
            prev_level = len(previous.indent)
            if previous.code.endswith(":"):
                if level != prev_level + 1:
                    problems.append("line %d: the block after line %d must be indented by one tab"
                                    % (line.number, previous.number))
            elif level > prev_level:
                problems.append("line %d: indented without a block opener on line %d" % (line.number, previous.number))
        if line.code.endswith(":") and level > 0 and not BLOCK_KEYWORDS.match(line.code) and not is_pattern(line):
            problems.append("line %d: a line ending in ':' that opens no block" % line.number)
        previous = line
    if previous is not None and previous.code.endswith(":"):
        problems.append("line %d: a block opener at the end of the file" % previous.number)


def is_pattern(line):
    # A match branch: a constant, a name, a dotted constant, a literal or `_`, then ':'.
    return re.match(r"^[\w.\"', \[\]{}-]+:$", line.code) is not None


def split_top(s):
    parts, depth, cur, quote = [], 0, [], None
    for c in s:
        if quote:
            cur.append(c)
            if c == quote:
                quote = None
            continue
        if c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(c)
    if "".join(cur).strip():
        parts.append("".join(cur))
    return parts


def params(s):
    """'a, b: int = 1, c := 2' -> [('a', None), ('b', '1'), ('c', '2')] (types dropped)."""
    out = []
    for p in split_top(s or ""):
        p = p.strip()
        m = re.match(r"^(\w+)\s*(?::\s*([\w.\[\]]*)\s*)?(?:=\s*(.+))?$", p)
        if not m:
            out.append((p, "?"))
            continue
        default = re.sub(r"\s+", " ", m.group(3).strip()) if m.group(3) else None
        out.append((m.group(1), default))
    return out


def surface(lines):
    funcs, signals, consts = [], {}, {}
    order_signals = []
    for line in lines:
        if line.indent:
            continue
        m = FUNC.match(line.code)
        if m:
            funcs.append((m.group(1), params(m.group(2)), line.number))
            continue
        m = SIGNAL.match(line.code)
        if m:
            signals[m.group(1)] = params(m.group(2))
            order_signals.append(m.group(1))
            continue
        m = CONST.match(line.code)
        if m:
            consts[m.group(1)] = re.sub(r"\s+", " ", m.group(2).strip())
    return funcs, signals, order_signals, consts


def function_bodies(lines):
    """name -> list of code lines of the function's body."""
    bodies, current = {}, None
    for line in lines:
        if not line.indent:
            m = FUNC.match(line.code)
            current = m.group(1) if m else None
            if current:
                bodies[current] = []
            continue
        if current:
            bodies[current].append(line.code)
    return bodies


# ------------------------------------------------------------------------------------------ checks

def check_pair(name, text3, text4):
    """Returns {category: [problems]} for one 3.x/4.x file pair."""
    out = {"structure": [], "forbidden": [], "parity": [], "idioms": []}
    lines3 = logical_lines(text3, [])
    lines4 = logical_lines(text4, out["structure"])
    check_structure(lines4, out["structure"])

    for line in lines4:
        for pattern, instead in FORBIDDEN:
            if re.search(pattern, line.code):
                out["forbidden"].append("line %d: Godot 3 API (%s): %s" % (line.number, instead, line.code[:80]))

    f3, s3, so3, c3 = surface(lines3)
    f4, s4, so4, c4 = surface(lines4)
    renamed = RENAMED.get(name, {})
    extra = EXTRA_4X.get(name, set())
    by_name4 = {n: p for n, p, _ in f4}
    for n, p, _ in f3:
        n4 = renamed.get(n, n)
        if n4 not in by_name4:
            out["parity"].append("func %s of the 3.x script is missing%s" % (n, " (as %s)" % n4 if n4 != n else ""))
        elif n4 == n and by_name4[n] != p:
            out["parity"].append("func %s: parameters %s in 3.x, %s in 4.x" % (n, fmt(p), fmt(by_name4[n])))
    names3 = {renamed.get(n, n) for n, _, _ in f3}
    for n, _, line in f4:
        if n not in names3 and n not in extra:
            out["parity"].append("func %s (line %d) is not in the 3.x script" % (n, line))
    # Order of the functions both have (a missing or extra one is reported above).
    names4 = {n for n, _, _ in f4}
    order3 = [renamed.get(n, n) for n, _, _ in f3 if renamed.get(n, n) in names4]
    order4 = [n for n, _, _ in f4 if n in names3]
    if order3 != order4:
        for a, b in zip(order3, order4):
            if a != b:
                out["parity"].append("function order differs from the 3.x script: %s where 3.x has %s" % (b, a))
                break
    for n, p in s3.items():
        if n not in s4:
            out["parity"].append("signal %s of the 3.x script is missing" % n)
        elif [a for a, _ in p] != [a for a, _ in s4[n]]:
            out["parity"].append("signal %s: arguments %s in 3.x, %s in 4.x" % (n, fmt(p), fmt(s4[n])))
    for n in s4:
        if n not in s3:
            out["parity"].append("signal %s is not in the 3.x script" % n)
    if [n for n in so4 if n in s3] != [n for n in so3 if n in s4]:
        out["parity"].append("signal order differs from the 3.x script")
    for n, v in c3.items():
        want = VALUE_4X.get(name, {}).get(n, v)
        if n not in c4:
            out["parity"].append("const %s of the 3.x script is missing" % n)
        elif strip_comment_value(c4[n]) != strip_comment_value(want):
            out["parity"].append("const %s = %s in 4.x, expected %s" % (n, c4[n], want))
    for n in c4:
        if n not in c3:
            out["parity"].append("const %s is not in the 3.x script" % n)

    header = "\n".join(t for t in text4.split("\n")[:25] if t.startswith("#"))
    if name != "plugin.gd" and "../%s" % name not in header:
        out["idioms"].append("the header comment does not say which 3.x file this mirrors (../%s)" % name)
    check_idioms(name, lines4, text4, out["idioms"])
    return out


def strip_comment_value(v):
    return re.sub(r"\s+", "", v)


def check_idioms(name, lines, text, problems):
    codes = [l.code for l in lines]
    if name == "agent_link.gd":
        if not any(re.match(r"^const DIALECT = 4$", c) for c in codes):
            problems.append("the hello's dialect is not 4 (const DIALECT = 4)")
        if not any("OS.create_process(" in c for c in codes):
            problems.append("the agent is not started with OS.create_process")
        if not any(re.search(r"\bextends RefCounted\b", c) for c in codes):
            problems.append("agent_link.gd does not extend RefCounted")
        for func, body in function_bodies(lines).items():
            polled = False
            for c in body:
                if re.search(r"_tcp\.poll\(\)", c):
                    polled = True
                if re.search(r"\.get_status\(\)", c) and not polled:
                    problems.append("func %s reads get_status() without a poll() before it (4.x updates the "
                                    "status only in poll())" % func)
                    break
    if name == "Steam.gd":
        # The names of typeof()'s ids for error texts (a const or a local list): Godot 4's table.
        squeezed = [re.sub(r"\s+", "", c) for c in codes]
        tables = [m.group(0) for c in squeezed for m in re.finditer(r'\["null","bool","int","float",[^\]]*\]', c)]
        want = re.sub(r"\s+", "", VALUE_4X["Steam.gd"]["_TYPE_NAMES"])
        for t in tables:
            if t != want:
                problems.append("a type name table that is not Godot 4's typeof() table: %s" % t[:80])
        if not any(re.search(r"\bget_tree\(\)\.process_frame\b", c) for c in codes) or \
                not any(re.search(r"\.connect\(_on_process_frame\)", c) for c in codes):
            problems.append("embed_callbacks does not run on the SceneTree's process_frame")
        if not any(re.search(r"\bPROCESS_MODE_ALWAYS\b", c) for c in codes):
            problems.append("the autoload does not keep processing while paused (PROCESS_MODE_ALWAYS)")
    if name == "plugin.gd":
        if not codes or codes[0] != "@tool":
            problems.append("plugin.gd does not start with @tool")


def fmt(p):
    return "(" + ", ".join(a + ("" if d is None else " = " + d) for a, d in p) + ")"


def check_all(texts3, texts4):
    results = {}
    for name in FILES:
        results[name] = check_pair(name, texts3[name], texts4[name])
    return results


def godotsteam_surface(texts3, texts4):
    """Public names (GodotSteam's functions, signals, constants) in one version only."""
    def names(text):
        f, s, _, c = surface(logical_lines(text, []))
        return {"func " + n for n, _, _ in f if not n.startswith("_")} | {"signal " + n for n in s} | \
            {"const " + n for n in c}
    a, b = names(texts3["Steam.gd"]), names(texts4["Steam.gd"])
    return sorted(a - b), sorted(b - a), len(a)


# ------------------------------------------------------------------------------------------ self-test

# (description, file, old, new, category expected to fail). `old` must occur in the 4.x file.
MUTATIONS = [
    ("a var2bytes call", "agent_link.gd", "var body := var_to_bytes(msg)", "var body := var2bytes(msg)", "forbidden"),
    ("a PoolByteArray", "Steam.gd", "var data: PackedByteArray = item[1]", "var data: PoolByteArray = item[1]",
     "forbidden"),
    ("File.new()", "Steam.gd", "\tvar env := OS.get_environment(\"KETTLE_AGENT\")\n",
     "\tvar env := OS.get_environment(\"KETTLE_AGENT\")\n\tvar f := File.new()\n", "forbidden"),
    (".empty()", "agent_link.gd", "while not _pending.is_empty():", "while not _pending.empty():", "forbidden"),
    ("a string-form connect", "Steam.gd", "\t\tframe.connect(_on_process_frame)",
     "\t\tget_tree().connect(\"idle_frame\", self, \"_on_process_frame\")", "forbidden"),
    ("yield(", "agent_link.gd", "\t\t\tOS.delay_usec(100)", "\t\t\tyield(null, \"x\")", "forbidden"),
    ("a non-blocking OS.execute", "agent_link.gd", "OS.create_process(agent_path, full_args)",
     "OS.execute(agent_path, full_args, false)", "forbidden"),
    ("the tool keyword", "plugin.gd", "@tool\n", "tool\n", "forbidden"),
    ("export var", "Steam.gd", "var _consumed_reported := 0\n", "var _consumed_reported := 0\nexport var x := 1\n",
     "forbidden"),
    ("a changed default", "Steam.gd", "func readP2PPacket(packet_size, channel = 0)",
     "func readP2PPacket(packet_size, channel = 1)", "parity"),
    ("a renamed parameter", "Steam.gd", "func getFriendPersonaName(steam_id)", "func getFriendPersonaName(id)",
     "parity"),
    ("a missing signal", "Steam.gd", "signal lobby_kicked(lobby_id: int, admin_id: int, due_to_disconnect: int)\n",
     "", "parity"),
    ("a reordered signal argument", "Steam.gd", "signal join_requested(lobby_id: int, steam_id: int)",
     "signal join_requested(steam_id: int, lobby_id: int)", "parity"),
    ("a changed constant", "Steam.gd", "const P2P_SEND_RELIABLE = 2", "const P2P_SEND_RELIABLE = 3", "parity"),
    ("an extra public function", "Steam.gd", "func getAppID() -> int:",
     "func getLobbyByIndex(index) -> int:\n\treturn 0\n\n\nfunc getAppID() -> int:", "parity"),
    ("two functions swapped", "Steam.gd",
     "func isSubscribed() -> bool:\n\treturn _c(\"isSubscribed\", [], false)\n\n\n"
     "func isSubscribedApp(app_id) -> bool:\n\treturn _c(\"isSubscribedApp\", [app_id], false)\n",
     "func isSubscribedApp(app_id) -> bool:\n\treturn _c(\"isSubscribedApp\", [app_id], false)\n\n\n"
     "func isSubscribed() -> bool:\n\treturn _c(\"isSubscribed\", [], false)\n", "parity"),
    ("a 3.x type name table", "Steam.gd", '"Vector2", "Vector2i", "Rect2"', '"Vector2", "Rect2"', "idioms"),
    ("dialect 3 in the hello", "agent_link.gd", "const DIALECT = 4", "const DIALECT = 3", "parity"),
    ("get_status() without poll()", "agent_link.gd", "(FIN with nothing left to read).\n\t_tcp.poll()\n",
     "(FIN with nothing left to read).\n", "idioms"),
    ("an unclosed bracket", "agent_link.gd", "_fail(\"kettle-agent closed the connection\")\n\t\treturn false",
     "_fail(\"kettle-agent closed the connection\"\n\t\treturn false", "structure"),
    ("a missing block", "Steam.gd", "\tif _initialized:\n\t\trun_callbacks()", "\tif _initialized:\n\trun_callbacks()",
     "structure"),
    ("spaces for indentation", "Steam.gd", "\tprocess_mode = Node.PROCESS_MODE_ALWAYS",
     "    process_mode = Node.PROCESS_MODE_ALWAYS", "structure"),
    ("an unterminated string", "Steam.gd", "return _c(\"getPersonaName\", [], \"\")",
     "return _c(\"getPersonaName, [], \"\")", "structure"),
    ("stray top-level code", "Steam.gd", "var _queues := {}\n", "var _queues := {}\nrun_callbacks()\n", "structure"),
]

# Edits that must NOT fail: 3.x names in comments, strings with '#' in them.
HARMLESS = [
    ("a 3.x name in a comment", "agent_link.gd", "var body := var_to_bytes(msg)",
     "var body := var_to_bytes(msg)  # was var2bytes(msg) / PoolByteArray / .empty() in 3.x"),
    ("a '#' inside a string", "Steam.gd", "return _c(\"getPersonaName\", [], \"\")",
     "return _c(\"getPersonaName\", [], \"\" if true else \"#(\")"),
]


def new_problems(base, results):
    """(file, category) pairs with a problem that the unchanged scripts do not have."""
    return {(name, cat) for name, r in results.items() for cat, probs in r.items()
            if set(probs) - set(base[name][cat])}


def self_test(texts3, texts4, report):
    base = check_all(texts3, texts4)
    for desc, name, old, new, category in MUTATIONS:
        if texts4[name].count(old) != 1:
            report(False, "self-test: %s: the text to mutate is not once in godot4/%s" % (desc, name))
            continue
        mutated = dict(texts4)
        mutated[name] = texts4[name].replace(old, new)
        found = new_problems(base, check_all(texts3, mutated))
        report((name, category) in found, "self-test: %s in godot4/%s is caught (%s)" % (desc, name, category))
    for desc, name, old, new in HARMLESS:
        if texts4[name].count(old) != 1:
            report(False, "self-test: %s: the text to edit is not once in godot4/%s" % (desc, name))
            continue
        edited = dict(texts4)
        edited[name] = texts4[name].replace(old, new)
        found = new_problems(base, check_all(texts3, edited))
        report(not found, "self-test: %s in godot4/%s is accepted%s" % (desc, name, "" if not found else " " + str(found)))


# ------------------------------------------------------------------------------------------ main

def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    addon = argv[1] if len(argv) > 1 else os.path.join(here, "..", "..", "godot", "addons", "kettle")
    texts3, texts4 = {}, {}
    for name in FILES:
        with open(os.path.join(addon, name), encoding="utf-8") as f:
            texts3[name] = f.read()
        with open(os.path.join(addon, "godot4", name), encoding="utf-8") as f:
            texts4[name] = f.read()

    passed = failed = 0

    def report(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
        print(("ok: " if ok else "FAIL: ") + what)

    # The 3.x scripts themselves must parse by these rules (else the parity check means little).
    for name in FILES:
        problems = []
        lines = logical_lines(texts3[name], problems)
        check_structure(lines, problems)
        funcs = surface(lines)[0]
        report(not problems and funcs, "3.x %s reads as sane GDScript (%d functions)%s"
               % (name, len(funcs), "".join("\n    " + p for p in problems)))
        if name == "agent_link.gd":
            report(any(l.code == "const DIALECT = 3" for l in lines), "3.x agent_link.gd says dialect 3")

    results = check_all(texts3, texts4)
    for name in FILES:
        for category, problems in results[name].items():
            report(not problems, "godot4/%s: %s%s" % (name, category, "".join("\n    " + p for p in problems)))

    only3, only4, count = godotsteam_surface(texts3, texts4)
    report(not only3 and not only4 and count > 100,
           "GodotSteam surface of Steam.gd: %d public names in 3.x, %d only in 3.x %s, %d only in 4.x %s"
           % (count, len(only3), only3, len(only4), only4))

    self_test(texts3, texts4, report)

    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
