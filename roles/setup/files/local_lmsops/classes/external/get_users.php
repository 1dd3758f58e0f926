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
use core_user;
use invalid_parameter_exception;
use local_lmsops\local\paging;

/**
 * local_lmsops_get_users: users by id, username, email or idnumber with only the fields the collection compares.
 *
 * What core_user_get_users_by_field answers of the same users, without building a full profile per user: one query
 * for the users and one for their custom profile fields. Never a password.
 *
 * @package    local_lmsops
 * @copyright  2026 lmsops.moodle contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class get_users extends external_api {
    /** The fields a user can be found by, as core_user_get_users_by_field. */
    const FIELDS = ['id', 'username', 'email', 'idnumber'];

    /** The user columns read (never password). */
    const COLUMNS = 'id, username, firstname, lastname, email, auth, idnumber, suspended, city, country, lang, timezone, '
        . 'institution, department, description, maildisplay';

    /** Fields $CFG->hiddenuserfields can hide, as user_get_user_details() hides them. */
    const HIDEABLE = ['city', 'country', 'timezone', 'suspended', 'description'];

    /**
     * The field, its values, the page.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'field' => new external_value(PARAM_ALPHA, 'The field to search: id, username, email or idnumber'),
            'values' => new external_multiple_structure(
                new external_value(PARAM_RAW, 'A value to match exactly'),
                'The values to match (every user when empty)',
                VALUE_DEFAULT,
                []
            ),
            'afterid' => paging::afterid_parameter(),
            'limit' => paging::limit_parameter(),
        ]);
    }

    /**
     * Reads the users in one query and their custom profile fields in a second one.
     *
     * @param string $field id, username, email or idnumber
     * @param array $values values to match, empty for every user
     * @param int $afterid only users with a greater id
     * @param int $limit at most this many users (0: paging::MAX_LIMIT)
     * @return array
     */
    public static function execute(string $field, array $values = [], int $afterid = 0, int $limit = 0): array {
        global $DB;

        $params = self::validate_parameters(self::execute_parameters(), [
            'field' => $field,
            'values' => $values,
            'afterid' => $afterid,
            'limit' => $limit,
        ]);
        $field = $params['field'];
        if (!in_array($field, self::FIELDS, true)) {
            throw new invalid_parameter_exception('Invalid field = ' . $field . ' (id, username, email or idnumber)');
        }
        $size = paging::size($params['afterid'], $params['limit']);
        $wanted = self::cleaned_values($field, $params['values']);

        // Core: core_user_get_users_by_field validates the system context, then user_get_user_details() returns a
        // user only with moodle/user:viewdetails (can_view_user_details_cap) and its username, idnumber, auth, lang,
        // institution and department only with moodle/user:viewalldetails. Checked once here, at system level: a
        // caller lacking either is refused instead of getting users with fields left out.
        $context = context_system::instance();
        self::validate_context($context);
        require_capability('moodle/user:viewdetails', $context);
        require_capability('moodle/user:viewalldetails', $context);

        if ($params['values'] && !$wanted) {
            return ['users' => [], 'nextafterid' => 0];
        }
        $where = 'deleted = 0 AND id > :afterid';
        $sqlparams = ['afterid' => $params['afterid']];
        if ($wanted) {
            [$insql, $inparams] = $DB->get_in_or_equal($wanted, SQL_PARAMS_NAMED, 'val');
            $where .= ' AND ' . $field . ' ' . $insql;
            $sqlparams += $inparams;
        }
        $records = $DB->get_records_sql('SELECT ' . self::COLUMNS . ' FROM {user} WHERE ' . $where . ' ORDER BY id ASC',
            $sqlparams, 0, $size + 1);
        [$records, $nextafterid] = paging::cut($records, $size);

        $customfields = self::custom_fields(array_map(function($record) {
            return (int) $record->id;
        }, $records));
        $visibility = self::visibility($context);
        $users = [];
        foreach ($records as $record) {
            $user = self::user($record, $visibility, $customfields[(int) $record->id] ?? []);
            // Core: a user is returned only when the searched field is.
            if (isset($user[$field])) {
                $users[] = $user;
            }
        }
        return ['users' => $users, 'nextafterid' => $nextafterid];
    }

    /**
     * The values cleaned as core_user_get_users_by_field cleans them; an empty email or idnumber matches nobody there.
     *
     * @param string $field the searched field
     * @param array $values the values asked for
     * @return array the distinct values to search
     * @throws invalid_parameter_exception for a value the cleaning changes (core's message)
     */
    protected static function cleaned_values(string $field, array $values): array {
        $paramtype = core_user::get_property_type($field);
        $cleaned = [];
        foreach ($values as $value) {
            $cleanedvalue = clean_param($value, $paramtype);
            if ($value != $cleanedvalue) {
                throw new invalid_parameter_exception('The field \'' . $field .
                    '\' value is invalid: ' . $value . '(cleaned value: ' . $cleanedvalue . ')');
            }
            if ((string) $cleanedvalue === '' && $field !== 'id') {
                continue;
            }
            $cleaned[(string) $cleanedvalue] = $cleanedvalue;
        }
        return array_values($cleaned);
    }

    /**
     * What the caller may see of every user, as user_get_user_details() decides it for a system profile.
     *
     * @param \context $context the system context
     * @return array ['hidden' => fields hidden from the caller, 'identityemail' => email is an identity field it sees,
     *     'userid' => the caller]
     */
    protected static function visibility(\context $context): array {
        global $CFG, $USER;
        $hidden = [];
        if (!is_siteadmin() && !has_capability('moodle/user:viewhiddendetails', $context)) {
            $hidden = array_flip(array_filter(explode(',', (string) $CFG->hiddenuserfields)));
        }
        return [
            'hidden' => $hidden,
            'identityemail' => in_array('email', \core_user\fields::get_identity_fields($context, false), true),
            'userid' => (int) $USER->id,
        ];
    }

    /**
     * One user's answer.
     *
     * @param \stdClass $record the user's row
     * @param array $visibility what visibility() answered
     * @param array $customfields the user's custom fields [['shortname', 'value']]
     * @return array
     */
    protected static function user(\stdClass $record, array $visibility, array $customfields): array {
        $hidden = $visibility['hidden'];
        $self = (int) $record->id === $visibility['userid'];
        $user = [
            'id' => (int) $record->id,
            'username' => (string) $record->username,
            'firstname' => (string) $record->firstname,
            'lastname' => (string) $record->lastname,
            'auth' => (string) $record->auth,
            'idnumber' => (string) $record->idnumber,
            'lang' => (string) clean_param($record->lang, PARAM_LANG),
            'institution' => (string) $record->institution,
            'department' => (string) $record->department,
            'customfields' => $customfields,
        ];
        foreach (['city' => 'city', 'country' => 'country', 'timezone' => 'timezone', 'description' => 'description']
                as $key => $column) {
            if (!isset($hidden[$key])) {
                $user[$key] = (string) $record->$column;
            }
        }
        if (!isset($hidden['suspended'])) {
            $user['suspended'] = (bool) $record->suspended;
        }
        // Core: the caller's own address, an address shown to everyone, or e-mail as an identity field it may see.
        if ($self || (!isset($hidden['email']) && (int) $record->maildisplay === core_user::MAILDISPLAY_EVERYONE)
                || $visibility['identityemail']) {
            $user['email'] = (string) $record->email;
        }
        return $user;
    }

    /**
     * The non-empty custom profile fields of some users, in one query, in the order core lists them.
     *
     * @param int[] $userids
     * @return array userid => [['shortname', 'value']]
     */
    protected static function custom_fields(array $userids): array {
        global $DB;
        if (!$userids) {
            return [];
        }
        [$insql, $params] = $DB->get_in_or_equal($userids, SQL_PARAMS_NAMED, 'usr');
        $sql = "SELECT d.id, d.userid, d.data, f.shortname, f.datatype
                  FROM {user_info_data} d
                  JOIN {user_info_field} f ON f.id = d.fieldid
             LEFT JOIN {user_info_category} c ON c.id = f.categoryid
                 WHERE d.userid $insql
              ORDER BY d.userid ASC, c.sortorder ASC, f.sortorder ASC, f.id ASC";
        $byuser = [];
        foreach ($DB->get_recordset_sql($sql, $params) as $row) {
            if (self::is_empty((string) $row->datatype, $row->data)) {
                continue;
            }
            $byuser[(int) $row->userid][] = ['shortname' => (string) $row->shortname, 'value' => (string) $row->data];
        }
        return $byuser;
    }

    /**
     * Whether core's profile field is_empty() says so of stored data (a data row exists).
     *
     * @param string $datatype the field's type
     * @param string|null $data the stored data
     * @return bool
     */
    protected static function is_empty(string $datatype, ?string $data): bool {
        if ($datatype === 'checkbox') {
            return false;
        }
        if ($datatype === 'datetime') {
            return empty($data);
        }
        return $data !== '0' && empty($data);
    }

    /**
     * The users and where the next page starts.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'users' => new external_multiple_structure(
                new external_single_structure([
                    'id' => new external_value(PARAM_INT, 'User id'),
                    'username' => new external_value(PARAM_RAW, 'Username'),
                    'firstname' => new external_value(PARAM_RAW, 'First name'),
                    'lastname' => new external_value(PARAM_RAW, 'Last name'),
                    'email' => new external_value(PARAM_RAW, 'E-mail address (left out when the caller may not see it)',
                        VALUE_OPTIONAL),
                    'auth' => new external_value(PARAM_RAW, 'Authentication plugin'),
                    'idnumber' => new external_value(PARAM_RAW, 'ID number ("" when none)'),
                    'suspended' => new external_value(PARAM_BOOL, 'Suspended (left out when hidden)', VALUE_OPTIONAL),
                    'city' => new external_value(PARAM_RAW, 'City ("" when none; left out when hidden)', VALUE_OPTIONAL),
                    'country' => new external_value(PARAM_RAW, 'Country code ("" when none; left out when hidden)', VALUE_OPTIONAL),
                    'lang' => new external_value(PARAM_LANG, 'Language ("" when not installed)'),
                    'timezone' => new external_value(PARAM_RAW, 'Timezone as stored (left out when hidden)', VALUE_OPTIONAL),
                    'institution' => new external_value(PARAM_RAW, 'Institution'),
                    'department' => new external_value(PARAM_RAW, 'Department'),
                    'description' => new external_value(PARAM_RAW, 'Description as stored (left out when hidden)',
                        VALUE_OPTIONAL),
                    'customfields' => new external_multiple_structure(
                        new external_single_structure([
                            'shortname' => new external_value(PARAM_ALPHANUMEXT, 'Custom profile field short name'),
                            'value' => new external_value(PARAM_RAW, 'The stored value'),
                        ]),
                        'The non-empty custom profile fields'
                    ),
                ])
            ),
            'nextafterid' => paging::nextafterid_return(),
        ]);
    }
}
