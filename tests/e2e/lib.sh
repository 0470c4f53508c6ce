# Shared by the end-to-end scripts: TAP-style results and the summary
# line tests/run.sh reads.  Source it after `cd` to the repository root.
passed=0 failed=0 skipped=0

ok() { passed=$((passed + 1)); echo "ok - $1"; }
# not_ok WHAT [LOG]: a failure, with the end of LOG if one is given.
not_ok() {
	failed=$((failed + 1)); echo "not ok - $1"
	[ -n "${2:-}" ] && [ -f "$2" ] && tail -n 15 "$2" | sed 's/^/#   /'
	return 0
}
skip() { skipped=$((skipped + 1)); echo "ok - $1 # SKIP $2"; }
# The summary line, and the script's exit status.
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}
