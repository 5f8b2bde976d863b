#!/usr/bin/env python3
"""Make fixed-9x18.hex from X11's misc-fixed 9x18 (ISO10646-1, public domain).

Usage: subset.py 9x18.bdf > fixed-9x18.hex
(9x18.bdf: `pcf2bdf` of /usr/share/fonts/X11/misc/9x18.pcf.gz from Debian's xfonts-base.)

Each output line is `XXXX:` then 18 rows of 4 hex digits, one glyph cell of 9x18 pixels,
the row's leftmost pixel in the top bit. Glyphs are placed in the cell by the font's
ascent and their bounding box, so every glyph fills the same cell the terminal would give it.
Only the blocks the TUI can draw are kept (Latin, Greek, punctuation, arrows, mathematical
operators, technical symbols, box drawing, blocks, geometric shapes, braille)."""
import sys

KEEP = [(0x20, 0x7E), (0xA0, 0x17F), (0x300, 0x36F), (0x370, 0x3FF), (0x2000, 0x23FF), (0x2500, 0x26FF), (0x27C0, 0x27EF), (0x2800, 0x28FF)]
W, H = 9, 18

def main(path):
    lines = open(path, encoding="latin-1").read().splitlines()
    ascent = next(int(l.split()[1]) for l in lines if l.startswith("FONT_ASCENT"))
    i, out = 0, []
    while i < len(lines):
        if not lines[i].startswith("STARTCHAR"):
            i += 1
            continue
        enc = bbx = None
        j = i + 1
        while not lines[j].startswith("BITMAP"):
            k = lines[j].split()
            if k[0] == "ENCODING":
                enc = int(k[1])
            elif k[0] == "BBX":
                bbx = tuple(int(v) for v in k[1:5])
            j += 1
        rows = []
        j += 1
        while not lines[j].startswith("ENDCHAR"):
            rows.append(int(lines[j], 16))
            j += 1
        i = j + 1
        if enc is None or not any(a <= enc <= b for a, b in KEEP):
            continue
        w, h, xo, yo = bbx
        nbytes = (w + 7) // 8
        cell = [0] * H
        top = ascent - (h + yo)
        for r, bits in enumerate(rows):
            y = top + r
            if not 0 <= y < H:
                continue
            for x in range(w):
                if bits >> (nbytes * 8 - 1 - x) & 1:
                    px = xo + x
                    if 0 <= px < W:
                        cell[y] |= 1 << (15 - px)
        out.append("%04X:%s" % (enc, "".join("%04X" % c for c in cell)))
    sys.stdout.write("\n".join(out) + "\n")

main(sys.argv[1])
