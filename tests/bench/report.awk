# report.awk — turn the records of `make bench` (records.tsv, tab-separated)
# into its report.  -v out=markdown|json|plot selects what to print:
#
#   markdown  the tables (workloads, targets, micro-benchmarks, compile time)
#   json      results.json: one object per compiler, medians, with _min and
#             _max keys
#   plot      the data file of ratios.gp: one line per workload, for each
#             compiler native/kiln and fuel/no-fuel with their min and max
#
# Records:
#   S CC WORKLOAD LAYOUT RUN NATIVE_S KILN_S NOFUEL_S (vs-native, one run)
#   W CC WORKLOAD FIGURE MEDIAN MIN MAX               (vs-native)
#   M CC KEY MEDIAN MIN MAX UNIT DESCRIPTION          (kiln-bench)
#   C CC MODULE FUEL MEDIAN MIN MAX WASM CODE TEXT+DATA OBJECT   (compile.sh)
BEGIN {
	FS = "\t"
	ncc = nwl = nmicro = nmod = 0
}

function add_cc(cc) {
	if (!(cc in has_cc)) {
		has_cc[cc] = 1
		ccs[++ncc] = cc
	}
}

function add_wl(wl) {
	if (!(wl in has_wl)) {
		has_wl[wl] = 1
		wls[++nwl] = wl
	}
}

# The runs of a workload, from every layout: the workload's figures are
# theirs (pooled in END), not the W summaries of each vs-native process.
$1 == "S" {
	add_cc($2)
	add_wl($3)
	k = $2 SUBSEP $3
	n = ++nrun[k]
	run_n[k, n] = $6; run_k[k, n] = $7; run_f[k, n] = $8
	if (!(($2 SUBSEP $4) in has_layout)) {
		has_layout[$2 SUBSEP $4] = 1
		layouts[$2, ++nlayout[$2]] = $4
	}
	run_layout[k, n] = $4
}

$1 == "W" {
	add_cc($2)
	add_wl($3)
	k = $2 SUBSEP $3 SUBSEP $4
	if (!(($2 SUBSEP $3) in nrun)) {
		med[k] = $5; lo[k] = $6; hi[k] = $7
	}
}

$1 == "M" {
	add_cc($2)
	if (!($3 in has_micro)) {
		has_micro[$3] = 1
		micro[++nmicro] = $3
		unit[$3] = $7
		desc[$3] = $8
	}
	k = $2 SUBSEP $3
	med[k] = $4; lo[k] = $5; hi[k] = $6
}

$1 == "C" {
	add_cc($2)
	if (!($3 in has_mod)) {
		has_mod[$3] = 1
		mods[++nmod] = $3
	}
	k = $2 SUBSEP $3 SUBSEP $4
	cmed[k] = $5; clo[k] = $6; chi[k] = $7
	wasm[$3] = $8; code[$3] = $9; tdata[k] = $10; obj[k] = $11
}

# Sort v[1..n] (insertion sort: tens of values; no asort in mawk).
function sort_values(v, n,    i, j, x) {
	for (i = 2; i <= n; i++) {
		x = v[i]
		for (j = i - 1; j >= 1 && v[j] > x; j--)
			v[j + 1] = v[j]
		v[j + 1] = x
	}
}

# med, lo and hi of key @k from v[1..n].
function summarize(k, v, n) {
	sort_values(v, n)
	med[k] = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	lo[k] = v[1]
	hi[k] = v[n]
}

# The figures of one workload from its runs (S records) of layout @only
# ("" for all): into med, lo, hi under key @out SUBSEP FIGURE.
function pool(k, only, out,    i, n, a, b, c, d, e) {
	n = 0
	for (i = 1; i <= nrun[k]; i++) {
		if (only != "" && run_layout[k, i] != only)
			continue
		n++
		a[n] = run_n[k, i]; b[n] = run_k[k, i]; c[n] = run_f[k, i]
		d[n] = run_n[k, i] / run_k[k, i]; e[n] = run_k[k, i] / run_f[k, i]
	}
	if (n == 0)
		return 0
	summarize(out SUBSEP "native_s", a, n)
	summarize(out SUBSEP "kiln_s", b, n)
	summarize(out SUBSEP "kiln_nofuel_s", c, n)
	summarize(out SUBSEP "native_per_kiln", d, n)
	summarize(out SUBSEP "fuel_per_nofuel", e, n)
	return n
}

