#!/usr/bin/env python3
"""A verifying NBD load: random 4 KiB writes (some FUA), reads that check every byte against a model of what
was acknowledged, and FLUSHes, at a fixed queue depth over one libnbd connection. It runs until a stop file
appears or a time limit passes, drains, reads back every block it wrote, and prints one JSON report:
operation counts, errors, verify failures and client latency percentiles (p50, p99, p99.9, max).

Exit code: 0 when every request succeeded and every byte verified, 1 otherwise, 2 when it could not start.

Rules that keep the model exact: a block never has two requests in flight at once, and a read only checks a
block whose last write was acknowledged before the read was issued. Blocks never written are not checked
(the disk may hold older data).
"""
import argparse
import json
import os
import random
import sys
import time

try:
    import nbd
except ImportError:
    sys.stderr.write("nbd-verify-load: the libnbd Python binding is missing (Debian: python3-libnbd)\n")
    sys.exit(2)

POOL = random.Random(20261205).randbytes(1 << 16)


def expected(block, gen, size):
    """The bytes of write number `gen` to `block`: a header naming both, then filler that depends on them."""
    head = block.to_bytes(8, "little") + gen.to_bytes(8, "little")
    start = (block * 7919 + gen * 104729) % (len(POOL) - size)
    return head + POOL[start:start + size - 16]


def percentile(sorted_values, p):
    if not sorted_values:
        return 0
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


