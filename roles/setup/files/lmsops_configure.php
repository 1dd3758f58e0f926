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
 * Makes a Moodle site match an lmsops.moodle setup spec: external service and its functions, token user,
 * least-privilege role, service authorisation and token. Idempotent; --check changes nothing.
 *
 * Run on the Moodle host as the web server's user, next to lmsops_configure_lib.php:
 *   php lmsops_configure.php --moodle-dir=/var/www/moodle --spec=/tmp/spec.json [--check]
 *
 * stdout gets exactly one JSON line (anything Moodle prints goes to stderr):
 *   {"changed": bool, "changes": [...], "service_id": int|null, "user_id": int|null, "token": string|null,
 *    "access": object|null}
 * "access" is what the token user may do once the spec is applied (spec "access": the capabilities and roles to ask
 * about), as local_lmsops_get_access_information answers it; null in check mode when something would change.
 * exit 0; on failure {"failed": true, "changed": false, "changes": [], "msg": "..."} and exit 1
 * (2 for bad arguments or spec). Everything is done in one database transaction: a failure changes nothing.
 *
 * @package    local_lmsops
 * @copyright  2026 lmsops.moodle contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

define('CLI_SCRIPT', true);

require_once(__DIR__ . '/lmsops_configure_lib.php');

try {
    $lmsopsargs = lmsops_parse_args(array_slice($_SERVER['argv'], 1));
    if ($lmsopsargs['help']) {
        fwrite(STDOUT, lmsops_usage());
        exit(0);
    }
    $lmsopsspec = lmsops_read_spec($lmsopsargs['spec']);
    $lmsopsconfig = lmsops_config_path($lmsopsargs['moodle_dir']);
} catch (InvalidArgumentException $e) {
    fwrite(STDOUT, lmsops_json_line(lmsops_failure($e->getMessage())));
    exit(2);
}

// Whatever Moodle prints (debugging, notices) is captured and sent to stderr so stdout stays one JSON line.
$lmsopsoblevel = ob_get_level();
ob_start();

require($lmsopsconfig);
require_once($CFG->dirroot . '/webservice/lib.php');
require_once($CFG->dirroot . '/user/lib.php');
// The companion plugin's class for what a user may do, copied next to this script (the plugin may not be installed).
if (!class_exists('\\local_lmsops\\local\\access', false) && is_file(__DIR__ . '/lmsops_access.php')) {
    require_once(__DIR__ . '/lmsops_access.php');
}

$lmsopsexit = 0;
try {
    \core\session\manager::set_user(get_admin());
    $lmsopsresult = lmsops_configure($lmsopsspec, $lmsopsargs['check']);
} catch (Throwable $e) {
    $lmsopsresult = lmsops_failure(lmsops_describe_exception($e));
    $lmsopsexit = 1;
}

$lmsopsprinted = '';
while (ob_get_level() > $lmsopsoblevel) {
    $lmsopsprinted .= ob_get_clean();
}
if ($lmsopsprinted !== '') {
    fwrite(STDERR, $lmsopsprinted);
}
fwrite(STDOUT, lmsops_json_line($lmsopsresult));
exit($lmsopsexit);

/**
 * Applies (or, with $check, only plans) the spec.
 *
 * @param array $spec normalised spec
 * @param bool $check change nothing
 * @return array the result (see lmsops_result())
 */
function lmsops_configure(array $spec, bool $check): array {
    global $DB;

    $changes = [];
    $ws = new webservice();
    $syscontext = context_system::instance();
    $transaction = $check ? null : $DB->start_delegated_transaction();
    try {
        $serviceid = lmsops_ensure_service($ws, $spec['service'], $check, $changes);
        $user = lmsops_ensure_user($spec['token_user'], $check, $changes);
        $userid = $user ? (int) $user->id : null;
        if ($spec['role'] !== null) {
            lmsops_ensure_role($spec['role'], $user, $syscontext, $check, $changes);
        }
        $username = $user ? $user->username : $spec['token_user']['username'];
        lmsops_ensure_authorisation($ws, $serviceid, $userid, $username, $spec['service']['shortname'],
            $spec['authorisation']['renew_expired'], $check, $changes);
        $token = lmsops_ensure_token($ws, $serviceid, $userid, $username, $spec['service']['shortname'], $spec['token'],
            $syscontext, $check, $changes);
        if ($transaction) {
            $transaction->allow_commit();
        }
    } catch (Throwable $e) {
        if ($transaction) {
            $transaction->rollback($e); // Rethrows $e.
        }
        throw $e;
    }
    // What the token user may do now; in check mode only when nothing would change (else it would be the old state).
    $access = ($user && (!$check || !$changes)) ? lmsops_read_access((int) $user->id, $spec['access']) : null;
    return lmsops_result($changes, $serviceid, $userid, $token, $access);
}

