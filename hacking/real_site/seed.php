<?php
// Copyright: (c) 2026, lmsops.moodle contributors
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
//
// Puts a test seed into a real Moodle site (run by hacking/moodle_site.py as the web server's user):
//
//   php seed.php --moodle-dir=DIR --seed=FILE.json
//
// The seed has the emulator's shape (tests/emulator/README.md) for what a real site can hold: users,
// categories, courses (with `manual_enrol` and `enrol_methods`), modules, enrolments (by any enabled
// enrolment method) and role assignments (with a component and an item id). The seed's ids only link
// its entries together (a course's `category: 2` is the seed category with id 2); the site gives its own
// ids. Prints one JSON line mapping the seed's labels to the site's ids. Anything the seed asks that a
// real site cannot do (swapped role ids, blocks, profile fields, fixed context ids...) is refused with
// exit code 2: the shape before any change, unknown users, courses or roles by rolling the whole seed back.

define('CLI_SCRIPT', true);

/** Refuse the seed: exit code 2, which hacking/moodle_site.py turns into HTTP 400. */
function seed_refuse($message) {
    fwrite(STDERR, $message . "\n");
    exit(2);
}

/** A seed error found while seeding: the seed is rolled back, then refused. */
class seed_error extends Exception {
}

$options = getopt('', ['moodle-dir:', 'seed:']);
if (empty($options['moodle-dir']) || empty($options['seed'])) {
    fwrite(STDERR, "usage: php seed.php --moodle-dir=DIR --seed=FILE.json\n");
    exit(2);
}
$seed = json_decode(file_get_contents($options['seed']), true);
if (!is_array($seed)) {
    seed_refuse('the seed is not a JSON object');
}
// What a real site can hold; services, tokens and settings are the provisioned site's own.
$supported = ['users', 'categories', 'courses', 'modules', 'enrolments', 'role_assignments', 'services', 'tokens',
    'settings'];
$unsupported = array_diff(array_keys($seed), $supported);
if ($unsupported) {
    seed_refuse('a real site cannot take these seed keys: ' . implode(', ', $unsupported));
}

// The emulator's context level names; blocks are the emulator's alone (a real site refuses them).
$levelnames = ['system' => 10, 'user' => 30, 'coursecat' => 40, 'course' => 50, 'module' => 70];
foreach ($seed['role_assignments'] ?? [] as $ra) {
    $what = 'role assignment ' . json_encode($ra);
    if (!isset($ra['user']) || !isset($ra['role'])) {
        seed_refuse($what . ': needs user and role');
    }
    if (array_key_exists('contextid', $ra)) {
        seed_refuse($what . ': a real site gives its own context ids; name the context by contextlevel and instance');
    }
    $level = $ra['contextlevel'] ?? 'system';
    if (!isset($levelnames[$level])) {
        seed_refuse($what . ': a real site cannot take context level ' . json_encode($level)
            . ' (system, user, coursecat, course, module)');
    }
    // role_assign()'s own rule.
    $component = (string)($ra['component'] ?? '');
    if ($component !== '' && strpos($component, '_') === false) {
        seed_refuse($what . ': the component must be a plugin\'s frankenstyle name such as enrol_cohort');
    }
    if (!empty($ra['itemid']) && $component === '') {
        seed_refuse($what . ': an itemid needs a component');
    }
}
$methods = [];
foreach ($seed['enrolments'] ?? [] as $enrolment) {
    $method = $enrolment['method'] ?? 'manual';
    if ($method === 'guest') {
        seed_refuse('enrolment ' . json_encode($enrolment) . ': the guest method holds no enrolments '
            . '(enrol_guest_plugin::enrol_user() does nothing); add a guest instance with the course\'s enrol_methods');
    }
    $methods[$method] = 'enrolment ' . json_encode($enrolment);
}
foreach ($seed['courses'] ?? [] as $course) {
    foreach ($course['enrol_methods'] ?? [] as $method) {
        $methods[$method['enrol'] ?? ''] = 'course ' . ($course['shortname'] ?? '?') . ' enrol_methods';
    }
}

require($options['moodle-dir'] . '/config.php');
require_once($CFG->dirroot . '/user/lib.php');
require_once($CFG->dirroot . '/course/lib.php');
require_once($CFG->libdir . '/enrollib.php');

foreach ($methods as $method => $what) {
    if (!is_string($method) || !preg_match('/^[a-z0-9_]+$/', $method) || !enrol_get_plugin($method)) {
        seed_refuse($what . ': no enrolment plugin ' . json_encode($method));
    }
    if (!enrol_is_enabled($method)) {
        seed_refuse($what . ': the enrolment plugin ' . $method . ' is not enabled on this site (enabled: '
            . $CFG->enrol_plugins_enabled . ')');
    }
}

