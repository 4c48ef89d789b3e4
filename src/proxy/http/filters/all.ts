// HTTP filters: every filter type trellis implements; each module registers itself by type URL and name.
import './buffer/index.js';
import './compressor/index.js';
import './cors/index.js';
import './csrf/index.js';
import './decompressor/index.js';
import './dynamic_forward_proxy/index.js';
import './ext_authz/index.js';
import './fault/index.js';
import './grpc_http1_bridge/index.js';
import './grpc_web/index.js';
import './header_to_metadata/index.js';
import './health_check/index.js';
import './jwt_authn/index.js';
import './local_ratelimit/index.js';
import './lua/index.js';
import './rbac/index.js';
import './router/index.js';
