#!/bin/bash
# Record and replay on the default guest (Debian's vmlinux + busybox
# initramfs), side by side with QEMU's record/replay on the same kernel,
# initramfs and command line: encore's recording overhead (record against
# run), replay against record, idle time in replay, log size per guest-second
# and per 1000 instructions, and QEMU's record, replay and log.
# Runs are interleaved (run, record, replay, QEMU..., then again) and each
# time is the best of BENCH_REPS (default 3).  Prints Markdown; bench/run.sh
# includes it in the report.
#   bench/rr.sh [BUILD]
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
GUEST=build/guest
OUT=$BUILD/bench/rr
REPS=${BENCH_REPS:-3}
ENCORE=$BUILD/encore
KERNEL=$GUEST/vmlinux
INITRD=$GUEST/initramfs.cpio
APPEND="console=ttyS0 quiet panic=-1 cryptomgr.notests" # guest/run-qemu.sh's
RTC=2026-01-01
IDLE=5 # seconds the idle workload sleeps
rm -rf "$OUT"
mkdir -p "$OUT"
printf 'workload\npoweroff -f\n' >"$OUT/workload.input"
printf 'sleep %s\npoweroff -f\n' "$IDLE" >"$OUT/idle.input"
enc_opts=(--kernel "$KERNEL" --initrd "$INITRD" --append "$APPEND" --rtc "base=$RTC")
HAVE_QEMU=0
command -v qemu-system-x86_64 >/dev/null && HAVE_QEMU=1
warnings=()
warn() { warnings+=("$*"); }

# timed CMD...: run CMD; wall seconds in T, exit status in RC.
timed() {
	local t0 t1
	t0=$(date +%s.%N)
	set +e
	"$@"
	RC=$?
	set -e
	t1=$(date +%s.%N)
	T=$(echo "$t1 - $t0" | bc -l)
}

# keep_min NAME: NAME = min(NAME, T).
keep_min() {
	local cur=${!1:-}
	if [ -z "$cur" ] || [ "$(echo "$T < $cur" | bc -l)" = 1 ]; then
		printf -v "$1" %s "$T"
	fi
}

f2() { printf '%.2f' "$1"; }
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
summary_field() { sed -n "s/^$2: //p" "$1"; } # FILE FIELD, from --summary
json() { jq -r "$2" <<<"$1"; }                  # JSON FILTER

enc_run() { # INPUT BASE
	"$ENCORE" run "${enc_opts[@]}" --summary <"$1" >"$2.out" 2>"$2.err"
}
enc_record() { # INPUT REC [OPTION...]
	rm -rf "$2"
	"$ENCORE" record -o "$2" "${enc_opts[@]}" "${@:3}" --summary <"$1" >"$2.out" 2>"$2.err"
}
enc_replay() { # REC
	"$ENCORE" replay "$1" -q --summary >"$1.replay.out" 2>"$1.replay.err"
}
# check_enc STEP BASE: warn unless the encore command exited 0.
check_enc() {
	[ "$RC" = 0 ] && return 0
	warn "encore $1 exited with status $RC: $(tr '\n' ' ' <"$2.err")"
	return 1
}
# check_replay REC: warn unless the replay was exact; keep a diverging
# recording for a bug report.
check_replay() {
	[ "$RC" = 0 ] && return 0
	rm -rf "$1.diverged"
	cp -a "$1" "$1.diverged"
	warn "encore replay of $1 exited with status $RC (reproduce: $ENCORE replay $1.diverged -q): $(tr '\n' ' ' <"$1.replay.err")"
	return 1
}

qemu_sh() { guest/run-qemu.sh --timeout 900 "$@" "$KERNEL" "$INITRD"; }
qemu_run() { qemu_sh --icount-auto <"$1" >"$2.out" 2>"$2.err"; }                    # INPUT BASE
qemu_record() { rm -f "$2"; qemu_sh --record "$2" <"$1" >"$2.out" 2>"$2.err"; }      # INPUT LOG
qemu_replay() { qemu_sh --replay "$1" </dev/null >"$1.replay.out" 2>"$1.replay.err"; } # LOG
# check_qemu STEP BASE: warn unless run-qemu.sh exited 0.
check_qemu() {
	[ "$RC" = 0 ] && return 0
	warn "QEMU $1 failed (run-qemu.sh status $RC): $(tr '\n' ' ' <"$2.err")"
	return 1
}
# The guest's clock at power-off, from the kernel's timestamp on that line.
poweroff_time() { tr -d '\r' <"$1" | sed -n 's/^\[ *\([0-9.]*\)\] reboot: Power down.*/\1/p' | tail -1; }
results() { grep '^workload: ' "$1" | tr -d '\r'; }