\core\session\manager::set_user(get_admin());

$ids = ['users' => [], 'categories' => [], 'courses' => [], 'modules' => []];
// The seed's user ids (labels) -> usernames, to follow `user: 5` in enrolments and role assignments.
$userlabels = [];
foreach ($seed['users'] ?? [] as $user) {
    if (isset($user['id'])) {
        $userlabels[(string)$user['id']] = $user['username'];
    }
}

/** A seed's reference to a user (a username, a seed user id, or else a site user id) -> the site's id. */
function seed_user($ref) {
    global $DB, $ids, $userlabels;
    if (is_int($ref) || ctype_digit((string)$ref)) {
        if (isset($userlabels[(string)$ref])) {
            return $ids['users'][$userlabels[(string)$ref]];
        }
        if ($DB->record_exists('user', ['id' => (int)$ref, 'deleted' => 0])) {
            return (int)$ref;
        }
        throw new seed_error('no user with id ' . $ref);
    }
    if (isset($ids['users'][$ref])) {
        return $ids['users'][$ref];
    }
    $id = $DB->get_field('user', 'id', ['username' => $ref, 'deleted' => 0]);
    if (!$id) {
        throw new seed_error('no user ' . json_encode($ref));
    }
    return (int)$id;
}

/** A seed's reference to a course (a shortname, a seed course id, or else a site course id) -> the site's id. */
function seed_course($ref) {
    global $DB, $ids;
    if (is_int($ref) || ctype_digit((string)$ref)) {
        $id = $ids['courses'][(string)$ref] ?? (int)$ref;
        if ($id > SITEID && $DB->record_exists('course', ['id' => $id])) {
            return $id;
        }
        throw new seed_error('no course with id ' . $ref);
    }
    $id = $DB->get_field('course', 'id', ['shortname' => $ref]);
    if (!$id) {
        throw new seed_error('no course ' . json_encode($ref));
    }
    return (int)$id;
}

/** A role by shortname or id. */
function seed_role($ref) {
    global $DB;
    $conditions = (is_int($ref) || ctype_digit((string)$ref)) ? ['id' => (int)$ref] : ['shortname' => $ref];
    $id = $DB->get_field('role', 'id', $conditions);
    if (!$id) {
        throw new seed_error('no role ' . json_encode($ref));
    }
    return (int)$id;
}

/** The context a seed role assignment names: contextlevel and instance, resolved as the emulator does. */
function seed_context($level, $ref) {
    global $DB, $ids;
    switch ($level) {
        case 'system':
            return context_system::instance();
        case 'user':
            return context_user::instance(seed_user($ref));
        case 'coursecat':
            $id = $ids['categories'][(string)$ref] ?? (int)$ref;
            if (!$DB->record_exists('course_categories', ['id' => $id])) {
                throw new seed_error('no category with id ' . $ref);
            }
            return context_coursecat::instance($id);
        case 'course':
            return context_course::instance(seed_course($ref));
        case 'module':
            $id = $ids['modules'][(string)$ref] ?? (int)$ref;
            if (!$DB->record_exists('course_modules', ['id' => $id])) {
                throw new seed_error('no course module with id ' . $ref);
            }
            return context_module::instance($id);
    }
    throw new seed_error('unknown context level ' . $level);
}

/**
 * The instance of an enrolment method a seed enrols through: the course's first enabled one; else its first
 * disabled one, enabled (a course Moodle creates has disabled self and guest instances); else a new, enabled one.
 */
function seed_instance($courseid, $method, $status = ENROL_INSTANCE_ENABLED) {
    global $DB;
    $plugin = enrol_get_plugin($method);
    $instances = $DB->get_records('enrol', ['courseid' => $courseid, 'enrol' => $method], 'sortorder, id');
    foreach ($instances as $instance) {
        if ((int)$instance->status === ENROL_INSTANCE_ENABLED || $status !== ENROL_INSTANCE_ENABLED) {
            return $instance;
        }
    }
    if ($instances) {
        $instance = reset($instances);
        $plugin->update_status($instance, ENROL_INSTANCE_ENABLED);
        return $DB->get_record('enrol', ['id' => $instance->id], '*', MUST_EXIST);
    }
    $id = $plugin->add_instance(get_course($courseid), ['status' => $status]);
    return $DB->get_record('enrol', ['id' => $id], '*', MUST_EXIST);
}

/** An enrolment's status as the emulator reads it: `status: active|suspended` (or 0/1), or `suspended: true`. */
function seed_enrolment_status($enrolment) {
    $status = $enrolment['status'] ?? 'active';
    $suspended = in_array($status, ['suspended', 1, '1', true], true) || !empty($enrolment['suspended']);
    return $suspended ? ENROL_USER_SUSPENDED : ENROL_USER_ACTIVE;
}

