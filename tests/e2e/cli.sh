#!/bin/bash
# The encore command line: help, the built-in demo guest, and clear errors
# (exit 2, a message, no crash) for bad usage and bad guest files.
set -u
cd "$(dirname "$0")/../.."
ENCORE=${ENCORE:-build/encore}
GUEST_DIR=${GUEST_DIR:-build/guests}
passed=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect NAME STATUS PATTERN -- command...: exit status and output pattern
expect() {
	local name=$1 want=$2 pattern=$3
	shift 4
	"$@" >"$tmp/out" 2>&1 </dev/null
	local got=$?
	if [ "$got" -eq "$want" ] && grep -qE -- "$pattern" "$tmp/out"; then
		passed=$((passed + 1)); echo "ok - $name"
	else
		failed=$((failed + 1)); echo "not ok - $name (exit $got, want $want; output:)"
		sed 's/^/#   /' "$tmp/out" | head -n 10
	fi
}

expect "encore --help" 0 "usage: encore" -- "$ENCORE" --help
expect "encore --version: the formats it reads and writes" 0 \
	"recordings: metadata [0-9]+, event log [0-9]+, checkpoints [0-9]+" -- "$ENCORE" --version
expect "encore run --help" 0 "--max-insns" -- "$ENCORE" run --help
expect "no command" 2 "usage: encore" -- "$ENCORE"
expect "unknown command" 2 "unknown command 'frobnicate'" -- "$ENCORE" frobnicate
expect "demo guest" 0 "primes found: 2262" -- "$ENCORE" run --demo
expect "demo summary" 0 "state-hash: [0-9a-f]{16}" -- "$ENCORE" run --demo --summary
expect "demo with --kernel" 2 "exclude each other" -- "$ENCORE" run --demo --kernel README.md
expect "--append without Linux" 2 "need a Linux kernel" -- "$ENCORE" run --demo --append quiet
expect "bad --rtc" 2 "bad --rtc" -- "$ENCORE" run --rtc base=yesterday
expect "--smp 0" 2 "bad --smp '0': give 1 to [0-9]+ vCPUs" -- "$ENCORE" run --demo --smp 0
expect "--smp 100000" 2 "bad --smp '100000': give 1 to [0-9]+ vCPUs" -- "$ENCORE" run --demo --smp 100000
expect "--smp two" 2 "bad --smp 'two'" -- "$ENCORE" run --demo --smp two
expect "record --smp 0" 2 "bad --smp '0'" -- "$ENCORE" record -o "$tmp/r0" --demo --smp 0
expect "--engine kvm --smp 2" 2 "runs one vCPU for now: --smp 2 needs --engine interp" -- \
	"$ENCORE" run --demo --engine kvm --smp 2
expect "missing kernel file" 2 "cannot open /nonexistent/k.elf" -- "$ENCORE" run --kernel /nonexistent/k.elf
expect "kernel that is not ELF" 2 "README.md is neither a Linux kernel .* nor a bare-metal" -- "$ENCORE" run --kernel README.md
head -c 64 /bin/true >"$tmp/trunc.elf"
expect "truncated ELF" 2 "corrupt program header table|outside the file" -- "$ENCORE" run --kernel "$tmp/trunc.elf"
printf '\177ELF\001\001\001' >"$tmp/elf32"; head -c 100 /dev/zero >>"$tmp/elf32"
expect "32-bit ELF" 2 "not an ELF64 file of an architecture encore has" -- "$ENCORE" run --kernel "$tmp/elf32"
if [ -f "$GUEST_DIR/hello.elf" ]; then
	expect "guest larger than RAM" 2 "outside guest RAM" -- "$ENCORE" run --kernel "$GUEST_DIR/hello.elf" --mem 1M
fi
expect "demo with too little RAM" 2 "the demo guest needs RAM" -- "$ENCORE" run --demo --mem 1M
expect "bad --mem" 2 "bad --mem" -- "$ENCORE" run --mem lots
expect "bad --max-insns" 2 "bad --max-insns" -- "$ENCORE" run --max-insns -5
expect "stray argument" 2 "unexpected argument" -- "$ENCORE" run extra
expect "instruction limit" 124 "stopped at instruction limit 1000" -- "$ENCORE" run --demo --max-insns 1000
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
