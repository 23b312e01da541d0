#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# smtp_send.py - send one message with Python's smtplib, for the interop tests.
#
# The C test decides what to send and compares bytes; this script only
# drives smtplib the way an application would and reports what happened.
#
#   smtp_send.py --port P --from A --to B [--to C ...] --message FILE [--8bitmime]
#   smtp_send.py --port P --from A --to B --mime OUT --attach FILE
#       builds a MIME message (8-bit UTF-8 text, an 8-bit text attachment and
#       a binary attachment), writes the bytes smtplib will send to OUT, and
#       sends it with send_message() and BODY=8BITMIME
#   ... --login USER PASSWORD [--mech CRAM-MD5|PLAIN|LOGIN|any] [--no-initial-response]
#       authenticates first; with --mech only that mechanism is tried
#
# Exit status 0 when the server accepted the message for every recipient,
# 1 otherwise (the reason is printed).
import argparse
import email.generator
import email.message
import email.policy
import io
import smtplib
import sys

TEXT = ("Grüße aus dem Labor: naïve café, Ελληνικά, 日本語.\n"
        ".a line that starts with a dot\n"
        "..and one with two\n"
        "The end.\n")
NOTES = "Notizen: Äpfel, Öl, Übermut — 8-bit text attachment.\n"


def build_mime(args, attachment):
    msg = email.message.EmailMessage()
    msg["From"] = args.sender
    msg["To"] = ", ".join(args.to)
    msg["Subject"] = "MIME with 8-bit parts"
    msg["Message-ID"] = "<interop-mime@localhost>"
    msg["Date"] = "Mon, 01 Jan 2024 12:00:00 +0000"
    msg.set_content(TEXT, charset="utf-8", cte="8bit")
    msg.add_attachment(NOTES.encode("utf-8"), maintype="text", subtype="plain",
                       filename="notes.txt", cte="8bit")
    msg.add_attachment(attachment, maintype="application", subtype="octet-stream",
                       filename="blob.bin")
    # Flatten once the way send_message() does: this fixes the boundary,
    # and OUT then holds exactly the bytes smtplib puts after DATA.
    with io.BytesIO() as out:
        email.generator.BytesGenerator(out).flatten(msg, linesep="\r\n")
        flat = out.getvalue()
    with open(args.mime, "wb") as f:
        f.write(flat)
    return msg


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--from", dest="sender", required=True)
    p.add_argument("--to", action="append", required=True)
    p.add_argument("--message")
    p.add_argument("--8bitmime", dest="eightbit", action="store_true")
    p.add_argument("--mime")
    p.add_argument("--attach")
    p.add_argument("--login", nargs=2, metavar=("USER", "PASSWORD"))
    p.add_argument("--mech", default="any")
    p.add_argument("--no-initial-response", action="store_true")
    args = p.parse_args()

    smtp = smtplib.SMTP(args.host, args.port, local_hostname="client.example.test",
                        timeout=30)
    code, banner = smtp.ehlo()
    print("ehlo:", code, banner.decode("ascii", "replace").replace("\n", " | "))
    if args.login:
        advertised = smtp.esmtp_features.get("auth", "")
        print("advertised auth:", advertised)
        if args.mech != "any":
            if args.mech not in advertised.split():
                print("server does not advertise", args.mech)
                return 1
            # smtplib.login() tries CRAM-MD5, PLAIN, LOGIN in turn among the
            # advertised ones; offering it one makes it use exactly that one.
            smtp.esmtp_features["auth"] = args.mech
        code, resp = smtp.login(args.login[0], args.login[1],
                                initial_response_ok=not args.no_initial_response)
        print("login:", code, resp.decode("ascii", "replace"))

    if args.mime:
        with open(args.attach, "rb") as f:
            msg = build_mime(args, f.read())
        refused = smtp.send_message(msg, args.sender, args.to,
                                    mail_options=["BODY=8BITMIME"])
    else:
        with open(args.message, "rb") as f:
            data = f.read()
        options = ["BODY=8BITMIME"] if args.eightbit else []
        refused = smtp.sendmail(args.sender, args.to, data, mail_options=options)
    smtp.quit()
    if refused:
        print("refused:", refused)
        return 1
    print("sent to", len(args.to), "recipient(s)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (smtplib.SMTPException, OSError) as e:
        print("error:", type(e).__name__, e)
        sys.exit(1)
