# Shared by the gdb tests: gdb_serve REC NAME [STDIN]: `encore replay REC
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
