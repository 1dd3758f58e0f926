<?php
// Copyright: (c) 2026, lmsops.moodle contributors
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
//
// The web-service set-up of the site the conformance recordings start from (moodle-recordings README):
// services lmsops_full and lmsops_limited with the given functions, each with a permanent token of the
// site administrator. Run as the web server's user by hacking/record_conformance.py:
//
//   php recording_tokens.php --moodle-dir=DIR --spec=FILE.json
//     spec: {"services": [{"shortname", "name", "functions": [...], "token": "full"}, ...]}
// Prints {"full": TOKEN, "limited": TOKEN}.

define('CLI_SCRIPT', true);

$options = getopt('', ['moodle-dir:', 'spec:']);
$spec = json_decode(file_get_contents($options['spec']), true);
require($options['moodle-dir'] . '/config.php');
require_once($CFG->dirroot . '/webservice/lib.php');

set_config('enablewebservices', 1);
set_config('webserviceprotocols', 'rest');
$admin = get_admin();
\core\session\manager::set_user($admin);
$ws = new webservice();
$tokens = [];
foreach ($spec['services'] as $wanted) {
    $service = $ws->get_external_service_by_shortname($wanted['shortname']);
    if (!$service) {
        $id = $ws->add_external_service((object)['name' => $wanted['name'], 'shortname' => $wanted['shortname'],
            'enabled' => 1, 'restrictedusers' => 0, 'downloadfiles' => 0, 'uploadfiles' => 0]);
        $service = $ws->get_external_service_by_id($id);
    }
    foreach ($wanted['functions'] as $function) {
        if (!$ws->service_function_exists($function, $service->id)) {
            $ws->add_external_function_to_service($function, $service->id);
        }
    }
    $tokens[$wanted['token']] = \core_external\util::generate_token(EXTERNAL_TOKEN_PERMANENT, $service, $admin->id,
        context_system::instance(), 0, '');
}
echo json_encode($tokens), "\n";