# Every workload's pooled figures, and per layout the geometric means of
# its medians (key "layout" SUBSEP CC SUBSEP LAYOUT SUBSEP FIGURE).
function pool_all(    j, i, l, cc, k, lk, n, s1, s2, m) {
	for (j = 1; j <= ncc; j++) {
		cc = ccs[j]
		for (i = 1; i <= nwl; i++)
			if ((cc SUBSEP wls[i]) in nrun)
				pool(cc SUBSEP wls[i], "", cc SUBSEP wls[i])
		for (l = 1; l <= nlayout[cc]; l++) {
			lk = "layout" SUBSEP cc SUBSEP layouts[cc, l]
			s1 = s2 = m = n = 0
			for (i = 1; i <= nwl; i++) {
				k = cc SUBSEP wls[i]
				if (!(k in nrun) || (n = pool(k, layouts[cc, l], "tmp")) == 0)
					continue
				s1 += log(med["tmp" SUBSEP "native_per_kiln"])
				s2 += log(med["tmp" SUBSEP "fuel_per_nofuel"])
				m++
				lruns[lk] = n
			}
			lgeo[lk SUBSEP "native_per_kiln"] = m ? exp(s1 / m) : 0
			lgeo[lk SUBSEP "fuel_per_nofuel"] = m ? exp(s2 / m) : 0
		}
	}
}

function cell(k, fmt) {
	if (!(k in med))
		return "—"
	return sprintf(fmt " (" fmt "–" fmt ")", med[k], lo[k], hi[k])
}

function geomean(cc, figure,    i, s, n, k) {
	s = n = 0
	for (i = 1; i <= nwl; i++) {
		k = cc SUBSEP wls[i] SUBSEP figure
		if (k in med && med[k] > 0) {
			s += log(med[k])
			n++
		}
	}
	return n ? exp(s / n) : 0
}

# The compile-time figure of the JSON: the largest module (compile.sh's
# first), fuel on, seconds per MiB of wasm.
function compile_per_mib(cc, which,    k) {
	k = cc SUBSEP mods[1] SUBSEP "on"
	if (nmod == 0 || !(k in cmed))
		return ""
	return (which == "min" ? clo[k] : which == "max" ? chi[k] : cmed[k]) / (wasm[mods[1]] / 1048576)
}

