#!/usr/bin/env python3
"""A stand-in for kettle-agent that speaks docs/protocol.md §16 and injects faults the real agent
cannot produce on loopback: it drops and reorders its UDP datagrams. The game side (Steam.gd /
agent_link.gd) must still hand packets, callbacks and replies over in the agent's seq order and
skip exactly the lost datagrams. Its "API" is just enough for tests/godot/engine/link_faults.gd:

  steamInitEx / steamInit    -> success (status 0 / 1); one user, STEAM_ID below
  getSteamID, getPersonaName, loggedOn
  kettleTestBurst(n)         -> pushes n packets on channel 0 (every third one over TCP, the rest
                                over UDP, of which some are dropped and pairs are swapped), queues a
                                callback after each TCP one, and replies with the list of sequence
                                numbers that were really delivered (TCP ones and kept datagrams)
  run_callbacks              -> each queued callback as CALLBACK (the game's handlers may CALL in
                                between), then the REPLY
  sendP2PPacket (CALL) and SEND (UDP) to STEAM_ID: loopback, pushed back as PACKET
  kettleTestConsumed         -> the last CONSUMED total the game reported
  kettleTestExit             -> exits at once without a reply (a crashed agent)
Anything else: REPLY nil with an error text.
"""
import os
import secrets
import socket
import struct
import sys

STEAM_ID = 76561197960265729
NIL, BOOL, INT, REAL, STRING, DICT, ARRAY, BYTES = 0, 1, 2, 3, 4, 18, 19, 20


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def enc(v):
    if v is None:
        return struct.pack("<I", NIL)
    if isinstance(v, bool):
        return struct.pack("<II", BOOL, int(v))
    if isinstance(v, int):
        if -(2**31) <= v < 2**31:
            return struct.pack("<Ii", INT, v)
        return struct.pack("<Iq", INT | 0x10000, v)
    if isinstance(v, float):
        return struct.pack("<Id", REAL | 0x10000, v)
    if isinstance(v, str):
        b = v.encode()
        return struct.pack("<II", STRING, len(b)) + pad4(b)
    if isinstance(v, (bytes, bytearray)):
        return struct.pack("<II", BYTES, len(v)) + pad4(bytes(v))
    if isinstance(v, list):
        return struct.pack("<II", ARRAY, len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, dict):
        return struct.pack("<II", DICT, len(v)) + b"".join(enc(k) + enc(x) for k, x in v.items())
    raise TypeError(type(v))


def dec(b, at=0):
    (h,) = struct.unpack_from("<I", b, at)
    t, wide = h & 0xFF, h & 0x10000
    at += 4
    if t == NIL:
        return None, at
    if t == BOOL:
        return struct.unpack_from("<I", b, at)[0] != 0, at + 4
    if t == INT:
        return (struct.unpack_from("<q", b, at)[0], at + 8) if wide else (struct.unpack_from("<i", b, at)[0], at + 4)
    if t == REAL:
        return (struct.unpack_from("<d", b, at)[0], at + 8) if wide else (struct.unpack_from("<f", b, at)[0], at + 4)
    if t in (STRING, BYTES):
        (n,) = struct.unpack_from("<I", b, at)
        raw = b[at + 4 : at + 4 + n]
        at += 4 + n + (-n % 4)
        return (raw.decode() if t == STRING else bytes(raw)), at
    if t in (ARRAY, DICT):
        (n,) = struct.unpack_from("<I", b, at)
        n &= 0x7FFFFFFF
        at += 4
        if t == ARRAY:
            out = []
            for _ in range(n):
                x, at = dec(b, at)
                out.append(x)
            return out, at
        d = {}
        for _ in range(n):
            k, at = dec(b, at)
            d[k], at = dec(b, at)
        return d, at
    raise ValueError("type %d" % t)


