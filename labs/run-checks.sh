#!/bin/sh
# run-checks.sh - run every lab's check (what `make check-labs` calls).
#
#   sh labs/run-checks.sh             all labs, in order
#   sh labs/run-checks.sh 03 07       only the labs whose folder starts with these numbers
#
# Each labs/NN-name/check starts its own server on a temporary root (never var/),
# plays the lab's README against it and prints PASS or FAIL with what it compared.
# A check that runs longer than LAB_TIMEOUT seconds (default 120) counts as failed.
# The last line is "labs: N passed, M failed"; the exit status is 1 when M > 0.
# LAB_BUILD names the folder with the programs (default build).
set -u
cd "$(dirname "$0")" || exit 1
timeout_seconds=${LAB_TIMEOUT:-120}
passed=0
failed=0
failed_names=""

# The reading order in labs/README.md must name files that exist.
missing=$(awk '/^```reading-order/ { on = 1; next } /^```/ { on = 0 } on && NF { print $1 }' \
        README.md | while read -r path; do [ -e "../$path" ] || echo "$path"; done)
unlisted=$(cd .. && ls common/*.c common/tools/*.c maildir/*.c smtpd/*.c pop3d/*.c 2>/dev/null |
        while read -r path; do
                grep -q "^$path " labs/README.md || echo "$path"
        done)
[ -z "$unlisted" ] || echo "note: not in the reading order of labs/README.md:" $unlisted
if [ -n "$missing" ]; then
        echo "FAIL reading order: labs/README.md names files that do not exist:" $missing
        failed=$((failed + 1))
        failed_names="$failed_names reading-order"
fi

# Every section of a core RFC that a lab cites must exist in that RFC's table of contents
# (tests/tools/rfc-sections/, the same tables the RFC index uses).
unknown=$(grep -ohE 'RFC (5321|1939|2449|1870|2920|3463|4954|5034) §([0-9]+|[A-Z])(\.[0-9]+)*' \
        [0-9][0-9]-*/README.md README.md | LC_ALL=C sort -u | while read -r _ rfc section; do
                section=${section#§}
                awk -F '\t' -v s="$section" '$1 == s { found = 1 } END { exit !found }' \
                        "../tests/tools/rfc-sections/$rfc.txt" || echo "RFC $rfc §$section"
        done)
if [ -n "$unknown" ]; then
        echo "FAIL citations: the labs cite sections that the RFCs do not have:" $unknown
        failed=$((failed + 1))
        failed_names="$failed_names citations"
fi

for dir in [0-9][0-9]-*/; do
        name=${dir%/}
        if [ $# -gt 0 ]; then
                wanted=no
                for prefix in "$@"; do
                        case "$name" in "$prefix"*) wanted=yes ;; esac
                done
                [ "$wanted" = yes ] || continue
        fi
        if [ ! -x "$name/check" ]; then
                echo "FAIL $name: no executable check"
                failed=$((failed + 1))
                failed_names="$failed_names $name"
                continue
        fi
        echo "== $name"
        start=$(date +%s)
        timeout --kill-after=10 "$timeout_seconds" "./$name/check"
        status=$?
        seconds=$(( $(date +%s) - start ))
        if [ $status -eq 0 ]; then
                passed=$((passed + 1))
                echo "   ($seconds s)"
        else
                [ $status -eq 124 ] && echo "FAIL $name: no result within $timeout_seconds s"
                failed=$((failed + 1))
                failed_names="$failed_names $name"
        fi
done

[ $failed -gt 0 ] && echo "failed:$failed_names"
echo "labs: $passed passed, $failed failed"
[ $failed -eq 0 ]
