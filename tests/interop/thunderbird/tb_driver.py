# SPDX-License-Identifier: MIT
"""tb_driver.py - drive the real Thunderbird headless through Marionette.

Thunderbird has no command line for "get messages" or "send", so the test
starts it with its Marionette remote protocol on and runs chrome-privileged
JavaScript inside it: the same calls the toolbar buttons make. Marionette is
a JSON-over-TCP protocol: every packet is "<byte length>:<json>", a command
is [0, id, name, params] and its answer [1, id, error, result]; the server
speaks first with {"applicationType": ..., "marionetteProtocol": 3}. A chrome
context needs --remote-allow-system-access in Thunderbird 153.

The profile is written fresh into a temporary directory: one POP3 account,
Local Folders, one SMTP server, connection security none, every feature that
would talk to the Internet switched off. Passwords cannot be given as prefs
(and logins.json is encrypted), so they are set in memory on the server
objects once Thunderbird runs.

Thunderbird reports errors in modal dialogs; a headless run has nobody to
click them. The driver replaces Services.prompt with a recorder that answers
every dialog with its Cancel button and keeps the title and text, watches for
native dialog windows the same way, and listens to the mail session's alerts.
Every result carries those texts: they are what a user would have seen.

Python standard library only.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import time

THUNDERBIRD = os.environ.get("THUNDERBIRD", "thunderbird")

# nsMsgAuthMethod values (mailnews/base/public/MailNewsTypes2.idl).
AUTH_NORMAL = 3       # "Normal password": PLAIN, LOGIN, USER/PASS
AUTH_ENCRYPTED = 4    # "Encrypted password": CRAM-MD5, APOP

# nsMsgMessageFlags.Partial: the mbox copy holds only what TOP returned.
FLAG_PARTIAL = 0x400


class MarionetteError(Exception):
    pass


class Marionette:
    """A minimal Marionette client: framing, commands, chrome scripts."""

    def __init__(self, port, deadline):
        last = None
        while time.monotonic() < deadline:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError as error:
                last = error
                time.sleep(0.25)
        else:
            raise MarionetteError("no Marionette on port %d: %s" % (port, last))
        self.buffer = b""
        self.next_id = 0
        hello = self._receive(30)
        if hello.get("marionetteProtocol") != 3:
            raise MarionetteError("unexpected Marionette greeting %r" % hello)

    def _receive(self, timeout):
        self.sock.settimeout(timeout)
        while b":" not in self.buffer:
            self._fill()
        length, rest = self.buffer.split(b":", 1)
        length = int(length)
        self.buffer = rest
        while len(self.buffer) < length:
            self._fill()
        packet, self.buffer = self.buffer[:length], self.buffer[length:]
        return json.loads(packet)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise MarionetteError("Marionette closed the connection")
        self.buffer += data

    def command(self, name, params=None, timeout=60):
        self.next_id += 1
        body = json.dumps([0, self.next_id, name, params or {}]).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body)
        while True:
            reply = self._receive(timeout)
            if reply[0] == 1 and reply[1] == self.next_id:
                break
        if reply[2]:
            error = reply[2]
            raise MarionetteError("%s: %s: %s" % (name, error.get("error"),
                                                  error.get("message")))
        return reply[3]

    def script(self, source, args=(), timeout=60):
        """Run source (a function body; arguments[] holds args) in chrome."""
        result = self.command("WebDriver:ExecuteScript",
                              {"script": source, "args": list(args)}, timeout)
        return result.get("value") if isinstance(result, dict) else result

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def js_pref(name, value):
    return "user_pref(%s, %s);\n" % (json.dumps(name), json.dumps(value))


# Prefs that keep Thunderbird off the network and free of first-run screens.
QUIET_PREFS = {
        "app.update.auto": False,
        "app.update.disabledForTesting": True,
        "app.update.enabled": False,
        "app.normandy.enabled": False,
        "browser.region.update.enabled": False,
        "browser.region.network.url": "",
        "browser.safebrowsing.malware.enabled": False,
        "browser.safebrowsing.phishing.enabled": False,
        "browser.safebrowsing.downloads.enabled": False,
        "browser.safebrowsing.provider.mozilla.updateURL": "",
        "captivedetect.canonicalURL": "",
        "datareporting.healthreport.uploadEnabled": False,
        "datareporting.policy.dataSubmissionEnabled": False,
        "datareporting.policy.firstRunURL": "",
        "dom.push.connection.enabled": False,
        "dom.push.serverURL": "",
        "extensions.blocklist.enabled": False,
        "extensions.getAddons.cache.enabled": False,
        "extensions.systemAddon.update.enabled": False,
        "extensions.update.enabled": False,
        "extensions.update.autoUpdateDefault": False,
        "geo.provider.network.url": "",
        "mail.cloud_files.enabled": False,
        "mail.inappnotifications.enabled": False,
        "mail.inappnotifications.url": "",
        "mail.instrumentation.postUrl": "",
        "mail.instrumentation.askUser": False,
        "mail.openpgp.fetch_pubkeys_from_gnupg": False,
        "mail.provider.enabled": False,
        "mail.provider.suppress_dialog_on_startup": True,
        "mail.rights.version": 1,
        "mail.shell.checkDefaultClient": False,
        "mail.spotlight.firstRunDone": True,
        "mail.startup.enabledMailCheckOnce": True,
        "mail.biff.play_sound": False,
        "mail.biff.show_alert": False,
        "mail.biff.show_tray_icon": False,
        "mail.biff.use_system_alert": False,
        "mailnews.auto_config_url": "",
        "mailnews.auto_config.addons_url": "",
        "mailnews.auto_config.fetchFromExchange.enabled": False,
        "mailnews.auto_config.fetchFromISP.enabled": False,
        "mailnews.auto_config.guess.enabled": False,
        "mailnews.mx_service_url": "",
        "mailnews.start_page.enabled": False,
        "mailnews.start_page.url": "about:blank",
        "mailnews.start_page.override_url": "",
        "mailnews.message_display.disable_remote_image": True,
        "mail.chat.enabled": False,
        "messenger.startup.action": 0,
        "network.captive-portal-service.enabled": False,
        "network.connectivity-service.enabled": False,
        "network.dns.disablePrefetch": True,
        "network.prefetch-next": False,
        "network.proxy.type": 0,
        "network.trr.mode": 5,
        "services.settings.server": "data:,#remote-settings-off",
        "toolkit.telemetry.enabled": False,
        "toolkit.telemetry.server": "",
        "toolkit.telemetry.archive.enabled": False,
        "toolkit.telemetry.unified": False,
        "toolkit.telemetry.reportingpolicy.firstRun": False,
        "calendar.timezone.useSystemTimezone": True,
        "browser.shell.checkDefaultBrowser": False,
        # Fail in seconds, not minutes, if a daemon hangs.
        "mailnews.tcptimeout": 30,
        # The client-side protocol log goes to Thunderbird's stdout.
        "mailnews.pop3.loglevel": "All",
        "mailnews.smtp.loglevel": "All",
        "devtools.console.stdout.chrome": True,
        "browser.dom.window.dump.enabled": True,
        # Native dialogs as windows (caught by the window watcher), not sheets.
        "prompts.windowPromptSubDialog": False,
}


class Thunderbird:
    """One Thunderbird process on a fresh profile with one POP3 account."""

    def __init__(self, workdir, pop3_port, smtp_port, user, email, auth=AUTH_NORMAL,
                 leave_on_server=False, headers_only=False, smtp_auth=None):
        self.workdir = workdir
        self.profile = os.path.join(workdir, "profile")
        self.log_path = os.path.join(workdir, "thunderbird.log")
        self.pop3_port = pop3_port
        self.smtp_port = smtp_port
        self.user = user
        self.email = email
        self.auth = auth
        self.smtp_auth = auth if smtp_auth is None else smtp_auth
        self.leave_on_server = leave_on_server
        self.headers_only = headers_only
        self.process = None
        self.marionette = None
        self.server_dir = os.path.join(self.profile, "Mail", "127.0.0.1")

    # ---- profile -------------------------------------------------------

    def write_profile(self):
        os.makedirs(os.path.join(self.profile, "Mail", "Local Folders"), exist_ok=True)
        os.makedirs(self.server_dir, exist_ok=True)
        prefs = dict(QUIET_PREFS)
        prefs.update({
                # 0: any free port, written to <profile>/MarionetteActivePort.
                "marionette.port": 0,
                "mail.accountmanager.accounts": "account1,account2",
                "mail.accountmanager.defaultaccount": "account1",
                "mail.accountmanager.localfoldersserver": "server2",
                "mail.account.account1.identities": "id1",
                "mail.account.account1.server": "server1",
                "mail.account.account2.server": "server2",
                "mail.identity.id1.fullName": self.user,
                "mail.identity.id1.useremail": self.email,
                "mail.identity.id1.smtpServer": "smtp1",
                "mail.identity.id1.compose_html": False,
                "mail.identity.id1.valid": True,
                "mail.server.server1.type": "pop3",
                "mail.server.server1.hostname": "127.0.0.1",
                "mail.server.server1.port": self.pop3_port,
                "mail.server.server1.userName": self.user,
                "mail.server.server1.name": "%s@127.0.0.1" % self.user,
                "mail.server.server1.directory-rel": "[ProfD]Mail/127.0.0.1",
                "mail.server.server1.socketType": 0,
                "mail.server.server1.authMethod": self.auth,
                "mail.server.server1.leave_on_server": self.leave_on_server,
                "mail.server.server1.headers_only": self.headers_only,
                "mail.server.server1.delete_mail_left_on_server": False,
                "mail.server.server1.login_at_startup": False,
                "mail.server.server1.check_new_mail": False,
                "mail.server.server1.download_on_biff": False,
                "mail.server.server1.limit_offline_message_size": False,
                "mail.server.server2.type": "none",
                "mail.server.server2.hostname": "Local Folders",
                "mail.server.server2.userName": "nobody",
                "mail.server.server2.name": "Local Folders",
                "mail.server.server2.directory-rel": "[ProfD]Mail/Local Folders",
                "mail.smtpservers": "smtp1",
                "mail.smtp.defaultserver": "smtp1",
                "mail.smtpserver.smtp1.hostname": "127.0.0.1",
                "mail.smtpserver.smtp1.port": self.smtp_port,
                "mail.smtpserver.smtp1.username": self.user,
                "mail.smtpserver.smtp1.authMethod": self.smtp_auth,
                "mail.smtpserver.smtp1.try_ssl": 0,
                "mail.smtpserver.smtp1.description": "project smtpd",
        })
        with open(os.path.join(self.profile, "user.js"), "w") as out:
            for name in sorted(prefs):
                out.write(js_pref(name, prefs[name]))

    # ---- process -------------------------------------------------------

    def start(self, timeout=90):
        self.write_profile()
        deadline = time.monotonic() + timeout
        env = dict(os.environ)
        env.update({"MOZ_HEADLESS": "1", "MOZ_CRASHREPORTER_DISABLE": "1",
                    "MOZ_DISABLE_AUTO_SAFE_MODE": "1", "TZ": env.get("TZ", "UTC")})
        env.pop("DISPLAY", None)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                    [THUNDERBIRD, "--headless", "--marionette", "--remote-allow-system-access",
                     "-profile", self.profile, "--no-remote"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                    start_new_session=True)
        self.marionette = Marionette(self._marionette_port(deadline), deadline)
        self.marionette.command("WebDriver:NewSession", {"capabilities": {"alwaysMatch": {}}})
        self.marionette.command("Marionette:SetContext", {"value": "chrome"})
        self._wait_ready(deadline)
        self.script(INSTALL_HOOKS_JS)

    def _marionette_port(self, deadline):
        path = os.path.join(self.profile, "MarionetteActivePort")
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise MarionetteError("Thunderbird exited with status %d at start-up (see %s)"
                                      % (self.process.returncode, self.log_path))
            try:
                with open(path) as active:
                    return int(active.read().strip())
            except (FileNotFoundError, ValueError):
                time.sleep(0.1)
        raise MarionetteError("Thunderbird did not start Marionette (see %s)" % self.log_path)

    def _wait_ready(self, deadline):
        while time.monotonic() < deadline:
            try:
                ready = self.script(
                        "const w = Services.wm.getMostRecentWindow('mail:3pane');"
                        "return !!(w && w.document.readyState == 'complete' && w.msgWindow"
                        " && MailServices.accounts.getIncomingServer('server1'));")
            except MarionetteError:
                ready = False
            if ready:
                return
            time.sleep(0.25)
        raise MarionetteError("Thunderbird's main window did not become ready")

    def script(self, source, args=(), timeout=60):
        return self.marionette.script(source, args, timeout)

    def stop(self):
        if self.marionette:
            try:
                self.marionette.command("Marionette:Quit", {"flags": ["eForceQuit"]}, 20)
            except (MarionetteError, OSError):
                pass
            self.marionette.close()
            self.marionette = None
        if self.process:
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
            self.process = None

    # ---- actions -------------------------------------------------------

    def set_passwords(self, pop3_password, smtp_password=None):
        """Passwords live in memory only, as if typed into the prompt."""
        self.script("""
