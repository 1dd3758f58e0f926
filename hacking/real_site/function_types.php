<?php
// Copyright: (c) 2026, lmsops.moodle contributors
// GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
//
// Prints {"function": "read"|"write", ...}: each named web-service function's type as its component
// declares it in db/services.php (Moodle keeps no type in the database). Run as the web server's user:
//
//   php function_types.php --moodle-dir=DIR NAME [NAME...]

define('CLI_SCRIPT', true);

$options = getopt('', ['moodle-dir:'], $rest);
require($options['moodle-dir'] . '/config.php');

$types = [];
foreach (array_slice($argv, $rest) as $name) {
    $info = \core_external\external_api::external_function_info($name, IGNORE_MISSING);
    $types[$name] = $info ? $info->type : null;
}
echo json_encode($types), "\n";
