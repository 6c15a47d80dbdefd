#!/usr/bin/env bash
# Prints the README's Layout block from the packages' doc comments: each
# package's path and the first sentence of its doc (`go list`'s Doc), so
# the README cannot drift from the code. With --check, compares it with
# the block in README.md and fails, showing the difference, if they differ.
set -euo pipefail
cd "$(dirname "$0")/../.."

layout() {
	echo '```'
	go list -f '{{.ImportPath}}|{{.Doc}}' ./... | sed 's|^github.com/datalake-platform/s3connections/||' |
		while IFS='|' read -r path doc; do
			# The job, without the details after its colon: "Package x is y: …" is "y".
			doc=$(sed -E 's/^(Package|Command) [a-z0-9_-]+ (is )?//; s/: .*//; s/\.$//' <<<"$doc")
			fold -s -w 62 <<<"$doc" | sed 's/ *$//' | awk -v p="$path" 'NR == 1 { printf "%-35s %s\n", p, $0; next } { printf "%-35s %s\n", "", $0 }'
		done
	echo '```'
}

if [[ ${1:-} == --check ]]; then
	want=$(layout)
	got=$(awk '/^## Layout/ { on = 1; next } on && /^```/ { print; if (++fence == 2) exit; next } on && fence == 1' README.md)
	if [[ $want != "$got" ]]; then
		echo "README.md's Layout differs from the package docs (infra/scripts/layout.sh prints it):"
		diff <(echo "$got") <(echo "$want") || true
		exit 1
	fi
else
	layout
fi
