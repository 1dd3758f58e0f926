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
 * What the role_setup_token_user target does on a real test site's host that web services cannot: what an attacker or
 * an administrator would do by other means. Run as the web server's user; prints one JSON line.
 *
 *   php site_tool.php CONFIG password USERNAME PASSWORD   store a password hash for the user, whatever its auth
 *   php site_tool.php CONFIG expire USERNAME SERVICE       make the user's authorisation for the service expired
 *   php site_tool.php CONFIG authorisation USERNAME SERVICE the user's authorisation for the service (validuntil)
 *   php site_tool.php CONFIG role SHORTNAME USERNAME       the role's system capabilities and allow-assign entries,
 *                                                           and the user's auth
 *
 * @package    local_lmsops
 * @copyright  2026 lmsops.moodle contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

define('CLI_SCRIPT', true);

require($argv[1]);

$command = $argv[2] ?? '';
if ($command === 'password' || $command === 'expire' || $command === 'authorisation') {
    $user = $DB->get_record('user', ['username' => $argv[3], 'deleted' => 0], '*', MUST_EXIST);
}
if ($command === 'password') {
    // Straight into the table: the auth plugin of a webservice user would refuse to store a password.
    $DB->set_field('user', 'password', hash_internal_user_password($argv[4]), ['id' => $user->id]);
    $result = ['userid' => (int) $user->id, 'auth' => $user->auth];
} else if ($command === 'expire') {
    $service = $DB->get_record('external_services', ['shortname' => $argv[4]], '*', MUST_EXIST);
    $row = $DB->get_record('external_services_users', ['externalserviceid' => $service->id, 'userid' => $user->id],
        '*', MUST_EXIST);
    $DB->set_field('external_services_users', 'validuntil', time() - 3600, ['id' => $row->id]);
    $result = ['validuntil' => (int) $DB->get_field('external_services_users', 'validuntil', ['id' => $row->id])];
} else if ($command === 'authorisation') {
    $service = $DB->get_record('external_services', ['shortname' => $argv[4]], '*', MUST_EXIST);
    $row = $DB->get_record('external_services_users', ['externalserviceid' => $service->id, 'userid' => $user->id],
        '*', MUST_EXIST);
    $result = ['validuntil' => (int) $row->validuntil, 'iprestriction' => (string) $row->iprestriction];
} else if ($command === 'role') {
    $role = $DB->get_record('role', ['shortname' => $argv[3]], '*', MUST_EXIST);
    $holder = $DB->get_record('user', ['username' => $argv[4], 'deleted' => 0], '*', MUST_EXIST);
    $context = context_system::instance();
    $result = [
        'allowed' => array_values($DB->get_fieldset_select('role_capabilities', 'capability',
            'roleid = ? AND contextid = ? AND permission = ?', [$role->id, $context->id, CAP_ALLOW])),
        'allow_assign' => array_values($DB->get_fieldset_sql('SELECT r.shortname FROM {role_allow_assign} a
            JOIN {role} r ON r.id = a.allowassign WHERE a.roleid = ?', [$role->id])),
        'assigned' => user_has_role_assignment($holder->id, $role->id, $context->id),
        'auth' => $holder->auth,
        'siteadmin' => is_siteadmin($holder),
    ];
    sort($result['allowed']);
    sort($result['allow_assign']);
} else {
    fwrite(STDERR, "unknown command $command\n");
    exit(2);
}
echo json_encode($result), "\n";
