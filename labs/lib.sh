# lib.sh - shell helpers shared by the lab checks (source it: . labs/lib.sh).
#
# A check never uses the var/ of `make run`: lab_start makes a temporary root
# (demo user student/student stored {PLAIN}, postmaster alias, empty Maildir),
# writes a config listening on 127.0.0.1 port 0, starts build/smtpd and
# build/pop3d in the foreground with --trace, and reads the ports back from
# the daemons' log lines "listening on 127.0.0.1:PORT (smtp|submission|pop3)".
# The work is done by labs/labtool.py, which the Python checks import.
#
#   lab_start [-o key=value]...  sets LAB_ROOT, LAB_SMTP_PORT, LAB_SUBMISSION_PORT,
#                                LAB_POP3_PORT, LAB_SMTPD_PID, LAB_POP3D_PID
#   lab_stop                     stops those two PIDs (SIGTERM) and removes LAB_ROOT
#   lab_chat PORT                sends stdin (LF becomes CRLF), prints the replies
#   lab_ok TEXT / lab_fail TEXT  one line of the check's report; lab_fail counts
#   lab_end NAME                 prints PASS/FAIL NAME and exits 0/1
#
# LAB_BUILD (default build) names the folder that holds the programs.
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE:-$0}")" && pwd)
LAB_REPO=$(dirname "$LAB_DIR")
LAB_FAILURES=0

lab_start() {
        local assignments
        assignments=$(python3 "$LAB_DIR/labtool.py" start "$@") || {
                eval "$assignments"
                return 1
        }
        eval "$assignments"
        trap lab_stop EXIT
}

lab_stop() {
        if [ -n "${LAB_ROOT:-}" ]; then
                python3 "$LAB_DIR/labtool.py" stop "$LAB_ROOT"
                LAB_ROOT=
        fi
}

lab_chat() {
        python3 "$LAB_DIR/labtool.py" chat 127.0.0.1 "$1"
}

lab_ok() {
        echo "  ok: $*"
}

lab_fail() {
        echo "  FAILED: $*"
        LAB_FAILURES=$((LAB_FAILURES + 1))
}

lab_end() {
        if [ "$LAB_FAILURES" -eq 0 ]; then
                echo "PASS $1"
                exit 0
        fi
        echo "FAIL $1: $LAB_FAILURES step(s) failed"
        exit 1
}
