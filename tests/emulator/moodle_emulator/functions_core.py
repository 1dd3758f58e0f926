# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Core Moodle web-service functions: site info, users, courses, categories, enrolment, roles."""

from __future__ import annotations

import hashlib
import html
import re
import secrets

from .errors import (
    CodingError, DmlMissingRecord, DmlWriteError, InvalidParameter, MoodleError, PhpError, RequiredCapability,
    moodle_exception)
from .params import (
    PARAM_ALPHA, PARAM_ALPHANUMEXT, PARAM_AUTH, PARAM_BOOL, PARAM_EMAIL, PARAM_INT, PARAM_LANG, PARAM_NOTAGS, PARAM_PLUGIN,
    PARAM_RAW, PARAM_RAW_TRIMMED, PARAM_SEQUENCE, PARAM_TEXT, PARAM_THEME, PARAM_TIMEZONE, PARAM_USERNAME, VALUE_DEFAULT,
    VALUE_OPTIONAL, Multiple, Single, Value, clean_param, php_str, validate_email)
from .registry import FUNCTIONS, OMIT, external
from .state import (
    CONTEXT_BLOCK, CONTEXT_COURSE, CONTEXT_MODULE, CONTEXT_SYSTEM, CONTEXT_USER, LEVEL_BY_NAME,
    password_hash)

ADVANCED_FEATURES = [
    ('usecomments', 1), ('usetags', 1), ('enablenotes', 1), ('messaging', 1), ('enableblogs', 1), ('enablecompletion', 1),
    ('enablebadges', 1), ('messagingallusers', 0), ('enablecustomreports', 1), ('enableglobalsearch', 0),
    ('mnet_dispatcher_mode', 0), ('enablecompetencies', 1)]

# The plugins whose is_internal() is true, so core_user_create_users needs a password or createpassword for them
# (user/externallib.php: 4.5 l.186, 5.1 public/ l.188). auth_plugin_base::is_internal() is true (lib/authlib.php:204)
# and lti keeps it; cas, ldap, mnet, shibboleth, webservice (auth/*/auth.php) and oauth2 (auth/oauth2/classes/auth.php:103)
# answer false; db answers true only when auth_db/passtype is unset or 'internal' (auth/db/auth.php:628), and a site
# is installed with its default 'plaintext' (auth/db/settings.php:99): not internal.
INTERNAL_AUTHS = ('email', 'lti', 'manual', 'nologin', 'none')
# The plugins whose can_change_password() is true and whose user_update_password() writes the site's own hash: only for
# them does user_update_user() (user/lib.php) change the stored password (auth/{manual,email,none}/auth.php; nologin,
# webservice, lti, oauth2 cannot change it; db only when internal, see above).
LOCAL_PASSWORD_AUTHS = ('email', 'manual', 'none')

# The site course (the front page): core_enrol_get_enrolled_users lists every user of the site in it.
SITEID = 1
# user_get_default_fields(): the only names userfields may hold (user/lib.php).
DEFAULT_USER_FIELDS = (
    'id', 'username', 'fullname', 'firstname', 'lastname', 'email', 'address', 'phone1', 'phone2', 'department',
    'institution', 'interests', 'firstaccess', 'lastaccess', 'auth', 'confirmed', 'idnumber', 'lang', 'theme',
    'timezone', 'mailformat', 'description', 'descriptionformat', 'city', 'country', 'profileimageurlsmall',
    'profileimageurl', 'customfields', 'groups', 'roles', 'preferences', 'enrolledcourses', 'suspended',
    'lastcourseaccess', 'trackforums')


def function_version(site, component):
    """The version site_info shows for a function of a component."""
    if component == 'core':
        return site.settings['version']
    if component == 'local_lmsops':
        return str(site.settings['companion_version'])
    return site.settings['version'].split('.')[0]


def fullname(user):
    """fullname() with the default 'language' format."""
    return '%s %s' % (user['firstname'], user['lastname'])


def picture_url(site, size):
    """The default user picture URL (f1 large, f2 small)."""
    return '%s/theme/image.php/boost/core/%s/u/%s' % (site.siteurl, site.settings['themerev'], size)


def user_customfields(site, user):
    """customfields[] as user_get_user_details() shows them (non-empty values only)."""
    result = []
    for shortname, field in site.profile_fields.items():
        value = user.get('customfields', {}).get(shortname)
        if value not in (None, ''):
            result.append({'type': field['datatype'], 'value': value, 'displayvalue': value, 'name': field['name'],
                           'shortname': shortname})
    return result


def active_courses(site, userid, now):
    """enrol_get_users_courses($userid, true): active enrolments, visible DESC, sortorder ASC."""
    courseids = set()
    for ueid in site.ue_by_user.get(userid, ()):
        ue = site.user_enrolments[ueid]
        if site.is_active(ue, now):
            courseids.add(site.enrol_instances[ue['enrolid']]['courseid'])
    courses = [site.courses[cid] for cid in courseids if cid in site.courses]
    courses.sort(key=lambda c: (-c['visible'], c['sortorder'], c['id']))
    return courses


def user_details(call, user, mode='user', fields=None, course=None):
    """user_get_user_details() shaped by the calling function's return description."""
    site = call.site

    def want(name):
        return fields is None or name in fields

    out = {'id': user['id']}
    if want('username'):
        out['username'] = user['username']
    if want('firstname'):
        out['firstname'] = user['firstname']
    if want('lastname'):
        out['lastname'] = user['lastname']
    out['fullname'] = fullname(user)
    if want('email'):
        out['email'] = user['email']
    for key in ('address', 'phone1', 'phone2'):
        if want(key) and user.get(key):
            out[key] = user[key]
    if want('department'):
        out['department'] = user.get('department', '')
    if want('institution') and user.get('institution'):
        out['institution'] = user['institution']
    if want('idnumber') and user.get('idnumber'):
        out['idnumber'] = user['idnumber']
    if want('interests') and user.get('interests'):
        out['interests'] = user['interests']
    if want('firstaccess'):
        out['firstaccess'] = user.get('firstaccess', 0)
    if want('lastaccess'):
        out['lastaccess'] = user.get('lastaccess', 0)
    if mode == 'enrolled':
        if want('lastcourseaccess'):
            out['lastcourseaccess'] = 0
    else:
        if want('auth'):
            out['auth'] = user['auth']
        if want('suspended'):
            out['suspended'] = bool(user['suspended'])
        if want('confirmed'):
            out['confirmed'] = bool(user['confirmed'])
        if want('lang'):
            out['lang'] = user['lang']
        if want('theme'):
            out['theme'] = user.get('theme', '')
        if want('timezone'):
            out['timezone'] = str(user.get('timezone', '99'))
        if want('mailformat'):
            out['mailformat'] = user.get('mailformat', 1)
        if want('trackforums'):
            out['trackforums'] = user.get('trackforums', 0)
    if want('description') and user.get('description'):
        out['description'] = user['description']
        out['descriptionformat'] = user.get('descriptionformat', 1)
    if want('city') and user.get('city'):
        out['city'] = user['city']
    if want('country') and user.get('country'):
        out['country'] = user['country']
    if want('profileimageurlsmall'):
        out['profileimageurlsmall'] = picture_url(site, 'f2')
    if want('profileimageurl'):
        out['profileimageurl'] = picture_url(site, 'f1')
    if want('customfields'):
        custom = user_customfields(site, user)
        if custom:
            out['customfields'] = custom
    if course is not None:
        if want('roles'):
            ctx = site.context_id(CONTEXT_COURSE, course['id'])
            roles = []
            for ra in site.user_roles_in_context(user['id'], ctx):
                role = site.roles.get(ra['roleid'])
                if role is not None:
                    roles.append((role['sortorder'], ra['id'], {'roleid': role['id'], 'name': role['name'],
                                                                'shortname': role['shortname'], 'sortorder': ra['sortorder']}))
            roles.sort(key=lambda item: (item[0], item[1]))
            out['roles'] = [item[2] for item in roles]
        if want('enrolledcourses'):
            mine = active_courses(site, user['id'], call.now)
            if mine:
                out['enrolledcourses'] = [{'id': c['id'], 'fullname': c['fullname'], 'shortname': c['shortname']} for c in mine]
    return out


