#!/usr/bin/env python3
"""Seeds of fuzz_arm64_image: arm64 Image files with hand-made headers
(Documentation/arch/arm64/booting.rst), each good or breaking one rule:
    tests/fuzz/make-arm64-image-seeds.py DIR
"""
import os
import struct
import sys

MAGIC = 0x644D5241  # "ARM\x64"
FLAGS_4K = 1 << 1   # little-endian, 4 KiB pages


def image(text_offset, image_size, flags, payload=4096, magic=MAGIC):
    # code0/code1, text_offset, image_size, flags, res2..res4, magic, res5
    head = struct.pack("<IIQQQQQQII", 0x14000010, 0, text_offset, image_size, flags,
                       0, 0, 0, magic, 0)
    body = bytes((k * 37 + 11) & 0xFF for k in range(payload))
    return head + body


seeds = {
    "good-4k": image(0, 0x10000, FLAGS_4K),
    "good-text-offset": image(0x80000, 0x20000, FLAGS_4K),
    "good-old-no-size": image(0x80000, 0, 0),
    "big-endian": image(0, 0x10000, FLAGS_4K | 1),
    "pages-16k": image(0, 0x10000, 2 << 1),
    "pages-64k": image(0, 0x10000, 3 << 1),
    "text-offset-unaligned": image(0x80001, 0x10000, FLAGS_4K),
    "image-size-below-file": image(0, 16, FLAGS_4K),
    "image-size-huge": image(0, 0xFFFFFFFFFFFF0000, FLAGS_4K),
    "text-offset-huge": image(0xFFFFFFFFFFF00000, 0x10000, FLAGS_4K),
    "sum-wraps": image(0x8000000000000000, 0x8000000000001000, FLAGS_4K),
    "too-big-for-ram": image(0, 63 << 20, FLAGS_4K),
    "no-magic": image(0, 0x10000, FLAGS_4K, magic=0x5A4D),
    "header-only": image(0, 0, FLAGS_4K, payload=0),
    "cut-short": image(0, 0x10000, FLAGS_4K)[:40],
}
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
