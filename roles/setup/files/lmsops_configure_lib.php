<?php
// This file is part of Moodle - https://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.
//
// Moodle is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
// GNU General Public License for more details.
//
// You should have received a copy of the GNU General Public License
// along with Moodle.  If not, see <https://www.gnu.org/licenses/>.

/**
 * Pure helpers of lmsops_configure.php: argument and spec parsing, and the idempotency decisions.
 *
 * Nothing here touches Moodle, so it can be loaded before config.php and unit tested with plain
 * php-cli (tests/unit/php/test_configure_lib.php).
 *
 * @package    local_lmsops
 * @copyright  2026 lmsops.moodle contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

/**
 * A problem the site owner has to fix (unknown function, unmanageable role...): reported by its message alone.
 *
 * @package    local_lmsops
 * @copyright  2026 lmsops.moodle contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class lmsops_configure_error extends RuntimeException {
}

/**
 * Parses the command line (without the script name).
 *
 * Accepted: --moodle-dir=DIR, --spec=FILE, --check, --help (also "--moodle-dir DIR", "--spec FILE").
 *
 * @param string[] $args
 * @return array ['moodle_dir' => string, 'spec' => string, 'check' => bool, 'help' => bool]
 * @throws InvalidArgumentException on unknown or missing options
 */
function lmsops_parse_args(array $args): array {
    $result = ['moodle_dir' => '', 'spec' => '', 'check' => false, 'help' => false];
    $args = array_values($args);
    for ($i = 0; $i < count($args); $i++) {
        $arg = (string) $args[$i];
        if ($arg === '--check') {
            $result['check'] = true;
            continue;
        }
        if ($arg === '--help' || $arg === '-h') {
            $result['help'] = true;
            continue;
        }
        $matched = false;
        foreach (['moodle-dir' => 'moodle_dir', 'spec' => 'spec'] as $option => $key) {
            if (strpos($arg, '--' . $option . '=') === 0) {
                $result[$key] = substr($arg, strlen($option) + 3);
                $matched = true;
            } else if ($arg === '--' . $option) {
                if (!isset($args[$i + 1])) {
                    throw new InvalidArgumentException('--' . $option . ' needs a value');
                }
                $result[$key] = (string) $args[++$i];
                $matched = true;
            }
        }
        if (!$matched) {
            throw new InvalidArgumentException('Unknown argument: ' . $arg);
        }
    }
    if (!$result['help']) {
        foreach (['moodle_dir' => '--moodle-dir', 'spec' => '--spec'] as $key => $option) {
            if ($result[$key] === '') {
                throw new InvalidArgumentException($option . ' is required');
            }
        }
    }
    return $result;
}

/**
 * The usage text.
 *
 * @return string
 */
function lmsops_usage(): string {
    return "Make a Moodle site match an lmsops.moodle setup spec (web service, functions, token user,\n"
        . "least-privilege role, token). Run on the Moodle host as the web server's user.\n\n"
        . "Usage: php lmsops_configure.php --moodle-dir=/var/www/moodle --spec=/tmp/spec.json [--check]\n\n"
        . "  --moodle-dir  directory holding Moodle's config.php\n"
        . "  --spec        JSON spec file\n"
        . "  --check       change nothing, report what would change\n\n"
        . "Prints one JSON line on stdout: {\"changed\", \"changes\", \"service_id\", \"user_id\", \"token\"};\n"
        . "on failure {\"failed\": true, \"msg\"} and a non-zero exit code.\n";
}

/**
 * The path of config.php in a Moodle directory (the same before and after the 5.1 public/ split).
 *
 * @param string $moodledir
 * @return string
 * @throws InvalidArgumentException when there is no config.php
 */
function lmsops_config_path(string $moodledir): string {
    $path = rtrim($moodledir, '/') . '/config.php';
    if (!is_file($path)) {
        throw new InvalidArgumentException('No config.php in ' . $moodledir);
    }
    return $path;
}