/**
 * What the token user may do in the system context and in a course (spec access.courseid, else the site's first),
 * as local_lmsops_get_access_information answers it. Null when the class for it was not copied here.
 *
 * @param int $userid
 * @param array $wanted spec['access']
 * @return array|null
 */
function lmsops_read_access(int $userid, array $wanted): ?array {
    global $DB;

    if (!class_exists('\\local_lmsops\\local\\access', false)) {
        return null;
    }
    $contexts = [context_system::instance()];
    $courseid = $wanted['courseid'] ?: (int) $DB->get_field_sql('SELECT MIN(id) FROM {course} WHERE id <> ?', [SITEID]);
    if ($courseid && $courseid != SITEID) {
        $course = context_course::instance($courseid, IGNORE_MISSING);
        if ($course) {
            $contexts[] = $course;
        }
    }
    // Capability checks of another user read its access data afresh.
    accesslib_clear_all_caches(false);
    return \local_lmsops\local\access::information($userid, $wanted['capabilities'], $contexts, $wanted['roles']);
}

/**
 * The external service: created or updated (enabled, restricted users, name), with exactly the wanted functions.
 *
 * @param webservice $ws
 * @param array $wanted spec['service']
 * @param bool $check
 * @param string[] $changes
 * @return int|null service id (null in check mode when it would be created)
 */
function lmsops_ensure_service(webservice $ws, array $wanted, bool $check, array &$changes): ?int {
    global $DB;

    if ($wanted['functions']) {
        [$insql, $params] = $DB->get_in_or_equal($wanted['functions']);
        $known = $DB->get_fieldset_select('external_functions', 'name', 'name ' . $insql, $params);
        $unknown = lmsops_unknown($wanted['functions'], $known);
        if ($unknown) {
            throw new lmsops_configure_error(
                'Functions not found on this site (is the plugin that provides them installed?): ' . implode(', ', $unknown));
        }
    }

    $service = $ws->get_external_service_by_shortname($wanted['shortname']);
    $plan = lmsops_plan_service($service ? (array) $service : null, $wanted);
    if ($plan['error'] !== null) {
        throw new lmsops_configure_error($plan['error']);
    }
    if (isset($plan['update']['name'])) {
        $other = $DB->get_record('external_services', ['name' => $wanted['name']]);
        if ($other && (!$service || (int) $other->id !== (int) $service->id)) {
            throw new lmsops_configure_error('Another service is already named "'
                . $wanted['name'] . '" (shortname ' . ($other->shortname ?? '') . '); choose another service name');
        }
    }

    $serviceid = $service ? (int) $service->id : null;
    if ($plan['create']) {
        $changes[] = 'created service ' . $wanted['shortname'];
        if (!$check) {
            $record = (object) array_merge($plan['update'], [
                'shortname' => $wanted['shortname'],
                'requiredcapability' => '',
                'downloadfiles' => 0,
                'uploadfiles' => 0,
            ]);
            $serviceid = (int) $ws->add_external_service($record);
            \core\event\webservice_service_created::create(['objectid' => $serviceid])->trigger();
        }
    } else if ($plan['update']) {
        foreach ($plan['update'] as $field => $value) {
            $changes[] = 'set service ' . $wanted['shortname'] . ' ' . $field . ' to ' . $value;
        }
        if (!$check) {
            $ws->update_external_service((object) array_merge(['id' => $serviceid], $plan['update']));
            \core\event\webservice_service_updated::create(['objectid' => $serviceid])->trigger();
        }
    }

    $current = $serviceid
        ? $DB->get_fieldset_select('external_services_functions', 'functionname', 'externalserviceid = ?', [$serviceid])
        : [];
    $functions = lmsops_plan_exact($current, $wanted['functions']);
    foreach ($functions['add'] as $function) {
        $changes[] = 'added function ' . $function;
        if (!$check && !$ws->service_function_exists($function, $serviceid)) {
            $ws->add_external_function_to_service($function, $serviceid);
        }
    }
    foreach ($functions['remove'] as $function) {
        $changes[] = 'removed function ' . $function;
        if (!$check) {
            $ws->remove_external_function_from_service($function, $serviceid);
        }
    }
    return $serviceid;
}

