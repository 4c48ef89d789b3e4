// HTTP filters: every filter type trellis implements; each module registers itself by type URL and name.
import './cors/index.js';
import './dynamic_forward_proxy/index.js';
import './ext_authz/index.js';
import './fault/index.js';
import './jwt_authn/index.js';
import './rbac/index.js';
import './router/index.js';
