#!/bin/sh
# run-suite.sh RESULTS NAME CMD [ARGS...]
#
# Runs one test suite, showing its output, and records its tally in
# RESULTS/NAME as "N passed, M failed".  The suite must end its output with
# the line "NAME: N passed, M failed".  A suite that dies before printing
# that line (a crash, a missing tool) is recorded as one failure, so that
# nothing can pass by not running.
set -u
results=$1 name=$2
shift 2
mkdir -p "$results"
log="$results/$name.log"
"$@" >"$log" 2>&1
rc=$?
cat "$log"
line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed\$" "$log" | tail -n 1)
if [ -z "$line" ]; then
	echo "$name: no tally printed (exit status $rc); counted as 1 failure"
	echo "0 passed, 1 failed" >"$results/$name"
	exit 1
fi
tally=${line#"$name: "}
echo "$tally" >"$results/$name"
failed=$(echo "$tally" | sed -E 's/.* ([0-9]+) failed/\1/')
if [ "$failed" != 0 ] || [ "$rc" != 0 ]; then
	[ "$failed" = 0 ] && echo "0 passed, 1 failed" >"$results/$name" && \
		echo "$name: exit status $rc with no failures reported; counted as 1 failure"
	exit 1
fi
exit 0