class Load:
    def __init__(self, args):
        self.args = args
        self.h = nbd.NBD()
        self.h.connect_uri(args.uri)
        size = self.h.get_size()
        span = min(size, args.span) if args.span else size
        self.bs = args.block
        self.blocks = span // self.bs
        if self.blocks < args.depth * 2:
            raise SystemExit("nbd-verify-load: the export (%d bytes) is too small for depth %d" % (size, args.depth))
        self.rand = random.Random(args.seed)
        self.committed = [0] * self.blocks   # last acknowledged generation per block
        self.busy = bytearray(self.blocks)   # 1 while a request on the block is in flight
        self.next_gen = 1
        self.lat = {"read": [], "write": [], "flush": []}
        self.errors = []
        self.error_count = 0
        self.verify_failures = []
        self.verify_count = 0
        self.writes_since_flush = 0
        self.worst = []  # (latency_ns, kind, issued_at_s)
        self.t0 = time.monotonic_ns()

    # -- completions --------------------------------------------------------------------------------
    def _done(self, kind, t_issue, err):
        lat = time.monotonic_ns() - t_issue
        self.lat[kind].append(lat)
        if len(self.worst) < 5 or lat > self.worst[-1][0]:
            self.worst.append((lat, kind, round((t_issue - self.t0) / 1e9, 3)))
            self.worst.sort(reverse=True)
            del self.worst[5:]
        if err.value != 0:
            self.error_count += 1
            if len(self.errors) < 10:
                self.errors.append("%s failed: %s" % (kind, os.strerror(err.value)))
            return False
        return True

    def _write_done(self, block, gen, buf, t_issue, err):
        if self._done("write", t_issue, err):
            self.committed[block] = gen
        self.busy[block] = 0
        self.writes_since_flush += 1
        return 1

    def _read_done(self, block, gen, buf, t_issue, err):
        if self._done("read", t_issue, err) and gen > 0:
            self._check(block, gen, buf)
        self.busy[block] = 0
        return 1

    def _flush_done(self, t_issue, err):
        self._done("flush", t_issue, err)
        return 1

    def _check(self, block, gen, buf):
        got = bytes(buf.to_bytearray())
        want = expected(block, gen, self.bs)
        if got != want:
            self.verify_count += 1
            if len(self.verify_failures) < 10:
                g = int.from_bytes(got[8:16], "little")
                b = int.from_bytes(got[0:8], "little")
                self.verify_failures.append("block %d: expected write #%d, found header block %d write #%d"
                                            % (block, gen, b, g))

    # -- issuing ------------------------------------------------------------------------------------
    def _free_block(self):
        while True:
            b = self.rand.randrange(self.blocks)
            if not self.busy[b]:
                return b

    def _issue(self):
        if self.writes_since_flush >= self.args.flush_every:
            self.writes_since_flush = 0
            t = time.monotonic_ns()
            self.h.aio_flush(completion=lambda err, t=t: self._flush_done(t, err))
            return
        b = self._free_block()
        self.busy[b] = 1
        t = time.monotonic_ns()
        if self.rand.randrange(100) < self.args.write_percent:
            gen = self.next_gen
            self.next_gen += 1
            buf = nbd.Buffer.from_bytearray(bytearray(expected(b, gen, self.bs)))
            flags = nbd.CMD_FLAG_FUA if self.rand.randrange(100) < self.args.fua_percent else 0
            self.h.aio_pwrite(buf, b * self.bs, flags=flags,
                              completion=lambda err, b=b, g=gen, buf=buf, t=t: self._write_done(b, g, buf, t, err))
        else:
            gen = self.committed[b]
            buf = nbd.Buffer(self.bs)
            self.h.aio_pread(buf, b * self.bs,
                             completion=lambda err, b=b, g=gen, buf=buf, t=t: self._read_done(b, g, buf, t, err))

    def run(self):
        deadline = time.monotonic() + self.args.seconds
        check_every = 0
        while True:
            check_every += 1
            if check_every >= 256:
                check_every = 0
                if time.monotonic() > deadline or (self.args.stop_file and os.path.exists(self.args.stop_file)):
                    break
            while self.h.aio_in_flight() < self.args.depth:
                self._issue()
            self.h.poll(-1)
        while self.h.aio_in_flight() > 0:
            self.h.poll(-1)
        elapsed = (time.monotonic_ns() - self.t0) / 1e9
        ops = sum(len(v) for v in self.lat.values())
        all_lat = sorted(v for l in self.lat.values() for v in l)
        counts = {k: len(v) for k, v in self.lat.items()}
        worst = list(self.worst)
        verified = self._final_verify()
        report = {
            "uri": self.args.uri,
            "seconds": round(elapsed, 3),
            "depth": self.args.depth,
            "ops": ops,
            "iops": round(ops / elapsed) if elapsed > 0 else 0,
            "reads": counts["read"],
            "writes": counts["write"],
            "flushes": counts["flush"],
            "errors": self.error_count,
            "firstErrors": self.errors,
            "verifyFailures": self.verify_count,
            "firstVerifyFailures": self.verify_failures,
            "finalVerifiedBlocks": verified,
            "latencyMicros": {
                "p50": round(percentile(all_lat, 50) / 1000, 1),
                "p99": round(percentile(all_lat, 99) / 1000, 1),
                "p99.9": round(percentile(all_lat, 99.9) / 1000, 1),
                "max": round((all_lat[-1] if all_lat else 0) / 1000, 1),
            },
            "worst": [{"micros": round(l / 1000, 1), "op": k, "atSecond": at} for (l, k, at) in worst],
        }
        return report

    def _final_verify(self):
        """Read back every block written and check it against the last acknowledged write."""
        written = [b for b in range(self.blocks) if self.committed[b] > 0]
        i = 0
        while i < len(written) or self.h.aio_in_flight() > 0:
            while i < len(written) and self.h.aio_in_flight() < self.args.depth:
                b = written[i]
                i += 1
                buf = nbd.Buffer(self.bs)
                t = time.monotonic_ns()
                self.busy[b] = 1
                self.h.aio_pread(buf, b * self.bs, completion=lambda err, b=b, buf=buf, t=t:
                                 self._read_done(b, self.committed[b], buf, t, err))
            self.h.poll(-1)
        return len(written)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("uri", help="NBD URI of the export, e.g. nbd+unix:///disk?socket=/path/nbd.sock")
    p.add_argument("--depth", type=int, default=16, help="requests in flight (default 16)")
    p.add_argument("--block", type=int, default=4096, help="request size in bytes (default 4096)")
    p.add_argument("--span", type=int, default=0, help="use only the first SPAN bytes of the export (default all)")
    p.add_argument("--write-percent", type=int, default=50, help="share of WRITEs among reads and writes")
    p.add_argument("--fua-percent", type=int, default=10, help="share of writes sent with FUA")
    p.add_argument("--flush-every", type=int, default=64, help="a FLUSH after this many write completions")
    p.add_argument("--seconds", type=float, default=30, help="run at most this long (default 30)")
    p.add_argument("--stop-file", help="stop as soon as this file exists")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    try:
        load = Load(args)
    except nbd.Error as e:
        sys.stderr.write("nbd-verify-load: cannot connect to %s: %s\n" % (args.uri, e))
        return 2
    report = load.run()
    print(json.dumps(report, indent=2))
    return 0 if report["errors"] == 0 and report["verifyFailures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
