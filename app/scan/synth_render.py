"""Render QR labels wrapped on gas cylinders and place them in a photo scene."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import segno

Point = tuple[float, float]
_PAINTS = [(40, 40, 170), (150, 70, 30), (120, 120, 120), (40, 120, 40), (30, 160, 190)]


@dataclass(frozen=True)
class Look:
    """Per-cylinder appearance: code geometry, curvature, tilt and surface faults."""

    module_px: float
    arc_deg: float
    offset_deg: float
    tilt_deg: tuple[float, float, float]
    dirt: float = 0.0
    glare: float = 0.0


def label_image(text: str, rng: np.random.Generator, px: int) -> tuple[np.ndarray, list[Point]]:
    """Draw a printed label (code, quiet zone, text bars, border) and return its code corners."""
    qr = segno.make(text, error=str(rng.choice(["m", "q"])), micro=False)
    matrix = np.array(qr.matrix, dtype=bool)
    n = matrix.shape[0]
    quiet = int(rng.integers(3, 5))
    ink = int(rng.integers(5, 60))
    paper = rng.integers(215, 250, 3)
    code = np.kron(matrix, np.ones((px, px), dtype=bool))
    side = (n + 2 * quiet) * px
    text_h = int(side * rng.uniform(0.25, 0.45))
    height, width = side + text_h + 2 * px, side + 2 * px
    label = np.empty((height, width, 3), np.uint8)
    label[:] = paper
    x0 = y0 = px + quiet * px
    label[y0 : y0 + n * px, x0 : x0 + n * px][code] = ink
    for row in range(int(rng.integers(1, 4))):
        top = side + px + int((row + 0.3) * text_h / 3.5)
        left = px + quiet * px
        right = left + int(n * px * rng.uniform(0.4, 1.0))
        cv2.rectangle(label, (left, top), (right, top + max(2, text_h // 7)), (ink,) * 3, -1)
    cv2.rectangle(label, (0, 0), (width - 1, height - 1), (ink,) * 3, max(1, px // 3))
    size = float(n * px)
    corners = [(x0, y0), (x0 + size, y0), (x0 + size, y0 + size), (x0, y0 + size)]
    return label, [(float(x), float(y)) for x, y in corners]


def soil(label: np.ndarray, rng: np.random.Generator, amount: float) -> None:
    """Stain and scratch a label in place, `amount` in 0..1 scaling how much."""
    h, w = label.shape[:2]
    overlay = label.copy()
    for _ in range(int(3 + 10 * amount)):
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        axes = (int(w * rng.uniform(0.02, 0.09)), int(w * rng.uniform(0.02, 0.07)))
        colour = tuple(int(c) for c in rng.integers(40, 140, 3))
        cv2.ellipse(overlay, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1)
    alpha = 0.25 + 0.45 * amount
    cv2.addWeighted(overlay, alpha, label, 1 - alpha, 0, dst=label)
    for _ in range(int(1 + 5 * amount)):
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        shade = int(rng.choice([20, 235]))
        cv2.line(label, p1, p2, (shade,) * 3, max(1, w // 150), cv2.LINE_AA)
    grain = rng.random((h, w)) < 0.01 * amount
    label[grain] = rng.integers(30, 120)


def wrap_on_cylinder(
    label: np.ndarray, corners: list[Point], look: Look, rng: np.random.Generator
) -> tuple[np.ndarray, list[Point]]:
    """Wrap a label around a painted cylinder seen side-on; return the patch and code corners."""
    lh, lw = label.shape[:2]
    code_w = corners[1][0] - corners[0][0]
    radius = code_w / np.radians(max(look.arc_deg, 1.0))
    radius = max(radius, lw / np.pi * 1.05)
    width = int(2 * radius)
    height = int(lh * rng.uniform(1.6, 2.4))
    top = int((height - lh) * rng.uniform(0.3, 0.7))
    phi0 = np.radians(look.offset_deg)
    u = (np.arange(width, dtype=np.float32) + 0.5 - radius) / radius
    theta = np.arcsin(np.clip(u, -1, 1))
    s = ((theta - phi0) * radius + lw / 2).astype(np.float32)
    map_x = np.broadcast_to(s, (height, width)).copy()
    map_y = np.broadcast_to(np.arange(height, dtype=np.float32)[:, None] - top, (height, width))
    rgba = np.dstack([label, np.full((lh, lw), 255, np.uint8)])
    warped = cv2.remap(rgba, map_x, map_y.copy(), cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0))
    body = np.empty((height, width, 3), np.float32)
    body[:] = rng.choice(_PAINTS)
    alpha = warped[..., 3:].astype(np.float32) / 255
    patch = warped[..., :3] * alpha + body * (1 - alpha)
    light = np.radians(rng.uniform(-40, 40))
    shade = 0.35 + 0.65 * np.clip(np.cos(theta - light), 0, 1) ** 0.7
    patch *= shade[None, :, None]
    if look.glare > 0:
        centre = phi0 + np.radians(rng.uniform(-25, 25))
        band = np.exp(-(((theta - centre) / np.radians(rng.uniform(4, 12))) ** 2)) * look.glare
        patch += (255 - patch) * band[None, :, None]
    out = []
    for x, y in corners:
        t = (x - lw / 2) / radius + phi0
        out.append((float(radius * np.sin(t) + radius), float(y + top)))
    return np.clip(patch, 0, 255).astype(np.uint8), out


def tilt_homography(size: tuple[int, int], look: Look, scale: float, centre: Point) -> np.ndarray:
    """Return the homography that tilts, rotates, scales and places a patch in the scene."""
    w, h = size
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    pts = np.c_[(src - [w / 2, h / 2]) * scale, np.zeros(4)].astype(np.float64)
    rot, _ = cv2.Rodrigues(np.radians(np.array([look.tilt_deg[0], look.tilt_deg[1], 0.0])))
    spin, _ = cv2.Rodrigues(np.array([0.0, 0.0, np.radians(look.tilt_deg[2])]))
    pts = pts @ (spin @ rot).T
    focal = 3.0 * max(w, h) * scale
    pts[:, 2] += focal
    dst = (focal * pts[:, :2] / pts[:, 2:] + centre).astype(np.float32)
    return cv2.getPerspectiveTransform(src, dst)


def place(scene: np.ndarray, patch: np.ndarray, homography: np.ndarray) -> None:
    """Composite a warped patch into the scene in place, touching only its bounding box."""
    h, w = patch.shape[:2]
    quad = cv2.perspectiveTransform(np.float32([[[0, 0], [w, 0], [w, h], [0, h]]]), homography)[0]
    x0, y0 = np.floor(quad.min(axis=0)).astype(int)
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int)
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, scene.shape[1]), min(y1, scene.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64) @ homography
    box = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(patch, shift, box, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), shift, box, flags=cv2.INTER_LINEAR)
    alpha = (mask.astype(np.float32) / 255)[..., None]
    roi = scene[y0:y1, x0:x1]
    roi[:] = (warped * alpha + roi * (1 - alpha)).astype(np.uint8)


def cylinder(
    scene: np.ndarray, text: str, look: Look, centre: Point, rng: np.random.Generator
) -> list[Point]:
    """Draw one labelled cylinder into the scene and return the code corners in scene pixels."""
    px = int(np.clip(np.ceil(look.module_px * 2), 4, 12))
    label, corners = label_image(text, rng, px)
    if look.dirt > 0:
        soil(label, rng, look.dirt)
    patch, corners = wrap_on_cylinder(label, corners, look, rng)
    scale = look.module_px / px
    homography = tilt_homography((patch.shape[1], patch.shape[0]), look, scale, centre)
    place(scene, patch, homography)
    pts = cv2.perspectiveTransform(np.float32([corners]), homography)[0]
    return [(float(x), float(y)) for x, y in pts]


def background(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Paint a plausible yard or doorstep background: gradient, blocks and lines."""
    w, h = size
    base = rng.integers(60, 200, 3).astype(np.float32)
    ramp = np.linspace(0.7, 1.2, h, dtype=np.float32)[:, None, None]
    scene = np.clip(base * ramp * np.ones((1, w, 1), np.float32), 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(3, 9))):
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p2 = (int(p1[0] + rng.integers(50, w // 2)), int(p1[1] + rng.integers(50, h // 2)))
        cv2.rectangle(scene, p1, p2, tuple(int(c) for c in rng.integers(30, 230, 3)), -1)
    for _ in range(int(rng.integers(2, 8))):
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.line(scene, p1, p2, tuple(int(c) for c in rng.integers(0, 255, 3)), 3, cv2.LINE_AA)
    return scene
