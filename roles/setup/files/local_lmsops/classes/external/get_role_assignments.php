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

use core_external\external_api;
use core_external\external_function_parameters;
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;
use local_lmsops\local\context_levels;

/**
 * local_lmsops_get_role_assignments: role assignments made in given contexts (any level).
 *
 * @package    local_lmsops
 * @copyright  2026 lmsops.moodle contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class get_role_assignments extends external_api {
    /**
     * Contexts to read, optional user and role filters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'contexts' => new external_multiple_structure(
                new external_single_structure([
                    'contextlevel' => new external_value(PARAM_ALPHA,
                        'Context level: system, user, coursecat, course, module or block'),
                    'instanceid' => new external_value(PARAM_INT,
                        'Instance id: 0 for system, else the user, category, course, course module or block instance id'),
                ]),
                'Contexts whose role assignments are read'
            ),
            'userids' => new external_multiple_structure(
                new external_value(PARAM_INT, 'User id'),
                'Only assignments of these users (all users when empty)',
                VALUE_DEFAULT,
                []
            ),
            'roleids' => new external_multiple_structure(
                new external_value(PARAM_INT, 'Role id'),
                'Only assignments of these roles (all roles when empty)',
                VALUE_DEFAULT,
                []
            ),
        ]);
    }

    /**
     * Reads the role assignments made directly in the given contexts (not inherited ones).
     *
     * @param array $contexts list of ['contextlevel' => name, 'instanceid' => int]
     * @param array $userids user ids, empty for all
     * @param array $roleids role ids, empty for all
     * @return array
     */
    public static function execute(array $contexts, array $userids = [], array $roleids = []): array {
        global $DB;

        $params = self::validate_parameters(self::execute_parameters(), [
            'contexts' => $contexts,
            'userids' => $userids,
            'roleids' => $roleids,
        ]);

        $resolved = [];
        foreach ($params['contexts'] as $wanted) {
            $context = context_levels::resolve($wanted['contextlevel'], $wanted['instanceid']);
            self::validate_context($context);
            require_capability('moodle/role:review', $context);
            $resolved[$context->id] = $context;
        }
        if (!$resolved) {
            return ['assignments' => []];
        }

        [$select, $sqlparams] = $DB->get_in_or_equal(array_keys($resolved), SQL_PARAMS_NAMED, 'ctx');
        $select = 'contextid ' . $select;
        if ($params['userids']) {
            [$usersql, $userparams] = $DB->get_in_or_equal(array_unique($params['userids']), SQL_PARAMS_NAMED, 'usr');
            $select .= ' AND userid ' . $usersql;
            $sqlparams += $userparams;
        }
        if ($params['roleids']) {
            [$rolesql, $roleparams] = $DB->get_in_or_equal(array_unique($params['roleids']), SQL_PARAMS_NAMED, 'rol');
            $select .= ' AND roleid ' . $rolesql;
            $sqlparams += $roleparams;
        }

        $records = $DB->get_records_select('role_assignments', $select, $sqlparams,
            'contextid ASC, userid ASC, roleid ASC, id ASC', 'id, roleid, userid, contextid, component, itemid');

        $assignments = [];
        foreach ($records as $record) {
            $context = $resolved[$record->contextid];
            $assignments[] = [
                'id' => (int) $record->id,
                'roleid' => (int) $record->roleid,
                'userid' => (int) $record->userid,
                'contextid' => (int) $record->contextid,
                'contextlevel' => context_levels::name((int) $context->contextlevel),
                'instanceid' => (int) $context->instanceid,
                'component' => (string) $record->component,
                'itemid' => (int) $record->itemid,
            ];
        }
        return ['assignments' => $assignments];
    }

    /**
     * The list of assignments.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'assignments' => new external_multiple_structure(
                new external_single_structure([
                    'id' => new external_value(PARAM_INT, 'Role assignment id'),
                    'roleid' => new external_value(PARAM_INT, 'Role id'),
                    'userid' => new external_value(PARAM_INT, 'User id'),
                    'contextid' => new external_value(PARAM_INT, 'Context id'),
                    'contextlevel' => new external_value(PARAM_ALPHA,
                        'Context level: system, user, coursecat, course, module or block'),
                    'instanceid' => new external_value(PARAM_INT, 'Context instance id (0 for system)'),
                    'component' => new external_value(PARAM_COMPONENT,
                        'Component that made the assignment (enrol_cohort...), empty for manual assignments'),
                    'itemid' => new external_value(PARAM_INT, 'Item id of that component, 0 for manual assignments'),
                ])
            ),
        ]);
    }
}