/**
 * Checks a decoded spec and fills in the defaults.
 *
 * @param mixed $spec decoded JSON
 * @return array the normalised spec
 * @throws InvalidArgumentException listing every problem found
 */
function lmsops_normalise_spec($spec): array {
    $errors = [];
    $isname = function($value): bool {
        return is_string($value) && preg_match('/^[a-z0-9_\-]+$/', $value) === 1;
    };
    $isstrings = function($value, string $pattern): bool {
        if (!is_array($value) || ($value !== [] && array_keys($value) !== range(0, count($value) - 1))) {
            return false;
        }
        foreach ($value as $item) {
            if (!is_string($item) || preg_match($pattern, $item) !== 1) {
                return false;
            }
        }
        return true;
    };

    if (!is_array($spec)) {
        throw new InvalidArgumentException('The spec must be a JSON object');
    }
    $result = [];

    $service = $spec['service'] ?? null;
    if (!is_array($service)) {
        $errors[] = 'service: an object is required';
    } else {
        if (!$isname($service['shortname'] ?? null)) {
            $errors[] = 'service.shortname: lowercase letters, digits, _ and - only';
        }
        if (!is_string($service['name'] ?? null) || trim($service['name']) === '') {
            $errors[] = 'service.name: a non-empty string is required';
        }
        $functions = $service['functions'] ?? [];
        if (!$isstrings($functions, '/^[a-z][a-z0-9_]*$/')) {
            $errors[] = 'service.functions: a list of web-service function names is required';
            $functions = [];
        }
        $restricted = $service['restricted_users'] ?? true;
        if (!is_bool($restricted)) {
            $errors[] = 'service.restricted_users: true or false';
        }
        $result['service'] = [
            'shortname' => $service['shortname'] ?? '',
            'name' => is_string($service['name'] ?? null) ? trim($service['name']) : '',
            'functions' => array_values(array_unique($functions)),
            'restricted_users' => (bool) $restricted,
        ];
    }

    $user = $spec['token_user'] ?? null;
    if ($user === null) {
        $result['token_user'] = null;
    } else if (!is_array($user)) {
        $errors[] = 'token_user: an object or null (null = the site administrator)';
    } else {
        if (!is_string($user['username'] ?? null) || preg_match('/^[a-z0-9_.@\-]+$/', $user['username']) !== 1) {
            $errors[] = 'token_user.username: a lowercase Moodle username is required';
        }
        $create = $user['create'] ?? false;
        if (!is_bool($create)) {
            $errors[] = 'token_user.create: true or false';
        }
        foreach (['firstname', 'lastname', 'email'] as $field) {
            $value = $user[$field] ?? '';
            if (!is_string($value) || ($create === true && trim($value) === '')) {
                $errors[] = 'token_user.' . $field . ': a non-empty string is required to create the user';
            }
        }
        // Null or empty: leave the user's authentication as it is.
        $auth = ($user['auth'] ?? '') === '' ? null : $user['auth'];
        if ($auth !== null && (!is_string($auth) || preg_match('/^[a-z][a-z0-9_]*$/', $auth) !== 1)) {
            $errors[] = 'token_user.auth: an authentication plugin name (webservice, manual...) or null';
            $auth = null;
        } else if ($auth === 'nologin') {
            $errors[] = 'token_user.auth (moodle_setup_token_user_auth): Moodle refuses every web-service call of a'
                . ' nologin user (wsaccessusernologin); webservice refuses the login form and keeps tokens working';
            $auth = null;
        }
        $result['token_user'] = [
            'username' => $user['username'] ?? '',
            'create' => $create === true,
            'firstname' => is_string($user['firstname'] ?? null) ? trim($user['firstname']) : '',
            'lastname' => is_string($user['lastname'] ?? null) ? trim($user['lastname']) : '',
            'email' => is_string($user['email'] ?? null) ? trim($user['email']) : '',
            'auth' => $auth,
        ];
    }

    $role = $spec['role'] ?? null;
    if ($role === null) {
        $result['role'] = null;
    } else if (!is_array($role)) {
        $errors[] = 'role: an object or null';
    } else {
        if (!$isname($role['shortname'] ?? null)) {
            $errors[] = 'role.shortname: lowercase letters, digits, _ and - only';
        }
        $name = $role['name'] ?? ($role['shortname'] ?? '');
        if (!is_string($name) || trim($name) === '') {
            $errors[] = 'role.name: a non-empty string';
            $name = '';
        }
        $capabilities = $role['capabilities'] ?? [];
        if (!$isstrings($capabilities, '#^[a-z0-9_]+/[a-z0-9_]+:[a-z0-9_]+$#')) {
            $errors[] = 'role.capabilities: a list of capability names (moodle/user:create...) is required';
            $capabilities = [];
        }
        $allowassign = $role['allow_assign'] ?? [];
        if (!$isstrings($allowassign, '#^[a-z0-9_-]+$#')) {
            $errors[] = 'role.allow_assign: a list of role shortnames (student, editingteacher...)';
            $allowassign = [];
        }
        $result['role'] = [
            'shortname' => $role['shortname'] ?? '',
            'name' => trim((string) $name),
            'capabilities' => array_values(array_unique($capabilities)),
            'allow_assign' => array_values(array_unique($allowassign)),
        ];
    }

    $token = $spec['token'] ?? [];
    if (!is_array($token)) {
        $errors[] = 'token: an object';
        $token = [];
    }
    $reuse = $token['reuse'] ?? true;
    if (!is_bool($reuse)) {
        $errors[] = 'token.reuse: true or false';
    }
    $tokenname = $token['name'] ?? 'lmsops';
    if (!is_string($tokenname)) {
        $errors[] = 'token.name: a string';
        $tokenname = 'lmsops';
    }
    $validuntil = $token['valid_until'] ?? 0;
    if (!is_int($validuntil) || $validuntil < 0) {
        $errors[] = 'token.valid_until (moodle_setup_token_valid_until): a Unix time, or 0 for no expiry';
        $validuntil = 0;
    }
    $iprestriction = $token['iprestriction'] ?? '';
    if (!is_string($iprestriction) || preg_match('#^[0-9A-Fa-f:./,\- ]*$#', $iprestriction) !== 1) {
        $errors[] = 'token.iprestriction (moodle_setup_token_ip_restriction): IP addresses, ranges or subnets'
            . ' separated by commas (192.0.2.10,198.51.100.0/24), or empty for none';
        $iprestriction = '';
    }
    $allowlooser = $token['allow_looser'] ?? false;
    if (!is_bool($allowlooser)) {
        $errors[] = 'token.allow_looser (moodle_setup_token_allow_looser): true or false';
    }
    $result['token'] = [
        'reuse' => $reuse !== false,
        'name' => $tokenname,
        'valid_until' => $validuntil,
        'iprestriction' => lmsops_normalise_iprestriction($iprestriction),
        'allow_looser' => $allowlooser === true,
    ];

    $access = $spec['access'] ?? [];
    if (!is_array($access)) {
        $errors[] = 'access: an object';
        $access = [];
    }
    $accesscapabilities = $access['capabilities'] ?? [];
    if (!$isstrings($accesscapabilities, '#^[a-z0-9_]+/[a-z0-9_]+:[a-z0-9_]+$#')) {
        $errors[] = 'access.capabilities: a list of capability names';
        $accesscapabilities = [];
    }
    $accessroles = $access['roles'] ?? [];
    if (!$isstrings($accessroles, '#^[A-Za-z0-9_-]+$#')) {
        $errors[] = 'access.roles: a list of role shortnames';
        $accessroles = [];
    }
    $courseid = $access['courseid'] ?? 0;
    if ($courseid === null) {
        $courseid = 0;
    }
    if (!is_int($courseid) || $courseid < 0) {
        $errors[] = 'access.courseid (moodle_setup_check_course): a course id, or 0 for the site\'s first course';
        $courseid = 0;
    }
    $result['access'] = [
        'capabilities' => array_values(array_unique($accesscapabilities)),
        'roles' => array_values(array_unique($accessroles)),
        'courseid' => $courseid,
    ];

    $authorisation = $spec['authorisation'] ?? [];
    if (!is_array($authorisation)) {
        $errors[] = 'authorisation: an object';
        $authorisation = [];
    }
    $renew = $authorisation['renew_expired'] ?? false;
    if (!is_bool($renew)) {
        $errors[] = 'authorisation.renew_expired (moodle_setup_renew_authorisation): true or false';
    }
    $result['authorisation'] = ['renew_expired' => $renew === true];

    if ($errors) {
        throw new InvalidArgumentException('Invalid spec: ' . implode('; ', $errors));
    }
    return $result;
}

