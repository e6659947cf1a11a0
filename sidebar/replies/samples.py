"""Small files of each kind WeCom accepts, made in code: the emulator's demo library and the
tests use them (no binary files in the repository)."""

import io
import struct
import zlib

from PIL import Image


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


def jpeg(width: int = 200, height: int = 160, colour=(11, 125, 255)) -> bytes:
    """A real JPEG picture of one colour."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG", quality=85)
    return out.getvalue()


def box(kind: bytes, payload: bytes) -> bytes:
    """An ISO base media (MP4) box: its size, its four-letter type, its payload."""
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(size: int = 4096) -> bytes:
    """A file with an MP4's structure (ftyp brand isom, a moov with its mvhd, an mdat of
    `size` bytes in all): what the checks on save read. It holds no playable frames."""
    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
    identity = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = box(
        b"mvhd",
        struct.pack(">IIIII", 0, 0, 0, 1000, 1000)  # version/flags, times, timescale, duration
        + struct.pack(">IH", 0x10000, 0x100)  # rate 1.0, volume 1.0
        + b"\x00" * 10
        + identity
        + b"\x00" * 24
        + struct.pack(">I", 2),  # next track id
    )
    head = ftyp + box(b"moov", mvhd)
    return head + box(b"mdat", b"\x00" * max(0, size - len(head) - 8))


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
