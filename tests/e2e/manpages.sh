#!/bin/bash
# The manual pages in man/ against the program: every option a
# subcommand's --help lists is documented in its page's OPTIONS section
# (a .TP item), every option documented there is still in --help, encore.1
# lists every subcommand `encore --help` lists, every page has NAME,
# SYNOPSIS and DESCRIPTION and names only pages that exist, and groff
# renders every page without a warning (skipped when neither groff nor man
# is installed: Debian's groff-base).
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
MAN=${MAN:-man}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# help_options: the options of a --help text on stdin.  An option line is
# one whose first non-blank character is '-', indented less than the
# continuation lines of a description (at most 6 blanks: the help puts
# options at 2 and descriptions at 14 or more, so a continuation that
# happens to start with an option name is not taken for one).  Its leading
# options are taken, alternatives included: "-o, --output REC",
# "-m|--mem SIZE", "--plugin SPEC", "--rtc base=WHEN".  Prints one option
# a line, sorted, unique.
help_options() {
	awk '
	{ match($0, /^ */) }
	RLENGTH <= 6 && substr($0, RLENGTH + 1, 1) == "-" { print_leading($0) }
	function print_leading(s) {
		sub(/^[ \t]+/, "", s)
		while (match(s, /^--?[A-Za-z0-9?][A-Za-z0-9_-]*/)) {
			print substr(s, 1, RLENGTH)
			s = substr(s, RLENGTH + 1)
			# Another spelling of the same option follows a comma or a bar.
			if (!match(s, /^ *(,|\|) *-/))
				break
			sub(/^ *(,|\|) */, "", s)
		}
	}' | sort -u
}

