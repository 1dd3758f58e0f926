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
 * Plain-PHP tests of roles/setup/files/lmsops_configure_lib.php (no Moodle, no PHPUnit).
 *
 * Run: php tests/unit/php/test_configure_lib.php   (exit 0 and "N passed, 0 failed" when all pass)
 *
 * @package    local_lmsops
 * @copyright  2026 lmsops.moodle contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require_once(dirname(__DIR__, 3) . '/roles/setup/files/lmsops_configure_lib.php');

$passed = 0;
$failed = 0;

/**
 * Records one check.
 *
 * @param string $name
 * @param bool $ok
 * @param string $detail shown on failure
 */
function check(string $name, bool $ok, string $detail = ''): void {
    global $passed, $failed;
    if ($ok) {
        $passed++;
    } else {
        $failed++;
        fwrite(STDERR, "FAIL: $name" . ($detail !== '' ? "\n  $detail" : '') . "\n");
    }
}

/**
 * Checks that two values are identical.
 *
 * @param string $name
 * @param mixed $expected
 * @param mixed $actual
 */
function check_same(string $name, $expected, $actual): void {
    check($name, $expected === $actual,
        'expected ' . var_export($expected, true) . "\n  got      " . var_export($actual, true));
}

/**
 * Checks that a callable throws an exception of a class whose message contains a text.
 *
 * @param string $name
 * @param callable $fn
 * @param string $class
 * @param string $contains
 */
function check_throws(string $name, callable $fn, string $class, string $contains = ''): void {
    try {
        $fn();
        check($name, false, "no $class thrown");
    } catch (Throwable $e) {
        check($name, $e instanceof $class && ($contains === '' || strpos($e->getMessage(), $contains) !== false),
            get_class($e) . ': ' . $e->getMessage());
    }
}

/**
 * A valid spec with every section filled in.
 *
 * @return array
 */
function full_spec(): array {
    return [
        'service' => [
            'shortname' => 'lmsops',
            'name' => 'lmsops.moodle',
            'functions' => ['core_webservice_get_site_info', 'core_user_create_users'],
            'restricted_users' => true,
        ],
        'token_user' => [
            'username' => 'lmsops_ws', 'create' => true,
            'firstname' => 'lmsops', 'lastname' => 'Web service', 'email' => 'lmsops@example.com', 'auth' => 'webservice',
        ],
        'role' => [
            'shortname' => 'lmsops_ws', 'name' => 'lmsops web service',
            'capabilities' => ['webservice/rest:use', 'moodle/user:create'],
            'allow_assign' => ['student', 'editingteacher'],
        ],
        'token' => ['reuse' => true, 'name' => 'lmsops', 'valid_until' => 1900000000, 'iprestriction' => '192.0.2.10',
            'allow_looser' => false],
        'authorisation' => ['renew_expired' => false],
    ];
}

// Arguments.
check_same('args: equals form', ['moodle_dir' => '/var/www/moodle', 'spec' => '/tmp/s.json', 'check' => false, 'help' => false],
    lmsops_parse_args(['--moodle-dir=/var/www/moodle', '--spec=/tmp/s.json']));
check_same('args: separate values and --check', ['moodle_dir' => '/m', 'spec' => '/s', 'check' => true, 'help' => false],
    lmsops_parse_args(['--check', '--moodle-dir', '/m', '--spec', '/s']));
check_same('args: --help needs nothing else', true, lmsops_parse_args(['--help'])['help']);
check_throws('args: missing --spec', function() {
    lmsops_parse_args(['--moodle-dir=/m']);
}, InvalidArgumentException::class, '--spec');
check_throws('args: unknown option', function() {
    lmsops_parse_args(['--moodle-dir=/m', '--spec=/s', '--force']);
}, InvalidArgumentException::class, '--force');
check_throws('args: option without value', function() {
    lmsops_parse_args(['--spec=/s', '--moodle-dir']);
}, InvalidArgumentException::class, 'needs a value');
check('usage text', strpos(lmsops_usage(), '--check') !== false);

// Spec.
$spec = lmsops_normalise_spec(full_spec());
check_same('spec: service kept', full_spec()['service'], $spec['service']);
check_same('spec: user kept', full_spec()['token_user'], $spec['token_user']);
check_same('spec: role kept', full_spec()['role'], $spec['role']);
check_same('spec: token kept', full_spec()['token'], $spec['token']);
check_same('spec: authorisation kept', ['renew_expired' => false], $spec['authorisation']);