function markdown(    i, j, cc, k, g, f, met) {
	printf "## Workloads: native code against kiln (CPU seconds per run, median (min–max) of the runs)\n\n"
	printf "| workload | cc | native s | kiln s (guard pages + fuel) | kiln --no-fuel s | native/kiln | fuel/no-fuel |\n"
	printf "|---|---|---|---|---|---|---|\n"
	for (i = 1; i <= nwl; i++)
		for (j = 1; j <= ncc; j++) {
			cc = ccs[j]
			k = cc SUBSEP wls[i] SUBSEP
			if (!((k "native_s") in med))
				continue
			printf "| %s | %s | %s | %s | %s | %s | %s |\n", wls[i], cc,
				cell(k "native_s", "%.3f"), cell(k "kiln_s", "%.3f"),
				cell(k "kiln_nofuel_s", "%.3f"), cell(k "native_per_kiln", "%.3f"),
				cell(k "fuel_per_nofuel", "%.3f")
		}
	for (j = 1; j <= ncc; j++) {
		cc = ccs[j]
		if (geomean(cc, "native_s") == 0)
			continue
		printf "| **geometric mean** | %s | | | | **%.3f** | **%.3f** |\n", cc,
			geomean(cc, "native_per_kiln"), geomean(cc, "fuel_per_nofuel")
	}
	printf "\nnative/kiln and fuel/no-fuel: the ratio of the two times of the same run, " \
	       "median (min–max) over the runs (of every code layout, below).\n\n"
	layout_table()

	printf "## Targets\n\n| target | cc | measured | met |\n|---|---|---|---|\n"
	for (j = 1; j <= ncc; j++) {
		cc = ccs[j]
		if ((g = geomean(cc, "native_per_kiln")) > 0)
			printf "| native/kiln ≥ 0.95 (geometric mean) | %s | %.3f | %s |\n", cc, g,
				(g >= 0.95 ? "yes" : "**no**")
		if ((f = geomean(cc, "fuel_per_nofuel")) > 0)
			printf "| fuel overhead ≤ 3%% (geometric mean) | %s | %+.1f%% | %s |\n", cc,
				100 * (f - 1), (f <= 1.03 ? "yes" : "**no**")
		target_row(cc, "wasm_to_host_ns", "wasm→host no-op import ≤ 2 ns", 2)
		target_row(cc, "host_to_wasm_ns", "host→wasm kiln_instance_call ≤ 15 ns", 15)
		target_row(cc, "instantiate_teardown_us", "instantiate + teardown ≤ 2 µs", 2)
		k = cc SUBSEP "live_instances"
		if (k in med)
			printf "| 10,000 live instances | %s | %d | %s |\n", cc, lo[k],
				(lo[k] >= 10000 ? "yes" : "**no**")
		k = cc SUBSEP "cycles_1m_vsz_growth_mib"
		if (k in med)
			printf "| 1,000,000 cycles: flat VSZ | %s | %+.1f MiB (max) | %s |\n", cc, hi[k],
				(hi[k] == 0 ? "yes" : "**no**")
	}

	if (nmicro) {
		printf "\n## Micro-benchmarks (median (min–max))\n\n| benchmark | unit |"
		for (j = 1; j <= ncc; j++)
			printf " %s |", ccs[j]
		printf "\n|---|---|"
		for (j = 1; j <= ncc; j++)
			printf "---|"
		printf "\n"
		for (i = 1; i <= nmicro; i++) {
			printf "| %s | %s |", desc[micro[i]], unit[micro[i]]
			for (j = 1; j <= ncc; j++)
				printf " %s |", cell(ccs[j] SUBSEP micro[i],
					micro[i] ~ /^live_instances$/ ? "%.0f" : "%.2f")
			printf "\n"
		}
	}

	if (nmod) {
		printf "\n## kiln compile: wall seconds (median (min–max) for %s, one run otherwise) " \
		       "and object size\n\n", mods[1]
		printf "| module | wasm bytes | code bytes | cc | fuel | seconds | s per MiB of wasm " \
		       "| text+data | object bytes |\n|---|---|---|---|---|---|---|---|---|\n"
		for (i = 1; i <= nmod; i++)
			for (j = 1; j <= ncc; j++)
				for (f = 0; f < 2; f++) {
					k = ccs[j] SUBSEP mods[i] SUBSEP (f ? "off" : "on")
					if (!(k in cmed))
						continue
					printf "| %s | %d | %d | %s | %s | %.2f (%.2f–%.2f) | %.1f | %d | %d |\n",
						mods[i], wasm[mods[i]], code[mods[i]], ccs[j], f ? "off" : "on",
						cmed[k], clo[k], chi[k], cmed[k] / (wasm[mods[i]] / 1048576),
						tdata[k], obj[k]
				}
	}
}

# Where the linker puts the code moves a workload by up to ±20% here (the
# same objects, linked in another order); build.mk links vs-native in
# several layouts and the figures above pool their runs.
function layout_table(    j, l, cc, lk, any) {
	for (j = 1; j <= ncc; j++)
		any += nlayout[ccs[j]]
	if (!any)
		return
	printf "## Code layouts\n\nThe same objects linked in %d orders and paddings " \
	       "(tests/bench/build.mk); the figures above pool the runs of all of them.  " \
	       "Geometric means of each layout's medians:\n\n", nlayout[ccs[1]]
	printf "| cc | layout | runs | native/kiln | fuel/no-fuel |\n|---|---|---|---|---|\n"
	for (j = 1; j <= ncc; j++) {
		cc = ccs[j]
		for (l = 1; l <= nlayout[cc]; l++) {
			lk = "layout" SUBSEP cc SUBSEP layouts[cc, l]
			printf "| %s | %s | %d | %.3f | %.3f |\n", cc, layouts[cc, l], lruns[lk],
				lgeo[lk SUBSEP "native_per_kiln"], lgeo[lk SUBSEP "fuel_per_nofuel"]
		}
	}
	printf "\n"
}

function target_row(cc, key, what, limit,    k) {
	k = cc SUBSEP key
	if (k in med)
		printf "| %s | %s | %.2f | %s |\n", what, cc, med[k], (med[k] <= limit ? "yes" : "**no**")
}

function jnum(v) {
	return v == "" ? "null" : sprintf("%.6g", v)
}

