# SPDX-License-Identifier: MIT
"""tb_scenarios.py - the five Thunderbird scenarios of issue 5.

run.sh starts build/smtpd and build/pop3d on free loopback ports with the
transcript on, then runs this file. Each scenario starts the real
Thunderbird on a fresh profile (tb_driver.py), makes it do what a user
would do, and judges the outcome from the files involved: Thunderbird's
Inbox mbox and popstate.dat, the users' Maildirs on the server, and the
daemons' logs. A failing scenario prints its checks, the daemons' transcript
for its time window, Thunderbird's dialog texts and its own protocol log.

The users (each "{PLAIN}" in the users file, so CRAM-MD5 and APOP work):
alice (1, Normal password), bob (1, Encrypted password), carol (2), dave (3),
erin (4) and frank (5). Each scenario has its own maildrop, so they do not
depend on each other's leftovers.

Python standard library only.
"""

import argparse
import os
import re
import signal
import smtplib
import socket
import sys
import tempfile
import threading
import time
import traceback

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tb_driver  # noqa: E402  (after the path change, on purpose)
from tb_driver import AUTH_ENCRYPTED, AUTH_NORMAL, FLAG_PARTIAL  # noqa: E402

DOMAIN = "example.test"
MOZILLA_HEADERS = (b"x-account-key:", b"x-uidl:", b"x-mozilla-status:",
                   b"x-mozilla-status2:", b"x-mozilla-keys:")
TRACE_HEADERS = (b"received:", b"return-path:")
# Log levels worse than a failed login, and what a sanitizer build prints.
BAD_LOG = re.compile(r"\]: err #|AddressSanitizer|runtime error:|ThreadSanitizer|"
                     r"LeakSanitizer|Assertion|Segmentation")
AUTH_WARN = re.compile(r"auth|login|password|credential|in.use|lock", re.I)


class Context:
    def __init__(self, args):
        self.args = args
        self.mail_root = args.mail_root
        self.passwords = read_users(args.users)
        self.workdir = args.workdir


class Scenario:
    """One scenario's checks, transcript window, dialogs and notes."""

    def __init__(self, ctx, number, title):
        self.ctx = ctx
        self.number = number
        self.title = title
        self.checks = []
        self.dialogs = []
        self.notes = []
        self.client_logs = []
        self.offsets = {path: file_size(path) for path in ctx.args.logs}
        self.started = time.monotonic()

    def check(self, ok, what):
        self.checks.append((bool(ok), what))
        return bool(ok)

    @property
    def passed(self):
        return bool(self.checks) and all(ok for ok, _ in self.checks)

    def log_since(self, path, offset=None):
        start = self.offsets[path] if offset is None else offset
        with open(path, "rb") as log:
            log.seek(start)
            return log.read().decode("utf-8", "replace")

    def transcript(self):
        return "".join(self.log_since(path) for path in self.ctx.args.logs)

    def thunderbird(self, user, **options):
        workdir = tempfile.mkdtemp(prefix="tb%d-%s-" % (self.number, user),
                                   dir=self.ctx.workdir)
        options.setdefault("pop3_port", self.ctx.args.pop3_port)
        options.setdefault("smtp_port", self.ctx.args.submission_port)
        tb = tb_driver.Thunderbird(workdir, user=user, email="%s@%s" % (user, DOMAIN),
                                   **options)
        try:
            tb.start()
            tb.set_passwords(self.ctx.passwords[user])
        except BaseException:
            self.finish_thunderbird(tb)
            raise
        return tb

    def finish_thunderbird(self, tb):
        self.client_logs.append(tb.client_log())
        tb.stop()

    def report(self):
        seconds = time.monotonic() - self.started
        verdict = "PASS" if self.passed else "FAIL"
        print("[%s] %d. %s (%.1f s)" % (verdict, self.number, self.title, seconds))
        for ok, what in self.checks:
            if not ok or not self.passed:
                what = what.rstrip("\n").replace("\n", "\n         ")
                print("    %s %s" % ("ok  " if ok else "FAIL", what))
        for note in self.notes:
            print("    note: %s" % note)
        if self.dialogs and not self.passed:
            print("    --- Thunderbird dialogs ---")
            for dialog in self.dialogs:
                print("    [%s] %s: %s" % (dialog.get("kind"), dialog.get("title"),
                                         dialog.get("text", "").replace("\n", " | ")))
        if not self.passed:
            print("    --- daemons' transcript and log (--trace) ---")
            for line in self.transcript().splitlines()[-400:]:
                print("    " + line)
            for lines in self.client_logs:
                print("    --- Thunderbird's own POP3/SMTP log ---")
                for line in lines:
                    print("    " + line[:300])
        sys.stdout.flush()


