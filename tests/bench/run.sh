#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run.sh - `make bench`: a benchmark, never a test. It measures and prints;
# nothing here passes or fails on time.
#
# Command lines:
#   make bench                          the full run (5-8 minutes on 2 cores)
#   BENCH_QUICK=1 make bench            a smoke run with small counts (under a minute)
#   sh tests/bench/run.sh build         the same without make (after `make` and
#                                       `make build/tests/mailbench`)
# Environment (defaults in brackets):
#   BENCH_N [5000]       messages of BENCH_SIZE in the disk loop and the SMTP runs
#   BENCH_SIZE [2048]    octets per message on the wire
#   BENCH_BIG_N [200]    messages of 1 MiB in the big-message runs
#   BENCH_IDLE [10000]   idle SMTP sessions held at once
#   BENCH_IDLE_WINDOW [100]  of those, how many may wait for their greeting at
#                        a time (the arrival rate of the idle test)
#   BENCH_POP_N [10000]  messages in the big POP3 maildrop
#   BENCH_USERS [50] BENCH_PER_USER [100]   the concurrent POP3 users
#   BENCH_TIMEOUT [300]  cap in seconds for each scenario
#   BENCH_ROUNDS [3]     runs of each smtpd scenario, each between two bare
#                        loops; the table shows the median (1 when QUICK)
#   BENCH_DIR [$TMPDIR or /tmp]  where the temporary tree goes: the disk loop
#                        and the daemons write to the same file system
#
# What it does: makes a temporary tree with a config (127.0.0.1 port 0,
# trace = no, max_connections = 11000), a users file ({PLAIN} bench users)
# and Maildirs; measures the bare delivery loop on 1 and 8 threads; starts
# smtpd, reads its port from "listening on 127.0.0.1:PORT (smtp)" in its log,
# runs each delivery scenario BENCH_ROUNDS times between bare loops (each
# scenario into a Maildir of its own) and the idle sessions; stops it by
# PID; fills the POP3 maildrops, starts pop3d the same way and runs the POP3
# scenarios; stops it; prints the table; removes the
# tree. Nothing is deleted before that last step (see disk() below).
#
# Expected shape of the output (figures vary by machine; columns abridged):
#   mailbench: 2 CPUs, ext2/ext3, /tmp/mailbench.Ab12Cd, N=5000 SIZE=2048 ...
#   scenario                                   msgs   size conc    seconds     rate ratio
#   disk: bare loop write,fsync,rename,fsync   5000   2048 1 thr    43.762  114.3/s -
#   disk: bare loop write,fsync,rename,fsync   5000   2048 8 thr     3.834 1304.0/s -
#   smtpd: one connection per message          5000   2048 10 conn   6.192  807.5/s 0.62 of 1302/s (0.55-0.66)
#   ...
#   pop3d: login+STAT+UIDL+LIST, first         10000  2048 1 sess   0.1494 149.4 ms -
#   smtpd: 10000 idle sessions held (...): greeting latency p50, p99, max, count over 1 s
#   smtpd: RSS with them, VmHWM, threads, KiB per session
# followed by a "target" column with the figures issues 2 and 3 ask for.
set -u

build=${1:-build}
program() {
        if [ -x "$build/bin/$1" ] && [ -f "$build/bin/$1" ]; then
                echo "$build/bin/$1"
        else
                echo "$build/$1"
        fi
}
smtpd=$(program smtpd)
pop3d=$(program pop3d)
bench=$build/tests/mailbench
for p in "$smtpd" "$pop3d" "$bench"; do
        if [ ! -f "$p" ] || [ ! -x "$p" ]; then
                echo "run.sh: $p is missing; run make first" >&2
                exit 1
        fi
done

