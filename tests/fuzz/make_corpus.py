#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into corpus/<target>/: small valid files and one of each
kind of damage the readers must refuse. Run it again after changing it; the files are committed."""

import gzip
import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def idx(dims, payload=None, element_type=0x08, magic=b"\0\0"):
    count = 1
    for d in dims:
        count *= d
    if payload is None:
        payload = bytes(i * 37 % 256 for i in range(count))
    return magic + bytes([element_type, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


def safetensors(tensors, metadata=None, header_override=None, length_override=None, pad=True):
    header, data, offset = {}, b"", 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, shape, values in tensors:
        raw = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    text = header_override if header_override is not None else json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    length = len(text) if length_override is None else length_override
    return struct.pack("<Q", length) + text + data


def write(target, name, content):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(content)


idx_files = {
    "valid_1d": idx([10]),
    "valid_2d": idx([3, 5]),
    "valid_3d_images": idx([2, 4, 4]),
    "valid_4d": idx([1, 2, 2, 3]),
    "empty": b"",
    "short_header": b"\0\0\x08",
    "bad_magic": idx([4], magic=b"\x12\x34"),
    "float_elements": idx([2], payload=b"\0" * 8, element_type=0x0D),
    "zero_dimensions": b"\0\0\x08\0",
    "five_dimensions": idx([1, 1, 1, 1, 1]),
    "zero_dimension": idx([0, 3], payload=b""),
    "huge_dimensions": idx([0xFFFFFFFF, 0xFFFFFFFF], payload=b"\1\2\3"),
    "truncated_dims": idx([3, 5])[:9],
    "truncated_payload": idx([3, 5])[:-4],
    "trailing_bytes": idx([3, 5]) + b"\xAA\xBB",
}
for name, content in idx_files.items():
    write("idx_fuzz", name + ".idx", content)
valid_gz = gzip.compress(idx([3, 5]), mtime=0)
write("idx_fuzz", "valid_2d.idx.gz", valid_gz)
write("idx_fuzz", "valid_3d_images.idx.gz", gzip.compress(idx([2, 4, 4]), mtime=0))
write("idx_fuzz", "truncated.idx.gz", valid_gz[:-6])
write("idx_fuzz", "bad_crc.idx.gz", valid_gz[:-8] + bytes([valid_gz[-8] ^ 1]) + valid_gz[-7:])
write("idx_fuzz", "corrupt_deflate.idx.gz", valid_gz[:12] + b"\xFF\xFF" + valid_gz[14:])
write("idx_fuzz", "gzip_of_garbage.gz", gzip.compress(b"not an idx file", mtime=0))
write("idx_fuzz", "gzip_magic_only.gz", b"\x1f\x8b")

# idx_gzip_fuzz: a control byte (damage: 0 none, 1 cut, 2 flip a byte, 3 append 2 bytes), a 2-byte
# position, then the uncompressed file.
for name, content in idx_files.items():
    write("idx_gzip_fuzz", name + ".intact", b"\0\0\0" + content)
write("idx_gzip_fuzz", "valid_2d.cut", b"\1\0\x10" + idx_files["valid_2d"])
write("idx_gzip_fuzz", "valid_2d.flipped", b"\2\0\x05" + idx_files["valid_2d"])
write("idx_gzip_fuzz", "valid_2d.appended", b"\3\x1f\x8b" + idx_files["valid_2d"])

two = [("encoder.0.kernel", [2, 3], [0.5, -1, 2, 3, 4.25, -0.0]), ("encoder.0.bias", [3], [1, 2, 3])]
safetensors_files = {
    "valid_two_tensors": safetensors(two),
    "valid_with_metadata": safetensors(two, metadata={"epoch": "3", "loss": "0.25"}),
    "valid_scalar_and_empty": safetensors([("s", [], [7.0]), ("e", [0, 4], [])]),
    "valid_unpadded": safetensors([("w", [2], [1, 2])], pad=False),
    "empty": b"",
    "short_length": b"\x08\0\0",
    "length_past_end": safetensors(two, length_override=1 << 20),
    "length_over_limit": safetensors(two, length_override=1 << 40),
    "malformed_json": safetensors(two, header_override=b'{"w":{"dtype":"F32",'),
    "not_an_object": safetensors([], header_override=b"[1, 2, 3]"),
    "duplicate_names": safetensors([("w", [1], [1])],
                                   header_override=b'{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                                   b'"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'),
    "dtype_f16": safetensors([("w", [2], [1, 2])],
                             header_override=b'{"w":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}'),
    "unknown_dtype": safetensors([("w", [2], [1, 2])],
                                 header_override=b'{"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}'),
    "offsets_past_end": safetensors([("w", [2], [1, 2])],
                                    header_override=b'{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}'),
    "overlapping": safetensors([("a", [1], [1]), ("b", [1], [2])],
                               header_override=b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                                               b'"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'),
    "gap": safetensors([("a", [1], [1]), ("b", [1], [2])],
                       header_override=b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                       b'"b":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}}'),
    "shape_mismatch": safetensors([("w", [2], [1, 2])],
                                  header_override=b'{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}'),
    "negative_shape": safetensors([("w", [2], [1, 2])],
                                  header_override=b'{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}'),
    "metadata_not_strings": safetensors([("w", [1], [1])], metadata={"epoch": 3}),
    # A whole-model file (Sequential::save) of Input(4), Dense(3, relu), Dense(4, sigmoid), Adam after one step.
    "valid_model": safetensors(
        [("0.kernel", [4, 3], [0.1] * 12), ("0.bias", [3], [0] * 3), ("1.kernel", [3, 4], [-0.2] * 12),
         ("1.bias", [4], [0] * 4), ("optimizer.first_moment", [31], [0.01] * 31),
         ("optimizer.second_moment", [31], [0.001] * 31)],
        metadata={"format": "pt", "framework": "smallnet", "smallnet_model": json.dumps({
            "format_version": 1,
            "model": {"class_name": "Sequential", "config": {"name": "small", "input_shape": [4]}, "children": [
                {"class_name": "InputLayer", "config": {"shape": [4], "trainable": True}},
                {"class_name": "Dense", "config": {
                    "units": 3, "activation": "relu", "negative_slope": 0.3, "use_bias": True,
                    "kernel_initializer": "glorot_uniform", "bias_initializer": "zeros", "kernel_regularizer": [0, 0],
                    "bias_regularizer": [0, 0], "activity_regularizer": [0, 0], "trainable": True}},
                {"class_name": "Dense", "config": {
                    "units": 4, "activation": "sigmoid", "negative_slope": 0.3, "use_bias": True,
                    "kernel_initializer": "glorot_uniform", "bias_initializer": "zeros", "kernel_regularizer": [0, 0],
                    "bias_regularizer": [0, 0], "activity_regularizer": [0, 0], "trainable": True}}]},
            "compile": {"loss": "mse", "reduction": "mean", "metrics": [], "precision": "fp32", "optimizer": {
                "class_name": "Adam", "config": {"learning_rate": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-07}},
                "optimizer_iterations": 1},
            "history": [{"epoch": 1, "loss": 0.08, "seconds": 0.01, "values": []}],
            "training": {"seed": 0, "batch_size": 32}}, separators=(",", ":"))}),
}
for name, content in safetensors_files.items():
    write("safetensors_fuzz", name + ".safetensors", content)

# Regression inputs (tests/nn/io_fuzz_regressions_test.cpp), kept so the fuzzer starts from them.
write("safetensors_fuzz", "regression_shape_overflow.safetensors",
      safetensors([], header_override=b'{"w":{"dtype":"F32","shape":[1099511627776,1099511627776,0],'
                                      b'"data_offsets":[0,0]}}', pad=False))
write("safetensors_fuzz", "regression_number_overflow.safetensors",
      safetensors([], header_override=b'{"w":{"dtype":"F32","shape":[109951162E776,1049755813888.0],'
                                      b'"data_ow":{"dty[0,0]}}', pad=False))


def code_file(code_size, bits, count, rows=28, columns=28, version=1, offsets=None, scales=None, fingerprint=0x1234ABCD,
              levels=None, crc=None, magic=b"SNCODES\n"):
    """A code file (nn/io/code_file.hpp): header, per-unit offsets and scales, bit-packed levels, CRC-32."""
    offsets = offsets if offsets is not None else [0.5 * u for u in range(code_size)]
    scales = scales if scales is not None else [0.25] * code_size
    if levels is None:
        levels = [(i * 7) % (1 << bits) for i in range(count * code_size)]
    head = magic + struct.pack("<IIIIIQI", version, code_size, bits, rows, columns, count, fingerprint)
    tables = struct.pack("<%df" % code_size, *offsets) + struct.pack("<%df" % code_size, *scales)
    payload = bytearray((count * code_size * bits + 7) // 8)
    bit = 0
    for level in levels:
        for b in range(bits):
            if level >> b & 1:
                payload[bit // 8] |= 1 << (bit % 8)
            bit += 1
    body = head + tables + bytes(payload)
    return body + struct.pack("<I", zlib.crc32(body) if crc is None else crc)


valid_code = code_file(4, 8, 3)
code_files = {
    "valid_8_bits": valid_code,
    "valid_3_bits": code_file(5, 3, 7),
    "valid_16_bits_one_unit": code_file(1, 16, 2),
    "valid_no_codes": code_file(2, 8, 0),
    "empty": b"",
    "short": valid_code[:20],
    "bad_magic": code_file(4, 8, 3, magic=b"SNCODEX\n"),
    "newer_version": code_file(4, 8, 3, version=2),
    "zero_code_size": code_file(0, 8, 3, offsets=[], scales=[]),
    "seventeen_bits": code_file(2, 17, 1, levels=[0, 0]),
    "zero_rows": code_file(4, 8, 3, rows=0),
    "huge_count": code_file(1, 8, 1) [:28] + struct.pack("<Q", 1 << 40) + code_file(1, 8, 1)[36:],
    "truncated": valid_code[:-5],
    "trailing_bytes": valid_code[:-4] + b"\0\0" + valid_code[-4:],
    "bad_crc": code_file(4, 8, 3, crc=0xDEADBEEF),
    "nan_scale": code_file(2, 8, 1, scales=[float("nan"), 1.0]),
    "negative_scale": code_file(2, 8, 1, scales=[-1.0, 1.0]),
}
for name, content in code_files.items():
    write("code_file_fuzz", name + ".codes", content)
