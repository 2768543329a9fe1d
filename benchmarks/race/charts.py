#!/usr/bin/env python3
"""Charts of a race: one self-contained SVG per metric, and an index.html showing them all.

    benchmarks/race/charts.py results/DATE.tsv [OUT_DIR]

Reads the raw values run-race.sh saves (run, MTU, backend, metric, value, notes; one line
per measurement and run), takes the median per backend, MTU and metric as the markdown
table does, and draws grouped bars: one group per MTU, one bar per backend, each bar
labelled with its median; jslirp's bars also carry its ratio to the best peer of the same
group (above 1.00 is ahead for higher-is-better metrics, below 1.00 for lower-is-better
ones), which is what the race's targets are written against. Standard library only, so a
fresh machine can draw them; the files open in any browser, no tools needed.
"""
import html
import os
import statistics
import sys
from collections import defaultdict

# metric id -> (title, unit, higher is better)
METRICS = [
    ("tcp_g2h_1", "TCP guest→host, 1 stream", "Gbit/s", True),
    ("tcp_g2h_4", "TCP guest→host, 4 streams", "Gbit/s", True),
    ("tcp_h2g_1", "TCP host→guest, 1 stream", "Gbit/s", True),
    ("tcp_h2g_4", "TCP host→guest, 4 streams", "Gbit/s", True),
    ("tcp6_g2h_1", "TCP over IPv6 guest→host, 1 stream", "Gbit/s", True),
    ("tcp6_h2g_1", "TCP over IPv6 host→guest, 1 stream", "Gbit/s", True),
    ("rr", "TCP request/response", "round trips/s", True),
    ("crr", "TCP connect + request/response + close", "connections/s", True),
    ("udp_g2h_rate", "UDP guest→host: delivered", "Mbit/s", True),
    ("udp_h2g_rate", "UDP host→guest: delivered", "Mbit/s", True),
    ("cpu_g2h_total", "CPU per GB, TCP guest→host (backend + relay)", "s/GB", False),
    ("cpu_h2g_total", "CPU per GB, TCP host→guest (backend + relay)", "s/GB", False),
]
BACKENDS = ["slirp4netns", "pasta", "jslirp-netns", "passt-relay", "jslirp-relay"]
LABELS = {"slirp4netns": "slirp4netns", "pasta": "pasta", "jslirp-netns": "jslirp --netns",
          "passt-relay": "passt + relay", "jslirp-relay": "jslirp + relay"}
COLORS = {"slirp4netns": "#9e9e9e", "pasta": "#6d8fb3", "jslirp-netns": "#e0771b",
          "passt-relay": "#3f6890", "jslirp-relay": "#b85a12"}
# Which peer each jslirp backend is held against: the same wiring.
PEERS = {"jslirp-netns": ["pasta", "slirp4netns"], "jslirp-relay": ["passt-relay", "slirp4netns"]}


def read(path):
    values = defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 5 or cols[4] in ("NA", ""):
                continue
            try:
                values[(cols[3], cols[1], cols[2])].append(float(cols[4]))
            except ValueError:
                continue
    return {k: statistics.median(v) for k, v in values.items()}


def fmt(v):
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def chart(metric, title, unit, higher, med, mtus):
    backends = [b for b in BACKENDS if any((metric, m, b) in med for m in mtus)]
    groups = [m for m in mtus if any((metric, m, b) in med for b in backends)]
    if not groups:
        return None
    bar_w, gap, group_gap, left, top, plot_h = 34, 6, 40, 60, 80, 260
    group_w = len(backends) * (bar_w + gap) - gap
    width = max(left + len(groups) * (group_w + group_gap) + 20, left + 130 * len(backends) + 20)
    height = top + plot_h + 90
    # Headroom above the tallest bar for its two labels.
    vmax = 1.15 * (max(med.get((metric, m, b), 0) for m in groups for b in backends) or 1)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="11">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="20" font-size="14" font-weight="bold">%s</text>' % (left, html.escape(title)),
           '<text x="%d" y="38" fill="#555">%s, %s; medians of the runs.</text>'
           % (left, html.escape(unit), "higher is better" if higher else "lower is better"),
           '<text x="%d" y="54" fill="#555">Each bar is labelled with its value; jslirp\'s also with its ratio '
           'to the best peer of the same wiring (green: ahead).</text>' % left]
    base = top + plot_h
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>' % (left - 5, base, width - 10, base))
    for gi, m in enumerate(groups):
        gx = left + gi * (group_w + group_gap)
        out.append('<text x="%d" y="%d" text-anchor="middle" fill="#333">MTU %s</text>'
                   % (gx + group_w / 2, base + 40, m))
        for bi, b in enumerate(backends):
            v = med.get((metric, m, b))
            x = gx + bi * (bar_w + gap)
            if v is None:
                continue
            h = plot_h * v / vmax
            out.append('<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s: %s %s</title></rect>'
                       % (x, base - h, bar_w, h, COLORS[b], LABELS[b], fmt(v), html.escape(unit)))
            out.append('<text x="%d" y="%.1f" text-anchor="middle">%s</text>' % (x + bar_w / 2, base - h - 4, fmt(v)))
            if b in PEERS:
                peers = [med[(metric, m, p)] for p in PEERS[b] if med.get((metric, m, p))]
                if peers and v:
                    best = max(peers) if higher else min(peers)
                    ratio = v / best
                    good = ratio >= 1 if higher else ratio <= 1
                    out.append('<text x="%d" y="%.1f" text-anchor="middle" font-weight="bold" fill="%s">'
                               '×%.2f</text>' % (x + bar_w / 2, base - h - 16, "#1b7a1b" if good else "#b00020",
                                                 ratio))
    ly = height - 22
    for i, b in enumerate(backends):
        lx = left + i * 130
        out.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>' % (lx, ly - 10, COLORS[b]))
        out.append('<text x="%d" y="%d">%s</text>' % (lx + 16, ly, LABELS[b]))
    out.append("</svg>")
    return "\n".join(out)


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        sys.exit(2)
    tsv = sys.argv[1]
    out_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.splitext(tsv)[0] + "-charts"
    med = read(tsv)
    mtus = sorted({k[1] for k in med}, key=lambda s: int(s) if s.isdigit() else 0)
    os.makedirs(out_dir, exist_ok=True)
    made = []
    for metric, title, unit, higher in METRICS:
        svg = chart(metric, title, unit, higher, med, mtus)
        if svg:
            with open(os.path.join(out_dir, metric + ".svg"), "w", encoding="utf-8") as f:
                f.write(svg)
            made.append((metric, title))
    with open(os.path.join(out_dir, "index.html"), "w", encoding="utf-8") as f:
        f.write("<!doctype html><meta charset='utf-8'><title>jslirp race %s</title>\n"
                "<h1>jslirp race: %s</h1>\n" % (html.escape(os.path.basename(tsv)), html.escape(tsv)))
        for metric, title in made:
            f.write("<h2>%s</h2><img src='%s.svg' alt='%s'>\n" % (html.escape(title), metric, html.escape(title)))
    print("%d charts in %s" % (len(made), out_dir))


if __name__ == "__main__":
    main()
