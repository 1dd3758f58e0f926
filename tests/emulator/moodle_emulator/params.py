# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moodle's external API parameter descriptions, clean_param() and validate_parameters()."""

from __future__ import annotations

import re

from .errors import InvalidParameter

VALUE_REQUIRED = 1
VALUE_OPTIONAL = 2
VALUE_DEFAULT = 0

PARAM_INT = 'int'
PARAM_BOOL = 'bool'
PARAM_RAW = 'raw'
PARAM_RAW_TRIMMED = 'raw_trimmed'
PARAM_USERNAME = 'username'
PARAM_NOTAGS = 'notags'
PARAM_TEXT = 'text'
PARAM_ALPHA = 'alpha'
PARAM_ALPHAEXT = 'alphaext'
PARAM_ALPHANUMEXT = 'alphanumext'
PARAM_SAFEDIR = 'safedir'
PARAM_EMAIL = 'email'
PARAM_LANG = 'lang'
PARAM_THEME = 'theme'
PARAM_TIMEZONE = 'timezone'
PARAM_AUTH = 'auth'
PARAM_SEQUENCE = 'sequence'
PARAM_PLUGIN = 'plugin'

# The installed authentication plugins: exists_auth_plugin() (lib/moodlelib.php) and core_component::get_plugin_list('auth')
# look for the auth/ directories of the tree. 4.5.5+ has auth/cas and auth/mnet; 5.1+ has neither (ls public/auth).
AUTH_PLUGINS_45 = ('cas', 'db', 'email', 'ldap', 'lti', 'manual', 'mnet', 'nologin', 'none', 'oauth2', 'shibboleth',
                   'webservice')
AUTH_PLUGINS_51 = ('db', 'email', 'ldap', 'lti', 'manual', 'nologin', 'none', 'oauth2', 'shibboleth', 'webservice')
AUTH_PLUGINS = AUTH_PLUGINS_51
THEMES = ('boost', 'classic')

_EMAIL_RE = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")
_TIMEZONE_RE = re.compile(r'^(([+-]?(0?[0-9](\.[5|0])?|1[0-3](\.0)?|1[0-2]\.5))|(99)|[A-Za-z0-9]+(/?[A-Za-z_-])+)$')
_TAG_RE = re.compile(r'<[^\s<>][^>]*>?')
_INT_RE = re.compile(r'^\s*([+-]?[0-9]+)')
PHP_INT_MAX = 9223372036854775807


def php_str(value):
    """(string)$value in PHP."""
    if value is True:
        return '1'
    if value is False or value is None:
        return ''
    return str(value)


def php_int(value):
    """(int)$value in PHP for the scalars a request can carry."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if value is None:
        return 0
    match = _INT_RE.match(str(value))
    if not match:
        return 0
    return max(-PHP_INT_MAX - 1, min(PHP_INT_MAX, int(match.group(1))))


def validate_email(address):
    """Moodle's validate_email() (PHPMailer html5 pattern)."""
    if not address or not isinstance(address, str):
        return False
    return bool(_EMAIL_RE.match(address))


def clean_param(value, ptype, langs=('en',), auths=AUTH_PLUGINS):
    """Moodle's clean_param() for the types this emulator's functions use (langs: the installed languages; auths: the
    installed authentication plugins, Site.auth_plugins())."""
    if ptype == PARAM_INT:
        return php_int(value)
    if ptype == PARAM_BOOL:
        text = php_str(value).lower()
        if text in ('on', 'yes', 'true'):
            return 1
        if text in ('off', 'no', 'false'):
            return 0
        return 0 if text in ('', '0') else 1
    text = php_str(value)
    if ptype == PARAM_RAW:
        return text
    if ptype == PARAM_RAW_TRIMMED:
        return text.strip()
    if ptype == PARAM_USERNAME:
        text = text.strip().lower().replace(' ', '')
        return re.sub(r'[^-.@_a-z0-9]', '', text)
    if ptype in (PARAM_NOTAGS, PARAM_TEXT):
        return _TAG_RE.sub('', text)
    if ptype == PARAM_ALPHA:
        return re.sub(r'[^a-zA-Z]', '', text)
    if ptype == PARAM_ALPHAEXT:
        return re.sub(r'[^a-zA-Z_-]', '', text)
    if ptype in (PARAM_ALPHANUMEXT, PARAM_SAFEDIR):
        return re.sub(r'[^a-zA-Z0-9_-]', '', text)
    if ptype == PARAM_SEQUENCE:
        return re.sub(r'[^0-9,]', '', text)
    if ptype == PARAM_EMAIL:
        return text if validate_email(text) else ''
    if ptype == PARAM_LANG:
        return text if text in langs else ''
    if ptype == PARAM_THEME:
        return text if text in THEMES else ''
    if ptype == PARAM_TIMEZONE:
        return text if _TIMEZONE_RE.match(text) else ''
    if ptype == PARAM_PLUGIN:
        return text if re.match(r'^[a-z][a-z0-9_]*$', text) and '__' not in text else ''
    if ptype == PARAM_AUTH:
        # param::clean_param_value_auth() (lib/classes/param.php:1220, 4.5 and 5.1): '' unless exists_auth_plugin().
        return text if text in auths else ''
    raise ValueError('unsupported PARAM type %s' % ptype)