# --------------------------------------------------------------------------- site info
@external('core_webservice_get_site_info', Single({
    'serviceshortnames': Multiple(Value(PARAM_ALPHANUMEXT), VALUE_DEFAULT, [])}))
def get_site_info(call, args):
    """core_webservice_get_site_info."""
    del args
    site = call.site
    user = site.users[call.userid]
    service = site.services[call.token['serviceid']]
    functions = []
    for name in service_functions(site, service):
        func = FUNCTIONS.get(name)
        component = func.component if func else ('enrol_manual' if name.startswith('enrol_manual_') else 'core')
        functions.append({'name': name, 'version': function_version(site, component)})
    return {
        'sitename': site.settings['sitename'], 'username': user['username'], 'firstname': user['firstname'],
        'lastname': user['lastname'], 'fullname': fullname(user), 'lang': user['lang'], 'userid': user['id'],
        'siteurl': site.siteurl, 'userpictureurl': picture_url(site, 'f1'), 'functions': functions,
        'downloadfiles': 0, 'uploadfiles': 0, 'release': site.settings['release'], 'version': site.settings['version'],
        'mobilecssurl': '', 'advancedfeatures': [{'name': n, 'value': v} for n, v in ADVANCED_FEATURES],
        'usercanmanageownfiles': True, 'userquota': 0, 'usermaxuploadfilesize': -1, 'userhomepage': 1,
        'userhomepageurl': OMIT,
        'userprivateaccesskey': hashlib.md5(('%s:%s' % (user['id'], user['username'])).encode()).hexdigest(),
        'siteid': 1, 'sitecalendartype': 'gregorian', 'usercalendartype': user.get('calendartype', 'gregorian'),
        'userissiteadmin': site.is_siteadmin(user['id']), 'theme': 'boost', 'limitconcurrentlogins': 0,
        'usersessionscount': OMIT, 'policyagreed': 0}


def service_functions(site, service):
    """The functions a service offers (the companion plugin's are added to companion services when on)."""
    names = list(service['functions'])
    if site.settings.get('companion_plugin') and service.get('companion') is True:
        from .functions_local import LOCAL_FUNCTIONS  # pylint: disable=import-outside-toplevel
        names.extend(n for n in LOCAL_FUNCTIONS if n not in names)
    return names


# --------------------------------------------------------------------------- users
@external('core_user_get_users_by_field', Single({
    'field': Value(PARAM_ALPHA),
    'values': Multiple(Value(PARAM_RAW))}))
def get_users_by_field(call, args):
    """core_user_get_users_by_field."""
    site = call.site
    field = args['field']
    types = {'id': PARAM_INT, 'idnumber': PARAM_RAW, 'username': PARAM_USERNAME, 'email': PARAM_EMAIL}
    if field not in types:
        raise CodingError('invalid field parameter',
                          "The search field '%s' is not supported, look at the web service documentation" % field)
    ids = set()
    for value in args['values']:
        cleaned = clean_param(value, types[field])
        if php_str(cleaned) != value:
            raise InvalidParameter("The field '%s' value is invalid: %s(cleaned value: %s)" % (field, value, php_str(cleaned)))
        if field == 'id':
            if int(value) in site.users:
                ids.add(int(value))
        elif field == 'username':
            uid = site.user_by_username.get(value)
            if uid is not None:
                ids.add(uid)
        elif field == 'email':
            ids.update(site.users_by_email.get(value, ()))
        else:
            ids.update(site.users_by_idnumber.get(value, ()))
    return [user_details(call, site.users[uid]) for uid in sorted(ids)]


def _like(pattern, value):
    regex = ''.join('.*' if ch == '%' else '.' if ch == '_' else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL) is not None


@external('core_user_get_users', Single({
    'criteria': Multiple(Single({'key': Value(PARAM_ALPHA), 'value': Value(PARAM_RAW)}))}))
def get_users(call, args):
    """core_user_get_users: criteria ANDed, email/names with LIKE, deleted users skipped."""
    site = call.site
    warnings = []
    used = set()
    tests = []
    for criteria in args['criteria']:
        key = criteria['key']
        if key in used:
            raise moodle_exception('keyalreadyset', debuginfo='The key %s can only be sent once' % key)
        used.add(key)
        types = {'id': PARAM_INT, 'idnumber': PARAM_RAW, 'username': PARAM_USERNAME, 'email': PARAM_RAW, 'auth': PARAM_AUTH,
                 'lastname': PARAM_NOTAGS, 'firstname': PARAM_NOTAGS}
        if key not in types:
            warnings.append({'item': key, 'warningcode': 'invalidfieldparameter',
                             'message': "The search key '%s' is not supported, look at the web service documentation" % key})
            continue
        value = clean_param(criteria['value'], types[key], tuple(site.settings['langs']), site.auth_plugins())
        if key in ('email', 'lastname', 'firstname'):
            tests.append(lambda u, k=key, v=value: _like(v, u[k]))
        elif key == 'id':
            tests.append(lambda u, v=value: u['id'] == v)
        else:
            tests.append(lambda u, k=key, v=value: u[k] == v)
    users = [u for uid, u in sorted(site.users.items()) if not u['deleted'] and all(t(u) for t in tests)]
    return {'users': [user_details(call, u) for u in users], 'warnings': warnings}


