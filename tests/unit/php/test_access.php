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
 * Plain-PHP tests of local_lmsops\local\access (local_lmsops_get_access_information and the configure script's read of
 * the token user), with stand-ins for the Moodle functions it calls: the answer's shape and how it is built from them.
 * What those functions answer on a real site is checked by the integration targets on real Moodle 4.5 and 5.1.
 *
 * Run: php tests/unit/php/test_access.php   (exit 0 and "N passed, 0 failed" when all pass)
 *
 * @package    local_lmsops
 * @copyright  2026 lmsops.moodle contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

// phpcs:disable moodle.Files.MoodleInternal.MoodleInternalGlobalState

namespace {
    define('ROLENAME_SHORT', 3);
    define('SQL_PARAMS_NAMED', 1);
    define('IGNORE_MISSING', 0);

    $passed = 0;
    $failed = 0;

    /**
     * Records one check.
     *
     * @param string $name
     * @param mixed $expected
     * @param mixed $actual
     */
    function check_same(string $name, $expected, $actual): void {
        global $passed, $failed;
        if ($expected === $actual) {
            $passed++;
        } else {
            $failed++;
            fwrite(STDERR, "FAIL: $name\n  expected " . var_export($expected, true) . "\n  got      "
                . var_export($actual, true) . "\n");
        }
    }

    /**
     * The stand-in site: roles, role assignments, allow-assign entries, capabilities per user and context.
     */
    class fake_site {
        /** @var array role id => [shortname, context levels] */
        public static $roles = [];
        /** @var array [userid, roleid, contextid] */
        public static $assignments = [];
        /** @var array [roleid, allowassign] */
        public static $allowassign = [];
        /** @var array userid => [contextid => capabilities held] */
        public static $capabilities = [];
        /** @var int[] */
        public static $admins = [];
        /** @var array contextid => [level, instanceid, path] */
        public static $contexts = [];
    }

    /**
     * A context of the stand-in site.
     */
    class context {
        /** @var int */
        public $id;
        /** @var int */
        public $contextlevel;
        /** @var int */
        public $instanceid;

        /**
         * A context by id.
         *
         * @param int $id
         * @param int $strictness
         * @return context|false
         */
        public static function instance_by_id(int $id, int $strictness = 0) {
            if (!isset(fake_site::$contexts[$id])) {
                return false;
            }
            $context = new context();
            $context->id = $id;
            [$context->contextlevel, $context->instanceid] = fake_site::$contexts[$id];
            return $context;
        }

        /**
         * Parent context ids, as Moodle's.
         *
         * @param bool $includeself
         * @return int[]
         */
        public function get_parent_context_ids($includeself = false): array {
            $path = fake_site::$contexts[$this->id][2];
            if (!$includeself) {
                array_pop($path);
            }
            return array_reverse($path);
        }
    }

    /**
     * Stand-in database: the one query access::information() makes.
     */
    class fake_db {
        /**
         * As Moodle's.
         *
         * @param array $values
         * @param int $type
         * @param string $prefix
         * @return array
         */
        public function get_in_or_equal(array $values, int $type, string $prefix): array {
            $params = [];
            foreach (array_values($values) as $i => $value) {
                $params[$prefix . $i] = $value;
            }
            return ['IN (:' . implode(', :', array_keys($params)) . ')', $params];
        }

        /**
         * The allow-assign entries of the roles a user holds in some contexts.
         *
         * @param string $sql
         * @param array $params
         * @return array
         */
        public function get_fieldset_sql(string $sql, array $params): array {
            $userid = $params['userid'];
            unset($params['userid']);
            $contexts = array_values($params);
            $result = [];
            foreach (fake_site::$assignments as [$user, $role, $context]) {
                if ($user === $userid && in_array($context, $contexts, true)) {
                    foreach (fake_site::$allowassign as [$from, $to]) {
                        if ($from === $role && !in_array($to, $result, true)) {
                            $result[] = $to;
                        }
                    }
                }
            }
            return $result;
        }
    }

    $DB = new fake_db();

    /**
     * As Moodle's.
     *
     * @param string $capability
     * @return stdClass|null
     */
    function get_capability_info($capability) {
        return strpos($capability, 'nosuch/') === 0 ? null : (object) ['name' => $capability];
    }

    /**
     * As Moodle's.
     *
     * @param int $userid
     * @return bool
     */
    function is_siteadmin($userid) {
        return in_array($userid, fake_site::$admins, true);
    }

    /**
     * As Moodle's: id => role, in sort order.
     *
     * @return array
     */
    function get_all_roles() {
        $roles = [];
        foreach (fake_site::$roles as $id => [$shortname]) {
            $roles[$id] = (object) ['id' => $id, 'shortname' => $shortname];
        }
        return $roles;
    }

    /**
     * As Moodle's.
     *
     * @param int $roleid
     * @return array
     */
    function get_role_contextlevels($roleid) {
        return fake_site::$roles[$roleid][1];
    }

    /**
     * As Moodle's: a capability held in the context or a parent.
     *
     * @param string $capability
     * @param context $context
     * @param int $userid
     * @return bool
     */
    function has_capability($capability, $context, $userid) {
        if (is_siteadmin($userid)) {
            return true;
        }
        foreach ($context->get_parent_context_ids(true) as $id) {
            if (in_array($capability, fake_site::$capabilities[$userid][$id] ?? [], true)) {
                return true;
            }
        }
        return false;
    }

