# Sourced by the network tests: a web server on the host's loopback for
# guests to fetch from through 10.0.2.2.  Needs python3 and $tmp.

# free_port: a free TCP port on the host's loopback (bound, read, released).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_web_server DIR: serves DIR on the loopback at a free port; sets
# $port and $server (its pid, for the caller's cleanup to kill) and
# returns once it accepts connections (at most 5 s).
start_web_server() {
	port=$(free_port)
	(cd "$1" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
	server=$!
	local _
	for _ in $(seq 50); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null &&
			return 0
		sleep 0.1
	done
}
