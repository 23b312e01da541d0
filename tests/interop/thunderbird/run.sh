#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run.sh - Thunderbird end to end against build/smtpd and build/pop3d.
#
# Installs Debian's thunderbird when it is missing (as root; otherwise
# prints the command), starts both daemons on free loopback ports from a
# generated configuration in a temporary directory (transcript on, users with
# {PLAIN} secrets so CRAM-MD5 and APOP work), runs tb_scenarios.py, stops the
# daemons by PID (a daemon that does not stop cleanly, or a sanitizer report
# in its log, is one more failure) and ends with "thunderbird: N passed, M
# failed". Exits non-zero on any failure. The run is bounded to 9 minutes.
#
# Environment: BUILD (default <repo>/build), THUNDERBIRD (the program),
# TB_ONLY="1 4" (run some scenarios only), TB_KEEP=1 (keep the temporary
# directory for a look afterwards), TB_EXTRA_CONFIG="key = value" (lines
# appended to the daemons' configuration, to try a setting).

set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
build=${BUILD:-$repo/build}
thunderbird=${THUNDERBIRD:-thunderbird}
scenarios=5

finish() {
        # finish PASSED FAILED: the closing line every caller greps for.
        echo "thunderbird: $1 passed, $2 failed"
        [ "$2" -eq 0 ]
        exit $?
}

if ! command -v "$thunderbird" >/dev/null 2>&1; then
        if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
                echo "run.sh: installing thunderbird with apt-get"
                export DEBIAN_FRONTEND=noninteractive
                apt-get install -y -q thunderbird >/dev/null ||
                        { apt-get update -q >/dev/null &&
                          apt-get install -y -q thunderbird >/dev/null; }
        fi
        if ! command -v "$thunderbird" >/dev/null 2>&1; then
                echo "run.sh: thunderbird is not installed; as root run:"
                echo "    apt-get update && apt-get install -y thunderbird"
                finish 0 $scenarios
        fi
fi
# build/<name>, or build/bin/<name> when the programs live apart from the
# object folders (as in tests/tools/run.sh).
program() {
        if [ -f "$build/bin/$1" ] && [ -x "$build/bin/$1" ]; then
                echo "$build/bin/$1"
        else
                echo "$build/$1"
        fi
}
for daemon in smtpd pop3d; do
        if [ ! -f "$(program $daemon)" ] || [ ! -x "$(program $daemon)" ]; then
                echo "run.sh: $(program $daemon) is missing; run make first"
                finish 0 $scenarios
        fi
done
command -v python3 >/dev/null 2>&1 || { echo "run.sh: python3 is needed"; finish 0 $scenarios; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tb-interop.XXXXXX") || finish 0 $scenarios
server=$tmp/server
mkdir -p "$server" "$tmp/thunderbird" "$tmp/home"
smtpd_pid=
pop3d_pid=

# stop_one NAME PID: SIGTERM, wait up to 15 s, then SIGKILL. Anything but a
# clean exit is noted in $tmp/stop-problems.
stop_one() {
        [ -n "$2" ] || return 0
        kill -TERM "$2" 2>/dev/null
        tries=0
        while kill -0 "$2" 2>/dev/null && [ $tries -lt 150 ]; do
                sleep 0.1
                tries=$((tries + 1))
        done
        if kill -0 "$2" 2>/dev/null; then
                kill -KILL "$2" 2>/dev/null
                echo "$1 did not stop within 15 s of SIGTERM" >> "$tmp/stop-problems"
        fi
        wait "$2" 2>/dev/null
        status=$?
        if [ $status -ne 0 ]; then
                echo "$1 exited with status $status after SIGTERM" >> "$tmp/stop-problems"
        fi
}

stop_daemons() {
        stop_one smtpd "$smtpd_pid"
        stop_one pop3d "$pop3d_pid"
        smtpd_pid=
        pop3d_pid=
}

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
        stop_daemons
        if [ "${TB_KEEP:-0}" = 1 ]; then
                echo "run.sh: kept $tmp"
        else
                rm -rf "$tmp"
        fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The users of tb_scenarios.py, one maildrop per scenario.
: > "$server/users"
for user in alice bob carol dave erin frank; do
        echo "$user:{PLAIN}$user-secret" >> "$server/users"
        mkdir -p "$server/mail/$user/new" "$server/mail/$user/cur" "$server/mail/$user/tmp"
done
echo "postmaster: alice" > "$server/aliases"
cat > "$server/daemons.conf" <<EOF
hostname = localhost
domains = localhost example.test
smtp_listen = 127.0.0.1:0
submission_listen = 127.0.0.1:0
pop3_listen = 127.0.0.1:0
mail_root = $server/mail
users_file = $server/users
aliases_file = $server/aliases
trace = yes
EOF
if [ -n "${TB_EXTRA_CONFIG:-}" ]; then
        printf '%s\n' "$TB_EXTRA_CONFIG" >> "$server/daemons.conf"
fi
if [ "$(id -u)" -eq 0 ]; then
        # Started as root, the daemons drop to run_user after binding: the
        # server's files become theirs, the rest of $tmp stays root's.
        echo "run_user = nobody" >> "$server/daemons.conf"
        chmod 711 "$tmp"
        chmod 700 "$server/mail"/*
        chown -R nobody "$server"
fi

# port DAEMON LABEL: the port from "listening on 127.0.0.1:PORT (LABEL)".
port() {
        sed -n "s/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\) ($2).*/\1/p" "$server/$1.log" |
                head -n 1
}

