#!/usr/bin/env python3
"""embed.py INPUT OUTPUT NAME: write a C file defining `const char NAME[]` with INPUT's bytes."""
import sys

data = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "w") as out:
    out.write("/* generated from %s by tools/embed.py */\n" % sys.argv[1].split("/")[-1])
    out.write("const char %s[] = {\n" % sys.argv[3])
    for i in range(0, len(data), 16):
        out.write("  " + ", ".join("0x%02x" % b for b in data[i:i + 16]) + ",\n")
    out.write("  0x00\n};\n")
