# ratios.gp — the chart of `make bench`: per workload and compiler, native
# time / kiln time (top; higher is better, the target is 0.95) and kiln
# with fuel / kiln without (bottom; lower is better, the target is 1.03),
# medians with min–max error bars.
#   gnuplot -e "data='ratios.dat'; out='ratios.png'; ccs='gcc clang'" ratios.gp
set terminal pngcairo size 1200,900 font ",10"
set output out
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.6 border -1
set xtics rotate by -30 scale 0
set key top left
set grid ytics
set multiplot layout 2,1
ncc = words(ccs)

set title "native time / kiln time (guard pages + fuel): higher is better, target 0.95"
set yrange [0:*]
plot for [i=1:ncc] data using (column(2 + 6 * (i - 1))):(column(3 + 6 * (i - 1))):(column(4 + 6 * (i - 1))):xtic(1) \
	title word(ccs, i), \
     0.95 with lines dt 2 lc rgb "red" title "target 0.95"

set title "kiln time with fuel / without fuel: lower is better, target 1.03"
set yrange [0.8:*]
plot for [i=1:ncc] data using (column(5 + 6 * (i - 1))):(column(6 + 6 * (i - 1))):(column(7 + 6 * (i - 1))):xtic(1) \
	title word(ccs, i), \
     1.03 with lines dt 2 lc rgb "red" title "target 1.03"
unset multiplot
