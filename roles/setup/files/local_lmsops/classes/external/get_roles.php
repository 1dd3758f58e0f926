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

namespace local_lmsops\external;

use context_system;
use core_external\external_api;
use core_external\external_function_parameters;
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;
use local_lmsops\local\context_levels;

/**
 * local_lmsops_get_roles: the site's roles and the context levels each can be assigned at.
 *
 * @package    local_lmsops
 * @copyright  2026 lmsops.moodle contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class get_roles extends external_api {
    /**
     * No parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([]);
    }

    /**
     * Lists every role of the site, in the site's sort order.
     *
     * @return array
     */
    public static function execute(): array {
        self::validate_parameters(self::execute_parameters(), []);
        $context = context_system::instance();
        self::validate_context($context);
        require_capability('moodle/role:review', $context);

        $roles = [];
        foreach (get_all_roles() as $role) {
            $levels = [];
            foreach (get_role_contextlevels($role->id) as $level) {
                $name = context_levels::name((int) $level);
                if ($name !== null) {
                    $levels[] = $name;
                }
            }
            $roles[] = [
                'id' => (int) $role->id,
                'shortname' => $role->shortname,
                'name' => role_get_name($role, $context, ROLENAME_ORIGINAL),
                'archetype' => (string) $role->archetype,
                'contextlevels' => $levels,
            ];
        }
        return ['roles' => $roles];
    }

    /**
     * The list of roles.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'roles' => new external_multiple_structure(
                new external_single_structure([
                    'id' => new external_value(PARAM_INT, 'Role id'),
                    'shortname' => new external_value(PARAM_ALPHANUMEXT, 'Role short name'),
                    'name' => new external_value(PARAM_TEXT, 'Role name (the localised default name when empty)'),
                    'archetype' => new external_value(PARAM_ALPHANUMEXT, 'Role archetype, empty for none'),
                    'contextlevels' => new external_multiple_structure(
                        new external_value(PARAM_ALPHA, 'Context level: system, user, coursecat, course, module or block'),
                        'Context levels the role can be assigned at'
                    ),
                ])
            ),
        ]);
    }
}
