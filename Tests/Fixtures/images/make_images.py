#!/usr/bin/env python3
"""Writes the image fixtures of the decoder tests, with the RGB pixels each must decode to.

PNGs are encoded here from scratch (zlib and struct, every colour type and bit depth, one
Adam7-interlaced), so their expected pixels follow from construction and the rules of
tf.io.decode_png(channels=3): palette looked up, gray replicated, 1/2/4-bit samples scaled to
8 bits, 16-bit samples reduced to their high byte, alpha dropped. JPEGs are encoded and decoded
with Pillow (libjpeg-turbo, accurate integer IDCT, fancy upsampling, which are libjpeg's and
TensorFlow's defaults). Expected pixels go to NAME.rgb.npy, uint8, shape (H, W, 3).

Usage: make_images.py (writes into its own folder; needs numpy, and Pillow for the JPEGs)
"""
import os
import struct
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
W, H = 23, 17


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_row(samples, depth):
    """Samples of one row as bytes: big-endian 16-bit, bytes, or bits packed from the left."""
    if depth == 16:
        return b"".join(struct.pack(">H", int(v)) for v in samples)
    if depth == 8:
        return bytes(int(v) for v in samples)
    out, acc, bits = bytearray(), 0, 0
    for v in samples:
        acc = (acc << depth) | int(v)
        bits += depth
        if bits == 8:
            out.append(acc)
            acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png(samples, color_type, depth, palette=None, trns=None, interlace=False):
    """samples: (H, W, channels) array of raw sample values."""
    h, w = samples.shape[:2]
    flat = samples.reshape(h, w, -1)
    raw = b""
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        rows = range(y0, h, dy)
        cols = list(range(x0, w, dx))
        if not cols:
            continue
        for y in rows:
            raw += b"\x00" + pack_row(flat[y, cols].reshape(-1), depth)  # filter type 0
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, int(interlace)))
    if palette is not None:
        data += chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).reshape(-1)))
    if trns is not None:
        data += chunk(b"tRNS", trns)
    return data + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def pattern(maximum, channels, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, maximum + 1, size=(H, W, channels))


def save(name, data, expected):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    np.save(os.path.join(HERE, name + ".rgb.npy"), np.ascontiguousarray(expected, dtype=np.uint8))


def eight_bit(samples, depth):
    if depth == 16:
        return samples >> 8
    return samples * (255 // ((1 << depth) - 1))


def main():
    seed = 0
    for depth in [1, 2, 4, 8, 16]:
        s = pattern((1 << depth) - 1, 1, seed := seed + 1)
        save(f"gray{depth}.png", png(s, 0, depth), np.repeat(eight_bit(s, depth), 3, axis=2))
    for depth in [8, 16]:
        s = pattern((1 << depth) - 1, 2, seed := seed + 1)
        save(f"gray-alpha{depth}.png", png(s, 4, depth), np.repeat(eight_bit(s[..., :1], depth), 3, axis=2))
        s = pattern((1 << depth) - 1, 3, seed := seed + 1)
        save(f"rgb{depth}.png", png(s, 2, depth), eight_bit(s, depth))
        s = pattern((1 << depth) - 1, 4, seed := seed + 1)
        save(f"rgba{depth}.png", png(s, 6, depth), eight_bit(s[..., :3], depth))
    for depth in [1, 2, 4, 8]:
        entries = 1 << depth
        palette = np.random.default_rng(seed := seed + 1).integers(0, 256, size=(entries, 3))
        s = pattern(entries - 1, 1, seed := seed + 1)
        trns = bytes(range(0, 256, 256 // entries))[:entries] if depth == 4 else None
        save(f"palette{depth}.png", png(s, 3, depth, palette=palette, trns=trns), palette[s[..., 0]])
    s = pattern(255, 3, seed := seed + 1)
    save("rgb8-interlaced.png", png(s, 2, 8, interlace=True), s)
    # The tiny Mixer's input size: classify's resize is the identity on it.
    s = np.random.default_rng(seed := seed + 1).integers(0, 256, size=(64, 64, 3))
    save("rgb64.png", png(s, 2, 8), s)

    from PIL import Image  # JPEGs only
    y, x = np.mgrid[0:H * 3, 0:W * 3]
    photo = np.stack([(x * 255 // (W * 3)), (y * 255 // (H * 3)), ((x + y) * 7) % 256], axis=2).astype(np.uint8)
    for name, options, mode in [("baseline444.jpg", {"subsampling": 0}, "RGB"),
                                ("baseline420.jpg", {"subsampling": 2}, "RGB"),
                                ("progressive420.jpg", {"subsampling": 2, "progressive": True}, "RGB"),
                                ("progressive-gray.jpg", {"progressive": True}, "L")]:
        image = Image.fromarray(photo if mode == "RGB" else photo[..., 0], mode)
        path = os.path.join(HERE, name)
        image.save(path, quality=90, **options)
        decoded = np.asarray(Image.open(path).convert("RGB"))
        np.save(path + ".rgb.npy", decoded)
    Image.fromarray(photo, "RGB").convert("CMYK").save(os.path.join(HERE, "cmyk.jpg"), quality=90)


if __name__ == "__main__":
    main()