const [pop3, smtp] = arguments;
MailServices.accounts.getIncomingServer('server1').password = pop3;
MailServices.outgoingServer.getServerByKey('smtp1').password = smtp;
""", [pop3_password, smtp_password if smtp_password is not None else pop3_password])

    def configure(self, **settings):
        """Change POP3 account settings at run time (auth, leave_on_server, headers_only)."""
        self.script("""
const [s] = arguments;
const server = MailServices.accounts.getIncomingServer('server1');
if ('auth' in s) server.authMethod = s.auth;
if ('leave_on_server' in s) server.setBoolValue('leave_on_server', s.leave_on_server);
if ('headers_only' in s) server.setBoolValue('headers_only', s.headers_only);
if ('smtp_auth' in s) {
  // SmtpClient objects are pooled and read authMethod once, when created.
  const smtp = MailServices.outgoingServer.getServerByKey('smtp1');
  smtp.authMethod = s.smtp_auth;
  smtp.closeCachedConnections();
}
""", [settings])

    def dialogs(self):
        return self._retry(lambda: self.script("return Services.tbDriver.dialogs.slice();"))

    def _retry(self, action, timeout=15):
        """Run action; while a modal dialog is up (Marionette refuses commands
        then), wait for the hooks to dismiss it and try again."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return action()
            except MarionetteError:
                if time.monotonic() >= deadline:
                    raise
                try:
                    self.marionette.command("WebDriver:DismissAlert", {}, 10)
                except MarionetteError:
                    pass
                time.sleep(0.2)

    def _operation(self, source, args, timeout):
        """Start an operation in Thunderbird and poll for its result. A modal
        dialog ends a waiting Marionette script early, so nothing waits
        inside Thunderbird: the script stores its result, Python polls."""
        before = len(self.dialogs())
        op = self._retry(lambda: self.script(source, args))
        deadline = time.monotonic() + timeout + 10
        result = None
        while result is None and time.monotonic() < deadline:
            time.sleep(0.1)
            result = self._retry(lambda: self.script(
                    "return Services.tbDriver.ops[arguments[0]];", [op]))
        if result is None:
            result = {"ok": False, "why": "no answer from Thunderbird", "status": 0x80004005}
        result["dialogs"] = self.dialogs()[before:]
        return result

    def get_messages(self, timeout=60):
        """Press "Get Messages" for the POP3 account; wait for the end of the fetch."""
        return self._operation(GET_MESSAGES_JS, [int(timeout * 1000)], timeout)

    def send(self, to, subject, body, timeout=90):
        """Compose a plain-text message in a compose window and press Send."""
        return self._operation(SEND_JS, [to, subject, body, int(timeout * 1000)], timeout)

    # ---- outcome, from the profile's own files --------------------------

    def inbox_path(self):
        return os.path.join(self.server_dir, "Inbox")

    def inbox_messages(self):
        """The Inbox mbox as a list of (x_mozilla_status, message bytes)."""
        try:
            with open(self.inbox_path(), "rb") as mbox:
                data = mbox.read()
        except FileNotFoundError:
            return []
        return parse_mbox(data)

    def popstate(self):
        """popstate.dat as a list of (flag, uidl) for the one server."""
        path = os.path.join(self.server_dir, "popstate.dat")
        entries = []
        try:
            with open(path, "r", encoding="latin-1") as state:
                for line in state:
                    parts = line.split()
                    if len(parts) >= 2 and parts[0] in ("k", "d", "b", "f"):
                        entries.append((parts[0], parts[1]))
        except FileNotFoundError:
            pass
        return entries

    def client_log(self, limit=80):
        """Thunderbird's own POP3/SMTP log lines from its stdout."""
        try:
            with open(self.log_path, "r", encoding="utf-8", errors="replace") as log:
                lines = [line.rstrip("\n") for line in log
                         if "pop3" in line.lower() or "smtp" in line.lower()
                         or "tbDriver" in line]
        except FileNotFoundError:
            return []
        return lines[-limit:]

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def parse_mbox(data):
    """Split an mbox written by Thunderbird into (status flags, message)."""
    messages = []
    current = None
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    previous_blank = True
    for line in lines:
        if line.startswith(b"From ") and previous_blank:
            if current is not None:
                messages.append(current)
            current = []
        elif current is not None:
            current.append(line)
        previous_blank = line in (b"", b"\r")
    if current is not None:
        messages.append(current)
    result = []
    for message in messages:
        if message and message[-1] in (b"", b"\r"):
            message = message[:-1]    # the blank separator line of mboxo
        text = b"\n".join(message) + b"\n"
        status = 0
        for line in message:
            if line in (b"", b"\r"):
                break
            if line.lower().startswith(b"x-mozilla-status:"):
                status = int(line.split(b":", 1)[1].strip() or b"0", 16)
        result.append((status, text))
    return result


