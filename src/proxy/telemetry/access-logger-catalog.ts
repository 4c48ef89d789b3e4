// Telemetry: every extension access logger module; importing this registers them (config/access-log.ts does).
// A new logger is a folder under telemetry/ with an index.ts that calls registerAccessLogger, and one line here.
import './grpc-access-log/index.js';