/**
 * Reads and checks the spec file.
 *
 * @param string $path
 * @return array the normalised spec
 * @throws InvalidArgumentException
 */
function lmsops_read_spec(string $path): array {
    if (!is_file($path) || !is_readable($path)) {
        throw new InvalidArgumentException('Cannot read the spec file ' . $path);
    }
    $spec = json_decode((string) file_get_contents($path), true);
    if (json_last_error() !== JSON_ERROR_NONE) {
        throw new InvalidArgumentException('The spec file is not valid JSON: ' . json_last_error_msg());
    }
    return lmsops_normalise_spec($spec);
}

/**
 * What to add and remove so that a set of names holds exactly the wanted ones: a service's functions,
 * the roles a role may assign ("Allow role assignments").
 *
 * @param string[] $current the names there now
 * @param string[] $wanted the names wanted, exactly
 * @return array ['add' => string[], 'remove' => string[]], each sorted
 */
function lmsops_plan_exact(array $current, array $wanted): array {
    $current = array_values(array_unique(array_map('strval', $current)));
    $wanted = array_values(array_unique(array_map('strval', $wanted)));
    $add = array_values(array_diff($wanted, $current));
    $remove = array_values(array_diff($current, $wanted));
    sort($add);
    sort($remove);
    return ['add' => $add, 'remove' => $remove];
}

