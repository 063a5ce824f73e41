//! Demo illustrations drawn by the project itself, so the demo newsroom ships no downloaded or
//! borrowed pictures.
//!
//! The look is that of a calm editorial illustration: flat shapes in a four-colour palette, soft
//! gradients, atmospheric depth and a little paper grain. Everything is deterministic: the same
//! motif, palette, seed and size give the same pixels on every machine (only `f32` arithmetic
//! and our own PRNG, no platform randomness), so demo images are content-addressed once.
//!
//! Drawing is a tiny scanline rasteriser: paths are filled with the nonzero rule, with exact
//! horizontal coverage and four sub-scanlines for anti-aliasing; discs use their distance field.

use std::f32::consts::{FRAC_PI_2, PI, TAU};
use std::fmt;
use std::str::FromStr;

use image::RgbImage;

/// What an illustration shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Motif {
    Capitol,
    Globe,
    Skyline,
    Chart,
    Circuit,
    Waves,
    Mountains,
    Columns,
    Crowd,
    Abstract,
}

impl Motif {
    pub const ALL: &[Motif] = &[
        Motif::Capitol,
        Motif::Globe,
        Motif::Skyline,
        Motif::Chart,
        Motif::Circuit,
        Motif::Waves,
        Motif::Mountains,
        Motif::Columns,
        Motif::Crowd,
        Motif::Abstract,
    ];

    /// The lowercase name used in the demo content files.
    pub fn name(self) -> &'static str {
        match self {
            Motif::Capitol => "capitol",
            Motif::Globe => "globe",
            Motif::Skyline => "skyline",
            Motif::Chart => "chart",
            Motif::Circuit => "circuit",
            Motif::Waves => "waves",
            Motif::Mountains => "mountains",
            Motif::Columns => "columns",
            Motif::Crowd => "crowd",
            Motif::Abstract => "abstract",
        }
    }
}

