# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A scripted HTTP server on 127.0.0.1 for the client's unit tests.

Each test sets ``server.respond = function(request) -> (status, content_type, body)`` (or
``(status, content_type, body, headers)``) and reads ``server.requests``: every request received,
its method and its form fields in order.  ``ScriptedServer(tls=(certfile, keyfile))`` serves
HTTPS; the ``certificates`` fixture makes self-signed certificates for 127.0.0.1.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import ipaddress
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest


class Request:
    def __init__(self, path, fields, method='POST', headers=None):
        self.path = path
        self.fields = fields
        self.params = dict(fields)
        self.method = method
        self.headers = headers or {}

    @property
    def function(self):
        return self.params.get('wsfunction')


class ScriptedServer:
    def __init__(self, tls=None):
        self.requests = []
        self.respond = lambda request: (200, 'application/json', '{}')
        self.delay = 0
        handler = self._handler()
        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), handler)
        scheme = 'http'
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            scheme = 'https'
        self.url = '%s://127.0.0.1:%d' % (scheme, self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                self.answer(Request(self.path, parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True),
                                    headers=dict(self.headers.items())))

            def do_GET(self):
                self.answer(Request(urlsplit(self.path).path, parse_qsl(urlsplit(self.path).query), method='GET',
                                    headers=dict(self.headers.items())))

            def answer(self, request):
                server.requests.append(request)
                if server.delay:
                    time.sleep(server.delay)
                answer = server.respond(request)
                if answer is None:      # drop the connection without an answer
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                status, content_type, body = answer[:3]
                data = body.encode()
                self.send_response(status)
                self.send_header('Content-Type', content_type)
                for name, value in (answer[3] if len(answer) > 3 else {}).items():
                    self.send_header(name, value)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    scripted = ScriptedServer()
    yield scripted
    scripted.stop()


@pytest.fixture
def other_server():
    """A second server: the other host a redirect may point at."""
    scripted = ScriptedServer()
    yield scripted
    scripted.stop()


def self_signed(directory, name):
    """A self-signed certificate for 127.0.0.1 and its key, as (certfile, keyfile) in ``directory``."""
    # cryptography is a requirement of ansible-core itself.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    certfile, keyfile = directory / ('%s.pem' % name), directory / ('%s.key' % name)
    certfile.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return str(certfile), str(keyfile)


@pytest.fixture(scope='session')
def certificates(tmp_path_factory):
    """{'site': (certfile, keyfile), 'other': (certfile, keyfile)}: two unrelated self-signed certificates."""
    directory = tmp_path_factory.mktemp('certificates')
    return dict((name, self_signed(directory, name)) for name in ('site', 'other'))


@pytest.fixture
def tls_server(certificates):
    scripted = ScriptedServer(tls=certificates['site'])
    yield scripted
    scripted.stop()