    /**
     * As Moodle's.
     *
     * @param context $context
     * @param int $userid
     * @param bool $parents
     * @return array
     */
    function get_user_roles($context, $userid, $parents) {
        $ids = $context->get_parent_context_ids(true);
        $result = [];
        foreach (fake_site::$assignments as $i => [$user, $role, $where]) {
            if ($user === $userid && in_array($where, $ids, true)) {
                $result[$i] = (object) ['roleid' => $role, 'contextid' => $where,
                    'shortname' => fake_site::$roles[$role][0]];
            }
        }
        return $result;
    }

    /**
     * As Moodle's, simplified: role:assign, then allow-assign (not for admins), then the context level.
     *
     * @param context $context
     * @param int $display
     * @param bool $counts
     * @param int $userid
     * @return array
     */
    function get_assignable_roles($context, $display, $counts, $userid) {
        global $DB;
        if (!has_capability('moodle/role:assign', $context, $userid)) {
            return [];
        }
        $allowed = is_siteadmin($userid) ? array_keys(fake_site::$roles)
            : $DB->get_fieldset_sql('', ['userid' => $userid] + $context->get_parent_context_ids(true));
        $result = [];
        foreach (fake_site::$roles as $id => [$shortname, $levels]) {
            if (in_array($id, $allowed, true) && in_array($context->contextlevel, $levels, true)) {
                $result[$id] = $shortname;
            }
        }
        return $result;
    }
}

namespace {
    require_once(dirname(__DIR__, 3) . '/roles/setup/files/local_lmsops/classes/local/access.php');

    use local_lmsops\local\access;

    // A site: system (1), category 1 (2), course 2 (3) in it, course 3 (4) in it.
    fake_site::$contexts = [1 => [10, 0, [1]], 2 => [40, 1, [1, 2]], 3 => [50, 2, [1, 2, 3]], 4 => [50, 3, [1, 2, 4]]];
    fake_site::$roles = [1 => ['manager', [10, 40, 50]], 2 => ['coursecreator', [10, 40]], 5 => ['student', [50, 70]],
        9 => ['lmsops_ws', [10]]];
    fake_site::$assignments = [[7, 9, 1]];
    fake_site::$allowassign = [[9, 5], [9, 2]];
    fake_site::$capabilities = [7 => [1 => ['moodle/role:assign', 'enrol/manual:enrol']]];
    fake_site::$admins = [2];

    $system = context::instance_by_id(1);
    $course = context::instance_by_id(3);

    $answer = access::information(7, ['enrol/manual:enrol', 'moodle/user:create', 'nosuch/cap:x', 'moodle/user:create'],
        [$system, $course], ['student', 'coursecreator', 'nosuchrole']);
    check_same('the user and not an admin', [7, false], [$answer['userid'], $answer['siteadmin']]);
    check_same('unknown capabilities and roles are listed apart', [['nosuch/cap:x'], ['nosuchrole']],
        [$answer['unknowncapabilities'], $answer['unknownroles']]);
    check_same('system context', [
        'contextlevel' => 'system', 'instanceid' => 0, 'missingcapabilities' => ['moodle/user:create'],
        'heldroles' => [['shortname' => 'lmsops_ws', 'contextlevel' => 'system', 'instanceid' => 0]],
        'allowedroles' => ['coursecreator', 'student'], 'assignableroles' => ['coursecreator'],
    ], $answer['contexts'][0]);
    check_same('course context: allow-assign entries inherited, assignable only where the level fits', [
        'contextlevel' => 'course', 'instanceid' => 2, 'missingcapabilities' => ['moodle/user:create'],
        'heldroles' => [['shortname' => 'lmsops_ws', 'contextlevel' => 'system', 'instanceid' => 0]],
        'allowedroles' => ['coursecreator', 'student'], 'assignableroles' => ['student'],
    ], $answer['contexts'][1]);
    check_same('the roles asked about, with their levels in Moodle\'s order', [
        ['shortname' => 'student', 'contextlevels' => ['course', 'module']],
        ['shortname' => 'coursecreator', 'contextlevels' => ['system', 'coursecat']],
    ], $answer['roles']);

    // A role held in a category only: nothing at system level, its entries count in the category's courses.
    fake_site::$assignments = [[7, 9, 2]];
    fake_site::$capabilities = [7 => [2 => ['moodle/role:assign']]];
    $answer = access::information(7, ['moodle/role:assign'], [$system, context::instance_by_id(4)], []);
    check_same('no role at system level', [[], ['moodle/role:assign'], []], [$answer['contexts'][0]['heldroles'],
        $answer['contexts'][0]['missingcapabilities'], $answer['contexts'][0]['allowedroles']]);
    check_same('the category\'s role in its course', [
        [['shortname' => 'lmsops_ws', 'contextlevel' => 'coursecat', 'instanceid' => 1]], [], ['student']],
        [$answer['contexts'][1]['heldroles'], $answer['contexts'][1]['missingcapabilities'],
            $answer['contexts'][1]['assignableroles']]);

    // A site administrator: every role allowed, assignable where its levels fit.
    $answer = access::information(2, ['moodle/user:create'], [$course], []);
    check_same('an administrator', [true, [], ['manager', 'coursecreator', 'student', 'lmsops_ws'], ['manager', 'student']],
        [$answer['siteadmin'], $answer['contexts'][0]['missingcapabilities'], $answer['contexts'][0]['allowedroles'],
            $answer['contexts'][0]['assignableroles']]);

    check_same('levels ordered, duplicates and unknown dropped', ['system', 'course'],
        access::ordered_levels(['course', 'system', 'course', 'nowhere']));

    echo "$passed passed, $failed failed\n";
    exit($failed === 0 ? 0 : 1);
}
