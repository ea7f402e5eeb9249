#!/usr/bin/env python3
# Writes the DEFLATE/PNG fixtures of Tests/CLITests/PNGFixtures.swift (base64, one static per case;
# the file wraps them in multi-line literals). Run once; the tests compare with formulas.
import zlib, struct, base64
def data():
    return bytes(((i * 7 + i // 13) % 251) for i in range(1200)) + b"jobs report " * 50
d = data()
cases = {}
for name, level, strategy in [("stored", 0, zlib.Z_DEFAULT_STRATEGY), ("fixed", 6, zlib.Z_FIXED), ("dynamic", 9, zlib.Z_DEFAULT_STRATEGY), ("huffmanOnly", 6, zlib.Z_HUFFMAN_ONLY)]:
    c = zlib.compressobj(level, zlib.DEFLATED, 15, 9, strategy)
    z = c.compress(d) + c.flush()
    cases[name] = base64.b64encode(z).decode()
    # check block type of first block
    print(name, len(z), (z[2] >> 1) & 3)
def pixel(x, y):
    return ((x * 37 + y * 11) % 256, (x * 5 + y * 91) % 256, (x * x + y) % 256)
def png(w, h, channels):
    rows = []
    prev = [0] * (w * channels)
    for y in range(h):
        cur = []
        for x in range(w):
            r, g, b = pixel(x, y)
            cur += [r, g, b] + ([(x * 3 + y) % 256] if channels == 4 else [])
        f = y % 5
        out = []
        for i, v in enumerate(cur):
            left = cur[i - channels] if i >= channels else 0
            up = prev[i] if y > 0 else 0
            ul = prev[i - channels] if (y > 0 and i >= channels) else 0
            if f == 0: p = 0
            elif f == 1: p = left
            elif f == 2: p = up
            elif f == 3: p = (left + up) // 2
            else:
                e = left + up - ul
                dl, du, dul = abs(e - left), abs(e - up), abs(e - ul)
                p = left if (dl <= du and dl <= dul) else (up if du <= dul else ul)
            out.append((v - p) & 255)
        rows.append(bytes([f]) + bytes(out))
        prev = cur
    raw = b"".join(rows)
    def chunk(t, b): return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b) & 0xffffffff)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 6 if channels == 4 else 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
cases["pngRGB"] = base64.b64encode(png(7, 10, 3)).decode()
cases["pngRGBA"] = base64.b64encode(png(9, 6, 4)).decode()
with open("fixtures.swift", "w") as f:
    for k, v in cases.items():
        f.write(f'    static let {k} = "{v}"\n')
print({k: len(v) for k, v in cases.items()})
