# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A scripted HTTP server on 127.0.0.1 for the client's unit tests.

Each test sets ``server.respond = function(request) -> (status, content_type, body)`` and
reads ``server.requests``: every request received, its form fields in order.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest


class Request:
    def __init__(self, path, fields):
        self.path = path
        self.fields = fields
        self.params = dict(fields)

    @property
    def function(self):
        return self.params.get('wsfunction')


class ScriptedServer:
    def __init__(self):
        self.requests = []
        self.respond = lambda request: (200, 'application/json', '{}')
        self.delay = 0
        handler = self._handler()
        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), handler)
        self.url = 'http://127.0.0.1:%d' % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                fields = parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)
                request = Request(self.path, fields)
                server.requests.append(request)
                if server.delay:
                    time.sleep(server.delay)
                answer = server.respond(request)
                if answer is None:      # drop the connection without an answer
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                status, content_type, body = answer
                data = body.encode()
                self.send_response(status)
                self.send_header('Content-Type', content_type)
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
