"""Small files of each kind WeCom accepts, made in code: the emulator's demo library and the
tests use them (no binary files in the repository)."""

import struct
import zlib


def png(width: int = 200, height: int = 160, colour=(11, 125, 255), stripe=(255, 255, 255)):
    """A real PNG picture: `colour` with a diagonal band of `stripe`."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            on_band = abs(x - y * width / height) < width / 8
            row += bytes(stripe if on_band else colour)
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def jpeg_header(size: int = 2048) -> bytes:
    """Bytes that start as a JPEG does (JFIF), padded to `size`: enough for type checks."""
    head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return head + b"\x00" * max(0, size - len(head) - 2) + b"\xff\xd9"


def mp4(size: int = 4096) -> bytes:
    """Bytes that start as an MP4 does (an ftyp box, brand isom), padded to `size`."""
    ftyp = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2"
    free = struct.pack(">I", max(8, size - len(ftyp))) + b"free"
    return (ftyp + free).ljust(size, b"\x00")


def pdf(text: str = "Sidebar sample") -> bytes:
    """A one-page PDF with a line of text."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
