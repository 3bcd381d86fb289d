# Turns a native vector file of format version 2 into version 1 (no checksums, rows at the old offset).
import sys, struct
b = open(sys.argv[1], 'rb').read()
assert b[:8] == b'WPVECTRS' and struct.unpack('<I', b[8:12])[0] == 2
jl, mo = struct.unpack('<QQ', b[24:40])
json = b[48:48+jl]
off = (40 + jl + 63)//64*64
out = b[:8] + struct.pack('<I', 1) + b[12:32] + struct.pack('<Q', off) + json + bytes(off - 40 - jl) + b[mo:]
open(sys.argv[2], 'wb').write(out)
