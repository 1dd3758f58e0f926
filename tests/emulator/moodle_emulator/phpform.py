# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Form decoding the way PHP fills $_GET and $_POST, including max_input_vars truncation.

PHP rule reproduced here (main/php_variables.c):

* the query string ($_GET) and the urlencoded body ($_POST) are parsed separately,
  each with its own counter;
* $_GET: the counter is checked *before* a variable is registered, so exactly
  max_input_vars variables survive;
* $_POST: add_post_vars() registers a variable *then* checks ``++cnt > max_input_vars``,
  so max_input_vars + 1 variables survive (5001 for a limit of 5000), whatever the
  nesting of the names;
* everything past the cut-off is silently dropped and the script runs anyway.

A request that carries one field in the URL (say wstoken) and the rest in the body keeps
1 + 5001 = 5002 fields under a limit of 5000; everything in the body keeps 5001.
"""

from __future__ import annotations

from urllib.parse import unquote_plus


def split_pairs(raw, post):
    """Split an urlencoded string into (name, value) pairs like PHP does.

    The query-string parser (strtok) skips empty segments; the POST parser counts them.
    """
    pairs = []
    if not raw:
        return pairs
    segments = raw.split('&')
    if post and segments and segments[-1] == '':
        segments.pop()
    for segment in segments:
        if segment == '' and not post:
            continue
        if '=' in segment:
            name, value = segment.split('=', 1)
        else:
            name, value = segment, ''
        pairs.append((unquote_plus(name, errors='replace'), unquote_plus(value, errors='replace')))
    return pairs


def truncate(pairs, max_input_vars, post):
    """Apply PHP's max_input_vars to one source; returns the pairs PHP keeps."""
    if max_input_vars is None:
        return pairs
    keep = max_input_vars + 1 if post else max_input_vars
    return pairs[:max(keep, 0)]


def _next_index(container):
    numeric = [int(k) for k in container if _is_int_key(k)]
    return str(max(numeric) + 1) if numeric else '0'


def _is_int_key(key):
    if key == '0':
        return True
    return key[:1] != '0' and key.lstrip('-').isdigit() and not key.startswith('-0') and key != '-'


def register(target, name, value):
    """php_register_variable_ex(): store name=value into the nested dict target."""
    name = name.lstrip(' ')
    base_end = len(name)
    bracket = name.find('[')
    if bracket != -1:
        base_end = bracket
    base = name[:base_end].replace(' ', '_').replace('.', '_')
    if base == '':
        return
    if bracket == -1:
        target[base] = value
        return
    indexes = []
    rest = name[bracket:]
    while rest.startswith('['):
        close = rest.find(']')
        if close == -1:
            if not indexes:
                base = base + '_' + rest[1:].replace(' ', '_').replace('.', '_')
                target[base] = value
                return
            break
        indexes.append(rest[1:close])
        rest = rest[close + 1:]
    container = target
    key = base
    for index in indexes:
        child = container.get(key)
        if not isinstance(child, dict):
            child = {}
            container[key] = child
        container = child
        key = index if index != '' else _next_index(container)
    container[key] = value


def decode(pairs):
    """Build the PHP array from the kept (name, value) pairs."""
    result = {}
    for name, value in pairs:
        register(result, name, value)
    return result
