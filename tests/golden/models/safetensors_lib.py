"""A minimal safetensors writer for the model golden generators (the `safetensors` package is not
installed here, and the format is simple): 8-byte little-endian header length, a JSON header
{name: {dtype, shape, data_offsets}}, padded with spaces to 8 bytes as Hugging Face's writer does,
then the raw little-endian data in the order of the header's offsets."""
import json
import struct

import torch

_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.int64: "I64",
           torch.int32: "I32", torch.bool: "BOOL"}


def save_file(tensors, path, metadata=None):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        data = t.numpy().tobytes()
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