N=${BENCH_N:-5000}
SIZE=${BENCH_SIZE:-2048}
BIG_N=${BENCH_BIG_N:-200}
BIG_SIZE=1048576
IDLE=${BENCH_IDLE:-10000}
WINDOW=${BENCH_IDLE_WINDOW:-100}
POP_N=${BENCH_POP_N:-10000}
USERS=${BENCH_USERS:-50}
PER_USER=${BENCH_PER_USER:-100}
CAP=${BENCH_TIMEOUT:-300}
ROUNDS=${BENCH_ROUNDS:-3}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
        N=${BENCH_N:-300}
        BIG_N=${BENCH_BIG_N:-10}
        IDLE=${BENCH_IDLE:-500}
        POP_N=${BENCH_POP_N:-1000}
        USERS=${BENCH_USERS:-10}
        PER_USER=${BENCH_PER_USER:-20}
        CAP=${BENCH_TIMEOUT:-60}
        ROUNDS=${BENCH_ROUNDS:-1}
fi

base=${BENCH_DIR:-${TMPDIR:-/tmp}}
dir=$(mktemp -d "$base/mailbench.XXXXXX") || exit 1
smtpd_pid=
pop3d_pid=
results=$dir/results

stop_daemon() {
        # $1: the PID we started. Only that process is signalled.
        [ -n "$1" ] || return 0
        kill -TERM "$1" 2>/dev/null
        i=0
        while kill -0 "$1" 2>/dev/null && [ $i -lt 150 ]; do
                sleep 0.1 2>/dev/null || sleep 1
                i=$((i + 1))
        done
        kill -KILL "$1" 2>/dev/null
        wait "$1" 2>/dev/null
        return 0
}

