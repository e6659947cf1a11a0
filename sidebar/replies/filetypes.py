"""What an uploaded file is, read from the whole file: never from its name, never from its
first bytes alone (docs/files.md).

A file is a picture only if Pillow decodes all of it as a JPEG or PNG, and a video only if its
ISO base media boxes tile the whole file as an MP4 does (an `ftyp` box first, a `moov` box with
its `mvhd`). Anything else is just a file, served as `application/octet-stream` for download.
A file that starts like a picture but claims more pixels than phones open (a decompression
bomb: 60000×60000 pixels fit in a few kilobytes of PNG) is refused outright, whatever its kind,
before anything decodes it.

The shape decides how the app serves the file (sidebar.replies.serving) and what it tells
WeCom when uploading it (sidebar.replies.media).
"""

import struct
import unicodedata
import warnings

from PIL import Image, UnidentifiedImageError

JPEG, PNG, MP4 = "jpeg", "png", "mp4"
CONTENT_TYPES = {JPEG: "image/jpeg", PNG: "image/png", MP4: "video/mp4"}
DOWNLOAD = "application/octet-stream"
# The most pixels a picture may have: a 20-megapixel photo (5472×3648) passes; decoding one
# takes about 80 MB, so an admin's save never holds more than that.
MAX_PIXELS = 20_000_000
PICTURE_FORMATS = {"JPEG": JPEG, "PNG": PNG}
# Major brands of MP4 and its ISO siblings that phones play; QuickTime (`qt  `) is not MP4.
MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1",
    b"M4V ", b"M4A ", b"MSNV", b"dash", b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"f4v ", b"mmp4",
}  # fmt: skip
BOX_HEADER = 8
MAX_BOXES = 100_000  # a bound on the walk, far above any real file's top-level boxes


class TooManyPixels(ValueError):
    """A picture that claims more than MAX_PIXELS pixels (width and height as it says)."""

    def __init__(self, width: int, height: int):
        super().__init__(f"{width}×{height} pixels")
        self.width, self.height = width, height


def shape_of(file) -> str:
    """'jpeg', 'png' or 'mp4' when the whole of `file` (a binary file object, read from its
    start) is one, else ''. Raises TooManyPixels for a picture too large to decode."""
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    try:
        if head[4:8] == b"ftyp":
            return MP4 if _is_mp4(file) else ""
        return _picture(file)  # '' unless it starts as a JPEG or PNG
    finally:
        file.seek(0)


def served_type(shape: str) -> str:
    """The Content-Type a file of this shape is served as."""
    return CONTENT_TYPES.get(shape, DOWNLOAD)


def _picture(file) -> str:
    """The picture's shape if Pillow decodes every byte of it, else ''."""
    size = picture_pixels(file)
    if size is None:
        return ""
    if size[0] * size[1] > MAX_PIXELS:
        raise TooManyPixels(*size)
    try:
        with warnings.catch_warnings():
            # Past its own bounds Pillow warns, then refuses; ours is lower and checked above,
            # so either means the header lied: not a picture we serve.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                shape = PICTURE_FORMATS.get(image.format or "", "")
                if not shape or image.size != size:
                    return ""
                image.verify()  # checksums and structure (PNG chunks' CRCs)
            file.seek(0)
            with Image.open(file) as image:
                image.load()  # every pixel decoded: a truncated or corrupt picture fails here
    except (
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        struct.error,
    ):
        return ""
    return shape


def picture_pixels(file) -> tuple[int, int] | None:
    """(width, height) a PNG or JPEG says it has, read from its header without decoding
    anything; None when the file does not start as one (or its header is broken)."""
    file.seek(0)
    try:
        head = file.read(24)
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            if head[12:16] != b"IHDR":
                return None
            return struct.unpack(">II", head[16:24])
        if head.startswith(b"\xff\xd8\xff"):
            return _jpeg_size(file)
        return None
    finally:
        file.seek(0)


# Start-of-frame markers: each carries the frame's height and width.
JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
JPEG_MARKERS_READ = 1000


def _jpeg_size(file) -> tuple[int, int] | None:
    file.seek(2)
    for _ in range(JPEG_MARKERS_READ):
        byte = file.read(1)
        while byte == b"\xff":  # fill bytes before a marker
            byte = file.read(1)
        if not byte:
            return None
        marker = byte[0]
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            continue
        length_bytes = file.read(2)
        if len(length_bytes) < 2:
            return None
        length = struct.unpack(">H", length_bytes)[0]
        if length < 2:
            return None
        if marker in JPEG_FRAMES:
            frame = file.read(5)
            if len(frame) < 5:
                return None
            height, width = struct.unpack(">HH", frame[1:5])
            return width, height
        file.seek(length - 2, 1)
        # The next marker must follow directly; anything else is not a JPEG header.
        if file.read(1) != b"\xff":
            return None
        file.seek(-1, 1)
    return None


# MP4: ISO base media file format boxes (ISO/IEC 14496-12) --------------------------------------


def _boxes(file, start: int, end: int):
    """(type, payload start, box end) of each box from `start` to exactly `end`; raises
    ValueError when the boxes do not tile that span."""
    at, seen = start, 0
    while at < end:
        seen += 1
        if seen > MAX_BOXES:
            raise ValueError("too many boxes")
        file.seek(at)
        header = file.read(BOX_HEADER)
        if len(header) < BOX_HEADER:
            raise ValueError("truncated box header")
        size, kind = struct.unpack(">I4s", header)
        payload = at + BOX_HEADER
        if size == 1:  # a 64-bit size follows
            large = file.read(8)
            if len(large) < 8:
                raise ValueError("truncated box size")
            size = struct.unpack(">Q", large)[0]
            payload += 8
        elif size == 0:  # the box runs to the end
            size = end - at
        if not all(0x20 <= byte < 0x7F for byte in kind):
            raise ValueError("not a box type")
        if size < payload - at or at + size > end:
            raise ValueError("box size out of bounds")
        yield kind, payload, at + size
        at += size


def _is_mp4(file) -> bool:
    file.seek(0, 2)
    end = file.tell()
    try:
        top = list(_boxes(file, 0, end))
        if not top or top[0][0] != b"ftyp":
            return False
        _kind, payload, box_end = top[0]
        file.seek(payload)
        if box_end - payload < 8 or file.read(4) not in MP4_BRANDS:
            return False
        movies = [(start, stop) for kind, start, stop in top if kind == b"moov"]
        if len(movies) != 1:
            return False
        inside = [kind for kind, _start, _stop in _boxes(file, *movies[0])]
        return b"mvhd" in inside
    except ValueError:
        return False


# Names ------------------------------------------------------------------------------------

# Removed from names people read: control characters (Cc), format characters (Cf: the bidi
# overrides and isolates such as U+202E, zero-width marks) and line/paragraph separators.
HIDDEN_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}


def display_name(name: str) -> str:
    """`name` as a person may safely read it: no character that hides or reorders the rest
    (`invoice\\u202efdp.exe` would show as "invoiceexe.pdf"), no control character, trimmed."""
    kept = "".join(c for c in name if unicodedata.category(c) not in HIDDEN_CATEGORIES)
    return kept.strip()
