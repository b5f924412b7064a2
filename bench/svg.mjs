// The bench charts' drawing, as SVG text with no dependency: the page with its title, labelled
// grid lines, and the line series the soak chart plots (`bench/chart.svg`, `bench/soak.svg`).

/** A white page `width` × `height` with `title` centred on top, around `body`. */
export function page({ width, height, title }, body) {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>
${body}
</svg>
`
}

/** A dashed horizontal line from `x1` to `x2` at `y`, labelled at its left end. */
export function gridLine({ x1, x2, y, label, stroke = '#ccc', dash = 2 }) {
  return `<line x1="${x1}" x2="${x2}" y1="${y}" y2="${y}" stroke="${stroke}" stroke-dasharray="${dash}"/><text x="${x1 - 5}" y="${y + 4}" text-anchor="end">${label}</text>`
}

/** A function mapping [lo, hi] onto [from, to] (pass from > to for an upward y axis). */
export function scale([lo, hi], [from, to]) {
  const span = hi - lo || 1
  return (value) => from + ((value - lo) / span) * (to - from)
}

/** Round steps for an axis over [lo, hi]: about `count` of 1, 2 or 5 × 10ⁿ. */
export function ticks(lo, hi, count = 5) {
  const raw = (hi - lo) / count || 1
  const power = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)
  const values = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + step / 1e6; v += step) values.push(Number(v.toFixed(10)))
  return values
}

/** One series as a polyline of [x, y] pixel points. */
export function line(points, color, dash) {
  const d = points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')
  return `<polyline points="${d}" fill="none" stroke="${color}" stroke-width="1.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`
}

/** A row of colour swatches with their names, starting at (x, y). */
export function legend(items, x, y) {
  let at = x
  return items
    .map(({ name, color, dash }) => {
      const item = `<line x1="${at}" x2="${at + 18}" y1="${y - 4}" y2="${y - 4}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/><text x="${at + 22}" y="${y}">${name}</text>`
      at += 40 + name.length * 7
      return item
    })
    .join('')
}