INSTALL_HOOKS_JS = r"""
if (Services.tbDriver) return true;
const captured = [];
Services.tbDriver = { dialogs: captured, ops: {}, next: 1 };
const record = entry => {
  captured.push(entry);
  dump("tbDriver dialog: " + JSON.stringify(entry) + "\n");
};
const bag = values => {
  const b = Cc["@mozilla.org/hash-property-bag;1"].createInstance(Ci.nsIWritablePropertyBag2);
  for (const [k, v] of Object.entries(values)) {
    if (typeof v == "boolean") b.setPropertyAsBool(k, v);
    else if (typeof v == "number") b.setPropertyAsUint32(k, v);
    else b.setPropertyAsAString(k, v);
  }
  return b;
};
const cancelButton = flags => {
  for (let i = 0; i < 3; i++) {
    if (((flags >>> (8 * i)) & 0xff) == Ci.nsIPrompt.BUTTON_TITLE_CANCEL) return i;
  }
  return 1;
};
// Every nsIPromptService method: BC and async variants take (browsingContext,
// modalType, ...), the others (parentWindow, ...). Each is answered "Cancel".
const handler = name => function (...args) {
  const offset = (name.endsWith("BC") || name.startsWith("async")) ? 2 : 1;
  const base = name.replace(/^async/, "").replace(/BC$/, "").toLowerCase();
  const entry = { kind: base, title: String(args[offset] ?? ""),
                  text: String(args[offset + 1] ?? "") };
  let answer = false;
  if (base == "alert" || base == "alertcheck") {
    answer = undefined;
  } else if (base == "confirmex") {
    const flags = args[offset + 2];
    answer = cancelButton(flags);
    entry.buttons = [args[offset + 3], args[offset + 4], args[offset + 5]].map(x => x ?? null);
    entry.answered = answer;
  } else if (base == "promptauth") {
    entry.title = ""; entry.text = "(authentication prompt)";
  }
  record(entry);
  if (name.startsWith("async")) {
    if (answer === undefined) return Promise.resolve();
    const button = typeof answer == "number" ? answer : 1;
    return Promise.resolve(bag({ ok: false, buttonNumClicked: button, checked: false }));
  }
  return answer;
};
const real = Services.prompt;
const fake = new Proxy({}, {
  get(target, name) {
    if (name == "QueryInterface") return ChromeUtils.generateQI(["nsIPromptService"]);
    if (typeof name != "string") return undefined;
    if (typeof real[name] == "function") return handler(name);
    return real[name];
  },
});
Services.prompt = fake;
// Dialogs raised from C++ go through the prompt service component and open a
// commonDialog window: record its text and cancel it.
Services.ww.registerNotification({
  observe(subject, topic) {
    if (topic != "domwindowopened") return;
    const win = subject;
    win.addEventListener("load", () => {
      const href = win.location.href;
      if (!href.includes("commonDialog")) {
        dump("tbDriver window: " + href + "\n");
        return;
      }
      const doc = win.document;
      record({ kind: "window", title: doc.title || "",
               text: (doc.getElementById("infoBody") || {}).textContent || "" });
      win.setTimeout(() => doc.querySelector("dialog")?.cancelDialog(), 0);
    }, { once: true });
  },
});
// Alerts routed through the mail session (e.g. connection errors).
MailServices.mailSession.addUserFeedbackListener({
  QueryInterface: ChromeUtils.generateQI(["nsIMsgUserFeedbackListener"]),
  onAlert(message) {
    record({ kind: "mail-alert", title: "", text: String(message) });
    return false;   // not handled: Thunderbird shows its own alert too
  },
  onCertError() { record({ kind: "cert-error", title: "", text: "" }); return false; },
});
return true;
"""

