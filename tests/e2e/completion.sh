#!/bin/bash
# Bash completion (completion/encore.bash), driven directly: COMP_WORDS,
# COMP_CWORD, COMP_LINE and COMP_POINT set by hand, _encore called, and
# COMPREPLY checked, with the real encore binary as the program word:
#   - the script is `bash -n` clean, and sourcing it prints nothing;
#   - the subcommands (exactly those `encore --help` lists) after `encore `;
#     --max-insns after `encore run --max`; every option of `record --help`
#     after `encore record --`; hotspots after `--plugin hot`, a plugin's
#     keys after `--plugin hotspots,`, a .so file after `--plugin`;
#     arm64 after `--arch a`; files after --kernel (also as --kernel=);
#   - a recording directory (one with a meta file) is offered after
#     `encore replay PREFIX`, a plain file is not offered for inspect, nor
#     a plain directory beside recordings; a recording nested one level
#     down is reached through its directory; a space in a name is quoted;
#   - every option every subcommand's --help lists is offered after `-`
#     (parsed here independently of the script, so the two cannot drift),
#     and every value the script lists for --arch, --engine, --delivery,
#     --net, --rtc appears in the help text of the option;
#   - each --help is run once a session (cached); an encore that is not on
#     PATH gives no completions and no errors.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
script=completion/encore.bash
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if bash -n "$script" 2>"$tmp/syntax.err"; then
	ok "bash -n $script"
else
	not_ok "bash -n $script" "$tmp/syntax.err"
fi
if [ ! -x "$ENCORE" ]; then
	skip "completion" "no $ENCORE"
	finish
	exit
fi
# The program word: an absolute path, as the completion runs it.
encore=$(cd "$(dirname "$ENCORE")" && pwd)/$(basename "$ENCORE")

out=$(. "$script" 2>&1)
if [ -z "$out" ]; then ok "sourcing the script prints nothing"; else not_ok "sourcing prints: $out"; fi
. "$script"

# comp WORD...: complete the last WORD of `encore WORD...` (the cursor at
# its end); COMPREPLY one a line in $tmp/reply, stderr in $tmp/comp.err.
comp() {
	COMP_WORDS=("$encore" "$@")
	COMP_CWORD=$#
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_encore 2>"$tmp/comp.err"
	printf '%s\n' ${COMPREPLY[@]+"${COMPREPLY[@]}"} >"$tmp/reply"
	[ ! -s "$tmp/comp.err" ]
}
# has WORD...: every WORD is in $tmp/reply.
has() {
	local w
	for w in "$@"; do grep -qxF -- "$w" "$tmp/reply" || return 1; done
}
# check WHAT WORDS -- COMPLETE...: WORDS (space-separated) are all offered.
check() {
	local what=$1 want=$2
	shift 3
	if comp "$@" && has $want; then
		ok "$what"
	else
		not_ok "$what: offered $(tr '\n' ' ' <"$tmp/reply")" "$tmp/comp.err"
	fi
}

# help_opts CMD: the options `encore CMD --help` lists, one a line.
help_opts() {
	"$encore" "$1" --help 2>/dev/null |
		sed -nE 's/^[[:space:]]*(-[-A-Za-z0-9]+(, -[-A-Za-z0-9]+)*).*/\1/p' |
		sed 's/, /\n/g'
}
commands=$("$encore" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][-a-z0-9]*\)  .*/\1/p')
if [ -n "$commands" ]; then
	ok "encore --help lists commands: $(echo $commands)"
else
	not_ok "no commands in encore --help"
fi

if comp '' && [ "$(sort "$tmp/reply")" = "$(echo "$commands" | sort)" ]; then
	ok "'encore ' offers the subcommands"
else
	not_ok "'encore ': $(tr '\n' ' ' <"$tmp/reply")" "$tmp/comp.err"
fi
check "'encore --' offers --help and --version" "--help --version" -- --
check "'encore run --max' offers --max-insns" "--max-insns" -- run --max
if comp run --max && [ "$(cat "$tmp/reply")" = --max-insns ]; then
	ok "'encore run --max' offers only --max-insns"
else
	not_ok "'encore run --max': $(tr '\n' ' ' <"$tmp/reply")"
fi
check "'encore record --' offers every long option of record --help" \
	"$(help_opts record | grep -- '^--' | tr '\n' ' ')" -- record --
check "'--plugin hot' offers hotspots" hotspots -- simulate REC --plugin hot
check "'--plugin hotspots,' offers its keys" "hotspots,top= hotspots,map=" -- \
	simulate REC --plugin hotspots,
check "'record --simulate ' offers the built-in plugins" \
	"$("$encore" simulate --list-plugins | sed -n 's/^\([a-z][a-z0-9_]*\) .*/\1/p' | tr '\n' ' ')" -- \
	record --simulate ''
: >"$tmp/trace.so"
check "'--plugin DIR/' offers a .so file" "$tmp/trace.so" -- simulate REC --plugin "$tmp/"
check "'encore run --arch a' offers arm64" arm64 -- run --arch a
check "'encore replay --engine ' offers interp and kvm" "interp kvm" -- replay --engine ''
echo x >"$tmp/vmlinux"
check "'encore run --kernel DIR/vm' offers the file" "$tmp/vmlinux" -- run --kernel "$tmp/vm"
check "'encore run --kernel=DIR/vm' offers the file" "$tmp/vmlinux" -- run --kernel = "$tmp/vm"
check "'encore record -m 1G --disk DIR/vm' offers the file" "$tmp/vmlinux" -- \
	record -m 1G --disk "$tmp/vm"