start() {
        : > "$server/$1.log"    # exists before the background shell opens it
        "$(program "$1")" -f -c "$server/daemons.conf" 2> "$server/$1.log" &
        pid=$!
        tries=0
        while [ $tries -lt 100 ]; do
                if [ -n "$(port "$1" "$2")" ]; then
                        return 0
                fi
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
                tries=$((tries + 1))
        done
        echo "run.sh: $1 did not start; its log:"
        cat "$server/$1.log"
        return 1
}

if start smtpd submission; then smtpd_pid=$pid; else smtpd_pid=$pid; finish 0 $scenarios; fi
if start pop3d pop3; then pop3d_pid=$pid; else pop3d_pid=$pid; finish 0 $scenarios; fi
smtp_port=$(port smtpd smtp)
submission_port=$(port smtpd submission)
pop3_port=$(port pop3d pop3)
echo "run.sh: smtpd on $smtp_port (smtp) and $submission_port (submission), pop3d on $pop3_port"

only=
for number in ${TB_ONLY:-}; do
        only="$only --only $number"
done

# Thunderbird writes nothing into the real home directory. The report is
# shown as it comes.
# shellcheck disable=SC2086  # $only is a list of options on purpose
HOME=$tmp/home timeout 540 python3 -u "$here/tb_scenarios.py" \
        --smtp-port "$smtp_port" --submission-port "$submission_port" --pop3-port "$pop3_port" \
        --mail-root "$server/mail" --users "$server/users" --workdir "$tmp/thunderbird" \
        --log "$server/smtpd.log" --log "$server/pop3d.log" \
        --pid "$smtpd_pid" --pid "$pop3d_pid" $only 2>&1 | tee "$tmp/report"
passed=$(grep -c '^\[PASS\]' "$tmp/report")
failed=$(grep -c '^\[FAIL\]' "$tmp/report")
if ! grep -q '^scenarios: [0-9]* passed' "$tmp/report"; then
        echo "run.sh: tb_scenarios.py ended early"
        [ -n "${TB_ONLY:-}" ] || failed=$((scenarios - passed))
fi

# The daemons must stop cleanly, and a sanitizer build must have nothing to
# say at exit (leaks are reported then).
stop_daemons
sanitizer=$(grep -hE 'AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:' \
        "$server/smtpd.log" "$server/pop3d.log")
if [ -s "$tmp/stop-problems" ] || [ -n "$sanitizer" ]; then
        echo "[FAIL] the daemons stopped cleanly"
        sed 's/^/    /' "$tmp/stop-problems" 2>/dev/null
        [ -z "$sanitizer" ] || printf '%s\n' "$sanitizer" | sed 's/^/    /'
        failed=$((failed + 1))
fi
finish "$passed" "$failed"
