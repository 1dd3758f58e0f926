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

namespace local_lmsops\local;

use core_external\external_value;
use invalid_parameter_exception;

/**
 * Paging of the bulk read functions: rows in id order after a cursor, at most a limit per call.
 *
 * A call reads limit + 1 rows: when the extra row exists there is more to read, and nextafterid is the id of the
 * last row returned (the caller passes it back as afterid); otherwise nextafterid is 0.
 *
 * @package    local_lmsops
 * @copyright  2026 lmsops.moodle contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class paging {
    /** The most rows one call returns (also what limit 0 means). */
    const MAX_LIMIT = 5000;

    /**
     * The afterid parameter.
     *
     * @return external_value
     */
    public static function afterid_parameter(): external_value {
        return new external_value(PARAM_INT, 'Only rows whose id is greater than this (0: from the start)', VALUE_DEFAULT, 0);
    }

    /**
     * The limit parameter.
     *
     * @return external_value
     */
    public static function limit_parameter(): external_value {
        return new external_value(PARAM_INT, 'At most this many rows (0 or more than ' . self::MAX_LIMIT . ': '
            . self::MAX_LIMIT . ')', VALUE_DEFAULT, 0);
    }

    /**
     * The nextafterid return value.
     *
     * @return external_value
     */
    public static function nextafterid_return(): external_value {
        return new external_value(PARAM_INT, '0 when there is nothing more; else pass it as afterid to read the next rows');
    }

    /**
     * The number of rows to return, from the limit parameter.
     *
     * @param int $afterid the afterid parameter
     * @param int $limit the limit parameter
     * @return int
     * @throws invalid_parameter_exception when either is negative
     */
    public static function size(int $afterid, int $limit): int {
        if ($afterid < 0 || $limit < 0) {
            throw new invalid_parameter_exception('afterid and limit must not be negative');
        }
        return ($limit === 0 || $limit > self::MAX_LIMIT) ? self::MAX_LIMIT : $limit;
    }

    /**
     * Cuts the rows read with limit size + 1 to size, and tells where the next page starts.
     *
     * @param array $records rows keyed by any key, in id order, each with an id
     * @param int $size what size() answered
     * @return array [the rows to return (a list), nextafterid]
     */
    public static function cut(array $records, int $size): array {
        $rows = array_values($records);
        if (count($rows) <= $size) {
            return [$rows, 0];
        }
        $rows = array_slice($rows, 0, $size);
        return [$rows, (int) end($rows)->id];
    }
}
