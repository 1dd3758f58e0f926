<?php
// Copyright: (c) 2026, lmsops.moodle contributors
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
//
// Puts a test seed into a real Moodle site (run by hacking/moodle_site.py as the web server's user):
//
//   php seed.php --moodle-dir=DIR --seed=FILE.json
//
// The seed has the emulator's shape (tests/emulator/README.md) for what a real site can hold: users,
// categories, courses, modules, enrolments. The seed's ids only link its entries together (a course's
// `category: 2` is the seed category with id 2); the site gives its own ids. Prints one JSON line
// mapping the seed's labels to the site's ids. Anything the seed asks that a real site cannot do
// (swapped role ids, blocks, profile fields...) is refused before any change, with exit code 2.

define('CLI_SCRIPT', true);

$options = getopt('', ['moodle-dir:', 'seed:']);
if (empty($options['moodle-dir']) || empty($options['seed'])) {
    fwrite(STDERR, "usage: php seed.php --moodle-dir=DIR --seed=FILE.json\n");
    exit(2);
}
$seed = json_decode(file_get_contents($options['seed']), true);
if (!is_array($seed)) {
    fwrite(STDERR, "the seed is not a JSON object\n");
    exit(2);
}
// What a real site can hold; services, tokens and settings are the provisioned site's own.
$supported = ['users', 'categories', 'courses', 'modules', 'enrolments', 'services', 'tokens', 'settings'];
$unsupported = array_diff(array_keys($seed), $supported);
if ($unsupported) {
    fwrite(STDERR, 'a real site cannot take these seed keys: ' . implode(', ', $unsupported) . "\n");
    exit(2);
}

require($options['moodle-dir'] . '/config.php');
require_once($CFG->dirroot . '/user/lib.php');
require_once($CFG->dirroot . '/course/lib.php');
require_once($CFG->libdir . '/enrollib.php');

\core\session\manager::set_user(get_admin());

$ids = ['users' => [], 'categories' => [], 'courses' => [], 'modules' => []];
$transaction = $DB->start_delegated_transaction();

foreach ($seed['users'] ?? [] as $user) {
    if ($DB->record_exists('user', ['username' => $user['username'], 'mnethostid' => $CFG->mnet_localhost_id])) {
        // The baseline's own accounts (admin, guest): keep them as provisioned.
        $ids['users'][$user['username']] = (int)$DB->get_field('user', 'id', ['username' => $user['username']]);
        continue;
    }
    $record = [
        'username' => $user['username'],
        'firstname' => $user['firstname'] ?? $user['username'],
        'lastname' => $user['lastname'] ?? 'Seed',
        'email' => $user['email'] ?? ($user['username'] . '@example.com'),
        'idnumber' => (string)($user['idnumber'] ?? ''),
        'city' => $user['city'] ?? '',
        'country' => strtoupper($user['country'] ?? ''),
        'auth' => $user['auth'] ?? 'manual',
        'suspended' => empty($user['suspended']) ? 0 : 1,
        'password' => $user['password'] ?? 'Seed#Password1',
        'confirmed' => 1,
        'mnethostid' => $CFG->mnet_localhost_id,
    ];
    $ids['users'][$user['username']] = (int)user_create_user((object)$record, true, false);
}

// Parents before children: the seed may list them in any order.
$pending = $seed['categories'] ?? [];
while ($pending) {
    $progress = false;
    foreach ($pending as $key => $category) {
        $label = (string)$category['id'];
        if ($label === '1') {
            // The baseline's "Category 1".
            $ids['categories'][$label] = 1;
            unset($pending[$key]);
            $progress = true;
            continue;
        }
        $parent = (string)($category['parent'] ?? '0');
        if ($parent !== '0' && !isset($ids['categories'][$parent])) {
            continue;
        }
        $created = \core_course_category::create([
            'name' => $category['name'],
            'idnumber' => (string)($category['idnumber'] ?? ''),
            'parent' => $parent === '0' ? 0 : $ids['categories'][$parent],
        ]);
        $ids['categories'][$label] = (int)$created->id;
        unset($pending[$key]);
        $progress = true;
    }
    if (!$progress) {
        fwrite(STDERR, "the seed's categories name parents that are not in the seed\n");
        exit(2);
    }
}

foreach ($seed['courses'] ?? [] as $course) {
    $label = (string)($course['category'] ?? '1');
    $category = $ids['categories'][$label] ?? (int)$label;
    $existing = $DB->get_record('course', ['shortname' => $course['shortname']]);
    if ($existing) {
        if ((int)$existing->category !== $category) {
            move_courses([$existing->id], $category);
        }
        $ids['courses'][(string)($course['id'] ?? $existing->id)] = (int)$existing->id;
        continue;
    }
    $created = create_course((object)[
        'shortname' => $course['shortname'],
        'fullname' => $course['fullname'] ?? $course['shortname'],
        'idnumber' => (string)($course['idnumber'] ?? ''),
        'category' => $category,
        'format' => 'topics',
        'numsections' => 1,
    ]);
    $ids['courses'][(string)($course['id'] ?? $created->id)] = (int)$created->id;
}

if (!empty($seed['modules'])) {
    require_once($CFG->libdir . '/testing/generator/lib.php');
    $generator = new testing_data_generator();
    foreach ($seed['modules'] as $module) {
        $courseid = $ids['courses'][(string)$module['course']] ?? (int)$module['course'];
        $created = $generator->create_module('label', ['course' => $courseid, 'intro' => 'Seed module']);
        $ids['modules'][(string)($module['id'] ?? $created->cmid)] = (int)$created->cmid;
    }
}

$manual = enrol_get_plugin('manual');
foreach ($seed['enrolments'] ?? [] as $enrolment) {
    $userid = $ids['users'][$enrolment['user']]
        ?? (int)$DB->get_field('user', 'id', ['username' => $enrolment['user']], MUST_EXIST);
    $courseid = (int)$DB->get_field('course', 'id', ['shortname' => $enrolment['course']], MUST_EXIST);
    $instance = $DB->get_record('enrol', ['courseid' => $courseid, 'enrol' => 'manual'], '*', MUST_EXIST);
    $roleid = (int)$DB->get_field('role', 'id', ['shortname' => $enrolment['role'] ?? 'student'], MUST_EXIST);
    $manual->enrol_user($instance, $userid, $roleid, (int)($enrolment['timestart'] ?? 0),
        (int)($enrolment['timeend'] ?? 0), empty($enrolment['suspended']) ? ENROL_USER_ACTIVE : ENROL_USER_SUSPENDED);
}

$transaction->allow_commit();
echo json_encode($ids), "\n";