# ---- helpers --------------------------------------------------------------

def read_users(path):
    users = {}
    with open(path) as users_file:
        for line in users_file:
            name, _, secret = line.strip().partition(":")
            if secret.startswith("{PLAIN}"):
                users[name] = secret[len("{PLAIN}"):]
    return users


def file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def maildir_files(ctx, user):
    """Names and contents of every message on the server for user."""
    found = {}
    for sub in ("new", "cur"):
        directory = os.path.join(ctx.mail_root, user, sub)
        try:
            names = os.listdir(directory)
        except FileNotFoundError:
            continue
        for name in names:
            if name.startswith("."):
                continue
            try:
                with open(os.path.join(directory, name), "rb") as message:
                    found[sub + "/" + name] = message.read()
            except FileNotFoundError:
                pass    # moved between new/ and cur/ while we looked
    return found


def wait_until(predicate, timeout, step=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


def deliver(ctx, user, messages):
    """Deliver through smtpd's MTA port, as any other mail server would."""
    before = len(maildir_files(ctx, user))
    with smtplib.SMTP("127.0.0.1", ctx.args.smtp_port, timeout=30) as smtp:
        for message in messages:
            smtp.sendmail("sender@%s" % DOMAIN, ["%s@%s" % (user, DOMAIN)], message)
    return wait_until(lambda: len(maildir_files(ctx, user)) >= before + len(messages), 10)


def test_message(user, number, extra=b""):
    return (b"From: Sender <sender@example.test>\r\n"
            b"To: " + user.encode() + b"@example.test\r\n"
            b"Subject: scenario message " + str(number).encode() + b"\r\n"
            b"Message-ID: <tb-" + user.encode() + b"-" + str(number).encode()
            + b"@example.test>\r\n"
            b"\r\n"
            b"Hello " + user.encode() + b", this is message " + str(number).encode()
            + b".\r\n"
            b".A line that starts with a dot.\r\n"
            b"\r\n" + extra +
            b"Last line.\r\n")


def strip_leading(message, names):
    """Remove the header fields (with their continuation lines) named in
    names from the top of message, stopping at the first other field."""
    lines = message.split(b"\n")
    index = 0
    while index < len(lines) and lines[index].lower().startswith(names):
        index += 1
        while index < len(lines) and lines[index][:1] in (b" ", b"\t"):
            index += 1
    return b"\n".join(lines[index:])


def unix(data):
    return data.replace(b"\r\n", b"\n")


def inbox_as_served(tb):
    """The Inbox messages without the headers Thunderbird adds."""
    return [unix(strip_leading(message, MOZILLA_HEADERS)) for _, message in tb.inbox_messages()]


def get(scenario, tb, label, expect_ok=True):
    offsets = {path: file_size(path) for path in scenario.ctx.args.logs}
    result = tb.get_messages()
    scenario.dialogs.extend(result["dialogs"])
    # The QUIT reply may be traced a moment after Thunderbird reports the end.
    wait_until(lambda: re.search(r"C: QUIT\n.*S: ", since(scenario, offsets), re.S), 4)
    transcript = since(scenario, offsets)
    if expect_ok:
        scenario.check(result["ok"], "%s: Get Messages finished without error (status 0x%x)"
                       % (label, result["status"]))
        scenario.check(not result["dialogs"], "%s: no dialog shown (%d shown)"
                       % (label, len(result["dialogs"])))
    return result, transcript


def since(scenario, offsets):
    return "".join(scenario.log_since(path, offsets[path]) for path in offsets)


def commands(transcript, verb):
    return re.findall(r"C: (%s\b[^\n]*)" % verb, transcript)


def check_daemons(scenario):
    for pid in scenario.ctx.args.pids:
        alive = True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            alive = False
        except PermissionError:
            pass
        scenario.check(alive, "daemon pid %d still running" % pid)


def check_log_clean(scenario):
    text = scenario.transcript()
    bad = [line for line in text.splitlines() if BAD_LOG.search(line)]
    warnings = [line for line in text.splitlines()
                if "]: warn #" in line and not AUTH_WARN.search(line)]
    scenario.check(not bad, "server log has no errors or sanitizer reports%s"
                   % ("" if not bad else ": " + bad[0]))
    scenario.check(not warnings, "server log has no warnings other than failed logins%s"
                   % ("" if not warnings else ": " + warnings[0]))


# ---- 1. fetch and delete ------------------------------------------------------

def fetch_and_delete(scenario, user, auth, label, mechanism):
    ctx = scenario.ctx
    scenario.check(deliver(ctx, user, [test_message(user, n) for n in (1, 2, 3)]),
                   "%s: smtpd delivered 3 messages to %s" % (label, user))
    stored = sorted(unix(data) for data in maildir_files(ctx, user).values())
    tb = scenario.thunderbird(user, auth=auth)
    try:
        _, transcript = get(scenario, tb, label)
        inbox = inbox_as_served(tb)
        scenario.check(len(inbox) == 3, "%s: Inbox has 3 messages (has %d)" % (label, len(inbox)))
        scenario.check(sorted(inbox) == stored,
                       "%s: Inbox copies are byte-exact copies of the stored messages" % label)
        scenario.check(commands(transcript, mechanism),
                       "%s: Thunderbird logged in with %s" % (label, mechanism))
        scenario.check(len(commands(transcript, "RETR")) == 3 and
                       len(commands(transcript, "DELE")) == 3,
                       "%s: 3 RETR and 3 DELE in the transcript" % label)
        left = wait_until(lambda: not maildir_files(ctx, user), 5)
        scenario.check(left, "%s: the server's Maildir is empty after the fetch" % label)
    finally:
        scenario.finish_thunderbird(tb)


def scenario_fetch(scenario):
    fetch_and_delete(scenario, "alice", AUTH_NORMAL, "Normal password", "AUTH PLAIN")
    fetch_and_delete(scenario, "bob", AUTH_ENCRYPTED, "Encrypted password", "AUTH CRAM-MD5")
    check_daemons(scenario)
    check_log_clean(scenario)


# ---- 2. leave on server ---------------------------------------------------------

def scenario_leave_on_server(scenario):
    ctx = scenario.ctx
    user = "carol"
    scenario.check(deliver(ctx, user, [test_message(user, n) for n in (1, 2, 3)]),
                   "smtpd delivered 3 messages")
    stored = maildir_files(ctx, user)
    tb = scenario.thunderbird(user, leave_on_server=True)
    try:
        _, first = get(scenario, tb, "first fetch")
        scenario.check(len(commands(first, "RETR")) == 3 and not commands(first, "DELE"),
                       "first fetch: 3 RETR, no DELE")
        scenario.check(len(tb.inbox_messages()) == 3, "first fetch: Inbox has 3 messages")
        kept = [uidl for flag, uidl in tb.popstate() if flag == "k"]
        scenario.check(len(set(kept)) == 3,
                       "popstate.dat keeps 3 UIDLs with 'k' (has %r)" % tb.popstate())
        _, second = get(scenario, tb, "second fetch")
        scenario.check(commands(second, "UIDL"), "second fetch: Thunderbird asked for UIDL")
        scenario.check(not commands(second, "RETR") and not commands(second, "TOP"),
                       "second fetch: nothing downloaded again (no RETR, no TOP)")
        scenario.check(len(tb.inbox_messages()) == 3, "second fetch: still 3 messages in the Inbox")
        now = maildir_files(ctx, user)
        scenario.check(len(now) == 3 and sorted(now.values()) == sorted(stored.values()),
                       "the server still has all 3 messages, unchanged (%d)" % len(now))
    finally:
        scenario.finish_thunderbird(tb)
    check_daemons(scenario)
    check_log_clean(scenario)


# ---- 3. headers only ---------------------------------------------------------------

def scenario_headers_only(scenario):
    ctx = scenario.ctx
    user = "dave"
    body = b"".join(b"Body line %d of a longer message.\r\n" % n for n in range(200))
    scenario.check(deliver(ctx, user, [test_message(user, 1, body), test_message(user, 2)]),
                   "smtpd delivered 2 messages")
    tb = scenario.thunderbird(user, headers_only=True)
    try:
        _, transcript = get(scenario, tb, "headers-only fetch")
        tops = commands(transcript, "TOP")
        scenario.check(sorted(tops) == ["TOP 1 0", "TOP 2 0"],
                       "Thunderbird sent TOP 1 0 and TOP 2 0 (sent %r)" % tops)
        scenario.check(not commands(transcript, "RETR"), "no RETR")
        inbox = tb.inbox_messages()
        scenario.check(len(inbox) == 2, "Inbox has 2 messages (has %d)" % len(inbox))
        scenario.check(all(status & FLAG_PARTIAL for status, _ in inbox),
                       "both are flagged Partial in X-Mozilla-Status")
        scenario.check(all(b"Subject: scenario message" in message and
                           b"Body line 10 of" not in message for _, message in inbox),
                       "the Inbox has the headers and not the bodies")
        states = tb.popstate()
        scenario.check(sorted(flag for flag, _ in states) == ["b", "b"],
                       "popstate.dat marks both 'b' (has %r)" % states)
        scenario.check(len(maildir_files(ctx, user)) == 2, "the server still has both messages")
    finally:
        scenario.finish_thunderbird(tb)
    check_daemons(scenario)
    check_log_clean(scenario)


# ---- 4. send through submission ----------------------------------------------------

class WireTap:
    """A loopback TCP relay that keeps what the client sent on each
    connection: the exact bytes Thunderbird put on the wire."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.sent = []
        self.open = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port), timeout=60)
            record = bytearray()
            with self.lock:
                self.sent.append(record)
                self.open += 1
            threading.Thread(target=self._pump, args=(client, server, record), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, None), daemon=True).start()

    def _pump(self, source, sink, record):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if record is not None:
                    record.extend(data)
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if record is not None:
            with self.lock:
                self.open -= 1

    def close(self):
        self.listener.close()


def data_payloads(wire):
    """Messages inside DATA ... CRLF.CRLF, dot-stuffing undone (RFC 5321 §4.5.2)."""
    messages = []
    for match in re.finditer(rb"\r\nDATA\r\n(.*?\r\n)\.\r\n", b"\r\n" + bytes(wire), re.S):
        lines = match.group(1).split(b"\r\n")
        messages.append(b"\r\n".join(line[1:] if line.startswith(b".") else line
                                     for line in lines))
    return messages


def send_once(scenario, tb, tap, user, smtp_auth, label, mechanism):
    ctx = scenario.ctx
    tb.configure(smtp_auth=smtp_auth)
    before = set(maildir_files(ctx, user))
    offsets = {path: file_size(path) for path in ctx.args.logs}
    wire_before = len(tap.sent)
    subject = "Scenario 4, %s" % label
    body = ("Sent by Thunderbird with %s.\n.This line starts with a dot.\n"
            "Non-ASCII text: Gr\u00fc\u00dfe, \u00e9t\u00e9.\n\nLast line.\n" % label)
    result = tb.send("%s@%s" % (user, DOMAIN), subject, body)
    scenario.dialogs.extend(result["dialogs"])
    scenario.check(result["ok"], "%s: Thunderbird sent the message (%s)" % (label, result["why"]))
    scenario.check(not result["dialogs"], "%s: no dialog shown" % label)
    # Thunderbird keeps the connection open about 5 s, then sends QUIT.
    closed = wait_until(lambda: tap.open == 0 and len(tap.sent) > wire_before, 20)
    scenario.check(closed, "%s: Thunderbird closed its SMTP connection" % label)
    transcript = since(scenario, offsets)
    scenario.check(commands(transcript, mechanism),
                   "%s: authenticated with %s" % (label, mechanism))
    scenario.check(commands(transcript, "QUIT"), "%s: the session ended with QUIT" % label)
    wire = b"".join(tap.sent[wire_before:])
    payloads = data_payloads(wire)
    scenario.check(len(payloads) == 1, "%s: one DATA transaction on the wire (%d)"
                   % (label, len(payloads)))
    new = wait_until(lambda: set(maildir_files(ctx, user)) - before, 10)
    scenario.check(len(new or ()) == 1, "%s: one new message in %s's Maildir" % (label, user))
    if payloads and new:
        stored = maildir_files(ctx, user)[sorted(new)[0]]
        exact = strip_leading(stored, TRACE_HEADERS) == unix(payloads[0])
        scenario.check(exact, "%s: stored byte-exact as sent (trace headers aside)" % label)
        if not exact:
            scenario.notes.append("sent:   %r" % unix(payloads[0])[:600])
            scenario.notes.append("stored: %r" % stored[:600])
    return subject


def scenario_send(scenario):
    ctx = scenario.ctx
    user = "erin"
    tap = WireTap(ctx.args.submission_port)
    tb = scenario.thunderbird(user, smtp_port=tap.port)
    try:
        subjects = [
                send_once(scenario, tb, tap, user, AUTH_NORMAL, "Normal password", "AUTH PLAIN"),
                send_once(scenario, tb, tap, user, AUTH_ENCRYPTED, "Encrypted password",
                          "AUTH CRAM-MD5"),
        ]
        stored = sorted(unix(data) for data in maildir_files(ctx, user).values())
        get(scenario, tb, "fetch of the sent messages")
        inbox = inbox_as_served(tb)
        scenario.check(sorted(inbox) == stored and len(inbox) == 2,
                       "the following fetch brought both into the Inbox byte-exact (%d)"
                       % len(inbox))
        scenario.check(all(any(("Subject: " + s).encode() in m for m in inbox) for s in subjects),
                       "the Inbox has both subjects")
    finally:
        scenario.finish_thunderbird(tb)
        tap.close()
    check_daemons(scenario)
    check_log_clean(scenario)


# ---- 5. wrong password, [IN-USE] ----------------------------------------------------

def pop3_login(port, user, password):
    """Hold a POP3 session open, logged in with USER/PASS (RFC 1939 §7)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    reader = sock.makefile("rb")
    replies = [reader.readline()]
    for line in (b"USER " + user.encode(), b"PASS " + password.encode()):
        sock.sendall(line + b"\r\n")
        replies.append(reader.readline())
    return sock, reader, replies


def login_failed_dialogs(dialogs):
    return [d for d in dialogs if d.get("kind") == "confirmex" and "failed" in d.get("text", "")]


def scenario_login_failures(scenario):
    ctx = scenario.ctx
    user = "frank"
    scenario.check(deliver(ctx, user, [test_message(user, 1)]), "smtpd delivered 1 message")
    tb = scenario.thunderbird(user)
    try:
        tb.set_passwords("not-" + ctx.passwords[user])
        result, transcript = get(scenario, tb, "wrong password", expect_ok=False)
        failed = login_failed_dialogs(result["dialogs"])
        scenario.check(not result["ok"], "wrong password: the fetch failed")
        scenario.check(len(failed) == 1, "wrong password: one \"Login ... failed\" dialog (%d): %s"
                       % (len(failed), failed[0]["text"] if failed else result["dialogs"]))
        others = [d for d in result["dialogs"] if d not in failed]
        scenario.check(not others, "wrong password: no other dialog (%s)"
                       % "; ".join(d.get("text", "") for d in others))
        scenario.check(re.search(r"S: -ERR", transcript), "wrong password: the server said -ERR")
        scenario.check(commands(transcript, "QUIT"), "wrong password: Thunderbird sent QUIT")
        scenario.check(not commands(transcript, "RETR"), "wrong password: nothing retrieved")

        tb.set_passwords(ctx.passwords[user])
        sock, reader, replies = pop3_login(ctx.args.pop3_port, user, ctx.passwords[user])
        try:
            scenario.check(replies[-1].startswith(b"+OK"),
                           "the test's own session logged in (%r)" % replies[-1])
            result, transcript = get(scenario, tb, "concurrent login", expect_ok=False)
            failed = login_failed_dialogs(result["dialogs"])
            scenario.check(not result["ok"], "concurrent login: the fetch failed")
            scenario.check(re.search(r"S: -ERR \[IN-USE\]", transcript),
                           "concurrent login: the server answered -ERR [IN-USE]")
            scenario.check(len(failed) == 1,
                           "concurrent login: one \"Login ... failed\" dialog (%d)" % len(failed))
            scenario.check(commands(transcript, "QUIT"), "concurrent login: Thunderbird sent QUIT")
        finally:
            sock.sendall(b"QUIT\r\n")
            reader.readline()
            sock.close()
        scenario.check(len(maildir_files(ctx, user)) == 1, "the message is still on the server")
        get(scenario, tb, "fetch after the other session ended")
        scenario.check(len(tb.inbox_messages()) == 1, "then Thunderbird fetched it")
    finally:
        scenario.finish_thunderbird(tb)
    check_daemons(scenario)
    check_log_clean(scenario)


SCENARIOS = [
        (scenario_fetch, "fetch 3 messages and delete them (Normal and Encrypted password)"),
        (scenario_leave_on_server, "leave on server: the second fetch downloads nothing again"),
        (scenario_headers_only, "fetch headers only (TOP)"),
        (scenario_send, "send through submission (Normal and Encrypted password), then fetch"),
        (scenario_login_failures, "wrong password, then a second concurrent login ([IN-USE])"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--submission-port", type=int, required=True)
    parser.add_argument("--pop3-port", type=int, required=True)
    parser.add_argument("--mail-root", required=True)
    parser.add_argument("--users", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--log", dest="logs", action="append", default=[],
                        help="a daemon's log file (repeat)")
    parser.add_argument("--pid", dest="pids", type=int, action="append", default=[])
    parser.add_argument("--only", type=int, action="append",
                        help="run only scenario N (repeat)")
    args = parser.parse_args()
    # Stopped from outside (run.sh's time limit): unwind, so every
    # Thunderbird started here is stopped by its PID on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("tb_scenarios.py: terminated"))
    ctx = Context(args)
    passed = failed = 0
    for number, (function, title) in enumerate(SCENARIOS, 1):
        if args.only and number not in args.only:
            continue
        scenario = Scenario(ctx, number, title)
        try:
            function(scenario)
        except Exception:   # a crash is a failure with its traceback, not an abort
            scenario.check(False, "scenario raised:\n" + traceback.format_exc())
        scenario.report()
        if scenario.passed:
            passed += 1
        else:
            failed += 1
    # run.sh adds its own checks and prints the closing "thunderbird:" line.
    print("scenarios: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