$minimal = lmsops_normalise_spec(['service' => ['shortname' => 'lmsops', 'name' => 'x'], 'token_user' => null, 'role' => null]);
check_same('spec: defaults', [
    'service' => ['shortname' => 'lmsops', 'name' => 'x', 'functions' => [], 'restricted_users' => true],
    'token_user' => null,
    'role' => null,
    'token' => ['reuse' => true, 'name' => 'lmsops', 'valid_until' => 0, 'iprestriction' => '', 'allow_looser' => false],
    'access' => ['capabilities' => [], 'roles' => [], 'courseid' => 0],
    'authorisation' => ['renew_expired' => false],
], $minimal);

// What to read about the token user afterwards (issue 20).
$withaccess = full_spec();
$withaccess['access'] = ['capabilities' => ['moodle/user:create', 'moodle/user:create', 'enrol/manual:enrol'],
    'roles' => ['student', 'editingteacher'], 'courseid' => null];
check_same('spec: access kept, duplicates dropped, no course is 0',
    ['capabilities' => ['moodle/user:create', 'enrol/manual:enrol'], 'roles' => ['student', 'editingteacher'],
        'courseid' => 0], lmsops_normalise_spec($withaccess)['access']);
$withaccess['access'] = ['capabilities' => ['not a capability'], 'roles' => ['Student Role'], 'courseid' => -1];
check_throws('spec: bad access names each problem', function() use ($withaccess) {
    lmsops_normalise_spec($withaccess);
}, InvalidArgumentException::class, 'access.capabilities: a list of capability names; access.roles: a list of role'
    . ' shortnames; access.courseid (moodle_setup_check_course)');

$dup = full_spec();
$dup['service']['functions'][] = 'core_user_create_users';
check_same('spec: duplicate functions dropped', ['core_webservice_get_site_info', 'core_user_create_users'],
    lmsops_normalise_spec($dup)['service']['functions']);

$noname = full_spec();
unset($noname['role']['name']);
check_same('spec: role name defaults to shortname', 'lmsops_ws', lmsops_normalise_spec($noname)['role']['name']);

$existing = full_spec();
$existing['token_user'] = ['username' => 'integration'];
check_same('spec: existing user needs no names, keeps its auth', ['username' => 'integration', 'create' => false,
    'firstname' => '', 'lastname' => '', 'email' => '', 'auth' => null], lmsops_normalise_spec($existing)['token_user']);
$emptyauth = full_spec();
$emptyauth['token_user']['auth'] = '';
check_same('spec: empty auth keeps the user\'s', null, lmsops_normalise_spec($emptyauth)['token_user']['auth']);
$nologin = full_spec();
$nologin['token_user']['auth'] = 'nologin';
check_throws('spec: nologin refused (it stops the tokens too)', function() use ($nologin) {
    lmsops_normalise_spec($nologin);
}, InvalidArgumentException::class, 'wsaccessusernologin');
$ips = full_spec();
$ips['token']['iprestriction'] = ' 192.0.2.10 , 198.51.100.0/24,,192.0.2.10';
check_same('spec: IP restriction normalised', '192.0.2.10,198.51.100.0/24',
    lmsops_normalise_spec($ips)['token']['iprestriction']);
$badtoken = full_spec();
$badtoken['token']['valid_until'] = '2030-01-01';
$badtoken['token']['iprestriction'] = 'everywhere';
$badtoken['token']['allow_looser'] = 'yes';
$badtoken['authorisation']['renew_expired'] = 1;
$badtoken['token_user']['auth'] = 'Web Service';
try {
    lmsops_normalise_spec($badtoken);
    check('spec: every token error reported', false, 'no exception');
} catch (InvalidArgumentException $e) {
    foreach (['moodle_setup_token_valid_until', 'moodle_setup_token_ip_restriction', 'moodle_setup_token_allow_looser',
            'moodle_setup_renew_authorisation', 'token_user.auth'] as $field) {
        check("spec: error names $field", strpos($e->getMessage(), $field) !== false, $e->getMessage());
    }
}
$negative = full_spec();
$negative['token']['valid_until'] = -1;
check_throws('spec: negative expiry refused', function() use ($negative) {
    lmsops_normalise_spec($negative);
}, InvalidArgumentException::class, 'moodle_setup_token_valid_until');