$transaction = $DB->start_delegated_transaction();
try {
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
            throw new seed_error("the seed's categories name parents that are not in the seed");
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
            $courseid = (int)$existing->id;
        } else {
            $courseid = (int)create_course((object)[
                'shortname' => $course['shortname'],
                'fullname' => $course['fullname'] ?? $course['shortname'],
                'idnumber' => (string)($course['idnumber'] ?? ''),
                'category' => $category,
                'format' => 'topics',
                'numsections' => 1,
            ])->id;
        }
        $ids['courses'][(string)($course['id'] ?? $courseid)] = $courseid;
        // manual_enrol: true or 'enabled' (default), 'disabled', or false (no manual instance), as on the emulator.
        $manualenrol = $course['manual_enrol'] ?? true;
        if ($manualenrol !== true && $manualenrol !== 'enabled') {
            $manual = enrol_get_plugin('manual');
            foreach ($DB->get_records('enrol', ['courseid' => $courseid, 'enrol' => 'manual']) as $instance) {
                if ($manualenrol) {
                    $manual->update_status($instance, ENROL_INSTANCE_DISABLED);
                } else {
                    $manual->delete_instance($instance);
                }
            }
        }
        foreach ($course['enrol_methods'] ?? [] as $method) {
            $status = empty($method['status']) ? ENROL_INSTANCE_ENABLED : ENROL_INSTANCE_DISABLED;
            $instance = seed_instance($courseid, $method['enrol'], $status);
            if (isset($method['name'])) {
                $DB->set_field('enrol', 'name', $method['name'], ['id' => $instance->id]);
            }
        }
    }

    if (!empty($seed['modules'])) {
        require_once($CFG->libdir . '/testing/generator/lib.php');
        $generator = new testing_data_generator();
        foreach ($seed['modules'] as $module) {
            try {
                $courseid = seed_course($module['course']);
            } catch (seed_error $error) {
                throw new seed_error('module ' . json_encode($module) . ': ' . $error->getMessage());
            }
            $created = $generator->create_module('label', ['course' => $courseid, 'intro' => 'Seed module']);
            $ids['modules'][(string)($module['id'] ?? $created->cmid)] = (int)$created->cmid;
        }
    }

    // The emulator's order: role assignments, then enrolments.
    foreach ($seed['role_assignments'] ?? [] as $ra) {
        try {
            $context = seed_context($ra['contextlevel'] ?? 'system', $ra['instance'] ?? 0);
            $roleid = seed_role($ra['role']);
            $userid = seed_user($ra['user']);
        } catch (seed_error $error) {
            throw new seed_error('role assignment ' . json_encode($ra) . ': ' . $error->getMessage());
        }
        role_assign($roleid, $userid, $context->id, (string)($ra['component'] ?? ''), (int)($ra['itemid'] ?? 0));
    }

    foreach ($seed['enrolments'] ?? [] as $enrolment) {
        try {
            $userid = seed_user($enrolment['user']);
            $courseid = seed_course($enrolment['course']);
            $roles = array_key_exists('roles', $enrolment) ? (array)$enrolment['roles'] : [$enrolment['role'] ?? 'student'];
            $roleids = array_map('seed_role', $roles);
        } catch (seed_error $error) {
            throw new seed_error('enrolment ' . json_encode($enrolment) . ': ' . $error->getMessage());
        }
        $method = $enrolment['method'] ?? 'manual';
        $plugin = enrol_get_plugin($method);
        if ($method === 'manual') {
            // Through the course's manual instance, enabled or not (as the emulator does).
            $instance = $DB->get_record('enrol', ['courseid' => $courseid, 'enrol' => 'manual'], '*', IGNORE_MULTIPLE);
            if (!$instance) {
                throw new seed_error('enrolment ' . json_encode($enrolment) . ': the course has no manual instance');
            }
        } else {
            $instance = seed_instance($courseid, $method);
        }
        // enrol_user() assigns one role the plugin's way (component '' when roles_protected() is false, as for
        // manual and self; else 'enrol_<method>' with the instance's id); the others the same way.
        $plugin->enrol_user($instance, $userid, $roleids ? array_shift($roleids) : null, (int)($enrolment['timestart'] ?? 0),
            (int)($enrolment['timeend'] ?? 0), seed_enrolment_status($enrolment));
        $context = context_course::instance($courseid);
        foreach ($roleids as $roleid) {
            if ($plugin->roles_protected()) {
                role_assign($roleid, $userid, $context->id, 'enrol_' . $method, $instance->id);
            } else {
                role_assign($roleid, $userid, $context->id);
            }
        }
    }
} catch (seed_error $error) {
    $DB->force_transaction_rollback();
    seed_refuse($error->getMessage());
}

$transaction->allow_commit();
echo json_encode($ids), "\n";
