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

/**
 * What a user may do in some contexts, as the writes of the lmsops.moodle modules need it: the capabilities it lacks,
 * the roles it holds, the roles its roles' "Allow role assignments" entries let it assign, and the roles Moodle's
 * get_assignable_roles() lets it assign (what enrol_manual_enrol_users and core_role_assign_roles check).
 *
 * Used by local_lmsops_get_access_information and, copied next to it, by the setup role's lmsops_configure.php (which
 * runs before the plugin may be installed): it needs nothing of the plugin and is loaded only after Moodle's config.php.
 *
 * @package    local_lmsops
 * @copyright  2026 lmsops.moodle contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class access {
    /** Context level number => name, as the core role web services name them. */
    const LEVELS = [10 => 'system', 30 => 'user', 40 => 'coursecat', 50 => 'course', 70 => 'module', 80 => 'block'];

    /**
     * What the user may do in each context.
     *
     * @param int $userid the user
     * @param string[] $capabilities capabilities to check in every context (unknown ones are listed apart)
     * @param \context[] $contexts the contexts to check
     * @param string[] $roles shortnames of the roles the caller means to assign: their assignable context levels
     * @return array ['userid', 'siteadmin', 'contexts' => [['contextlevel', 'instanceid', 'missingcapabilities',
     *     'heldroles' => [['shortname', 'contextlevel', 'instanceid']], 'allowedroles', 'assignableroles']],
     *     'roles' => [['shortname', 'contextlevels']], 'unknowncapabilities', 'unknownroles']
     */
    public static function information(int $userid, array $capabilities, array $contexts, array $roles): array {
        global $DB;

        $known = [];
        $unknown = [];
        foreach (array_values(array_unique($capabilities)) as $capability) {
            if (get_capability_info($capability)) {
                $known[] = $capability;
            } else {
                $unknown[] = $capability;
            }
        }
        $siteadmin = is_siteadmin($userid);
        $allroles = [];
        foreach (get_all_roles() as $role) {
            $allroles[(int) $role->id] = $role;
        }

        $result = [];
        foreach ($contexts as $context) {
            $missing = [];
            foreach ($known as $capability) {
                if (!has_capability($capability, $context, $userid)) {
                    $missing[] = $capability;
                }
            }
            $held = [];
            foreach (get_user_roles($context, $userid, true) as $assignment) {
                $where = \context::instance_by_id((int) $assignment->contextid, IGNORE_MISSING);
                $held[] = [
                    'shortname' => (string) $assignment->shortname,
                    'contextlevel' => $where ? (self::LEVELS[(int) $where->contextlevel] ?? '') : '',
                    'instanceid' => $where ? (int) $where->instanceid : 0,
                ];
            }
            // The "Allow role assignments" part of get_assignable_roles(): a site administrator is not restricted.
            if ($siteadmin) {
                $allowedids = array_keys($allroles);
            } else {
                [$insql, $params] = $DB->get_in_or_equal($context->get_parent_context_ids(true), SQL_PARAMS_NAMED, 'ctx');
                $params['userid'] = $userid;
                $allowedids = $DB->get_fieldset_sql("SELECT DISTINCT raa.allowassign
                                                       FROM {role_allow_assign} raa
                                                       JOIN {role_assignments} ra ON ra.roleid = raa.roleid
                                                      WHERE ra.userid = :userid AND ra.contextid $insql", $params);
            }
            $assignable = array_keys(get_assignable_roles($context, ROLENAME_SHORT, false, $userid));
            $result[] = [
                'contextlevel' => self::LEVELS[(int) $context->contextlevel] ?? '',
                'instanceid' => (int) $context->instanceid,
                'missingcapabilities' => $missing,
                'heldroles' => $held,
                'allowedroles' => self::shortnames($allroles, $allowedids),
                'assignableroles' => self::shortnames($allroles, $assignable),
            ];
        }

        $byshortname = [];
        foreach ($allroles as $role) {
            $byshortname[(string) $role->shortname] = $role;
        }
        $described = [];
        $unknownroles = [];
        foreach (array_values(array_unique($roles)) as $shortname) {
            if (!isset($byshortname[$shortname])) {
                $unknownroles[] = $shortname;
                continue;
            }
            $levels = [];
            foreach (get_role_contextlevels($byshortname[$shortname]->id) as $level) {
                if (isset(self::LEVELS[(int) $level])) {
                    $levels[] = self::LEVELS[(int) $level];
                }
            }
            $described[] = ['shortname' => $shortname, 'contextlevels' => self::ordered_levels($levels)];
        }

        return [
            'userid' => $userid,
            'siteadmin' => $siteadmin,
            'contexts' => $result,
            'roles' => $described,
            'unknowncapabilities' => $unknown,
            'unknownroles' => $unknownroles,
        ];
    }

    /**
     * The shortnames of some role ids, in the site's role order.
     *
     * @param \stdClass[] $allroles id => role, in the site's order
     * @param int[]|string[] $ids
     * @return string[]
     */
    public static function shortnames(array $allroles, array $ids): array {
        $ids = array_map('intval', $ids);
        $names = [];
        foreach ($allroles as $id => $role) {
            if (in_array((int) $id, $ids, true)) {
                $names[] = (string) $role->shortname;
            }
        }
        return $names;
    }

    /**
     * Context level names in Moodle's order (system first), without duplicates.
     *
     * @param string[] $levels
     * @return string[]
     */
    public static function ordered_levels(array $levels): array {
        return array_values(array_filter(self::LEVELS, function(string $name) use ($levels): bool {
            return in_array($name, $levels, true);
        }));
    }
}
