#!/bin/sh
# run.sh - `make run`: both daemons in the foreground on the embedded default.
#
# Called from the repository root as `sh tests/tools/run.sh BUILD_DIR`.
# Creates var/ (ignored by git) with a mail root, a demo user and an aliases
# file, then starts smtpd and pop3d with the protocol transcript (--trace)
# on this terminal. No config file is needed: the compiled-in defaults of
# common/config.c listen on 127.0.0.1/::1 and keep everything under var/.
# Ctrl-C (or SIGTERM) stops both; when either daemon exits, the other is
# stopped too.
set -u

build=${1:-build}
# build/<name>, or build/bin/<name> when the programs live apart from the
# object folders.
program() {
        if [ -f "$build/bin/$1" ] && [ -x "$build/bin/$1" ]; then
                echo "$build/bin/$1"
        else
                echo "$build/$1"
        fi
}
smtpd=$(program smtpd)
pop3d=$(program pop3d)
mailuser=$(program mailuser)
for p in "$smtpd" "$pop3d" "$mailuser"; do
        if [ ! -f "$p" ] || [ ! -x "$p" ]; then
                echo "run.sh: $p is missing; run make first" >&2
                exit 1
        fi
done

mkdir -p var/mail || exit 1
chmod 700 var/mail

# The demo user is stored {PLAIN} (not {CRYPT}) on purpose: APOP and
# CRAM-MD5 need the shared secret itself, and the labs try both.
if [ ! -f var/users ]; then
        "$mailuser" -u var/users -m var/mail -s plain -p student student || exit 1
        echo "run.sh: created demo user student (password student, stored {PLAIN}" \
             "so APOP and CRAM-MD5 work)"
fi
if [ ! -f var/aliases ]; then
        # RFC 5321 §4.5.1: postmaster must exist.
        printf 'postmaster: student\n' > var/aliases || exit 1
fi

# Started as root, the daemons drop privileges to run_user (nobody) after
# binding: give var/ to that user so they can still read the users file and
# write the Maildirs. The ports stay the unprivileged defaults.
if [ "$(id -u)" = 0 ]; then
        chown -R nobody var || exit 1
fi

smtpd_pid=""
pop3d_pid=""

stop() {
        trap - INT TERM
        for pid in $smtpd_pid $pop3d_pid; do
                kill -TERM "$pid" 2>/dev/null
        done
        for pid in $smtpd_pid $pop3d_pid; do
                wait "$pid" 2>/dev/null
        done
        exit 0
}
trap stop INT TERM

"$smtpd" -f --trace &
smtpd_pid=$!
"$pop3d" -f --trace &
pop3d_pid=$!

smtp_port=2525 submission_port=2587 pop3_port=1100
cat <<EOF
------------------------------------------------------------------------
  smtpd (pid $smtpd_pid): SMTP on 127.0.0.1 and ::1 port $smtp_port, submission $submission_port
  pop3d (pid $pop3d_pid): POP3 on 127.0.0.1 and ::1 port $pop3_port
  demo user: student / student   (mail in var/mail/student)
  try:       nc -C localhost $smtp_port      nc -C localhost $pop3_port
  Ctrl-C stops both.
------------------------------------------------------------------------
EOF

# POSIX sh has no "wait for any child": look once a second. A signal runs
# the trap as soon as sleep returns.
while kill -0 "$smtpd_pid" 2>/dev/null && kill -0 "$pop3d_pid" 2>/dev/null; do
        sleep 1
done
echo "run.sh: a daemon exited; stopping the other" >&2
stop