check_throws('spec: not an object', function() {
    lmsops_normalise_spec('x');
}, InvalidArgumentException::class, 'JSON object');
check_throws('spec: service missing', function() {
    lmsops_normalise_spec(['token_user' => null]);
}, InvalidArgumentException::class, 'service: an object is required');

$bad = full_spec();
$bad['service']['shortname'] = 'Bad Name';
$bad['service']['functions'] = ['core_user_create_users', 42];
$bad['service']['restricted_users'] = 'yes';
$bad['token_user']['username'] = 'Alice';
$bad['token_user']['email'] = '';
$bad['role']['capabilities'] = ['not a capability'];
$bad['token']['reuse'] = 'no';
try {
    lmsops_normalise_spec($bad);
    check('spec: every error reported', false, 'no exception');
} catch (InvalidArgumentException $e) {
    foreach (['service.shortname', 'service.functions', 'service.restricted_users', 'token_user.username',
            'token_user.email', 'role.capabilities', 'token.reuse'] as $field) {
        check("spec: error names $field", strpos($e->getMessage(), $field) !== false, $e->getMessage());
    }
}
$assoc = full_spec();
$assoc['service']['functions'] = ['a' => 'core_user_create_users'];
check_throws('spec: functions must be a list', function() use ($assoc) {
    lmsops_normalise_spec($assoc);
}, InvalidArgumentException::class, 'service.functions');

$tmp = sys_get_temp_dir() . '/lmsops_test_' . getmypid();
mkdir($tmp);
file_put_contents("$tmp/spec.json", json_encode(full_spec()));
file_put_contents("$tmp/broken.json", '{"service": ');
check_same('read_spec: file', $spec, lmsops_read_spec("$tmp/spec.json"));
check_throws('read_spec: invalid JSON', function() use ($tmp) {
    lmsops_read_spec("$tmp/broken.json");
}, InvalidArgumentException::class, 'not valid JSON');
check_throws('read_spec: missing file', function() use ($tmp) {
    lmsops_read_spec("$tmp/none.json");
}, InvalidArgumentException::class, 'Cannot read');
check_throws('config_path: no config.php', function() use ($tmp) {
    lmsops_config_path($tmp);
}, InvalidArgumentException::class, 'No config.php');
file_put_contents("$tmp/config.php", "<?php\n");
check_same('config_path: found, trailing slash ignored', "$tmp/config.php", lmsops_config_path("$tmp/"));
foreach (['spec.json', 'broken.json', 'config.php'] as $file) {
    unlink("$tmp/$file");
}
rmdir($tmp);

// Functions.
check_same('functions: new service', ['add' => ['a', 'b'], 'remove' => []], lmsops_plan_exact([], ['b', 'a']));
check_same('functions: in sync', ['add' => [], 'remove' => []], lmsops_plan_exact(['a', 'b'], ['b', 'a']));
check_same('functions: add and remove', ['add' => ['c'], 'remove' => ['x', 'y']],
    lmsops_plan_exact(['y', 'a', 'x'], ['a', 'c']));
check_same('functions: duplicates ignored', ['add' => [], 'remove' => []], lmsops_plan_exact(['a', 'a'], ['a']));
check_same('functions: empty wanted removes all', ['add' => [], 'remove' => ['a']], lmsops_plan_exact(['a'], []));

// Capabilities.
check_same('caps: new role', ['allow' => ['a/b:c', 'x/y:z'], 'remove' => []],
    lmsops_plan_capabilities([], ['x/y:z', 'a/b:c']));
check_same('caps: in sync (DB strings)', ['allow' => [], 'remove' => []],
    lmsops_plan_capabilities(['a/b:c' => '1', 'x/y:z' => 1], ['a/b:c', 'x/y:z']));
check_same('caps: prevent and prohibit become allow', ['allow' => ['a/b:c', 'd/e:f'], 'remove' => []],
    lmsops_plan_capabilities(['a/b:c' => '-1', 'd/e:f' => -1000], ['a/b:c', 'd/e:f']));
check_same('caps: extras removed whatever their permission', ['allow' => [], 'remove' => ['m/n:o', 'p/q:r']],
    lmsops_plan_capabilities(['a/b:c' => 1, 'p/q:r' => 1, 'm/n:o' => -1000], ['a/b:c']));

