#!/bin/sh
# layers.sh - check the dependency direction of STYLE.md §4.2 (DESIGN.md §1):
# smtpd/ and pop3d/ never include each other; maildir/ uses only common/log.h,
# common/limits.h and common/dot.h; common/ (the library) includes no folder above it.
set -u
cd "$(dirname "$0")/../.." || exit 1
status=0
fail() { echo "layers: $1"; status=1; }

hits=$(grep -lE '#include "smtpd/' pop3d/*.[ch] 2>/dev/null) && fail "pop3d includes smtpd: $hits"
hits=$(grep -lE '#include "pop3d/' smtpd/*.[ch] 2>/dev/null) && fail "smtpd includes pop3d: $hits"
hits=$(grep -nE '#include "(smtpd|pop3d|maildir|tests)/' common/*.[ch] 2>/dev/null) &&
        fail "common/ includes a higher layer: $hits"
hits=$(grep -nE '#include "' maildir/*.[ch] 2>/dev/null |
        grep -vE '"(maildir/maildir\.h|common/log\.h|common/limits\.h|common/dot\.h)"') &&
        fail "maildir/ includes more than common/log.h, limits.h, dot.h: $hits"
hits=$(grep -nE '#include "tests/' smtpd/*.[ch] pop3d/*.[ch] maildir/*.[ch] 2>/dev/null) &&
        fail "production code includes tests/: $hits"
[ $status -eq 0 ] && echo "layers: dependency direction ok"
exit $status
