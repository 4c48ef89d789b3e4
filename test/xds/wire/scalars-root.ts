// Test helpers: a synthetic message with every scalar type (singular, repeated packed and unpacked, a map, an enum), as a protobufjs Root and as a wire descriptor.
import protobuf from 'protobufjs';
import { buildWireDescriptor } from '../../../src/xds/wire/descriptor-build.js';
import { WireDescriptor } from '../../../src/xds/wire/descriptor.js';
import { SCALARS } from '../../../src/xds/wire/descriptor-json.js';

export const ALL_SCALARS = 'trellis.test.AllScalars';

export function scalarsRoot(): protobuf.Root {
  const fields: Record<string, protobuf.IField & { keyType?: string }> = {};
  let id = 1;
  for (const t of SCALARS) {
    fields[`s_${t}`] = { type: t, id: id++ };
    fields[`r_${t}`] = { rule: 'repeated', type: t, id: id++ };
    fields[`u_${t}`] = { rule: 'repeated', type: t, id: id++, options: { packed: false } };
    fields[`m_${t}`] = { keyType: 'string', type: t, id: id++ };
  }
  fields.e = { type: 'Color', id: id++ };
  fields.re = { rule: 'repeated', type: 'Color', id: id++ };
  fields.o_int32 = { type: 'int32', id: id++ };
  fields.o_string = { type: 'string', id: id++ };
  fields.child = { type: 'AllScalars', id: id++ };
  const root = protobuf.Root.fromJSON({
    nested: {
      trellis: {
        nested: {
          test: {
            nested: {
              Color: { values: { RED: 0, GREEN: 1, BLUE: 2 } },
              AllScalars: { oneofs: { choice: { oneof: ['o_int32', 'o_string'] } }, fields },
            },
          },
        },
      },
    },
  });
  root.resolveAll();
  return root;
}

export function scalarsDescriptor(root: protobuf.Root): WireDescriptor {
  return new WireDescriptor(buildWireDescriptor(protobuf, root, [ALL_SCALARS]));
}