class Agent:
    def __init__(self, handshake):
        self.tcp = socket.socket()
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(1)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.token = secrets.token_bytes(32)
        self.tag = secrets.token_bytes(16)
        self.seq = 0
        self.tcp_sent = 0
        self.game_udp = None
        self.callbacks = []
        self.consumed = 0
        tmp = handshake + ".tmp"
        with open(tmp, "w") as f:
            f.write("kettle-agent 1 %d %d %s\n" % (self.tcp.getsockname()[1], self.udp.getsockname()[1], self.token.hex()))
        os.chmod(tmp, 0o600)
        os.rename(tmp, handshake)

    def recv_exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.conn.recv(n - len(out))
            if not chunk:
                raise EOFError
            out += chunk
        return out

    def send_tcp(self, kind, *payload):
        body = enc([kind, self.seq, self.tcp_sent] + list(payload))
        self.seq += 1
        self.tcp_sent += 1
        self.conn.sendall(struct.pack("<I", len(body)) + body)

    def make_udp(self, kind, *payload):
        d = self.tag + enc([kind, self.seq, self.tcp_sent] + list(payload))
        self.seq += 1
        return d

    def read_game_udp(self):
        """Handles every datagram waiting from the game (SEND, HELLO, CONSUMED)."""
        self.udp.setblocking(False)
        try:
            while True:
                d, addr = self.udp.recvfrom(2048)
                if d[:16] != self.tag:
                    continue
                msg, _ = dec(d, 16)
                if msg[0] == 4:
                    self.game_udp = addr
                elif msg[0] == 5:
                    self.consumed = msg[3]
                elif msg[0] == 2 and msg[3] == STEAM_ID:
                    self.udp.sendto(self.make_udp(2, STEAM_ID, msg[6], msg[4]), self.game_udp)
        except BlockingIOError:
            pass
        self.udp.setblocking(True)

    def next_game_message(self):
        (n,) = struct.unpack("<I", self.recv_exact(4))
        msg, _ = dec(self.recv_exact(n))
        self.read_game_udp()
        return msg

    def burst(self, n):
        delivered = []
        held = None
        for i in range(n):
            data = ("burst %d" % i).encode()
            if i % 3 == 2:
                if held is not None:  # a swapped datagram goes out before the TCP message
                    self.udp.sendto(held, self.game_udp)
                    held = None
                self.send_tcp(2, STEAM_ID, 0, data)
                self.callbacks.append(["persona_state_change", [STEAM_ID, i]])
                delivered.append(i)
                continue
            d = self.make_udp(2, STEAM_ID, 0, data)
            if i % 7 == 3:
                continue  # lost
            delivered.append(i)
            if i % 5 == 0 and held is None:
                held = d  # sent after the next one: reordered
                continue
            self.udp.sendto(d, self.game_udp)
            if held is not None:
                self.udp.sendto(held, self.game_udp)
                held = None
        if held is not None:
            self.udp.sendto(held, self.game_udp)
        return delivered

    def serve_call(self, name, args):
        if name in ("steamInitEx", "steamInit"):
            return {"status": 0 if name == "steamInitEx" else 1, "verbal": "lossy_agent"}, ""
        if name == "getSteamID":
            return STEAM_ID, ""
        if name == "getPersonaName":
            return "lossy", ""
        if name == "loggedOn":
            return True, ""
        if name == "kettleTestBurst":
            return self.burst(args[0]), ""
        if name == "kettleTestConsumed":
            self.read_game_udp()
            return self.consumed, ""
        if name == "sendP2PPacket":
            if args[0] == STEAM_ID:
                self.send_tcp(2, STEAM_ID, args[3], args[1])
            return True, ""
        if name == "kettleTestExit":
            raise SystemExit(0)  # gone without a reply, as a crashed agent would be
        if name == "run_callbacks":
            pending, self.callbacks = self.callbacks, []
            for signal, cb_args in pending:
                self.send_tcp(3, signal, cb_args)
                while True:
                    m = self.next_game_message()
                    if m[0] == 3:
                        break
                    if m[0] == 1:
                        result, err = self.serve_call(m[3], m[4])
                        self.send_tcp(1, result, err)
            return None, ""
        return None, "Steam.%s: not provided by lossy_agent" % name

    def run(self):
        self.conn, _ = self.tcp.accept()
        self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        hello = self.recv_exact(40)
        if hello[:4] != b"KTLA" or hello[4] != 1 or hello[5] != 3 or hello[8:] != self.token:
            return 1
        self.send_tcp(4, self.tag, "lossy_agent")
        d, self.game_udp = self.udp.recvfrom(2048)  # the game's HELLO
        while True:
            try:
                m = self.next_game_message()
            except EOFError:
                return 0
            if m[0] == 1:
                result, err = self.serve_call(m[3], m[4])
                self.send_tcp(1, result, err)


def main():
    args = sys.argv[1:]
    handshake = args[args.index("--handshake-file") + 1]
    return Agent(handshake).run()


if __name__ == "__main__":
    sys.exit(main())
