"""Draw the category tiles' icons with Pillow: `python tools/make_icons.py`.

The catalog names each category's icon (`account`, `gavel`...); this
script draws one simple, bold pictogram per name into
screens/assets/icons/<name>.png, so the kiosk ships no downloaded art and
anyone can change an icon by editing a few shapes here. Shapes are drawn
at four times the size and scaled down, for smooth edges on the screen.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "screens" / "assets" / "icons"
SIZE = 160
SCALE = 4
BLUE = (11, 79, 156, 255)
GOLD = (214, 171, 51, 255)
W = SIZE * SCALE

Draw = ImageDraw.ImageDraw


def s(*values: float) -> list[float]:
    """Coordinates given on a 0..100 grid, in the big canvas's pixels."""
    return [v * W / 100 for v in values]


def account(d: Draw) -> None:
    d.ellipse(s(34, 10, 66, 42), fill=BLUE)
    d.pieslice(s(18, 48, 82, 112), 180, 360, fill=BLUE)


def account_group(d: Draw) -> None:
    d.ellipse(s(12, 22, 36, 46), fill=BLUE)
    d.pieslice(s(2, 52, 46, 96), 180, 360, fill=BLUE)
    d.ellipse(s(64, 22, 88, 46), fill=BLUE)
    d.pieslice(s(54, 52, 98, 96), 180, 360, fill=BLUE)
    d.ellipse(s(36, 12, 64, 40), fill=GOLD)
    d.pieslice(s(24, 46, 76, 98), 180, 360, fill=GOLD)


def heart_pulse(d: Draw) -> None:
    d.ellipse(s(10, 14, 52, 56), fill=BLUE)
    d.ellipse(s(48, 14, 90, 56), fill=BLUE)
    d.polygon(s(12, 44, 88, 44, 50, 90), fill=BLUE)
    d.line(s(14, 48, 34, 48, 42, 34, 52, 62, 60, 44, 86, 44), fill="white", width=int(W * 0.05))


def hand_heart(d: Draw) -> None:
    d.ellipse(s(34, 8, 52, 26), fill=GOLD)
    d.ellipse(s(48, 8, 66, 26), fill=GOLD)
    d.polygon(s(35, 20, 65, 20, 50, 40), fill=GOLD)
    d.rounded_rectangle(s(10, 56, 70, 80), radius=W * 0.08, fill=BLUE)
    d.polygon(s(60, 56, 90, 44, 94, 52, 70, 80), fill=BLUE)
    d.rectangle(s(4, 52, 16, 90), fill=BLUE)


def home_city(d: Draw) -> None:
    d.polygon(s(8, 50, 38, 22, 68, 50), fill=BLUE)
    d.rectangle(s(16, 50, 60, 88), fill=BLUE)
    d.rectangle(s(32, 64, 44, 88), fill="white")
    d.rectangle(s(70, 30, 92, 88), fill=GOLD)
    for y in (38, 52, 66):
        d.rectangle(s(75, y, 87, y + 7), fill="white")


def briefcase(d: Draw) -> None:
    d.rounded_rectangle(s(36, 14, 64, 32), radius=W * 0.04, outline=BLUE, width=int(W * 0.06))
    d.rounded_rectangle(s(8, 28, 92, 86), radius=W * 0.08, fill=BLUE)
    d.rectangle(s(8, 50, 92, 56), fill="white")
    d.rectangle(s(44, 46, 56, 60), fill=GOLD)


def calculator(d: Draw) -> None:
    d.rounded_rectangle(s(20, 6, 80, 94), radius=W * 0.08, fill=BLUE)
    d.rectangle(s(28, 14, 72, 32), fill="white")
    for row in range(3):
        for col in range(3):
            x, y = 28 + col * 16, 42 + row * 16
            d.rectangle(s(x, y, x + 11, y + 10), fill=GOLD if (row, col) == (2, 2) else "white")


def gavel(d: Draw) -> None:
    head = [(28, 6), (64, 42), (46, 60), (10, 24)]
    d.polygon(s(*[v for p in head for v in p]), fill=BLUE)
    d.line(s(44, 36, 86, 78), fill=BLUE, width=int(W * 0.09))
    d.rounded_rectangle(s(8, 82, 56, 92), radius=W * 0.03, fill=GOLD)


def school(d: Draw) -> None:
    d.polygon(s(4, 36, 50, 14, 96, 36, 50, 58), fill=BLUE)
    d.pieslice(s(24, 30, 76, 82), 0, 180, fill=BLUE)
    d.line(s(86, 40, 86, 72), fill=GOLD, width=int(W * 0.04))
    d.ellipse(s(81, 68, 91, 78), fill=GOLD)


def lightbulb(d: Draw) -> None:
    d.ellipse(s(22, 6, 78, 62), fill=GOLD)
    d.polygon(s(32, 50, 68, 50, 62, 72, 38, 72), fill=GOLD)
    d.rounded_rectangle(s(36, 74, 64, 82), radius=W * 0.02, fill=BLUE)
    d.rounded_rectangle(s(38, 85, 62, 93), radius=W * 0.02, fill=BLUE)


def default(d: Draw) -> None:
    d.rounded_rectangle(s(14, 14, 86, 86), radius=W * 0.1, outline=BLUE, width=int(W * 0.07))
    d.ellipse(s(42, 42, 58, 58), fill=GOLD)


ICONS: dict[str, Callable[[Draw], None]] = {
    "account": account, "account-group": account_group, "heart-pulse": heart_pulse,
    "hand-heart": hand_heart, "home-city": home_city, "briefcase": briefcase,
    "calculator": calculator, "gavel": gavel, "school": school, "lightbulb": lightbulb,
    "default": default,
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, draw in ICONS.items():
        big = Image.new("RGBA", (W, W), (0, 0, 0, 0))
        draw(ImageDraw.Draw(big))
        big.resize((SIZE, SIZE), Image.LANCZOS).save(OUT / f"{name}.png", optimize=True)
        print(OUT / f"{name}.png")


if __name__ == "__main__":
    main()