// Service.
$wanted = $spec['service'];
check_same('service: create', ['create' => true,
    'update' => ['name' => 'lmsops.moodle', 'enabled' => 1, 'restrictedusers' => 1], 'error' => null],
    lmsops_plan_service(null, $wanted));
check_same('service: in sync (DB strings)', ['create' => false, 'update' => [], 'error' => null],
    lmsops_plan_service(['name' => 'lmsops.moodle', 'enabled' => '1', 'restrictedusers' => '1', 'component' => null],
        $wanted));
check_same('service: disabled, unrestricted, renamed', ['create' => false,
    'update' => ['name' => 'lmsops.moodle', 'enabled' => 1, 'restrictedusers' => 1], 'error' => null],
    lmsops_plan_service(['name' => 'old', 'enabled' => '0', 'restrictedusers' => '0', 'component' => ''], $wanted));
$open = $wanted;
$open['restricted_users'] = false;
check_same('service: unrestricted wanted', ['create' => false, 'update' => ['restrictedusers' => 0], 'error' => null],
    lmsops_plan_service(['name' => 'lmsops.moodle', 'enabled' => '1', 'restrictedusers' => '1'], $open));
$builtin = lmsops_plan_service(['name' => 'Moodle mobile web service', 'enabled' => '1', 'restrictedusers' => '0',
    'component' => 'moodle'], $wanted);
check('service: built-in refused', $builtin['error'] !== null && strpos($builtin['error'], 'built into moodle') !== false
    && !$builtin['create'] && $builtin['update'] === [], var_export($builtin, true));

// Context levels.
check_same('allow assign: a new role gets every wanted entry', ['add' => ['editingteacher', 'student'], 'remove' => []],
    lmsops_plan_exact([], ['student', 'editingteacher', 'student']));
check_same('allow assign: nothing to do', ['add' => [], 'remove' => []],
    lmsops_plan_exact(['student', 'teacher'], ['teacher', 'student']));
check_same('allow assign: exactly the wanted ones', ['add' => ['teacher'], 'remove' => ['manager']],
    lmsops_plan_exact(['manager', 'student'], ['student', 'teacher']));
$noassign = full_spec();
unset($noassign['role']['allow_assign']);
check_same('spec: allow_assign defaults to none', [], lmsops_normalise_spec($noassign)['role']['allow_assign']);
$badassign = full_spec();
$badassign['role']['allow_assign'] = ['Student Role'];
check_throws('spec: allow_assign takes shortnames', function() use ($badassign) {
    lmsops_normalise_spec($badassign);
}, 'InvalidArgumentException', 'role.allow_assign');
check_same('levels: new role gets system', [10], lmsops_plan_contextlevels([], 10));
check_same('levels: system already there', null, lmsops_plan_contextlevels(['10', '40'], 10));
check_same('levels: system added, others kept', [10, 40, 50], lmsops_plan_contextlevels(['50', '40'], 10));

// Authorisation.
$now = 1700000000;
check_same('auth: missing', 'add', lmsops_plan_authorisation(null, $now));
check_same('auth: no expiry', 'none', lmsops_plan_authorisation(['validuntil' => '0', 'iprestriction' => ''], $now));
check_same('auth: not expired', 'none', lmsops_plan_authorisation(['validuntil' => $now + 10], $now));
// An expired authorisation is an administrator's decision: renewed only when asked (issue 19, item 3).
check_same('auth: expired, renewal not asked', 'expired',
    lmsops_plan_authorisation(['validuntil' => (string) ($now - 10)], $now));
check_same('auth: expired, renewal asked', 'renew',
    lmsops_plan_authorisation(['validuntil' => (string) ($now - 10)], $now, true));
check_same('auth: renewal asked, nothing expired', 'none',
    lmsops_plan_authorisation(['validuntil' => (string) ($now + 10)], $now, true));
check_same('auth: IP restriction alone is left alone', 'none',
    lmsops_plan_authorisation(['validuntil' => '0', 'iprestriction' => '10.0.0.0/8'], $now));
$message = lmsops_authorisation_expired_message('lmsops_ws', 'lmsops', $now - 10);
check('auth: the message names the setting, the page and the date',
    strpos($message, 'moodle_setup_renew_authorisation: true') !== false
    && strpos($message, 'External services > lmsops > Authorised users') !== false
    && strpos($message, gmdate('Y-m-d', $now - 10)) !== false, $message);

