// Build step (npm run build): writes the proxy's wire descriptor (descriptor.json) beside the compiled descriptor.js.
import { writeFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { parseProtoFiles } from '../proto-files.js';
import { PROXY_MESSAGE_TYPES } from '../proxy-types.js';
import { buildWireDescriptor } from './descriptor-build.js';
import { DESCRIPTOR_FILE } from './descriptor.js';

const d = buildWireDescriptor(protobuf, parseProtoFiles(protobuf), PROXY_MESSAGE_TYPES);
const text = JSON.stringify(d);
writeFileSync(DESCRIPTOR_FILE, text);
process.stdout.write(`wrote ${DESCRIPTOR_FILE}: ${d.messages.length} messages, ${d.enums.length} enums, ${(text.length / 1024).toFixed(0)} KiB\n`);
