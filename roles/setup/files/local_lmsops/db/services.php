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
 * Web-service functions of local_lmsops.
 *
 * All are read-only. No service is created: add the functions to the
 * service your token belongs to (the lmsops.moodle setup role does it).
 *
 * @package    local_lmsops
 * @copyright  2026 lmsops.moodle contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$functions = [
    'local_lmsops_get_roles' => [
        'classname' => 'local_lmsops\external\get_roles',
        'methodname' => 'execute',
        'description' => 'List the site roles with their id, shortname, name, archetype and assignable context levels.',
        'type' => 'read',
        'capabilities' => 'moodle/role:review',
    ],
    'local_lmsops_get_role_assignments' => [
        'classname' => 'local_lmsops\external\get_role_assignments',
        'methodname' => 'execute',
        'description' => 'List the role assignments made in the given contexts, optionally only for some users or roles.',
        'type' => 'read',
        'capabilities' => 'moodle/role:review',
    ],
    'local_lmsops_get_user_enrolments' => [
        'classname' => 'local_lmsops\external\get_user_enrolments',
        'methodname' => 'execute',
        'description' => 'List the enrolments of a course (all methods) with status, timestart, timeend and the course roles.',
        'type' => 'read',
        'capabilities' => 'moodle/course:enrolreview',
    ],
    'local_lmsops_get_access_information' => [
        'classname' => 'local_lmsops\external\get_access_information',
        'methodname' => 'execute',
        'description' => 'What the calling user may do in given contexts: the capabilities it lacks, the roles it holds,'
            . ' the roles it may assign (Allow role assignments, get_assignable_roles) and where roles can be assigned.',
        'type' => 'read',
        'capabilities' => '',
    ],
    'local_lmsops_get_users' => [
        'classname' => 'local_lmsops\external\get_users',
        'methodname' => 'execute',
        'description' => 'Users found by id, username, email or idnumber (or all users, paged), with only the fields the'
            . ' lmsops.moodle collection compares; never a password. One query for the users, one for their custom fields.',
        'type' => 'read',
        'capabilities' => 'moodle/user:viewdetails, moodle/user:viewalldetails',
    ],
    'local_lmsops_get_enrolments' => [
        'classname' => 'local_lmsops\external\get_enrolments',
        'methodname' => 'execute',
        'description' => 'User enrolments of some courses or users (paged) with method, status, dates, course roles and,'
            . ' optionally, the users\' username, email and idnumber.',
        'type' => 'read',
        'capabilities' => 'moodle/course:enrolreview',
    ],
    'local_lmsops_list_role_assignments' => [
        'classname' => 'local_lmsops\external\list_role_assignments',
        'methodname' => 'execute',
        'description' => 'Role assignments made in some contexts and/or held by some users, in any context (paged).',
        'type' => 'read',
        'capabilities' => 'moodle/role:review',
    ],
];