def password_policy(password):
    """check_password_policy() with Moodle's default policy; '' when the password passes."""
    errors = []
    if len(password) < 8:
        errors.append('Passwords must be at least 8 characters long.')
    if sum(1 for ch in password if ch.isdigit()) < 1:
        errors.append('Passwords must have at least 1 digit(s).')
    if sum(1 for ch in password if ch.islower()) < 1:
        errors.append('Passwords must have at least 1 lower case letter(s).')
    if sum(1 for ch in password if ch.isupper()) < 1:
        errors.append('Passwords must have at least 1 upper case letter(s).')
    if sum(1 for ch in password if not ch.isalnum()) < 1:
        errors.append('The password must have at least 1 special character(s) such as *, -, or #.')
    return ''.join('<div>%s</div>' % e for e in errors)


CUSTOMFIELDS = Multiple(Single({'type': Value(PARAM_ALPHANUMEXT), 'value': Value(PARAM_RAW)}), VALUE_OPTIONAL)
PREFERENCES = Multiple(Single({'type': Value(PARAM_RAW), 'value': Value(PARAM_RAW)}), VALUE_OPTIONAL)

CREATE_USER = Single([
    ('createpassword', Value(PARAM_BOOL, VALUE_OPTIONAL)),
    ('username', Value(PARAM_USERNAME)),
    ('auth', Value(PARAM_AUTH, VALUE_DEFAULT, 'manual')),
    ('password', Value(PARAM_RAW, VALUE_OPTIONAL)),
    ('firstname', Value(PARAM_NOTAGS)),
    ('lastname', Value(PARAM_NOTAGS)),
    ('email', Value(PARAM_RAW_TRIMMED)),
    ('maildisplay', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('city', Value(PARAM_TEXT, VALUE_OPTIONAL)),
    ('country', Value(PARAM_ALPHA, VALUE_OPTIONAL)),
    ('timezone', Value(PARAM_TIMEZONE, VALUE_OPTIONAL)),
    ('description', Value(PARAM_RAW, VALUE_OPTIONAL)),
    ('firstnamephonetic', Value(PARAM_NOTAGS, VALUE_OPTIONAL)),
    ('lastnamephonetic', Value(PARAM_NOTAGS, VALUE_OPTIONAL)),
    ('middlename', Value(PARAM_NOTAGS, VALUE_OPTIONAL)),
    ('alternatename', Value(PARAM_NOTAGS, VALUE_OPTIONAL)),
    ('interests', Value(PARAM_TEXT, VALUE_OPTIONAL)),
    ('idnumber', Value(PARAM_RAW, VALUE_DEFAULT, '')),
    ('institution', Value(PARAM_TEXT, VALUE_OPTIONAL)),
    ('department', Value(PARAM_TEXT, VALUE_OPTIONAL)),
    ('phone1', Value(PARAM_NOTAGS, VALUE_OPTIONAL)),
    ('phone2', Value(PARAM_NOTAGS, VALUE_OPTIONAL)),
    ('address', Value(PARAM_TEXT, VALUE_OPTIONAL)),
    ('lang', Value(PARAM_LANG, VALUE_DEFAULT, 'en')),
    ('calendartype', Value(PARAM_PLUGIN, VALUE_DEFAULT, 'gregorian')),
    ('theme', Value(PARAM_THEME, VALUE_OPTIONAL)),
    ('mailformat', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('customfields', CUSTOMFIELDS),
    ('preferences', PREFERENCES),
])

PLAIN_USER_FIELDS = ('auth', 'firstname', 'lastname', 'email', 'maildisplay', 'city', 'country', 'timezone', 'description',
                     'interests', 'idnumber', 'institution', 'department', 'phone1', 'phone2', 'address', 'lang',
                     'calendartype', 'theme', 'mailformat', 'firstnamephonetic', 'lastnamephonetic', 'middlename',
                     'alternatename')


# The user table's char columns (lib/db/install.xml, 4.5 and 5.1): PostgreSQL refuses a longer value, and Moodle
# answers dml_write_exception (create: the whole batch rolls back; update: a warning for that user).
USER_COLUMN_LENGTHS = {'username': 100, 'auth': 20, 'idnumber': 255, 'firstname': 100, 'lastname': 100, 'email': 100,
                       'institution': 255, 'department': 255, 'city': 120, 'country': 2, 'lang': 30, 'timezone': 100,
                       'phone1': 20, 'phone2': 20, 'address': 255, 'firstnamephonetic': 255, 'lastnamephonetic': 255,
                       'middlename': 255, 'alternatename': 255, 'calendartype': 30, 'theme': 50}


def _check_column_lengths(record):
    for name, limit in USER_COLUMN_LENGTHS.items():
        value = record.get(name)
        if value is not None and len(str(value)) > limit:
            raise DmlWriteError('ERROR:  value too long for type character varying(%d)' % limit)


def _customfields(site, items):
    return {item['type']: item['value'] for item in items or [] if item['type'] in site.profile_fields}


@external('core_user_create_users', Single({'users': Multiple(CREATE_USER)}), write=True)
def create_users(call, args):
    """core_user_create_users: one transaction for the whole batch."""
    site = call.site
    # get_plugin_list('auth') without mnet and webservice (user/externallib.php l.143, 4.5 and 5.1).
    available = [auth for auth in site.auth_plugins() if auth not in ('mnet', 'webservice')]
    result = []
    with site.transaction():
        for user in args['users']:
            for name in ('username', 'firstname', 'lastname'):
                if user[name].strip() == '':
                    raise InvalidParameter('The field %s cannot be blank' % name)
            if user['username'] in site.user_by_username:
                raise InvalidParameter('Username already exists: ' + user['username'])
            if user['auth'] not in available:
                raise InvalidParameter('Invalid authentication type: ' + user['auth'])
            internal = user['auth'] in INTERNAL_AUTHS
            if internal and not user.get('password') and not user.get('createpassword'):
                raise InvalidParameter('Invalid password: you must provide a password, or set createpassword.')
            if not validate_email(user['email']):
                raise InvalidParameter('Email address is invalid: ' + user['email'])
            if not site.settings['allowaccountssameemail'] and user['email'].lower() in site.users_by_email_ci:
                raise InvalidParameter('Email address already exists: ' + user['email'])
            createpassword = bool(user.get('createpassword'))
            if internal and not createpassword:
                errmsg = password_policy(user.get('password') or '')
                if errmsg:
                    raise moodle_exception(errmsg)
            _check_column_lengths(user)
            record = site.new_user_record({key: user[key] for key in PLAIN_USER_FIELDS if key in user}, call.now)
            record['username'] = user['username']
            if internal and createpassword:
                record['password'] = password_hash(secrets.token_hex(12))
            elif internal:
                record['password'] = password_hash(user['password'])
            else:
                record['password'] = 'not cached'
            record['customfields'] = _customfields(site, user.get('customfields'))
            record['preferences'] = {p['type']: p['value'] for p in user.get('preferences') or []}
            record['id'] = site.next_id('user')
            site.add_user(record)
            site._add_context(CONTEXT_USER, record['id'], None)  # pylint: disable=protected-access
            result.append({'id': record['id'], 'username': record['username']})
    return result


UPDATE_USER = Single([
    ('id', Value(PARAM_INT)),
    ('username', Value(PARAM_USERNAME, VALUE_OPTIONAL)),
    ('auth', Value(PARAM_AUTH, VALUE_OPTIONAL)),
    ('suspended', Value(PARAM_BOOL, VALUE_OPTIONAL)),
    ('password', Value(PARAM_RAW, VALUE_OPTIONAL)),
    ('firstname', Value(PARAM_NOTAGS, VALUE_OPTIONAL)),
    ('lastname', Value(PARAM_NOTAGS, VALUE_OPTIONAL)),
    ('email', Value(PARAM_RAW_TRIMMED, VALUE_OPTIONAL)),
    ('maildisplay', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('city', Value(PARAM_TEXT, VALUE_OPTIONAL)),
    ('country', Value(PARAM_ALPHA, VALUE_OPTIONAL)),
    ('timezone', Value(PARAM_TIMEZONE, VALUE_OPTIONAL)),
    ('description', Value(PARAM_RAW, VALUE_OPTIONAL)),
    ('userpicture', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('firstnamephonetic', Value(PARAM_NOTAGS, VALUE_OPTIONAL)),
    ('lastnamephonetic', Value(PARAM_NOTAGS, VALUE_OPTIONAL)),
    ('middlename', Value(PARAM_NOTAGS, VALUE_OPTIONAL)),
    ('alternatename', Value(PARAM_NOTAGS, VALUE_OPTIONAL)),
    ('interests', Value(PARAM_TEXT, VALUE_OPTIONAL)),
    ('idnumber', Value(PARAM_RAW, VALUE_OPTIONAL)),
    ('institution', Value(PARAM_TEXT, VALUE_OPTIONAL)),
    ('department', Value(PARAM_TEXT, VALUE_OPTIONAL)),
    ('phone1', Value(PARAM_NOTAGS, VALUE_OPTIONAL)),
    ('phone2', Value(PARAM_NOTAGS, VALUE_OPTIONAL)),
    ('address', Value(PARAM_TEXT, VALUE_OPTIONAL)),
    ('lang', Value(PARAM_LANG, VALUE_OPTIONAL)),
    ('calendartype', Value(PARAM_PLUGIN, VALUE_OPTIONAL)),
    ('theme', Value(PARAM_THEME, VALUE_OPTIONAL)),
    ('mailformat', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('customfields', CUSTOMFIELDS),
    ('preferences', PREFERENCES),
])


def _update_one(call, user):
    """One user of core_user_update_users, checked in Moodle's order (user/externallib.php update_users: 5.1 public/
    l.578-615, 4.5 l.570-607). The codes without a language string answer 'error/<code>' (moodle_exception)."""
    site = call.site
    existing = site.users.get(user['id'])   # core_user::get_user(): deleted users are found too
    if existing is None:
        raise moodle_exception('invaliduserid', 'Invalid user ID', debuginfo='Invalid user ID')
    if existing['id'] != call.userid and site.is_siteadmin(existing['id']) and not site.is_siteadmin(call.userid):
        raise moodle_exception('usernotupdatedadmin', 'Cannot update admin accounts',
                               debuginfo='Cannot update admin accounts')
    if existing['deleted']:
        raise moodle_exception('usernotupdateddeleted', debuginfo='User is a deleted user')
    # is_mnet_remote_user() (usernotupdatedremote): the emulator has no MNet hosts.
    if existing['username'] == 'guest' and existing['id'] == 1:
        raise moodle_exception('usernotupdatedguest', debuginfo='Cannot update guest account')
    if 'email' in user and user['email'] != existing['email']:
        if not validate_email(user['email']):
            raise moodle_exception('useremailinvalid', debuginfo='Invalid email address')
        if not site.settings['allowaccountssameemail']:
            if site.users_by_email_ci.get(user['email'].lower(), set()) - {existing['id']}:
                raise moodle_exception('useremailduplicate', 'Duplicate address', debuginfo='Duplicate email address')
    if 'password' in user:
        # user_update_user($user, true) (user/lib.php, 4.5 and 5.1): check_password_policy() before any write, for
        # every auth plugin, as create does for internal ones: moodle_exception($errmsg).
        errmsg = password_policy(user['password'])
        if errmsg:
            raise moodle_exception(errmsg)
    changes = {key: user[key] for key in PLAIN_USER_FIELDS if key in user}
    _check_column_lengths(dict(changes, username=user.get('username')))
    if 'username' in user and user['username'] != existing['username']:
        if user['username'] in site.user_by_username:
            raise DmlWriteError('duplicate key value violates unique constraint "mdl_user_mneuse_uix"')
        changes['username'] = user['username']
    if 'suspended' in user:
        changes['suspended'] = 1 if user['suspended'] else 0
    if 'password' in user:
        auth = changes.get('auth', existing['auth'])
        if auth in LOCAL_PASSWORD_AUTHS:
            changes['password'] = password_hash(user['password'])
    if 'customfields' in user:
        merged = dict(existing.get('customfields') or {})
        merged.update(_customfields(site, user['customfields']))
        changes['customfields'] = merged
    changes['timemodified'] = call.now
    site.update_user(existing['id'], changes)


@external('core_user_update_users', Single({'users': Multiple(UPDATE_USER)}), write=True)
def update_users(call, args):
    """core_user_update_users: one transaction per user, failures become warnings."""
    warnings = []
    for user in args['users']:
        try:
            with call.site.transaction():
                _update_one(call, user)
        except MoodleError as exc:
            warnings.append({'item': 'user', 'itemid': user['id'], 'warningcode': exc.errorcode, 'message': exc.message})
    return {'warnings': warnings}


def delete_user(call, user):
    """delete_user(): soft delete, rename, and drop enrolments, roles, tokens and the user context."""
    site = call.site
    delname = clean_param('%s.%d' % (user['email'], call.now), PARAM_USERNAME)
    while delname in site.user_by_username:
        match = re.match(r'^(.*?)(\d+)$', delname)
        delname = '%s%d' % (match.group(1), int(match.group(2)) + 1) if match else delname + '1'
    for ueid in sorted(site.ue_by_user.get(user['id'], set())):
        site.delete_user_enrolment(ueid)
    for raid in sorted(site.ra_by_user.get(user['id'], set())):
        site.delete_role_assignment(raid)
    for value in [t for t, tok in site.tokens.items() if tok['userid'] == user['id']]:
        site.delete_token(value)
    ctx = site.context_id(CONTEXT_USER, user['id'])
    if ctx is not None:
        for raid in sorted(site.ra_by_context.get(ctx, set())):
            site.delete_role_assignment(raid)
        site.remove_context(ctx)
    site.update_user(user['id'], {
        'deleted': 1, 'username': delname, 'email': hashlib.md5(user['username'].encode('utf-8')).hexdigest(),
        'idnumber': '', 'timemodified': call.now})


@external('core_user_delete_users', Single({'userids': Multiple(Value(PARAM_INT))}), write=True)
def delete_users(call, args):
    """core_user_delete_users: all-or-nothing."""
    site = call.site
    with site.transaction():
        for userid in args['userids']:
            user = site.users.get(userid)
            if user is None or user['deleted']:
                raise DmlMissingRecord('user', 'SELECT * FROM {user} WHERE id = ? AND deleted = ?', [userid, 0])
            if site.is_siteadmin(userid):
                raise moodle_exception('useradminodelete', 'Administrator accounts cannot be deleted.')
            if userid == call.userid:
                raise moodle_exception('usernotdeletederror', 'User not deleted - error')
            if user['username'] == 'guest':
                continue
            delete_user(call, user)


# --------------------------------------------------------------------------- courses
def course_contacts(site, course, now):
    """Course contacts: active enrolled users holding a coursecontact role in the course."""
    ctx = site.context_id(CONTEXT_COURSE, course['id'])
    contacts = []
    seen = set()
    for roleid in site.settings['coursecontact_roles']:
        for raid in sorted(site.ra_by_context.get(ctx, ())):
            ra = site.role_assignments[raid]
            if ra['roleid'] != roleid or ra['userid'] in seen:
                continue
            if any(site.is_active(ue, now) for ue in site.user_course_enrolments(ra['userid'], course['id'])):
                seen.add(ra['userid'])
                contacts.append({'id': ra['userid'], 'fullname': fullname(site.users[ra['userid']])})
    return contacts


def course_image(site, course):
    """The generated course image URL."""
    return '%s/pluginfile.php/%s/course/generated/course.svg' % (site.siteurl, site.context_id(CONTEXT_COURSE, course['id']))


def external_string(call, text):
    """core_external\\util::format_string(): as stored with moodlewssettingraw; else format_string(), which (filters
    off) escapes every '&' not starting an entity (replace_ampersands_not_followed_by_entity)."""
    if call.raw or not text:
        return text
    return re.sub(r'&(?!(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);)', '&amp;', text)


def external_text(call, text, textformat):
    """(text, format) as core_external\\util::format_text() answers them: as stored with moodlewssettingraw; else
    FORMAT_HTML, a FORMAT_PLAIN text rendered as format_text() does (s(), two spaces as '&nbsp; ', nl2br); other
    formats are passed through (exact for HTML without markup HTML Purifier would change)."""
    if call.raw:
        return text, textformat
    if textformat == 2 and text:
        rendered = html.escape(text, quote=True).replace('&#x27;', '&#039;').replace('  ', '&nbsp; ')
        return rendered.replace('\r\n', '<br />\r\n').replace('\n', '<br />\n'), 1
    return text, external_format(text, textformat)


def external_format(text, textformat):
    """The format core_external\\util::format_text() answers (lib/external/classes/util.php): the stored one for an
    empty text, else FORMAT_HTML (1), the text being rendered to HTML. (The emulator passes the text through as is:
    exact for HTML and for plain text without markup in FORMAT_HTML.)"""
    if text is None or text == '':
        return textformat
    return 1


def course_record(call, course):
    """One course as core_course_get_courses_by_field shows it."""
    site = call.site
    methods = []
    for iid in site.instances_by_course.get(course['id'], []):
        instance = site.enrol_instances[iid]
        if instance['status'] == 0 and instance['enrol'] not in methods:
            methods.append(instance['enrol'])
    record = {
        'id': course['id'], 'fullname': course['fullname'], 'displayname': course['fullname'], 'shortname': course['shortname'],
        'courseimage': course_image(site, course), 'categoryid': course['category'],
        'categoryname': site.categories[course['category']]['name'], 'sortorder': course['sortorder'],
        'summary': course['summary'], 'summaryformat': external_format(course['summary'], course.get('summaryformat', 0)),
        'summaryfiles': [], 'overviewfiles': [], 'showactivitydates': bool(course.get('showactivitydates', 0)),
        'showcompletionconditions': True, 'contacts': course_contacts(site, course, call.now), 'enrollmentmethods': methods}
    if course['idnumber'] is not None:
        record['idnumber'] = course['idnumber']
    record.update({
        'format': course['format'], 'showgrades': course.get('showgrades', 1), 'newsitems': course.get('newsitems', 1),
        'startdate': course['startdate'], 'enddate': course['enddate'], 'maxbytes': course.get('maxbytes', 0),
        'showreports': course.get('showreports', 0), 'visible': course['visible'], 'groupmode': course.get('groupmode', 0),
        'groupmodeforce': course.get('groupmodeforce', 0), 'defaultgroupingid': course.get('defaultgroupingid', 0),
        'enablecompletion': course.get('enablecompletion', 0), 'completionnotify': course.get('completionnotify', 0),
        'lang': course['lang'], 'theme': course.get('theme', ''), 'marker': 0, 'legacyfiles': 0, 'calendartype': '', 'timecreated': course['timecreated'],
        'timemodified': course['timemodified'], 'requested': 0, 'cacherev': course['cacherev'],
        'filters': [{'filter': name, 'localstate': 0, 'inheritedstate': 1} for name in
                    ('displayh5p', 'activitynames', 'mathjaxloader', 'emoticon', 'urltolink', 'mediaplugin')],
        'courseformatoptions': [{'name': 'hiddensections', 'value': 1}, {'name': 'coursedisplay', 'value': 0},
                                {'name': 'indentation', 'value': '1'}]})
    return record


@external('core_course_get_courses_by_field', Single({
    'field': Value(PARAM_ALPHA, VALUE_DEFAULT, ''),
    'value': Value(PARAM_RAW, VALUE_DEFAULT, '')}))
def get_courses_by_field(call, args):
    """core_course_get_courses_by_field."""
    site = call.site
    field, value = args['field'], args['value']
    if not field:
        ids = sorted(site.courses)
    elif field in ('id', 'category'):
        number = clean_param(value, PARAM_INT)
        if field == 'id':
            ids = [number] if number in site.courses else []
        else:
            ids = sorted(cid for cid, c in site.courses.items() if c['category'] == number)
    elif field == 'ids':
        wanted = {int(v) for v in clean_param(value, PARAM_SEQUENCE).split(',') if v}
        if any(cid not in site.courses for cid in wanted):
            # Moodle's validate_courses() leaves a null for a missing id, then sets a property on it.
            raise PhpError('Attempt to assign property "contextvalidated" on null')
        ids = sorted(wanted)
    elif field == 'shortname':
        cid = site.course_by_shortname.get(clean_param(value, PARAM_TEXT))
        ids = [cid] if cid is not None else []
    elif field == 'idnumber':
        ids = sorted(site.courses_by_idnumber.get(value, ()))
    elif field == 'sectionid':
        ids = []
    else:
        raise InvalidParameter('Invalid field name')
    return {'courses': [course_record(call, site.courses[cid]) for cid in ids], 'warnings': []}


@external('core_course_get_categories', Single({
    'criteria': Multiple(Single({'key': Value(PARAM_ALPHA), 'value': Value(PARAM_RAW)}), VALUE_DEFAULT, []),
    'addsubcategories': Value(PARAM_BOOL, VALUE_DEFAULT, 1)}))
def get_categories(call, args):
    """core_course_get_categories (course/externallib.php:1859-2000, the same in 4.5 and 5.1). Criteria are ANDed; a
    key seen before is skipped (only the first 'id', 'name', ... counts); 'idnumber' and 'theme' compare the column, so
    a category whose idnumber or theme is NULL (never set) matches no value, not even ''; an unknown id matches
    nothing (an empty list); an unknown key: 'criteriaerror'. addsubcategories (default 1) adds every category below a
    match (restricted only by the 'visible' and 'theme' criteria). No criteria: every category. Sorted by path, then by
    sortorder compared as strings (strcmp); theme is clean_param(theme, PARAM_THEME): '' when NULL."""
    site = call.site
    found = []
    conditions = {}
    if args['criteria']:
        found = list(site.categories.values())
        for criteria in args['criteria']:
            key, value = criteria['key'].strip(), criteria['value']
            if key in conditions:
                continue
            if key == 'id':
                conditions[key] = clean_param(value, PARAM_INT)
                found = [c for c in found if c['id'] == conditions[key]]
            elif key == 'ids':
                wanted = {int(v) for v in clean_param(value, PARAM_SEQUENCE).split(',') if v}
                found = [c for c in found if c['id'] in wanted]
            elif key == 'idnumber':
                conditions[key] = value
                found = [c for c in found if c['idnumber'] is not None and c['idnumber'] == value]
            elif key == 'name':
                conditions[key] = clean_param(value, PARAM_TEXT)
                found = [c for c in found if c['name'] == conditions[key]]
            elif key == 'parent':
                conditions[key] = clean_param(value, PARAM_INT)
                found = [c for c in found if c['parent'] == conditions[key]]
            elif key == 'visible':
                conditions[key] = clean_param(value, PARAM_INT)
                found = [c for c in found if c['visible'] == conditions[key]]
            elif key == 'theme':
                conditions[key] = clean_param(value, PARAM_THEME)
                found = [c for c in found if c['theme'] is not None and c['theme'] == conditions[key]]
            else:
                raise moodle_exception('criteriaerror', 'Missing permissions to search on a criterion.',
                                       debuginfo='You can not search on this criteria: ' + key)
        ids = {c['id'] for c in found}
        if found and args['addsubcategories']:
            for cat in site.categories.values():
                if 'visible' in conditions and cat['visible'] != conditions['visible']:
                    continue
                if 'theme' in conditions and (cat['theme'] is None or cat['theme'] != conditions['theme']):
                    continue
                if any(cat['path'].startswith(match['path'] + '/') for match in found):
                    ids.add(cat['id'])
        found = [site.categories[i] for i in ids]
    else:
        found = list(site.categories.values())
    found.sort(key=lambda c: c['path'])
    found.sort(key=lambda c: str(c['sortorder']))
    result = []
    for cat in found:
        description, descriptionformat = external_text(call, cat['description'], cat['descriptionformat'])
        result.append({
            'id': cat['id'], 'name': external_string(call, cat['name']), 'idnumber': cat['idnumber'],
            'description': description, 'descriptionformat': descriptionformat, 'parent': cat['parent'],
            'sortorder': cat['sortorder'],
            'coursecount': sum(1 for c in site.courses.values() if c['category'] == cat['id']), 'visible': cat['visible'],
            'visibleold': cat['visibleold'], 'timemodified': cat['timemodified'], 'depth': cat['depth'],
            'path': cat['path'], 'theme': cat['theme'] or ''})
    return result


# --------------------------------------------------------------------------- enrolment
def must_course(site, courseid, sql='SELECT * FROM {course} WHERE id = ?'):
    """get_record('course', ..., MUST_EXIST)."""
    course = site.courses.get(courseid)
    if course is None:
        raise DmlMissingRecord('course', sql, [courseid])
    return course


@external('core_enrol_get_course_enrolment_methods', Single({'courseid': Value(PARAM_INT)}))
def get_course_enrolment_methods(call, args):
    """Never lists manual instances (they have no get_enrol_info)."""
    site = call.site
    course = must_course(site, args['courseid'])
    result = []
    for iid in site.instances_by_course.get(course['id'], []):
        instance = site.enrol_instances[iid]
        if instance['enrol'] in ('self', 'guest') and instance['status'] == 0:
            result.append({'id': iid, 'courseid': course['id'], 'type': instance['enrol'],
                           'name': instance['name'] or instance['enrol'].capitalize() + ' enrolment', 'status': True,
                           'wsfunction': 'enrol_%s_get_instance_info' % instance['enrol']})
    return result


@external('core_enrol_get_enrolled_users', Single({
    'courseid': Value(PARAM_INT),
    'options': Multiple(Single({'name': Value(PARAM_ALPHANUMEXT), 'value': Value(PARAM_RAW)}), VALUE_DEFAULT, [])}))
def get_enrolled_users(call, args):
    """core_enrol_get_enrolled_users."""
    site = call.site
    onlyactive = onlysuspended = False
    fields = None
    limitfrom = limitnumber = 0
    sortby, descending = 'id', False
    for option in args['options']:
        name, value = option['name'], option['value']
        if name == 'onlyactive':
            onlyactive = value not in ('', '0')
        elif name == 'onlysuspended':
            onlysuspended = value not in ('', '0')
        elif name == 'userfields':
            fields = {clean_param(f, PARAM_ALPHANUMEXT) for f in value.split(',')}
        elif name == 'limitfrom':
            limitfrom = clean_param(value, PARAM_INT)
        elif name == 'limitnumber':
            limitnumber = clean_param(value, PARAM_INT)
        elif name == 'sortby' and value in ('id', 'firstname', 'lastname', 'siteorder'):
            sortby = 'id' if value == 'siteorder' else value
        elif name == 'sortdirection':
            if value.upper() not in ('ASC', 'DESC'):
                raise InvalidParameter('Invalid value for sortdirection parameter (value: %s),allowed values are: ASC,DESC' % value)
            descending = value.upper() == 'DESC'
    if onlyactive and onlysuspended:
        raise CodingError('Both onlyactive and onlysuspended are set, this is probably not what you want!')
    if args['courseid'] == SITEID:
        course = {'id': SITEID}
        userids = _site_users(site, onlysuspended)
    else:
        course = must_course(site, args['courseid'])
        userids = _course_users(site, course, onlyactive, onlysuspended, call.now)
    users = [site.users[u] for u in userids]
    users.sort(key=lambda u: (u[sortby], u['id']), reverse=descending)
    if limitfrom or limitnumber:
        users = users[limitfrom:limitfrom + limitnumber] if limitnumber else users[limitfrom:]
    for name in sorted(fields or ()) if users else ():
        # user_get_user_details() checks the names, so only when it is called, for the first user
        if name not in DEFAULT_USER_FIELDS:
            raise moodle_exception('invaliduserfield', 'Invalid user field: %s' % name)
    return [user_details(call, u, mode='enrolled', fields=fields, course=course) for u in users]


def _course_users(site, course, onlyactive, onlysuspended, now):
    """get_enrolled_sql(): ids of the users with an enrolment in the course (active ones, or only not-active ones)."""
    by_user = {}
    for ue in site.course_enrolments(course['id']):
        by_user.setdefault(ue['userid'], []).append(site.is_active(ue, now))
    userids = []
    for userid, states in by_user.items():
        user = site.users.get(userid)
        if user is None or user['deleted']:
            continue
        if onlyactive and not any(states):
            continue
        if onlysuspended and any(states):
            continue
        userids.append(userid)
    return userids


def _site_users(site, onlysuspended):
    """The site course: every user is "enrolled" on the front page (get_enrolled_join), the guest too, not the
    deleted; course_require_view_participants() asks moodle/site:viewparticipants (or enrolreview) in the system
    context."""
    if onlysuspended:
        raise CodingError('onlysuspended is not supported on frontpage; please add your own early-exit!')
    missing = site.settings['missing_capabilities']
    if 'moodle/site:viewparticipants' in missing and 'moodle/course:enrolreview' in missing:
        raise RequiredCapability('View participants')
    return [userid for userid, user in site.users.items() if not user['deleted']]


@external('core_enrol_get_users_courses', Single({
    'userid': Value(PARAM_INT),
    'returnusercount': Value(PARAM_BOOL, VALUE_DEFAULT, True)}))
def get_users_courses(call, args):
    """A user's active enrolments."""
    site = call.site
    result = []
    for course in active_courses(site, args['userid'], call.now):
        record = {'id': course['id'], 'shortname': course['shortname'], 'fullname': course['fullname'],
                  'displayname': course['fullname']}
        if args['returnusercount']:
            record['enrolledusercount'] = len({ue['userid'] for ue in site.course_enrolments(course['id'])})
        if course['idnumber']:
            record['idnumber'] = course['idnumber']
        record.update({
            'visible': course['visible'], 'summary': course['summary'], 'summaryformat': 0, 'format': course['format'],
            'courseimage': course_image(site, course), 'showgrades': True, 'lang': course['lang'], 'enablecompletion': False,
            'completionhascriteria': False, 'completionusertracked': False, 'category': course['category'], 'progress': None,
            'completed': None, 'startdate': course['startdate'], 'enddate': course['enddate'], 'marker': 0, 'lastaccess': None,
            'isfavourite': False, 'hidden': False, 'overviewfiles': [], 'showactivitydates': False,
            'showcompletionconditions': True, 'timemodified': course['timemodified']})
        result.append(record)
    return result


def assignable_roles(site, contextid):
    """get_assignable_roles() for a site administrator: roles allowed at the context's level."""
    level = site.contexts[contextid]['contextlevel']
    return {rid for rid, role in site.roles.items() if level in role['contextlevels']}


# core_user::NOREPLY_USER and core_user::SUPPORT_USER (lib/classes/user.php:44, 49 in 4.5 and 5.1).
NOREPLY_USER = -10
SUPPORT_USER = -20


def active_user(site, userid):
    """core_user::get_user($userid, strictness: MUST_EXIST), then core_user::require_active_user($user) with its
    default arguments (lib/classes/user.php:122-136 and 606-631, identical in 4.5 and 5.1).

    get_user() answers -10 and -20 with dummy records (get_noreply_user(): $CFG->noreplyuserid unset;
    get_support_user(): $CFG->supportuserid unset and $CFG->supportemail set, as the installer does it,
    lib/installlib.php:510-513 in 4.5, 452-455 in 5.1), which is_real_user() refuses; any other id reads
    the user table, deleted users included. require_active_user() then refuses, in this order: a deleted
    user (moodle_exception('userdeleted'): the string lives in moodle.php, not error.php, so the message is
    'error/userdeleted'), an unconfirmed one ('usernotconfirmed', message 'error/usernotconfirmed' likewise)
    and the guest (isguestuser(): 'guestsarenotallowed'). Suspended users and nologin accounts pass
    ($checksuspended and $checknologin are false). No debuginfo: debugging on or off, the answer is the same.
    """
    if userid in (NOREPLY_USER, SUPPORT_USER):
        raise moodle_exception('invaliduser', 'Invalid user')
    user = site.users.get(userid)
    if user is None:
        raise DmlMissingRecord('user', 'SELECT * FROM {user} WHERE id = ?', [userid])
    if user['deleted']:
        raise moodle_exception('userdeleted')
    if not user['confirmed']:
        raise moodle_exception('usernotconfirmed')
    if user['username'] == 'guest':
        raise moodle_exception('guestsarenotallowed', 'The guest user is not allowed to do this')
    return user


def wsnoinstance(courseid):
    """moodle_exception('wsnoinstance', 'enrol_manual', '', $a) with {$a->courseid} filled in by get_string()
    (enrol/manual/lang/en/enrol_manual.php:83 in 4.5, 85 in 5.1)."""
    return moodle_exception('wsnoinstance', "Manual enrolment plugin instance doesn't exist or is disabled for the "
                                            "course (id = %d)" % courseid)


@external('enrol_manual_enrol_users', Single({'enrolments': Multiple(Single([
    ('roleid', Value(PARAM_INT)),
    ('userid', Value(PARAM_INT)),
    ('courseid', Value(PARAM_INT)),
    ('timestart', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('timeend', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('suspend', Value(PARAM_INT, VALUE_OPTIONAL)),
]))}), write=True, component='enrol_manual')
def manual_enrol_users(call, args):
    """enrol_manual_enrol_users: all-or-nothing; re-enrolment overwrites times and status.

    Checks per item in Moodle's order (enrol/manual/externallib.php:86-120 in 4.5 and 5.1): the course
    context, the user (get_user MUST_EXIST + require_active_user), the role, then the enabled manual instance."""
    site = call.site
    with site.transaction():
        for item in args['enrolments']:
            ctx = site.context_id(CONTEXT_COURSE, item['courseid'])
            if ctx is None:
                raise InvalidParameter('Context does not exist')
            user = active_user(site, item['userid'])
            if item['roleid'] not in assignable_roles(site, ctx):
                # enrol_manual.php:84 (4.5), 86 (5.1).
                raise moodle_exception(
                    'wsusercannotassign',
                    "You don't have the permission to assign this role (%d) to this user (%d) in this course (%d)."
                    % (item['roleid'], user['id'], item['courseid']))
            instance = site.manual_instance(item['courseid'])
            if instance is None:
                raise wsnoinstance(item['courseid'])
            timestart = item.get('timestart', 0)
            timeend = item.get('timeend', 0)
            status = 1 if item.get('suspend') else 0
            ueid = site.ue_by_key.get((instance['id'], user['id']))
            if ueid is None:
                site.add_user_enrolment(instance['id'], user['id'], status, timestart, timeend, call.now)
            else:
                ue = site.user_enrolments[ueid]
                if (ue['status'], ue['timestart'], ue['timeend']) != (status, timestart, timeend):
                    site.update_user_enrolment(ueid, {'status': status, 'timestart': timestart, 'timeend': timeend,
                                                      'timemodified': call.now})
            site.add_role_assignment(item['roleid'], user['id'], ctx, '', 0, call.now)


def child_contexts(site, contextid):
    """Module and block contexts below a course context (for role_unassign_all with subcontexts)."""
    ctx = site.contexts[contextid]
    result = [contextid]
    if ctx['contextlevel'] == CONTEXT_COURSE:
        for module in site.modules.values():
            if module['course'] == ctx['instanceid']:
                sub = site.context_id(CONTEXT_MODULE, module['id'])
                if sub is not None:
                    result.append(sub)
        for block in site.blocks.values():
            if block['parentcontextid'] == contextid:
                sub = site.context_id(CONTEXT_BLOCK, block['id'])
                if sub is not None:
                    result.append(sub)
    return result


@external('enrol_manual_unenrol_users', Single({'enrolments': Multiple(Single([
    ('userid', Value(PARAM_INT)),
    ('courseid', Value(PARAM_INT)),
    ('roleid', Value(PARAM_INT, VALUE_OPTIONAL)),
]))}), write=True, component='enrol_manual')
def manual_unenrol_users(call, args):
    """enrol_manual_unenrol_users: not enrolled is a no-op; the last enrolment takes the course roles with it."""
    site = call.site
    with site.transaction():
        for item in args['enrolments']:
            ctx = site.context_id(CONTEXT_COURSE, item['courseid'])
            if ctx is None:
                raise DmlMissingRecord('course', 'SELECT id FROM {course} WHERE id = ?', [item['courseid']])
            instance = site.manual_instance(item['courseid'], enabled_only=False)
            if instance is None:
                raise wsnoinstance(item['courseid'])
            # enrol/manual/externallib.php:203-204 (4.5 and 5.1), after the instance.
            active_user(site, item['userid'])
            ueid = site.ue_by_key.get((instance['id'], item['userid']))
            if ueid is None:
                # Enrolled by another method only (self, cohort...) or not at all: that enrolment and its roles stay.
                continue
            # enrol_plugin::unenrol_user(): the roles this instance owns go, then the enrolment; the user's
            # other enrolments in the course and the roles of other components stay...
            for ra in site.user_roles_in_context(item['userid'], ctx):
                if (ra['component'], ra['itemid']) == ('enrol_manual', instance['id']):
                    site.delete_role_assignment(ra['id'])
            site.delete_user_enrolment(ueid)
            # ... unless it was the last one: role_unassign_all(userid, contextid) with subcontexts then takes
            # every role in the course and below it, whatever its component.
            if not site.user_course_enrolments(item['userid'], item['courseid']):
                for sub in child_contexts(site, ctx):
                    for ra in site.user_roles_in_context(item['userid'], sub):
                        site.delete_role_assignment(ra['id'])


# --------------------------------------------------------------------------- roles
def context_from_params(site, item):
    """core_role_external::get_context_from_params(); None when the instance does not exist."""
    if item.get('contextid'):
        return item['contextid'] if item['contextid'] in site.contexts else None
    if item.get('contextlevel') and 'instanceid' in item:
        level = LEVEL_BY_NAME.get(item['contextlevel'])
        if level is None:
            raise InvalidParameter('Invalid context level = ' + item['contextlevel'])
        if level == CONTEXT_SYSTEM:
            return 1
        if level == CONTEXT_USER:
            user = site.users.get(item['instanceid'])
            if user is None or user['deleted']:
                return None
        return site.context_id(level, item['instanceid'])
    raise InvalidParameter('Missing parameters, please provide either context level with instance id or contextid')


ROLE_ITEM = [
    ('roleid', Value(PARAM_INT)),
    ('userid', Value(PARAM_INT)),
    ('contextid', Value(PARAM_INT, VALUE_OPTIONAL)),
    ('contextlevel', Value(PARAM_ALPHA, VALUE_OPTIONAL)),
    ('instanceid', Value(PARAM_INT, VALUE_OPTIONAL)),
]


@external('core_role_assign_roles', Single({'assignments': Multiple(Single(ROLE_ITEM))}), write=True)
def assign_roles(call, args):
    """core_role_assign_roles: all-or-nothing; an existing assignment is left as is."""
    site = call.site
    with site.transaction():
        for item in args['assignments']:
            ctx = context_from_params(site, item)
            if ctx is None:
                raise InvalidParameter('Context does not exist')
            if item['roleid'] not in assignable_roles(site, ctx):
                raise InvalidParameter('Can not assign roleid=%d in contextid=%s' % (item['roleid'], php_str(item.get('contextid'))))
            user = site.users.get(item['userid'])
            if user is None or user['deleted']:
                raise CodingError('User ID does not exist or is deleted!', 'userid:%d' % item['userid'])
            site.add_role_assignment(item['roleid'], item['userid'], ctx, '', 0, call.now)


@external('core_role_unassign_roles', Single({'unassignments': Multiple(Single(ROLE_ITEM))}), write=True)
def unassign_roles(call, args):
    """core_role_unassign_roles: role_unassign(roleid, userid, contextid) removes only the assignment with no
    component (component '', itemid 0); one owned by a component (enrol_cohort, ...) stays, and a missing
    assignment is a no-op. The answer is null either way."""
    site = call.site
    with site.transaction():
        for item in args['unassignments']:
            ctx = context_from_params(site, item)
            if ctx is None:
                raise InvalidParameter('Context does not exist')
            if item['roleid'] not in assignable_roles(site, ctx):
                raise InvalidParameter('Can not unassign roleid=%d in contextid=%s' % (item['roleid'], php_str(item.get('contextid'))))
            raid = site.ra_by_key.get((item['roleid'], item['userid'], ctx, '', 0))
            if raid is not None:
                site.delete_role_assignment(raid)