# roff_text: the text of roff source lines on stdin, as a reader sees it:
# a line of .B, .I, .BR, .BI, .IR, .RB, .IB, .RI gets its arguments
# (quoted or not) joined (with blanks for .B and .I, without for the
# alternating macros), and the escapes \-, \(en, \&, \fX, \f(XX, \f[X],
# \e and \~ are resolved.
roff_text() {
	awk '
	function unescape(s) {
		gsub(/\\f\[[^]]*\]/, "", s); gsub(/\\f\([A-Za-z][A-Za-z]/, "", s)
		gsub(/\\f[A-Za-z0-9]/, "", s)
		gsub(/\\-/, "-", s); gsub(/\\\(en/, "-", s); gsub(/\\&/, "", s)
		gsub(/\\~/, " ", s); gsub(/\\ /, " ", s); gsub(/\\e/, "\\", s)
		return s
	}
	{
		line = $0
		if (match(line, /^\.(B|I|BR|BI|IR|RB|IB|RI)([ \t]|$)/)) {
			macro = substr(line, 2, RLENGTH - 1); sub(/[ \t]+$/, "", macro)
			rest = substr(line, RLENGTH + 1)
			sep = (macro == "B" || macro == "I") ? " " : ""
			out = ""; n = 0
			while (1) {
				sub(/^[ \t]+/, "", rest)
				if (rest == "") break
				if (substr(rest, 1, 1) == "\"") {
					rest = substr(rest, 2)
					i = index(rest, "\"")
					arg = i ? substr(rest, 1, i - 1) : rest
					rest = i ? substr(rest, i + 1) : ""
				} else {
					match(rest, /^[^ \t]+/)
					arg = substr(rest, 1, RLENGTH); rest = substr(rest, RLENGTH + 1)
				}
				out = out (n++ ? sep : "") arg
			}
			line = out
		}
		print unescape(line)
	}'
}

# section PAGE NAME: the roff source of section NAME (.SH NAME up to the
# next .SH).
section() {
	awk -v want="$2" '
	/^\.SH/ { s = $0; sub(/^\.SH[ \t]+/, "", s); gsub(/"/, "", s); on = (s == want); next }
	on' "$1"
}

# tags: the tag lines (the line after each .TP or .TQ) of roff on stdin.
tags() {
	awk '/^\.T[PQ]([ \t]|$)/ { tag = 1; next } tag && !/^\.(PD|ns)/ { print; tag = 0 }'
}

# page_options PAGE: the options documented as items of PAGE's OPTIONS.
page_options() {
	section "$1" OPTIONS | tags | roff_text | help_options
}

# compare WHAT PAGE WANT HAVE: one ok/not_ok per direction.
compare() {
	local what=$1 page=$2 want=$3 have=$4 missing stale
	missing=$(comm -23 "$want" "$have" | tr '\n' ' ')
	stale=$(comm -13 "$want" "$have" | tr '\n' ' ')
	if [ -z "$missing" ]; then
		ok "$page: every $what is documented ($(wc -l <"$want") of them)"
	else
		not_ok "$page: $what not documented in OPTIONS: ${missing% }"
	fi
	if [ -z "$stale" ]; then
		ok "$page: no stale $what in OPTIONS"
	else
		not_ok "$page: OPTIONS documents what --help does not list: ${stale% }"
	fi
}

if ! "$ENCORE" --help >"$tmp/help" 2>&1; then
	not_ok "encore --help fails" "$tmp/help"
	finish
	exit
fi
# The subcommands: the indented first words under "commands:".
commands=$(awk '/^commands:/ { on = 1; next } on && /^$/ { on = 0 }
	on && /^  [a-z]/ { print $1 }' "$tmp/help")
if [ -z "$commands" ]; then
	not_ok "encore --help lists no commands" "$tmp/help"
fi

for cmd in $commands; do
	page=man/encore-$cmd.1
	if [ ! -f "$page" ]; then
		not_ok "$page: missing (encore --help lists '$cmd')"
		continue
	fi
	if ! "$ENCORE" "$cmd" --help >"$tmp/$cmd.help" 2>&1; then
		not_ok "encore $cmd --help fails" "$tmp/$cmd.help"
		continue
	fi
	help_options <"$tmp/$cmd.help" >"$tmp/$cmd.want"
	page_options "$page" >"$tmp/$cmd.have"
	if [ ! -s "$tmp/$cmd.want" ]; then
		not_ok "$page: no option found in 'encore $cmd --help'" "$tmp/$cmd.help"
		continue
	fi
	compare "option of 'encore $cmd --help'" "$page" "$tmp/$cmd.want" "$tmp/$cmd.have"
done

# encore.1: every subcommand as an item of COMMANDS with a pointer to its
# page, and no item for a command encore does not have; the options the
# top-level help names (--help, --version) in OPTIONS.
printf '%s\n' $commands | sort -u >"$tmp/commands.want"
section man/encore.1 COMMANDS | tags | roff_text | awk '{ print $1 }' | sort -u >"$tmp/commands.have"
missing=$(comm -23 "$tmp/commands.want" "$tmp/commands.have" | tr '\n' ' ')
stale=$(comm -13 "$tmp/commands.want" "$tmp/commands.have" | tr '\n' ' ')
missing=${missing% } stale=${stale% }
unpointed=
for cmd in $commands; do
	roff_text <man/encore.1 | grep -q "encore-$cmd(1)" || unpointed="$unpointed encore-$cmd(1)"
done
if [ -z "$missing$stale$unpointed" ]; then
	ok "man/encore.1: lists every command of encore --help, each with its page"
else
	not_ok "man/encore.1: commands missing: ${missing:-none}; not commands: ${stale:-none}; pages not named:${unpointed:- none}"
fi
grep -oE -- '--[a-z][a-z-]*' "$tmp/help" | sort -u >"$tmp/top.want"
page_options man/encore.1 >"$tmp/top.have"
compare "option of 'encore --help'" man/encore.1 "$tmp/top.want" "$tmp/top.have"

# Every page: its sections, its .TH naming it, and the encore pages it
# refers to.
for page in man/*.[0-9]; do
	base=${page##*/}
	name=${base%.*} sect=${base##*.}
	absent=
	for s in NAME SYNOPSIS DESCRIPTION; do
		grep -qE "^\.SH \"?$s\"?\$" "$page" || absent="$absent $s"
	done
	th=$(awk '/^\.TH/ { print $2, $3; exit }' "$page" | tr -d '"' | roff_text)
	[ "$(echo "$th" | tr A-Z a-z)" = "$name $sect" ] || absent="$absent .TH($th)"
	for ref in $(roff_text <"$page" | grep -oE 'encore(-[a-z0-9]+)?\([0-9]\)' | sort -u); do
		[ -f "man/${ref%%(*}.$(echo "$ref" | tr -dc 0-9)" ] || absent="$absent $ref"
	done
	if [ -z "$absent" ]; then
		ok "$page: NAME, SYNOPSIS, DESCRIPTION; .TH $name $sect; refers only to pages that exist"
	else
		not_ok "$page: missing or wrong:$absent"
	fi
done

# Rendering: groff with every warning on (-ww), else man -l with its
# warnings; neither installed skips the check (Debian: groff-base).
if command -v groff >/dev/null; then
	render() { groff -man -Tutf8 -ww -z "$1"; }
elif command -v "$MAN" >/dev/null; then
	render() { MANWIDTH=80 "$MAN" --warnings=w -l "$1" >/dev/null; }
else
	render() { return 127; }
fi
for page in man/*.[0-9]; do
	if ! command -v groff >/dev/null && ! command -v "$MAN" >/dev/null; then
		skip "$page renders without warnings" "neither groff nor man is installed (Debian: groff-base)"
	elif render "$page" >"$tmp/render" 2>&1 && [ ! -s "$tmp/render" ]; then
		ok "$page renders without warnings"
	else
		not_ok "$page: the renderer warns" "$tmp/render"
	fi
done
finish
