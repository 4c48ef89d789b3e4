// HTTP filters: every filter type trellis implements; each module registers itself by type URL and name.
import './buffer/index.js';
import './cors/index.js';
import './csrf/index.js';
import './ext_authz/index.js';
import './fault/index.js';
import './header_to_metadata/index.js';
import './health_check/index.js';
import './jwt_authn/index.js';
import './local_ratelimit/index.js';
import './rbac/index.js';
import './router/index.js';