class Value:
    """external_value."""

    def __init__(self, ptype, required=VALUE_REQUIRED, default=None, allownull=False):
        self.type = ptype
        self.required = required
        self.default = default
        self.allownull = allownull


class Single:
    """external_single_structure (keys in Moodle's declaration order)."""

    def __init__(self, keys, required=VALUE_REQUIRED, default=None):
        self.keys = list(keys.items()) if isinstance(keys, dict) else list(keys)
        self.required = required
        self.default = default


class Multiple:
    """external_multiple_structure."""

    def __init__(self, content, required=VALUE_REQUIRED, default=None):
        self.content = content
        self.required = required
        self.default = default


def _print_r(value):
    if isinstance(value, dict):
        return 'Array'
    return php_str(value)


def validate_parameters(desc, params, langs=('en',), auths=AUTH_PLUGINS):
    """external_api::validate_parameters(): returns the cleaned structure or raises InvalidParameter."""
    if isinstance(desc, Value):
        if isinstance(params, (dict, list)):
            raise InvalidParameter('Scalar type expected, array or object received.')
        if desc.type == PARAM_BOOL and (isinstance(params, bool) or params in (0, 1, '0', '1')):
            return bool(int(params))
        debuginfo = 'Invalid external api parameter: the value is "%s", the server was expecting "%s" type' % (php_str(params), desc.type)
        if params is None:
            if desc.allownull:
                return None
            raise InvalidParameter(debuginfo)
        cleaned = clean_param(params, desc.type, langs, auths)
        if php_str(params) != php_str(cleaned):
            raise InvalidParameter(debuginfo)
        if desc.type == PARAM_BOOL:
            return bool(cleaned)
        return cleaned
    if isinstance(desc, Single):
        if not isinstance(params, dict):
            raise InvalidParameter("Only arrays accepted. The bad value is: '%s'" % _print_r(params))
        remaining = dict(params)
        result = {}
        for key, sub in desc.keys:
            if key not in remaining:
                if sub.required == VALUE_REQUIRED:
                    raise InvalidParameter('Missing required key in single structure: ' + key)
                if sub.required == VALUE_DEFAULT:
                    default = sub.default
                    if isinstance(sub, Multiple) and default is None:
                        default = {}
                    try:
                        result[key] = validate_parameters(sub, default, langs, auths)
                    except InvalidParameter as exc:
                        raise InvalidParameter('%s => %s: %s' % (key, exc.message, exc.debuginfo)) from None
            else:
                try:
                    result[key] = validate_parameters(sub, remaining[key], langs, auths)
                except InvalidParameter as exc:
                    raise InvalidParameter('%s => %s: %s' % (key, exc.message, exc.debuginfo)) from None
            remaining.pop(key, None)
        if remaining:
            raise InvalidParameter('Unexpected keys (%s) detected in parameter array.' % ', '.join(str(k) for k in remaining))
        return result
    if isinstance(desc, Multiple):
        if isinstance(params, list):
            items = params
        elif isinstance(params, dict):
            items = list(params.values())
        else:
            raise InvalidParameter("Only arrays accepted. The bad value is: '%s'" % _print_r(params))
        return [validate_parameters(desc.content, item, langs, auths) for item in items]
    raise ValueError('bad description')
