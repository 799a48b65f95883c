#!/usr/bin/env python3
"""Throws garbage at every local socket of a running kettle-agent (and at the game's end of the
link), from a process that does not know the token or the UDP tag. Used by bad_input.sh while the
game keeps working.

    agent_garbage.py AGENT_PID GAME_PID

UDP: every port the agent has bound (its link to the game and the Kettle client's own socket) gets
datagrams of 0, 1, 15, 16, 17, 100, 1400, 1401 and 9000 random bytes, the 16-byte-tag shape with a
wrong tag in front of a well-formed message, and a plausible message without any tag. TCP: the
agent's link port (its end of the established connection to the game; the listener closes once
the game is in) must refuse new connections; any TCP port the agent still listens on gets garbage,
a wrong-token hello and a silent connection. Prints one summary line `GARBAGE ...`; exits 1 if it
found no agent socket to aim at, or a port it expected to be closed accepted a connection and did
not drop it.
"""
import os
import random
import re
import socket
import struct
import subprocess
import sys


def sockets(proto, pid, listening):
    """(local_ip, port) pairs of `pid`'s sockets from ss."""
    flags = "-H -n -p " + ("-l " if listening else "-a ") + ("-u" if proto == "udp" else "-t")
    out = subprocess.run(["ss"] + flags.split(), capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        if not re.search(r"pid=%d," % pid, line):
            continue
        cols = line.split()
        # State Recv-Q Send-Q Local Peer [Process]
        local = cols[3]
        ip, _, port = local.rpartition(":")
        found.append((ip.strip("[]"), int(port), cols[0], cols[4]))
    return found


def godot_variant_array(items):
    """var2bytes([int...]) in Godot 3's format: a message the agent would decode."""
    out = struct.pack("<II", 19, len(items))
    for v in items:
        out += struct.pack("<I", 2) + struct.pack("<i", v)
    return out


def udp_garbage(targets, rng):
    payloads = [b""] + [rng.randbytes(n) for n in (1, 15, 16, 17, 100, 1400, 1401, 9000)]
    message = godot_variant_array([2, 0, 0, 1, 2, 3])  # kind SEND, seq 0
    payloads += [rng.randbytes(16) + message, message, b"\0" * 16 + message]
    sent = 0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    for _ in range(40):
        for host, port in targets:
            for p in payloads:
                try:
                    s.sendto(p, (host, port))
                    sent += 1
                except (BlockingIOError, OSError):
                    pass  # a full socket buffer or a datagram too big: still garbage tried
    s.close()
    return sent


def tcp_garbage(port, rng):
    """Garbage, a wrong-token hello and a silent connection on a listening port."""
    wrong_hello = b"KTLA" + bytes([1, 3, 0, 0]) + rng.randbytes(32)
    conns = []
    for data in (rng.randbytes(200), wrong_hello, b"\xff" * 4 + rng.randbytes(5000), b""):
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        if data:
            c.sendall(data)
        conns.append(c)
    for c in conns:
        c.close()


def main():
    agent_pid, game_pid = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(7)
    udp = [(ip, port) for ip, port, _, _ in sockets("udp", agent_pid, False)]
    udp_targets = [("127.0.0.1" if ip in ("0.0.0.0", "*") else ip, port) for ip, port in udp if ":" not in ip]
    game_udp = [("127.0.0.1", port) for ip, port, _, _ in sockets("udp", game_pid, False) if ip in ("127.0.0.1", "0.0.0.0", "*")]
    listening = [port for _, port, _, _ in sockets("tcp", agent_pid, True)]
    established = [port for ip, port, state, _ in sockets("tcp", agent_pid, False) if state == "ESTAB" and ip == "127.0.0.1"]
    if not udp_targets or not established:
        print("GARBAGE found no agent socket: udp=%s tcp_established=%s" % (udp, established))
        return 1
    datagrams = udp_garbage(udp_targets + game_udp, rng)
    for port in listening:
        tcp_garbage(port, rng)
    bad = []
    refused = []
    for port in established:
        if port in listening:
            continue
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=5)
        except ConnectionRefusedError:
            refused.append(port)
            continue
        bad.append(port)
        c.close()
    print("GARBAGE agent_udp=%s game_udp=%s datagrams=%d tcp_listening=%s tcp_link_refused=%s tcp_link_accepted=%s"
          % ([p for _, p in udp_targets], [p for _, p in game_udp], datagrams, listening, refused, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
