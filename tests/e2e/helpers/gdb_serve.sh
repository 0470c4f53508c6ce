# Shared by the gdb tests.  gdb_serve REC NAME [STDIN]: `encore replay REC
# --gdb 127.0.0.1:0` in the background (stdin from STDIN, else
# /dev/null), output in $tmp/NAME.out and .err; its pid into $server and
# its address into $port.  Returns 1 if it never said where it listens.
# Needs ENCORE, tmp.
gdb_serve() {
	"$ENCORE" replay "$1" --gdb 127.0.0.1:0 <"${3:-/dev/null}" >"$tmp/$2.out" \
		2>"$tmp/$2.err" &
	server=$!
	port=
	for _ in $(seq 200); do
		port=$(grep -o '127\.0\.0\.1:[0-9]*' "$tmp/$2.err" | head -1)
		[ -n "$port" ] && return 0
		sleep 0.05
	done
	return 1
}

# checks NAME [N]: each CHECK line of $tmp/NAME.gdb (a gdb session that
# ran timetravel.py's checks) is a result; fewer than N (default 1) means
# a check stopped short (a Python error in NAME.gdb).  Needs ok, not_ok.
checks() {
	local line n=0 want=${2:-1}
	while read -r line; do
		n=$((n + 1))
		case "$line" in
		"CHECK OK "*) ok "${line#CHECK OK }" ;;
		*) not_ok "${line#CHECK FAIL }" "$tmp/$1.gdb" ;;
		esac
	done < <(grep '^CHECK' "$tmp/$1.gdb")
	if [ "$n" = 0 ]; then
		not_ok "$1: no checks ran" "$tmp/$1.gdb"
	elif [ "$n" -lt "$want" ]; then
		not_ok "$1: $n of $want checks ran" "$tmp/$1.gdb"
	fi
}
