#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""labtool.py - what every lab check shares: a fresh server, a chat client, the README runner.

A lab check never touches the user's var/. It builds a temporary root (users file with the demo
user student/student stored {PLAIN}, aliases with postmaster, an empty Maildir), writes a config
that listens on 127.0.0.1 port 0, starts build/smtpd and build/pop3d with -f -c CONFIG --trace,
reads the ports back from the daemons' log lines "listening on 127.0.0.1:PORT (smtp)", and stops
them by PID when the check ends.

The README runner makes each lab's README.md the test's data, so the two cannot drift:

  ```transcript smtp|submission|pop3 [open|continue|manual]
  S: 220 localhost ESMTP ready      a line the server must send; "…" matches any text
  C: EHLO lab                       a line the student types (sent with CRLF)
  ```
      Consecutive C: lines are sent in one write (that is what pipelining is), then as many
      lines are read as there are S: lines that follow. A block that ends with QUIT must see the
      server close the connection; any other block drops the connection at its end (the
      student pressing Ctrl-C) unless it is marked "open"; a later block marked "continue"
      goes on in that connection. "manual" blocks are left to the lab's own check code.
      A C: line with "…" is one the student computes (an APOP digest, a CRAM-MD5 answer):
      the check computes it from the greeting or the last challenge (computed_line()).

  ```console
  $ ls var/mail/student/new         a command the check runs with bash, output compared line
  1795…,S=…,W=…                     by line; a line that is only "…" matches any number of lines
  ```
      Before running, var/ becomes the temporary root, build/ the build folder, the ports
      2525/2587/1100 the real ones, SMTPD_PID/POP3D_PID the daemons' PIDs. `make run` restarts
      both daemons; `build/smtpd ... -o key=value` restarts smtpd with those settings.
      A console block marked "manual" is left to the lab's own check code.

Used as a program it offers the same to shell scripts (see labs/lib.sh):
  labtool.py start [-o key=value]...   print shell assignments LAB_ROOT=... LAB_SMTP_PORT=...
  labtool.py stop ROOT                 stop the daemons of that root and remove it
  labtool.py chat HOST PORT            send stdin (LF -> CRLF), print the replies
