"""Files made to run script on our origin if we served them by their names or first bytes: a
real PNG with <script> in a text chunk, a real-structured MP4 with <script> in its media data,
headers alone followed by HTML, SVG with script, HTML named .png, and a decompression bomb.
Used by tests/replies/test_files.py and the browser test that opens each served URL."""

import struct
import zlib

from sidebar.replies import samples

SCRIPT = b"<script>console.log('PWNED');document.title='PWNED';alert('PWNED')</script>"
HTML = b"<!doctype html><html><body><h1>hello</h1>" + SCRIPT + b"</body></html>"


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_with_script() -> bytes:
    """A valid PNG (it decodes) whose tEXt chunk holds an HTML document with a script."""
    picture = samples.png(64, 48)
    header_end = 8 + 25  # signature and IHDR
    return picture[:header_end] + _chunk(b"tEXt", b"Comment\x00" + HTML) + picture[header_end:]


def png_signature_then_html() -> bytes:
    """A PNG signature and a text chunk of HTML, and nothing a picture needs."""
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"tEXt", b"x\x00" + HTML)


def mp4_with_script() -> bytes:
    """A file with an MP4's structure whose media data is an HTML document with a script."""
    structure = samples.mp4(0)[:-8]  # ftyp and moov, without the empty mdat
    return structure + samples.box(b"mdat", HTML)


def ftyp_then_html() -> bytes:
    """An MP4's first box, then HTML: no box structure after it."""
    return samples.box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2") + HTML


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>console.log('PWNED');alert('PWNED')</script></svg>"
)


def png_bomb(side: int = 60000) -> bytes:
    """A PNG that says it is side × side pixels: a few hundred KB that would decode to
    gigabytes."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    squeeze = zlib.compressobj(9)
    row = b"\x00" * (1 + (side + 7) // 8)
    data = b"".join(squeeze.compress(row) for _ in range(side)) + squeeze.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )
