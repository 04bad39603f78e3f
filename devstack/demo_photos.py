"""Demo photos drawn here with Pillow, so the demo's listings look lived in without
a single downloaded image: rooms (a wall and floor in soft gradients, a window with
sky, a sofa, a rug, a lamp, a plant, frames) and façades (a sky, a building with
rows of windows, a door, trees). Each is chosen and coloured by a seeded random
generator: the same number always gives the same photo, different numbers differ.
About 20 ms a photo at 1280x960; JPEG bytes, as a phone would upload.
"""

import io
import random

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 1280, 960

WALLS = [(236, 228, 214), (222, 232, 228), (240, 226, 220), (226, 230, 240), (245, 238, 222)]
FLOORS = [(170, 124, 84), (196, 160, 118), (140, 104, 76), (205, 196, 184), (120, 96, 80)]
ACCENTS = [(46, 94, 124), (176, 82, 62), (86, 128, 90), (214, 168, 72), (120, 86, 140)]
SKIES = [
    ((120, 176, 230), (222, 238, 250)),
    ((250, 186, 140), (255, 232, 200)),
    ((96, 150, 210), (200, 226, 246)),
]
FACADES = [
    (224, 196, 160),
    (238, 222, 204),
    (200, 120, 96),
    (232, 232, 224),
    (176, 196, 210),
    (240, 214, 150),
]


def _gradient(size: tuple[int, int], top: tuple, bottom: tuple) -> Image.Image:
    """A vertical gradient, made from Pillow's 256-step ramp (fast at any size)."""
    ramp = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), ramp)


def _shade(color: tuple, factor: float) -> tuple:
    return tuple(max(0, min(255, round(c * factor))) for c in color)


