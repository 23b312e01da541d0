#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# mime_check.py - parse a stored or fetched message with Python's email
# package and check that its MIME parts decode to what was sent.
#
#   mime_check.py MESSAGE ATTACHMENT [--smtplib]
#
# MESSAGE is a file as stored (LF) or fetched (CRLF). Every part whose
# filename is not "notes.txt" must decode to the bytes of ATTACHMENT; with
# --smtplib the message is the one smtp_send.py --mime built, and its 8-bit
# text part and notes.txt are checked too. Prints what it found; exit 1 on
# any difference.
import email
import email.policy
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtp_send import NOTES, TEXT  # noqa: E402


def main():
    with open(sys.argv[1], "rb") as f:
        msg = email.message_from_bytes(f.read(), policy=email.policy.default)
    with open(sys.argv[2], "rb") as f:
        attachment = f.read()
    built_by_smtplib = "--smtplib" in sys.argv[3:]
    failures = []
    found = 0
    for part in msg.iter_attachments():
        data = part.get_payload(decode=True)
        name = part.get_filename()
        print("attachment", name, part.get_content_type(), len(data), "octets")
        if name == "notes.txt":
            if data != NOTES.encode("utf-8"):
                failures.append("notes.txt differs: %r" % data[:80])
            continue
        found += 1
        if data != attachment:
            failures.append("attachment %s differs (%d octets, expected %d)"
                            % (name, len(data), len(attachment)))
    if found == 0:
        failures.append("no attachment found")
    if built_by_smtplib:
        body = msg.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else None
        if text != TEXT:
            failures.append("text part differs: %r" % (text[:120] if text else text))
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
