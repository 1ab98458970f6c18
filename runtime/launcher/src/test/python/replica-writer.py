#!/usr/bin/env python3
"""Writes to an NBD export one request at a time and logs each one, so a test can tell afterwards which writes
were acknowledged, which failed and which FLUSHes completed, and so what a replica must hold.

Every write is one block at a random block number; its bytes name the block and the write's sequence number
(little-endian, 8 bytes each, then filler). Log lines (appended and flushed one by one):
  S <seq> <block>            a write was submitted
  A <seq>                    it completed OK
  X <seq>                    it failed
  F <seq> <t0> <t1>          a FLUSH submitted after write <seq> completed OK (epoch seconds at submit, at completion)
  FX <seq>                   a FLUSH failed
Runs until the stop file appears or the connection dies (the primary was killed); exits 0 either way.
"""
import argparse
import random
import sys
import os
import time

import nbd


def content(block, seq, size):
    head = block.to_bytes(8, "little") + seq.to_bytes(8, "little")
    return head + bytes([(block + seq) & 0xFF]) * (size - 16)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("uri")
    p.add_argument("log")
    p.add_argument("--block", type=int, default=4096)
    p.add_argument("--blocks", type=int, default=1024)
    p.add_argument("--flush-every", type=int, default=8)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--stop-file")
    a = p.parse_args()
    rand = random.Random(a.seed)
    h = nbd.NBD()
    h.connect_uri(a.uri)
    with open(a.log, "a", buffering=1) as log:
        seq = 0
        while not (a.stop_file and os.path.exists(a.stop_file)):
            seq += 1
            block = rand.randrange(a.blocks)
            log.write("S %d %d\n" % (seq, block))
            try:
                h.pwrite(content(block, seq, a.block), block * a.block)
                log.write("A %d\n" % seq)
            except nbd.Error as e:
                log.write("X %d\n" % seq)
                if h.aio_is_dead() or h.aio_is_closed():
                    return 0   # the connection is gone: the primary died
                time.sleep(0.01)
                continue
            if seq % a.flush_every == 0:
                t0 = time.time()
                try:
                    h.flush()
                    log.write("F %d %.6f %.6f\n" % (seq, t0, time.time()))
                except nbd.Error:
                    log.write("FX %d\n" % seq)
                    if h.aio_is_dead() or h.aio_is_closed():
                        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
