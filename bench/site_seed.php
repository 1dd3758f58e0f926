<?php
// Copyright: (c) 2026, lmsops.moodle contributors
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
//
// The starting state of a benchmark measurement on a real Moodle site (run by bench/run.py as the web
// server's user, on a site hacking/moodle_site.py provisioned):
//
//   php site_seed.php --moodle-dir=DIR --courses=bench_c01,...,bench_c10 [--users=N] [--enrol]
//
// Creates the courses that do not exist yet, then users bench_u00001 ... bench_uN (first name, last name
// and e-mail as bench/run.py's user_record(); one password hash shared by all, computed once: hashing a
// password per user would make seeding 10 000 users take minutes) and, with --enrol, enrols user i in
// course (i - 1) mod 10 as a student through the course's manual instance. Everything goes through
// Moodle's own API (user_create_user, create_course, enrol_user), as a web-service call would, without
// the user_created event (enrol_user() triggers its own). Prints one JSON line:
// {"courses": {shortname: id}, "users": N, "enrolled": N, "seconds": S}.

define('CLI_SCRIPT', true);

$options = getopt('', ['moodle-dir:', 'courses:', 'users::', 'enrol']);
if (empty($options['moodle-dir']) || empty($options['courses'])) {
    fwrite(STDERR, "usage: php site_seed.php --moodle-dir=DIR --courses=A,B,... [--users=N] [--enrol]\n");
    exit(2);
}
require($options['moodle-dir'] . '/config.php');
require_once($CFG->dirroot . '/user/lib.php');
require_once($CFG->dirroot . '/course/lib.php');
require_once($CFG->libdir . '/enrollib.php');

$started = microtime(true);
\core\session\manager::set_user(get_admin());
$shortnames = array_values(array_filter(explode(',', $options['courses'])));
$count = (int)($options['users'] ?? 0);

/** The course with this shortname, created when missing; its id. */
function bench_course($shortname) {
    global $DB;
    $id = $DB->get_field('course', 'id', ['shortname' => $shortname]);
    if ($id) {
        return (int)$id;
    }
    return (int)create_course((object)['shortname' => $shortname, 'fullname' => 'Bench course ' . $shortname,
        'category' => 1, 'format' => 'topics', 'numsections' => 1])->id;
}

$transaction = $DB->start_delegated_transaction();
$courses = [];
foreach ($shortnames as $shortname) {
    $courses[$shortname] = bench_course($shortname);
}
$hash = hash_internal_user_password('Bench#00000pw', true);
$userids = [];
for ($i = 1; $i <= $count; $i++) {
    $username = sprintf('bench_u%05d', $i);
    $userids[$i] = (int)user_create_user((object)[
        'username' => $username, 'firstname' => 'Bench', 'lastname' => sprintf('User %05d', $i),
        'email' => $username . '@bench.example.org', 'password' => $hash, 'auth' => 'manual', 'confirmed' => 1,
        'mnethostid' => $CFG->mnet_localhost_id,
    ], false, false);
}
$enrolled = 0;
if (isset($options['enrol']) && $count) {
    $plugin = enrol_get_plugin('manual');
    $student = (int)$DB->get_field('role', 'id', ['shortname' => 'student'], MUST_EXIST);
    $instances = [];
    foreach ($courses as $shortname => $courseid) {
        $instances[] = $DB->get_record('enrol', ['courseid' => $courseid, 'enrol' => 'manual'], '*', MUST_EXIST);
    }
    foreach ($userids as $i => $userid) {
        $plugin->enrol_user($instances[($i - 1) % count($instances)], $userid, $student);
        $enrolled++;
    }
}
$transaction->allow_commit();
echo json_encode(['courses' => $courses, 'users' => count($userids), 'enrolled' => $enrolled,
    'seconds' => round(microtime(true) - $started, 2)]), "\n";