/**
 * The token user: the site administrator (spec null), an existing user, or a new one.
 *
 * @param array|null $wanted spec['token_user']
 * @param bool $check
 * @param string[] $changes
 * @return stdClass|null the user (null in check mode when it would be created)
 */
function lmsops_ensure_user(?array $wanted, bool $check, array &$changes): ?stdClass {
    global $CFG;

    if ($wanted === null) {
        $admin = get_admin();
        if (!$admin) {
            throw new lmsops_configure_error('No site administrator found');
        }
        return $admin;
    }

    if ($wanted['auth'] !== null && !exists_auth_plugin($wanted['auth'])) {
        throw new lmsops_configure_error('moodle_setup_token_user_auth: there is no authentication plugin '
            . $wanted['auth'] . ' on this site');
    }
    $user = core_user::get_user_by_username($wanted['username']);
    if ($user) {
        if (!empty($user->deleted) || !empty($user->suspended) || empty($user->confirmed) || $user->auth === 'nologin') {
            throw new lmsops_configure_error('The token user ' . $wanted['username']
                . ' is deleted, suspended, unconfirmed or has the nologin authentication;'
                . ' fix it in Site administration > Users > Browse list of users');
        }
        if (is_siteadmin($user)) {
            throw new lmsops_configure_error('The token user ' . $wanted['username'] . ' is a site administrator,'
                . ' who has every capability whatever its roles: choose a dedicated user that is not one, or leave'
                . ' moodle_setup_token_username empty to use the site administrator knowingly');
        }
        $auth = lmsops_plan_user_auth((string) $user->auth, $wanted['auth']);
        if ($auth !== null) {
            $changes[] = 'set the authentication of user ' . $wanted['username'] . ' to ' . $auth
                . ' (was ' . $user->auth . ')';
            if (!$check) {
                user_update_user((object) ['id' => $user->id, 'auth' => $auth], false, true);
                // A web login the user had stays valid until its session ends: end it now.
                \core\session\manager::destroy_user_sessions($user->id);
                $user = core_user::get_user($user->id, '*', MUST_EXIST);
            }
        }
        return $user;
    }
    if (!$wanted['create']) {
        throw new lmsops_configure_error('The token user ' . $wanted['username']
            . ' does not exist; create it or set token_user.create');
    }

    $changes[] = 'created user ' . $wanted['username'];
    if ($check) {
        return null;
    }
    // No password, and (by default) the webservice authentication, whose login form refuses every password:
    // the account only uses its token.
    $userid = user_create_user((object) [
        'username' => $wanted['username'],
        'auth' => $wanted['auth'] ?? 'manual',
        'confirmed' => 1,
        'mnethostid' => $CFG->mnet_localhost_id,
        'firstname' => $wanted['firstname'],
        'lastname' => $wanted['lastname'],
        'email' => $wanted['email'],
    ], false);
    return core_user::get_user($userid, '*', MUST_EXIST);
}

/**
 * The least-privilege role: exactly the wanted capabilities allowed at system context, assignable and
 * assigned at system level to the token user.
 *
 * @param array $wanted spec['role']
 * @param stdClass|null $user the token user (null in check mode when it would be created)
 * @param context_system $syscontext
 * @param bool $check
 * @param string[] $changes
 */