cleanup() {
        stop_daemon "$smtpd_pid"
        stop_daemon "$pop3d_pid"
        smtpd_pid=
        pop3d_pid=
        case $dir in
        */mailbench.*) rm -rf "$dir" ;;
        esac
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Descriptors for 10,000 sessions on each side (root may raise the hard
# limit; others get what the hard limit allows, and the idle run says so).
# `ulimit -n` is not POSIX, but dash, bash and busybox sh have it; mailbench
# and the daemons also raise their own soft limits to the hard one.
# shellcheck disable=SC3045
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null

# Run mailbench with a time cap of its own and a little more from outside.
mb() {
        if command -v timeout >/dev/null 2>&1; then
                timeout $((CAP + 60)) "$bench" "$@" --timeout "$CAP"
        else
                "$bench" "$@" --timeout "$CAP"
        fi
}

# field NAME LINE: the value of NAME=... in a result line.
field() {
        echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

ratio() {
        awk -v a="$1" -v b="$2" \
                'BEGIN { if (b > 0 && a != "") printf "%.2f", a / b; else printf "-" }'
}

row() {
        # scenario msgs size conc seconds rate ratio target
        printf '%-42s %5s %7s %-7s %8s %10s %-27s %s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" \
                >> "$results"
        printf '  %s: %s %s\n' "$1" "$6" "$7" >&2
}

progress() {
        printf 'mailbench: %s\n' "$*" >&2
}

fstype=$(stat -f -c %T "$dir" 2>/dev/null || echo unknown)
cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
: > "$results"

# ---- 1. the disk's own limit ----------------------------------------------
# Nothing is deleted until the run ends. On ext4 without a journal (this
# kind of VM), creating a file skips every inode freed in the last minutes
# (ext4's recently_deleted()), so a scenario that ran after a big delete
# paid for it in every open(O_CREAT), and the ratios compared unequal
# conditions. Every scenario gets a directory of its own instead.
# Each scenario also starts with the previous one's writes on disk: after
# 200 MiB of big messages the kernel's write-back would otherwise still be
# running and slow the next scenario down.
settle() {
        sync
}
disk_run=0
disk() {
        # threads count size [--library]
        disk_run=$((disk_run + 1))
        settle
        # ${4:-} unquoted on purpose: no word at all when there is no flag.
        # shellcheck disable=SC2086
        mb disk --dir "$dir/disk$disk_run" --threads "$1" --count "$2" --size "$3" ${4:-}
}
progress "disk loop (1 and 8 threads, $N x $SIZE and $BIG_N x $BIG_SIZE)"
d1=$(disk 1 "$N" "$SIZE")
d8=$(disk 8 "$N" "$SIZE")
l1=$(disk 1 "$N" "$SIZE" --library)
l8=$(disk 8 "$N" "$SIZE" --library)
b1=$(disk 1 "$BIG_N" "$BIG_SIZE")
b8=$(disk 8 "$BIG_N" "$BIG_SIZE")
bare="disk: bare loop write,fsync,rename,fsync"
library="disk: libmaildir (link, fsync new/)"
d1_rate=$(field rate "$d1")
d8_rate=$(field rate "$d8")
b1_rate=$(field rate "$b1")
b8_rate=$(field rate "$b8")
row "$bare" "$N" "$SIZE" "1 thr" "$(field seconds "$d1")" "$d1_rate/s" - -
row "$bare" "$N" "$SIZE" "8 thr" "$(field seconds "$d8")" "$d8_rate/s" - -
row "$library" "$N" "$SIZE" "1 thr" "$(field seconds "$l1")" \
        "$(field rate "$l1")/s" "$(ratio "$(field rate "$l1")" "$d1_rate")" -
row "$library" "$N" "$SIZE" "8 thr" "$(field seconds "$l8")" \
        "$(field rate "$l8")/s" "$(ratio "$(field rate "$l8")" "$d8_rate")" -
row "$bare" "$BIG_N" "$BIG_SIZE" "1 thr" "$(field seconds "$b1")" "$b1_rate/s" - -
row "$bare" "$BIG_N" "$BIG_SIZE" "8 thr" "$(field seconds "$b8")" "$b8_rate/s" - -

# ---- the tree the daemons use -----------------------------------------------
mail=$dir/mail
mkdir -p "$mail" || exit 1
{
        echo "# bench users: {PLAIN}, so logins cost no crypt(3) and measure the server"
        echo "bench:{PLAIN}bench"
        echo "pop:{PLAIN}bench"
        for scenario in p1 p10 r1 r10 bigp bigr; do
                echo "$scenario:{PLAIN}bench"
        done
        i=1
        while [ $i -le "$USERS" ]; do
                echo "bu$i:{PLAIN}bench"
                i=$((i + 1))
        done
} > "$dir/users"
echo "postmaster: bench" > "$dir/aliases"
run_user=nobody
[ "$(id -u)" = 0 ] || run_user=$(id -un)
cat > "$dir/mail.conf" <<EOF
# written by tests/bench/run.sh
hostname = localhost
domains = localhost
smtp_listen = 127.0.0.1:0
submission_listen =
pop3_listen = 127.0.0.1:0
mail_root = $mail
users_file = $dir/users
aliases_file = $dir/aliases
trace = no
max_connections = 11000
command_timeout = 600
data_timeout = 600
pop3_timeout = 600
run_user = $run_user
EOF
for user in bench p1 p10 r1 r10 bigp bigr; do
        mkdir -p "$mail/$user/new" "$mail/$user/cur" "$mail/$user/tmp" || exit 1
done
chmod -R 700 "$mail" || exit 1

# Started as root, the daemons drop to nobody after binding: hand them the tree.
give_tree() {
        [ "$(id -u)" = 0 ] && chown -R "$run_user" "$dir"
        return 0
}

# start_daemon PROGRAM LABEL: sets started_pid and started_port.
start_daemon() {
        log=$dir/$2.log
        "$1" -f -c "$dir/mail.conf" > "$log" 2>&1 &
        started_pid=$!
        started_port=
        i=0
        while [ -z "$started_port" ] && [ $i -lt 100 ]; do
                pattern="s/.*listening on 127\.0\.0\.1:\([0-9]*\) ($2).*/\1/p"
                started_port=$(sed -n "$pattern" "$log" | head -n 1)
                [ -n "$started_port" ] && break
                kill -0 "$started_pid" 2>/dev/null || break
                sleep 0.1 2>/dev/null || sleep 1
                i=$((i + 1))
        done
        if [ -z "$started_port" ]; then
                echo "run.sh: $2 did not start; its log:" >&2
                cat "$log" >&2
                exit 1
        fi
}

# ---- 2. smtpd delivery ------------------------------------------------------
give_tree
start_daemon "$smtpd" smtp
smtpd_pid=$started_pid
smtp_port=$started_port
progress "smtpd pid $smtpd_pid on port $smtp_port"

smtp_run() {
        # user mode conns count size: each scenario delivers to a Maildir of
        # its own, so that its files can be counted and nothing is deleted.
        settle
        mb smtp --port "$smtp_port" --rcpt "$1@localhost" --maildir "$mail/$1/new" \
                --mode "$2" --threads "$3" --count "$4" --size "$5"
}
# Each smtpd scenario runs BENCH_ROUNDS times, between bare loops at the
# matching concurrency on the same file system: B S B S B S B. How fast the
# disk is depends on what it did in the last minutes (write-back, ext4's
# recently deleted inodes, the host under a VM), so one baseline taken at
# the start of the run can be far off by the time a scenario runs, and one
# pair can be off too. Each smtpd run is compared with the mean of the bare
# runs just before and just after it; the row shows the median round and
# the range of the ratios over all rounds.
# paired LABEL USER MODE CONNS COUNT SIZE BARE_THREADS TARGET
paired() {
        label=$1 user=$2 mode=$3 conns=$4 count=$5 size=$6 threads=$7 target=$8
        before=$(field rate "$(disk "$threads" "$count" "$size")")
        lines=
        round=0
        while [ $round -lt "$ROUNDS" ]; do
                line=$(smtp_run "$user" "$mode" "$conns" "$count" "$size")
                after=$(field rate "$(disk "$threads" "$count" "$size")")
                base=$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.1f", (a + b) / 2 }')
                # One line per round: ratio, rate, baseline, seconds, failed.
                lines="$lines$(ratio "$(field rate "$line")" "$base") $(field rate "$line")"
                lines="$lines $base $(field seconds "$line") $(field failed "$line")
"
                before=$after
                round=$((round + 1))
        done
        # The median round by ratio (the lower middle one when even), and
        # the lowest and highest ratio.
        median=$(printf '%s' "$lines" | sort -n | sed -n "$(((ROUNDS + 1) / 2))p")
        range=$(printf '%s' "$lines" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 }
                END { if (NR > 1) printf " (%s-%s)", lo, hi }')
        failed=$(printf '%s' "$lines" | awk '{ f += $5 } END { print f + 0 }')
        # shellcheck disable=SC2086
        set -- $median
        r="$1 of $(printf '%.0f' "$3")/s$range"
        [ "$failed" = 0 ] || label="$label ($failed failed)"
        row "$label" "$count" "$size" "$conns conn" "$4" "$2/s" "$r" "$target"
}
progress "smtpd delivery: $ROUNDS round(s) per scenario, each between two bare loops"
paired "smtpd: one connection per message" p1 per-message 1 "$N" "$SIZE" 1 ">= 0.6 of 1 thr"
paired "smtpd: one connection per message" p10 per-message 10 "$N" "$SIZE" 8 ">= 0.8 of 8 thr"
paired "smtpd: reused connections" r1 reuse 1 "$N" "$SIZE" 1 ">= 0.6 of 1 thr"
paired "smtpd: reused connections" r10 reuse 10 "$N" "$SIZE" 8 ">= 0.8 of 8 thr"
paired "smtpd: one connection per message" bigp per-message 10 "$BIG_N" "$BIG_SIZE" 8 \
        ">= 0.8 of 8 thr"
paired "smtpd: reused connections" bigr reuse 10 "$BIG_N" "$BIG_SIZE" 8 ">= 0.8 of 8 thr"

# ---- 3. idle sessions ----------------------------------------------------------
progress "smtpd: $IDLE idle sessions, $WINDOW connecting at a time"
idle=$(mb idle --port "$smtp_port" --sessions "$IDLE" --pid "$smtpd_pid" --window "$WINDOW")
idle_limit_note=$(grep -i 'limit' "$dir/smtp.log" | head -n 3)
stop_daemon "$smtpd_pid"
smtpd_pid=

# ---- 4. pop3d ------------------------------------------------------------------
progress "pop3d: filling $POP_N + $USERS x $PER_USER messages"
"$bench" fill --dir "$mail" --user pop --count "$POP_N" --size "$SIZE" >/dev/null || exit 1
"$bench" fill --dir "$mail" --user bu --users "$USERS" --count "$PER_USER" --size "$SIZE" \
        >/dev/null || exit 1
give_tree
start_daemon "$pop3d" pop3
pop3d_pid=$started_pid
pop3_port=$started_port
progress "pop3d pid $pop3d_pid on port $pop3_port"
login1=$(mb pop3 --port "$pop3_port" --user pop --password bench --mode login)
login2=$(mb pop3 --port "$pop3_port" --user pop --password bench --mode login)
retr1=$(mb pop3 --port "$pop3_port" --user pop --password bench --mode retr --window 1)
retr16=$(mb pop3 --port "$pop3_port" --user pop --password bench --mode retr --window 16)
multi=$(mb pop3 --port "$pop3_port" --user bu --users "$USERS" --password bench --mode multi)
stop_daemon "$pop3d_pid"
pop3d_pid=

row "pop3d: login+STAT+UIDL+LIST, first" "$(field messages "$login1")" "$SIZE" \
        "1 sess" "$(field seconds "$login1")" "$(field ms "$login1") ms" - "< 128 ms"
row "pop3d: login+STAT+UIDL+LIST, second" "$(field messages "$login2")" "$SIZE" \
        "1 sess" "$(field seconds "$login2")" "$(field ms "$login2") ms" - "~ 74 ms"
row "pop3d: RETR all, one at a time" "$(field received "$retr1")" "$SIZE" "1 sess" \
        "$(field seconds "$retr1")" "$(field rate "$retr1")/s" - ">= 20000/s"
row "pop3d: RETR all, 16 pipelined" "$(field received "$retr16")" "$SIZE" "1 sess" \
        "$(field seconds "$retr16")" "$(field rate "$retr16")/s" - ">= 20000/s"
row "pop3d: $USERS users x $PER_USER msgs at once" "$(field received "$multi")" "$SIZE" \
        "$USERS sess" "$(field seconds "$multi")" "$(field rate "$multi")/s" - "< 1 s"

# ---- the table -------------------------------------------------------------------
echo
echo "mailbench: $cpus CPUs, $fstype, $dir, N=$N SIZE=$SIZE BIG_N=$BIG_N IDLE=$IDLE POP_N=$POP_N"
printf '%-42s %5s %7s %-7s %8s %10s %-27s %s\n' scenario msgs size conc seconds rate ratio target
cat "$results"
if [ -n "$idle" ]; then
        awk -v line="$idle" -v window="$WINDOW" 'BEGIN {
                n = split(line, kv, " ")
                for (i = 1; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
                printf "smtpd: %s idle sessions held (%s connecting at a time, %.0f/s): " \
                       "%s greeted, %s failed, %s refused; greeting latency p50 %s ms, " \
                       "p99 %s ms, max %s ms, %s over 1 s (target: each within 1 s)\n",
                       v["sessions"], window,
                       (v["establish_seconds"] > 0 ? v["sessions"] / v["establish_seconds"] : 0),
                       v["greeted"], v["failed"], v["refused"], v["p50_ms"], v["p99_ms"],
                       v["max_ms"], v["over_1s"]
                printf "smtpd: RSS %.1f MiB with them (%.1f MiB before, HWM %.1f MiB, " \
                       "%s threads, %.1f KiB per session; target < 500 MiB); " \
                       "NOOP answered on %s of %s probed; all opened in %s s, released in %s s\n",
                       v["rss_kb"] / 1024, v["rss_before_kb"] / 1024, v["hwm_kb"] / 1024,
                       v["threads"], v["per_session_kb"], v["noop_ok"], v["noop_probed"],
                       v["establish_seconds"], v["release_seconds"]
        }'
else
        echo "smtpd: idle sessions: no result (see the messages above)"
fi
[ -z "$idle_limit_note" ] || printf 'smtpd log: %s\n' "$idle_limit_note"
echo "ratios compare smtpd with the bare loops at the matching concurrency run just before and" \
     "just after it: the median of $ROUNDS round(s), (lowest-highest); targets are those of" \
     "issues 2 and 3 (information, not a test)."
