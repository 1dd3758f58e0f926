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
use local_lmsops\local\access;
use local_lmsops\local\context_levels;

/**
 * local_lmsops_get_access_information: what the calling user may do in some contexts, so that a client can tell,
 * without writing, whether its writes will be allowed (capabilities, "Allow role assignments", assignable roles).
 *
 * It reports on the calling user only, so it checks no capability (like core_webservice_get_site_info).
 *
 * @package    local_lmsops
 * @copyright  2026 lmsops.moodle contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class get_access_information extends external_api {
    /**
     * Capabilities, contexts and roles to ask about.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'capabilities' => new external_multiple_structure(
                new external_value(PARAM_NOTAGS, 'Capability name (moodle/user:create...)'),
                'Capabilities to check in each context',
                VALUE_DEFAULT,
                []
            ),
            'contexts' => new external_multiple_structure(
                new external_single_structure([
                    'contextlevel' => new external_value(PARAM_ALPHA,
                        'Context level: system, user, coursecat, course, module or block'),
                    'instanceid' => new external_value(PARAM_INT,
                        'Instance id: 0 for system, else the user, category, course, course module or block instance id'),
                ]),
                'Contexts to check (the system context when empty)',
                VALUE_DEFAULT,
                []
            ),
            'roles' => new external_multiple_structure(
                new external_value(PARAM_ALPHANUMEXT, 'Role shortname'),
                'Roles the caller means to assign: their assignable context levels are returned',
                VALUE_DEFAULT,
                []
            ),
        ]);
    }

    /**
     * Reports what the calling user may do.
     *
     * @param array $capabilities capability names
     * @param array $contexts list of ['contextlevel' => name, 'instanceid' => int]
     * @param array $roles role shortnames
     * @return array
     */
    public static function execute(array $capabilities = [], array $contexts = [], array $roles = []): array {
        global $USER;

        $params = self::validate_parameters(self::execute_parameters(), [
            'capabilities' => $capabilities,
            'contexts' => $contexts,
            'roles' => $roles,
        ]);
        self::validate_context(context_system::instance());

        $resolved = [];
        foreach ($params['contexts'] ?: [['contextlevel' => 'system', 'instanceid' => 0]] as $wanted) {
            $context = context_levels::resolve($wanted['contextlevel'], $wanted['instanceid']);
            $resolved[$context->id] = $context;
        }
        return access::information((int) $USER->id, $params['capabilities'], array_values($resolved), $params['roles']);
    }

    /**
     * The calling user's access.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        $names = function(string $what): external_multiple_structure {
            return new external_multiple_structure(new external_value(PARAM_RAW, $what));
        };
        return new external_single_structure([
            'userid' => new external_value(PARAM_INT, 'The calling user'),
            'siteadmin' => new external_value(PARAM_BOOL, 'Whether the calling user is a site administrator'),
            'contexts' => new external_multiple_structure(
                new external_single_structure([
                    'contextlevel' => new external_value(PARAM_ALPHA, 'Context level'),
                    'instanceid' => new external_value(PARAM_INT, 'Context instance id (0 for system)'),
                    'missingcapabilities' => $names('A capability asked about that the user does not have here'),
                    'heldroles' => new external_multiple_structure(
                        new external_single_structure([
                            'shortname' => new external_value(PARAM_ALPHANUMEXT, 'Role shortname'),
                            'contextlevel' => new external_value(PARAM_ALPHA, 'Where it is assigned: context level'),
                            'instanceid' => new external_value(PARAM_INT, 'Where it is assigned: instance id'),
                        ]),
                        'The roles the user is assigned here or in a parent context'
                    ),
                    'allowedroles' => $names('A role the held roles\' "Allow role assignments" entries allow assigning'
                        . ' (every role for a site administrator)'),
                    'assignableroles' => $names('A role the user may assign here (Moodle\'s get_assignable_roles())'),
                ]),
                'One per context asked about'
            ),
            'roles' => new external_multiple_structure(
                new external_single_structure([
                    'shortname' => new external_value(PARAM_ALPHANUMEXT, 'Role shortname'),
                    'contextlevels' => $names('A context level the role can be assigned at'),
                ]),
                'The roles asked about that exist'
            ),
            'unknowncapabilities' => $names('A capability asked about that this site does not have'),
            'unknownroles' => $names('A role asked about that this site does not have'),
        ]);
    }
}