function lmsops_ensure_role(array $wanted, ?stdClass $user, $syscontext, bool $check, array &$changes): void {
    global $DB;

    $unknown = [];
    foreach ($wanted['capabilities'] as $capability) {
        if (!get_capability_info($capability)) {
            $unknown[] = $capability;
        }
    }
    if ($unknown) {
        throw new lmsops_configure_error(
            'Capabilities not found on this site: ' . implode(', ', $unknown));
    }

    $role = $DB->get_record('role', ['shortname' => $wanted['shortname']]);
    if ($role && !empty($role->archetype)) {
        throw new lmsops_configure_error('The role ' . $wanted['shortname']
            . ' has the archetype ' . $role->archetype . ' and is not managed by this script; choose another role shortname');
    }
    $roleid = $role ? (int) $role->id : null;
    if (!$role) {
        $changes[] = 'created role ' . $wanted['shortname'];
        if (!$check) {
            $roleid = (int) create_role($wanted['name'], $wanted['shortname'],
                'Least-privilege role of the lmsops.moodle web-service user (managed by lmsops.moodle).');
        }
    } else if ($role->name !== $wanted['name']) {
        $changes[] = 'renamed role ' . $wanted['shortname'] . ' to ' . $wanted['name'];
        if (!$check) {
            $DB->set_field('role', 'name', $wanted['name'], ['id' => $roleid]);
        }
    }

    $current = $roleid
        ? $DB->get_records_menu('role_capabilities', ['roleid' => $roleid, 'contextid' => $syscontext->id], '',
            'capability, permission')
        : [];
    $plan = lmsops_plan_capabilities($current, $wanted['capabilities']);
    foreach ($plan['allow'] as $capability) {
        $changes[] = 'allowed capability ' . $capability . ' in role ' . $wanted['shortname'];
        if (!$check) {
            assign_capability($capability, CAP_ALLOW, $roleid, $syscontext->id, true);
        }
    }
    foreach ($plan['remove'] as $capability) {
        $changes[] = 'removed capability ' . $capability . ' from role ' . $wanted['shortname'];
        if (!$check) {
            if (get_capability_info($capability)) {
                unassign_capability($capability, $roleid, $syscontext->id);
            } else {
                // A capability of an uninstalled plugin: unassign_capability() refuses unknown names.
                $DB->delete_records('role_capabilities',
                    ['roleid' => $roleid, 'contextid' => $syscontext->id, 'capability' => $capability]);
            }
        }
    }

    $levels = lmsops_plan_contextlevels($roleid ? array_values(get_role_contextlevels($roleid)) : [], CONTEXT_SYSTEM);
    if ($levels !== null) {
        $changes[] = 'made role ' . $wanted['shortname'] . ' assignable at system level';
        if (!$check) {
            set_role_contextlevels($roleid, $levels);
        }
    }

    lmsops_ensure_allow_assign($wanted, $roleid, $check, $changes);

    $username = $user ? $user->username : '(new user)';
    if (!$roleid || !$user || !user_has_role_assignment($user->id, $roleid, $syscontext->id)) {
        $changes[] = 'assigned role ' . $wanted['shortname'] . ' to ' . $username . ' at system level';
        if (!$check) {
            role_assign($roleid, $user->id, $syscontext->id);
        }
    }
}

/**
 * The role's "Allow role assignments" entries (Site administration > Users > Permissions > Define roles >
 * Allow role assignments): Moodle lets a non-administrator enrol with, or assign, only the roles listed there.
 *
 * @param array $wanted spec['role']
 * @param int|null $roleid null in check mode when the role would be created
 * @param bool $check
 * @param string[] $changes
 */
