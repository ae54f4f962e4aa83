"""Generated test videos (also used by bench/render.py and bench/faces.py).

Faces: crops of scikit-image's `data.astronaut()` (NASA's public-domain portrait of Eileen
Collins, shipped in the package), moving over a generated background. Counter: ffmpeg's
testsrc, whose picture changes every frame, with a tone."""

import subprocess
from pathlib import Path

import numpy as np

FFMPEG = "/usr/bin/ffmpeg"


def face_crop() -> np.ndarray:
    from skimage import data

    return data.astronaut()[20:240, 150:320]  # the head, 220×170


def faces_frames(width: int, height: int, fps: int, seconds: float):
    """Frames of two faces moving on paths that cross, with their true boxes (x, y, w, h)."""
    face = face_crop()
    scale = min(1.0, height / 720 * 1.4)
    if scale != 1.0:
        from PIL import Image

        face = np.array(
            Image.fromarray(face).resize((int(face.shape[1] * scale), int(face.shape[0] * scale)))
        )
    fh, fw = face.shape[:2]
    background = np.zeros((height, width, 3), np.uint8)
    background[:] = (96, 112, 128)
    background[:, ::16] = (70, 80, 90)
    for n in range(int(fps * seconds)):
        t = n / fps
        frame = background.copy()
        x1 = int((width - fw) * (0.5 + 0.45 * np.sin(t * 0.9)))
        y1 = int((height - fh) * 0.1)
        x2 = int((width - fw) * (0.5 + 0.45 * np.cos(t * 0.6)))
        y2 = int((height - fh) * 0.9)
        frame[y1 : y1 + fh, x1 : x1 + fw] = face
        frame[y2 : y2 + fh, x2 : x2 + fw] = face[:, ::-1]
        yield frame, [(x1, y1, fw, fh), (x2, y2, fw, fh)]


def faces_video(path: Path, width: int, height: int, fps: int, seconds: float) -> bytes:
    encoder = subprocess.Popen(
        [FFMPEG, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
         "-s", f"{width}x{height}", "-r", str(fps), "-i", "pipe:0",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-shortest", str(path)],
        stdin=subprocess.PIPE,
    )  # fmt: skip
    for frame, _boxes in faces_frames(width, height, fps, seconds):
        encoder.stdin.write(frame.tobytes())
    encoder.stdin.close()
    assert encoder.wait() == 0
    return path.read_bytes()


def counter_video(path: Path, seconds: int = 60) -> bytes:
    subprocess.run(
        [FFMPEG, "-y", "-loglevel", "error", "-f", "lavfi",
         "-i", f"testsrc2=duration={seconds}:size=320x240:rate=10",
         "-f", "lavfi", "-i", f"sine=frequency=300:duration={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest", str(path)],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


def frame_at(data: bytes, seconds: float) -> np.ndarray:
    """One decoded frame (RGB) at `seconds` (test media: a temporary file is fine here)."""
    import io
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".mp4") as video:
        video.write(data)
        video.flush()
        out = subprocess.run(
            [FFMPEG, "-loglevel", "error", "-ss", f"{seconds:.3f}", "-i", video.name,
             "-frames:v", "1", "-f", "image2pipe", "-vcodec", "png", "pipe:1"],
            capture_output=True, check=True,
        ).stdout  # fmt: skip

    from PIL import Image

    return np.array(Image.open(io.BytesIO(out)).convert("RGB")).astype(np.int16)