/**
 * What to do to a role's capabilities at system context so that exactly the wanted ones are allowed.
 *
 * @param array $current capability => permission (Moodle's CAP_ALLOW is 1; prevent/prohibit are negative)
 * @param string[] $wanted capabilities to allow
 * @return array ['allow' => string[] (missing or not "allow"), 'remove' => string[] (not wanted)], each sorted
 */
function lmsops_plan_capabilities(array $current, array $wanted): array {
    $wanted = array_values(array_unique(array_map('strval', $wanted)));
    $allow = [];
    foreach ($wanted as $capability) {
        if (!array_key_exists($capability, $current) || (int) $current[$capability] !== 1) {
            $allow[] = $capability;
        }
    }
    $remove = array_values(array_diff(array_map('strval', array_keys($current)), $wanted));
    sort($allow);
    sort($remove);
    return ['allow' => $allow, 'remove' => $remove];
}

/**
 * What to do to the external service.
 *
 * @param array|null $current the service record (name, enabled, restrictedusers, component), null when missing
 * @param array $wanted normalised spec['service']
 * @return array ['create' => bool, 'update' => [field => value], 'error' => string|null]
 */
function lmsops_plan_service(?array $current, array $wanted): array {
    $fields = [
        'name' => $wanted['name'],
        'enabled' => 1,
        'restrictedusers' => $wanted['restricted_users'] ? 1 : 0,
    ];
    if ($current === null) {
        return ['create' => true, 'update' => $fields, 'error' => null];
    }
    if (!empty($current['component'])) {
        return ['create' => false, 'update' => [], 'error' => 'The service ' . $wanted['shortname']
            . ' is built into ' . $current['component'] . ' and cannot be managed; choose another shortname'];
    }
    $update = [];
    foreach ($fields as $field => $value) {
        $have = $current[$field] ?? null;
        if (is_int($value) ? (int) $have !== $value : (string) $have !== $value) {
            $update[$field] = $value;
        }
    }
    return ['create' => false, 'update' => $update, 'error' => null];
}

