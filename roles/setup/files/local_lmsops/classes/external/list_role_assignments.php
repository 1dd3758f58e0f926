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

use context;
use context_helper;
use core_external\external_api;
use core_external\external_function_parameters;
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;
use invalid_parameter_exception;
use local_lmsops\local\context_levels;
use local_lmsops\local\paging;

/**
 * local_lmsops_list_role_assignments: role assignments made in some contexts and/or held by some users, paged.
 *
 * One query, whatever the number of assignments: the assignments joined to their contexts.
 *
 * @package    local_lmsops
 * @copyright  2026 lmsops.moodle contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class list_role_assignments extends external_api {
    /**
     * Contexts and/or users, an optional role filter, the page.
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
                'Only assignments made in these contexts (any context when empty; contexts or userids is required)',
                VALUE_DEFAULT,
                []
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
            'afterid' => paging::afterid_parameter(),
            'limit' => paging::limit_parameter(),
        ]);
    }

    /**
     * Reads the assignments, in role assignment id order.
     *
     * @param array $contexts list of ['contextlevel' => name, 'instanceid' => int]
     * @param array $userids user ids
     * @param array $roleids role ids, empty for all
     * @param int $afterid only assignments with a greater id
     * @param int $limit at most this many (0: paging::MAX_LIMIT)
     * @return array
     */
    public static function execute(array $contexts = [], array $userids = [], array $roleids = [], int $afterid = 0,
            int $limit = 0): array {
        global $DB;

        $params = self::validate_parameters(self::execute_parameters(), [
            'contexts' => $contexts,
            'userids' => $userids,
            'roleids' => $roleids,
            'afterid' => $afterid,
            'limit' => $limit,
        ]);
        $size = paging::size($params['afterid'], $params['limit']);
        if (!$params['contexts'] && !$params['userids']) {
            throw new invalid_parameter_exception('contexts or userids is required');
        }
        // The contexts asked for: checked as local_lmsops_get_role_assignments checks them (the Permissions and
        // Assign roles pages of a context, and core_enrol_get_enrolled_users's withcapability, ask moodle/role:review).
        $contextids = [];
        foreach ($params['contexts'] as $wanted) {
            $context = context_levels::resolve($wanted['contextlevel'], $wanted['instanceid']);
            self::validate_context($context);
            require_capability('moodle/role:review', $context);
            $contextids[$context->id] = (int) $context->id;
        }

        $where = 'ra.id > :afterid';
        $sqlparams = ['afterid' => $params['afterid']];
        foreach (['ra.contextid' => array_values($contextids), 'ra.userid' => $params['userids'],
                'ra.roleid' => $params['roleids']] as $column => $ids) {
            if ($ids) {
                [$insql, $inparams] = $DB->get_in_or_equal(array_values(array_unique($ids)), SQL_PARAMS_NAMED, 'id');
                $where .= ' AND ' . $column . ' ' . $insql;
                $sqlparams += $inparams;
            }
        }
        $ctxfields = context_helper::get_preload_record_columns_sql('ctx');
        $sql = "SELECT ra.id, ra.roleid, ra.userid, ra.contextid, ra.component, ra.itemid, $ctxfields
                  FROM {role_assignments} ra
                  JOIN {context} ctx ON ctx.id = ra.contextid
                 WHERE $where
              ORDER BY ra.id ASC";
        [$records, $nextafterid] = paging::cut($DB->get_records_sql($sql, $sqlparams, 0, $size + 1), $size);

        $assignments = [];
        $checked = $contextids;
        foreach ($records as $record) {
            context_helper::preload_from_record($record);
            $context = context::instance_by_id((int) $record->contextid);
            if (!isset($checked[$context->id])) {
                // Only users asked for: each context met is checked as one asked for (preloaded, no query each).
                require_capability('moodle/role:review', $context);
                $checked[$context->id] = (int) $context->id;
            }
            $level = context_levels::name((int) $context->contextlevel);
            if ($level === null) {
                continue;
            }
            $assignments[] = [
                'id' => (int) $record->id,
                'roleid' => (int) $record->roleid,
                'userid' => (int) $record->userid,
                'contextid' => (int) $record->contextid,
                'contextlevel' => $level,
                'instanceid' => (int) $context->instanceid,
                'component' => (string) $record->component,
                'itemid' => (int) $record->itemid,
            ];
        }
        return ['assignments' => $assignments, 'nextafterid' => $nextafterid];
    }

    /**
     * The assignments and where the next page starts.
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
            'nextafterid' => paging::nextafterid_return(),
        ]);
    }
}