# Recordings: a directory with a meta file, one nested in a plain
# directory, a plain directory and a plain file.
mkdir -p "$tmp/recs/rec1" "$tmp/recs/plain" "$tmp/recs/nest/rec2"
: >"$tmp/recs/rec1/meta"
: >"$tmp/recs/nest/rec2/meta"
: >"$tmp/recs/rfile"
check "'encore replay DIR/r' offers the recording" "$tmp/recs/rec1" -- replay "$tmp/recs/r"
if comp inspect "$tmp/recs/r" && ! grep -q rfile "$tmp/reply"; then
	ok "'encore inspect DIR/r' does not offer a plain file"
else
	not_ok "'encore inspect DIR/r' offers the plain file: $(tr '\n' ' ' <"$tmp/reply")"
fi
if comp simulate -j 2 "$tmp/recs/" &&
	[ "$(sort "$tmp/reply")" = "$(printf '%s\n' "$tmp/recs/nest/" "$tmp/recs/rec1")" ]; then
	ok "'encore simulate -j 2 DIR/': recordings first (rec1, nest/), not plain/ or rfile"
else
	not_ok "'encore simulate -j 2 DIR/': $(tr '\n' ' ' <"$tmp/reply")"
fi
check "'encore replay DIR/nest/' offers the nested recording" "$tmp/recs/nest/rec2" -- \
	replay "$tmp/recs/nest/"
mkdir -p "$tmp/recs/my rec"
: >"$tmp/recs/my rec/meta"
if comp inspect "$tmp/recs/my" && [ "$(cat "$tmp/reply")" = "$(printf '%q' "$tmp/recs/my rec")" ]; then
	ok "'encore inspect DIR/my' offers 'my rec', quoted for the shell"
else
	not_ok "'encore inspect DIR/my': $(tr '\n' ' ' <"$tmp/reply")" "$tmp/comp.err"
fi
check "'encore inspect REC ' offers inspect's options" "--json --verify" -- inspect "$tmp/recs/rec1" ''

# Every option of every subcommand's --help, offered after `-`.
for cmd in $commands; do
	want=$(help_opts "$cmd" | tr '\n' ' ')
	if [ -z "$want" ]; then
		not_ok "encore $cmd --help lists no options"
		continue
	fi
	missing=
	comp "$cmd" - || missing="(errors) "
	for o in $want; do has "$o" || missing+="$o "; done
	extra=$(grep -vxF -f <(echo "$want" | tr ' ' '\n' | sed '/^$/d') "$tmp/reply" | tr '\n' ' ')
	if [ -z "$missing$extra" ]; then
		ok "'encore $cmd -' offers all $(echo $want | wc -w) options of its --help, no others"
	else
		not_ok "'encore $cmd -': missing ${missing:-none}, not in --help: ${extra:-none}" "$tmp/comp.err"
	fi
done

# The script's own value lists: each value appears in its option's help.
for pair in run:--arch:x86_64,arm64 run:--engine:interp,kvm replay:--engine:interp,kvm \
	run:--delivery:exits,precise run:--net:user,none run:--rtc:base=utc; do
	IFS=: read -r cmd opt values <<<"$pair"
	# The option's paragraph: its line and the deeper-indented ones after it.
	text=$("$encore" "$cmd" --help | awk -v o="$opt" '
		p && /^  ? ?-/ { exit } p { print } $1 == o { p = 1; print }')
	comp "$cmd" "$opt" ''
	bad=
	for v in ${values//,/ }; do
		# (--rtc's base=utc: the help names utc, after base=WHEN)
		grep -qE "(^|[^a-z0-9_])${v#*=}([^a-z0-9_]|$)" <<<"$text" || bad+="$v(not in help) "
		has "$v" || bad+="$v(not offered) "
	done
	if [ -z "$bad" ]; then
		ok "'encore $cmd $opt ': ${values//,/ }, as its --help says"
	else
		not_ok "'encore $cmd $opt ': $bad"
	fi
done

# Cached: a session completing one subcommand twice runs its --help once.
cat >"$tmp/encore" <<EOF
#!/bin/sh
echo "\$*" >>"$tmp/calls"
exec "$encore" "\$@"
EOF
chmod +x "$tmp/encore"
(
	encore=$tmp/encore
	comp record -- && comp record --in && comp record --k && has --kernel
) && [ "$(grep -c 'record --help' "$tmp/calls")" = 1 ]
if [ $? = 0 ]; then
	ok "record --help run once for three completions"
else
	not_ok "caching: $(grep -c 'record --help' "$tmp/calls" 2>/dev/null) runs of record --help"
fi

# No encore on PATH: nothing offered, nothing printed.
env PATH=/nonexistent "$BASH" -c '. "$1"
	for w in "" run; do
		COMP_WORDS=(encore $w --); COMP_CWORD=${#COMP_WORDS[@]}; COMP_CWORD=$((COMP_CWORD - 1))
		COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
		_encore || exit 1
		[ ${#COMPREPLY[@]} = 0 ] || exit 1
	done' - "$script" >"$tmp/nopath.out" 2>&1
if [ $? = 0 ] && [ ! -s "$tmp/nopath.out" ]; then
	ok "no encore on PATH: no completions, no output"
else
	not_ok "no encore on PATH" "$tmp/nopath.out"
fi

finish