// User authentication.
check_same('user auth: unchanged', null, lmsops_plan_user_auth('webservice', 'webservice'));
check_same('user auth: manual becomes webservice', 'webservice', lmsops_plan_user_auth('manual', 'webservice'));
check_same('user auth: not managed', null, lmsops_plan_user_auth('ldap', null));

// Tokens.
check_same('token: none', null, lmsops_pick_token([], $now, 'lmsops'));
$tokens = [
    ['id' => '3', 'token' => 'expired', 'validuntil' => (string) ($now - 1), 'timecreated' => '1', 'iprestriction' => null,
        'sid' => null],
    ['id' => '4', 'token' => 'iprestricted', 'validuntil' => '0', 'timecreated' => '2', 'iprestriction' => '10.0.0.0/8',
        'sid' => null],
    ['id' => '5', 'token' => 'session', 'validuntil' => '0', 'timecreated' => '3', 'iprestriction' => '', 'sid' => 'abc'],
];
check_same('token: none usable', null, lmsops_pick_token($tokens, $now, 'lmsops'));
$tokens[] = ['id' => '7', 'token' => 'newer', 'validuntil' => '0', 'timecreated' => '20', 'iprestriction' => '',
    'sid' => null, 'name' => 'other'];
$tokens[] = ['id' => '6', 'token' => 'older', 'validuntil' => (string) ($now + 100), 'timecreated' => '10',
    'iprestriction' => '', 'sid' => null, 'name' => 'other'];
// Reused only with exactly the wanted restrictions (issue 19, item 3): 'older' expires, 'newer' does not.
check_same('token: no expiry wanted, the one without expiry', 'newer', lmsops_pick_token($tokens, $now, 'lmsops')['token']);
check_same('token: this expiry wanted, the one expiring then', 'older',
    lmsops_pick_token($tokens, $now, 'lmsops', $now + 100)['token']);
check_same('token: order of rows does not matter', 'older',
    lmsops_pick_token(array_reverse($tokens), $now, 'lmsops', $now + 100)['token']);
check_same('token: another expiry wanted, none', null, lmsops_pick_token($tokens, $now, 'lmsops', $now + 101));
check_same('token: the IP-restricted one, when that restriction is wanted', 'iprestricted',
    lmsops_pick_token($tokens, $now, 'lmsops', 0, '10.0.0.0/8')['token']);
check_same('token: another IP restriction wanted, none', null, lmsops_pick_token($tokens, $now, 'lmsops', 0, '10.0.0.1'));
check_same('token: same IP entries in another order', 'multi', lmsops_pick_token([
    ['id' => 9, 'token' => 'multi', 'validuntil' => 0, 'iprestriction' => '192.0.2.1, 10.0.0.0/8', 'timecreated' => 1]],
    $now, 'lmsops', 0, '10.0.0.0/8,192.0.2.1')['token']);
check_same('token: an expired one is never reused, even with its expiry wanted', null,
    lmsops_pick_token($tokens, $now, 'lmsops', $now - 1));
$tokens[] = (object) ['id' => '8', 'token' => 'named', 'validuntil' => '0', 'timecreated' => '30', 'iprestriction' => '',
    'sid' => null, 'name' => 'lmsops'];
check_same('token: named one preferred (objects accepted)', 'named', lmsops_pick_token($tokens, $now, 'lmsops')['token']);
check_same('token: expiring exactly now is not usable', null,
    lmsops_pick_token([['id' => 1, 'token' => 't', 'validuntil' => $now, 'timecreated' => 1]], $now, '', $now));

// A new token never lacks a restriction an existing one has, unless asked (issue 19, item 3).
$restricted = [
    ['id' => 4, 'token' => 'a', 'validuntil' => '0', 'iprestriction' => '10.0.0.0/8', 'sid' => null, 'name' => 'admin'],
    ['id' => 6, 'token' => 'b', 'validuntil' => (string) ($now - 5), 'iprestriction' => '', 'sid' => null],
    ['id' => 5, 'token' => 'c', 'validuntil' => '0', 'iprestriction' => '10.0.0.0/8', 'sid' => 'abc'],
];
$reasons = lmsops_token_loosening($restricted, 0, '');
check_same('looser: both restrictions dropped, session tokens ignored', 2, count($reasons));
check('looser: the IP reason names the token and the setting', strpos($reasons[0], 'token id 4 (admin)') !== false
    && strpos($reasons[0], '10.0.0.0/8') !== false && strpos($reasons[0], 'moodle_setup_token_ip_restriction') !== false,
    $reasons[0]);
