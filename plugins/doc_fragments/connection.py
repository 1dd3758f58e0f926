# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """How to reach a Moodle site's REST web services: shared by every module."""

    DOCUMENTATION = r'''
options:
  url:
    description:
      - Base URL of the Moodle site, for example V(https://moodle.example.org).
      - The client adds C(/webservice/rest/server.php) itself.
      - Use V(https://). With V(http://) the token and every password a task sends travel in clear, and the module
        warns (not for the loopback, V(127.0.0.1) or V(localhost), where nothing crosses a network).
      - Redirects are never followed, so that the token is never sent to another address. An HTTP 3xx answer fails
        the task (error kind C(redirect)) naming where it points; set O(url) to the address the site answers at.
      - A user name and password written into the URL (V(https://user:password@moodle.example.org)) are sent as HTTP
        basic authentication; the password is masked in messages, warnings and results.
      - Required, on the task, through C(module_defaults), or in the environment variable E(MOODLE_URL) (used when
        the option is not set); without any, the task fails naming all three.
    type: str
  token:
    description:
      - Web-service token of the user the collection acts as.
      - Its external service must offer the functions the module needs (M(lmsops.moodle.moodle_site_info) lists them).
      - Never printed, logged or returned.
      - Required, on the task, through C(module_defaults), or in the environment variable E(MOODLE_TOKEN) (used
        when the option is not set); without any, the task fails naming all three.
    type: str
  validate_certs:
    description:
      - Verify the site's TLS certificate. Set V(false) only for test sites.
      - V(false) holds even when E(REQUESTS_CA_BUNDLE) or E(CURL_CA_BUNDLE) is set.
      - If not set, the environment variable E(MOODLE_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle file or directory to verify the site's certificate with.
      - Used even when E(REQUESTS_CA_BUNDLE) or E(CURL_CA_BUNDLE) is set; without O(ca_path), those replace the
        default CA bundle as usual.
    type: path
  timeout:
    description:
      - Seconds to wait for each answer.
    type: int
    default: 30
  max_input_vars:
    description:
      - The site's PHP C(max_input_vars). PHP silently drops form fields past it and Moodle then acts on what is
        left, so every request is kept under this many fields (batches are split as needed).
      - Set it to the site's real value to send fewer, larger requests
        (M(lmsops.moodle.moodle_site_info) with O(lmsops.moodle.moodle_site_info#module:probe_max_input_vars=true) measures it).
      - If not set, the environment variable E(MOODLE_MAX_INPUT_VARS) is used.
    type: int
    default: 1000
  retries:
    description:
      - How many times a read is retried after a connection error, a timeout or an HTTP 5xx answer, with backoff.
      - Writes are never re-sent; after a failed write the module re-reads and reports the state it finds.
    type: int
    default: 3
requirements:
  - requests
notes:
  - Moodle's web services must be enabled with the REST protocol
    (Site administration > Advanced features > Enable web services; Site administration > Plugins > Web services >
    Manage protocols). The P(lmsops.moodle.setup#role) role checks all prerequisites.
'''