impl fmt::Display for Motif {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A motif name that is not one of [`Motif::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown motif \"{0}\"")]
pub struct UnknownMotif(pub String);

impl FromStr for Motif {
    type Err = UnknownMotif;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Motif::ALL
            .iter()
            .copied()
            .find(|motif| motif.name() == s)
            .ok_or_else(|| UnknownMotif(s.to_owned()))
    }
}

/// Parses `#rrggbb`, `rrggbb`, `#rgb` or `rgb` (CSS hex colour notation).
pub fn parse_hex_color(s: &str) -> Option<[u8; 3]> {
    let hex = s.trim();
    let hex = hex.strip_prefix('#').unwrap_or(hex);
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let digit = |i: usize| u8::from_str_radix(hex.get(i..=i)?, 16).ok();
    match hex.len() {
        6 => {
            let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
            Some([byte(0)?, byte(2)?, byte(4)?])
        }
        // CSS short form: each digit is doubled, so `#f80` is `#ff8800`.
        3 => Some([digit(0)? * 17, digit(1)? * 17, digit(2)? * 17]),
        _ => None,
    }
}

/// Draws `motif` at `width` × `height`.
///
/// `palette` is read in the order the demo content writes it: a main colour (usually dark), an
/// accent, a soft secondary colour and the paper. Missing entries are derived from the ones
/// given; an empty palette falls back to a house palette. Extra entries join the accents.
pub fn illustration(
    motif: Motif,
    palette: &[[u8; 3]],
    seed: u64,
    width: u32,
    height: u32,
) -> RgbImage {
    if width == 0 || height == 0 {
        return RgbImage::new(width, height);
    }
    let colours = Palette::from_colours(palette);
    // The motif joins the seed so the same seed gives unrelated layouts for different motifs.
    let mut rng = Rng::new(seed ^ (motif as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut canvas = Canvas::new(width, height);
    match motif {
        Motif::Capitol => capitol(&mut canvas, &colours, &mut rng),
        Motif::Globe => globe(&mut canvas, &colours, &mut rng),
        Motif::Skyline => skyline(&mut canvas, &colours, &mut rng),
        Motif::Chart => chart(&mut canvas, &colours, &mut rng),
        Motif::Circuit => circuit(&mut canvas, &colours, &mut rng),
        Motif::Waves => waves(&mut canvas, &colours, &mut rng),
        Motif::Mountains => mountains(&mut canvas, &colours, &mut rng),
        Motif::Columns => columns(&mut canvas, &colours, &mut rng),
        Motif::Crowd => crowd(&mut canvas, &colours, &mut rng),
        Motif::Abstract => abstract_shapes(&mut canvas, &colours, &mut rng),
    }
    canvas.finish(&colours, rng.next_u64())
}

// ── Colour ──────────────────────────────────────────────────────────────────────────────────

type Colour = [f32; 3];

fn colour(rgb: [u8; 3]) -> Colour {
    rgb.map(|c| f32::from(c) / 255.0)
}

fn mix(a: Colour, b: Colour, t: f32) -> Colour {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

const WHITE: Colour = [1.0, 1.0, 1.0];

/// Relative luminance of an sRGB colour, approximately (ITU-R BT.709 weights on the encoded
/// values): enough to tell a light colour from a dark one.
fn luma(c: Colour) -> f32 {
    0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
}

/// `c` moved towards `towards` in steps until its luma reaches `at_least`.
fn lift(c: Colour, towards: Colour, at_least: f32) -> Colour {
    (0..=10)
        .map(|step| mix(c, towards, step as f32 / 10.0))
        .find(|&candidate| luma(candidate) >= at_least)
        .unwrap_or(towards)
}
const NIGHT: Colour = [0.05, 0.06, 0.09];

/// The roles the drawings use, taken from the content's palette.
struct Palette {
    ink: Colour,
    accent: Colour,
    soft: Colour,
    paper: Colour,
    /// A real dark for shading even when the main colour is light.
    shade: Colour,
    /// The soft colour, lifted towards the paper if it is too dark for skies and lights.
    light: Colour,
    /// Accents for motifs that use many colours: accent, soft, ink, then any extras.
    cycle: Vec<Colour>,
}

impl Palette {
    fn from_colours(given: &[[u8; 3]]) -> Palette {
        const HOUSE: [[u8; 3]; 4] = [
            [0x1f, 0x3a, 0x5f],
            [0xc8, 0x55, 0x3d],
            [0xe9, 0xc4, 0x6a],
            [0xf6, 0xf4, 0xef],
        ];
        let given = if given.is_empty() { &HOUSE[..] } else { given };
        let ink = colour(given[0]);
        let accent = given
            .get(1)
            .map_or_else(|| mix(ink, [0.85, 0.45, 0.25], 0.6), |&c| colour(c));
        let soft = given
            .get(2)
            .map_or_else(|| mix(accent, WHITE, 0.55), |&c| colour(c));
        let paper = given
            .get(3)
            .map_or_else(|| mix(soft, WHITE, 0.85), |&c| colour(c));
        let mut cycle = vec![accent, soft, ink];
        cycle.extend(given.iter().skip(4).map(|&c| colour(c)));
        Palette {
            ink,
            accent,
            soft,
            paper,
            shade: mix(ink, NIGHT, 0.55),
            light: lift(soft, paper, 0.6),
            cycle,
        }
    }

    /// The main colour faded towards the paper: `0` is the colour, `1` the paper. Distance in
    /// a landscape is drawn this way (aerial perspective).
    fn far(&self, c: Colour, t: f32) -> Colour {
        mix(c, self.paper, t)
    }
}

// ── Randomness ──────────────────────────────────────────────────────────────────────────────

/// SplitMix64 (Steele, Lea & Flood, 2014): tiny, fast, and well mixed for drawing purposes.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`, from the top 24 bits (an `f32` mantissa's worth).
    fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    fn range(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.unit()
    }

    /// Uniform integer in `[0, n)`; `n` must be positive.
    fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 33) as usize) % n.max(1)
    }

    fn chance(&mut self, p: f32) -> bool {
        self.unit() < p
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// A per-pixel hash for grain: stateless, so grain does not depend on drawing order.
fn hash2(x: u32, y: u32, seed: u64) -> f32 {
    let mut h = u64::from(x)
        .wrapping_mul(0x9E37_79B1)
        .wrapping_add(u64::from(y).wrapping_mul(0x85EB_CA77))
        ^ seed;
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^= h >> 33;
    (h >> 40) as f32 / (1u64 << 24) as f32
}

// ── Geometry ────────────────────────────────────────────────────────────────────────────────

type Point = (f32, f32);

fn rect(x0: f32, y0: f32, x1: f32, y1: f32) -> Vec<Point> {
    vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
}

/// Points on an elliptical arc from angle `a0` to `a1` (radians, y down, so increasing angles
/// turn clockwise on screen).
fn arc(cx: f32, cy: f32, rx: f32, ry: f32, a0: f32, a1: f32, steps: usize) -> Vec<Point> {
    (0..=steps)
        .map(|i| {
            let a = a0 + (a1 - a0) * i as f32 / steps as f32;
            (cx + rx * a.cos(), cy + ry * a.sin())
        })
        .collect()
}

fn ellipse(cx: f32, cy: f32, rx: f32, ry: f32) -> Vec<Point> {
    let mut points = arc(cx, cy, rx, ry, 0.0, TAU, 96);
    points.pop();
    points
}

/// A band between two radii from `a0` to `a1`: pie-chart slices and thick arcs.
fn arc_band(cx: f32, cy: f32, outer: f32, inner: f32, a0: f32, a1: f32) -> Vec<Point> {
    let steps = (((a1 - a0).abs() * 24.0) as usize).max(4);
    let mut points = arc(cx, cy, outer, outer, a0, a1, steps);
    let mut back = arc(cx, cy, inner, inner, a0, a1, steps);
    back.reverse();
    points.extend(back);
    points
}

fn rotate(points: &mut [Point], (cx, cy): Point, angle: f32) {
    let (sin, cos) = angle.sin_cos();
    for p in points {
        let (dx, dy) = (p.0 - cx, p.1 - cy);
        *p = (cx + dx * cos - dy * sin, cy + dx * sin + dy * cos);
    }
}

/// The outline of an open polyline drawn `width` wide, with mitred joins (limited, so sharp
/// turns do not spike) and butt ends.
fn stroke(points: &[Point], width: f32) -> Vec<Point> {
    let half = width / 2.0;
    let n = points.len();
    if n < 2 {
        return Vec::new();
    }
    let normal = |a: Point, b: Point| {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt().max(1e-6);
        (-dy / len, dx / len)
    };
    let mut left = Vec::with_capacity(n);
    let mut right = Vec::with_capacity(n);
    for i in 0..n {
        let before = normal(points[i.saturating_sub(1)], points[i.max(1)]);
        let after = normal(points[i.min(n - 2)], points[(i + 1).min(n - 1)]);
        let (mut nx, mut ny) = (before.0 + after.0, before.1 + after.1);
        let len = (nx * nx + ny * ny).sqrt().max(1e-6);
        (nx, ny) = (nx / len, ny / len);
        let cos = (nx * after.0 + ny * after.1).max(0.35);
        let offset = half / cos;
        let p = points[i];
        left.push((p.0 + nx * offset, p.1 + ny * offset));
        right.push((p.0 - nx * offset, p.1 - ny * offset));
    }
    right.reverse();
    left.extend(right);
    left
}

// ── Canvas ──────────────────────────────────────────────────────────────────────────────────

/// How a shape is coloured.
#[derive(Clone, Copy)]
enum Paint {
    Solid(Colour),
    /// From `a` at `from` to `b` at `to`, clamped beyond.
    Linear {
        a: Colour,
        b: Colour,
        from: Point,
        to: Point,
    },
    /// From `a` at `centre` to `b` at `radius`.
    Radial {
        a: Colour,
        b: Colour,
        centre: Point,
        radius: f32,
    },
}

impl Paint {
    fn vertical(a: Colour, b: Colour, y0: f32, y1: f32) -> Paint {
        Paint::Linear {
            a,
            b,
            from: (0.0, y0),
            to: (0.0, y1),
        }
    }

    fn at(&self, x: f32, y: f32) -> Colour {
        match *self {
            Paint::Solid(c) => c,
            Paint::Linear { a, b, from, to } => {
                let (dx, dy) = (to.0 - from.0, to.1 - from.1);
                let len2 = (dx * dx + dy * dy).max(1e-6);
                let t = ((x - from.0) * dx + (y - from.1) * dy) / len2;
                mix(a, b, smooth(t.clamp(0.0, 1.0)))
            }
            Paint::Radial {
                a,
                b,
                centre,
                radius,
            } => {
                let d = ((x - centre.0).powi(2) + (y - centre.1).powi(2)).sqrt();
                mix(a, b, smooth((d / radius.max(1e-6)).clamp(0.0, 1.0)))
            }
        }
    }
}

impl From<Colour> for Paint {
    fn from(c: Colour) -> Paint {
        Paint::Solid(c)
    }
}

/// Smoothstep: gradients without a visible kink where they start and stop.
fn smooth(t: f32) -> f32 {
    t * t * (3.0 - 2.0 * t)
}

/// Sub-scanlines per pixel row for anti-aliasing.
const SUBSAMPLES: usize = 4;

struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<Colour>,
    /// Discs outside which nothing is drawn (the globe's face): centre and radius.
    clip: Option<(Point, f32)>,
    /// Row scratch space for coverage.
    coverage: Vec<f32>,
}

impl Canvas {
    fn new(width: u32, height: u32) -> Canvas {
        Canvas {
            width,
            height,
            pixels: vec![WHITE; width as usize * height as usize],
            clip: None,
            coverage: vec![0.0; width as usize + 2],
        }
    }

    fn w(&self) -> f32 {
        self.width as f32
    }

    fn h(&self) -> f32 {
        self.height as f32
    }

    fn blend(&mut self, x: usize, y: usize, paint: &Paint, alpha: f32) {
        let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
        let alpha = match self.clip {
            Some(((cx, cy), r)) => {
                let d = ((fx - cx).powi(2) + (fy - cy).powi(2)).sqrt();
                alpha * (r - d + 0.5).clamp(0.0, 1.0)
            }
            None => alpha,
        };
        if alpha <= 0.0 {
            return;
        }
        let c = paint.at(fx, fy);
        let i = y * self.width as usize + x;
        self.pixels[i] = mix(self.pixels[i], c, alpha.min(1.0));
    }

    /// Paints the whole canvas.
    fn fill_all(&mut self, paint: Paint) {
        let (w, h) = (self.w(), self.h());
        self.fill(&[rect(0.0, 0.0, w, h)], paint, 1.0);
    }

    fn fill_polygon(&mut self, points: &[Point], paint: impl Into<Paint>, alpha: f32) {
        self.fill(&[points.to_vec()], paint, alpha);
    }

    fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, paint: impl Into<Paint>, alpha: f32) {
        self.fill(&[rect(x0, y0, x1, y1)], paint, alpha);
    }

    /// Fills closed contours with the nonzero winding rule, so a contour running the other way
    /// round cuts a hole.
    fn fill(&mut self, contours: &[Vec<Point>], paint: impl Into<Paint>, alpha: f32) {
        let paint = paint.into();
        let edges: Vec<(Point, Point)> = contours
            .iter()
            .flat_map(|c| {
                c.iter()
                    .zip(c.iter().cycle().skip(1))
                    .map(|(&a, &b)| (a, b))
                    .filter(|(a, b)| a.1 != b.1)
            })
            .collect();
        if edges.is_empty() {
            return;
        }
        let (mut top, mut bottom) = (f32::MAX, f32::MIN);
        for &(a, b) in &edges {
            top = top.min(a.1.min(b.1));
            bottom = bottom.max(a.1.max(b.1));
        }
        let first = top.floor().max(0.0) as usize;
        let last = (bottom.ceil().min(self.h()) as usize).min(self.height as usize);
        let width = self.width as usize;
        let mut crossings: Vec<(f32, i32)> = Vec::new();
        for y in first..last {
            let mut coverage = std::mem::take(&mut self.coverage);
            coverage.iter_mut().for_each(|c| *c = 0.0);
            let (mut lo, mut hi) = (width, 0usize);
            for s in 0..SUBSAMPLES {
                let sy = y as f32 + (s as f32 + 0.5) / SUBSAMPLES as f32;
                crossings.clear();
                for &(a, b) in &edges {
                    let (upper, lower, dir) = if a.1 < b.1 { (a, b, 1) } else { (b, a, -1) };
                    if sy >= upper.1 && sy < lower.1 {
                        let t = (sy - upper.1) / (lower.1 - upper.1);
                        crossings.push((upper.0 + (lower.0 - upper.0) * t, dir));
                    }
                }
                crossings.sort_by(|p, q| p.0.total_cmp(&q.0));
                let mut winding = 0;
                for pair in crossings.windows(2) {
                    winding += pair[0].1;
                    if winding != 0 {
                        let (l, h) = add_span(&mut coverage, pair[0].0, pair[1].0, width);
                        lo = lo.min(l);
                        hi = hi.max(h);
                    }
                }
            }
            let touched = coverage.iter().enumerate().take(hi.min(width)).skip(lo);
            for (x, &c) in touched {
                if c > 0.0 {
                    self.blend(x, y, &paint, alpha * c.min(1.0));
                }
            }
            self.coverage = coverage;
        }
    }

    fn disc(&mut self, (cx, cy): Point, r: f32, paint: impl Into<Paint>, alpha: f32) {
        let paint = paint.into();
        if r <= 0.0 {
            return;
        }
        let x0 = (cx - r - 1.0).floor().max(0.0) as usize;
        let x1 = ((cx + r + 1.0).ceil().max(0.0) as usize).min(self.width as usize);
        let y0 = (cy - r - 1.0).floor().max(0.0) as usize;
        let y1 = ((cy + r + 1.0).ceil().max(0.0) as usize).min(self.height as usize);
        for y in y0..y1 {
            for x in x0..x1 {
                let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
                let cover = (r - d + 0.5).clamp(0.0, 1.0);
                if cover > 0.0 {
                    self.blend(x, y, &paint, alpha * cover);
                }
            }
        }
    }

    /// A soft light: a disc whose opacity falls off smoothly to nothing at `r`.
    fn glow(&mut self, (cx, cy): Point, r: f32, c: Colour, alpha: f32) {
        let x0 = (cx - r).floor().max(0.0) as usize;
        let x1 = ((cx + r).ceil().max(0.0) as usize).min(self.width as usize);
        let y0 = (cy - r).floor().max(0.0) as usize;
        let y1 = ((cy + r).ceil().max(0.0) as usize).min(self.height as usize);
        let paint = Paint::Solid(c);
        for y in y0..y1 {
            for x in x0..x1 {
                let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
                let t = 1.0 - (d / r).min(1.0);
                if t > 0.0 {
                    self.blend(x, y, &paint, alpha * smooth(t));
                }
            }
        }
    }

    /// Full-width haze whose opacity runs from `from` at `y0` to `to` at `y1`: mist, distance.
    fn haze(&mut self, y0: f32, y1: f32, c: Colour, from: f32, to: f32) {
        let first = y0.floor().max(0.0) as usize;
        let last = (y1.ceil().max(0.0) as usize).min(self.height as usize);
        let paint = Paint::Solid(c);
        for y in first..last {
            let t = ((y as f32 + 0.5 - y0) / (y1 - y0).max(1.0)).clamp(0.0, 1.0);
            let alpha = from + (to - from) * smooth(t);
            for x in 0..self.width as usize {
                self.blend(x, y, &paint, alpha);
            }
        }
    }

    fn line(&mut self, points: &[Point], width: f32, paint: impl Into<Paint>, alpha: f32) {
        let outline = stroke(points, width);
        self.fill_polygon(&outline, paint, alpha);
    }

    /// A vignette, paper grain and the conversion to 8-bit sRGB. Grain is monochrome and about
    /// ±1.5% so it reads as paper, and it also dithers the gradients so they do not band.
    fn finish(self, palette: &Palette, seed: u64) -> RgbImage {
        let (w, h) = (self.w(), self.h());
        let shade = palette.shade;
        RgbImage::from_fn(self.width, self.height, |x, y| {
            let c = self.pixels[y as usize * self.width as usize + x as usize];
            let (dx, dy) = ((x as f32 + 0.5) / w - 0.5, (y as f32 + 0.5) / h - 0.5);
            let vignette = (dx * dx + dy * dy).min(0.5) * 0.18;
            let c = mix(c, shade, vignette);
            let grain =
                (hash2(x, y, seed) - 0.5) * 0.03 + (hash2(x / 3, y / 3, !seed) - 0.5) * 0.012;
            image::Rgb(c.map(|v| ((v + grain).clamp(0.0, 1.0) * 255.0 + 0.5) as u8))
        })
    }
}

/// Adds one sub-scanline's span `[xa, xb)` to a coverage row, with exact partial coverage at
/// both ends. Returns the pixel range touched.
fn add_span(coverage: &mut [f32], xa: f32, xb: f32, width: usize) -> (usize, usize) {
    let weight = 1.0 / SUBSAMPLES as f32;
    let a = xa.max(0.0);
    let b = xb.min(width as f32);
    if b <= a {
        return (width, 0);
    }
    let (ia, ib) = (a as usize, b as usize);
    if ia == ib {
        coverage[ia] += (b - a) * weight;
        return (ia, ia + 1);
    }
    coverage[ia] += (ia as f32 + 1.0 - a) * weight;
    for c in &mut coverage[ia + 1..ib] {
        *c += weight;
    }
    if ib < width {
        coverage[ib] += (b - ib as f32) * weight;
    }
    (ia, ib + 1)
}

// ── Shared scenery ──────────────────────────────────────────────────────────────────────────

/// A sky from `top` to the paper at the horizon.
fn sky(canvas: &mut Canvas, top: Colour, bottom: Colour, horizon: f32) {
    canvas.fill_all(Paint::vertical(top, bottom, 0.0, horizon));
}

/// A sun or moon with a wide, faint halo.
fn sun(canvas: &mut Canvas, centre: Point, r: f32, c: Colour, halo: Colour) {
    canvas.glow(centre, r * 3.2, halo, 0.35);
    canvas.disc(centre, r, c, 1.0);
}

/// A ridge line across the canvas: a sum of sines with random phases, smooth and never
/// periodic-looking at the sizes used.
fn ridge(rng: &mut Rng, w: f32, base: f32, amplitude: f32, roughness: f32) -> Vec<Point> {
    let waves: Vec<(f32, f32, f32)> = (0..5)
        .map(|octave| {
            let f = (octave as f32 + 1.0).powf(1.0 + roughness) * rng.range(0.7, 1.3);
            let a = 1.0 / (octave as f32 + 1.0).powf(1.6 - roughness * 0.6);
            (f, a, rng.range(0.0, TAU))
        })
        .collect();
    let total: f32 = waves.iter().map(|(_, a, _)| a).sum();
    let steps = 160;
    (0..=steps)
        .map(|i| {
            let x = w * i as f32 / steps as f32;
            let u = x / w * TAU;
            let y: f32 = waves.iter().map(|(f, a, p)| a * (u * f + p).sin()).sum();
            (x, base - amplitude * y / total)
        })
        .collect()
}

/// Closes a ridge or wave line down to the bottom edge.
fn down_to_bottom(mut line: Vec<Point>, w: f32, h: f32) -> Vec<Point> {
    line.push((w + 1.0, h + 1.0));
    line.push((-1.0, h + 1.0));
    line
}

/// A few distant birds: two short arcs each.
fn birds(canvas: &mut Canvas, rng: &mut Rng, area: (f32, f32, f32, f32), c: Colour) {
    let (x0, y0, x1, y1) = area;
    let size = canvas.h() * 0.012;
    for _ in 0..rng.below(4) + 2 {
        let (x, y) = (rng.range(x0, x1), rng.range(y0, y1));
        let s = size * rng.range(0.7, 1.3);
        let wing = [(x - s, y - s * 0.35), (x - s * 0.45, y - s * 0.5), (x, y)];
        canvas.line(&wing, s * 0.16, c, 0.8);
        let wing = [(x, y), (x + s * 0.45, y - s * 0.5), (x + s, y - s * 0.35)];
        canvas.line(&wing, s * 0.16, c, 0.8);
    }
}

// ── Motifs ──────────────────────────────────────────────────────────────────────────────────

fn capitol(canvas: &mut Canvas, p: &Palette, rng: &mut Rng) {
    let (w, h) = (canvas.w(), canvas.h());
    let horizon = h * 0.8;
    sky(
        canvas,
        mix(p.accent, p.paper, 0.72),
        mix(p.light, p.paper, 0.55),
        horizon,
    );
    let sun_x = w * rng.range(0.62, 0.8);
    sun(
        canvas,
        (sun_x, h * rng.range(0.26, 0.36)),
        h * 0.2,
        mix(p.light, p.paper, 0.15),
        p.light,
    );
    birds(
        canvas,
        rng,
        (w * 0.08, h * 0.12, w * 0.32, h * 0.3),
        p.far(p.ink, 0.45),
    );

    // Distant trees along the horizon.
    let trees = ridge(rng, w, horizon - h * 0.03, h * 0.025, 0.9);
    canvas.fill_polygon(&down_to_bottom(trees, w, h), p.far(p.ink, 0.7), 1.0);

    let cx = w * rng.range(0.42, 0.5);
    let stone = mix(p.paper, WHITE, 0.5);
    let line = Paint::Solid(p.shade);
    // Wings with their colonnades.
    let wing = w * rng.range(0.24, 0.3);
    let (wing_top, base) = (h * 0.63, h * 0.82);
    canvas.rect(cx - wing, wing_top, cx + wing, base, stone, 1.0);
    canvas.rect(
        cx - wing - h * 0.006,
        wing_top - h * 0.012,
        cx + wing + h * 0.006,
        wing_top,
        p.far(p.ink, 0.55),
        1.0,
    );
    let bays = 22;
    for i in 0..bays {
        let x = cx - wing + (2.0 * wing) * (i as f32 + 0.5) / bays as f32;
        if (x - cx).abs() < w * 0.085 {
            continue;
        }
        canvas.rect(
            x - h * 0.006,
            wing_top + h * 0.025,
            x + h * 0.006,
            base - h * 0.02,
            line,
            0.28,
        );
    }
    // Central portico and pediment.
    let portico = w * 0.075;
    let portico_top = h * 0.56;
    canvas.rect(cx - portico, portico_top, cx + portico, base, stone, 1.0);
    canvas.fill_polygon(
        &[
            (cx - portico - h * 0.01, portico_top),
            (cx, portico_top - h * 0.06),
            (cx + portico + h * 0.01, portico_top),
        ],
        p.far(p.ink, 0.55),
        1.0,
    );
    canvas.fill_polygon(
        &[
            (cx - portico + h * 0.01, portico_top - h * 0.006),
            (cx, portico_top - h * 0.048),
            (cx + portico - h * 0.01, portico_top - h * 0.006),
        ],
        stone,
        1.0,
    );
    for i in 0..8 {
        let x = cx - portico + 2.0 * portico * (i as f32 + 0.5) / 8.0;
        canvas.rect(
            x - h * 0.007,
            portico_top + h * 0.02,
            x + h * 0.007,
            base - h * 0.02,
            line,
            0.3,
        );
    }
    // Drum, dome and lantern, lit from the left.
    let drum = w * 0.062;
    let (drum_top, drum_bottom) = (h * 0.42, portico_top - h * 0.055);
    canvas.rect(
        cx - drum * 1.12,
        drum_bottom - h * 0.03,
        cx + drum * 1.12,
        drum_bottom + h * 0.01,
        stone,
        1.0,
    );
    canvas.rect(cx - drum, drum_top, cx + drum, drum_bottom, stone, 1.0);
    for i in 0..11 {
        let x = cx - drum + 2.0 * drum * (i as f32 + 0.5) / 11.0;
        canvas.rect(
            x - h * 0.004,
            drum_top + h * 0.015,
            x + h * 0.004,
            drum_bottom - h * 0.01,
            line,
            0.3,
        );
    }
    let dome_ry = h * 0.15;
    let mut dome = arc(cx, drum_top, drum * 0.95, dome_ry, PI, TAU, 64);
    dome.push((cx + drum * 0.95, drum_top + 1.0));
    canvas.fill_polygon(&dome, stone, 1.0);
    for k in 1..6 {
        let rx = drum * 0.95 * (1.0 - k as f32 / 6.0);
        let rib = arc(
            cx,
            drum_top,
            rx,
            dome_ry * (1.0 - (k as f32 / 6.0).powi(3) * 0.05),
            PI * 1.02,
            PI * 1.5,
            24,
        );
        canvas.line(&rib, h * 0.003, line, 0.18);
        let mirrored: Vec<Point> = rib.iter().map(|&(x, y)| (2.0 * cx - x, y)).collect();
        canvas.line(&mirrored, h * 0.003, line, 0.18);
    }
    let lantern_bottom = drum_top - dome_ry + h * 0.01;
    canvas.rect(
        cx - h * 0.014,
        lantern_bottom - h * 0.05,
        cx + h * 0.014,
        lantern_bottom + h * 0.004,
        stone,
        1.0,
    );
    canvas.disc((cx, lantern_bottom - h * 0.052), h * 0.014, stone, 1.0);
    canvas.line(
        &[
            (cx, lantern_bottom - h * 0.065),
            (cx, lantern_bottom - h * 0.12),
        ],
        h * 0.004,
        line,
        0.9,
    );
    // Shade on the right-hand side of every volume.
    let shadow = Paint::Solid(p.ink);
    canvas.rect(
        cx + drum * 0.25,
        drum_top,
        cx + drum,
        drum_bottom,
        shadow,
        0.16,
    );
    let mut dome_shade = arc(cx, drum_top, drum * 0.95, dome_ry, PI * 1.5, TAU, 32);
    dome_shade.push((cx, drum_top));
    canvas.fill_polygon(&dome_shade, shadow, 0.12);
    canvas.rect(
        cx + portico * 0.35,
        portico_top,
        cx + portico,
        base,
        shadow,
        0.1,
    );
    canvas.rect(cx + portico, wing_top, cx + wing, base, shadow, 0.07);
    // Steps and lawn.
    let lawn_top = base + h * 0.036;
    canvas.rect(0.0, base, w, lawn_top + 1.0, p.far(p.ink, 0.6), 1.0);
    for (i, step) in [0.0, 0.012, 0.024].iter().enumerate() {
        let inset = portico * (1.0 + i as f32 * 0.18);
        canvas.rect(
            cx - inset,
            base - h * 0.004 + h * step,
            cx + inset,
            base + h * step + h * 0.012,
            mix(stone, p.ink, 0.06 * i as f32 + 0.04),
            1.0,
        );
    }
    canvas.rect(
        0.0,
        lawn_top,
        w,
        h,
        Paint::vertical(p.far(p.ink, 0.55), p.far(p.ink, 0.25), lawn_top, h),
        1.0,
    );
    // The walk to the steps, in perspective.
    let walk = [
        (cx - portico * 0.3, lawn_top),
        (cx + portico * 0.3, lawn_top),
        (cx + portico * 0.9, h + 1.0),
        (cx - portico * 0.9, h + 1.0),
    ];
    canvas.fill_polygon(&walk, mix(stone, p.ink, 0.12), 1.0);
    // Trees framing the building.
    for side in [-1.0f32, 1.0] {
        for k in 0..3 {
            let x = cx + side * (wing + w * rng.range(0.02, 0.09) + k as f32 * w * 0.05);
            let r = h * rng.range(0.05, 0.085);
            let y = base - r * 0.6;
            let foliage = mix(p.far(p.ink, 0.15 + 0.1 * k as f32), p.accent, 0.06);
            canvas.disc((x, y), r, foliage, 1.0);
            canvas.disc(
                (x - r * 0.3, y - r * 0.3),
                r * 0.55,
                mix(foliage, p.paper, 0.15),
                0.7,
            );
        }
    }
    // A flag in the accent colour on the portico.
    let flag_x = cx + portico * 0.8;
    let pole_top = portico_top - h * 0.13;
    canvas.line(
        &[(flag_x, portico_top - h * 0.02), (flag_x, pole_top)],
        h * 0.003,
        line,
        0.9,
    );
    let wave = rng.range(0.0, 3.0);
    let flag: Vec<Point> = (0..=12)
        .map(|i| {
            let t = i as f32 / 12.0;
            (
                flag_x + t * h * 0.07,
                pole_top + (t * 6.0 + wave).sin() * h * 0.004,
            )
        })
        .chain((0..=12).rev().map(|i| {
            let t = i as f32 / 12.0;
            (
                flag_x + t * h * 0.07,
                pole_top + h * 0.04 + (t * 6.0 + wave).sin() * h * 0.004,
            )
        }))
        .collect();
    canvas.fill_polygon(&flag, p.accent, 1.0);
}

fn globe(canvas: &mut Canvas, p: &Palette, rng: &mut Rng) {
    let (w, h) = (canvas.w(), canvas.h());
    canvas.fill_all(Paint::Radial {
        a: mix(p.light, p.paper, 0.45),
        b: p.paper,
        centre: (w * 0.5, h * 0.5),
        radius: w * 0.6,
    });
    // A faint dot grid, like a map's graticule seen from afar.
    let step = h / 18.0;
    let mut y = step / 2.0;
    while y < h {
        let mut x = step / 2.0;
        while x < w {
            canvas.disc((x, y), h * 0.0022, p.ink, 0.16);
            x += step;
        }
        y += step;
    }
    let centre = (w * rng.range(0.42, 0.58), h * 0.52);
    let r = h * 0.36;
    let tilt = rng.range(-0.45, -0.2);

    // Orbit behind the globe.
    let orbit = |rx: f32, ry: f32, from: f32, to: f32| {
        let mut points = arc(centre.0, centre.1, rx, ry, from, to, 96);
        rotate(&mut points, centre, tilt);
        points
    };
    let (orx, ory) = (r * 1.55, r * 0.42);
    let back = orbit(orx, ory, PI, TAU);
    canvas.line(&back, h * 0.005, p.ink, 0.35);

    canvas.glow(centre, r * 1.25, p.light, 0.45);
    canvas.disc(
        centre,
        r,
        Paint::Radial {
            a: mix(p.ink, p.paper, 0.35),
            b: p.ink,
            centre: (centre.0 - r * 0.35, centre.1 - r * 0.35),
            radius: r * 1.5,
        },
        1.0,
    );
    canvas.clip = Some((centre, r));
    // Continents: lumpy blobs on the face, in the soft colour with accent highlights.
    for i in 0..rng.below(3) + 4 {
        let c = (
            centre.0 + rng.range(-0.8, 0.8) * r,
            centre.1 + rng.range(-0.75, 0.75) * r,
        );
        let size = r * rng.range(0.18, 0.42);
        let phases: Vec<f32> = (0..4).map(|_| rng.range(0.0, TAU)).collect();
        let blob: Vec<Point> = (0..72)
            .map(|k| {
                let a = k as f32 / 72.0 * TAU;
                let wobble: f32 = phases
                    .iter()
                    .enumerate()
                    .map(|(n, ph)| (a * (n as f32 + 2.0) + ph).sin() / (n as f32 + 1.5))
                    .sum();
                let rr = size * (1.0 + 0.35 * wobble);
                (c.0 + rr * a.cos() * 1.2, c.1 + rr * a.sin())
            })
            .collect();
        let land = if i % 3 == 0 {
            mix(p.light, p.accent, 0.35)
        } else {
            p.light
        };
        canvas.fill_polygon(&blob, land, 0.92);
    }
    // Graticule: meridians as ellipses, parallels as chords.
    let grid = Paint::Solid(p.paper);
    for k in 1..6 {
        let rx = r * (k as f32 / 6.0 * FRAC_PI_2).sin();
        let outer = ellipse(centre.0, centre.1, rx + h * 0.0015, r);
        let mut inner = ellipse(centre.0, centre.1, (rx - h * 0.0015).max(0.0), r - 1.0);
        inner.reverse();
        canvas.fill(&[outer, inner], grid, 0.22);
    }
    canvas.line(
        &[(centre.0, centre.1 - r), (centre.0, centre.1 + r)],
        h * 0.003,
        grid,
        0.22,
    );
    for k in -3..=3 {
        let y = centre.1 + r * (k as f32 / 4.0 * FRAC_PI_2).sin();
        canvas.line(
            &[(centre.0 - r, y), (centre.0 + r, y)],
            h * 0.003,
            grid,
            0.22,
        );
    }
    // Night side, with a soft terminator.
    canvas.glow(
        (centre.0 + r * 0.95, centre.1 + r * 0.45),
        r * 1.7,
        p.shade,
        0.6,
    );
    canvas.clip = None;

    // Orbit in front, with two satellites.
    let front = orbit(orx, ory, 0.0, PI);
    canvas.line(&front, h * 0.005, p.ink, 0.75);
    for t in [rng.range(0.15, 0.4), rng.range(0.6, 0.85)] {
        let index = ((front.len() - 1) as f32 * t) as usize;
        canvas.disc(front[index], h * 0.014, p.accent, 1.0);
        canvas.disc(front[index], h * 0.006, p.paper, 1.0);
    }
}

fn skyline(canvas: &mut Canvas, p: &Palette, rng: &mut Rng) {
    let (w, h) = (canvas.w(), canvas.h());
    let ground = h * 0.86;
    sky(
        canvas,
        mix(p.accent, p.paper, 0.62),
        mix(p.light, p.paper, 0.35),
        ground,
    );
    sun(
        canvas,
        (w * rng.range(0.2, 0.8), h * rng.range(0.34, 0.46)),
        h * 0.17,
        mix(p.light, WHITE, 0.25),
        p.light,
    );
    birds(
        canvas,
        rng,
        (w * 0.1, h * 0.1, w * 0.9, h * 0.28),
        p.far(p.ink, 0.5),
    );

    // Three layers of buildings, far to near, each darker and shorter-topped than the last.
    let layers = [(0.72, 0.22, 0.5), (0.45, 0.16, 0.38), (0.0, 0.1, 0.3)];
    for (depth, (fade, low, high)) in layers.into_iter().enumerate() {
        let c = p.far(p.ink, fade);
        let mut x = -rng.range(0.0, w * 0.04);
        while x < w {
            let bw = w * rng.range(0.035, 0.085);
            let top = ground - h * rng.range(low, high);
            canvas.rect(x, top, x + bw + 1.0, ground + 1.0, c, 1.0);
            match rng.below(5) {
                0 => {
                    let spire = [
                        (x + bw * 0.2, top),
                        (x + bw * 0.5, top - h * 0.07),
                        (x + bw * 0.8, top),
                    ];
                    canvas.fill_polygon(&spire, c, 1.0);
                }
                1 => {
                    canvas.rect(x + bw * 0.2, top - h * 0.03, x + bw * 0.8, top, c, 1.0);
                    canvas.line(
                        &[
                            (x + bw * 0.5, top - h * 0.03),
                            (x + bw * 0.5, top - h * 0.09),
                        ],
                        h * 0.003,
                        c,
                        1.0,
                    );
                }
                2 => {
                    let roof = [(x, top), (x + bw, top - h * 0.035), (x + bw, top)];
                    canvas.fill_polygon(&roof, c, 1.0);
                }
                _ => {}
            }
            if depth == 2 {
                // Windows: a regular grid, some lit in the soft colour.
                let (cols, cell) = ((bw / (h * 0.022)).floor().max(1.0) as usize, h * 0.03);
                let pad = (bw - cols as f32 * h * 0.022) / 2.0;
                let mut y = top + h * 0.025;
                while y < ground - h * 0.03 {
                    for col in 0..cols {
                        let wx = x + pad + col as f32 * h * 0.022 + h * 0.005;
                        let lit = rng.chance(0.35);
                        let colour = if lit { p.light } else { mix(c, p.paper, 0.12) };
                        canvas.rect(
                            wx,
                            y,
                            wx + h * 0.011,
                            y + h * 0.014,
                            colour,
                            if lit { 0.9 } else { 1.0 },
                        );
                    }
                    y += cell;
                }
            }
            x += bw + w * rng.range(0.0, 0.012);
        }
        // Haze between layers, so the next one stands in front.
        if depth < 2 {
            canvas.rect(0.0, ground - h * 0.16, w, ground + 1.0, p.paper, 0.18);
        }
    }
    // River with reflections.
    canvas.rect(
        0.0,
        ground,
        w,
        h,
        Paint::vertical(mix(p.ink, p.accent, 0.2), p.shade, ground, h),
        1.0,
    );
    for _ in 0..40 {
        let y = rng.range(ground + h * 0.015, h - h * 0.01);
        let x = rng.range(0.0, w);
        let len = w * rng.range(0.01, 0.06);
        canvas.line(
            &[(x, y), (x + len, y)],
            h * 0.003,
            p.light,
            rng.range(0.2, 0.5),
        );
    }
}

fn chart(canvas: &mut Canvas, p: &Palette, rng: &mut Rng) {
    let (w, h) = (canvas.w(), canvas.h());
    canvas.fill_all(Paint::vertical(
        mix(p.paper, p.light, 0.25),
        p.paper,
        0.0,
        h,
    ));
    // Plot area on one side, a ring chart on the other.
    let ring_left = rng.chance(0.5);
    let (x0, x1) = if ring_left {
        (w * 0.4, w * 0.93)
    } else {
        (w * 0.07, w * 0.6)
    };
    let (y0, y1) = (h * 0.16, h * 0.82);
    for k in 0..=5 {
        let y = y1 - (y1 - y0) * k as f32 / 5.0;
        canvas.line(
            &[(x0, y), (x1, y)],
            h * 0.002,
            p.ink,
            if k == 0 { 0.6 } else { 0.12 },
        );
    }
    // Bars from a gentle random walk.
    let n = 9 + rng.below(4);
    let slot = (x1 - x0) / n as f32;
    let mut value = rng.range(0.3, 0.5);
    let highlight = rng.below(n);
    let mut tops = Vec::with_capacity(n);
    for i in 0..n {
        value = (value + rng.range(-0.12, 0.16)).clamp(0.12, 0.92);
        let top = y1 - (y1 - y0) * value * 0.8;
        let bx = x0 + slot * i as f32 + slot * 0.2;
        let c = if i == highlight {
            p.accent
        } else {
            mix(p.soft, p.paper, 0.1)
        };
        canvas.rect(bx, top, bx + slot * 0.6, y1, c, 1.0);
        tops.push((bx + slot * 0.3, top));
    }
    // A trend line above the bars, with the area beneath tinted.
    let line: Vec<Point> = tops
        .iter()
        .map(|&(x, top)| (x, top - (y1 - y0) * rng.range(0.06, 0.16)))
        .collect();
    let mut area = line.clone();
    area.push((line[line.len() - 1].0, y1));
    area.push((line[0].0, y1));
    canvas.fill_polygon(&area, Paint::vertical(p.accent, p.paper, y0, y1), 0.22);
    canvas.line(&line, h * 0.008, p.ink, 1.0);
    for &point in &line {
        canvas.disc(point, h * 0.013, p.ink, 1.0);
        canvas.disc(point, h * 0.0065, p.paper, 1.0);
    }
    // Ring chart.
    let centre = (if ring_left { w * 0.2 } else { w * 0.8 }, h * 0.48);
    let (outer, inner) = (h * 0.24, h * 0.15);
    let mut shares: Vec<f32> = (0..4).map(|_| rng.range(0.5, 1.5)).collect();
    let total: f32 = shares.iter().sum();
    shares.iter_mut().for_each(|s| *s /= total);
    let colours = [p.accent, p.ink, p.soft, mix(p.ink, p.paper, 0.55)];
    let mut angle = -FRAC_PI_2;
    for (share, c) in shares.iter().zip(colours) {
        let span = share * TAU;
        canvas.fill_polygon(
            &arc_band(
                centre.0,
                centre.1,
                outer,
                inner,
                angle + 0.015,
                angle + span - 0.015,
            ),
            c,
            1.0,
        );
        angle += span;
    }
    // Legend bars under the ring, like labels without text.
    for (i, c) in colours.iter().enumerate() {
        let y = centre.1 + outer + h * 0.07 + i as f32 * h * 0.035;
        canvas.rect(
            centre.0 - outer,
            y,
            centre.0 - outer + h * 0.02,
            y + h * 0.02,
            *c,
            1.0,
        );
        let len = outer * rng.range(0.8, 1.6);
        canvas.rect(
            centre.0 - outer + h * 0.035,
            y + h * 0.006,
            centre.0 - outer + h * 0.035 + len,
            y + h * 0.014,
            p.ink,
            0.2,
        );
    }
}

fn circuit(canvas: &mut Canvas, p: &Palette, rng: &mut Rng) {
    let (w, h) = (canvas.w(), canvas.h());
    let board = mix(p.ink, NIGHT, 0.25);
    canvas.fill_all(Paint::Radial {
        a: mix(p.ink, p.paper, 0.12),
        b: board,
        centre: (w * 0.5, h * 0.5),
        radius: w * 0.6,
    });
    let cell = h / 20.0;
    let chip_w = cell * rng.range(6.0, 8.0);
    let chip_h = cell * rng.range(5.0, 6.0);
    let chip = (w * rng.range(0.4, 0.6), h * 0.5);
    canvas.glow(chip, chip_w * 1.6, p.accent, 0.28);
    let trace = mix(p.ink, p.soft, 0.45);
    let directions: [(f32, f32); 8] = [
        (1.0, 0.0),
        (1.0, 1.0),
        (0.0, 1.0),
        (-1.0, 1.0),
        (-1.0, 0.0),
        (-1.0, -1.0),
        (0.0, -1.0),
        (1.0, -1.0),
    ];
    // Traces leave the chip's pins and wander outwards on a 45° grid.
    let pins_per_side = 7;
    for side in 0..4 {
        for k in 0..pins_per_side {
            let t = (k as f32 + 0.5) / pins_per_side as f32 - 0.5;
            let (start, mut dir) = match side {
                0 => ((chip.0 + t * chip_w, chip.1 - chip_h / 2.0), 6),
                1 => ((chip.0 + chip_w / 2.0, chip.1 + t * chip_h), 0),
                2 => ((chip.0 + t * chip_w, chip.1 + chip_h / 2.0), 2),
                _ => ((chip.0 - chip_w / 2.0, chip.1 + t * chip_h), 4),
            };
            let mut points = vec![start];
            let mut at = start;
            let steps = 3 + rng.below(9);
            for _ in 0..steps {
                let run = cell * (1 + rng.below(4)) as f32;
                let (dx, dy) = directions[dir];
                at = (at.0 + dx * run, at.1 + dy * run);
                points.push(at);
                if rng.chance(0.5) {
                    // Turn 45° either way, never back towards the chip.
                    let turn = if rng.chance(0.5) { 1 } else { 7 };
                    let next = (dir + turn) % 8;
                    let outward = match side {
                        0 => directions[next].1 <= 0.0,
                        1 => directions[next].0 >= 0.0,
                        2 => directions[next].1 >= 0.0,
                        _ => directions[next].0 <= 0.0,
                    };
                    if outward {
                        dir = next;
                    }
                }
            }
            let lit = rng.chance(0.18);
            let c = if lit { p.accent } else { trace };
            canvas.line(&points, cell * 0.14, c, if lit { 1.0 } else { 0.75 });
            let end = points[points.len() - 1];
            canvas.disc(end, cell * 0.26, c, 1.0);
            canvas.disc(end, cell * 0.12, board, 1.0);
            // Pin.
            let pin = match side {
                0 | 2 => rect(
                    start.0 - cell * 0.12,
                    start.1 - cell * 0.35,
                    start.0 + cell * 0.12,
                    start.1 + cell * 0.35,
                ),
                _ => rect(
                    start.0 - cell * 0.35,
                    start.1 - cell * 0.12,
                    start.0 + cell * 0.35,
                    start.1 + cell * 0.12,
                ),
            };
            canvas.fill_polygon(&pin, mix(p.light, WHITE, 0.3), 1.0);
        }
    }
    // The chip, with a bevel and a die mark.
    let body = rect(
        chip.0 - chip_w / 2.0,
        chip.1 - chip_h / 2.0,
        chip.0 + chip_w / 2.0,
        chip.1 + chip_h / 2.0,
    );
    canvas.fill_polygon(
        &body,
        Paint::Linear {
            a: mix(p.ink, p.paper, 0.28),
            b: mix(p.ink, NIGHT, 0.1),
            from: (chip.0, chip.1 - chip_h / 2.0),
            to: (chip.0, chip.1 + chip_h / 2.0),
        },
        1.0,
    );
    let inset = cell * 0.5;
    let die = rect(
        chip.0 - chip_w / 2.0 + inset,
        chip.1 - chip_h / 2.0 + inset,
        chip.0 + chip_w / 2.0 - inset,
        chip.1 + chip_h / 2.0 - inset,
    );
    canvas.fill_polygon(&die, mix(p.ink, p.paper, 0.2), 1.0);
    canvas.disc(
        (
            chip.0 - chip_w / 2.0 + inset * 1.8,
            chip.1 - chip_h / 2.0 + inset * 1.8,
        ),
        cell * 0.22,
        p.accent,
        1.0,
    );
    // Scattered vias.
    for _ in 0..60 {
        let at = (rng.range(0.0, w), rng.range(0.0, h));
        canvas.disc(at, cell * 0.12, trace, 0.5);
    }
}

fn waves(canvas: &mut Canvas, p: &Palette, rng: &mut Rng) {
    let (w, h) = (canvas.w(), canvas.h());
    let horizon = h * rng.range(0.42, 0.52);
    sky(
        canvas,
        mix(p.accent, p.paper, 0.6),
        mix(p.light, p.paper, 0.2),
        horizon,
    );
    let sun_at = (
        w * rng.range(0.25, 0.75),
        horizon - h * rng.range(0.08, 0.2),
    );
    sun(canvas, sun_at, h * 0.11, mix(p.light, WHITE, 0.3), p.light);
    birds(
        canvas,
        rng,
        (w * 0.1, h * 0.08, w * 0.9, horizon - h * 0.2),
        p.far(p.ink, 0.5),
    );
    canvas.rect(0.0, horizon, w, h, p.far(p.ink, 0.55), 1.0);
    // Sun path on the far water.
    for k in 0..14 {
        let y = horizon + h * 0.012 + k as f32 * h * 0.012;
        let half = h * 0.05 * (1.0 - k as f32 / 16.0) * rng.range(0.6, 1.2);
        canvas.line(
            &[(sun_at.0 - half, y), (sun_at.0 + half, y)],
            h * 0.004,
            p.light,
            0.55,
        );
    }
    // Swells, far to near: lower, taller, darker.
    let layers = 7;
    for i in 0..layers {
        let t = i as f32 / (layers - 1) as f32;
        let base = horizon + (h - horizon) * (0.12 + 0.9 * t.powf(1.3));
        let amplitude = h * (0.006 + 0.03 * t);
        let line = ridge(rng, w, base, amplitude, 0.2);
        let c = if i % 3 == 1 {
            mix(p.accent, p.ink, 0.35 + 0.4 * t)
        } else {
            p.far(p.ink, 0.5 * (1.0 - t))
        };
        let body = Paint::vertical(c, mix(c, p.shade, 0.35), base - amplitude, h);
        canvas.fill_polygon(&down_to_bottom(line.clone(), w, h), body, 1.0);
        canvas.line(&line, h * (0.002 + 0.003 * t), p.paper, 0.35);
    }
    // A sailboat on the second swell.
    if rng.chance(0.8) {
        let x = w * rng.range(0.15, 0.85);
        let y = horizon + (h - horizon) * 0.16;
        let s = h * 0.05;
        canvas.fill_polygon(
            &[
                (x - s * 0.6, y),
                (x + s * 0.6, y),
                (x + s * 0.45, y + s * 0.2),
                (x - s * 0.45, y + s * 0.2),
            ],
            p.shade,
            1.0,
        );
        canvas.fill_polygon(
            &[
                (x, y - s * 1.3),
                (x, y - s * 0.05),
                (x + s * 0.55, y - s * 0.05),
            ],
            p.paper,
            1.0,
        );
        canvas.fill_polygon(
            &[
                (x - s * 0.05, y - s * 1.1),
                (x - s * 0.05, y - s * 0.05),
                (x - s * 0.45, y - s * 0.05),
            ],
            p.accent,
            1.0,
        );
    }
}

fn mountains(canvas: &mut Canvas, p: &Palette, rng: &mut Rng) {
    let (w, h) = (canvas.w(), canvas.h());
    sky(
        canvas,
        mix(p.accent, p.paper, 0.6),
        mix(p.light, p.paper, 0.3),
        h * 0.7,
    );
    let sun_at = (w * rng.range(0.2, 0.8), h * rng.range(0.2, 0.3));
    sun(canvas, sun_at, h * 0.11, mix(p.light, WHITE, 0.3), p.light);
    birds(
        canvas,
        rng,
        (w * 0.1, h * 0.08, w * 0.9, h * 0.26),
        p.far(p.ink, 0.45),
    );
    let layers = 5;
    for i in 0..layers {
        let t = i as f32 / (layers - 1) as f32;
        let base = h * (0.5 + 0.38 * t);
        let amplitude = h * (0.17 - 0.09 * t);
        let line = ridge(rng, w, base, amplitude, 0.6 - 0.45 * t);
        let c = if i == 1 {
            mix(p.far(p.accent, 0.5), p.ink, 0.25)
        } else {
            p.far(p.ink, 0.72 * (1.0 - t))
        };
        canvas.fill_polygon(&down_to_bottom(line.clone(), w, h), c, 1.0);
        // Snow on the peaks of the farthest range, down to a ragged snow line.
        if i == 0 {
            let summit = line.iter().map(|q| q.1).fold(f32::MAX, f32::min);
            let snow_line = summit + amplitude * 0.45;
            let phase = rng.range(0.0, 6.0);
            let lower: Vec<Point> = line
                .iter()
                .map(|&(x, y)| {
                    let ragged = snow_line + (x / w * 60.0 + phase).sin() * h * 0.008;
                    (x, y.max(ragged))
                })
                .collect();
            let mut cap = line.clone();
            cap.extend(lower.into_iter().rev());
            canvas.fill_polygon(&cap, mix(p.paper, WHITE, 0.5), 0.85);
        }
        // Pines along the nearest ridges.
        if i >= layers - 2 {
            let tree = mix(c, p.shade, 0.3);
            for &(x, y) in line.iter().step_by(2) {
                if !rng.chance(0.5) {
                    continue;
                }
                let s = h * rng.range(0.03, 0.055) * (0.6 + t);
                let pine = [
                    (x - s * 0.28, y + s * 0.15),
                    (x, y - s),
                    (x + s * 0.28, y + s * 0.15),
                ];
                canvas.fill_polygon(&pine, tree, 1.0);
            }
        }
        // Mist gathers in the valley in front of each range but the nearest.
        if i < layers - 1 {
            canvas.haze(
                base - amplitude * 0.4,
                base + amplitude * 0.9,
                p.paper,
                0.0,
                0.45,
            );
        }
    }
}

fn columns(canvas: &mut Canvas, p: &Palette, rng: &mut Rng) {
    let (w, h) = (canvas.w(), canvas.h());
    let ground = h * 0.82;
    sky(canvas, mix(p.light, p.paper, 0.35), p.paper, ground);
    sun(
        canvas,
        (w * rng.range(0.6, 0.85), h * rng.range(0.25, 0.35)),
        h * 0.22,
        mix(p.accent, p.paper, 0.35),
        p.accent,
    );
    let stone = mix(p.paper, WHITE, 0.55);
    let line = p.shade;
    let count = 5 + rng.below(3) * 2;
    let left = w * rng.range(0.1, 0.22);
    let right = left + w * rng.range(0.5, 0.62);
    let (top, bottom) = (h * 0.34, ground - h * 0.05);
    // The shadowed interior behind the columns.
    canvas.rect(
        left,
        top,
        right,
        bottom,
        Paint::vertical(
            mix(p.ink, p.paper, 0.3),
            mix(p.ink, p.paper, 0.5),
            top,
            bottom,
        ),
        1.0,
    );
    // Long shadows across the ground, cast away from the sun.
    let gap = (right - left) / count as f32;
    let shaft = gap * 0.42;
    // Ground.
    canvas.rect(
        0.0,
        ground,
        w,
        h,
        Paint::vertical(
            mix(p.soft, p.ink, 0.25),
            mix(p.ink, p.shade, 0.3),
            ground,
            h,
        ),
        1.0,
    );
    for i in 0..count {
        let x = left + gap * (i as f32 + 0.5);
        let shadow = [
            (x - shaft / 2.0, ground),
            (x + shaft / 2.0, ground),
            (x - shaft / 2.0 - w * 0.12, h),
            (x - shaft / 2.0 - w * 0.12 - shaft, h),
        ];
        canvas.fill_polygon(&shadow, p.shade, 0.25);
    }
    // Steps.
    for k in 0..3 {
        let inset = k as f32 * h * 0.012;
        let y = bottom + k as f32 * h * 0.018;
        canvas.rect(
            left - h * 0.06 - inset,
            y,
            right + h * 0.06 + inset,
            y + h * 0.018,
            mix(stone, p.ink, 0.05 + 0.05 * k as f32),
            1.0,
        );
        canvas.rect(
            left - h * 0.06 - inset,
            y + h * 0.015,
            right + h * 0.06 + inset,
            y + h * 0.018,
            line,
            0.15,
        );
    }
    // Columns: base, fluted shaft with side shading, capital.
    for i in 0..count {
        let x = left + gap * (i as f32 + 0.5);
        let (x0, x1) = (x - shaft / 2.0, x + shaft / 2.0);
        canvas.rect(
            x0 - shaft * 0.12,
            bottom - h * 0.02,
            x1 + shaft * 0.12,
            bottom,
            stone,
            1.0,
        );
        canvas.rect(x0, top + h * 0.05, x1, bottom - h * 0.02, stone, 1.0);
        for f in 1..5 {
            let fx = x0 + shaft * f as f32 / 5.0;
            canvas.line(
                &[(fx, top + h * 0.06), (fx, bottom - h * 0.025)],
                h * 0.0025,
                line,
                0.12,
            );
        }
        canvas.rect(
            x0 + shaft * 0.62,
            top + h * 0.05,
            x1,
            bottom - h * 0.02,
            line,
            0.16,
        );
        canvas.rect(
            x0 - shaft * 0.18,
            top + h * 0.03,
            x1 + shaft * 0.18,
            top + h * 0.05,
            stone,
            1.0,
        );
        canvas.rect(
            x0 - shaft * 0.18,
            top + h * 0.045,
            x1 + shaft * 0.18,
            top + h * 0.05,
            line,
            0.15,
        );
    }
    // Entablature with dentils, then the pediment.
    let (eave_l, eave_r) = (left - h * 0.04, right + h * 0.04);
    canvas.rect(eave_l, top - h * 0.04, eave_r, top + h * 0.03, stone, 1.0);
    canvas.rect(eave_l, top + h * 0.02, eave_r, top + h * 0.03, line, 0.15);
    let dentil = h * 0.014;
    let mut dx = eave_l + dentil;
    while dx < eave_r - dentil {
        canvas.rect(dx, top - h * 0.012, dx + dentil * 0.6, top, line, 0.2);
        dx += dentil * 1.3;
    }
    let apex = top - h * 0.04 - (eave_r - eave_l) * 0.16;
    canvas.fill_polygon(
        &[
            (eave_l - h * 0.01, top - h * 0.04),
            ((eave_l + eave_r) / 2.0, apex),
            (eave_r + h * 0.01, top - h * 0.04),
        ],
        stone,
        1.0,
    );
    let tympanum = [
        (eave_l + h * 0.04, top - h * 0.05),
        ((eave_l + eave_r) / 2.0, apex + h * 0.03),
        (eave_r - h * 0.04, top - h * 0.05),
    ];
    canvas.fill_polygon(&tympanum, p.soft, 0.55);
    canvas.disc(
        (
            (eave_l + eave_r) / 2.0,
            top - h * 0.05 - (top - h * 0.05 - apex - h * 0.03) * 0.38,
        ),
        h * 0.018,
        p.accent,
        0.9,
    );
}

fn crowd(canvas: &mut Canvas, p: &Palette, rng: &mut Rng) {
    let (w, h) = (canvas.w(), canvas.h());
    sky(canvas, mix(p.light, p.paper, 0.35), p.paper, h * 0.6);
    sun(
        canvas,
        (w * rng.range(0.25, 0.75), h * rng.range(0.2, 0.28)),
        h * 0.16,
        mix(p.accent, p.paper, 0.35),
        p.accent,
    );
    // The city the crowd has gathered in, far behind.
    let mut x = 0.0;
    while x < w {
        let bw = w * rng.range(0.04, 0.1);
        let top = h * rng.range(0.3, 0.45);
        canvas.rect(x, top, x + bw + 1.0, h, p.far(p.ink, 0.8), 1.0);
        x += bw;
    }
    let rows = 5;
    let colours = [
        p.ink,
        p.accent,
        p.light,
        mix(p.ink, p.accent, 0.5),
        mix(p.ink, p.paper, 0.4),
    ];
    for row in 0..rows {
        // Everything already drawn recedes a step into the haze.
        canvas.haze(0.0, h, p.paper, 0.16, 0.16);
        let t = row as f32 / (rows - 1) as f32;
        let scale = h * (0.055 + 0.075 * t);
        let shoulders_y = h * (0.56 + 0.38 * t);
        let mut x = -rng.range(0.0, scale);
        while x < w + scale {
            let s = scale * rng.range(0.88, 1.12);
            let y = shoulders_y + rng.range(-0.18, 0.18) * s;
            let body = rng.pick(&colours);
            let head = mix(body, p.shade, 0.45);
            // Now and then a placard, held up above the heads.
            if row < rows - 1 && rng.chance(0.07) {
                let stick_top = y - s * 2.7;
                canvas.line(
                    &[(x + s * 0.45, y - s * 0.2), (x + s * 0.45, stick_top)],
                    s * 0.08,
                    p.shade,
                    1.0,
                );
                let card = if rng.chance(0.5) {
                    mix(p.paper, WHITE, 0.5)
                } else {
                    p.accent
                };
                canvas.rect(
                    x - s * 0.3,
                    stick_top - s * 0.85,
                    x + s * 1.2,
                    stick_top,
                    card,
                    1.0,
                );
            }
            let mut torso = arc(x, y + s * 0.5, s * 0.74, s * 0.9, PI, TAU, 24);
            torso.push((x + s * 0.74, h + 1.0));
            torso.push((x - s * 0.74, h + 1.0));
            canvas.fill_polygon(&torso, body, 1.0);
            canvas.disc((x, y - s * 0.64), s * 0.36, head, 1.0);
            x += s * rng.range(1.15, 1.6);
        }
    }
}

/// A grid of square tiles in the Bauhaus manner: each tile a field of one colour carrying one
/// simple form (quarter disc, half disc, disc, rings, triangle, stripes) in another.
fn abstract_shapes(canvas: &mut Canvas, p: &Palette, rng: &mut Rng) {
    let (w, h) = (canvas.w(), canvas.h());
    canvas.fill_all(Paint::Solid(p.paper));
    let rows = 3;
    let tile = h / rows as f32;
    let cols = (w / tile).ceil() as usize;
    let offset = (w - cols as f32 * tile) / 2.0;
    // Paper appears often, so the picture keeps room to breathe.
    let fields = [
        p.paper,
        p.paper,
        p.paper,
        p.light,
        mix(p.light, p.paper, 0.5),
        p.ink,
        p.accent,
    ];
    let forms: Vec<Colour> = p.cycle.iter().copied().chain([p.paper]).collect();
    for row in 0..rows {
        for col in 0..cols {
            let (x0, y0) = (offset + col as f32 * tile, row as f32 * tile);
            let (x1, y1) = (x0 + tile, y0 + tile);
            let field = rng.pick(&fields);
            canvas.rect(x0, y0, x1 + 0.5, y1 + 0.5, field, 1.0);
            // A form that stands out from its field; the accent always does.
            let form = (0..8)
                .map(|_| rng.pick(&forms))
                .find(|&f| (luma(f) - luma(field)).abs() >= 0.12)
                .unwrap_or(p.accent);
            let centre = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
            let corner = rng.below(4);
            let corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)];
            // Weighted towards the big quiet forms; rings and stripes are spice.
            match rng.pick(&[0, 0, 0, 2, 2, 3, 3, 4, 5, 5, 6]) {
                0 => {
                    // Quarter disc from a corner, the tile's edge its radius.
                    let at = corners[corner];
                    let start = (corner as f32 + 0.0) * FRAC_PI_2;
                    let mut quarter = arc(at.0, at.1, tile, tile, start, start + FRAC_PI_2, 32);
                    quarter.push(at);
                    canvas.fill_polygon(&quarter, form, 1.0);
                }
                2 => {
                    // Half disc standing on one edge.
                    let edge = [
                        (centre.0, y1),
                        (x0, centre.1),
                        (centre.0, y0),
                        (x1, centre.1),
                    ][corner];
                    let start = PI + corner as f32 * FRAC_PI_2;
                    let mut half = arc(
                        edge.0,
                        edge.1,
                        tile / 2.0,
                        tile / 2.0,
                        start,
                        start + PI,
                        48,
                    );
                    half.push(edge);
                    canvas.fill_polygon(&half, form, 1.0);
                }
                3 => canvas.disc(centre, tile * 0.36, form, 1.0),
                4 => {
                    for k in 0..2 {
                        let outer = tile * (0.4 - 0.17 * k as f32);
                        let band = arc_band(
                            centre.0,
                            centre.1,
                            outer,
                            outer - tile * 0.06,
                            0.0,
                            PI * 2.0,
                        );
                        canvas.fill_polygon(&band, form, 1.0);
                    }
                }
                5 => {
                    let a = corners[corner];
                    let b = corners[(corner + 1) % 4];
                    let c = corners[(corner + 3) % 4];
                    canvas.fill_polygon(&[a, b, c], form, 1.0);
                }
                _ => {
                    for k in 0..4 {
                        let y = y0 + tile * (0.14 + 0.22 * k as f32);
                        canvas.rect(
                            x0 + tile * 0.14,
                            y,
                            x1 - tile * 0.14,
                            y + tile * 0.09,
                            form,
                            1.0,
                        );
                    }
                }
            }
        }
    }
    // One small accent dot, off the grid, as a focal point.
    let at = (w * rng.range(0.15, 0.85), h * rng.range(0.15, 0.85));
    canvas.disc(at, tile * 0.09, p.accent, 1.0);
    canvas.disc(at, tile * 0.05, p.paper, 1.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    const PALETTE: [[u8; 3]; 4] = [
        [0x1f, 0x3a, 0x5f],
        [0xb2, 0x22, 0x34],
        [0xf2, 0xc1, 0x4e],
        [0xf6, 0xf4, 0xef],
    ];

    fn distinct_colours(image: &RgbImage) -> usize {
        let mut seen: Vec<[u8; 3]> = image.pixels().map(|p| p.0).collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    }

    /// Standard deviation of luma, 0–255: how much the picture varies beyond grain.
    fn luma_spread(image: &RgbImage) -> f64 {
        let lumas: Vec<f64> = image
            .pixels()
            .map(|p| 0.2126 * f64::from(p[0]) + 0.7152 * f64::from(p[1]) + 0.0722 * f64::from(p[2]))
            .collect();
        let mean = lumas.iter().sum::<f64>() / lumas.len() as f64;
        (lumas.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / lumas.len() as f64).sqrt()
    }

    #[test]
    fn every_motif_renders_the_requested_size_with_real_content() {
        for &motif in Motif::ALL {
            let image = illustration(motif, &PALETTE, 7, 320, 180);
            assert_eq!(image.dimensions(), (320, 180), "{motif}");
            assert!(distinct_colours(&image) > 500, "{motif}: too few colours");
            // Grain alone gives a spread of about 2; shapes give far more.
            let spread = luma_spread(&image);
            assert!(spread > 15.0, "{motif}: luma spread {spread}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_pixels() {
        for &motif in Motif::ALL {
            let a = illustration(motif, &PALETTE, 42, 200, 120);
            let b = illustration(motif, &PALETTE, 42, 200, 120);
            assert!(a == b, "{motif}");
        }
    }

    #[test]
    fn different_seeds_give_different_pictures() {
        for &motif in Motif::ALL {
            let a = illustration(motif, &PALETTE, 1, 200, 120);
            let b = illustration(motif, &PALETTE, 2, 200, 120);
            let differing = a.pixels().zip(b.pixels()).filter(|(x, y)| x != y).count();
            // More than grain: grain is seeded too, so compare a large share of pixels.
            assert!(
                differing > 200 * 120 / 10,
                "{motif}: {differing} pixels differ"
            );
        }
    }

    #[test]
    fn the_palette_shows_in_the_picture() {
        let warm = illustration(
            Motif::Waves,
            &[
                [120, 20, 10],
                [230, 90, 40],
                [250, 200, 120],
                [250, 240, 225],
            ],
            3,
            160,
            90,
        );
        let cool = illustration(
            Motif::Waves,
            &[
                [10, 30, 90],
                [40, 120, 200],
                [150, 200, 240],
                [235, 245, 250],
            ],
            3,
            160,
            90,
        );
        let mean = |image: &RgbImage, channel: usize| {
            image.pixels().map(|p| f64::from(p[channel])).sum::<f64>() / f64::from(160 * 90)
        };
        assert!(mean(&warm, 0) > mean(&warm, 2) + 20.0);
        assert!(mean(&cool, 2) > mean(&cool, 0) + 20.0);
    }

    #[test]
    fn odd_sizes_and_palettes_do_not_panic() {
        for &motif in Motif::ALL {
            for (w, h) in [(1, 1), (3, 200), (200, 3), (17, 9)] {
                assert_eq!(illustration(motif, &[], 5, w, h).dimensions(), (w, h));
                assert_eq!(
                    illustration(motif, &PALETTE[..1], 5, w, h).dimensions(),
                    (w, h)
                );
            }
            assert_eq!(
                illustration(motif, &PALETTE, 5, 0, 10).dimensions(),
                (0, 10)
            );
        }
    }

    #[test]
    fn motif_names_round_trip() {
        for &motif in Motif::ALL {
            assert_eq!(motif.name().parse::<Motif>(), Ok(motif));
            assert_eq!(motif.to_string(), motif.name());
        }
        assert_eq!(
            "Capitol".parse::<Motif>(),
            Err(UnknownMotif("Capitol".into()))
        );
        assert!("".parse::<Motif>().is_err());
    }

    #[test]
    fn hex_colours_parse_like_css() {
        assert_eq!(parse_hex_color("#1f3a5f"), Some([0x1f, 0x3a, 0x5f]));
        assert_eq!(parse_hex_color("1F3A5F"), Some([0x1f, 0x3a, 0x5f]));
        assert_eq!(parse_hex_color("#f80"), Some([0xff, 0x88, 0x00]));
        assert_eq!(parse_hex_color(" #ffffff "), Some([255, 255, 255]));
        for bad in [
            "",
            "#",
            "#12345",
            "#1234567",
            "#gg0000",
            "#+1+2+3",
            "#１２３",
        ] {
            assert_eq!(parse_hex_color(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn span_coverage_is_exact_at_the_edges() {
        let mut row = vec![0.0; 6];
        add_span(&mut row, 1.25, 3.5, 6);
        let scale = SUBSAMPLES as f32;
        let expected = [0.0, 0.75, 1.0, 0.5, 0.0, 0.0];
        for (got, want) in row.iter().zip(expected) {
            assert!((got * scale - want).abs() < 1e-6, "{row:?}");
        }
    }

    #[test]
    fn a_filled_square_covers_exactly_its_area() {
        let mut canvas = Canvas::new(10, 10);
        canvas.fill_all(Paint::Solid([0.0; 3]));
        canvas.rect(2.5, 2.5, 6.5, 6.5, WHITE, 1.0);
        let total: f32 = canvas.pixels.iter().map(|c| c[0]).sum();
        assert!((total - 16.0).abs() < 1e-3, "{total}");
        // A hole cut by a reversed inner contour.
        let mut canvas = Canvas::new(10, 10);
        canvas.fill_all(Paint::Solid([0.0; 3]));
        let mut hole = rect(3.0, 3.0, 5.0, 5.0);
        hole.reverse();
        canvas.fill(&[rect(2.0, 2.0, 6.0, 6.0), hole], WHITE, 1.0);
        let total: f32 = canvas.pixels.iter().map(|c| c[0]).sum();
        assert!((total - 12.0).abs() < 1e-3, "{total}");
    }
}