GET_MESSAGES_JS = r"""
const [timeoutMs] = arguments;
const id = Services.tbDriver.next++;
Services.tbDriver.ops[id] = null;
const done = result => { Services.tbDriver.ops[id] = result; };
const win = Services.wm.getMostRecentWindow("mail:3pane");
const server = MailServices.accounts.getIncomingServer("server1");
const inbox = server.rootFolder.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox);
const started = Date.now();
let finished = false;
const finish = (status, why) => {
  if (finished) return;
  finished = true;
  done({ status: status >>> 0, ok: status == 0, why, ms: Date.now() - started,
         inbox: inbox.filePath.path });
};
const timer = setTimeout(() => finish(0x80004005, "timeout"), timeoutMs);
server.getNewMessages(inbox, win.msgWindow, {
  QueryInterface: ChromeUtils.generateQI(["nsIUrlListener"]),
  OnStartRunningUrl() {},
  OnStopRunningUrl(url, status) { clearTimeout(timer); finish(status, "stopped"); },
});
return id;
"""

SEND_JS = r"""
const [to, subject, body, timeoutMs] = arguments;
const id = Services.tbDriver.next++;
Services.tbDriver.ops[id] = null;
const done = result => { Services.tbDriver.ops[id] = result; };
const started = Date.now();
const identity = MailServices.accounts.getIdentity("id1");
const fields = Cc["@mozilla.org/messengercompose/composefields;1"]
  .createInstance(Ci.nsIMsgCompFields);
fields.to = to;
fields.subject = subject;
fields.body = body;
const params = Cc["@mozilla.org/messengercompose/composeparams;1"]
  .createInstance(Ci.nsIMsgComposeParams);
params.type = Ci.nsIMsgCompType.New;
params.format = Ci.nsIMsgCompFormat.PlainText;
params.identity = identity;
params.composeFields = fields;
const dialogs = Services.tbDriver.dialogs;
const dialogsBefore = dialogs.length;
let compose = null;
let sent = false;
const onOpen = {
  observe(subject, topic) {
    if (topic != "domwindowopened") return;
    subject.addEventListener("load", () => {
      if (subject.document.documentElement.getAttribute("windowtype") == "msgcompose") {
        compose = subject;
      }
    }, { once: true });
  },
};
Services.ww.registerNotification(onOpen);
MailServices.compose.OpenComposeWindowWithParams(null, params);
let finished = false;
const finish = (ok, why) => {
  if (finished) return;
  finished = true;
  Services.ww.unregisterNotification(onOpen);
  done({ ok, why, ms: Date.now() - started });
};
const poll = () => {
  if (Date.now() - started > timeoutMs) return finish(false, "timeout");
  if (compose && !sent && compose.gMsgCompose && compose.gLoadingComplete) {
    sent = true;
    compose.goDoCommand("cmd_sendNow");
  } else if (sent && compose.closed) {
    const quiet = dialogs.length == dialogsBefore;
    return finish(quiet, quiet ? "compose window closed after send"
                               : "compose window closed after a dialog");
  } else if (sent && dialogs.length > dialogsBefore && !compose.gSendOperationInProgress) {
    return finish(false, "dialog while sending");
  }
  setTimeout(poll, 100);
};
poll();
return id;
"""
