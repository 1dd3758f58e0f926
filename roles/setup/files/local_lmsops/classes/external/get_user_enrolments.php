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

use context_course;
use core_external\external_api;
use core_external\external_function_parameters;
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;
use invalid_parameter_exception;

/**
 * local_lmsops_get_user_enrolments: a course's enrolments (every method) with status and dates.
 *
 * @package    local_lmsops
 * @copyright  2026 lmsops.moodle contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class get_user_enrolments extends external_api {
    /**
     * The course, optionally some users.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'courseid' => new external_value(PARAM_INT, 'Course id'),
            'userids' => new external_multiple_structure(
                new external_value(PARAM_INT, 'User id'),
                'Only the enrolments of these users (all users when empty)',
                VALUE_DEFAULT,
                []
            ),
        ]);
    }

    /**
     * Reads user_enrolments joined to the course's enrolment instances, and the users' course-context roles.
     *
     * @param int $courseid course id
     * @param array $userids user ids, empty for all
     * @return array
     */
    public static function execute(int $courseid, array $userids = []): array {
        global $DB;

        $params = self::validate_parameters(self::execute_parameters(), [
            'courseid' => $courseid,
            'userids' => $userids,
        ]);

        $context = context_course::instance($params['courseid'], IGNORE_MISSING);
        if (!$context) {
            throw new invalid_parameter_exception('Course not found: courseid=' . $params['courseid']);
        }
        self::validate_context($context);
        require_capability('moodle/course:enrolreview', $context);

        $sqlparams = ['courseid' => $params['courseid']];
        $usersql = '';
        if ($params['userids']) {
            [$insql, $inparams] = $DB->get_in_or_equal(array_unique($params['userids']), SQL_PARAMS_NAMED, 'usr');
            $usersql = ' AND ue.userid ' . $insql;
            $sqlparams += $inparams;
        }
        $sql = "SELECT ue.id, ue.userid, ue.enrolid, e.enrol, ue.status, ue.timestart, ue.timeend
                  FROM {user_enrolments} ue
                  JOIN {enrol} e ON e.id = ue.enrolid
                 WHERE e.courseid = :courseid $usersql
              ORDER BY ue.userid ASC, e.sortorder ASC, ue.id ASC";
        $records = $DB->get_records_sql($sql, $sqlparams);

        $rolesbyuser = [];
        $enrolleduserids = array_values(array_unique(array_map('intval', array_column($records, 'userid'))));
        if ($enrolleduserids) {
            [$insql, $inparams] = $DB->get_in_or_equal($enrolleduserids, SQL_PARAMS_NAMED, 'ra');
            $inparams['contextid'] = $context->id;
            $sql = "SELECT ra.id, ra.userid, ra.roleid, r.shortname
                      FROM {role_assignments} ra
                      JOIN {role} r ON r.id = ra.roleid
                     WHERE ra.contextid = :contextid AND ra.userid $insql
                  ORDER BY ra.userid ASC, r.sortorder ASC, ra.id ASC";
            foreach ($DB->get_records_sql($sql, $inparams) as $ra) {
                // A role assigned twice (manually and by an enrolment method) is listed once.
                $rolesbyuser[(int) $ra->userid][(int) $ra->roleid] = [
                    'roleid' => (int) $ra->roleid,
                    'shortname' => $ra->shortname,
                ];
            }
        }

        $enrolments = [];
        foreach ($records as $record) {
            $userid = (int) $record->userid;
            $enrolments[] = [
                'userid' => $userid,
                'enrolid' => (int) $record->enrolid,
                'enrol' => $record->enrol,
                'status' => (int) $record->status,
                'timestart' => (int) $record->timestart,
                'timeend' => (int) $record->timeend,
                'roles' => array_values($rolesbyuser[$userid] ?? []),
            ];
        }
        return ['enrolments' => $enrolments];
    }

    /**
     * The list of enrolments.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'enrolments' => new external_multiple_structure(
                new external_single_structure([
                    'userid' => new external_value(PARAM_INT, 'User id'),
                    'enrolid' => new external_value(PARAM_INT, 'Enrolment instance id'),
                    'enrol' => new external_value(PARAM_PLUGIN, 'Enrolment method (manual, self, cohort...)'),
                    'status' => new external_value(PARAM_INT, 'User enrolment status: 0 active, 1 suspended'),
                    'timestart' => new external_value(PARAM_INT, 'Enrolment start (0 = none)'),
                    'timeend' => new external_value(PARAM_INT, 'Enrolment end (0 = none)'),
                    'roles' => new external_multiple_structure(
                        new external_single_structure([
                            'roleid' => new external_value(PARAM_INT, 'Role id'),
                            'shortname' => new external_value(PARAM_ALPHANUMEXT, 'Role short name'),
                        ]),
                        'Roles the user has in the course context'
                    ),
                ])
            ),
        ]);
    }
}
