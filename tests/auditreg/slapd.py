"""A throwaway OpenLDAP server for the directory-login tests: Debian's slapd with its own config
(slapd -f) and database in a temporary folder, on a free port of 127.0.0.1, run in the foreground
(-d) as a child process and stopped by the fixture. ldap-utils (ldapadd, ldapdelete, ldapmodify)
change the directory during a test, as the city's IT staff would."""

import base64
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SUFFIX = "dc=city,dc=example"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret-for-tests"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"

CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {dir}/slapd.pid
TLSCertificateFile {dir}/tls.crt
TLSCertificateKeyFile {dir}/tls.key
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{rootdn}"
rootpw {rootpw}
directory {dir}/data
index objectClass,uid,member eq
"""


def available() -> bool:
    return bool(shutil.which("slapd") or Path("/usr/sbin/slapd").exists()) and bool(shutil.which("ldapadd"))


def _slapd() -> str:
    return shutil.which("slapd") or "/usr/sbin/slapd"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ldif(entries: list[dict]) -> str:
    """LDIF text; values outside ASCII are base64 (`attr:: …`) as the LDIF standard asks."""
    blocks = []
    for entry in entries:
        lines = []
        for key, values in entry.items():
            for value in values if isinstance(values, list) else [values]:
                if value.isascii():
                    lines.append(f"{key}: {value}")
                else:
                    lines.append(f"{key}:: {base64.b64encode(value.encode()).decode()}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Slapd:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="auditreg-slapd-"))
        self.port = _free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.tls_port = _free_port()
        self.tls_url = f"ldaps://127.0.0.1:{self.tls_port}"
        self.ca_file = str(self.dir / "tls.crt")  # self-signed: the certificate is its own CA
        self.process = None

    def start(self):
        (self.dir / "data").mkdir()
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(self.dir / "tls.key"), "-out", self.ca_file],
            check=True, capture_output=True,
        )  # fmt: skip
        conf = self.dir / "slapd.conf"
        conf.write_text(CONFIG.format(dir=self.dir, suffix=SUFFIX, rootdn=ROOT_DN, rootpw=ROOT_PASSWORD))
        self.process = subprocess.Popen(
            [_slapd(), "-f", str(conf), "-h", f"{self.url}/ {self.tls_url}/", "-d", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd stopped: {self.process.stderr.read().decode(errors='replace')}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0 and _open(self.tls_port):
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("slapd did not start within 10 s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process and self.process.stderr:
            self.process.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _tool(self, tool: str, *args: str, stdin: str | None = None):
        cmd = [tool, "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD, *args]
        subprocess.run(cmd, input=stdin, text=True, check=True, capture_output=True)

    def add(self, entries: list[dict]):
        self._tool("ldapadd", stdin=ldif(entries))

    def delete(self, dn: str, recursive: bool = False):
        self._tool("ldapdelete", *(["-r"] if recursive else []), dn)

    def modify(self, text: str):
        self._tool("ldapmodify", stdin=text)

    def move(self, dn: str, new_superior: str):
        """A transfer: the person's entry moves to another OU (ldapmodify's moddn)."""
        rdn = dn.split(",", 1)[0]
        self.modify(
            ldif([{"dn": dn, "changetype": "moddn", "newrdn": rdn, "deleteoldrdn": "1", "newsuperior": new_superior}])
        )