check('looser: the expiry reason names the token and the setting', strpos($reasons[1], 'token id 6') !== false
    && strpos($reasons[1], 'moodle_setup_token_valid_until') !== false, $reasons[1]);
check_same('looser: another IP restriction and an expiry are not looser', [],
    lmsops_token_loosening($restricted, $now + 3600, '192.0.2.0/24'));
check_same('looser: no existing restriction, nothing to undo', [],
    lmsops_token_loosening([['id' => 1, 'validuntil' => 0, 'iprestriction' => '']], 0, ''));
$message = lmsops_loosening_message('lmsops_ws', 'lmsops', $reasons);
check('looser: the message names the way out', strpos($message, 'moodle_setup_token_allow_looser: true') !== false
    && strpos($message, 'Nothing was changed') !== false, $message);

// Wanted restrictions.
check_same('wanted: no expiry', null, lmsops_check_token_wanted(['valid_until' => 0], $now));
check_same('wanted: future expiry', null, lmsops_check_token_wanted(['valid_until' => $now + 1], $now));
check('wanted: past expiry refused, naming the setting', strpos((string) lmsops_check_token_wanted(['valid_until' => $now],
    $now), 'moodle_setup_token_valid_until') === 0);
check_same('describe token: restrictions, never a value', 'token lmsops (valid until 2030-03-17 17:46 UTC, restricted to IP 192.0.2.10)',
    lmsops_describe_token(['name' => 'lmsops', 'valid_until' => 1900000000, 'iprestriction' => '192.0.2.10', 'reuse' => true]));
check_same('describe token: none', 'token x (no expiry, no IP restriction)',
    lmsops_describe_token(['name' => 'x', 'valid_until' => 0, 'iprestriction' => '']));
check_same('IP: normalised', '192.0.2.1,10.0.0.0/8', lmsops_normalise_iprestriction(' 192.0.2.1,,10.0.0.0/8 ,192.0.2.1'));
check('IP: same entries in any order', lmsops_same_iprestriction('a,b', 'b, a'));
check('IP: none equals empty', lmsops_same_iprestriction(null, ''));
check('IP: different', !lmsops_same_iprestriction('10.0.0.0/8', ''));

// Unknown names.
check_same('unknown: none', [], lmsops_unknown(['a', 'b'], ['b', 'a', 'c']));
check_same('unknown: sorted', ['x', 'y'], lmsops_unknown(['y', 'a', 'x'], ['a']));

// Results and output.
check_same('result: unchanged', ['changed' => false, 'changes' => [], 'service_id' => 3, 'user_id' => 5, 'token' => 't',
    'access' => ['userid' => 5]], lmsops_result([], 3, 5, 't', ['userid' => 5]));
check_same('result: changed, check mode', ['changed' => true, 'changes' => ['added function a'], 'service_id' => null,
    'user_id' => null, 'token' => null, 'access' => null], lmsops_result(['added function a'], null, null, null));
check_same('failure', ['failed' => true, 'changed' => false, 'changes' => [], 'msg' => 'boom'], lmsops_failure('boom'));
check_same('describe: own error is its message', 'fix it', lmsops_describe_exception(new lmsops_configure_error('fix it')));
check_same('describe: other exception', 'RuntimeException: boom', lmsops_describe_exception(new RuntimeException('boom')));
$moodlelike = new class('Error reading from database') extends Exception {
    /** @var string */
    public $errorcode = 'dmlreadexception';
    /** @var string */
    public $debuginfo = "relation \"mdl_x\" does not exist\n";
};
check('describe: errorcode and debuginfo', strpos(lmsops_describe_exception($moodlelike),
    'Error reading from database [dmlreadexception] (relation "mdl_x" does not exist)') !== false,
    lmsops_describe_exception($moodlelike));
$line = lmsops_json_line(['token' => 'a/b', 'msg' => "é\n"]);
check_same('json: one line', 1, substr_count($line, "\n"));
check_same('json: round trip', ['token' => 'a/b', 'msg' => "é\n"], json_decode($line, true));
check_same('json: slashes kept', true, strpos($line, 'a/b') !== false);

echo "$passed passed, $failed failed\n";
exit($failed === 0 ? 0 : 1);