/**
 * What to do to a role's assignable context levels so that it can be assigned at system level.
 *
 * @param int[] $current context levels of the role
 * @param int $needed the level required (CONTEXT_SYSTEM = 10)
 * @return int[]|null the new list, or null when nothing changes
 */
function lmsops_plan_contextlevels(array $current, int $needed): ?array {
    $current = array_values(array_unique(array_map('intval', $current)));
    if (in_array($needed, $current, true)) {
        return null;
    }
    $current[] = $needed;
    sort($current);
    return $current;
}

/**
 * What to do about the user's authorisation for a restricted service.
 *
 * An expiry is an administrator's decision: an expired authorisation is renewed (its expiry removed) only when
 * asked, otherwise the caller fails naming moodle_setup_renew_authorisation. Its IP restriction is never touched.
 *
 * @param array|null $current the external_services_users row (validuntil, iprestriction), null when missing
 * @param int $now
 * @param bool $renewexpired renew an expired authorisation (spec authorisation.renew_expired)
 * @return string 'add' (not authorised), 'renew' (expired, renewal asked: clear validuntil), 'expired' (expired,
 *     renewal not asked: fail) or 'none'
 */
function lmsops_plan_authorisation(?array $current, int $now, bool $renewexpired = false): string {
    if ($current === null) {
        return 'add';
    }
    $validuntil = (int) ($current['validuntil'] ?? 0);
    if ($validuntil !== 0 && $validuntil < $now) {
        return $renewexpired ? 'renew' : 'expired';
    }
    return 'none';
}

/**
 * The message of a configure run stopped by an expired service authorisation.
 *
 * @param string $username
 * @param string $service the service's shortname
 * @param int $validuntil when the authorisation expired
 * @return string
 */
function lmsops_authorisation_expired_message(string $username, string $service, int $validuntil): string {
    return 'The authorisation of user ' . $username . ' for service ' . $service . ' expired on '
        . lmsops_format_time($validuntil) . ' (an expiry set at Site administration > Plugins > Web services >'
        . ' External services > ' . $service . ' > Authorised users). The role does not renew it on its own: renew it'
        . ' there, or set moodle_setup_renew_authorisation: true to let the role remove the expiry. Nothing was changed';
}

/**
 * A Unix time as Moodle's admin pages would name it, in UTC.
 *
 * @param int $time
 * @return string
 */
function lmsops_format_time(int $time): string {
    return gmdate('Y-m-d H:i', $time) . ' UTC';
}

/**
 * An IP restriction as Moodle's address_in_subnet() reads it: entries separated by commas, trimmed, empty ones and
 * duplicates dropped, in the order given.
 *
 * @param string $value
 * @return string
 */
function lmsops_normalise_iprestriction(string $value): string {
    $entries = [];
    foreach (explode(',', $value) as $entry) {
        $entry = trim($entry);
        if ($entry !== '' && !in_array($entry, $entries, true)) {
            $entries[] = $entry;
        }
    }
    return implode(',', $entries);
}

/**
 * Whether two IP restrictions allow the same addresses as written (the same entries, in any order).
 *
 * @param string|null $a
 * @param string|null $b
 * @return bool
 */
function lmsops_same_iprestriction(?string $a, ?string $b): bool {
    $a = explode(',', lmsops_normalise_iprestriction((string) $a));
    $b = explode(',', lmsops_normalise_iprestriction((string) $b));
    sort($a);
    sort($b);
    return $a === $b;
}

