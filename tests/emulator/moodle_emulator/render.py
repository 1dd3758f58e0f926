# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Answer bodies as Moodle's REST server writes them (json_encode / xmlize_result)."""

from __future__ import annotations

import json

from .registry import OMIT

JSON_TYPE = 'application/json'
XML_TYPE = 'application/xml; charset=utf-8'
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" ?>\n'


def strip_omitted(value):
    """Drop optional keys that JSON answers leave out."""
    if isinstance(value, dict):
        return {k: strip_omitted(v) for k, v in value.items() if v is not OMIT}
    if isinstance(value, list):
        return [strip_omitted(v) for v in value]
    return value


def php_json(value):
    """json_encode(): ASCII only, slashes escaped, no spaces."""
    return json.dumps(strip_omitted(value), ensure_ascii=True, separators=(',', ':')).replace('/', '\\/')


def _escape(text):
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;').replace('"', '&quot;')


def _xml_value(value):
    if value is None or value is OMIT:
        return '<VALUE null="null"/>\n'
    if isinstance(value, bool):
        value = int(value)
    return '<VALUE>%s</VALUE>\n' % _escape(str(value))


def xmlize(value):
    """xmlize_result() driven by the data (optional keys kept as OMIT render as null)."""
    if isinstance(value, dict):
        parts = ['<SINGLE>\n']
        for key, sub in value.items():
            parts.append('<KEY name="%s">%s</KEY>\n' % (key, xmlize(sub)))
        parts.append('</SINGLE>\n')
        return ''.join(parts)
    if isinstance(value, list):
        return '<MULTIPLE>\n' + ''.join(xmlize(v) for v in value) + '</MULTIPLE>\n'
    return _xml_value(value)


def success(result, fmt):
    """(content type, body) for a function's return value."""
    if fmt == 'json':
        return JSON_TYPE, php_json(result)
    inner = '' if result is None else xmlize(result)
    return XML_TYPE, XML_HEAD + '<RESPONSE>\n' + inner + '</RESPONSE>\n'


def error(exception_class, errorcode, message, debuginfo, fmt):
    """(content type, body) for an exception."""
    if fmt == 'json':
        body = {'exception': exception_class, 'errorcode': errorcode, 'message': message}
        if errorcode is None:
            # A PHP Error: Moodle has no errorcode to give.
            del body['errorcode']
        if debuginfo is not None:
            body['debuginfo'] = debuginfo
        return JSON_TYPE, php_json(body)
    parts = [XML_HEAD, '<EXCEPTION class="%s">\n' % exception_class]
    if errorcode is not None:
        parts.append('<ERRORCODE>%s</ERRORCODE>\n' % _escape(errorcode))
    parts.append('<MESSAGE>%s</MESSAGE>\n' % _escape(message))
    if debuginfo is not None:
        parts.append('<DEBUGINFO>%s</DEBUGINFO>\n' % _escape(debuginfo))
    parts.append('</EXCEPTION>\n')
    return XML_TYPE, ''.join(parts)


def html_page(title, body_html):
    """A small HTML page."""
    return ('<!DOCTYPE html>\n<html dir="ltr" lang="en" xml:lang="en">\n<head>\n<title>%s</title>\n'
            '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n</head>\n<body>\n%s\n</body>\n</html>\n'
            % (title, body_html))


NOT_FOUND_PAGE = ('<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n'
                  '</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n'
                  '<hr>\n<address>Apache/2.4.62 (Debian) Server at moodle.example.test Port 443</address>\n</body></html>\n')

MAINTENANCE_PAGE = html_page(
    'Site under maintenance',
    '<div id="page"><div role="main"><div class="box py-3 generalbox maintenancewarning">'
    '<h2>Site under maintenance</h2>\n<p>This site is undergoing maintenance at the moment and is not available.</p>'
    '</div></div></div>')

SERVER_ERROR_PAGE = ('<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>500 Internal Server Error</title>\n'
                     '</head><body>\n<h1>Internal Server Error</h1>\n<p>The server encountered an internal error or\n'
                     'misconfiguration and was unable to complete\nyour request.</p>\n</body></html>\n')

BAD_GATEWAY_PAGE = ('<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n'
                    '<hr><center>nginx</center>\n</body>\n</html>\n')

LOGIN_PAGE = html_page(
    'Moodle Test Site: Log in to the site',
    '<div id="page-login-index"><form action="/login/index.php" method="post" id="login">'
    '<input type="text" name="username" id="username"><input type="password" name="password" id="password">'
    '<button type="submit" id="loginbtn">Log in</button></form></div>')