"""
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

LABS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(LABS)
BUILD = os.path.abspath(os.path.join(REPO, os.environ.get("LAB_BUILD", "build")))
ELLIPSIS = "\u2026"
STUDENT_PORTS = {"smtp": 2525, "submission": 2587, "pop3": 1100}
LISTEN_RE = re.compile(r"listening on 127\.0\.0\.1:([0-9]+) \((smtp|submission|pop3)\)")


class CheckFailed(Exception):
    pass


def say(text):
    print(text, flush=True)


# ---- matching ----------------------------------------------------------------------------------

def line_pattern(expected):
    """An expected line as a regular expression: literal text, "…" matches anything."""
    return re.compile("".join(".*" if part == ELLIPSIS else re.escape(part)
                              for part in re.split("(" + ELLIPSIS + ")", expected)) + r"\Z",
                      re.S)


def line_matches(expected, actual):
    """Trailing spaces do not count: a README cannot show them (POP3's "+ " continuation)."""
    return line_pattern(expected.rstrip()).match(actual.rstrip()) is not None


def lines_match(expected, actual):
    """Match line lists; an expected line that is only "…" stands for any number of lines."""
    memo = {}

    def go(i, j):
        if (i, j) in memo:
            return memo[i, j]
        if i == len(expected):
            result = j == len(actual)
        elif expected[i] == ELLIPSIS:
            result = any(go(i + 1, k) for k in range(j, len(actual) + 1))
        else:
            result = j < len(actual) and line_matches(expected[i], actual[j]) and go(i + 1, j + 1)
        memo[i, j] = result
        return result
    return go(0, 0)


# ---- a client connection -------------------------------------------------------------------------

class Chat:
    """One TCP connection with a line reader. Every read has a timeout."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buffer = b""
        self.timeout = timeout
        self.first_line = None    # the greeting, for APOP
        self.last_line = None     # the last line read, for SASL challenges

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def send_lines(self, lines):
        self.send("".join(line + "\r\n" for line in lines))

    def read_line(self, raw=False):
        """One line without its CRLF (raw=True: with it). Raises CheckFailed on EOF/timeout."""
        deadline = time.monotonic() + self.timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CheckFailed("no reply line within %.0f s (got so far: %r)"
                                  % (self.timeout, self.buffer))
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise CheckFailed("the server closed the connection (pending: %r)" % self.buffer)
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        line += b"\n"
        if raw:
            return line
        if not line.endswith(b"\r\n"):
            raise CheckFailed("reply line does not end in CRLF: %r" % line)
        text = line[:-2].decode("utf-8", "replace")
        if self.first_line is None:
            self.first_line = text
        self.last_line = text
        return text

    def reply(self):
        """Read one whole SMTP reply (through the line "NNN text"); return its lines."""
        lines = [self.read_line()]
        while re.match(r"[0-9]{3}-", lines[-1]):
            lines.append(self.read_line())
        return lines

    def multiline(self):
        """Read a POP3 +OK line and, when it is +OK, the lines up to the lone "."."""
        first = self.read_line()
        lines = [first]
        if first.startswith("+OK"):
            while lines[-1] != "." or len(lines) == 1:
                lines.append(self.read_line())
        return lines

    def expect(self, expected):
        actual = self.read_line()
        if not line_matches(expected, actual):
            raise CheckFailed("expected %r, the server said %r" % (expected, actual))
        return actual

    def command(self, line, expected=None):
        self.send_lines([line])
        return self.expect(expected) if expected is not None else self.read_line()

    def closed(self, wait=3.0):
        """True when the server closes the connection within wait seconds, nothing else sent."""
        if self.buffer:
            return False
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(4096)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        self.buffer += chunk
        return chunk == b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---- secrets a student computes by hand -------------------------------------------------------------

DEMO_USER = "student"
DEMO_SECRET = "student"


def apop_digest(timestamp, secret):
    """RFC 1939 §7: MD5 of the greeting's timestamp followed by the shared secret, in hex."""
    import hashlib
    return hashlib.md5((timestamp + secret).encode()).hexdigest()


def cram_md5_response(challenge_b64, user, secret):
    """RFC 2195 §2: base64 of "user" SP hex(HMAC-MD5(secret, challenge))."""
    import base64
    import hashlib
    import hmac
    challenge = base64.b64decode(challenge_b64)
    digest = hmac.new(secret.encode(), challenge, hashlib.md5).hexdigest()
    return base64.b64encode(("%s %s" % (user, digest)).encode()).decode()


# The users the labs create, with their passwords (the demo user and lab 07's alice).
LAB_SECRETS = {"student": "student", "alice": "secret"}


def cram_user(visible):
    """The user whose CRAM-MD5 answer starts with the visible base64 text, e.g. c3R1ZGVudC."""
    import base64
    prefix = visible[:len(visible) // 4 * 4]
    try:
        start = base64.b64decode(prefix).decode("ascii", "replace")
    except ValueError:
        start = ""
    for user in LAB_SECRETS:
        if (user + " ").startswith(start) and start:
            return user
    return DEMO_USER


def computed_line(sent, chat, apop=None, cram=None):
    """A C: line with "…" in a README is one the student computes: APOP or a CRAM-MD5 answer.

    apop(timestamp, secret) and cram(challenge, user, secret) default to this module's own
    functions; a lab may pass the README's one-liners instead."""
    if ELLIPSIS not in sent:
        return sent
    apop = apop or apop_digest
    cram = cram or cram_md5_response
    if sent.upper().startswith("APOP "):
        user = sent.split()[1]
        m = re.search(r"<[^>]*>", chat.first_line or "")
        if not m:
            raise CheckFailed("APOP: no timestamp in the greeting %r" % chat.first_line)
        return "APOP %s %s" % (user, apop(m.group(0), LAB_SECRETS.get(user, DEMO_SECRET)))
    last = chat.last_line or ""
    m = re.match(r"(?:\+|334) (\S+)$", last)
    if not m:
        raise CheckFailed("cannot compute %r: the last reply %r is no challenge" % (sent, last))
    user = cram_user(sent.split(ELLIPSIS)[0])
    return cram(m.group(1), user, LAB_SECRETS[user])


# ---- the server ------------------------------------------------------------------------------------

def program(name):
    path = os.path.join(BUILD, name)
    if not os.access(path, os.X_OK):
        raise CheckFailed("%s is missing: run make first" % path)
    return path


class Server:
    """A temporary root with both daemons. Use as a context manager."""

    def __init__(self, settings=None, prefix="lab-"):
        self.root = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.root, 0o755)
        self.mail_root = os.path.join(self.root, "mail")
        self.users = os.path.join(self.root, "users")
        self.aliases = os.path.join(self.root, "aliases")
        self.config = os.path.join(self.root, "mail.conf")
        self.log = {"smtpd": os.path.join(self.root, "smtpd.log"),
                    "pop3d": os.path.join(self.root, "pop3d.log")}
        self.procs = {}
        self.ports = {}
        self.log_offset = {}      # where the running daemon's lines start in its log
        try:
            self.populate(settings)
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def populate(self, settings):
        """The demo user, the postmaster alias, the config; the tree given to run_user."""
        os.mkdir(self.mail_root, 0o700)
        subprocess.run([program("mailuser"), "-u", self.users, "-m", self.mail_root,
                        "-s", "plain", "-p", "student", "student"],
                       check=True, stdout=subprocess.DEVNULL)
        with open(self.aliases, "w") as f:
            f.write("postmaster: student\n")
        self.run_user = "nobody" if os.geteuid() == 0 else None
        values = {
            "hostname": "localhost",
            "domains": "localhost example.test",
            "smtp_listen": "127.0.0.1:0",
            "submission_listen": "127.0.0.1:0",
            "pop3_listen": "127.0.0.1:0",
            "mail_root": self.mail_root,
            "users_file": self.users,
            "aliases_file": self.aliases,
        }
        if self.run_user:
            values["run_user"] = self.run_user
        values.update(settings or {})
        with open(self.config, "w") as f:
            f.write("# written by labs/labtool.py\n")
            for key, value in values.items():
                f.write("%s = %s\n" % (key, value))
        self.give_tree()

    def give_tree(self):
        """As root, the daemons drop to nobody: give them the tree they must write."""
        if not self.run_user:
            return
        import pwd
        entry = pwd.getpwnam(self.run_user)
        for top, dirs, files in os.walk(self.root):
            for name in [top] + [os.path.join(top, n) for n in dirs + files]:
                os.lchown(name, entry.pw_uid, entry.pw_gid)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()

    # -- daemons --

    def start(self, daemon, overrides=(), wait=10.0):
        """Start build/<daemon> -f -c CONFIG --trace [-o k=v]...; wait for its listeners."""
        self.stop(daemon)
        args = [program(daemon), "-f", "-c", self.config, "--trace"]
        for item in overrides:
            args += ["-o", item]
        log = open(self.log[daemon], "ab")
        offset = log.tell()
        self.log_offset[daemon] = offset
        self.procs[daemon] = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL, cwd=self.root)
        log.close()
        labels = ["smtp", "submission"] if daemon == "smtpd" else ["pop3"]
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with open(self.log[daemon], "rb") as f:
                f.seek(offset)
                text = f.read().decode("utf-8", "replace")
            found = {label: int(port) for port, label in LISTEN_RE.findall(text)}
            if all(label in found for label in labels):
                self.ports.update(found)
                return self.procs[daemon].pid
            if self.procs[daemon].poll() is not None:
                raise CheckFailed("%s exited with %d at start-up:\n%s"
                                  % (daemon, self.procs[daemon].returncode, text))
            time.sleep(0.05)
        raise CheckFailed("%s did not log its listeners within %.0f s" % (daemon, wait))

    def start_all(self, overrides=()):
        self.start("smtpd", overrides)
        self.start("pop3d", overrides)

    def pid(self, daemon):
        proc = self.procs.get(daemon)
        return proc.pid if proc is not None and proc.poll() is None else None

    def stop(self, daemon, sig=signal.SIGTERM):
        proc = self.procs.pop(daemon, None)
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def kill9(self, daemon):
        return self.stop(daemon, signal.SIGKILL)

    def stop_all(self):
        for daemon in list(self.procs):
            self.stop(daemon)

    def cleanup(self):
        self.stop_all()
        if os.environ.get("LAB_KEEP"):
            say("  (kept %s)" % self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def log_text(self, daemon):
        try:
            with open(self.log[daemon], "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def wait_idle(self, daemon, still_open=0, wait=10.0):
        """Wait until every session the daemon logged as opened has also closed.

        A person is slower than a script: before the next step the server has long noticed
        a dropped connection and ended its thread (and released the POP3 lock)."""
        if self.pid(daemon) is None:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with open(self.log[daemon], "rb") as f:
                f.seek(self.log_offset.get(daemon, 0))
                text = f.read().decode("utf-8", "replace")
            if text.count(": connection from ") <= text.count(": session closed") + still_open:
                return
            time.sleep(0.05)

    def connect(self, service, timeout=10.0):
        return Chat(self.ports[service], timeout=timeout)

    def maildir(self, user="student", sub="new"):
        path = os.path.join(self.mail_root, user, sub)
        return sorted(n for n in os.listdir(path) if not n.startswith("."))

    # -- console commands from a README, rewritten for this server --

    # Other paths a README uses, mapped into the temporary root (e.g. /tmp/lab08.pcap).
    extra_paths = {}

    def rewrite(self, command):
        for student_path, path in self.extra_paths.items():
            command = command.replace(student_path, path)
        for service, port in STUDENT_PORTS.items():
            if service in self.ports:
                command = re.sub(r"(?<=[ :])%d\b" % port, str(self.ports[service]), command)
        command = re.sub(r"(?<![\w/.-])var/", self.root + "/", command)
        command = re.sub(r"(?<![\w/.-])build/", BUILD + "/", command)
        for daemon, token in (("smtpd", "SMTPD_PID"), ("pop3d", "POP3D_PID")):
            pid = self.pid(daemon)
            if pid is not None:
                command = command.replace(token, str(pid))
        return command


# ---- the README runner ---------------------------------------------------------------------------

class Block:
    def __init__(self, kind, flags, lines, line_number):
        self.kind = kind          # "transcript" or "console"
        self.flags = flags        # e.g. ["smtp", "open"]
        self.lines = lines
        self.line_number = line_number

    @property
    def service(self):
        for flag in self.flags:
            if flag in STUDENT_PORTS:
                return flag
        return None

    def has(self, flag):
        return flag in self.flags

    def text(self):
        return "\n".join(self.lines)


def read_blocks(readme):
    """Every ```transcript and ```console block of a README, in order."""
    blocks = []
    with open(readme, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"```(transcript|console)\b(.*)$", lines[i])
        if m:
            start = i + 1
            body = []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            blocks.append(Block(m.group(1), m.group(2).split(), body, start))
        i += 1
    return blocks


def transcript_steps(block):
    """Group a transcript into [(sent_lines, expected_lines)], in order."""
    steps = []
    for raw in block.lines:
        if raw.startswith("C:"):
            text = raw[3:] if raw.startswith("C: ") else raw[2:]
            if not steps or steps[-1][1]:
                steps.append(([], []))
            steps[-1][0].append(text)
        elif raw.startswith("S:"):
            text = raw[3:] if raw.startswith("S: ") else raw[2:]
            if not steps:
                steps.append(([], []))
            steps[-1][1].append(text)
        elif raw.strip():
            raise CheckFailed("README line %d: transcript lines start with C: or S:: %r"
                              % (block.line_number, raw))
    return steps


def console_commands(block):
    """Split a console block into [(command, expected_output_lines)]."""
    commands = []
    lines = list(block.lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\") and i + 1 < len(lines):
                i += 1
                command = command[:-1] + "\n" + lines[i]
            commands.append((command, []))
        elif commands:
            commands[-1][1].append(line)
        elif line.strip():
            raise CheckFailed("README line %d: output before any $ command" % block.line_number)
        i += 1
    # Trailing blank lines in a block are layout, not output.
    for _, out in commands:
        while out and not out[-1].strip():
            out.pop()
    return commands


class Runner:
    """Plays a README's blocks against a Server and counts what it checked."""

    def __init__(self, server, readme):
        self.server = server
        self.readme = readme
        self.blocks = read_blocks(readme)
        self.open_chat = None
        self.open_daemon = None
        self.checked = 0
        self.apop = None      # see computed_line()
        self.cram = None

    def block(self, flag):
        for b in self.blocks:
            if b.has(flag):
                return b
        raise CheckFailed("README has no block marked %s" % flag)

    def play_transcript(self, block, chat=None, replace=None):
        if chat is None and not block.has("continue") and self.open_chat is not None:
            self.open_chat.close()
            self.open_chat = None
        if chat is None:
            if block.has("continue"):
                if self.open_chat is None:
                    raise CheckFailed("README line %d: nothing to continue" % block.line_number)
                chat = self.open_chat
            else:
                chat = self.server.connect(block.service)
        self.open_chat = None
        self.open_daemon = None
        steps = transcript_steps(block)
        last_sent = None
        for sent, expected in steps:
            sent = [computed_line(line, chat, self.apop, self.cram) for line in sent]
            if replace:
                sent = [replace(line) for line in sent]
            if sent:
                chat.send_lines(sent)
                last_sent = sent[-1]
            for want in expected:
                got = chat.read_line()
                if not line_matches(want, got):
                    raise CheckFailed("README line %d (after %r): expected %r, got %r"
                                      % (block.line_number, last_sent, want, got))
                self.checked += 1
        if block.has("open"):
            self.open_chat = chat
            self.open_daemon = "pop3d" if block.service == "pop3" else "smtpd"
        elif last_sent is not None and last_sent.upper() == "QUIT":
            if not chat.closed():
                raise CheckFailed("README line %d: the server did not close after QUIT"
                                  % block.line_number)
            chat.close()
        else:
            chat.close()
            # The student's Ctrl-C: the server sees the close (and, for POP3, releases
            # the maildrop lock) before the next block connects.
            self.server.wait_idle("pop3d" if block.service == "pop3" else "smtpd")
        return chat

    def run_command(self, command, timeout=30):
        return subprocess.run(["bash", "-c", command], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              timeout=timeout).stdout.decode("utf-8", "replace")

    def play_console(self, block):
        for command, expected in console_commands(block):
            words = shlex.split(command.split("#")[0]) if command.strip() else []
            if words[:2] == ["make", "run"]:
                self.server.start_all()
                say("  restarted both daemons (make run)")
                continue
            if words and words[0] in ("build/smtpd", "build/pop3d") and expected:
                # A daemon command whose output the README shows is expected to stop by
                # itself (a refused setting): run it on the lab's config, bounded in time.
                command = "timeout 10 %s -c %s%s" % (words[0], shlex.quote(self.server.config),
                                                     command.strip()[len(words[0]):])
            elif words and words[0] in ("build/smtpd", "build/pop3d"):
                overrides = [words[i + 1] for i, w in enumerate(words[:-1]) if w == "-o"]
                self.server.start(words[0].split("/")[1], overrides)
                say("  restarted %s %s" % (words[0], " ".join("-o " + o for o in overrides)))
                continue
            output = self.run_command(self.server.rewrite(command))
            # What a command created as root must stay usable by the daemons' user.
            self.server.give_tree()
            # A person types slower than this: let the server see closed connections
            # (and end their threads) before the next command.
            for daemon in ("smtpd", "pop3d"):
                self.server.wait_idle(daemon, 1 if self.open_daemon == daemon else 0)
            output = output.replace(self.server.root + "/", "var/")
            for service, port in self.server.ports.items():
                output = re.sub(r"\b%d\b" % port, str(STUDENT_PORTS[service]), output)
            actual = output.split("\n")
            if actual and actual[-1] == "":
                actual.pop()
            if not lines_match(expected, actual):
                raise CheckFailed("README line %d: `%s`\n--- expected\n%s\n--- got\n%s"
                                  % (block.line_number, command, "\n".join(expected), output))
            self.checked += 1

    def run(self, hooks=None):
        """Play every block in order; a block marked manual calls hooks[its first flag]."""
        hooks = hooks or {}
        for block in self.blocks:
            if block.has("manual"):
                name = [f for f in block.flags if f not in STUDENT_PORTS and f != "manual"]
                key = name[0] if name else None
                if key not in hooks:
                    raise CheckFailed("README line %d: manual block %r has no hook"
                                      % (block.line_number, key))
                hooks[key](self, block)
                continue
            if block.kind == "transcript":
                self.play_transcript(block)
            else:
                self.play_console(block)
        say("  README %s: %d blocks, %d lines compared with the server"
            % (os.path.relpath(self.readme, REPO), len(self.blocks), self.checked))


def main_check(readme, body, settings=None):
    """Run body(server, runner) on a fresh server; print PASS/FAIL and exit accordingly."""
    name = os.path.basename(os.path.dirname(os.path.abspath(readme)))
    # SIGTERM (run-checks.sh's timeout) unwinds like an error, so the daemons are stopped.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    server = None
    status = 1
    try:
        server = Server(settings)
        server.start_all()
        runner = Runner(server, readme)
        body(server, runner)
        status = 0
    except (CheckFailed, subprocess.TimeoutExpired, OSError, subprocess.CalledProcessError) as e:
        say("FAIL %s: %s" % (name, e))
        if server is not None:
            for daemon in ("smtpd", "pop3d"):
                tail = server.log_text(daemon).splitlines()[-25:]
                if tail:
                    say("  --- last lines of %s's log:" % daemon)
                    for line in tail:
                        say("  " + line)
    finally:
        if server is not None:
            server.cleanup()
    if status == 0:
        say("PASS %s" % name)
    sys.exit(status)


# ---- command line, for labs/lib.sh -----------------------------------------------------------------

def cli(argv):
    if len(argv) >= 2 and argv[1] == "start":
        overrides = [argv[i + 1] for i in range(2, len(argv) - 1) if argv[i] == "-o"]
        server = Server()
        try:
            server.start_all(overrides)
        except CheckFailed as e:
            print("echo %s >&2; false" % shlex.quote("labtool: %s" % e))
            server.cleanup()
            return 1
        # The daemons outlive this process; lab_stop ends them by PID.
        for daemon, proc in server.procs.items():
            with open(os.path.join(server.root, daemon + ".pid"), "w") as f:
                f.write("%d\n" % proc.pid)
        print("LAB_ROOT=%s" % shlex.quote(server.root))
        print("LAB_SMTP_PORT=%d LAB_SUBMISSION_PORT=%d LAB_POP3_PORT=%d"
              % (server.ports["smtp"], server.ports["submission"], server.ports["pop3"]))
        print("LAB_SMTPD_PID=%d LAB_POP3D_PID=%d"
              % (server.procs["smtpd"].pid, server.procs["pop3d"].pid))
        return 0
    if len(argv) == 3 and argv[1] == "stop":
        root = argv[2]
        for daemon in ("smtpd", "pop3d"):
            try:
                with open(os.path.join(root, daemon + ".pid")) as f:
                    pid = int(f.read())
            except (OSError, ValueError):
                continue
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(150):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
        if os.path.basename(root).startswith("lab-") and not os.environ.get("LAB_KEEP"):
            shutil.rmtree(root, ignore_errors=True)
        return 0
    if len(argv) == 4 and argv[1] == "chat":
        chat = Chat(int(argv[3]), host=argv[2])
        data = sys.stdin.read().replace("\r\n", "\n").replace("\n", "\r\n")
        chat.send(data)
        chat.sock.shutdown(socket.SHUT_WR)
        chat.sock.settimeout(10)
        while True:
            try:
                chunk = chat.sock.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            sys.stdout.write(chunk.decode("utf-8", "replace").replace("\r\n", "\n"))
        return 0
    sys.stderr.write(__doc__)
    return 64


if __name__ == "__main__":
    sys.exit(cli(sys.argv))