function lmsops_ensure_allow_assign(array $wanted, ?int $roleid, bool $check, array &$changes): void {
    global $DB;

    $ids = $wanted['allow_assign']
        ? $DB->get_records_list('role', 'shortname', $wanted['allow_assign'], '', 'shortname, id')
        : [];
    $unknown = array_diff($wanted['allow_assign'], array_keys($ids));
    if ($unknown) {
        throw new lmsops_configure_error('Roles to allow assigning not found on this site: ' . implode(', ', $unknown)
            . ' (moodle_setup_role_allow_assign takes role shortnames)');
    }
    $current = $roleid
        ? $DB->get_records_sql_menu('SELECT r.shortname, r.id FROM {role_allow_assign} a JOIN {role} r ON r.id = a.allowassign
                                     WHERE a.roleid = ?', [$roleid])
        : [];
    $plan = lmsops_plan_exact(array_keys($current), $wanted['allow_assign']);
    foreach ($plan['add'] as $shortname) {
        $changes[] = 'allowed role ' . $wanted['shortname'] . ' to assign ' . $shortname;
        if (!$check) {
            core_role_set_assign_allowed($roleid, (int) $ids[$shortname]->id);
        }
    }
    foreach ($plan['remove'] as $shortname) {
        $changes[] = 'stopped role ' . $wanted['shortname'] . ' assigning ' . $shortname;
        if (!$check) {
            $DB->delete_records('role_allow_assign', ['roleid' => $roleid, 'allowassign' => (int) $current[$shortname]]);
        }
    }
}

/**
 * The token user's authorisation for the service. An expired authorisation is renewed only when asked.
 *
 * @param webservice $ws
 * @param int|null $serviceid null in check mode when the service would be created
 * @param int|null $userid null in check mode when the user would be created
 * @param string $username
 * @param string $serviceshortname
 * @param bool $renewexpired spec authorisation.renew_expired
 * @param bool $check
 * @param string[] $changes
 */
function lmsops_ensure_authorisation(webservice $ws, ?int $serviceid, ?int $userid, string $username,
        string $serviceshortname, bool $renewexpired, bool $check, array &$changes): void {
    $current = ($serviceid && $userid) ? $ws->get_ws_authorised_user($serviceid, $userid) : false;
    $plan = lmsops_plan_authorisation($current ? (array) $current : null, time(), $renewexpired);
    if ($plan === 'expired') {
        throw new lmsops_configure_error(lmsops_authorisation_expired_message($username, $serviceshortname,
            (int) $current->validuntil));
    }
    if ($plan === 'add') {
        $changes[] = 'authorised user ' . $username . ' for service ' . $serviceshortname;
        if (!$check) {
            $ws->add_ws_authorised_user((object) ['externalserviceid' => $serviceid, 'userid' => $userid]);
            \core\event\webservice_service_user_added::create(['objectid' => $serviceid, 'relateduserid' => $userid])
                ->trigger();
        }
    } else if ($plan === 'renew') {
        $changes[] = 'removed the expiry (' . lmsops_format_time((int) $current->validuntil) . ') of user ' . $username
            . '\'s authorisation for service ' . $serviceshortname . ' (moodle_setup_renew_authorisation)';
        if (!$check) {
            $ws->update_ws_authorised_user((object) ['id' => $current->serviceuserid, 'validuntil' => 0]);
        }
    }
}

/**
 * The token: the user's existing token for the service with exactly the wanted restrictions, or a new one with them.
 * A new token never lacks a restriction (IP, expiry) that the user's other tokens for the service have, unless
 * spec token.allow_looser says so.
 *
 * @param webservice $ws
 * @param int|null $serviceid
 * @param int|null $userid
 * @param string $username
 * @param string $serviceshortname
 * @param array $wanted spec['token']
 * @param context_system $syscontext
 * @param bool $check
 * @param string[] $changes
 * @return string|null the token (null in check mode when one would be issued)
 */
function lmsops_ensure_token(webservice $ws, ?int $serviceid, ?int $userid, string $username, string $serviceshortname,
        array $wanted, $syscontext, bool $check, array &$changes): ?string {
    global $DB;

    $now = time();
    $problem = lmsops_check_token_wanted($wanted, $now);
    if ($problem !== null) {
        throw new lmsops_configure_error($problem);
    }
    $tokens = [];
    if ($serviceid && $userid) {
        $rows = $DB->get_records('external_tokens',
            ['userid' => $userid, 'externalserviceid' => $serviceid, 'tokentype' => EXTERNAL_TOKEN_PERMANENT],
            'timecreated ASC, id ASC');
        foreach ($rows as $row) {
            $tokens[] = (array) $row;
        }
    }
    if ($wanted['reuse']) {
        $picked = lmsops_pick_token($tokens, $now, $wanted['name'], $wanted['valid_until'], $wanted['iprestriction']);
        if ($picked !== null) {
            return $picked['token'];
        }
    }
    if (!$wanted['allow_looser']) {
        $reasons = lmsops_token_loosening($tokens, $wanted['valid_until'], $wanted['iprestriction']);
        if ($reasons) {
            throw new lmsops_configure_error(lmsops_loosening_message($username, $serviceshortname, $reasons));
        }
    }

    $changes[] = 'issued ' . lmsops_describe_token($wanted);
    if ($check) {
        return null;
    }
    $service = $ws->get_external_service_by_id($serviceid, MUST_EXIST);
    // Releases whose generate_token() has no $name parameter simply ignore the extra argument.
    return \core_external\util::generate_token(EXTERNAL_TOKEN_PERMANENT, $service, $userid, $syscontext,
        $wanted['valid_until'], $wanted['iprestriction'], $wanted['name']);
}