def room(rng: random.Random) -> Image.Image:
    wall, floor, accent = rng.choice(WALLS), rng.choice(FLOORS), rng.choice(ACCENTS)
    horizon = rng.randint(560, 640)
    image = _gradient((WIDTH, HEIGHT), _shade(wall, 1.04), _shade(wall, 0.86))
    image.paste(
        _gradient((WIDTH, HEIGHT - horizon), _shade(floor, 0.9), _shade(floor, 1.1)), (0, horizon)
    )
    draw = ImageDraw.Draw(image)
    for x in range(0, WIDTH, rng.choice([80, 110, 140])):  # floorboards
        draw.line((x, horizon, x + (x - WIDTH / 2) * 0.5, HEIGHT), fill=_shade(floor, 0.8), width=2)
    # A window with sky and light falling from it.
    wx, ww, wh = rng.randint(120, 640), rng.randint(260, 380), rng.randint(300, 380)
    sky = _gradient((ww, wh), *rng.choice(SKIES))
    image.paste(sky, (wx, 110))
    draw.rectangle((wx - 10, 100, wx + ww + 10, 110 + wh + 10), outline=(250, 250, 248), width=14)
    draw.line((wx + ww // 2, 110, wx + ww // 2, 110 + wh), fill=(250, 250, 248), width=8)
    light = Image.new("L", (WIDTH, HEIGHT), 0)
    ImageDraw.Draw(light).polygon(
        [(wx, horizon + 10), (wx + ww, horizon + 10), (wx + ww + 260, HEIGHT), (wx - 120, HEIGHT)],
        fill=70,
    )
    image.paste((255, 250, 230), (0, 0), light.filter(ImageFilter.GaussianBlur(30)))
    # A rug, a sofa with cushions, a lamp, a plant and a frame or two.
    draw.ellipse((260, horizon + 150, 1060, horizon + 320), fill=_shade(accent, 1.35))
    sx = rng.randint(380, 700)
    draw.rounded_rectangle((sx, horizon - 110, sx + 460, horizon + 60), 28, fill=accent)
    draw.rounded_rectangle(
        (sx - 30, horizon - 40, sx + 490, horizon + 90), 26, fill=_shade(accent, 0.85)
    )
    for cx in (sx + 40, sx + 330):
        draw.rounded_rectangle(
            (cx, horizon - 90, cx + 90, horizon - 10), 18, fill=_shade(rng.choice(ACCENTS), 1.2)
        )
    lx = rng.choice([sx - 120, sx + 560])
    draw.line((lx, horizon + 40, lx, horizon - 260), fill=(60, 60, 60), width=6)
    draw.polygon(
        [
            (lx - 60, horizon - 250),
            (lx + 60, horizon - 250),
            (lx + 40, horizon - 330),
            (lx - 40, horizon - 330),
        ],
        fill=(250, 236, 200),
    )
    px = rng.choice([60, WIDTH - 200])
    draw.rectangle((px, horizon - 40, px + 110, horizon + 60), fill=(168, 96, 70))
    for _ in range(9):
        cx, cy = px + 55 + rng.randint(-70, 70), horizon - 90 + rng.randint(-110, 40)
        draw.ellipse(
            (cx - 38, cy - 22, cx + 38, cy + 22),
            fill=(64 + rng.randint(0, 40), 128 + rng.randint(0, 40), 72),
        )
    for fx in rng.sample([wx + ww + 90, 60, WIDTH - 300], 2):
        if 0 < fx < WIDTH - 200:
            draw.rectangle(
                (fx, 180, fx + 170, 320), fill=(252, 250, 246), outline=(90, 70, 50), width=8
            )
            draw.rectangle((fx + 25, 205, fx + 145, 295), fill=_shade(rng.choice(ACCENTS), 1.3))
    return image


def facade(rng: random.Random) -> Image.Image:
    image = _gradient((WIDTH, HEIGHT), *rng.choice(SKIES))
    draw = ImageDraw.Draw(image)
    draw.ellipse((1020, 70, 1140, 190), fill=(255, 244, 200))
    ground = 820
    draw.rectangle((0, ground, WIDTH, HEIGHT), fill=(168, 164, 156))
    x = -40
    while x < WIDTH:
        width, floors = rng.randint(300, 460), rng.randint(3, 6)
        top = ground - floors * 120 - 40
        color = rng.choice(FACADES)
        draw.rectangle((x, top, x + width, ground), fill=color)
        draw.rectangle((x, top - 18, x + width, top), fill=_shade(color, 0.7))
        shutter = rng.choice(ACCENTS)
        columns = max(2, width // 110)
        step = width / columns
        for floor in range(floors):
            y = top + 40 + floor * 120
            for column in range(columns):
                cx = x + step * column + step / 2
                if floor == floors - 1 and column == columns // 2:
                    draw.rectangle(
                        (cx - 32, ground - 120, cx + 32, ground), fill=_shade(shutter, 0.8)
                    )
                    continue
                draw.rectangle((cx - 28, y, cx + 28, y + 70), fill=(120, 160, 190))
                draw.line((cx, y, cx, y + 70), fill=(240, 240, 236), width=4)
                draw.rectangle((cx - 44, y, cx - 30, y + 70), fill=shutter)
                draw.rectangle((cx + 30, y, cx + 44, y + 70), fill=shutter)
                if rng.random() < 0.25:  # a balcony with flowers
                    draw.rectangle((cx - 46, y + 70, cx + 46, y + 80), fill=(60, 60, 60))
                    for f in range(5):
                        draw.ellipse(
                            (cx - 40 + f * 18, y + 58, cx - 28 + f * 18, y + 70), fill=(214, 80, 96)
                        )
        x += width + rng.randint(0, 20)
    for tx in rng.sample(range(80, WIDTH - 80, 160), 3):
        draw.rectangle((tx - 8, ground - 120, tx + 8, ground + 20), fill=(96, 70, 50))
        draw.ellipse((tx - 70, ground - 250, tx + 70, ground - 100), fill=(70, 130, 76))
    return image


def demo_photo(number: int, kind: str | None = None) -> bytes:
    """Photo `number` of the demo as JPEG bytes: a façade or a room."""
    rng = random.Random(number)
    kind = kind or rng.choice(["room", "room", "facade"])
    image = room(rng) if kind == "room" else facade(rng)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=False)
    return out.getvalue()


if __name__ == "__main__":  # a contact sheet to look at: python devstack/demo_photos.py out.jpg
    import sys

    sheet = Image.new("RGB", (4 * 320, 3 * 240))
    for n in range(12):
        photo = Image.open(io.BytesIO(demo_photo(n))).resize((320, 240))
        sheet.paste(photo, ((n % 4) * 320, (n // 4) * 240))
    sheet.save(sys.argv[1] if len(sys.argv) > 1 else "demo-photos.jpg")