function json(    i, j, l, lk, cc, k, f, m, figs, nf, keys, nk, first) {
	nf = split("native_s kiln_s kiln_nofuel_s", figs, " ")
	nk = split("wasm_to_host_ns host_to_wasm_ns instantiate_teardown_us live_instances " \
		   "live_instances_rss_mib cycles_1m_vsz_growth_mib", keys, " ")
	printf "[\n"
	for (j = 1; j <= ncc; j++) {
		cc = ccs[j]
		printf "  {\n    \"compiler\": \"%s\",\n    \"workloads\": [", cc
		first = 1
		for (i = 1; i <= nwl; i++) {
			k = cc SUBSEP wls[i] SUBSEP
			if (!((k "native_s") in med))
				continue
			printf "%s\n      {\"name\": \"%s\"", (first ? "" : ","), wls[i]
			first = 0
			for (f = 1; f <= nf; f++)
				printf ", \"%s\": %s", figs[f], jnum(med[k figs[f]])
			for (f = 1; f <= nf; f++)
				printf ", \"%s_min\": %s, \"%s_max\": %s", figs[f], jnum(lo[k figs[f]]),
					figs[f], jnum(hi[k figs[f]])
			printf "}"
		}
		printf "%s],\n    \"micro\": {", (first ? "" : "\n    ")
		for (m = 1; m <= nk; m++) {
			k = cc SUBSEP keys[m]
			printf "%s\n      \"%s\": %s", (m > 1 ? "," : ""), keys[m], ((k in med) ? jnum(med[k]) : "null")
		}
		printf ",\n      \"compile_s_per_mib\": %s", jnum(compile_per_mib(cc, "median"))
		for (m = 1; m <= nk; m++) {
			k = cc SUBSEP keys[m]
			printf ",\n      \"%s_min\": %s, \"%s_max\": %s", keys[m], ((k in med) ? jnum(lo[k]) : "null"),
				keys[m], ((k in med) ? jnum(hi[k]) : "null")
		}
		printf ",\n      \"compile_s_per_mib_min\": %s, \"compile_s_per_mib_max\": %s\n    },\n",
			jnum(compile_per_mib(cc, "min")), jnum(compile_per_mib(cc, "max"))
		printf "    \"layouts\": ["
		for (l = 1; l <= nlayout[cc]; l++) {
			lk = "layout" SUBSEP cc SUBSEP layouts[cc, l]
			printf "%s\n      {\"layout\": \"%s\", \"runs\": %d, \"native_per_kiln_geomean\": %s, " \
			       "\"fuel_per_nofuel_geomean\": %s}", (l > 1 ? "," : ""), layouts[cc, l], lruns[lk],
				jnum(lgeo[lk SUBSEP "native_per_kiln"]), jnum(lgeo[lk SUBSEP "fuel_per_nofuel"])
		}
		printf "%s]\n  }%s\n", (nlayout[cc] ? "\n    " : ""), (j < ncc ? "," : "")
	}
	printf "]\n"
}

function plot(    i, j, k) {
	printf "# workload"
	for (j = 1; j <= ncc; j++)
		printf " %s_native_per_kiln min max %s_fuel_per_nofuel min max", ccs[j], ccs[j]
	printf "\n"
	for (i = 1; i <= nwl; i++) {
		printf "%s", wls[i]
		for (j = 1; j <= ncc; j++) {
			k = ccs[j] SUBSEP wls[i] SUBSEP
			printf " %s %s %s %s %s %s", med[k "native_per_kiln"], lo[k "native_per_kiln"],
				hi[k "native_per_kiln"], med[k "fuel_per_nofuel"], lo[k "fuel_per_nofuel"],
				hi[k "fuel_per_nofuel"]
		}
		printf "\n"
	}
	printf "geomean"
	for (j = 1; j <= ncc; j++)
		printf " %.6g %.6g %.6g %.6g %.6g %.6g", geomean(ccs[j], "native_per_kiln"),
			geomean(ccs[j], "native_per_kiln"), geomean(ccs[j], "native_per_kiln"),
			geomean(ccs[j], "fuel_per_nofuel"), geomean(ccs[j], "fuel_per_nofuel"),
			geomean(ccs[j], "fuel_per_nofuel")
	printf "\n"
}

END {
	pool_all()
	if (out == "json")
		json()
	else if (out == "plot")
		plot()
	else
		markdown()
}