# Recording overhead, replay, and QEMU's record/replay on the workload.
same_console=yes enc_insns=() q_sizes=() q_replays_ok=0 q_replays=0 enc_replays_ok=0
for i in $(seq "$REPS"); do
	timed enc_run "$OUT/workload.input" "$OUT/run"
	check_enc run "$OUT/run" && keep_min t_run
	enc_insns+=("run $(summary_field "$OUT/run.err" instructions)")
	timed enc_record "$OUT/workload.input" "$OUT/rec"
	check_enc record "$OUT/rec" && keep_min t_rec
	enc_insns+=("record $(summary_field "$OUT/rec.err" instructions)")
	if ! cmp -s "$OUT/run.out" "$OUT/rec.out"; then
		warn "encore's console output differs between run and record (run $i)"
		same_console=no
	fi
	timed enc_replay "$OUT/rec"
	if check_replay "$OUT/rec"; then
		keep_min t_rep
		enc_replays_ok=$((enc_replays_ok + 1))
	fi
	enc_insns+=("replay $(summary_field "$OUT/rec.replay.err" instructions)")
	if [ "$HAVE_QEMU" = 1 ]; then
		timed qemu_run "$OUT/workload.input" "$OUT/qrun"
		check_qemu "-icount shift=auto run" "$OUT/qrun" && keep_min q_run
		timed qemu_record "$OUT/workload.input" "$OUT/q.rr"
		if check_qemu record "$OUT/q.rr"; then
			keep_min q_rec
			q_sizes+=("$(stat -c %s "$OUT/q.rr")")
			timed qemu_replay "$OUT/q.rr"
			q_replays=$((q_replays + 1))
			if check_qemu replay "$OUT/q.rr.replay"; then
				if cmp -s "$OUT/q.rr.out" "$OUT/q.rr.replay.out"; then
					keep_min q_rep
					q_replays_ok=$((q_replays_ok + 1))
				else
					warn "QEMU's replay console output differs from its record's (run $i)"
				fi
			fi
		fi
	fi