/**
 * Why a new token with the wanted restrictions would be looser than a token the user already has for the service:
 * no IP restriction where one has an IP restriction, no expiry where one has an expiry (expired or not). Issuing it
 * would undo an administrator's restriction, so the caller fails unless moodle_setup_token_allow_looser is set.
 *
 * @param array[] $tokens rows of external_tokens (id, name, validuntil, iprestriction, sid)
 * @param int $validuntil the wanted expiry (0: none)
 * @param string $iprestriction the wanted IP restriction ('': none)
 * @return string[] one reason per existing restriction the new token would lack, empty when none
 */
function lmsops_token_loosening(array $tokens, int $validuntil, string $iprestriction): array {
    $reasons = [];
    $iprestriction = lmsops_normalise_iprestriction($iprestriction);
    foreach ($tokens as $token) {
        $token = (array) $token;
        if (!empty($token['sid'])) {
            continue;
        }
        $label = 'token id ' . (int) ($token['id'] ?? 0)
            . (isset($token['name']) && (string) $token['name'] !== '' ? ' (' . $token['name'] . ')' : '');
        $has = lmsops_normalise_iprestriction((string) ($token['iprestriction'] ?? ''));
        if ($iprestriction === '' && $has !== '') {
            $reasons[] = $label . ' is restricted to IP ' . $has . ' and moodle_setup_token_ip_restriction is empty';
        }
        $expires = (int) ($token['validuntil'] ?? 0);
        if ($validuntil === 0 && $expires !== 0) {
            $reasons[] = $label . ' is valid until ' . lmsops_format_time($expires)
                . ' and moodle_setup_token_valid_until is 0 (no expiry)';
        }
    }
    return $reasons;
}

/**
 * The message of a configure run that would have issued a looser token.
 *
 * @param string $username
 * @param string $service
 * @param string[] $reasons from lmsops_token_loosening()
 * @return string
 */
function lmsops_loosening_message(string $username, string $service, array $reasons): string {
    return 'Not issuing user ' . $username . ' a token for service ' . $service . ' with fewer restrictions than'
        . ' the tokens an administrator gave it: ' . implode('; ', $reasons) . '. Set moodle_setup_token_ip_restriction'
        . ' and moodle_setup_token_valid_until to the restrictions wanted (a token that matches them is reused), or'
        . ' set moodle_setup_token_allow_looser: true. Nothing was changed';
}

/**
 * What to do to an existing token user's authentication method.
 *
 * @param string $current the user's auth now
 * @param string|null $wanted spec token_user.auth (null: leave it)
 * @return string|null the auth to set, null when nothing changes
 */
function lmsops_plan_user_auth(string $current, ?string $wanted): ?string {
    if ($wanted === null || $wanted === $current) {
        return null;
    }
    return $wanted;
}

/**
 * Picks a token to reuse among the user's permanent tokens for the service.
 *
 * A token is reusable when it has not expired, is not tied to a session, and has exactly the wanted restrictions:
 * the same expiry ($validuntil, 0 for none) and the same IP restriction (the same entries, in any order). A token
 * named $name is preferred; otherwise the oldest reusable one, so that repeated runs return the same token.
 *
 * @param array[] $tokens rows of external_tokens (token, validuntil, iprestriction, sid, timecreated, id, name)
 * @param int $now
 * @param string $name the wanted token name
 * @param int $validuntil the wanted expiry (0: none)
 * @param string $iprestriction the wanted IP restriction ('': none)
 * @return array|null the chosen row, null when none is reusable
 */
