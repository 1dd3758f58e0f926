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
use context_helper;
use core_external\external_api;
use core_external\external_function_parameters;
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;
use core_user;
use invalid_parameter_exception;
use local_lmsops\local\paging;

/**
 * local_lmsops_get_enrolments: the user enrolments of some courses or users, with method, status, dates and roles.
 *
 * One query for the enrolments (with their course contexts and, when asked, the users' identifying fields) and one
 * for the course-context roles of the same rows, whatever the number of rows.
 *
 * @package    local_lmsops
 * @copyright  2026 lmsops.moodle contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class get_enrolments extends external_api {
    /**
     * Courses and/or users, whether to add the users' identifying fields, the page.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'courseids' => new external_multiple_structure(
                new external_value(PARAM_INT, 'Course id'),
                'Only the enrolments in these courses (any course when empty)',
                VALUE_DEFAULT,
                []
            ),
            'userids' => new external_multiple_structure(
                new external_value(PARAM_INT, 'User id'),
                'Only the enrolments of these users (any user when empty; courseids or userids is required)',
                VALUE_DEFAULT,
                []
            ),
            'userfields' => new external_value(PARAM_BOOL, 'Add each user\'s username, email and idnumber', VALUE_DEFAULT,
                false),
            'afterid' => paging::afterid_parameter(),
            'limit' => paging::limit_parameter(),
        ]);
    }

    /**
     * Reads the enrolments, then the roles of their users in their courses.
     *
     * @param array $courseids course ids
     * @param array $userids user ids
     * @param bool $userfields whether to add username, email and idnumber
     * @param int $afterid only user enrolments with a greater id
     * @param int $limit at most this many (0: paging::MAX_LIMIT)
     * @return array
     */
    public static function execute(array $courseids = [], array $userids = [], bool $userfields = false, int $afterid = 0,
            int $limit = 0): array {
        global $DB;

        $params = self::validate_parameters(self::execute_parameters(), [
            'courseids' => $courseids,
            'userids' => $userids,
            'userfields' => $userfields,
            'afterid' => $afterid,
            'limit' => $limit,
        ]);
        $size = paging::size($params['afterid'], $params['limit']);
        $courseids = array_values(array_unique(array_map('intval', $params['courseids'])));
        $userids = array_values(array_unique(array_map('intval', $params['userids'])));
        if (!$courseids && !$userids) {
            throw new invalid_parameter_exception('courseids or userids is required');
        }
        // The courses asked for: checked before anything is read, as core_enrol_get_enrolled_users does.
        foreach ($courseids as $courseid) {
            $context = context_course::instance($courseid, IGNORE_MISSING);
            if (!$context) {
                throw new invalid_parameter_exception('Course not found: courseid=' . $courseid);
            }
            self::validate_context($context);
            self::check_course($context, $params['userfields']);
        }

        [$where, $sqlparams] = self::filter($courseids, $userids, $params['afterid']);
        $ctxfields = context_helper::get_preload_record_columns_sql('ctx');
        $userselect = $params['userfields'] ? ', u.username, u.email, u.idnumber, u.maildisplay' : '';
        $sql = "SELECT ue.id, ue.userid, ue.enrolid, e.enrol, e.courseid, ue.status, ue.timestart, ue.timeend,
                       $ctxfields $userselect
                  FROM {user_enrolments} ue
                  JOIN {enrol} e ON e.id = ue.enrolid
                  JOIN {user} u ON u.id = ue.userid AND u.deleted = 0
                  JOIN {context} ctx ON ctx.instanceid = e.courseid AND ctx.contextlevel = :courselevel
                 WHERE $where
              ORDER BY ue.id ASC";
        $sqlparams['courselevel'] = CONTEXT_COURSE;
        [$records, $nextafterid] = paging::cut($DB->get_records_sql($sql, $sqlparams, 0, $size + 1), $size);

        $contexts = [];
        foreach ($records as $record) {
            context_helper::preload_from_record($record);
            $contexts[(int) $record->courseid] = true;
        }
        if (!$courseids) {
            // Only users asked for: each course met is checked as one asked for (contexts preloaded, no query each).
            foreach (array_keys($contexts) as $courseid) {
                self::check_course(context_course::instance($courseid), $params['userfields']);
            }
        }

        $roles = $records ? self::roles($where, $sqlparams, (int) end($records)->id) : [];
        $emails = $params['userfields'] ? self::email_visibility(array_keys($contexts)) : [];
        $enrolments = [];
        foreach ($records as $record) {
            $enrolments[] = self::enrolment($record, $roles, $emails, $params['userfields']);
        }
        return ['enrolments' => $enrolments, 'nextafterid' => $nextafterid];
    }

    /**
     * What the caller needs in a course, as core_enrol_get_enrolled_users asks it.
     *
     * @param \context $context the course context
     * @param bool $userfields whether the users' identifying fields are returned
     */
    protected static function check_course(\context $context, bool $userfields): void {
        global $CFG;
        // Core asks moodle/course:enrolreview for onlyactive/onlysuspended, i.e. to see enrolment status and dates
        // (the course's Enrolment methods and participants' status); local_lmsops_get_user_enrolments asks the same.
        require_capability('moodle/course:enrolreview', $context);
        if ($userfields) {
            require_once($CFG->dirroot . '/course/lib.php');
            // Core: course_require_view_participants(), then user_get_user_details() with the course returns a user
            // only with moodle/user:viewdetails and its username and idnumber only with moodle/user:viewalldetails.
            course_require_view_participants($context);
            require_capability('moodle/user:viewdetails', $context);
            require_capability('moodle/user:viewalldetails', $context);
        }
    }

    /**
     * The WHERE clause of the enrolments read (ue: user_enrolments, e: enrol), and its parameters.
     *
     * @param int[] $courseids
     * @param int[] $userids
     * @param int $afterid
     * @return array [sql, params]
     */
    protected static function filter(array $courseids, array $userids, int $afterid): array {
        global $DB;
        $where = 'ue.id > :afterid';
        $params = ['afterid' => $afterid];
        if ($courseids) {
            [$insql, $inparams] = $DB->get_in_or_equal($courseids, SQL_PARAMS_NAMED, 'crs');
            $where .= ' AND e.courseid ' . $insql;
            $params += $inparams;
        }
        if ($userids) {
            [$insql, $inparams] = $DB->get_in_or_equal($userids, SQL_PARAMS_NAMED, 'usr');
            $where .= ' AND ue.userid ' . $insql;
            $params += $inparams;
        }
        return [$where, $params];
    }

    /**
     * The course-context roles of the users of the page, in one query: the same filter, up to the page's last row.
     *
     * @param string $where the enrolments' filter
     * @param array $params its parameters
     * @param int $lastid the id of the page's last user enrolment
     * @return array courseid => userid => [['roleid', 'shortname']], each role once, by role sortorder
     */
    protected static function roles(string $where, array $params, int $lastid): array {
        global $DB;
        $params['lastid'] = $lastid;
        $params['courselevel'] = CONTEXT_COURSE;
        $sql = "SELECT ra.id, ra.userid, ctx.instanceid AS courseid, ra.roleid, r.shortname, r.sortorder
                  FROM {role_assignments} ra
                  JOIN {role} r ON r.id = ra.roleid
                  JOIN {context} ctx ON ctx.id = ra.contextid AND ctx.contextlevel = :courselevel
                 WHERE EXISTS (SELECT 1
                                 FROM {user_enrolments} ue
                                 JOIN {enrol} e ON e.id = ue.enrolid
                                WHERE ue.userid = ra.userid AND e.courseid = ctx.instanceid
                                      AND $where AND ue.id <= :lastid)
              ORDER BY ra.userid ASC, r.sortorder ASC, ra.id ASC";
        $roles = [];
        foreach ($DB->get_recordset_sql($sql, $params) as $ra) {
            // A role assigned twice (manually and by an enrolment method) is listed once.
            $roles[(int) $ra->courseid][(int) $ra->userid][(int) $ra->roleid] = [
                'roleid' => (int) $ra->roleid,
                'shortname' => (string) $ra->shortname,
            ];
        }
        return $roles;
    }

    /**
     * Per course, whether the caller sees every e-mail address there (core's course profile: e-mail as an identity
     * field it may see, or moodle/course:useremail).
     *
     * @param int[] $courseids
     * @return array courseid => bool
     */
    protected static function email_visibility(array $courseids): array {
        $visible = [];
        foreach ($courseids as $courseid) {
            $context = context_course::instance($courseid);
            $visible[$courseid] = has_capability('moodle/course:useremail', $context)
                || in_array('email', \core_user\fields::get_identity_fields($context, false), true);
        }
        return $visible;
    }

    /**
     * One enrolment's answer.
     *
     * @param \stdClass $record the row
     * @param array $roles what roles() answered
     * @param array $emails what email_visibility() answered
     * @param bool $userfields whether to add username, email and idnumber
     * @return array
     */
    protected static function enrolment(\stdClass $record, array $roles, array $emails, bool $userfields): array {
        global $CFG, $USER;
        $courseid = (int) $record->courseid;
        $userid = (int) $record->userid;
        $enrolment = [
            'id' => (int) $record->id,
            'courseid' => $courseid,
            'userid' => $userid,
            'enrolid' => (int) $record->enrolid,
            'enrol' => (string) $record->enrol,
            'status' => (int) $record->status,
            'timestart' => (int) $record->timestart,
            'timeend' => (int) $record->timeend,
            'roles' => array_values($roles[$courseid][$userid] ?? []),
        ];
        if ($userfields) {
            $hidden = array_flip(array_filter(explode(',', (string) $CFG->hiddenuserfields)));
            $shown = $userid === (int) $USER->id || !empty($emails[$courseid])
                || (!isset($hidden['email']) && (int) $record->maildisplay === core_user::MAILDISPLAY_EVERYONE);
            $enrolment['username'] = (string) $record->username;
            $enrolment['email'] = $shown ? (string) $record->email : '';
            $enrolment['idnumber'] = (string) $record->idnumber;
        }
        return $enrolment;
    }

    /**
     * The enrolments and where the next page starts.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'enrolments' => new external_multiple_structure(
                new external_single_structure([
                    'id' => new external_value(PARAM_INT, 'User enrolment id'),
                    'courseid' => new external_value(PARAM_INT, 'Course id'),
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
                    'username' => new external_value(PARAM_RAW, 'Username (with userfields)', VALUE_OPTIONAL),
                    'email' => new external_value(PARAM_RAW, 'E-mail address, "" when the caller may not see it (with userfields)',
                        VALUE_OPTIONAL),
                    'idnumber' => new external_value(PARAM_RAW, 'ID number, "" when none (with userfields)', VALUE_OPTIONAL),
                ])
            ),
            'nextafterid' => paging::nextafterid_return(),
        ]);
    }
}
