// Network filters: every non-terminal network filter trellis implements; each module registers itself.
import './local-ratelimit/index.js';
import './rbac/index.js';
import './ext_authz/index.js';