function lmsops_pick_token(array $tokens, int $now, string $name, int $validuntil = 0, string $iprestriction = ''): ?array {
    $usable = [];
    foreach ($tokens as $token) {
        $token = (array) $token;
        $expires = (int) ($token['validuntil'] ?? 0);
        if (($expires !== 0 && $expires <= $now) || !empty($token['sid']) || empty($token['token'])
                || $expires !== $validuntil
                || !lmsops_same_iprestriction((string) ($token['iprestriction'] ?? ''), $iprestriction)) {
            continue;
        }
        $usable[] = $token;
    }
    if (!$usable) {
        return null;
    }
    usort($usable, function(array $a, array $b) use ($name): int {
        $namea = ($name !== '' && ($a['name'] ?? null) === $name) ? 0 : 1;
        $nameb = ($name !== '' && ($b['name'] ?? null) === $name) ? 0 : 1;
        return [$namea, (int) ($a['timecreated'] ?? 0), (int) ($a['id'] ?? 0)]
            <=> [$nameb, (int) ($b['timecreated'] ?? 0), (int) ($b['id'] ?? 0)];
    });
    return $usable[0];
}

/**
 * What is wrong with the wanted token restrictions at $now (an expiry already past), or null.
 *
 * @param array $wanted normalised spec['token']
 * @param int $now
 * @return string|null
 */
function lmsops_check_token_wanted(array $wanted, int $now): ?string {
    $validuntil = (int) ($wanted['valid_until'] ?? 0);
    if ($validuntil !== 0 && $validuntil <= $now) {
        return 'moodle_setup_token_valid_until (' . $validuntil . ', ' . lmsops_format_time($validuntil)
            . ') is not in the future: give a later Unix time, or 0 for no expiry';
    }
    return null;
}

/**
 * How a token is described in the list of changes (its restrictions, never its value).
 *
 * @param array $wanted normalised spec['token']
 * @return string
 */
function lmsops_describe_token(array $wanted): string {
    $validuntil = (int) ($wanted['valid_until'] ?? 0);
    $ip = (string) ($wanted['iprestriction'] ?? '');
    return 'token ' . $wanted['name'] . ' ('
        . ($validuntil ? 'valid until ' . lmsops_format_time($validuntil) : 'no expiry') . ', '
        . ($ip !== '' ? 'restricted to IP ' . $ip : 'no IP restriction') . ')';
}

/**
 * Items of $wanted that are not in $known (unknown functions or capabilities), sorted.
 *
 * @param string[] $wanted
 * @param string[] $known
 * @return string[]
 */
function lmsops_unknown(array $wanted, array $known): array {
    $unknown = array_values(array_diff(array_map('strval', $wanted), array_map('strval', $known)));
    sort($unknown);
    return $unknown;
}

/**
 * The success result.
 *
 * @param string[] $changes what was (or, in check mode, would be) changed
 * @param int|null $serviceid
 * @param int|null $userid
 * @param string|null $token
 * @param array|null $access what the token user may do (see lmsops_read_access()), null when not read
 * @return array
 */
function lmsops_result(array $changes, ?int $serviceid, ?int $userid, ?string $token, ?array $access = null): array {
    return [
        'changed' => count($changes) > 0,
        'changes' => array_values($changes),
        'service_id' => $serviceid,
        'user_id' => $userid,
        'token' => $token,
        'access' => $access,
    ];
}

/**
 * The failure result.
 *
 * @param string $message
 * @return array
 */
function lmsops_failure(string $message): array {
    return ['failed' => true, 'changed' => false, 'changes' => [], 'msg' => $message];
}

/**
 * A readable description of an exception, with Moodle's debuginfo when there is one.
 *
 * @param Throwable $e
 * @return string
 */
function lmsops_describe_exception(Throwable $e): string {
    if ($e instanceof lmsops_configure_error) {
        return $e->getMessage();
    }
    $message = get_class($e) . ': ' . $e->getMessage();
    if (isset($e->errorcode) && is_string($e->errorcode) && $e->errorcode !== '') {
        $message .= ' [' . $e->errorcode . ']';
    }
    if (isset($e->debuginfo) && is_string($e->debuginfo) && trim($e->debuginfo) !== '') {
        $message .= ' (' . trim($e->debuginfo) . ')';
    }
    return $message;
}

/**
 * One JSON line.
 *
 * @param array $data
 * @return string
 */
function lmsops_json_line(array $data): string {
    return json_encode($data, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE) . "\n";
}
