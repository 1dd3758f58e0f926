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

use invalid_parameter_exception;

/**
 * Context level names as the core role web services use them (system, user, coursecat, course, module, block).
 *
 * @package    local_lmsops
 * @copyright  2026 lmsops.moodle contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class context_levels {
    /**
     * Context level number => name.
     *
     * @return string[]
     */
    public static function names(): array {
        return [
            CONTEXT_SYSTEM => 'system',
            CONTEXT_USER => 'user',
            CONTEXT_COURSECAT => 'coursecat',
            CONTEXT_COURSE => 'course',
            CONTEXT_MODULE => 'module',
            CONTEXT_BLOCK => 'block',
        ];
    }

    /**
     * The name of a context level, or null for a level this plugin does not report.
     *
     * @param int $level CONTEXT_SYSTEM etc.
     * @return string|null
     */
    public static function name(int $level): ?string {
        return self::names()[$level] ?? null;
    }

    /**
     * Resolves a context from its level name and instance id.
     *
     * @param string $levelname system, user, coursecat, course, module or block
     * @param int $instanceid 0 for system; user id, category id, course id, course module id or block instance id
     * @return \core\context
     * @throws invalid_parameter_exception when the level is unknown or the context does not exist
     */
    public static function resolve(string $levelname, int $instanceid): \core\context {
        $context = false;
        switch ($levelname) {
            case 'system':
                if ($instanceid === 0) {
                    $context = \context_system::instance();
                }
                break;
            case 'user':
                $context = \context_user::instance($instanceid, IGNORE_MISSING);
                break;
            case 'coursecat':
                $context = \context_coursecat::instance($instanceid, IGNORE_MISSING);
                break;
            case 'course':
                $context = \context_course::instance($instanceid, IGNORE_MISSING);
                break;
            case 'module':
                $context = \context_module::instance($instanceid, IGNORE_MISSING);
                break;
            case 'block':
                $context = \context_block::instance($instanceid, IGNORE_MISSING);
                break;
            default:
                throw new invalid_parameter_exception('Invalid context level = ' . $levelname);
        }
        if (!$context) {
            throw new invalid_parameter_exception(
                'Context not found: contextlevel=' . $levelname . ' instanceid=' . $instanceid);
        }
        return $context;
    }
}
