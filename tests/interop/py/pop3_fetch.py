#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# pop3_fetch.py - one POP3 session with Python's poplib, for the interop tests.
#
#   pop3_fetch.py --port P --user U --password PW --out DIR
#                 [--auth user|apop|plain] [--utf8] [--top N:LINES ...]
#                 [--retr] [--dele all|N] [--no-quit]
#
# Login with USER/PASS (user_, pass_), APOP (apop) or a hand-rolled AUTH PLAIN
# without an initial response (RFC 5034: "+ " continuation, then the base64
# response). Then CAPA, STAT, LIST, UIDL, TOP, RETR, DELE and QUIT as asked.
# --utf8 sends UTF8 (RFC 6856), which this server does not offer: poplib
# must get -ERR and the session must go on.
#
# Results go to DIR: report.txt has one line per fact ("stat 3 1234",
# "list 1 345", "uidl 1 <uid>", "retr 1 <octets>", "capa <NAME> ...",
# "utf8 -ERR ..."); retr-N.eml and top-N-L.eml hold the fetched lines joined
# with CRLF (poplib removes the byte-stuffing). Exit 1 on any error.
import argparse
import base64
import os
import poplib
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--auth", default="user", choices=["user", "apop", "plain"])
    p.add_argument("--utf8", action="store_true")
    p.add_argument("--top", action="append", default=[])
    p.add_argument("--retr", action="store_true")
    p.add_argument("--dele", default="")
    p.add_argument("--no-quit", action="store_true")
    args = p.parse_args()

    report = open(os.path.join(args.out, "report.txt"), "w")

    def note(*words):
        line = " ".join(str(w) for w in words)
        print(line)
        report.write(line + "\n")
        report.flush()

    pop = poplib.POP3(args.host, args.port, timeout=30)
    note("greeting", pop.getwelcome().decode("ascii", "replace"))
    capa = pop.capa()
    for name, values in capa.items():
        note("capa", name, *values)
    if args.auth == "apop":
        note("login", pop.apop(args.user, args.password).decode())
    elif args.auth == "plain":
        # RFC 4616: authzid NUL authcid NUL password; RFC 5034 §4 without an
        # initial response, so the server must send "+ " first.
        note("auth", pop._shortcmd("AUTH PLAIN").decode())
        token = base64.b64encode(b"\0" + args.user.encode() + b"\0" +
                                 args.password.encode()).decode()
        note("login", pop._shortcmd(token).decode())
    else:
        pop.user(args.user)
        note("login", pop.pass_(args.password).decode())
    if args.utf8:
        try:
            note("utf8", pop.utf8().decode())
        except poplib.error_proto as e:
            note("utf8", e.args[0].decode("ascii", "replace"))
    count, size = pop.stat()
    note("stat", count, size)
    for line in pop.list()[1]:
        note("list", line.decode())
    for line in pop.uidl()[1]:
        note("uidl", line.decode())
    for spec in args.top:
        number, lines = spec.split(":")
        resp, fetched, octets = pop.top(int(number), int(lines))
        with open(os.path.join(args.out, "top-%s-%s.eml" % (number, lines)), "wb") as f:
            f.write(b"".join(line + b"\r\n" for line in fetched))
        note("top", number, lines, octets)
    if args.retr:
        for number in range(1, count + 1):
            resp, fetched, octets = pop.retr(number)
            with open(os.path.join(args.out, "retr-%d.eml" % number), "wb") as f:
                f.write(b"".join(line + b"\r\n" for line in fetched))
            note("retr", number, octets)
    if args.dele:
        numbers = range(1, count + 1) if args.dele == "all" else [int(args.dele)]
        for number in numbers:
            note("dele", number, pop.dele(number).decode())
    if args.no_quit:
        pop.sock.close()
        note("dropped")
    else:
        note("quit", pop.quit().decode())
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (poplib.error_proto, OSError, ValueError) as e:
        print("error:", type(e).__name__, e)
        sys.exit(1)
