#!/bin/sh
# summary.sh RESULTS SUITE... — add up every suite's tally and print the one
# line `make check` ends with.  A suite with no tally file did not run to the
# end and counts as one failure.  Exits non-zero on any failure.
set -u
results=$1
shift
passed=0 failed=0
for s in "$@"; do
	if [ -f "$results/$s" ]; then
		p=$(sed -E 's/^([0-9]+) passed, ([0-9]+) failed$/\1/' "$results/$s")
		f=$(sed -E 's/^([0-9]+) passed, ([0-9]+) failed$/\2/' "$results/$s")
	else
		echo "summary: suite '$s' left no tally; counted as 1 failure"
		p=0 f=1
	fi
	printf '  %-12s %s passed, %s failed\n' "$s" "$p" "$f"
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