done
enc_json=$("$ENCORE" inspect "$OUT/rec" --json)
results "$OUT/rec.out" >"$OUT/encore.results"
mapfile -t distinct < <(printf '%s\n' "${enc_insns[@]}" | cut -d' ' -f2 | sort -u)
[ ${#distinct[@]} = 1 ] || warn "encore's instruction counts differ: ${enc_insns[*]}"
q_insns=
if [ "$HAVE_QEMU" = 1 ] && [ -n "${q_rec:-}" ]; then
	# One more (untimed) replay that asks QEMU's monitor for its count.
	if qemu_sh --replay "$OUT/q.rr" --insns </dev/null >"$OUT/q.count.out" 2>"$OUT/q.count.err"; then
		q_insns=$(summary_field "$OUT/q.count.err" instructions)
		cmp -s "$OUT/q.rr.out" "$OUT/q.count.out" ||
			warn "QEMU's counting replay printed other console output than its record"
	else
		warn "QEMU's counting replay failed: $(tr '\n' ' ' <"$OUT/q.count.err")"
	fi
	results "$OUT/q.rr.out" | cmp -s - "$OUT/encore.results" ||
		warn "QEMU's workload results differ from encore's"
fi

# Idle time: the guest sleeps; encore in virtual time (idle skipped at once)
# and with --realtime (guest time paced by the host clock), QEMU in its
# record mode (icount shift=auto: idle time passes in real time).
for i in $(seq "$REPS"); do
	timed enc_record "$OUT/idle.input" "$OUT/idle"
	check_enc record "$OUT/idle" && keep_min t_idle_rec
	timed enc_replay "$OUT/idle"
	check_replay "$OUT/idle" && keep_min t_idle_rep
	timed enc_record "$OUT/idle.input" "$OUT/idlert" --realtime
	check_enc "record --realtime" "$OUT/idlert" && keep_min t_idlert_rec
	timed enc_replay "$OUT/idlert"
	check_replay "$OUT/idlert" && keep_min t_idlert_rep
	if [ "$HAVE_QEMU" = 1 ]; then
		timed qemu_record "$OUT/idle.input" "$OUT/qidle.rr"
		if check_qemu "record ($IDLE s idle)" "$OUT/qidle.rr"; then
			keep_min q_idle_rec
			timed qemu_replay "$OUT/qidle.rr"
			if check_qemu "replay ($IDLE s idle)" "$OUT/qidle.rr.replay"; then
				if cmp -s "$OUT/qidle.rr.out" "$OUT/qidle.rr.replay.out"; then
					keep_min q_idle_rep
				else
					warn "QEMU's replay console output differs from its record's ($IDLE s idle, run $i)"
				fi
			fi
		fi
	fi
done
idle_json=$("$ENCORE" inspect "$OUT/idle" --json)
idlert_json=$("$ENCORE" inspect "$OUT/idlert" --json)

# Markdown.
n() { [ -n "${!1:-}" ] && f2 "${!1}" || echo failed; }
r() { [ -n "${!1:-}" ] && [ -n "${!2:-}" ] && ratio "${!1}" "${!2}" || echo -; }
enc_n=$(json "$enc_json" .instructions)
echo "## Record and replay (default guest, $REPS interleaved runs each, best shown)"
echo
echo "Every engine boots \`$KERNEL\` (the uncompressed ELF: encore enters it directly,"
echo "QEMU through its PVH note) with \`$INITRD\` and the kernel command line"
echo "\`$APPEND\`. encore runs with \`--rtc base=$RTC\` and the workload"
echo "(\`workload\`, then \`poweroff -f\`) piped to its console; QEMU gets the same two"
echo "lines typed on its serial console (\`-serial stdio\`), each after the shell prompt"
echo "(guest/send-after-prompt). Times are wall-clock seconds, start to exit."
echo
echo "| engine | run s | record s | record / run | replay s | replay / record | log bytes | guest instructions |"
echo "|---|---|---|---|---|---|---|---|"
printf '| encore (%s) | %s | %s | %s | %s | %s | %s | %s |\n' "$(basename "$KERNEL")" \
	"$(n t_run)" "$(n t_rec)" "$(r t_rec t_run)" "$(n t_rep)" "$(r t_rep t_rec)" \
	"$(json "$enc_json" .log_bytes)" "$enc_n"
if [ "$HAVE_QEMU" = 1 ]; then
	q_bytes=
	[ ${#q_sizes[@]} = 0 ] || q_bytes=${q_sizes[-1]}
	printf '| QEMU rr, -icount shift=auto (%s via PVH) | %s | %s | %s | %s | %s | %s | %s |\n' \
		"$(basename "$KERNEL")" "$(n q_run)" "$(n q_rec)" "$(r q_rec q_run)" "$(n q_rep)" \
		"$(r q_rep q_rec)" "${q_bytes:--}" "${q_insns:+≈ }${q_insns:--}"
	printf '| encore / QEMU | %s | %s | | %s | | %s | |\n' "$(r t_run q_run)" "$(r t_rec q_rec)" \
		"$(r t_rep q_rep)" "$([ -n "$q_bytes" ] && printf '1/%.0f' "$(echo "$q_bytes / $(json "$enc_json" .log_bytes)" | bc -l)" || echo -)"
else
	echo "| QEMU | not installed | | | | | | |"
fi
echo
echo "- encore: record / run = $(r t_rec t_run) (goal: under 1.05); replay / record ="
echo "  $(r t_rep t_rec) (goal: at most 1.00). Instruction counts of all $REPS runs, records and"
echo "  replays: $(printf '%s\n' "${enc_insns[@]}" | cut -d' ' -f2 | sort -u | paste -sd ' ' -)$([ ${#distinct[@]} = 1 ] && echo " (all equal)");"
echo "  $enc_replays_ok of $REPS replays exact (exit 0: console output, event fingerprints,"
echo "  checkpoint hashes and final state hash verified); console output of run and record"
echo "  identical: $same_console."
if [ "$HAVE_QEMU" = 1 ]; then
	echo "- QEMU: \"run\" is the same command without rr (\`-icount shift=auto\`)."
	echo "  Its replay reads the console input from the log (stdin is /dev/null);"
	echo "  $q_replays_ok of $q_replays replays printed byte for byte the console output of"
	echo "  their record (kernel timestamps included). Log sizes of the $REPS recordings:"
	echo "  $(printf '%s\n' "${q_sizes[@]}" | paste -sd ' ' -) bytes (the table shows the last)."
	echo "  QEMU's instruction count is its monitor's \`info replay\` once the replay has"
	echo "  stopped at power-off (-no-shutdown): it varies by some thousands between"
	echo "  replays of one log, as the vCPU runs on after the logged shutdown request."
fi
echo
echo "### Idle time"
echo
echo "The guest boots and runs \`sleep $IDLE\`, then \`poweroff -f\`. encore in its default"
echo "virtual time skips idle time at once when recording; with \`--realtime\` guest time"
echo "keeps pace with the host clock, so the sleep takes $IDLE s of wall time when recording."
echo "QEMU's record mode (icount shift=auto) also lets idle time pass in real time."
echo
echo "| recording | guest s | of which idle s | record wall s | replay wall s | replay / record | log bytes |"
echo "|---|---|---|---|---|---|---|"
idle_row() { # LABEL JSON REC REP
	printf '| %s | %.2f | %.2f | %s | %s | %s | %s |\n' "$1" "$(json "$2" .virtual_seconds)" \
		"$(echo "$(json "$2" .idle_ns) / 1000000000" | bc -l)" "$(n "$3")" "$(n "$4")" "$(r "$4" "$3")" \
		"$(json "$2" .log_bytes)"
}
idle_row "encore, virtual time" "$idle_json" t_idle_rec t_idle_rep
idle_row "encore, --realtime" "$idlert_json" t_idlert_rec t_idlert_rep
if [ "$HAVE_QEMU" = 1 ]; then
	q_idle_s=$(poweroff_time "$OUT/qidle.rr.out")
	printf '| QEMU rr, -icount shift=auto | %s | - | %s | %s | %s | %s |\n' \
		"$([ -n "$q_idle_s" ] && f2 "$q_idle_s" || echo -)" \
		"$(n q_idle_rec)" "$(n q_idle_rep)" "$(r q_idle_rep q_idle_rec)" \
		"$(stat -c %s "$OUT/qidle.rr" 2>/dev/null || echo -)"
fi
echo
echo "Guest seconds: encore's virtual time (\`inspect --json\`); for QEMU the kernel's"
echo "timestamp on its power-off line. Idle seconds: encore's virtual time not spent on"
echo "instructions (skipped while the CPU halts; with \`--realtime\`, also the time added to"
echo "keep pace with the host clock while the interpreter runs slower than it)."
echo
echo "### Log size"
echo
echo "| recording | log bytes | guest s | guest instructions | bytes / guest-second | bytes / 1000 instructions |"
echo "|---|---|---|---|---|---|"
log_row() { # LABEL JSON
	printf '| %s | %s | %.2f | %s | %.1f | %.6f |\n' "$1" "$(json "$2" .log_bytes)" \
		"$(json "$2" .virtual_seconds)" "$(json "$2" .instructions)" \
		"$(json "$2" .log_bytes_per_guest_second)" "$(json "$2" .log_bytes_per_1000_instructions)"
}
log_row "encore, workload" "$enc_json"
log_row "encore, sleep $IDLE (virtual time)" "$idle_json"
log_row "encore, sleep $IDLE (--realtime)" "$idlert_json"
if [ "$HAVE_QEMU" = 1 ] && [ -n "${q_bytes:-}" ]; then
	q_s=$(poweroff_time "$OUT/q.rr.out")
	printf '| QEMU rr, workload | %s | %.2f | %s | %.0f | %s |\n' "$q_bytes" "$q_s" "${q_insns:+≈ }${q_insns:--}" \
		"$(echo "$q_bytes / $q_s" | bc -l)" \
		"$([ -n "$q_insns" ] && printf '%.3f' "$(echo "$q_bytes * 1000 / $q_insns" | bc -l)" || echo -)"
	if [ -n "${q_idle_s:-}" ]; then
		q_idle_bytes=$(stat -c %s "$OUT/qidle.rr")
		printf '| QEMU rr, sleep %s | %s | %.2f | - | %.0f | - |\n' "$IDLE" "$q_idle_bytes" "$q_idle_s" \
			"$(echo "$q_idle_bytes / $q_idle_s" | bc -l)"
	fi
fi
echo "| anchor: VMware ReTrace | | | | | 0.5 |"
echo "| anchor: QEMU record/replay, active guest | | | | ~5000000 | |"
echo
echo "encore's log is the recording's events.log; the recording directory also holds"
echo "the console output ($(json "$enc_json" .console_bytes) bytes for the workload) and copies of the kernel and"
echo "initramfs. QEMU's log is its rrfile."
if [ "$HAVE_QEMU" = 1 ]; then
	echo
	echo "QEMU record/replay command lines (guest/run-qemu.sh --record FILE / --replay FILE;"
	echo "stdin is the typist's fifo when recording, /dev/null when replaying):"
	echo
	echo '```'
	guest/run-qemu.sh --dry-run --record FILE "$KERNEL" "$INITRD"
	guest/run-qemu.sh --dry-run --replay FILE "$KERNEL" "$INITRD"
	echo '```'
fi
if [ ${#warnings[@]} -gt 0 ]; then
	echo
	for w in "${warnings[@]}"; do
		echo "WARNING: $w"
	done
fi
# Recordings hold copies of the guest files; keep only diverging ones.
rm -rf "$OUT/rec" "$OUT/idle" "$OUT/idlert" "$OUT"/*.rr
