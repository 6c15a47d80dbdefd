#!/usr/bin/env bash
# Runs the repo's Go fuzz targets one at a time (go test -fuzz takes one
# target per package per run) and says truly why one failed:
#
#   fuzz.sh [-t TIMEOUT] [-b BUDGET] [TARGET[=BUDGET] ...]
#
# BUDGET is a -fuzztime: a duration (10s) for a person watching, or an
# execution count (100000x) for `make test`, which cannot lose a race with
# its own deadline on a loaded machine (golang/go#75804). A count has no time
# limit of its own, so every target runs under `timeout TIMEOUT` (default
# 600s), and a timeout is reported as one. No TARGET means every Fuzz target.
#
# A failure is a crasher only when go test wrote a new input under the
# package's testdata/fuzz/<target>/: fix the bug and commit that file, it is
# then a seed that every `go test` runs. Any other failure says what it was.
set -uo pipefail
cd "$(dirname "$0")/../.."

timeout_s=600s
default_budget=10s
while getopts "t:b:" opt; do
	case $opt in
	t) timeout_s=$OPTARG ;;
	b) default_budget=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))

# budget_of TARGET: the budget asked for TARGET, "" if it was not asked for.
declare -A asked=()
for arg in "$@"; do
	name=${arg%%=*}
	if [[ $arg == *=* ]]; then asked[$name]=${arg#*=}; else asked[$name]=$default_budget; fi
done

# Every target in the tree, as "package target" lines.
found=$(grep -rl --include='*_test.go' '^func Fuzz' functions infra shared | sort | while read -r file; do
	for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
		echo "./$(dirname "$file") $target"
	done
done)

for name in "${!asked[@]}"; do
	if ! grep -q " $name\$" <<<"$found"; then
		echo "fuzz.sh: no fuzz target named $name" >&2
		exit 2
	fi
done

inputs() { ls -1 "$1" 2>/dev/null | sort; }

# Each new interesting input is minimized for up to 60 s by default, with
# no execution counted meanwhile: a target that keeps finding new coverage
# (FuzzManifest did, 14 inputs in a row) stalls for minutes under a count
# budget and its timeout. A count bounds that too; a crasher minimized
# less is still a crasher.
minimize=1000x

while read -r pkg target; do
	if (($# > 0)); then
		[[ -n ${asked[$target]:-} ]] || continue
		budget=${asked[$target]}
	else
		budget=$default_budget
	fi
	corpus="$pkg/testdata/fuzz/$target"
	before=$(inputs "$corpus")
	echo "go test -run '^\$' -fuzz '^$target\$' -fuzztime $budget -fuzzminimizetime $minimize $pkg   (timeout $timeout_s)"
	start=$SECONDS
	timeout --kill-after=30s "$timeout_s" go test -run '^$' -fuzz "^$target\$" -fuzztime "$budget" -fuzzminimizetime "$minimize" "$pkg" </dev/null
	rc=$?
	((rc == 0)) && continue
	added=$(comm -13 <(echo "$before") <(inputs "$corpus") | sed '/^$/d')
	if [[ -n $added ]]; then
		echo "$target found a failing input: fix the bug, then commit it as a seed:"
		sed "s|^|  $corpus/|" <<<"$added"
	elif ((rc == 124 || rc == 137)); then
		echo "$target timed out after $((SECONDS - start)) s (limit $timeout_s, budget $budget) and wrote no input: the machine is too slow for this budget, or the build or an input hangs"
	else
		echo "$target failed (exit $rc) without writing an input, so it is not a crasher: read the output above (a test or build error, or go test's own fault)"
	fi
	exit 1
done <<<"$found"
