# The race table from run-race.sh's raw results (works with mawk and gawk).
#
# Input, tab-separated: run, MTU, backend, metric, value, note. The value is a number,
# FAIL (the note says why) or NA (the metric does not apply, e.g. relay CPU without a
# relay). Variables: backends (comma-separated, in column order), runs, udp (offered
# rate as given), rrsize.
#
# Each cell is the median of the runs that succeeded, then the ratios to slirp4netns
# (s) and to passt (p: pasta for the namespace backends, passt through the same relay
# for the relay backends). A measurement that failed in every run is FAIL with a
# footnote; one that failed in some runs shows how many succeeded.

function metric(id, label, unit, fmt, dir) {
    nmetrics++
    mid[nmetrics] = id
    mlabel[id] = label
    munit[id] = unit
    mfmt[id] = fmt
    mdir[id] = dir
}

function median(key,    n, i, j, t, a) {
    n = nvals[key]
    for (i = 1; i <= n; i++) {
        a[i] = vals[key, i]
    }
    for (i = 2; i <= n; i++) {            # insertion sort: a handful of runs
        t = a[i]
        for (j = i - 1; j >= 1 && a[j] > t; j--) {
            a[j + 1] = a[j]
        }
        a[j + 1] = t
    }
    if (n % 2 == 1) {
        return a[(n + 1) / 2]
    }
    return (a[n / 2] + a[n / 2 + 1]) / 2
}

function reference(b, kind) {
    if (kind == "s") {
        return "slirp4netns"
    }
    return (b ~ /relay$/) ? "passt-relay" : "pasta"
}

function ratio(m, b, mtu, kind,    ref, rk, v, rv) {
    ref = reference(b, kind)
    if (ref == b || !((mtu SUBSEP ref SUBSEP m) in nvals)) {
        return ""
    }
    rk = mtu SUBSEP ref SUBSEP m
    if (nvals[rk] == 0 || nvals[mtu SUBSEP b SUBSEP m] == 0) {
        return ""
    }
    rv = median(rk)
    v = median(mtu SUBSEP b SUBSEP m)
    if (rv == 0) {
        return ""
    }
    return sprintf("%s%.2f", kind, v / rv)
}

function footnote(b, reason,    k) {
    k = b SUBSEP reason
    if (!(k in noteno)) {
        nnotes++
        noteno[k] = nnotes
        notetext[nnotes] = b ": " reason
    }
    return noteno[k]
}

function cell(m, b, mtu,    key, v, r1, r2, rs, out, total) {
    key = mtu SUBSEP b SUBSEP m
    if (!(key in seen)) {
        return "not run"
    }
    if (nna[key] > 0) {
        return "—"
    }
    total = nvals[key] + nfail[key]
    if (nvals[key] == 0) {
        return "FAIL[" footnote(b, failwhy[key]) "]"
    }
    out = sprintf(mfmt[m], median(key))
    if (nfail[key] > 0) {
        out = out " (" nvals[key] "/" total " ok, [" footnote(b, failwhy[key]) "])"
    }
    if (munit[m] == "%") {
        return out                        # a ratio of loss percentages says little
    }
    r1 = ratio(m, b, mtu, "s")
    r2 = ratio(m, b, mtu, "p")
    rs = r1 (r1 != "" && r2 != "" ? " " : "") r2
    if (rs != "") {
        out = out " (" rs ")"
    }
    return out
}

function title(b) {
    if (b == "jslirp-netns") return "jslirp --netns"
    if (b == "jslirp-relay") return "jslirp + relay"
    if (b == "passt-relay") return "passt + relay"
    return b
}

BEGIN {
    metric("tcp_g2h_1", "TCP guest→host, 1 stream", "Gbit/s", "%.2f", "↑")
    metric("tcp_g2h_4", "TCP guest→host, 4 streams", "Gbit/s", "%.2f", "↑")
    metric("tcp_h2g_1", "TCP host→guest, 1 stream", "Gbit/s", "%.2f", "↑")
    metric("tcp_h2g_4", "TCP host→guest, 4 streams", "Gbit/s", "%.2f", "↑")
    metric("rr", "TCP request/response, " rrsize " B", "round trips/s", "%.0f", "↑")
    metric("crr", "TCP connect + 1 B request/response + close", "connections/s", "%.0f", "↑")
    metric("udp_g2h_rate", "UDP guest→host at " udp "bit/s: delivered", "Mbit/s", "%.0f", "↑")
    metric("udp_g2h_loss", "UDP guest→host at " udp "bit/s: lost", "%", "%.1f", "↓")
    metric("udp_h2g_rate", "UDP host→guest at " udp "bit/s: delivered", "Mbit/s", "%.0f", "↑")
    metric("udp_h2g_loss", "UDP host→guest at " udp "bit/s: lost", "%", "%.1f", "↓")
    metric("cpu_g2h_backend", "CPU, TCP guest→host 1 stream: backend", "s/GB", "%.2f", "↓")
    metric("cpu_g2h_relay", "CPU, TCP guest→host 1 stream: relay", "s/GB", "%.2f", "↓")
    metric("cpu_g2h_total", "CPU, TCP guest→host 1 stream: backend + relay", "s/GB", "%.2f", "↓")
    metric("cpu_h2g_backend", "CPU, TCP host→guest 1 stream: backend", "s/GB", "%.2f", "↓")
    metric("cpu_h2g_relay", "CPU, TCP host→guest 1 stream: relay", "s/GB", "%.2f", "↓")
    metric("cpu_h2g_total", "CPU, TCP host→guest 1 stream: backend + relay", "s/GB", "%.2f", "↓")
    metric("tcp6_g2h_1", "TCP over IPv6 guest→host, 1 stream", "Gbit/s", "%.2f", "↑")
    metric("tcp6_g2h_4", "TCP over IPv6 guest→host, 4 streams", "Gbit/s", "%.2f", "↑")
    metric("tcp6_h2g_1", "TCP over IPv6 host→guest, 1 stream", "Gbit/s", "%.2f", "↑")
    metric("tcp6_h2g_4", "TCP over IPv6 host→guest, 4 streams", "Gbit/s", "%.2f", "↑")
    nb = split(backends, blist, ",")
}

{
    key = $2 SUBSEP $3 SUBSEP $4
    if (!($2 in mtuseen)) {
        mtuseen[$2] = 1
        nmtus++
        mtus[nmtus] = $2
    }
    seen[key] = 1
    if ($5 == "FAIL") {
        nfail[key]++
        if (!(key in failwhy)) {
            failwhy[key] = $6
        }
    } else if ($5 == "NA") {
        nna[key]++
    } else {
        nvals[key]++
        vals[key, nvals[key]] = $5 + 0
    }
}

END {
    header = "| measurement | MTU |"
    rule = "|---|---|"
    for (i = 1; i <= nb; i++) {
        header = header " " title(blist[i]) " |"
        rule = rule "---|"
    }
    print header
    print rule
    for (t = 1; t <= nmtus; t++) {
        mtu = mtus[t]
        for (i = 1; i <= nmetrics; i++) {
            m = mid[i]
            line = "| " mlabel[m] ", " munit[m] " " mdir[m] " | " mtu " |"
            for (j = 1; j <= nb; j++) {
                line = line " " cell(m, blist[j], mtu) " |"
            }
            print line
        }
    }
    if (nnotes > 0) {
        print ""
        print "Failed measurements:"
        print ""
        for (i = 1; i <= nnotes; i++) {
            print "- [" i "] " notetext[i]
        }
    }
}
