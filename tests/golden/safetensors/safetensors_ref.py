"""A stdlib-only safetensors reader/writer used to cross-check Ember's (no torch or safetensors
package needed).

  python3 safetensors_ref.py write OUT      writes the reference file (reference.safetensors)
  python3 safetensors_ref.py check FILE REF  exits 0 when FILE holds the same tensors and metadata
                                             as REF and follows the format's layout rules

The format: 8-byte little-endian header length N, N bytes of JSON header, then the data section;
each tensor's data_offsets are relative to the data section, which they must cover exactly.
"""
import json
import struct
import sys

ITEM = {"F32": 4, "F64": 8, "I32": 4, "I64": 8, "BOOL": 1, "F16": 2, "BF16": 2}
FMT = {"F32": "f", "F64": "d", "I32": "i", "I64": "q", "BOOL": "?", "F16": "e"}


def encode(dtype, values):
    if dtype == "BF16":  # the upper half of the float32 bits (values chosen to be exact in bf16)
        return b"".join(struct.pack("<I", struct.unpack("<I", struct.pack("<f", v))[0])[2:] for v in values)
    return struct.pack("<%d%s" % (len(values), FMT[dtype]), *values)


def decode(dtype, raw):
    n = len(raw) // ITEM[dtype]
    if dtype == "BF16":
        return [struct.unpack("<f", b"\0\0" + raw[2 * i:2 * i + 2])[0] for i in range(n)]
    return list(struct.unpack("<%d%s" % (n, FMT[dtype]), raw))


# (name, dtype, shape, values), in data order.
REFERENCE = [
    ("weight", "F32", [2, 3], [0.5, -1.25, 3.0, 0.001, -0.0, 65504.0]),
    ("bias", "F64", [3], [1.0 / 3.0, -2.5, 1e300]),
    ("ids", "I64", [4], [0, -1, 2 ** 40, -(2 ** 62)]),
    ("counts", "I32", [2, 2], [1, -2, 2 ** 31 - 1, -(2 ** 31)]),
    ("mask", "BOOL", [5], [True, False, True, True, False]),
    ("half", "F16", [3], [1.5, -0.0999755859375, 65504.0]),
    ("bf", "BF16", [2], [1.0, -3.140625]),
    ("scalar", "F32", [], [7.25]),
    ("empty", "F32", [0, 3], []),
]
METADATA = {"format": "pt", "note": "written by safetensors_ref.py"}


def write(path):
    header, blobs, offset = {}, [], 0
    for name, dtype, shape, values in REFERENCE:
        blob = encode(dtype, values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    header["__metadata__"] = METADATA
    # Keys sorted, so the header's key order differs from the data order.
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read(path):
    """-> ({name: (dtype, shape, values)}, metadata); raises ValueError on layout errors."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError("shorter than 8 bytes")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError("header length %d exceeds the file" % n)
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError("metadata must map strings to strings")
    spans, out = [], {}
    for name, info in header.items():
        dtype, shape, (b, e) = info["dtype"], info["shape"], info["data_offsets"]
        count = 1
        for d in shape:
            count *= d
        if e - b != count * ITEM[dtype]:
            raise ValueError("%s: offsets do not match shape" % name)
        spans.append((b, e, name))
        out[name] = (dtype, list(shape), decode(dtype, data[b:e]))
    pos = 0
    for b, e, name in sorted(spans):
        if b != pos:
            raise ValueError("%s: starts at %d, expected %d" % (name, b, pos))
        pos = e
    if pos != len(data):
        raise ValueError("tensors cover %d of %d data bytes" % (pos, len(data)))
    return out, metadata


def same(a, b):
    if a[0] != b[0] or a[1] != b[1] or len(a[2]) != len(b[2]):
        return False
    # Compare bit patterns through the encoding, so -0.0 and NaN count exactly.
    return encode(a[0], a[2]) == encode(b[0], b[2])


def check(path, ref):
    got, got_meta = read(path)
    want, want_meta = read(ref)
    problems = []
    if got_meta != want_meta:
        problems.append("metadata %r != %r" % (got_meta, want_meta))
    if sorted(got) != sorted(want):
        problems.append("names %r != %r" % (sorted(got), sorted(want)))
    for name in set(got) & set(want):
        if not same(got[name], want[name]):
            problems.append("%s: %r != %r" % (name, got[name], want[name]))
    if problems:
        print("\n".join(problems))
        return 1
    print("ok: %d tensors match" % len(got))
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    elif sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
