// Network filters: every non-terminal network filter trellis implements; each module registers itself.
import './local-ratelimit/index.js';
import './rbac/index.js';
import './ext_authz/index.js';
import './mysql_proxy/index.js';
import './postgres_proxy/index.js';
import './kafka_broker/index.js';
