#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the store/sqlstore tests and exports
# TRUSTGATE_TEST_POSTGRES_DSN, which turns the PostgreSQL conformance tests on.
#
# Meant to be sourced, not run:
#
#	source .ci/postgres.sh      # starts the server, exports the DSN
#	trap 'tg_pg_stop' EXIT      # or call tg_pg_stop from your own EXIT trap
#
# Sourcing it also adds tg_pg_stop in front of whatever EXIT trap is set at
# that moment, so nothing is clobbered; a caller that sets its own EXIT trap
# afterwards replaces that one and must call tg_pg_stop itself (it is
# idempotent, so calling it twice is harmless).
#
# What it does:
#   - If TRUSTGATE_TEST_POSTGRES_DSN is already set, it uses that server and
#     starts nothing.
#   - If no initdb is installed, it installs the postgresql package with apt-get
#     when running as root; otherwise it says so and leaves the DSN unset (the
#     PostgreSQL tests then skip).
#   - It creates a cluster in a fresh mktemp -d directory (trust
#     authentication, superuser "postgres", fsync off: the data is thrown away),
#     starts it on 127.0.0.1 on the first free port from 55432 with its unix
#     socket in that directory, waits for pg_isready (up to 30 s), creates the
#     database trustgate_test and exports
#     TRUSTGATE_TEST_POSTGRES_DSN=postgres://postgres@127.0.0.1:PORT/trustgate_test?sslmode=disable
#   - tg_pg_stop stops the server (immediate shutdown) and removes the
#     directory.
#
# initdb and postgres refuse to run as root: as root they run as the postgres
# user (runuser); as any other user they run as that user. Every run uses a new
# directory and a free port, so a server left over from an earlier run does not
# get in the way.
set -euo pipefail

TG_PG_DIR=${TG_PG_DIR:-}
TG_PG_BIN=${TG_PG_BIN:-}
TG_PG_PORT=${TG_PG_PORT:-}

# tg_pg_as runs a command as the user that owns the cluster.
tg_pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# tg_pg_port_busy reports whether something listens on 127.0.0.1:$1.
tg_pg_port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# tg_pg_find_bin sets TG_PG_BIN to the newest installed PostgreSQL bin dir.
tg_pg_find_bin() {
	local d
	TG_PG_BIN=""
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
		if [ -x "$d/initdb" ]; then
			TG_PG_BIN="$d"
		fi
	done
	[ -n "$TG_PG_BIN" ]
}

# tg_pg_stop stops the server tg_pg_start started and removes its directory.
# It is idempotent.
tg_pg_stop() {
	if [ -n "${TG_PG_DIR:-}" ] && [ -d "$TG_PG_DIR" ]; then
		if [ -f "$TG_PG_DIR/data/postmaster.pid" ]; then
			tg_pg_as "$TG_PG_BIN/pg_ctl" -D "$TG_PG_DIR/data" -m immediate -t 10 stop >/dev/null 2>&1 || {
				local pid
				pid=$(head -n 1 "$TG_PG_DIR/data/postmaster.pid" 2>/dev/null || true)
				if [ -n "$pid" ]; then
					kill -9 "$pid" 2>/dev/null || true
				fi
			}
		fi
		rm -rf "$TG_PG_DIR"
	fi
	TG_PG_DIR=""
}

# tg_pg_start does the work described at the top of this file.
tg_pg_start() {
	if [ -n "${TRUSTGATE_TEST_POSTGRES_DSN:-}" ]; then
		echo "postgres.sh: using the server in TRUSTGATE_TEST_POSTGRES_DSN"
		return 0
	fi
	if ! tg_pg_find_bin; then
		if [ "$(id -u)" -ne 0 ]; then
			echo "postgres.sh: PostgreSQL is not installed and this is not root: the PostgreSQL tests will skip" >&2
			return 0
		fi
		echo "postgres.sh: installing PostgreSQL"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
		tg_pg_find_bin
	fi
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		echo "postgres.sh: no postgres user to run the server as: the PostgreSQL tests will skip" >&2
		return 0
	fi

	TG_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/trustgate-pg.XXXXXX")
	chmod 0755 "$TG_PG_DIR"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$TG_PG_DIR"
	fi
	tg_pg_as "$TG_PG_BIN/initdb" -D "$TG_PG_DIR/data" -A trust -U postgres --no-sync -E UTF8 --locale=C \
		>"$TG_PG_DIR/initdb.log" 2>&1 || {
		cat "$TG_PG_DIR/initdb.log" >&2
		return 1
	}

	local port=55432 tries=0 up log
	while [ "$tries" -lt 20 ]; do
		while tg_pg_port_busy "$port"; do
			port=$((port + 1))
		done
		log="$TG_PG_DIR/server-$port.log" # one per attempt: an old failure must not be read as new
		tg_pg_as touch "$log"
		tg_pg_as "$TG_PG_BIN/pg_ctl" -D "$TG_PG_DIR/data" -l "$log" -W \
			-o "-h 127.0.0.1 -p $port -k $TG_PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
			start >/dev/null
		up=""
		for _ in $(seq 1 300); do
			# Through the socket in our directory: only our server answers there.
			if "$TG_PG_BIN/pg_isready" -q -h "$TG_PG_DIR" -p "$port" -U postgres -t 1 2>/dev/null; then
				up=yes
				break
			fi
			if [ ! -f "$TG_PG_DIR/data/postmaster.pid" ] && grep -q "could not bind\|could not create listen socket" "$log" 2>/dev/null; then
				break # lost a race for the port: try the next one
			fi
			sleep 0.1
		done
		if [ -n "$up" ]; then
			break
		fi
		tg_pg_as "$TG_PG_BIN/pg_ctl" -D "$TG_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
		port=$((port + 1))
		tries=$((tries + 1))
	done
	if [ -z "$up" ]; then
		echo "postgres.sh: the server did not start; its log:" >&2
		cat "$log" >&2 || true
		tg_pg_stop
		return 1
	fi
	TG_PG_PORT=$port
	"$TG_PG_BIN/createdb" -h "$TG_PG_DIR" -p "$port" -U postgres trustgate_test
	export TRUSTGATE_TEST_POSTGRES_DSN="postgres://postgres@127.0.0.1:$port/trustgate_test?sslmode=disable"
	echo "postgres.sh: PostgreSQL $("$TG_PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $TG_PG_DIR)"
}

# Add tg_pg_stop to the EXIT trap in force, keeping what it already does.
tg_pg_add_exit_trap() {
	local prev=""
	if [ -n "$(trap -p EXIT)" ]; then
		eval "set -- $(trap -p EXIT)" # trap -- 'command' EXIT
		prev=$3
	fi
	case "$prev" in
	*tg_pg_stop*) ;; # already there (sourced twice)
	"") trap 'tg_pg_stop' EXIT ;;
	*) trap "tg_pg_stop; $prev" EXIT ;;
	esac
}
# Before starting, so that a failed start cleans up too.
tg_pg_add_exit_trap
tg_pg_start
