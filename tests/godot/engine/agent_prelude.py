#!/usr/bin/env python3
"""Stands between the Steam autoload and the real kettle-agent (KETTLE_REAL_AGENT) to put garbage
on the agent's ports *before* the game connects, which a separate process cannot time reliably:

  1. starts the real agent with the same arguments, but with its handshake file renamed, so the
     game keeps waiting;
  2. reads the ports from that file (not the token) and opens TCP connections that send random
     bytes, a hello with the wrong token, and 0xff bytes, plus one that stays silent; sends garbage
     datagrams to the UDP port;
  3. waits until the agent has closed the three noisy connections (deadline 10 s);
  4. hands the handshake file to the game under its real name, so the game connects while the
     silent connection is still open, and the agent must serve the game anyway;
  5. prints `PRELUDE ...` (into the game's output) and lives as long as the agent.

Used by bad_input.sh (the game's "connect" part of bad_input.gd).
"""
import os
import random
import socket
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    real = os.environ["KETTLE_REAL_AGENT"]
    i = args.index("--handshake-file")
    handshake = args[i + 1]
    early = handshake + ".early"
    args[i + 1] = early
    agent = subprocess.Popen([real] + args)

    deadline = time.monotonic() + 15
    while not os.path.exists(early):
        if agent.poll() is not None or time.monotonic() > deadline:
            print("PRELUDE FAIL: no handshake file from kettle-agent", file=sys.stderr, flush=True)
            agent.kill()
            return 1
        time.sleep(0.002)  # the agent gives no other signal than the file
    with open(early) as f:
        words = f.read().split()
    tcp_port, udp_port = int(words[2]), int(words[3])

    rng = random.Random(11)
    noisy = []
    dropped = 0
    for data in (rng.randbytes(200), b"KTLA" + bytes([1, 3, 0, 0]) + rng.randbytes(32), b"\xff" * 5000):
        c = socket.create_connection(("127.0.0.1", tcp_port), timeout=10)
        try:
            c.sendall(data)
            noisy.append(c)
        except (ConnectionResetError, BrokenPipeError):  # dropped before all of it went out
            dropped += 1
            c.close()
    silent = socket.create_connection(("127.0.0.1", tcp_port), timeout=10)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for n in (0, 1, 16, 17, 200, 1400):
        u.sendto(rng.randbytes(n), ("127.0.0.1", udp_port))
    u.close()

    for c in noisy:  # the agent closes each: EOF or a reset, well before the 10 s timeout
        try:
            while c.recv(4096):
                pass
            dropped += 1
        except ConnectionResetError:
            dropped += 1
        except socket.timeout:
            pass
        c.close()

    os.rename(early, handshake)
    print("PRELUDE tcp=%d udp=%d noisy_dropped=%d silent_open=1" % (tcp_port, udp_port, dropped),
          file=sys.stderr, flush=True)
    rc = agent.wait()
    silent.close()
    return rc


if __name__ == "__main__":
    sys.exit(main())
